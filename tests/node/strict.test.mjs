// Issue 16, items 6, 8, 9, 13 for the backend named by HOOKVERIFY_BACKEND:
// - a mis-typed secret never shows in an error (message, details, String(err), util.inspect);
// - whitespace-only secrets are invalid_secret;
// - joined duplicate headers and non-ASCII header bytes are malformed_header over real HTTP;
// - 401/503 answers do not disclose the secret count, other providers, or store error text.
// Signatures come from the standardwebhooks and stripe libraries (http.mjs), never our sign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import util from 'node:util';
import { createRequire } from 'node:module';
import express from 'express';
import { BACKEND, hv } from './backend.mjs';
import { listen, freePort, standardEvent, stripeEvent, STANDARD_SECRET, STRIPE_SECRET } from './http.mjs';

const require = createRequire(import.meta.url);
const { webhook } = require('hookverify/express').createExpress(hv);
const quiet = () => {};

const CANARY = 'whsec_QZcanarySECRET0123456789';
const CANARY_NUM = 987654321987;
const LEAKS = ['QZcanarySECRET', String(CANARY_NUM)];

// Every wrong-typed way to hand over a secret, as `secret` or as `secrets`.
const BAD_SECRETS = [
  { secrets: CANARY },
  { secrets: CANARY_NUM },
  { secrets: { key: CANARY } },
  { secrets: [CANARY_NUM, true] },
  { secrets: [[CANARY]] },
  { secrets: [{ v: CANARY }] },
  { secret: CANARY_NUM },
  { secret: [CANARY] },
  { secret: { v: CANARY } },
  { secret: CANARY_NUM + 0.5 },
];

function assertNoCanary(fn, what) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what}: expected a throw`);
  assert.ok(err instanceof hv.HookverifyError, `${what}: ${err}`);
  const shown = [
    err.message,
    JSON.stringify(err.details),
    String(err),
    util.inspect(err, { depth: 5 }),
    err.stack,
  ].join(' | ');
  for (const leak of LEAKS) assert.ok(!shown.includes(leak), `${what}: the error shows the value: ${shown}`);
  return err;
}

test(`[${BACKEND}] a mis-typed secret never appears in an error: Verifier, Receiver, webhook(), sign, diagnose`, () => {
  for (const bad of BAD_SECRETS) {
    const what = util.inspect(bad);
    const e = assertNoCanary(() => new hv.Verifier({ scheme: 'stripe', ...bad }), `Verifier ${what}`);
    assert.equal(e.code, 'invalid_argument');
    assertNoCanary(
      () => new hv.Verifier({ scheme: 'standard', toleranceSeconds: 10, ...bad }),
      `Verifier standard ${what}`,
    );
    assertNoCanary(() => new hv.Receiver({ scheme: 'stripe', ...bad, handlers: {} }), `Receiver ${what}`);
    assertNoCanary(
      () =>
        new hv.Receiver({
          providers: [
            { scheme: 'github', secret: 'ok' },
            { scheme: 'stripe', ...bad },
          ],
        }),
      `Receiver providers ${what}`,
    );
    assertNoCanary(() => webhook({ scheme: 'github', ...bad, onError: quiet }), `webhook() ${what}`);
    if ('secret' in bad) {
      assertNoCanary(() => hv.sign({ scheme: 'github', secret: bad.secret, body: 'x' }), `sign ${what}`);
      assertNoCanary(() => hv.diagnose({ headers: {}, body: 'x', secret: bad.secret }), `diagnose ${what}`);
    } else {
      assertNoCanary(() => hv.diagnose({ headers: {}, body: 'x', secrets: bad.secrets }), `diagnose ${what}`);
    }
  }
  // hmac(algorithm, key, message) with the key first (Python's hmac.new order): not echoed either.
  assertNoCanary(() => hv.hmac(CANARY, 'sha256', 'x'), 'hmac with swapped arguments');
  // The message still says where and what was expected.
  const e = assertNoCanary(() => new hv.Verifier({ scheme: 'stripe', secrets: CANARY }), 'Verifier');
  assert.match(e.message, /`secrets`: invalid type, expected a sequence/);
  const r = assertNoCanary(() => new hv.Receiver({ scheme: 'stripe', secrets: CANARY }), 'Receiver');
  assert.match(r.message, /`providers\[0\]`: secrets: invalid type, expected a sequence/);
});

test(`[${BACKEND}] whitespace-only secrets are invalid_secret everywhere a secret is taken`, () => {
  for (const blank of [' ', '   ', '\t', '\n', '\r\n']) {
    for (const scheme of ['github', 'stripe', 'slack']) {
      assert.throws(
        () => new hv.Verifier({ scheme, secret: blank }),
        { code: 'invalid_secret' },
        `${scheme} ${JSON.stringify(blank)}`,
      );
      assert.throws(() => new hv.Verifier({ scheme, secrets: ['real', blank] }), { code: 'invalid_secret' });
      assert.throws(() => new hv.Receiver({ scheme, secret: blank }), { code: 'invalid_secret' });
      assert.throws(() => hv.sign({ scheme, secret: blank, body: 'x' }), { code: 'invalid_secret' });
    }
  }
  // Around a real secret, whitespace is part of the key (no trimming).
  new hv.Verifier({ scheme: 'github', secret: ' real\n' });
});

/** Sends raw request bytes over a socket (header bytes exactly as given), returns {status, json}. */
async function rawPost(port, path, headerLines, body) {
  const head = Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`,
    ),
    ...headerLines.map((l) => Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l, 'latin1'), Buffer.from('\r\n')])),
    Buffer.from('\r\n'),
  ]);
  const sock = net.connect(port, '127.0.0.1');
  const chunks = [];
  await new Promise((resolve, reject) => {
    sock.on('connect', () => sock.end(Buffer.concat([head, Buffer.from(body)])));
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', resolve);
    sock.on('error', reject);
  });
  const text = Buffer.concat(chunks).toString('latin1');
  const status = Number(text.split(' ')[1]);
  const payload = text.slice(text.indexOf('\r\n\r\n') + 4);
  let json;
  try {
    json = JSON.parse(payload);
  } catch {
    json = payload;
  }
  return { status, json };
}

