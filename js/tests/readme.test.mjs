// The examples of js/README.md, run as a user would: every ```js block, as
// written, in a fresh project where the package tarball (Bazel's
// //js:npm_package under run_tests.sh) was installed with npm. The
// FileChannel example talks to a backend in another process; the IpcChannel
// one runs on a name unique to this run.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { JS_DIR, installPackedPackage, tempDir, uniqueName, within } from './helpers.mjs';

const README = readFileSync(path.join(JS_DIR, 'README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

let tmp;
let project;

before(() => {
  tmp = tempDir('ipckit-js-readme-');
  project = path.join(tmp.dir, 'app');
  installPackedPackage(project);
});

after(() => tmp?.cleanup());

// Runs a README block as a file of the project (.mjs for import, .cjs for
// require); resolves {code, out}.
function runBlock(source, name) {
  const file = path.join(project, `${name}.${/^import /m.test(source) ? 'mjs' : 'cjs'}`);
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 30000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function block(pattern) {
  const found = BLOCKS.filter((b) => pattern.test(b));
  assert.equal(found.length, 1, `one README block matches ${pattern}`);
  return found[0];
}

test('the README has the examples this file runs', () => {
  assert.equal(BLOCKS.length, 4, 'js blocks in js/README.md: a new one needs a test here');
});

test('FileChannel example: a frontend talks to a backend process', async () => {
  const source = block(/onRequest\('getTheme'/);
  // The backend: answers getUser, and exits once the frontend's event came.
  const backend = spawn(process.execPath, ['--input-type=module', '-e', `
    import { FileChannel } from 'ipckit';
    const ch = await FileChannel.backend('./ipc_channel');
    ch.onRequest('getUser', (p) => ({ id: p.id, name: 'ada' }));
    ch.onEvent('clicked', async (p) => { console.log('clicked ' + JSON.stringify(p)); await ch.close(); });
    console.log('ready');
  `], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  backend.stdout.on('data', (d) => { out += d; });
  backend.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => backend.on('exit', r));
  try {
    await within(20000, new Promise((resolve) => {
      const check = () => { if (out.includes('ready\n')) resolve(); };
      backend.stdout.on('data', check);
      check();
    }), `the backend (${out})`);
    const r = runBlock(source, 'file_channel_example');
    assert.equal(r.code, 0, r.out);
    assert.equal(await within(20000, exited, 'backend exit'), 0, out);
    assert.match(out, /clicked \{"x":1\}/);
  } finally {
    backend.kill();
  }
});

test('IpcChannel example (CommonJS): a server and a client in one script', () => {
  const name = uniqueName('readme');
  const source = block(/IpcChannel\.connect/).replaceAll("'jobs'", `'${name}'`);
  const r = runBlock(source, 'ipc_channel_example');
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), "{ done: 'greeting' }");
});

test('AbortSignal and events example: the aborted request, then the close ending the loop', () => {
  const r = runBlock(block(/new AbortController/), 'abort_example');
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), 'AbortError\nclosed');
});

test('ready() example: synchronous functions after the core loaded', () => {
  const r = runBlock(block(/await ready\(\)/), 'ready_example');
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), 'Uint8Array(6) [ 2, 0, 0, 0, 104, 105 ]');
});
