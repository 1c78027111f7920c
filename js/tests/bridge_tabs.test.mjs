// Pages as named readers through the bridge (spec/bridge.md, "Named
// readers"; issue 13): two tabs (two headless Chromium processes, each with
// its own sessionStorage), the bridge (`python -m ipckit serve`, the C++
// core's) and a Node backend (this process) on one channel. Each backend
// request is handled by exactly one tab; each event reaches each tab once; a
// tab reloaded while events are sent resumes from the cursor it acknowledged,
// replaying nothing and losing nothing. No sleeps: the pages report to the
// page server, and the reloaded page waits at a gate the test opens. A Node
// client of the bridge (no sessionStorage: a reader name given) claims a
// request itself when another process held .lock as its stream offered it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DIST_ESM, tempDir, within } from './helpers.mjs';
import { CHROMIUM, launchChromium, startPageServer } from './page_harness.mjs';
import { startBridge } from './python_helpers.mjs';

const { BridgeFileChannel, FileChannel, ready } = await import(DIST_ESM);
const { ChannelLockHelper } = await import(path.join(path.dirname(DIST_ESM), 'node', 'channel_lock.js'));
await ready();

const REQUESTS = 20;

function pageHtml(bridgeUrl) {
  return `<!doctype html><meta charset="utf-8"><title>ipckit tabs</title>
<script type="module">
import { BridgeFileChannel } from '/pkg/esm/browser.js';
const tab = new URLSearchParams(location.search).get('tab');
const loads = Number(sessionStorage.getItem('loads') || 0) + 1;
sessionStorage.setItem('loads', String(loads));
const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify({ tab, loads, ...r }) });
try {
  if (loads === 2) {
    // Reloaded: events are sent while no stream of this tab is open.
    await report({ phase: 'reloaded-waiting' });
    await fetch('/wait/reopen-' + tab);
  }
  const ch = await BridgeFileChannel.frontend(${JSON.stringify(bridgeUrl)});
  const handled = [];
  const events = [];
  const errors = [];
  ch.onError((e) => errors.push(String(e)));
  ch.onRequest('work', (p) => {
    handled.push(p.n);
    return { n: p.n, tab };
  });
  ch.onEvent('*', (p, m) => {
    events.push(m.method + ':' + (p && p.i !== undefined ? p.i : ''));
    if (m.method === 'report') report({ phase: m.method + '-' + p.round, handled, events, errors, reader: ch.reader });
    if (m.method === 'during' && p.i === 4 && loads === 2) {
      report({ phase: 'reloaded', handled, events, errors, reader: ch.reader });
    }
    if (m.method === 'reload' && p.tab === tab) {
      // After this listener returns the cursor moves past the event; reload
      // once the bridge has it.
      setTimeout(async () => {
        await ch.cursorSaved();
        await report({ phase: 'reloading', reader: ch.reader });
        location.reload();
      }, 0);
    }
  });
  await report({ phase: 'ready', reader: ch.reader });
} catch (e) {
  await report({ phase: 'error', error: String((e && e.stack) || e) });
}
</script>`;
}

