'use strict';
// hookverify/fetch on Node (require): the Fetch API receiver over the package's default backend
// (native, else wasm).
const { createFetch } = require('./lib/fetch.js');

module.exports = createFetch(require('./index.js'));
