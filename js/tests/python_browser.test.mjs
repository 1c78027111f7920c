// A real page in headless Chromium talks to the Python package's backend
// (py_backend.py, a separate process) through the FileChannel HTTP bridge.
// The bridge is `python -m ipckit serve DIR --port 0` (the C++ core's); the
// page gets the URL it printed, token included. The page
// imports the ESM build with no bundler, does request/response round trips
// and receives events, and measures the page <-> Python request latency.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { tempDir, within } from './helpers.mjs';
import { CHROMIUM, launchChromium, startPageServer } from './page_harness.mjs';
import { median, startBridge, startPyBackend } from './python_helpers.mjs';

const LATENCY_REQUESTS = 50;

function pageHtml(bridgeUrl) {
  return `<!doctype html><meta charset="utf-8"><title>ipckit page <-> Python</title>
<script type="module">
import { BridgeFileChannel, RemoteError } from '/pkg/esm/browser.js';
const results = {};
try {
  const ch = await BridgeFileChannel.frontend(${JSON.stringify(bridgeUrl)});
  results.add = await ch.sendRequest('add', { a: 20, b: 22 }, { timeoutMs: 10000 });
  results.echo = await ch.sendRequest('echo', { s: 'héllo ✓', n: [1, 2.5, null] }, { timeoutMs: 10000 });
  try {
    await ch.sendRequest('fail', 'x', { timeoutMs: 10000 });
  } catch (e) {
    results.fail = [e instanceof RemoteError, e.message];
  }
  const ticks = [];
  ch.onEvent('tick', (p) => ticks.push(p.i));
  results.emit = await ch.sendRequest('emit', { name: 'tick', count: 3 }, { timeoutMs: 10000 });
  const until = performance.now() + 10000;
  while (ticks.length < 3 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  results.ticks = ticks;
  const times = [];
  for (let i = 0; i < ${LATENCY_REQUESTS}; i += 1) {
    const t0 = performance.now();
    const r = await ch.sendRequest('add', { a: i, b: 1 }, { timeoutMs: 10000 });
    times.push(performance.now() - t0);
    if (r.sum !== i + 1) throw new Error('add ' + i + ' answered ' + JSON.stringify(r));
  }
  results.times = times;
  results.splicedReads = ch.splicedReads;
  results.quit = await ch.sendRequest('quit', null, { timeoutMs: 10000 });
  results.userAgent = navigator.userAgent;
  await ch.close();
} catch (e) {
  results.error = String((e && e.stack) || e);
}
await fetch('/result', { method: 'POST', body: JSON.stringify(results) });
</script>`;
}

test('a page in headless Chromium talks to the Python backend through the bridge', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
  const tmp = tempDir('ipckit-js-pypage-');
  const profile = tempDir('ipckit-js-chromium-');
  const cleanups = [];
  let browser = null;
  try {
    const py = await startPyBackend(tmp.dir);
    cleanups.push(() => py.kill());
    const ref = { url: '' };
    const page = await startPageServer(() => pageHtml(ref.url));
    cleanups.push(() => page.close());
    const pageOrigin = page.origin;
    const bridge = await startBridge(tmp.dir, { allowOrigins: [pageOrigin] });
    cleanups.push(() => bridge.close());
    ref.url = bridge.url;
    t.diagnostic(`bridge: python -m ipckit serve at ${bridge.origin}`);

    browser = launchChromium(profile.dir, `${pageOrigin}/`);

    const results = await within(90000, page.result, `the page's result (chromium log: ${browser.log()})`);
    assert.equal(results.error, undefined, results.error);
    assert.match(results.userAgent, /HeadlessChrome/);
    assert.deepEqual(results.add, { sum: 42 });
    assert.deepEqual(results.echo, { s: 'héllo ✓', n: [1, 2.5, null] });
    assert.deepEqual(results.fail, [true, 'failed on purpose: "x"']);
    assert.deepEqual(results.emit, { emitted: 3 });
    assert.deepEqual(results.ticks, [0, 1, 2]);
    assert.equal(results.times.length, LATENCY_REQUESTS);
    // The bridge sent only what changed once the page had a version.
    assert.ok(results.splicedReads >= LATENCY_REQUESTS / 2, `spliced reads: ${results.splicedReads}`);
    assert.equal(results.quit, 'bye');
    assert.equal(await within(10000, py.exited, 'py_backend exit'), 0, py.stderr);

    const sorted = [...results.times].sort((a, b) => a - b);
    const med = median(sorted);
    const line = `Chromium<->Python (python -m ipckit serve) request->response over ${LATENCY_REQUESTS} requests: `
      + `median ${med.toFixed(2)} ms, max ${sorted[sorted.length - 1].toFixed(2)} ms`;
    t.diagnostic(line);
    assert.ok(med < 1000, line);
  } finally {
    if (browser) await browser.kill();
    for (const c of cleanups.reverse()) await c();
    tmp.cleanup();
    rmSync(profile.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
