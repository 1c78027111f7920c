// A real page in headless Chromium (Debian's, installed by
// tools/setup.d/20-js.sh): it imports the package's ESM build with no bundler,
// instantiates the WASM core, and talks through the HTTP bridge (the C++
// core's, run by `python -m ipckit serve`; the page gets the URL it printed,
// token included) to the C++ core's backend running as a separate process.
// The page is served from its own origin, so the bridge's CORS allow list and
// the preflight of its Authorization header are exercised too.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { startPeer, tempDir, within } from './helpers.mjs';
import { CHROMIUM, launchChromium, startPageServer } from './page_harness.mjs';
import { startBridge } from './python_helpers.mjs';

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

test('a page in headless Chromium talks to the C++ backend through the bridge', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
  const tmp = tempDir();
  const profile = tempDir('ipckit-js-chromium-');
  const peer = await startPeer(['file_backend', tmp.dir]);
  const ref = { url: '' };
  const page = await startPageServer(() => pageHtml(ref.url));
  const bridge = await startBridge(tmp.dir, { allowOrigins: [page.origin] });
  ref.url = bridge.url;
  const browser = launchChromium(profile.dir, `${page.origin}/`);
  try {
    const results = await within(60000, page.result, `the page's result (chromium log: ${browser.log()})`);
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
    await browser.kill();
    await bridge.close();
    await page.close();
    peer.kill();
    tmp.cleanup();
    rmSync(profile.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
