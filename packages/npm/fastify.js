'use strict';
// hookverify/fastify: the plugin over the package's default backend (native, else wasm), so that
// `app.register(require('hookverify/fastify'), { path, ...options })` works as is.
const { createFastify } = require('./lib/fastify.js');

const { hookverify } = createFastify(require('./index.js'));
module.exports = hookverify;
module.exports.default = hookverify;
module.exports.hookverify = hookverify;
module.exports.createFastify = createFastify;
