'use strict';
// The WebAssembly backend on Node (wasm-bindgen's nodejs output loads the module synchronously).
const { createApi } = require('./lib/api.js');
const { version } = require('./package.json');

const raw = require('./wasm/node/hookverify_wasm.js');
if (raw.version() !== version) {
  throw new Error(`hookverify: the wasm build is version ${raw.version()}, the package is ${version}; rebuild`);
}
module.exports = createApi(raw, 'wasm');
