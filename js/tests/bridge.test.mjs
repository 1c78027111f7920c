// The HTTP bridge (spec/bridge.md): the browser transport (BridgeFileChannel,
// run here with Node's fetch) through the bridge (the C++ core's, run by
// `python -m ipckit serve`) to the C++ core's backend in a separate process;
// and the bridge's HTTP rules and security as a JS client meets them.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIST_ESM, sleep, startPeer, tempDir, within, importReady } from './helpers.mjs';
import { startBridge } from './python_helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { BridgeFileChannel, PermissionDeniedError, RemoteError, TimeoutError } = ipckit;

// The token `request` sends unless told otherwise (token: null sends none).
let bridgeToken = null;

// A raw HTTP request with full control of the headers (fetch forbids Host).
function request(url, { method = 'GET', headers = {}, body, token = bridgeToken } = {}) {
  const all = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers };
  // The bridge takes Content-Length framing only (node would send chunked).
  if (body !== undefined) all['Content-Length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: all }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('page transport via the bridge <-> C++ backend', () => {
  let tmp;
  let peer;
  let bridge;
  let fe;

  before(async () => {
    tmp = tempDir();
    peer = await startPeer(['file_backend', tmp.dir]);
    bridge = await startBridge(tmp.dir);
    fe = await BridgeFileChannel.frontend(bridge.url);  // as printed: the token is in it
  });

  after(async () => {
    await fe?.close();
    await bridge?.close();
    peer?.kill();
    tmp?.cleanup();
  });

  test('without the token the client gets permission_denied; with it in options it connects', async () => {
    await assert.rejects(BridgeFileChannel.frontend(bridge.origin),
      (err) => err instanceof PermissionDeniedError && /token/.test(err.message));
    const wrong = `${bridge.origin}/?token=${'0'.repeat(32)}`;
    await assert.rejects(BridgeFileChannel.frontend(wrong), PermissionDeniedError);
    const other = await BridgeFileChannel.frontend(bridge.origin, { token: bridge.token, skipExisting: true });
    assert.equal(other.url, bridge.origin, 'the token is not part of the url the channel reports');
    await other.close();
  });

  test('the bridge describes itself', () => {
    assert.equal(fe.bridgeInfo.protocol, 'ipckit-bridge');
    assert.equal(fe.bridgeInfo.bridge_version, 1);
    assert.equal(fe.bridgeInfo.channel_info.protocol, 'file-ipc');
    assert.deepEqual(fe.bridgeInfo.appendable, ['frontend_to_backend.json']);
  });

  test('requests, error responses and timeouts', async () => {
    assert.deepEqual(await fe.sendRequest('add', { a: 20, b: 22 }, { timeoutMs: 10000 }), { sum: 42 });
    assert.deepEqual(await fe.sendRequest('echo', { big: 2n ** 64n - 1n, s: 'é😀' }, { timeoutMs: 10000 }),
      { big: 2n ** 64n - 1n, s: 'é😀' });
    await assert.rejects(fe.sendRequest('fail', 1, { timeoutMs: 10000 }),
      (err) => err instanceof RemoteError && err.message === 'failed on purpose: 1');
    await assert.rejects(fe.sendRequest('never', null, { timeoutMs: 200 }), TimeoutError);
  });

  test('changes arrive on the event stream; stream: false polls with hanging GETs', async () => {
    assert.deepEqual(await fe.sendRequest('add', { a: 1, b: 2 }, { timeoutMs: 10000 }), { sum: 3 });
    assert.equal(fe.transport, 'stream');
    const polling = await BridgeFileChannel.frontend(bridge.url, { stream: false, skipExisting: true });
    try {
      assert.deepEqual(await polling.sendRequest('add', { a: 2, b: 3 }, { timeoutMs: 10000 }), { sum: 5 });
      assert.equal(polling.transport, 'poll');
    } finally {
      await polling.close();
    }
  });

  test('events both ways and requests from the backend', async () => {
    const ticks = [];
    fe.onEvent('tick', (p) => ticks.push(p.i));
    await fe.sendRequest('emit', { count: 4 }, { timeoutMs: 10000 });
    await within(5000, (async () => { while (ticks.length < 4) await sleep(5); })(), 'ticks');
    assert.deepEqual(ticks, [0, 1, 2, 3]);
    const pong = new Promise((resolve) => fe.onEvent('pong', resolve));
    await fe.sendEvent('ping', 'via bridge');
    assert.equal(await within(5000, pong, 'pong'), 'via bridge');
    fe.onRequest('greet', (p) => `hello ${p}`);
    assert.deepEqual(await fe.sendRequest('ask', 'page', { timeoutMs: 10000 }), { frontend: 'hello page' });
  });

  test('a new message wakes a held read within milliseconds', async () => {
    const got = new Promise((resolve) => fe.onEvent('tick', resolve));
    await sleep(300);  // the read is now held by the bridge
    const t0 = Date.now();
    await fe.sendRequest('emit', { count: 1 }, { timeoutMs: 10000 });
    await within(2000, got, 'event');
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  });

  test('reads after the first come as splices: only what changed crosses the bridge', () => {
    // Every test above delivered its messages through these reads.
    assert.ok(fe.splicedReads >= 3, `spliced reads: ${fe.splicedReads}`);
  });

  test('what the page sent is in the file, byte-exact, with its own seq', async () => {
    assert.equal(await fe.sendRequest('quit', null, { timeoutMs: 10000 }), 'bye');
    const sent = ipckit.parseChannelFile(readFileSync(path.join(tmp.dir, 'frontend_to_backend.json')));
    const mine = sent.filter((m) => m.sender === fe.senderId);
    assert.ok(mine.length >= 8);
    assert.deepEqual(mine.map((m) => m.seq), mine.map((_, i) => i + 1));
  });
});

