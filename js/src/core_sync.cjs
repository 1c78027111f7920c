// CommonJS counterpart of core.js: the CommonJS variant of the WASM build
// instantiates synchronously, so require('ipckit') returns a ready module
// (ready() resolves at once). It shares core.js's per-realm instance (same
// globalThis key).
const CORE_KEY = Symbol.for('ipckit.core.v0.2');

if (!globalThis[CORE_KEY]) {
  const createIpckitCore = require('../wasm/ipckit_core.cjs');
  globalThis[CORE_KEY] = createIpckitCore();
}
exports.ready = () => Promise.resolve();
exports.isReady = () => true;
exports.core = () => globalThis[CORE_KEY];
