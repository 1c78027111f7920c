// Loads the WASM build of the C++ core (ES module variant: asynchronous
// instantiation, works in pages and in Node), lazily: nothing happens at
// import, so the package has no top-level await and bundles to any output
// format. The CommonJS build swaps this file for core_sync.cjs, which
// instantiates synchronously (see scripts/build.mjs).
//
//   import { ready, encodeFrame } from 'ipckit';
//   await ready();            // once; FileChannel.frontend() etc. do it for you
//   encodeFrame('hi');        // synchronous functions need the core loaded
//
// One instance per realm: whichever build loads first keeps the instance on
// globalThis under CORE_KEY and the other reuses it, so loading the ESM and
// the CommonJS build together does not make two WASM heaps.
import createIpckitCore from '../wasm/ipckit_core.mjs';
import { NotReadyError, makeError } from './errors.js';

const CORE_KEY = Symbol.for('ipckit.core.v0.2');

let loading = null;

// Resolves once the WASM core is loaded (at once if it already is); starts
// loading on the first call. Rejects with an IpckitError if it cannot load
// (the next call tries again).
export function ready() {
  if (globalThis[CORE_KEY]) return Promise.resolve();
  loading ??= createIpckitCore().then((created) => {
    // Another build may have finished first while this one was instantiating.
    globalThis[CORE_KEY] ??= created;
  }, (err) => {
    loading = null;
    throw makeError('io', `ipckit: the WASM core failed to load: ${err && err.message ? err.message : String(err)}`,
      { cause: err });
  });
  return loading;
}

// Whether the core is loaded (synchronous functions work).
export function isReady() {
  return Boolean(globalThis[CORE_KEY]);
}

// The loaded core; NotReadyError before ready() has resolved.
export function core() {
  const loaded = globalThis[CORE_KEY];
  if (!loaded) {
    throw new NotReadyError(
      'ipckit: the WASM core is not loaded yet: `await ready()` (exported by ipckit) before calling synchronous '
      + 'functions such as encodeFrame or jsonDumps; async APIs (FileChannel.frontend, IpcChannel.connect, ...) wait '
      + 'for it themselves');
  }
  return loaded;
}
