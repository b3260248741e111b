// The ES module side of smoke.cjs: `import` of the installed tarball selects the native addon and
// is the same API object as `require`.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import hv, { Verifier, backend, HookverifyError } from 'hookverify';
import hvWasm from 'hookverify/wasm';

const require = createRequire(import.meta.url);
const { delivery, SECRET } = require('./sign.cjs');

assert.equal(backend, 'native');
assert.equal(hv, require('hookverify'));
assert.equal(hvWasm.backend, 'wasm');
const d = delivery('msg_esm', 'customer.created');
const event = new Verifier({ scheme: 'standard', secret: SECRET }).verify(d.body, d.headers);
assert.deepEqual([event.id, event.type], ['msg_esm', 'customer.created']);
assert.throws(() => new hvWasm.Verifier({ scheme: 'standard', secret: SECRET }).verify(d.body, { ...d.headers, 'webhook-id': 'msg_other' }),
  (e) => e instanceof hvWasm.HookverifyError && e.code === 'no_matching_signature');
assert.ok(!('__panicForTests' in hv) && !('__panicForTests' in hvWasm));
assert.ok(HookverifyError);
console.log('ok import: native backend, the same API as require, verifies; wasm too');
