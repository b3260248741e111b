// Smoke test of the INSTALLED npm tarball, run in a fresh npm project (scripts/test-package.sh):
// `require` of the default entry selects the native addon, `hookverify/wasm` works, both verify a
// delivery signed with node:crypto, the files come from this project's node_modules, and no test
// hook is exposed (HOOKVERIFY_TEST_PANIC=1 is set by the runner). Prints one line per check.
const assert = require('node:assert/strict');
const path = require('node:path');
const { delivery, SECRET } = require('./sign.cjs');
const { hooksIn } = require('./hooks.cjs');

const hv = require('hookverify');
const hvWasm = require('hookverify/wasm');
const pkgDir = path.dirname(require.resolve('hookverify/package.json'));

assert.equal(pkgDir, path.join(__dirname, 'node_modules', 'hookverify'));
assert.equal(hv.backend, 'native');
assert.equal(hvWasm.backend, 'wasm');
console.log('ok require: native backend, from', path.relative(__dirname, pkgDir));

for (const api of [hv, hvWasm]) {
  const verifier = new api.Verifier({ scheme: 'standard', secret: SECRET });
  const d = delivery('msg_cjs', 'invoice.paid');
  const event = verifier.verify(d.body, d.headers);
  assert.deepEqual([event.id, event.type], ['msg_cjs', 'invoice.paid']);
  assert.throws(() => verifier.verify(d.body.replace('paid', 'void'), d.headers), (e) => e instanceof api.HookverifyError && e.code === 'no_matching_signature');
  console.log(`ok require: ${api.backend} verifies a signed delivery and rejects a changed one`);
}

assert.equal(process.env.HOOKVERIFY_TEST_PANIC, '1', 'the runner enables the switch, so only its absence keeps it off');
assert.deepEqual(hooksIn(pkgDir, { native: hv, wasm: hvWasm }), []);
console.log('ok no test hooks in the addon, the wasm builds or the API');
if (process.env.IN_TREE_NPM) {
  // The same check on the in-tree TEST build finds the switch: the check can fail.
  const inTree = hooksIn(process.env.IN_TREE_NPM, { native: require(path.join(process.env.IN_TREE_NPM, 'native.js')) });
  assert.ok(inTree.length >= 4, `the in-tree test build shows the hooks: ${inTree}`);
  console.log('ok the same check finds the hooks in the in-tree test build:', inTree.length);
}
for (const f of ['index.d.ts', 'express.d.ts', 'index.mjs', 'index.js', 'edge.mjs', 'wasm/web/hookverify_wasm_bg.wasm']) {
  assert.ok(require('node:fs').existsSync(path.join(pkgDir, f)), f);
}
assert.equal(require('hookverify/package.json').types, './index.d.ts');
console.log('ok types and every entry are installed');