/** The requests of the parity check (the same ones tests/python/test_strict.py and the CLI send). */
function cases() {
  const sw = standardEvent('msg_parity_1', 'user.created');
  const good = sw.headers['webhook-signature'];
  const swLines = (sig) => [
    `webhook-id: ${sw.headers['webhook-id']}`,
    `webhook-timestamp: ${sw.headers['webhook-timestamp']}`,
    ...sig,
  ];
  const st = stripeEvent('evt_parity_1', 'invoice.paid');
  const stGood = st.headers['stripe-signature'];
  const t = stGood.split(',')[0];
  const junk = 'de'.repeat(32);
  return [
    ['standard', 'good', sw.body, swLines([`webhook-signature: ${good}`]), 202, null],
    [
      'standard',
      'joined, junk first',
      sw.body,
      swLines([`webhook-signature: v1,AAAA, ${good}`]),
      401,
      'malformed_header',
    ],
    [
      'standard',
      'joined, junk last',
      sw.body,
      swLines([`webhook-signature: ${good}, v1,AAAA`]),
      401,
      'malformed_header',
    ],
    [
      'standard',
      'two lines',
      sw.body,
      swLines([`webhook-signature: v1,AAAA`, `webhook-signature: ${good}`]),
      401,
      'malformed_header',
    ],
    [
      'standard',
      'non-ASCII bytes',
      sw.body,
      swLines([Buffer.concat([Buffer.from(`webhook-signature: ${good} v1,`), Buffer.from([0xff, 0xfe])])]),
      401,
      'malformed_header',
    ],
    [
      'standard',
      'UTF-8 bytes',
      sw.body,
      swLines([Buffer.from(`webhook-signature: ${good} v1,caf\u00e9`, 'utf8')]),
      401,
      'malformed_header',
    ],
    ['stripe', 'good', st.body, [`stripe-signature: ${stGood}`], 202, null],
    ['stripe', 'joined v1', st.body, [`stripe-signature: ${stGood}, v1=${junk}`], 401, 'malformed_header'],
    ['stripe', 'joined t + v1', st.body, [`stripe-signature: ${stGood}, ${t},v1=${junk}`], 401, 'malformed_header'],
    [
      'stripe',
      'two lines',
      st.body,
      [`stripe-signature: ${stGood}`, `stripe-signature: ${t},v1=${junk}`],
      401,
      'malformed_header',
    ],
    [
      'stripe',
      'non-ASCII bytes',
      st.body,
      [Buffer.concat([Buffer.from(`stripe-signature: ${stGood},v1=`), Buffer.from([0xff, 0xfe])])],
      401,
      'malformed_header',
    ],
  ];
}

