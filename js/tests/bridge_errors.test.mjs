// Connection failures say what is wrong (issue 13, defect 9): with no bridge
// at the URL, BridgeFileChannel.frontend() throws an IpckitError naming the
// URL and the system error (not a bare "fetch failed"); a page on an origin
// the bridge does not allow is told so, with the --allow-origin to add (not
// a bare "Failed to fetch").
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { test } from 'node:test';
import { DIST_ESM, tempDir, within } from './helpers.mjs';
import { CHROMIUM, launchChromium, startPageServer } from './page_harness.mjs';
import { startBridge } from './python_helpers.mjs';

const { BridgeFileChannel, IpckitError } = await import(DIST_ESM);

// A loopback port nothing listens on: one the kernel just gave out, closed.
async function closedPort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

test('no bridge at the URL: an IpckitError naming the URL and the cause', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  await assert.rejects(BridgeFileChannel.frontend(`${url}/?token=abc`), (err) => {
    assert.ok(err instanceof IpckitError, `${err}`);
    assert.equal(err.errorClass, 'peer_closed');
    assert.match(err.message, new RegExp(`no ipckit bridge answers at ${url}`));
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /ipckit serve/);
    assert.doesNotMatch(err.message, /abc/, 'the token is not in the message');
    assert.ok(err.cause, 'the system error is the cause');
    return true;
  });
});

test('a page on an origin the bridge does not allow is told which origin to allow', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
  const tmp = tempDir();
  const profile = tempDir('ipckit-js-chromium-');
  const ref = { url: '' };
  // The page is rendered when Chromium asks for it, after ref.url is set.
  const page = await startPageServer(() => `<!doctype html><meta charset="utf-8"><script type="module">
import { BridgeFileChannel } from '/pkg/esm/browser.js';
let result;
try {
  await BridgeFileChannel.frontend(${JSON.stringify(ref.url)});
  result = { connected: true };
} catch (e) {
  result = { name: e.name, errorClass: e.errorClass, message: e.message, origin: location.origin };
}
await fetch('/result', { method: 'POST', body: JSON.stringify(result) });
</script>`);
  // Allows some other origin, not the page's.
  const bridge = await startBridge(tmp.dir, { allowOrigins: ['http://127.0.0.1:1'] });
  ref.url = bridge.url;
  const browser = launchChromium(profile.dir, `${page.origin}/`);
  try {
    const r = await within(60000, page.result, `the page's result (chromium log: ${browser.log()})`);
    assert.equal(r.origin, page.origin);
    assert.equal(r.name, 'PermissionDeniedError', JSON.stringify(r));
    assert.equal(r.errorClass, 'permission_denied');
    assert.ok(r.message.includes(`does not allow this page's origin ${page.origin}`), r.message);
    assert.ok(r.message.includes(`--allow-origin ${page.origin}`), r.message);
  } finally {
    await browser.kill();
    await bridge.close();
    await page.close();
    tmp.cleanup();
    rmSync(profile.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});

test('a page loaded from file:// is told that its requests carry Origin: null', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
  const tmp = tempDir();
  const profile = tempDir('ipckit-js-chromium-');
  // Module scripts do not load from file://: the page gets a classic bundle.
  await build({
    entryPoints: [path.join(path.dirname(DIST_ESM), 'browser.js')], bundle: true, format: 'iife',
    globalName: 'ipckit', outfile: path.join(tmp.dir, 'ipckit.js'), logLevel: 'silent',
  });
  const reporter = await startPageServer(() => '');
  const bridgeUrl = `http://127.0.0.1:${await closedPort()}`;
  writeFileSync(path.join(tmp.dir, 'page.html'), `<!doctype html><meta charset="utf-8"><script src="ipckit.js"></script><script>
ipckit.BridgeFileChannel.frontend(${JSON.stringify(bridgeUrl)}).then(
  () => ({ connected: true }),
  (e) => ({ name: e.name, message: e.message, origin: location.origin }),
).then((result) => fetch(${JSON.stringify(`${reporter.origin}/result`)},
  { method: 'POST', mode: 'no-cors', body: JSON.stringify(result) }));
</script>`);
  const browser = launchChromium(profile.dir, pathToFileURL(path.join(tmp.dir, 'page.html')).href);
  try {
    const r = await within(60000, reporter.result, `the page's result (chromium log: ${browser.log()})`);
    assert.equal(r.origin, 'file://');
    assert.equal(r.name, 'IpckitError', JSON.stringify(r));
    assert.ok(r.message.includes(`cannot reach the ipckit bridge at ${bridgeUrl}`), r.message);
    assert.ok(r.message.includes('loaded from file://, so its requests carry `Origin: null`'), r.message);
  } finally {
    await browser.kill();
    await reporter.close();
    tmp.cleanup();
    rmSync(profile.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
