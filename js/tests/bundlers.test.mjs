// The bundler matrix (issue 13, defect 7): a small app that imports 'ipckit'
// (tests/bundlers/app) is bundled, with each bundler's defaults, by esbuild
// (esm, iife, cjs, es2020), Vite 5 and the current Vite (build and dev
// server) and webpack 5, for pages and for Node. Each bundle then runs: in
// Node, and for pages also in headless Chromium, one iframe per bundle (its
// own realm, so each loads its own WASM core). It must load the core lazily
// (NotReadyError before ready()), encode and decode frames and messages
// through it, keep error names when minified, and leave Node-only exports
// out of page bundles. The bundlers are installed by tools/setup.d/20-js.sh
// from tests/bundlers/package-lock.json; the package is installed from its
// tarball into a fresh project, as a user would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { JS_DIR, installPackedPackage, tempDir, within } from './helpers.mjs';
import { CHROMIUM, launchChromium, startPageServer } from './page_harness.mjs';

const BUNDLERS = path.join(JS_DIR, 'tests', 'bundlers');
const requireBundler = createRequire(path.join(BUNDLERS, 'package.json'));
// A bundler's Node API, by its ES module entry where it has one (Vite's
// CommonJS API is deprecated).
const ESM_ENTRIES = { vite: 'dist/node/index.js', vite5: 'dist/node/index.js' };
const load = (name) => import(pathToFileURL(ESM_ENTRIES[name]
  ? path.join(BUNDLERS, 'node_modules', name, ESM_ENTRIES[name]) : requireBundler.resolve(name)).href);

const PAGE_RESULT = {
  loadedAtStart: false,
  early: 'NotReadyError',
  frame: [2, 0, 0, 0, 104, 105],
  payloads: ['bundled'],
  message: ['tick', '{"n":[1,2.5]}'],
  bridge: 'function',
  nodeOnly: [],
  errorName: 'TimeoutError',
};
const NODE_RESULT = { sum: 42, frame: [2, 0, 0, 0, 104, 105], ipc: 'function' };

let tmp;
let app;
let out;
const pages = new Map();  // label -> path of its page under out/, for Chromium
const devServers = [];    // Vite dev servers: {label, url, close}

before(() => {
  assert.ok(existsSync(path.join(BUNDLERS, 'node_modules', 'vite5')),
    `${BUNDLERS}/node_modules is missing: run tools/setup.sh`);
  tmp = tempDir('ipckit-js-bundlers-');
  app = path.join(tmp.dir, 'app');
  out = path.join(tmp.dir, 'out');
  cpSync(path.join(BUNDLERS, 'app'), app, { recursive: true });
  installPackedPackage(tmp.dir);
});

after(async () => {
  for (const s of devServers) await s.close();
  tmp?.cleanup();
});

// Runs a bundle with node (a minified bundle is one long line: only the
// end of the output is kept); resolves with what it reported.
function runInNode(file) {
  const child = spawn(process.execPath, [file], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d) => { text += d; });
  child.stderr.on('data', (d) => { text += d; });
  // 'close': once the output is all read ('exit' may come before its end).
  return within(30000, new Promise((resolve) => child.on('close', (code) => {
    const line = text.split('\n').find((l) => l.startsWith('IPCKIT_RESULT '));
    resolve(line ? JSON.parse(line.slice('IPCKIT_RESULT '.length)) : { error: `exit ${code}: ${text.slice(-3000)}` });
  })), `node ${file}`);
}

function writePage(label, script, type) {
  const dir = path.join(out, label);
  writeFileSync(path.join(dir, 'index.html'),
    `<!doctype html><meta charset="utf-8"><script${type === 'module' ? ' type="module"' : ''} src="./${script}"></script>\n`);
  pages.set(label, `/${label}/index.html`);
}

async function esbuild(label, entry, options) {
  const { build } = await load('esbuild');
  const ext = options.format === 'esm' ? 'mjs' : options.format === 'cjs' ? 'cjs' : 'js';
  const outfile = path.join(out, label, `bundle.${ext}`);
  const result = await build({
    entryPoints: [path.join(app, entry)], bundle: true, outfile, logLevel: 'silent', minify: true, ...options,
  });
  assert.deepEqual(result.errors, []);
  return outfile;
}