test(`[${BACKEND}] Express over real HTTP: joined duplicates and non-ASCII header bytes are malformed_header`, async (t) => {
  const app = express();
  app.post(
    '/standard',
    webhook({ scheme: 'standard', secret: STANDARD_SECRET, handlers: { '*': () => {} }, onError: quiet }),
  );
  app.post(
    '/stripe',
    webhook({ scheme: 'stripe', secret: STRIPE_SECRET, handlers: { '*': () => {} }, onError: quiet }),
  );
  const srv = await listen(app);
  t.after(srv.close);
  const port = srv.server.address().port;
  for (const [scheme, what, body, lines, status, code] of cases()) {
    const r = await rawPost(port, `/${scheme}`, lines, body);
    assert.equal(r.status, status, `${scheme} ${what}: ${JSON.stringify(r.json)}`);
    if (code) assert.equal(r.json.error.code, code, `${scheme} ${what}`);
  }
});

test(`[${BACKEND}] Fetch Headers join duplicates with ", ": the verdict is malformed_header, as for two lines`, () => {
  const sw = standardEvent('msg_fetch_1', 'user.created');
  const v = new hv.Verifier({ scheme: 'standard', secret: STANDARD_SECRET });
  const headers = new Headers(sw.headers);
  v.verify(sw.body, headers);
  headers.append('webhook-signature', 'v1,AAAA');
  assert.throws(() => v.verify(sw.body, headers), { code: 'malformed_header' });
  const st = stripeEvent('evt_fetch_1', 'invoice.paid');
  const sh = new Headers(st.headers);
  sh.append('stripe-signature', `v1=${'de'.repeat(32)}`);
  assert.throws(() => new hv.Verifier({ scheme: 'stripe', secret: STRIPE_SECRET }).verify(st.body, sh), {
    code: 'malformed_header',
  });
});

test(`[${BACKEND}] a 401 says neither how many secrets are live nor which other providers the endpoint serves`, async () => {
  const r = new hv.Receiver({
    providers: [
      { scheme: 'stripe', secrets: [STRIPE_SECRET, 'whsec_second_live_secret'] },
      { scheme: 'github', secret: 'gh-secret' },
    ],
    handlers: { '*': () => {} },
  });
  const st = stripeEvent('evt_401_1', 'invoice.paid', 'whsec_not_the_secret');
  const bad = (await r.handle({ path: '/hooks', headers: st.headers, body: st.body })).decision;
  assert.equal(bad.status, 401);
  assert.equal(JSON.parse(bad.body).error.code, 'no_matching_signature');
  assert.doesNotMatch(bad.body, /secret\(s\)|against|"secrets"/);
  const none = (await r.handle({ path: '/hooks', headers: { 'x-other': '1' }, body: '{}' })).decision;
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.body).error.code, 'missing_header');
  assert.doesNotMatch(none.body.toLowerCase(), /stripe-signature|x-hub-signature/);
  // The verifier's own error (what the operator logs) keeps the count.
  const v = new hv.Verifier({ scheme: 'stripe', secrets: [STRIPE_SECRET, 'whsec_second_live_secret'] });
  assert.throws(
    () => v.verify(st.body, st.headers),
    (e) => e.details.secrets === 2 && /2 secret\(s\)/.test(e.message),
  );
});

test(`[${BACKEND}] a 503 does not carry the store's error text`, {
  skip: BACKEND !== 'native' && 'RedisStore needs the native addon',
}, async () => {
  const port = await freePort();
  const store = new hv.RedisStore(`redis://127.0.0.1:${port}/0`, { timeoutMs: 500 });
  const r = new hv.Receiver({ scheme: 'stripe', secret: STRIPE_SECRET, store, handlers: { '*': () => {} } });
  const st = stripeEvent('evt_503_1', 'invoice.paid');
  const d = (await r.handle({ path: '/hooks', headers: st.headers, body: st.body })).decision;
  assert.equal(d.status, 503, d.body);
  const err = JSON.parse(d.body).error;
  assert.equal(err.code, 'store_unavailable');
  assert.doesNotMatch(err.message, /refused|connect|os error|redis|127\.0\.0\.1/i, err.message);
});
