'use strict';
// The WebAssembly backend on Node (wasm-bindgen's nodejs output loads the module synchronously).
const { createApi } = require('./lib/api.js');
const { version } = require('./package.json');

const glue = require.resolve('./wasm/node/hookverify_wasm.js');
const raw = require(glue);
if (raw.version() !== version) {
  throw new Error(`hookverify: the wasm build is version ${raw.version()}, the package is ${version}; rebuild`);
}

/**
 * A fresh instance after a trap: the glue module loaded again (its own instance, memory and
 * finalizers; objects of the trapped instance keep freeing into their own memory).
 */
function renew() {
  delete require.cache[glue];
  return require(glue);
}

module.exports = createApi(raw, 'wasm', { renew, faults: process.env.HOOKVERIFY_TEST_PANIC === '1' });
