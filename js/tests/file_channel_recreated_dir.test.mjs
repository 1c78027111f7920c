// FileChannel: a Node frontend whose channel directory is deleted and
// recreated by another process (a backend that wipes the channel at start-up)
// keeps hearing the new directory (issue 13, defect 1). The backend is a real
// second process (a Node child on the built package); the test waits on its
// output lines, never on sleeps.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { DIST_ESM, tempDir, within } from './helpers.mjs';
import { spawnWithLines } from './python_helpers.mjs';

const { FileChannel, IpckitError, NotFoundError, PermissionDeniedError, TimeoutError } = await import(DIST_ESM);

// The backend child: wipes the channel directory (rm -rf), opens the backend
// end on the new one, answers 'add', sends the event 'online' if asked
// (argv[3]), prints "ready".
const WIPING_BACKEND = `
import { rmSync } from 'node:fs';
const { FileChannel } = await import(process.argv[1]);
const dir = process.argv[2];
rmSync(dir, { recursive: true, force: true });
const be = await FileChannel.backend(dir);
be.onRequest('add', (p) => ({ sum: p.a + p.b }));
if (process.argv[3] === 'announce') await be.sendEvent('online', { pid: process.pid });
console.log('ready');
`;

// Registers a listener through `register` (onEvent/onError style, returning
// an unregister function); resolves with the first argument `accept` takes.
function firstCall(register, accept = () => true) {
  let off;
  const promise = new Promise((resolve) => {
    off = register((value) => { if (accept(value)) resolve(value); });
  });
  return promise.finally(off);
}

describe('FileChannel frontend, directory deleted and recreated', () => {
  let tmp;
  let fe;
  let backend;
  const errors = [];

  before(async () => {
    tmp = tempDir('ipckit-js-recreated-');
    fe = await FileChannel.frontend(tmp.dir);
    fe.onError((e) => errors.push(e));
  });

  after(async () => {
    backend?.kill();
    await fe?.close();
    if (tmp) rmSync(`${tmp.dir}.shared`, { recursive: true, force: true });
    tmp?.cleanup();
  });

  test('a request after a backend wiped and recreated the directory gets its answer', async (t) => {
    backend = spawnWithLines(process.execPath, ['--input-type=module', '-e', WIPING_BACKEND, DIST_ESM, tmp.dir]);
    await backend.waitLine(/^ready$/, 20000);
    const started = performance.now();
    const got = await fe.sendRequest('add', { a: 2, b: 40 }, { timeoutMs: 5000 });
    const elapsed = performance.now() - started;
    assert.deepEqual(got, { sum: 42 });
    t.diagnostic(`answered ${elapsed.toFixed(1)} ms after the request, over the recreated directory`);
    // And again: the re-armed watch keeps working.
    assert.deepEqual(await fe.sendRequest('add', { a: 1, b: 1 }, { timeoutMs: 5000 }), { sum: 2 });
    assert.deepEqual(errors.map(String), []);
  });

  test('an event sent into a recreated directory arrives with no send from the frontend', async () => {
    backend.kill();
    await backend.exited;
    const online = firstCall((listener) => fe.onEvent('online', listener));
    backend = spawnWithLines(process.execPath,
      ['--input-type=module', '-e', WIPING_BACKEND, DIST_ESM, tmp.dir, 'announce']);
    const got = await within(10000, online, "the recreated directory's 'online' event");
    assert.equal(got.pid, backend.child.pid);
    assert.deepEqual(errors.map(String), []);
  });

  test('a replacement directory others can write is refused with PermissionDeniedError', async () => {
    backend.kill();
    await backend.exited;
    const refused = firstCall((listener) => fe.onError(listener), (err) => err instanceof PermissionDeniedError);
    // Made aside and renamed into place: the frontend never sees it 0700.
    const aside = `${tmp.dir}.shared`;
    mkdirSync(aside, 0o700);
    chmodSync(aside, 0o777);
    rmSync(tmp.dir, { recursive: true, force: true });
    renameSync(aside, tmp.dir);
    const err = await within(10000, refused, 'the refusal of the shared replacement directory');
    errors.length = 0;
    assert.ok(err.message.includes(tmp.dir), err.message);
    assert.match(err.message, /writable by others/);
  });

  test('with the directory gone for good, a pending request times out and a new send fails, naming it', async () => {
    backend.kill();
    await backend.exited;
    const started = performance.now();
    const pending = fe.sendRequest('add', { a: 1, b: 2 }, { timeoutMs: 1000 });
    await fe.sendEvent('mark');  // resolves once it is in the file, after the request
    rmSync(tmp.dir, { recursive: true, force: true });
    await assert.rejects(pending, TimeoutError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 990 && elapsed < 4000, `timed out after ${elapsed} ms`);
    await assert.rejects(fe.sendRequest('add', { a: 1, b: 2 }, { timeoutMs: 1000 }), (err) => {
      assert.ok(err instanceof IpckitError, String(err));
      assert.equal(err.errorClass, 'not_found', err.message);
      assert.ok(err.message.includes(tmp.dir), err.message);
      return true;
    });
  });
});

describe('FileChannel send into a deleted directory', () => {
  test('is NotFoundError naming it, not permission_denied', async () => {
    const t = tempDir('ipckit-js-deleted-');
    let fe;
    try {
      fe = await FileChannel.frontend(t.dir);
      await fe.sendEvent('first');  // the lock helper is running and has .lock open
      rmSync(t.dir, { recursive: true, force: true });
      await assert.rejects(fe.sendEvent('second', null, { timeoutMs: 5000 }), (err) => {
        assert.ok(err instanceof NotFoundError, `${err.name}: ${err.message}`);
        assert.ok(err.message.includes(t.dir), err.message);
        return true;
      });
    } finally {
      await fe?.close();
      t.cleanup();
    }
  });
});
