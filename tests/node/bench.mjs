// Side-by-side verification benchmark: hookverify (native, wasm) vs node:crypto by hand,
// standardwebhooks, svix, stripe, @octokit/webhooks-methods and WebCrypto.
// Usage: node bench.mjs [--quick]   (prints a markdown table to stdout)
import { createHmac, timingSafeEqual, webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import Stripe from 'stripe';
import { sign as octoSign, verify as octoVerify } from '@octokit/webhooks-methods';

const require = createRequire(import.meta.url);
const native = require('hookverify/native');
const wasm = require('hookverify/wasm');

const quick = process.argv.includes('--quick');
const SIZES = [256, 1024, 16 * 1024, 1024 * 1024];
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const KEY = Buffer.from(SECRET.slice(6), 'base64');
const STRIPE_SECRET = 'whsec_stripe_test_secret';
const GH_SECRET = "It's a Secret to Everybody";
const stripe = new Stripe('sk_test_x');

function makeBody(size) {
  const head = '{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"pad":"';
  const tail = '"}}';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail);
}

async function measure(fn, isAsync, budgetMs) {
  // Warm up, then run batches until the time budget is spent.
  const warm = Date.now() + budgetMs / 4;
  while (Date.now() < warm) isAsync ? await fn() : fn();
  let ops = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  const end = start + BigInt(budgetMs) * 1000000n;
  let now = start;
  while (now < end) {
    if (isAsync) for (let i = 0; i < batch; i++) await fn();
    else for (let i = 0; i < batch; i++) fn();
    ops += batch;
    batch = Math.min(batch * 2, 4096);
    now = process.hrtime.bigint();
  }
  return Number(now - start) / ops;
}

async function caseFor(size) {
  const body = makeBody(size);
  const text = body.toString();
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', KEY).update(`${id}.${ts}.`).update(body).digest('base64');
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
  const svixHeaders = { 'svix-id': id, 'svix-timestamp': String(ts), 'svix-signature': `v1,${sig}` };
  const stripeHeader = stripe.webhooks.generateTestHeaderString({ payload: text, secret: STRIPE_SECRET, timestamp: ts });
  const ghSig = await octoSign(GH_SECRET, text);

  const vNative = new native.Verifier({ scheme: 'standard', secret: SECRET });
  const vWasm = new wasm.Verifier({ scheme: 'standard', secret: SECRET });
  const sw = new StandardWebhook(SECRET);
  const sx = new SvixWebhook(SECRET);
  const cryptoKey = await webcrypto.subtle.importKey('raw', KEY, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const prefix = Buffer.from(`${id}.${ts}.`);
  const sigBytes = Buffer.from(sig, 'base64');
  const wcData = Buffer.concat([prefix, body]);

  // Hand-written node:crypto verify: parse the header, check the window, HMAC, constant-time compare.
  const byHand = () => {
    const t = Number(headers['webhook-timestamp']);
    if (Math.abs(Math.floor(Date.now() / 1000) - t) > 300) throw new Error('window');
    const expected = createHmac('sha256', KEY)
      .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.`)
      .update(body)
      .digest();
    for (const part of headers['webhook-signature'].split(' ')) {
      const [v, s] = part.split(',');
      if (v !== 'v1') continue;
      const got = Buffer.from(s, 'base64');
      if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
    }
    throw new Error('no match');
  };

  return [
    ['hookverify native verifySignature', () => vNative.verifySignature(body, headers)],
    ['hookverify native verify (event)', () => vNative.verify(body, headers)],
    ['hookverify wasm verifySignature', () => vWasm.verifySignature(body, headers)],
    ['hookverify wasm verify (event)', () => vWasm.verify(body, headers)],
    ['node:crypto by hand', byHand],
    ['standardwebhooks', () => sw.verify(body, headers)],
    ['svix', () => sx.verify(text, svixHeaders)],
    ['stripe constructEvent (stripe scheme)', () => stripe.webhooks.constructEvent(body, stripeHeader, STRIPE_SECRET)],
    ['@octokit/webhooks-methods (github, async)', () => octoVerify(GH_SECRET, text, ghSig), true],
    ['WebCrypto subtle.verify (async)', () => webcrypto.subtle.verify('HMAC', cryptoKey, sigBytes, wcData), true],
  ];
}

const results = new Map();
for (const size of SIZES) {
  const budget = quick ? 150 : size >= 1024 * 1024 ? 1500 : 600;
  for (const [name, fn, isAsync] of await caseFor(size)) {
    // Sanity: every implementation accepts its input before being timed.
    await fn();
    const ns = await measure(fn, !!isAsync, budget);
    if (!results.has(name)) results.set(name, {});
    results.get(name)[size] = ns;
  }
}

const label = (s) => (s >= 1024 * 1024 ? `${s / 1024 / 1024} MiB` : s >= 1024 ? `${s / 1024} KiB` : `${s} B`);
const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const base = results.get('node:crypto by hand');
const sw = results.get('standardwebhooks');
console.log(`\nhookverify ${native.version} — Standard Webhooks verify unless noted; ns/op (× = speed-up; >1 is faster)\n`);
console.log(`| implementation | ${SIZES.map(label).join(' | ')} |`);
console.log(`|---|${SIZES.map(() => '---').join('|')}|`);
for (const [name, row] of results) {
  const cells = SIZES.map(
    (s) => `${fmt(row[s])} (${(base[s] / row[s]).toFixed(2)}× node:crypto, ${(sw[s] / row[s]).toFixed(1)}× sw)`,
  );
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
const r = (name, s, ref) => ref[s] / results.get(name)[s];
const goals = [
  ['native ≥ 2× node:crypto @1 KiB', r('hookverify native verifySignature', 1024, base), 2],
  ['native ≥ 15× standardwebhooks @1 KiB', r('hookverify native verify (event)', 1024, sw), 15],
  ['native ≥ 0.95× node:crypto @1 MiB', r('hookverify native verifySignature', 1024 * 1024, base), 0.95],
  ['wasm ≥ 4× standardwebhooks @1 KiB', r('hookverify wasm verify (event)', 1024, sw), 4],
  ['wasm ≥ 3× standardwebhooks @1 MiB', r('hookverify wasm verify (event)', 1024 * 1024, sw), 3],
];
console.log('\n| goal | measured | met |\n|---|---|---|');
for (const [g, v, want] of goals) console.log(`| ${g} | ${v.toFixed(2)}× | ${v >= want ? 'yes' : 'NO'} |`);
