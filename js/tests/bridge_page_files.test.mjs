// The page served by the bridge itself (`python -m ipckit serve DIR --static
// WEB`): headless Chromium opens the printed URL, its scripts and the WASM
// core load from the same origin with the token cookie, and the page talks
// to the Python backend with no CORS and no --allow-origin, reading changes
// on the event stream. The page leaves its results as an event in the
// channel, which this test reads from the file.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { JS_DIR, tempDir, within } from './helpers.mjs';
import { CHROMIUM, launchChromium } from './page_harness.mjs';
import { startBridge, startPyBackend } from './python_helpers.mjs';

const PAGE = `<!doctype html><meta charset="utf-8"><title>ipckit page from the bridge</title>
<script type="module">
import { BridgeFileChannel } from '/pkg/esm/browser.js';
const results = {};
let ch = null;
try {
  // The token is in this page's own URL, as the bridge printed it.
  ch = await BridgeFileChannel.frontend(location.href);
  results.add = await ch.sendRequest('add', { a: 40, b: 2 }, { timeoutMs: 10000 });
  results.transport = ch.transport;
  results.origin = location.origin;
} catch (e) {
  results.error = String((e && e.stack) || e);
}
if (ch) await ch.sendEvent('result', results);
</script>`;

// The page's "result" event, once it is in the frontend's file.
async function pageResult(channelDir) {
  const file = path.join(channelDir, 'frontend_to_backend.json');
  for (;;) {
    let messages = [];
    try {
      messages = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // Not written yet (or being replaced): look again.
    }
    const found = messages.find((m) => m.type === 'event' && m.method === 'result');
    if (found) return found.payload;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a page served by the bridge talks to the backend on its own origin, by the event stream', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
  const tmp = tempDir('ipckit-js-pagefiles-');
  const profile = tempDir('ipckit-js-chromium-');
  const web = path.join(tmp.dir, 'web');
  const channel = path.join(tmp.dir, 'channel');
  mkdirSync(web, { mode: 0o700 });
  writeFileSync(path.join(web, 'index.html'), PAGE);
  cpSync(path.join(JS_DIR, 'dist'), path.join(web, 'pkg'), { recursive: true });
  const cleanups = [];
  try {
    const py = await startPyBackend(channel);
    cleanups.push(() => py.kill());
    const bridge = await startBridge(channel, { args: ['--static', web] });
    cleanups.push(() => bridge.close());
    const browser = launchChromium(profile.dir, bridge.url);
    cleanups.push(() => browser.kill());
    const results = await within(90000, pageResult(channel), `the page's result (chromium log: ${browser.log()})`);
    assert.equal(results.error, undefined, results.error);
    assert.deepEqual(results.add, { sum: 42 });
    assert.equal(results.transport, 'stream');
    assert.equal(results.origin, bridge.origin, 'the page has the bridge\'s origin');
  } finally {
    for (const c of cleanups.reverse()) await c();
    profile.cleanup();
    tmp.cleanup();
  }
});
