'use strict';
// hookverify/express: the webhook middleware over the package's default backend (native, else wasm).
const { createExpress } = require('./lib/express.js');

module.exports = createExpress(require('./index.js'));