test('two tabs: each backend request handled once, events once per tab, a reload resumes', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
  const tmp = tempDir('ipckit-js-tabs-');
  const cleanups = [];
  try {
    const ref = { url: '' };
    const page = await startPageServer(() => pageHtml(ref.url));
    cleanups.push(() => page.close());
    const bridge = await startBridge(tmp.dir, { allowOrigins: [page.origin] });
    cleanups.push(() => bridge.close());
    ref.url = bridge.url;
    const backend = await FileChannel.backend(tmp.dir);
    cleanups.push(() => backend.close());
    const next = (tab, phase, loads = 1) => within(60000, page.nextResult((r) => r.tab === tab
      && (r.phase === phase || r.phase === 'error') && (r.loads === loads || r.phase === 'error')),
    `tab ${tab}'s ${phase} report`);

    for (const tab of ['A', 'B']) {
      const profile = tempDir(`ipckit-js-chromium-${tab}-`);
      const browser = launchChromium(profile.dir, `${page.origin}/?tab=${tab}`);
      cleanups.push(async () => { await browser.kill(); profile.cleanup?.(); });
    }
    const readyA = await next('A', 'ready');
    const readyB = await next('B', 'ready');
    for (const r of [readyA, readyB]) assert.equal(r.error, undefined, r.error);
    assert.match(readyA.reader, /^tab-[0-9a-f]{16}$/);
    assert.notEqual(readyA.reader, readyB.reader, 'each tab is a reader of its own');

    // N requests at once: each answered once, by one tab or the other.
    const answers = await Promise.all(Array.from({ length: REQUESTS },
      (_, n) => backend.sendRequest('work', { n }, { timeoutMs: 30000 })));
    assert.deepEqual(answers.map((a) => a.n), Array.from({ length: REQUESTS }, (_, n) => n));
    for (let i = 0; i < 5; i += 1) await backend.sendEvent('note', { i });
    await backend.sendEvent('report', { round: 1 });
    const firstA = await next('A', 'report-1');
    const firstB = await next('B', 'report-1');
    const notes = ['note:0', 'note:1', 'note:2', 'note:3', 'note:4', 'report:'];
    for (const r of [firstA, firstB]) {
      assert.equal(r.error, undefined, r.error);
      assert.deepEqual(r.events, notes, `tab ${r.tab}: each event once, in order`);
      assert.deepEqual(r.errors, [], `tab ${r.tab}: no errors`);
    }
    const all = [...firstA.handled, ...firstB.handled].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: REQUESTS }, (_, n) => n), 'every request handled exactly once');
    for (const a of answers) assert.ok((a.tab === 'A' ? firstA : firstB).handled.includes(a.n));

    // Tab A reloads; events are sent while it has no stream open.
    await backend.sendEvent('reload', { tab: 'A' });
    const reloading = await next('A', 'reloading');
    assert.equal(reloading.reader, readyA.reader);
    await next('A', 'reloaded-waiting', 2);  // the old document is gone
    for (let i = 0; i < 5; i += 1) await backend.sendEvent('during', { i });
    page.release('reopen-A');
    const reloaded = await next('A', 'reloaded', 2);
    assert.equal(reloaded.error, undefined, reloaded.error);
    assert.equal(reloaded.reader, readyA.reader, 'the reload keeps the tab\'s reader name');
    assert.deepEqual(reloaded.events, ['during:0', 'during:1', 'during:2', 'during:3', 'during:4'],
      'the reloaded tab gets what was sent while it was away, and nothing it had already taken');
    assert.deepEqual(reloaded.handled, [], 'no request is run again');

    await backend.sendEvent('report', { round: 2 });
    const secondB = await next('B', 'report-2');
    assert.deepEqual(secondB.events, [...notes, 'reload:', 'during:0', 'during:1', 'during:2', 'during:3',
      'during:4', 'report:']);
    assert.deepEqual(secondB.handled, firstB.handled);
  } finally {
    for (const c of cleanups.reverse()) await c();
    tmp.cleanup?.();
  }
});

test('a request the stream could not claim (the lock was busy) is claimed by the page itself', async () => {
  const tmp = tempDir('ipckit-js-claim-');
  const cleanups = [];
  try {
    const bridge = await startBridge(tmp.dir);
    cleanups.push(() => bridge.close());
    const backend = await FileChannel.backend(tmp.dir);
    cleanups.push(() => backend.close());
    const answer = backend.sendRequest('work', { n: 7 }, { timeoutMs: 30000 });
    await backend.sendEvent('after', null);  // written after the request: it is in the file
    // Another process holds .lock while the page's stream opens.
    const lock = new ChannelLockHelper(tmp.dir);
    cleanups.push(() => lock.close());
    await lock.acquire(10000);
    const urls = [];
    const ch = await BridgeFileChannel.frontend(bridge.url, {
      reader: 'node-page',
      fetch: (url, init) => { urls.push(String(url)); return fetch(url, init); },
    });
    cleanups.push(() => ch.close());
    let handled = 0;
    ch.onRequest('work', (p) => { handled += 1; return { n: p.n, by: ch.reader }; });
    // The stream's first events (the reader, the file) went out with its head.
    const until = Date.now() + 20000;
    while (ch.transport !== 'stream') {
      assert.ok(Date.now() < until, 'the stream opens');
      await new Promise((r) => setTimeout(r, 5));
    }
    await lock.release();
    assert.deepEqual(await within(30000, answer, 'the answer'), { n: 7, by: 'node-page' });
    assert.equal(handled, 1);
    assert.equal(urls.filter((u) => u.includes('/v1/claim/backend_to_frontend.json?reader=node-page')).length, 1,
      'no claims event listed the request: the page asked for it');
    const claims = readFileSync(path.join(tmp.dir, '.claims.backend_to_frontend.json'), 'utf8');
    assert.match(claims, /"reader":"node-page"/);
    // Once its response is written the request is settled and the cursor
    // passes it (sent on its own, 100 ms later, without another append).
    const cursorFile = path.join(tmp.dir, '.reader.backend_to_frontend.node-page.json');
    const saved = Date.now() + 10000;
    let pos = -1;
    while (pos !== 2 && Date.now() < saved) {
      await ch.cursorSaved();
      pos = JSON.parse(readFileSync(cursorFile, 'utf8')).pos;
      if (pos !== 2) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(pos, 2, 'the cursor is past the request and the event after it');
    assert.ok(urls.some((u) => u.includes('/v1/cursor/backend_to_frontend.json?reader=node-page')));
  } finally {
    for (const c of cleanups.reverse()) await c();
    tmp.cleanup();
  }
});
