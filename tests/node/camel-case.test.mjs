// JS objects have camelCase keys (issue 18), for the backend named by HOOKVERIFY_BACKEND: an error's
// `details` and a diagnose report, at every depth. Python and the CLI keep snake_case (the report's
// CLI form is compared key-renamed in suite.mjs). Signatures come from node:crypto or GitHub's
// documented example, never from hookverify's sign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hv, hvEsm } from './backend.mjs';

const STRIPE_SECRET = 'whsec_camel_case_test';
const GH_SECRET = "It's a Secret to Everybody";
const GH_HEADERS = {
  'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};

/** Every object key in `v`, at any depth. */
function keysOf(v, out = []) {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      keysOf(x, out);
    }
  }
  return out;
}

function stripe(ts) {
  const body = Buffer.from(
    JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid', created: ts, data: {} }),
  );
  const sig = crypto.createHmac('sha256', STRIPE_SECRET).update(`${ts}.${body}`).digest('hex');
  return { body, headers: { 'Stripe-Signature': `t=${ts},v1=${sig}` } };
}

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a HookverifyError');
}

for (const [flavour, lib] of [
  ['cjs', hv],
  ['esm', hvEsm],
]) {
  test(`${flavour}: timestamp error details are camelCase`, () => {
    const ts = 1_700_000_000;
    const { body, headers } = stripe(ts);
    const v = new lib.Verifier({ scheme: 'stripe', secret: STRIPE_SECRET });
    const old = thrown(() => v.verify(body, headers, { now: ts + 1000 }));
    assert.equal(old.code, 'timestamp_too_old');
    assert.deepEqual(old.details, { skewSeconds: -1000, toleranceSeconds: 300 });
    const ahead = thrown(() => v.verify(body, headers, { now: ts - 1000 }));
    assert.equal(ahead.code, 'timestamp_too_new');
    assert.deepEqual(ahead.details, { skewSeconds: 1000, toleranceSeconds: 300 });
  });

  test(`${flavour}: maxEventAge details are camelCase`, () => {
    const ts = 1_700_000_000;
    const { body, headers } = stripe(ts);
    const v = new lib.Verifier({ scheme: 'stripe', secret: STRIPE_SECRET, maxEventAge: 60 });
    const e = thrown(() => v.verify(body, headers, { now: ts + 200 }));
    assert.equal(e.code, 'timestamp_too_old');
    assert.equal(e.details.toleranceSeconds, 60);
    assert.ok(
      keysOf(e.details).every((k) => !k.includes('_')),
      JSON.stringify(e.details),
    );
  });

  test(`${flavour}: diagnose reports have camelCase keys, in the documented order`, () => {
    const valid = lib.diagnose({ headers: GH_HEADERS, body: 'Hello, World!', secrets: [GH_SECRET], now: 0 });
    assert.deepEqual(Object.keys(valid), ['valid', 'scheme', 'detected', 'keyIndex', 'checks', 'hints', 'event']);
    assert.equal(valid.valid, true);
    assert.equal(valid.keyIndex, 0);
    const invalid = lib.diagnose({
      headers: GH_HEADERS,
      body: 'Hello, World!\n',
      secrets: ['other', GH_SECRET],
      now: 0,
    });
    assert.equal(invalid.valid, false);
    assert.equal(invalid.keyIndex, null);
    assert.ok(invalid.hints.length > 0 && invalid.checks.length > 0);
    for (const r of [valid, invalid]) {
      assert.ok(
        keysOf(r).every((k) => !k.includes('_')),
        JSON.stringify(r),
      );
      // Values are not renamed: check names and hint codes stay snake_case.
      assert.ok(
        r.checks.some((c) => c.name === 'signature_header'),
        JSON.stringify(r.checks),
      );
    }
    assert.ok(invalid.hints.every((h) => /^[a-z_]+$/.test(h.code)));
  });
}
