// Loads the WASM build of the C++ core (ES module variant: asynchronous
// instantiation, works in pages and in Node). The CommonJS build of the
// package swaps this file for core_sync.cjs (see scripts/build.mjs).
import createIpckitCore from '../wasm/ipckit_core.mjs';

export const core = await createIpckitCore();