async function vite(label, name) {
  const { build } = await load(name);
  const outDir = path.join(out, label);
  // base './': the page is served from /<label>/, not the server's root.
  await build({ root: app, base: './', configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  const assets = readdirSync(path.join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
  assert.equal(assets.length, 1, `${label}: one script, got ${assets}`);
  // Vite writes ES modules with a .js name; Node needs to be told.
  writeFileSync(path.join(outDir, 'assets', 'package.json'), '{"type":"module"}\n');
  pages.set(label, `/${label}/index.html`);
  return path.join(outDir, 'assets', assets[0]);
}

async function webpack(label, entry, target) {
  const { default: webpackFn } = await load('webpack');
  const outDir = path.join(out, label);
  const stats = await new Promise((resolve, reject) => {
    webpackFn({
      mode: 'production', target, entry: path.join(app, entry), context: tmp.dir,
      output: { path: outDir, filename: 'bundle.js' },
    }, (err, s) => (err ? reject(err) : resolve(s)));
  });
  assert.ok(!stats.hasErrors(), stats.toString({ all: false, errors: true }));
  return path.join(outDir, 'bundle.js');
}

describe('bundlers', () => {
  const pageBundles = [
    ['esbuild esm', () => esbuild('esbuild-esm', 'browser_app.js', { platform: 'browser', format: 'esm' }), 'module'],
    ['esbuild iife', () => esbuild('esbuild-iife', 'browser_app.js', { platform: 'browser', format: 'iife' }), 'classic'],
    ['esbuild es2020', () => esbuild('esbuild-es2020', 'browser_app.js',
      { platform: 'browser', format: 'esm', target: 'es2020' }), 'module'],
    ['esbuild cjs (page)', () => esbuild('esbuild-cjs-page', 'browser_app.js', { platform: 'browser', format: 'cjs' }), null],
    ['vite 5 build', () => vite('vite5', 'vite5'), 'vite'],
    ['vite (current) build', () => vite('vite', 'vite'), 'vite'],
    ['webpack 5 web', () => webpack('webpack-web', 'browser_app.js', 'web'), 'classic'],
  ];
  for (const [name, make, kind] of pageBundles) {
    test(`${name}: a page bundle builds${kind === 'vite' ? '' : ' and runs in Node'}`, async () => {
      const file = await make();
      const code = readFileSync(file, 'utf8');
      assert.doesNotMatch(code, /["']node:/, 'no node: import in a page bundle');
      if (kind === 'module' || kind === 'classic') writePage(path.basename(path.dirname(file)), path.basename(file), kind);
      // Vite's page scripts assume a document (its modulepreload polyfill):
      // they run in Chromium only.
      if (kind !== 'vite') assert.deepEqual(await runInNode(file), PAGE_RESULT);
    });
  }

  const nodeBundles = [
    ['esbuild cjs (node)', () => esbuild('esbuild-cjs-node', 'node_app.js', { platform: 'node', format: 'cjs' })],
    ['esbuild esm (node)', () => esbuild('esbuild-esm-node', 'node_app.js', { platform: 'node', format: 'esm' })],
    ['webpack 5 node', () => webpack('webpack-node', 'node_app.js', 'node')],
  ];
  for (const [name, make] of nodeBundles) {
    test(`${name}: a Node bundle builds and runs`, async () => {
      assert.deepEqual(await runInNode(await make()), NODE_RESULT);
    });
  }

  for (const [label, name] of [['vite5-dev', 'vite5'], ['vite-dev', 'vite']]) {
    test(`${name} dev server: starts and pre-bundles ipckit`, async () => {
      const { createServer } = await load(name);
      const server = await createServer({
        root: app, configFile: false, logLevel: 'silent', server: { host: '127.0.0.1', port: 0, strictPort: true },
      });
      await server.listen();
      const { port } = server.httpServer.address();
      devServers.push({ label, url: `http://127.0.0.1:${port}/`, close: () => server.close() });
      // The transformed app imports the pre-bundled ipckit (the step top-level
      // await broke); fetching it makes the dev server bundle it.
      const res = await fetch(`http://127.0.0.1:${port}/browser_app.js`);
      assert.equal(res.status, 200);
      const dep = /from\s*"([^"]*ipckit[^"]*)"/.exec(await res.text());
      assert.ok(dep, 'the app imports ipckit through the dev server');
      const bundled = await fetch(new URL(dep[1], `http://127.0.0.1:${port}/`));
      assert.equal(bundled.status, 200, `${dep[1]}: ${await bundled.text()}`);
    });
  }

  test('every page bundle and dev server runs in headless Chromium', async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tools/setup.sh`);
    const frames = [...[...pages].map(([label, p]) => [label, p]), ...devServers.map((s) => [s.label, s.url])];
    assert.deepEqual(frames.map((f) => f[0]).sort(), ['esbuild-es2020', 'esbuild-esm', 'esbuild-iife', 'vite', 'vite-dev',
      'vite5', 'vite5-dev', 'webpack-web']);
    const results = await inChromium(frames);
    assert.deepEqual(Object.keys(results).sort().join(' '), frames.map((f) => f[0]).sort().join(' '),
      'bundles that reported');
    assert.deepEqual(results, Object.fromEntries(frames.map(([label]) => [label, PAGE_RESULT])));
  });
});

// Serves out/ and a page that loads each bundle in its own iframe and
// posts {label: result} to /result once all have reported (or 30 s passed).
async function inChromium(frames) {
  const page = `<!doctype html><meta charset="utf-8"><body></body><script>
const frames = ${JSON.stringify(frames)};
const results = {};
const labelOf = new Map();
addEventListener('message', (e) => {
  const label = labelOf.get(e.source);
  if (!label || !e.data || !e.data.result) return;
  results[label] = e.data.result;
  if (Object.keys(results).length === frames.length) post();
});
let posted = false;
function post() {
  if (!posted) fetch('/result', { method: 'POST', body: JSON.stringify(results) });
  posted = true;
}
// A bundle that never reports is missing from what is posted after 30 s.
setTimeout(post, 30000);
for (const [label, src] of frames) {
  const f = document.createElement('iframe');
  f.src = src;
  document.body.appendChild(f);
  labelOf.set(f.contentWindow, label);
}
</script>`;
  const server = await startPageServer(() => page, { root: out, prefix: '/' });
  const profile = tempDir('ipckit-js-chromium-');
  const browser = launchChromium(profile.dir, `${server.origin}/`);
  try {
    return await within(60000, server.result, `the bundles' results (chromium log: ${browser.log()})`);
  } finally {
    await browser.kill();
    await server.close();
    rmSync(profile.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
