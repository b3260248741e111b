'use strict';
// Node entry: the native addon when it loads and matches this version, else WebAssembly.
let api;
try {
  api = require('./native.js');
} catch (nativeError) {
  try {
    api = require('./wasm.js');
  } catch (wasmError) {
    throw new Error(`hookverify: neither backend loads.\nnative: ${nativeError.message}\nwasm: ${wasmError.message}`);
  }
}
module.exports = api;
