// The Node claim (rule C1) through the core's ClaimIndex (issue 13): an
// endpoint that claims one request after another scans the request and reply
// files whole only on its first claim and parses the claims file only when
// someone else changed it; later claims scan what was appended. The counts
// come from the core's index (no timing). The decisions stay C1's: answered,
// claimed by a live other, a file rewritten other than by appending.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIST_ESM, tempDir } from './helpers.mjs';

const { ready } = await import(DIST_ESM);
await ready();
const dist = path.dirname(DIST_ESM);
const {
  ClaimIndex, appendToChannelText, composeChannelFile, composeMessage, parseClaims, readerFileNames,
} = await import(path.join(dist, 'file_channel_format.js'));
const { core } = await import(path.join(dist, 'core.js'));
const { claimUnderLock } = await import(path.join(dist, 'node', 'channel_readers.js'));
const { ChannelLockHelper } = await import(path.join(dist, 'node', 'channel_lock.js'));

const REQUESTS = 'backend_to_frontend.json';
const REPLIES = 'frontend_to_backend.json';
const OPTIONS = { allowSharedDirectory: false, maxFileBytes: 64 << 20, fsync: false };
const ME = { reader: '', pid: process.pid };

const request = (id) => composeMessage({ id, timestamp: Date.now(), type: 'request', method: 'echo', payload: { id } });
const response = (id) => composeMessage({
  id: `r-${id}`, timestamp: Date.now(), type: 'response', replyTo: id, payload: null,
});

describe('claimUnderLock with a ClaimIndex', () => {
  let t;
  let lock;
  let index;
  let base;  // full scans after the first claims
  let rewritten;  // the request file's messages after the rewrite
  const file = (name) => path.join(t.dir, name);
  // Appends as every writer does: the old messages byte for byte, new ones after.
  const append = (name, texts) => {
    let existing = '';
    try { existing = readFileSync(file(name)); } catch { /* new file */ }
    writeFileSync(file(name), appendToChannelText(existing, texts, { retention: { maxMessages: 100000 } }).bytes);
  };
  const claim = (id) => claimUnderLock(lock, t.dir, REQUESTS, REPLIES, id, ME, OPTIONS, true, index);
  const claimsPath = () => file(readerFileNames(REQUESTS, 'x').claims);

  before(() => {
    t = tempDir();
    lock = new ChannelLockHelper(t.dir);
    index = new ClaimIndex();
    // A file of 400 requests nobody claimed, like an anonymous reader's
    // channel after a while, and an empty reply file.
    append(REQUESTS, Array.from({ length: 400 }, (_, i) => request(`old-${i}`)));
    writeFileSync(file(REPLIES), composeChannelFile([]));
  });
  after(() => {
    index.dispose();
    lock.close();
    t.cleanup();
  });

  test('claims after the first scans only what was appended and reuse their own claims file', async () => {
    const round = async (from, to) => {
      for (let i = from; i < to; i++) {
        append(REQUESTS, [request(`new-${i}`)]);
        assert.equal(await claim(`new-${i}`), true, `new-${i}`);
        append(REPLIES, [response(`new-${i}`)]);
      }
    };
    // The first claims scan each file whole (the reply file again while it
    // held no message: an empty index has no block to find).
    await round(0, 2);
    const start = index.stats();
    assert.ok(start.fullScans <= 3, JSON.stringify(start));
    // The claims file never: it is missing on the first claim and our own
    // text on every later one.
    assert.equal(start.claimsParses, 1);
    await round(2, 40);
    assert.deepEqual(index.stats(), start);
    const claims = parseClaims(readFileSync(claimsPath()));
    assert.deepEqual(claims.map((c) => c.requestId), Array.from({ length: 40 }, (_, i) => `new-${i}`));
    assert.ok(claims.every((c) => c.reader === '' && c.pid === process.pid));
    base = start.fullScans;
  });

  test('an answered request is not claimed, seen through the incremental scan', async () => {
    append(REQUESTS, [request('answered')]);
    append(REPLIES, [response('answered')]);
    assert.equal(await claim('answered'), false);
    assert.equal(index.stats().fullScans, base);
  });

  test("another live process's claim is refused, and a changed claims file is parsed again", async () => {
    append(REQUESTS, [request('theirs')]);
    const other = { requestId: 'theirs', reader: '', pid: process.ppid, at: Date.now() };
    const claims = parseClaims(readFileSync(claimsPath()));
    writeFileSync(claimsPath(), core().composeClaims([...claims, other]));
    assert.equal(await claim('theirs'), false);
    assert.deepEqual(index.stats(), { fullScans: base, claimsParses: 2 });
  });

  test('a request file rewritten other than by appending is scanned whole, and decided right', async () => {
    // The old requests gone and the rest in another order: no common block.
    rewritten = [request('fresh'), request('new-1')];
    writeFileSync(file(REQUESTS), composeChannelFile(rewritten));
    assert.equal(await claim('fresh'), true);
    assert.equal(index.stats().fullScans, base + 1);
    // C4: the claims kept are those on requests still in the file.
    const claims = parseClaims(readFileSync(claimsPath()));
    assert.deepEqual(claims.map((c) => c.requestId).sort(), ['fresh', 'new-1']);
  });

  test('a corrupt request file is refused and leaves the index as it was', async () => {
    writeFileSync(file(REQUESTS), '[{"id": ');
    await assert.rejects(claim('fresh'), (err) => err.errorClass === 'corrupt');
    writeFileSync(file(REQUESTS), composeChannelFile([...rewritten, request('after')]));
    assert.equal(await claim('after'), true);
    assert.equal(index.stats().fullScans, base + 1);
  });
});
