// The Chromium frontend of bench/py/file_channel_bench.py: the HTTP bridge
// (`python -m ipckit serve`, run with the python given as the second
// argument) serves the FileChannel in the directory given as the first
// argument and, from a page directory (`--static`), the page itself and the
// built npm package. A page in headless Chromium opens the frontend side of
// the channel through the bridge, announces itself with a "ready" event,
// answers each "echo" request with its params, and stops after answering
// "stop".
//
//   node bench/js/browser_frontend.mjs /tmp/ipckit-bench-fc-XXXX /path/to/venv/bin/python
//
// The page has the bridge's own origin, as a page the bridge serves does: no
// CORS, no preflight. After it answered "stop" (warm, its event stream still
// open, as during the round trips), it times fetch() of a tiny static file
// from the same bridge: the browser's and the bridge's cost of one HTTP round
// trip, the floor of every bridge request. That floor is printed on
// stdout as one JSON line, {"fetch_floor_ns": [...]}, for the benchmark to
// report beside the latency. The page reads changes from the bridge's event
// stream (the default transport); IPCKIT_BENCH_BRIDGE_TRANSPORT=poll makes it
// use hanging GETs, for comparing the two. Uses the built npm package in
// js/dist (js/run_tests.sh builds it), copied into the page directory.
//
// The page reports its result to a small Node server (POST /result, no-cors).
// SIGTERM (how the benchmark stops a frontend that failed) ends the browser
// and the bridge too.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, launchChromium, startPageServer } from '../../js/tests/page_harness.mjs';
import { JS_DIR } from '../../js/tests/helpers.mjs';

const [dir, python] = process.argv.slice(2);
if (!dir || !python) {
  console.error('usage: browser_frontend.mjs CHANNEL_DIR PYTHON');
  process.exit(2);
}
const FLOOR_FETCHES = 200;
const STREAM = process.env.IPCKIT_BENCH_BRIDGE_TRANSPORT !== 'poll';

// The page, served by the bridge at / (its URL carries the token, which the
// bridge also sets as a cookie for the page's own files).
function pageHtml(resultUrl) {
  return `<!doctype html><meta charset="utf-8"><title>ipckit bench frontend</title>
<script type="module">
import { BridgeFileChannel } from '/pkg/esm/browser.js';
const out = { fetchFloorMs: [] };
try {
  const ch = await BridgeFileChannel.frontend(location.href, { stream: ${STREAM} });
  let stop;
  const stopped = new Promise((resolve) => { stop = resolve; });
  ch.onRequest('echo', (params) => params);
  ch.onRequest('stop', () => { setTimeout(stop, 0); return null; });
  ch.onError((err) => { out.error = String(err); });
  await ch.sendEvent('ready', { page: true });
  await stopped;
  // The floor, in the state the round trips ran in: the page warm, its
  // event stream open, nothing else in flight.
  for (let i = 0; i < ${FLOOR_FETCHES}; i += 1) {
    const t0 = performance.now();
    await (await fetch('/floor.txt', { cache: 'no-store' })).text();
    out.fetchFloorMs.push(performance.now() - t0);
  }
  out.transport = ch.transport;
  await ch.close();
} catch (e) {
  out.error = String((e && e.stack) || e);
}
await fetch(${JSON.stringify(resultUrl)}, { method: 'POST', mode: 'no-cors', body: JSON.stringify(out) });
</script>`;
}

// Starts `python -m ipckit serve DIR --port 0 --static PAGE_DIR` and resolves with its URL.
function startBridge(pageDir) {
  const child = spawn(python, ['-m', 'ipckit', 'serve', dir, '--port', '0', '--static', pageDir],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d) => {
      seen += d;
      const m = /http:\/\/127\.0\.0\.1:\d+(\/\?token=[0-9a-f]+)?/.exec(seen);
      if (m) resolve({ url: m[0], kill: () => child.kill() });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the bridge exited with ${code}: ${seen.slice(-500)}`)));
  });
}

const page = await startPageServer(() => '');  // only for POST /result
const profile = mkdtempSync(path.join(os.tmpdir(), 'ipckit-bench-chromium-'));
const pageDir = mkdtempSync(path.join(os.tmpdir(), 'ipckit-bench-page-'));
writeFileSync(path.join(pageDir, 'index.html'), pageHtml(`${page.origin}/result`));
writeFileSync(path.join(pageDir, 'floor.txt'), 'ipckit bench: the floor of every bridge request\n');
cpSync(path.join(JS_DIR, 'dist'), path.join(pageDir, 'pkg'), { recursive: true });
let bridge = null;
let browser = null;

let cleaned = null;
function cleanUp() {
  cleaned ??= (async () => {
    if (browser) await browser.kill();
    if (bridge) bridge.kill();
    await page.close();
    for (const d of [profile, pageDir]) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  })();
  return cleaned;
}
// Nothing may keep running forever if the backend goes away, nor outlive
// this process when the benchmark stops it.
const watchdog = setTimeout(() => {
  console.error('browser_frontend: no stop request within 10 minutes');
  cleanUp().finally(() => process.exit(1));
}, 10 * 60 * 1000);
process.once('SIGTERM', () => { cleanUp().finally(() => process.exit(143)); });
let code = 0;
try {
  bridge = await startBridge(pageDir);
  browser = launchChromium(profile, bridge.url);
  const out = await page.result;
  if (out.error) throw new Error(`the page failed: ${out.error}\n${browser.log()}`);
  const floorNs = out.fetchFloorMs.map((ms) => Math.round(ms * 1e6));
  process.stdout.write(`${JSON.stringify({ fetch_floor_ns: floorNs })}\n`);
  console.error(`browser_frontend: the page read changes by ${out.transport}`);
} catch (err) {
  console.error(`browser_frontend (${CHROMIUM}): ${err.stack || err}`);
  code = 1;
} finally {
  clearTimeout(watchdog);
  await cleanUp();
}
process.exit(code);
