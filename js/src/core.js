// Loads the WASM build of the C++ core (ES module variant: asynchronous
// instantiation, works in pages and in Node). The CommonJS build of the
// package swaps this file for core_sync.cjs (see scripts/build.mjs).
//
// One instance per realm: whichever build loads first keeps the instance on
// globalThis under CORE_KEY and the other reuses it, so loading the ESM and
// the CommonJS build together does not make two WASM heaps.
import createIpckitCore from '../wasm/ipckit_core.mjs';

const CORE_KEY = Symbol.for('ipckit.core.v0.2');

async function sharedCore() {
  if (globalThis[CORE_KEY]) return globalThis[CORE_KEY];
  const created = await createIpckitCore();
  // Another build may have finished first while this one was instantiating.
  globalThis[CORE_KEY] ??= created;
  return globalThis[CORE_KEY];
}

export const core = await sharedCore();
