'use strict';
// The WebAssembly backend on Node (wasm-bindgen's nodejs output loads the module synchronously).
// The glue reads its .wasm next to itself, so Node's own require loads it from the installed package
// (lib/load.js), never a bundler's.
const { createApi } = require('./lib/api.js');
const { packageRequire } = require('./lib/load.js');
const { version } = require('./package.json');

const load = packageRequire();
const glue = load.resolve('./wasm/node/hookverify_wasm.js');
const raw = load(glue);
if (raw.version() !== version) {
  throw new Error(`hookverify: the wasm build is version ${raw.version()}, the package is ${version}; rebuild`);
}

/**
 * A fresh instance after a trap: the glue module loaded again (its own instance, memory and
 * finalizers; objects of the trapped instance keep freeing into their own memory).
 */
function renew() {
  delete load.cache[glue];
  return load(glue);
}

module.exports = createApi(raw, 'wasm', { renew, faults: process.env.HOOKVERIFY_TEST_PANIC === '1' });
