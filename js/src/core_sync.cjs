// CommonJS counterpart of core.js: the CommonJS variant of the WASM build
// instantiates synchronously, so require('ipckit') returns a ready module.
const createIpckitCore = require('../wasm/ipckit_core.cjs');

exports.core = createIpckitCore();
