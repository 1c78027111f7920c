// The published package: the tarball (Bazel's //js:npm_package under
// run_tests.sh, else `npm pack`) that a fresh Node project can `npm install`
// (offline: it has no dependencies) and then require, import, and
// type-check against.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { JS_DIR, installPackedPackage, tempDir } from './helpers.mjs';

let tmp;
let project;
let tarball;

before(() => {
  tmp = tempDir('ipckit-js-pack-');
  project = path.join(tmp.dir, 'app');
  tarball = installPackedPackage(project);
});

after(() => tmp?.cleanup());

test('the tarball holds the built package and nothing from the source tree', () => {
  const root = path.join(project, 'node_modules', 'ipckit');
  for (const f of ['package.json', 'README.md', 'BRIDGE.md', 'dist/cjs/index.cjs', 'dist/esm/index.js',
    'dist/esm/browser.js', 'dist/wasm/ipckit_core.mjs', 'dist/wasm/ipckit_core.cjs', 'dist/types/index.d.ts']) {
    assert.ok(existsSync(path.join(root, f)), f);
  }
  for (const f of ['src', 'tests', 'wasm', 'node_modules', 'BUILD']) assert.ok(!existsSync(path.join(root, f)), f);
  const version = (dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  assert.equal(version(root), version(JS_DIR));
  assert.equal(path.basename(tarball), `ipckit-${version(JS_DIR)}.tgz`);
});

test('require() works in a fresh project', () => {
  const out = execFileSync('node', ['-e', `
    const ipckit = require('ipckit');
    const frame = ipckit.encodeFrame('hi');
    console.log(ipckit.jsonDumps({ ok: true, frame: [...frame] }), typeof ipckit.FileChannel, typeof ipckit.IpcChannel);
  `], { cwd: project, encoding: 'utf8' });
  assert.equal(out.trim(), '{"ok":true,"frame":[2,0,0,0,104,105]} function function');
});

test('import works in a fresh project, for both entry points', () => {
  const out = execFileSync('node', ['--input-type=module', '-e', `
    import { jsonDumps, FileChannel, ready } from 'ipckit';
    import * as browser from 'ipckit/browser';
    await ready();
    console.log(jsonDumps([1.5]), typeof FileChannel, typeof browser.parseChannelFile, 'FileChannel' in browser);
  `], { cwd: project, encoding: 'utf8' });
  assert.equal(out.trim(), '[1.5] function function false');
});

test('a FileChannel round trip runs from the installed package', () => {
  const out = execFileSync('node', ['--input-type=module', '-e', `
    import { FileChannel } from 'ipckit';
    import { mkdtempSync, rmSync } from 'node:fs';
    const dir = mkdtempSync('/tmp/ipckit-js-app-');
    const be = await FileChannel.backend(dir);
    const fe = await FileChannel.frontend(dir);
    be.onRequest('double', (x) => x * 2);
    console.log(await fe.sendRequest('double', 21, { timeoutMs: 5000 }));
    await fe.close(); await be.close();
    rmSync(dir, { recursive: true });
  `], { cwd: project, encoding: 'utf8', timeout: 20000 });
  assert.equal(out.trim(), '42');
});

test('the .d.ts files type-check TypeScript consumers, ESM and CommonJS (tsc, strict, node16)', () => {
  const body = `
    async function main(): Promise<void> {
      const ch: FileChannel = await FileChannel.frontend('./dir', { retention: { maxMessages: 10 } });
      const off: () => void = ch.onRequest('m', async (params: unknown, m: FileMessage) => ({ id: m.id, params }));
      off();
      const n: number = await ch.sendRequest('add', { a: 1 }, { timeoutMs: 100, signal: AbortSignal.timeout(50) });
      ch.addEventListener('message', (e) => console.log(e.message?.id));
      for await (const m of ch.messages({ type: 'event' })) console.log(m.method);
      const id: string = await ch.sendEvent('e', [n]);
      const v: JsonValue = jsonLoads(jsonDumps({ id }));
      const ipc = await IpcChannel.connect('jobs', { timeoutMs: 5, maxPayload: 1024 });
      const bytes: Uint8Array = await ipc.recv({ timeoutMs: 1 });
      const e: TimeoutError = new TimeoutError('x');
      console.log(v, bytes.length, e.errorClass);
      await ch.close();
      ipc.close();
    }
    void main;
  `;
  writeFileSync(path.join(project, 'esm.mts'), `
    import { FileChannel, IpcChannel, jsonDumps, jsonLoads, TimeoutError, type FileMessage, type JsonValue } from 'ipckit';
    import { parseChannelFile } from 'ipckit/browser';
    const msgs: FileMessage[] = parseChannelFile('[]');
    void msgs;
    ${body}
  `);
  writeFileSync(path.join(project, 'cjs.cts'), `
    import { FileChannel, IpcChannel, jsonDumps, jsonLoads, TimeoutError, type FileMessage, type JsonValue } from 'ipckit';
    ${body}
  `);
  const tsconfig = (files) => JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022',
      types: [], skipLibCheck: false, lib: ['es2022', 'dom'],
    },
    files,
  });
  const tsc = path.join(JS_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
  const check = () => execFileSync('node', [tsc, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
  writeFileSync(path.join(project, 'tsconfig.json'), tsconfig(['esm.mts', 'cjs.cts']));
  check();
  // A wrong use is caught, so the check above is not vacuous.
  writeFileSync(path.join(project, 'bad.mts'), `
    import { FileChannel } from 'ipckit';
    const n: number = FileChannel.frontend('./dir');
    void n;
  `);
  writeFileSync(path.join(project, 'tsconfig.json'), tsconfig(['bad.mts']));
  assert.throws(check, (err) => /TS2322/.test(String(err.stdout)));

  // A channel schema types methods, params, results and event payloads.
  const schema = `
    import { FileChannel } from 'ipckit';
    interface Ui {
      requests: { getUser: { params: { id: number }; result: { name: string } } };
      handles: { getTheme: { params: null; result: { theme: string } } };
      emits: { clicked: { x: number } };
      receives: { status: { ok: boolean } };
    }
    async function main(): Promise<void> {
      const ch = await FileChannel.frontend<Ui>('./dir');
      const user: { name: string } = await ch.sendRequest('getUser', { id: 7 });
      ch.onRequest('getTheme', () => ({ theme: 'dark' }));
      ch.onEvent('status', (s) => { const ok: boolean = s.ok; void ok; });
      await ch.sendEvent('clicked', { x: 1 });
      void user;
      BAD
    }
    void main;
  `;
  writeFileSync(path.join(project, 'typed.mts'), schema.replace('BAD', ''));
  writeFileSync(path.join(project, 'tsconfig.json'), tsconfig(['typed.mts']));
  check();
  // Each wrong use, one a line, is an error on its own line (one tsc run).
  const bad = [
    "await ch.sendRequest('getUsr', { id: 7 });",
    "await ch.sendRequest('getUser', { id: '7' });",
    "const n: number = await ch.sendRequest('getUser', { id: 7 }); void n;",
    "ch.onRequest('getTheme', () => ({ colour: 1 }));",
    "await ch.sendEvent('clicked', { y: 1 });",
    "ch.onEvent('status', (s) => { const n: number = s.ok; void n; });",
  ];
  const text = schema.replace('BAD', bad.join('\n'));
  writeFileSync(path.join(project, 'typed.mts'), text);
  const firstBad = text.split('\n').findIndex((l) => l.includes(bad[0])) + 1;
  let stdout = '';
  assert.throws(check, (err) => { stdout = String(err.stdout); return true; });
  const errorLines = new Set([...stdout.matchAll(/typed\.mts\((\d+),\d+\): error TS/g)].map((m) => Number(m[1])));
  bad.forEach((line, i) => assert.ok(errorLines.has(firstBad + i), `no type error for: ${line}\n${stdout}`));
});

test('the declarations name exactly the values each entry point exports', async () => {
  const { default: ts } = await import(path.join(JS_DIR, 'node_modules', 'typescript', 'lib', 'typescript.js'));
  for (const entry of ['index', 'browser']) {
    const file = path.join(JS_DIR, 'dist', 'types', `${entry}.d.ts`);
    const program = ts.createProgram([file], {
      module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, noEmit: true, types: [],
    });
    const checker = program.getTypeChecker();
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
    const declared = checker.getExportsOfModule(moduleSymbol)
      .filter((s) => {
        const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        return target.flags & ts.SymbolFlags.Value;
      })
      .map((s) => s.name)
      .sort();
    const actual = Object.keys(await import(path.join(JS_DIR, 'dist', 'esm', `${entry}.js`))).sort();
    assert.deepEqual(declared, actual, `${entry}.d.ts vs ${entry}.js`);
  }
});
