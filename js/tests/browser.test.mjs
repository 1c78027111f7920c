// A real page in headless Chromium (Debian's, installed by
// tools/setup.d/20-js.sh): it imports the package's ESM build with no bundler,
// instantiates the WASM core, and talks through the HTTP bridge to the C++
// core's backend running as a separate process. The page is served from its
// own origin, so the bridge's CORS allow list is exercised too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { DIST_ESM, JS_DIR, startPeer, tempDir, within } from './helpers.mjs';

const { serveBridge } = await import(DIST_ESM);
const CHROMIUM = process.env.IPCKIT_CHROMIUM || '/usr/bin/chromium';
const DIST = path.join(JS_DIR, 'dist');

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html' };

function pageHtml(bridgeUrl) {
  return `<!doctype html><meta charset="utf-8"><title>ipckit page test</title>
<script type="module">
import { BridgeFileChannel, jsonDumps, decodeFrames, encodeFrame, RemoteError } from '/pkg/esm/browser.js';
const results = {};
try {
  const ch = await BridgeFileChannel.frontend(${JSON.stringify(bridgeUrl)});
  results.add = await ch.sendRequest('add', { a: 1, b: 2 }, { timeoutMs: 10000 });
  ch.onRequest('greet', (p) => 'hi ' + p);
  results.ask = await ch.sendRequest('ask', 'chromium', { timeoutMs: 10000 });
  const ticks = [];
  ch.onEvent('tick', (p) => ticks.push(p.i));
  await ch.sendRequest('emit', { count: 3 }, { timeoutMs: 10000 });
  while (ticks.length < 3) await new Promise((r) => setTimeout(r, 10));
  results.ticks = ticks;
  try {
    await ch.sendRequest('fail', 'x', { timeoutMs: 10000 });
  } catch (e) {
    results.fail = [e instanceof RemoteError, e.message];
  }
  results.json = jsonDumps({ a: [1, 2.5, 2n ** 63n] });
  results.frames = decodeFrames(encodeFrame('page')).payloads.map((p) => new TextDecoder().decode(p));
  results.quit = await ch.sendRequest('quit', null, { timeoutMs: 10000 });
  results.userAgent = navigator.userAgent;
  await ch.close();
} catch (e) {
  results.error = String((e && e.stack) || e);
}
await fetch('/result', { method: 'POST', body: JSON.stringify(results) });
</script>`;
}

// Serves the page, the built package under /pkg/ (dist/ only), and takes the
// page's result.
function pageServer(bridgeUrlRef) {
  let resolveResult;
  const result = new Promise((r) => { resolveResult = r; });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://page');
    if (req.method === 'POST' && url.pathname === '/result') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.end('ok');
        resolveResult(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(pageHtml(bridgeUrlRef.url));
      return;
    }
    const rel = url.pathname.startsWith('/pkg/') ? path.normalize(url.pathname.slice(5)) : null;
    const file = rel && !rel.startsWith('..') ? path.join(DIST, rel) : null;
    if (!file || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return { server, result };
}

test('a page in headless Chromium talks to the C++ backend through the bridge', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
  const tmp = tempDir();
  const profile = tempDir('ipckit-js-chromium-');
  const peer = await startPeer(['file_backend', tmp.dir]);
  const ref = { url: '' };
  const page = pageServer(ref);
  await new Promise((r) => page.server.listen(0, '127.0.0.1', r));
  const pageOrigin = `http://127.0.0.1:${page.server.address().port}`;
  const bridge = await serveBridge(tmp.dir, { allowOrigins: [pageOrigin] });
  ref.url = bridge.url;
  const browser = spawn(CHROMIUM, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-extensions', `--user-data-dir=${profile.dir}`, `${pageOrigin}/`,
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });  // its own process group: ends with its helpers
  let browserLog = '';
  browser.stderr.on('data', (d) => { if (browserLog.length < 20000) browserLog += d; });
  try {
    const results = await within(60000, page.result, `the page's result (chromium log: ${browserLog.slice(-2000)})`);
    assert.equal(results.error, undefined, results.error);
    assert.deepEqual(results.add, { sum: 3 });
    assert.deepEqual(results.ask, { frontend: 'hi chromium' });
    assert.deepEqual(results.ticks, [0, 1, 2]);
    assert.deepEqual(results.fail, [true, 'failed on purpose: "x"']);
    assert.equal(results.json, '{"a":[1,2.5,9223372036854775808]}');
    assert.deepEqual(results.frames, ['page']);
    assert.equal(results.quit, 'bye');
    assert.match(results.userAgent, /HeadlessChrome/);
    assert.equal(await within(10000, peer.exited, 'peer exit'), 0, peer.stderr);
  } finally {
    const exited = browser.exitCode !== null || browser.signalCode !== null
      ? Promise.resolve() : new Promise((r) => browser.once('exit', r));
    try {
      process.kill(-browser.pid, 'SIGKILL');  // the browser's group: renderer, zygote, ...
    } catch {
      // Already gone.
    }
    await exited;
    await bridge.close();
    page.server.closeAllConnections();
    await new Promise((r) => page.server.close(r));
    peer.kill();
    tmp.cleanup();
    rmSync(profile.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
