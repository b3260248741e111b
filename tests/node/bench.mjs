// Side-by-side verification benchmark: hookverify (native, wasm) vs node:crypto by hand,
// standardwebhooks, svix, stripe, @octokit/webhooks-methods and WebCrypto, at 256 B, 1 KiB, 16 KiB,
// 1 MiB, for verify alone ("sig") and verify + parse ("parse").
//
// Interleaved: per size, every contender is calibrated to a batch of ~BATCH ms, then each round times
// one batch of every contender (order rotated per round), so all share whatever load the machine has.
// ns/op reported as the best and the median over rounds; ratios use the best (preemption only adds).
// Usage: node bench.mjs [--quick] [--json PATH]   (markdown on stdout; JSON for bench/report.py)
import { createHmac, timingSafeEqual, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, cpus } from 'node:os';
import { dirname } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import Stripe from 'stripe';
import { sign as octoSign, verify as octoVerify } from '@octokit/webhooks-methods';

const require = createRequire(import.meta.url);
const native = require('hookverify/native');
const wasm = require('hookverify/wasm');

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : null;
const ROUNDS = quick ? 5 : 21;
const BATCH_MS = quick ? 2 : 5;
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

async function timeBatch(fn, isAsync, n) {
  const start = process.hrtime.bigint();
  if (isAsync) for (let i = 0; i < n; i++) await fn();
  else for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

async function calibrate(fn, isAsync) {
  for (let i = 0; i < 20; i++) isAsync ? await fn() : fn(); // warm up (JIT, lazy init)
  let n = 1;
  for (;;) {
    const ns = await timeBatch(fn, isAsync, n);
    if (ns * n >= (BATCH_MS * 1e6) / 4 || n >= 1 << 20) return Math.max(1, Math.round((BATCH_MS * 1e6) / ns));
    n *= 4;
  }
}

async function caseFor(size) {
  const body = makeBody(size);
  const text = body.toString();
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', KEY).update(`${id}.${ts}.`).update(body).digest('base64');
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
  const svixHeaders = { 'svix-id': id, 'svix-timestamp': String(ts), 'svix-signature': `v1,${sig}` };
  const stripeHeader = stripe.webhooks.generateTestHeaderString({
    payload: text,
    secret: STRIPE_SECRET,
    timestamp: ts,
  });
  const ghSig = await octoSign(GH_SECRET, text);

  const vNative = new native.Verifier({ scheme: 'standard', secret: SECRET });
  const vWasm = new wasm.Verifier({ scheme: 'standard', secret: SECRET });
  const sw = new StandardWebhook(SECRET);
  const sx = new SvixWebhook(SECRET);
  const cryptoKey = await webcrypto.subtle.importKey('raw', KEY, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const prefix = Buffer.from(`${id}.${ts}.`);
  const sigBytes = Buffer.from(sig, 'base64');

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
  // WebCrypto needs the signed content as one buffer: the concatenation is part of its cost.
  const webCrypto = async () => {
    const ok = await webcrypto.subtle.verify('HMAC', cryptoKey, sigBytes, Buffer.concat([prefix, body]));
    if (!ok) throw new Error('no match');
    return ok;
  };
  const mustOk = async (p) => {
    if (!(await p)) throw new Error('no match');
  };

  // [key, label, kind, fn, async]; kind: sig = verify alone, parse = verify + JSON envelope parse.
  return [
    ['native_sig', 'hookverify native verifySignature', 'sig', () => vNative.verifySignature(body, headers)],
    ['native_verify', 'hookverify native verify (event)', 'parse', () => vNative.verify(body, headers)],
    ['wasm_sig', 'hookverify wasm verifySignature', 'sig', () => vWasm.verifySignature(body, headers)],
    ['wasm_verify', 'hookverify wasm verify (event)', 'parse', () => vWasm.verify(body, headers)],
    ['hand', 'node:crypto by hand', 'sig', byHand],
    ['hand_parse', 'node:crypto by hand + JSON.parse', 'parse', () => byHand() && JSON.parse(text)],
    ['standardwebhooks', 'standardwebhooks verify (parses)', 'parse', () => sw.verify(body, headers)],
    ['svix', 'svix verify (parses)', 'parse', () => sx.verify(text, svixHeaders)],
    [
      'stripe_sig',
      'stripe signature.verifyHeader (stripe scheme)',
      'sig',
      () => stripe.webhooks.signature.verifyHeader(body, stripeHeader, STRIPE_SECRET, 300),
    ],
    [
      'stripe_event',
      'stripe constructEvent (stripe scheme, parses)',
      'parse',
      () => stripe.webhooks.constructEvent(body, stripeHeader, STRIPE_SECRET),
    ],
    [
      'octokit',
      '@octokit/webhooks-methods verify (github scheme, async)',
      'sig',
      () => mustOk(octoVerify(GH_SECRET, text, ghSig)),
      true,
    ],
    ['webcrypto', 'WebCrypto subtle.verify (async)', 'sig', webCrypto, true],
    [
      'webcrypto_parse',
      'WebCrypto subtle.verify + JSON.parse (async)',
      'parse',
      async () => (await webCrypto()) && JSON.parse(text),
      true,
    ],
  ];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {}; // key -> {label, kind, sizes: {size: {best_ns, median_ns}}}
const load = [loadavg()];
for (const size of SIZES) {
  const cs = await caseFor(size);
  const batches = [];
  for (const [, , , fn, isAsync] of cs) {
    await fn(); // every contender accepts its input before being timed
    batches.push(await calibrate(fn, !!isAsync));
  }
  const samples = cs.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < cs.length; j++) {
      const i = (j + r) % cs.length;
      samples[i].push(await timeBatch(cs[i][3], !!cs[i][4], batches[i]));
    }
  }
  cs.forEach(([key, label, kind], i) => {
    results[key] ??= { label, kind, sizes: {} };
    results[key].sizes[size] = { best_ns: Math.min(...samples[i]), median_ns: median(samples[i]) };
  });
  load.push(loadavg());
}

const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  }
};
const versions = { node: process.version, openssl: process.versions.openssl, hookverify: native.version };
for (const n of ['standardwebhooks', 'svix', 'stripe', '@octokit/webhooks-methods']) versions[n] = pkgVersion(n);

