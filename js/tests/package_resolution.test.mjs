// How the package resolves (issue 13, defects 7 and 12): `import 'ipckit'` in
// a browser bundle gets the browser entry (no node: modules);
// `ipckit/browser` resolves by require and under TypeScript's
// moduleResolution node; loading both builds in one realm makes one WASM
// instance.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import { build } from 'esbuild';
import ts from 'typescript';
import { DIST_CJS, DIST_ESM, JS_DIR, tempDir, runNodeModule } from './helpers.mjs';

// A consumer project whose node_modules/ipckit is this package.
function consumer() {
  const t = tempDir('ipckit-js-consumer-');
  mkdirSync(path.join(t.dir, 'node_modules'));
  symlinkSync(JS_DIR, path.join(t.dir, 'node_modules', 'ipckit'));
  return t;
}

describe('package resolution', () => {
  test("a browser bundle of `import 'ipckit'` gets the browser entry, with no node: import", async () => {
    const { dir, cleanup } = consumer();
    try {
      writeFileSync(path.join(dir, 'app.mjs'),
        "import * as m from 'ipckit'; globalThis.out = [typeof m.BridgeFileChannel, typeof m.IpcChannel];\n");
      const outfile = path.join(dir, 'out.mjs');
      const result = await build({
        entryPoints: [path.join(dir, 'app.mjs')], bundle: true, platform: 'browser', format: 'esm', outfile,
        logLevel: 'silent',
      });
      assert.deepEqual(result.errors, []);
      assert.doesNotMatch(readFileSync(outfile, 'utf8'), /["']node:/);
    } finally {
      cleanup();
    }
  });

  test("require('ipckit') in a browser iife bundle has no node: import and runs in a fresh vm context", async () => {
    const { dir, cleanup } = consumer();
    try {
      writeFileSync(path.join(dir, 'app.cjs'),
        "const m = require('ipckit'); globalThis.out = [typeof m.BridgeFileChannel, typeof m.IpcChannel, m.jsonDumps([1])];\n");
      const outfile = path.join(dir, 'out.js');
      const result = await build({
        entryPoints: [path.join(dir, 'app.cjs')], bundle: true, platform: 'browser', format: 'iife', target: 'es2020',
        outfile, logLevel: 'silent',
      });
      assert.deepEqual(result.errors, []);
      const code = readFileSync(outfile, 'utf8');
      assert.doesNotMatch(code, /["']node:/);
      // The web globals the package uses, and nothing of Node's.
      const context = vm.createContext({
        TextEncoder, TextDecoder, WebAssembly, URL, console, Event, EventTarget, DOMException,
      });
      vm.runInContext(code, context);
      assert.deepEqual(Array.from(context.out), ['function', 'undefined', '[1]']);
    } finally {
      cleanup();
    }
  });

  test("'ipckit/browser' resolves by require and under TypeScript moduleResolution node", () => {
    const { dir, cleanup } = consumer();
    try {
      const m = createRequire(path.join(dir, 'app.cjs'))('ipckit/browser');
      assert.equal(typeof m.BridgeFileChannel, 'function');
      assert.equal(m.IpcChannel, undefined);
      const options = { moduleResolution: ts.ModuleResolutionKind.Node10, module: ts.ModuleKind.CommonJS };
      const resolved = (name) => ts.resolveModuleName(name, path.join(dir, 'app.ts'), options, ts.sys)
        .resolvedModule?.resolvedFileName;
      assert.equal(path.basename(resolved('ipckit/browser') || ''), 'browser.d.ts');
      assert.equal(path.basename(resolved('ipckit') || ''), 'index.d.ts');
    } finally {
      cleanup();
    }
  });

  test('loading the ESM and the CommonJS build in one realm makes one WASM instance', async () => {
    const { code, out } = await runNodeModule(`
      import { createRequire } from 'node:module';
      let instances = 0;
      const { instantiate, Instance } = WebAssembly;
      WebAssembly.instantiate = (...a) => { instances += 1; return instantiate.apply(WebAssembly, a); };
      WebAssembly.Instance = function (...a) { instances += 1; return new Instance(...a); };
      const esm = await import(${JSON.stringify(DIST_ESM)});
      await esm.ready();
      const cjs = createRequire(import.meta.url)(${JSON.stringify(DIST_CJS)});
      console.log(JSON.stringify([instances, esm.jsonDumps([1]), cjs.jsonDumps([2])]));
    `);
    assert.equal(code, 0, out);
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), [1, '[1]', '[2]']);
  });
});