describe('bridge HTTP rules', () => {
  let tmp;
  let bridge;
  const allowed = 'http://127.0.0.1:9';

  before(async () => {
    tmp = tempDir();
    bridge = await startBridge(tmp.dir, { allowOrigins: [allowed], args: ['--max-file-bytes', '4096'] });
    bridgeToken = bridge.token;
  });
  after(async () => {
    bridgeToken = null;
    await bridge?.close();
    tmp?.cleanup();
  });

  const message = (id, seq) => ipckit.composeMessage({ id, timestamp: Date.now(), type: 'event', method: 'e', seq, sender: 's' });
  const body = (...texts) => ipckit.composeChannelFile(texts);
  const json = { 'Content-Type': 'application/json' };

  test('binds 127.0.0.1 only, and prints a URL with a 128-bit token', () => {
    assert.match(bridge.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(bridge.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32,}$/);
  });

  test('every request but a preflight needs the token', async () => {
    const none = await request(`${bridge.origin}/v1/info`, { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.json.error, 'permission_denied');
    assert.equal((await request(`${bridge.origin}/v1/info`, { token: 'f'.repeat(32) })).status, 401);
    assert.equal((await request(`${bridge.origin}/v1/info?token=${bridge.token}`, { token: null })).status, 200);
    const preflight = await request(`${bridge.origin}/v1/info`, {
      method: 'OPTIONS', token: null,
      headers: { Origin: allowed, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers['access-control-allow-headers'], /Authorization/);
  });

  test('appends byte for byte; reads return the exact file with an ETag', async () => {
    const a = message('a', 1);
    const b = message('b', 2);
    const r = await request(`${bridge.origin}/v1/append/frontend_to_backend.json`, { method: 'POST', headers: json, body: body(a, b) });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { appended: 2 });
    const g = await request(`${bridge.origin}/v1/files/frontend_to_backend.json`);
    assert.equal(g.status, 200);
    assert.equal(g.text, readFileSync(path.join(tmp.dir, 'frontend_to_backend.json'), 'utf8'));
    // The bridge's writer stamps each message's pos (format 2), as the last field.
    const stamped = (text, pos) => `${text.slice(0, -1)},"pos":${pos}}`;
    assert.equal(g.text, `[\n${stamped(a, 1)},\n${stamped(b, 2)}\n]\n`, 'the messages as sent, pos stamped');
    assert.deepEqual(ipckit.parseChannelFile(g.text).map((m) => m.id), ['a', 'b']);
    const again = await request(`${bridge.origin}/v1/files/frontend_to_backend.json`, { headers: { 'If-None-Match': g.headers.etag } });
    assert.equal(again.status, 304);
    const missing = await request(`${bridge.origin}/v1/files/backend_to_frontend.json`);
    assert.equal(missing.status, 200);
    assert.equal(missing.text, '');
  });

  test('a held read returns 304 when nothing changes, 200 as soon as something does', async () => {
    const url = `${bridge.origin}/v1/files/frontend_to_backend.json`;
    const { headers } = await request(url);
    const t0 = Date.now();
    const idle = await request(url, { headers: { 'If-None-Match': headers.etag, Prefer: 'wait=1' } });
    assert.equal(idle.status, 304);
    assert.ok(Date.now() - t0 >= 900, 'held for the wait asked');
    assert.ok(idle.headers['preference-applied']);
    const held = request(url, { headers: { 'If-None-Match': headers.etag, Prefer: 'wait=5' } });
    await sleep(100);
    await request(`${bridge.origin}/v1/append/frontend_to_backend.json`, { method: 'POST', headers: json, body: body(message('c', 3)) });
    const woke = await held;
    assert.equal(woke.status, 200);
    assert.deepEqual(ipckit.parseChannelFile(woke.text).map((m) => m.id), ['a', 'b', 'c']);
  });

  test('A-IM: ipckit-splice gets a 226 with only what changed, which rebuilds the file exactly', async () => {
    const url = `${bridge.origin}/v1/files/frontend_to_backend.json`;
    const file = () => readFileSync(path.join(tmp.dir, 'frontend_to_backend.json'), 'utf8');
    for (let i = 0; i < 4; ++i) {
      const r = await request(`${bridge.origin}/v1/append/frontend_to_backend.json`, { method: 'POST', headers: json, body: body(message(`s${i}`, 10 + i)) });
      assert.equal(r.status, 200, r.text);
    }
    const first = await request(url, { headers: { 'A-IM': 'ipckit-splice' } });
    assert.equal(first.status, 200, 'no base given: the whole file');
    assert.equal(first.text, file());
    await request(`${bridge.origin}/v1/append/frontend_to_backend.json`, { method: 'POST', headers: json, body: body(message('s9', 20)) });
    const delta = await request(url, { headers: { 'If-None-Match': first.headers.etag, 'A-IM': 'ipckit-splice' } });
    assert.equal(delta.status, 226, delta.text);
    assert.equal(delta.headers.im, 'ipckit-splice');
    assert.equal(delta.headers['delta-base'], first.headers.etag);
    assert.ok(delta.text.length < file().length / 2, `${delta.text.length} of ${file().length} bytes`);
    const [at, from, to] = delta.headers['ipckit-splice'].split(' ').map(Number);
    const rebuilt = new TextDecoder().decode(ipckit.applySplice(first.text, at, from, to, delta.text));
    assert.equal(rebuilt, file());
    assert.equal(delta.headers.etag, (await request(url)).headers.etag, 'the ETag of the rebuilt version');
    // A base this bridge never sent: the whole file.
    const unknown = await request(url, { headers: { 'If-None-Match': '"1-2-3"', 'A-IM': 'ipckit-splice' } });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.text, file());
  });

  test('nothing outside the fixed names: traversal, .lock, other paths', async () => {
    for (const p of ['/v1/files/../../etc/passwd', '/v1/files/%2e%2e%2fetc%2fpasswd', '/v1/files/.lock',
      '/v1/files/x.json', '/', '/v1/files/..%5c.lock', '/v1/append/backend_to_frontend.json']) {
      const r = await request(`${bridge.origin}${p}`, { method: p.includes('append') ? 'POST' : 'GET', headers: json, body: p.includes('append') ? '[]' : undefined });
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
      assert.ok(['invalid_argument', 'not_found'].includes(r.json.error), `${p}: ${r.text}`);
    }
  });

  test('foreign Host headers are refused (DNS rebinding)', async () => {
    const r = await request(`${bridge.origin}/v1/info`, { headers: { Host: `evil.example:${bridge.port}` } });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'permission_denied');
    assert.equal((await request(`${bridge.origin}/v1/info`, { headers: { Host: `localhost:${bridge.port}` } })).status, 200);
  });

  test('cross-origin writes are refused unless allowed; CORS only for allowed origins', async () => {
    const url = `${bridge.origin}/v1/append/frontend_to_backend.json`;
    const evil = await request(url, { method: 'POST', headers: { ...json, Origin: 'http://evil.example' }, body: body(message('x', 9)) });
    assert.equal(evil.status, 403);
    assert.equal(evil.json.error, 'permission_denied');
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    const evilRead = await request(`${bridge.origin}/v1/info`, { headers: { Origin: 'http://evil.example' } });
    assert.equal(evilRead.headers['access-control-allow-origin'], undefined, 'no CORS grant: the page cannot read it');
    const preflightEvil = await request(url, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    assert.equal(preflightEvil.status, 403);
    const preflight = await request(url, { method: 'OPTIONS', headers: { Origin: allowed, 'Access-Control-Request-Method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], allowed);
    const ok = await request(url, { method: 'POST', headers: { ...json, Origin: allowed }, body: body(message('d', 4)) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers['access-control-allow-origin'], allowed);
    const own = await request(url, { method: 'POST', headers: { ...json, Origin: bridge.origin }, body: body(message('e', 5)) });
    assert.equal(own.status, 200, 'the bridge\'s own origin may write');
    const ids = ipckit.parseChannelFile(readFileSync(path.join(tmp.dir, 'frontend_to_backend.json'))).map((m) => m.id);
    assert.ok(!ids.includes('x'));
  });

  test('bad bodies: content type, corrupt, empty, too large', async () => {
    const url = `${bridge.origin}/v1/append/frontend_to_backend.json`;
    const plain = await request(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: body(message('f', 6)) });
    assert.equal(plain.status, 415);
    const corrupt = await request(url, { method: 'POST', headers: json, body: '[{"id":"z"' });
    assert.equal(corrupt.status, 400);
    assert.equal(corrupt.json.error, 'corrupt');
    const empty = await request(url, { method: 'POST', headers: json, body: '[]' });
    assert.equal(empty.status, 400);
    assert.equal(empty.json.error, 'invalid_argument');
    const big = await request(url, { method: 'POST', headers: json, body: body(message('x'.repeat(5000), 7)) });
    assert.equal(big.status, 413);
    assert.equal(big.json.error, 'too_large');
  });

  test('a corrupt channel file is a 409 and is not overwritten', async () => {
    const file = path.join(tmp.dir, 'frontend_to_backend.json');
    const before = readFileSync(file);
    writeFileSync(file, before.subarray(0, 20));
    const r = await request(`${bridge.origin}/v1/append/frontend_to_backend.json`, { method: 'POST', headers: json, body: body(message('g', 8)) });
    assert.equal(r.status, 409);
    assert.equal(r.json.error, 'corrupt');
    assert.deepEqual(readFileSync(file), before.subarray(0, 20));
    writeFileSync(file, before);
  });
});