const label = (s) => (s >= 1024 * 1024 ? `${s / 1024 / 1024} MiB` : s >= 1024 ? `${s / 1024} KiB` : `${s} B`);
const fmt = (ns) =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
const best = (key, s) => results[key].sizes[s].best_ns;
console.log(
  `\nhookverify ${native.version} on Node ${process.version}; best ns/op over ${ROUNDS} interleaved rounds ` +
    `(median in brackets); loadavg ${load.map((l) => l[0].toFixed(2)).join(' → ')}\n`,
);
console.log(`| implementation | kind | ${SIZES.map(label).join(' | ')} |`);
console.log(`|---|---|${SIZES.map(() => '---:').join('|')}|`);
for (const r of Object.values(results)) {
  console.log(
    `| ${r.label} | ${r.kind} | ${SIZES.map((s) => `${fmt(r.sizes[s].best_ns)} (${fmt(r.sizes[s].median_ns)})`).join(' | ')} |`,
  );
}
const goals = [
  ['native verifySignature ≥ 2× node:crypto by hand @1 KiB', best('hand', 1024) / best('native_sig', 1024), 2],
  ['native verify ≥ 15× standardwebhooks @1 KiB', best('standardwebhooks', 1024) / best('native_verify', 1024), 15],
  [
    'native verifySignature ≥ 0.95× node:crypto (OpenSSL) @1 MiB',
    best('hand', 1 << 20) / best('native_sig', 1 << 20),
    0.95,
  ],
  ['wasm verify ≥ 4× standardwebhooks @1 KiB', best('standardwebhooks', 1024) / best('wasm_verify', 1024), 4],
  ...[256, 1024, 16384].map((s) => [
    `wasm verifySignature faster than WebCrypto @${label(s)}`,
    best('webcrypto', s) / best('wasm_sig', s),
    1,
  ]),
  ['wasm verify ≥ 3× standardwebhooks @1 MiB', best('standardwebhooks', 1 << 20) / best('wasm_verify', 1 << 20), 3],
];
console.log('\n| goal | measured | met |\n|---|---:|---|');
for (const [g, v, want] of goals) console.log(`| ${g} | ${v.toFixed(2)}× | ${v >= want ? 'met' : 'MISSED'} |`);
if (jsonOut) {
  mkdirSync(dirname(jsonOut), { recursive: true });
  const out = {
    harness: 'node',
    quick,
    rounds: ROUNDS,
    batch_ms: BATCH_MS,
    loadavg: load,
    cpus: cpus().length,
    versions,
    results,
    goals: goals.map(([name, measured, want]) => ({ name, measured, want, met: measured >= want })),
  };
  writeFileSync(jsonOut, JSON.stringify(out, null, 1));
}
