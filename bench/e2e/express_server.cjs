'use strict';
// End-to-end bench server: `node express_server.cjs bare|native|wasm PORT`, Standard Webhooks on
// POST /webhooks, one Node process.
// - bare: `express.raw()` reads the body and the route answers 200 without verifying anything.
// - native / wasm: hookverify/express over that backend: verify + MemoryStore dedup + dispatch to a
//   no-op `user.created` handler, sync mode (handler runs before the answer).
// - raw-verify-native / raw-verify-wasm (a floor, for information): the bare route plus only
//   `Verifier.verifySignature` of that backend on the same body and headers: what the signature
//   check alone costs inside this server (no parsing, dedup, dispatch or answer body).
const path = require('node:path');
const { createRequire } = require('node:module');

// express and hookverify as the Node test suite installs them (tests/node/node_modules).
const req = createRequire(path.join(__dirname, '../../tests/node/package.json'));
const express = req('express');
const [mode = 'bare', port = '3000'] = process.argv.slice(2);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const app = express();
if (mode === 'bare' || mode.startsWith('raw-verify-')) {
  const verifier = mode === 'bare' ? null : new (req(`hookverify/${mode.slice('raw-verify-'.length)}`).Verifier)({ scheme: 'standard', secret: SECRET });
  app.post('/webhooks', express.raw({ type: '*/*', limit: '25mb' }), (request, res) => {
    if (!Buffer.isBuffer(request.body)) throw new Error('no body');
    if (verifier) verifier.verifySignature(request.body, request.headers); // throws (500) when it fails
    res.status(200).end();
  });
} else {
  const api = req(mode === 'wasm' ? 'hookverify/wasm' : 'hookverify/native');
  const { webhook } = req('hookverify/express').createExpress(api);
  app.post('/webhooks', webhook({
    scheme: 'standard',
    secret: SECRET,
    store: new api.MemoryStore(),
    mode: 'sync',
    handlers: { 'user.created': () => {} },
  }));
}
app.listen(Number(port), '127.0.0.1', () => console.error(`express ${mode} on ${port}`));
// Exit cleanly on a signal so `node --cpu-prof` can write its profile.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
