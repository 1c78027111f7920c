// Assembles the publishable package in js/dist from the sources and the WASM
// build that Bazel made (bazel build //js:ipckit_core):
//
//   dist/wasm/ipckit_core.{mjs,cjs}  the core, ES module and CommonJS variants
//   dist/esm/**                      src/ as is (the ESM entry points)
//   dist/cjs/{index,browser}.cjs     src/{index,browser}.js bundled to CommonJS by
//                                    esbuild, with core.js swapped for core_sync.cjs
//   dist/types/*.d.{ts,cts}          the hand-written declarations (ESM, CJS)
//
// Usage: node scripts/build.mjs [--wasm-dir DIR]   (default ../bazel-bin/js)
import { build } from 'esbuild';
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const wasmDirArg = args.indexOf('--wasm-dir');
const wasmDir = path.resolve(root, wasmDirArg >= 0 ? args[wasmDirArg + 1] : '../bazel-bin/js');
const dist = path.join(root, 'dist');

async function mustExist(file) {
  try {
    await stat(file);
  } catch {
    throw new Error(`${file} is missing: run "bazel build //js:ipckit_core" first (js/run_tests.sh does)`);
  }
}

const wasmFiles = ['ipckit_core.mjs', 'ipckit_core.cjs'];
for (const f of wasmFiles) await mustExist(path.join(wasmDir, f));

await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'wasm'), { recursive: true });
for (const f of wasmFiles) await cp(path.join(wasmDir, f), path.join(dist, 'wasm', f));

await cp(path.join(root, 'src'), path.join(dist, 'esm'), {
  recursive: true,
  filter: (src) => !src.endsWith('.cjs'),
});
await cp(path.join(root, 'types'), path.join(dist, 'types'), { recursive: true });
// CommonJS consumers need .d.cts declarations (TypeScript reads .d.ts as ESM
// in a "type": "module" package): the same text, pointing at each other.
for (const name of ['index', 'common', 'browser']) {
  const text = await readFile(path.join(root, 'types', `${name}.d.ts`), 'utf8');
  await writeFile(path.join(dist, 'types', `${name}.d.cts`), text.replaceAll("'./common.js'", "'./common.cjs'"));
}

// CommonJS: one bundle of the sources; the WASM module stays a separate file.
const swapCoreForSync = {
  name: 'ipckit-core-sync',
  setup(b) {
    b.onResolve({ filter: /^\.\/core\.js$/ }, (a) => ({ path: path.join(path.dirname(a.importer), 'core_sync.cjs') }));
    b.onResolve({ filter: /\/wasm\/ipckit_core\.cjs$/ }, () => ({ path: '../wasm/ipckit_core.cjs', external: true }));
  },
};
// index.cjs for Node; browser.cjs for require('ipckit/browser') and for
// bundlers that resolve require('ipckit') with the browser condition.
for (const [entry, platform, target] of [['index', 'node', 'node18'], ['browser', 'browser', 'es2020']]) {
  await build({
    entryPoints: [path.join(root, 'src', `${entry}.js`)],
    outfile: path.join(dist, 'cjs', `${entry}.cjs`),
    bundle: true,
    format: 'cjs',
    platform,
    target,
    plugins: [swapCoreForSync],
    logLevel: 'warning',
    legalComments: 'none',
  });
}

const files = [];
async function walk(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p);
    else files.push(path.relative(root, p));
  }
}
await walk(dist);
console.log(`build: ${files.length} files in dist/`);
