// maxEventAge (issue 18) for the backend named by HOOKVERIFY_BACKEND: a body-signed sender's signed
// `created_at` bounds a delivery's age, in Verifier and in receivers (single and providers[]).
// Signatures come from node:crypto, never from hookverify's sign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hv } from './backend.mjs';

const NOW = 1_700_000_000;
const SECRET = 'reflex-node-secret';
const REFLEX = { name: 'reflex', signature_header: 'X-Reflex-Signature' };
const MISSING = Symbol('missing');

/** Headers and body of a Reflex delivery whose `created_at` is `createdAt` (MISSING: absent). */
function delivery(createdAt = MISSING) {
  const envelope = { id: 'evt_1', type: 'deployment.created', data: { n: 1 } };
  if (createdAt !== MISSING) envelope.created_at = createdAt;
  const body = Buffer.from(JSON.stringify(envelope));
  const sig = crypto.createHmac('sha256', SECRET).update(body).digest('hex');
  return { headers: { 'x-reflex-signature': sig }, body };
}

function codeOf(verifier, createdAt, now = NOW) {
  const { headers, body } = delivery(createdAt);
  try {
    verifier.verify(body, headers, { now });
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof hv.HookverifyError, String(e));
    return e.code;
  }
}

test('without maxEventAge a 2020 delivery verifies', () => {
  assert.equal(codeOf(new hv.Verifier({ scheme: REFLEX, secret: SECRET }), '2020-01-01T00:00:00Z'), 'ok');
});

test('maxEventAge bounds the signed created_at in every form', () => {
  const v = new hv.Verifier({ scheme: REFLEX, secret: SECRET, maxEventAge: 300 });
  const cases = [
    ['2020-01-01T00:00:00Z', 'timestamp_too_old'],
    [1577836800, 'timestamp_too_old'],
    [NOW, 'ok'],
    [String(NOW), 'ok'],
    ['2023-11-14T22:13:20Z', 'ok'],
    [NOW - 300, 'ok'],
    [NOW - 301, 'timestamp_too_old'],
    [NOW + 300, 'ok'],
    [NOW + 301, 'timestamp_too_new'],
    ['2999-01-01T00:00:00Z', 'timestamp_too_new'],
    [null, 'missing_field'],
    [MISSING, 'missing_field'],
  ];
  for (const [createdAt, want] of cases) assert.equal(codeOf(v, createdAt), want, String(createdAt));
  // The snake_case spelling reaches the core too.
  const snake = new hv.Verifier({ scheme: REFLEX, secret: SECRET, max_event_age: 300 });
  assert.equal(codeOf(snake, NOW - 301), 'timestamp_too_old');
});

test('errors carry the bound; verifySignature does not check the age', () => {
  const v = new hv.Verifier({ scheme: REFLEX, secret: SECRET, maxEventAge: 600 });
  const { headers, body } = delivery(NOW - 1000);
  assert.throws(
    () => v.verify(body, headers, { now: NOW }),
    (e) => e.code === 'timestamp_too_old' && e.details.toleranceSeconds === 600,
  );
  assert.equal(v.verifySignature(body, headers, { now: NOW }).keyIndex, 0);
});

test('a scheme whose event timestamp is unsigned or absent refuses maxEventAge', () => {
  assert.throws(
    () => new hv.Verifier({ scheme: 'shopify', secret: 's', maxEventAge: 300 }),
    (e) => e.code === 'invalid_argument' && /X-Shopify-Triggered-At/.test(e.message),
  );
  assert.throws(() => new hv.Verifier({ scheme: 'github', secret: 's', maxEventAge: 300 }), {
    code: 'invalid_argument',
  });
  for (const bad of [-1, '300', 1.5])
    assert.throws(() => new hv.Verifier({ scheme: REFLEX, secret: SECRET, maxEventAge: bad }), {
      code: 'invalid_argument',
    });
  assert.throws(
    () => new hv.Receiver({ providers: [{ name: 'shop', scheme: 'shopify', secret: 's', maxEventAge: 60 }] }),
    { code: 'invalid_argument' },
  );
});

for (const how of ['single', 'providers']) {
  test(`receivers apply maxEventAge (${how})`, async () => {
    const seen = [];
    const common = { mode: 'sync', handlers: { '*': (e) => seen.push(e.id) } };
    const r =
      how === 'single'
        ? new hv.Receiver({ scheme: REFLEX, name: 'reflex', secret: SECRET, maxEventAge: 300, ...common })
        : new hv.Receiver({
            providers: [{ name: 'reflex', scheme: REFLEX, secret: SECRET, maxEventAge: 300 }],
            ...common,
          });
    const send = async (createdAt) => {
      const { headers, body } = delivery(createdAt);
      const { decision, done } = await r.handle({ path: '/hooks', headers, body, now: NOW });
      await done;
      return decision;
    };
    const old = await send('2020-01-01T00:00:00Z');
    assert.equal(old.status, 401);
    assert.equal(JSON.parse(old.body).error.code, 'timestamp_too_old');
    assert.equal((await send(MISSING)).status, 400);
    assert.equal((await send(NOW)).status, 200);
    assert.deepEqual(seen, ['evt_1']);
  });
}
