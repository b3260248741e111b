// Issue 16, item 13 for the backend named by HOOKVERIFY_BACKEND: a rejected delivery's answer
// carries only the public message, and `onReject(line, decision)` (default: one console.warn line)
// gets the core's log line with the rest — code, status, provider, how many secrets were tried, the
// Redis error — never a secret or the Redis password, control characters escaped.
// Signatures come from the stripe and @octokit libraries (http.mjs), never our sign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import express from 'express';
import { BACKEND, hv } from './backend.mjs';
import { listen, freePort, github, stripeEvent, STRIPE_SECRET } from './http.mjs';

const require = createRequire(import.meta.url);
const { webhook } = require('hookverify/express').createExpress(hv);

const SECOND = 'whsec_QZnodeCANARYsecond_5d1f';
const PASSWORD = 'QZnodeRedisCANARYpass_2b7e';
const PUBLIC_503 = {
  error: { code: 'store_unavailable', message: 'dedup store unavailable: the delivery was not processed; retry later' },
};

function assertNoCanary(text) {
  for (const canary of [STRIPE_SECRET, SECOND, PASSWORD, 'QZnode'])
    assert.ok(!text.includes(canary), `${canary} leaked: ${text}`);
}

function collector() {
  const lines = [];
  return { lines, onReject: (line, decision) => lines.push({ line, decision }) };
}

test(`[${BACKEND}] a 401 no_matching_signature: the body has no secret count, onReject's line has it`, async () => {
  const { lines, onReject } = collector();
  const r = new hv.Receiver({
    scheme: 'stripe',
    secrets: [STRIPE_SECRET, SECOND],
    handlers: { '*': () => {} },
    onReject,
    mode: 'sync',
  });
  const st = stripeEvent('evt_log_1', 'invoice.paid', 'whsec_not_a_live_secret');
  const bad = (await r.handle({ path: '/hooks', headers: st.headers, body: st.body })).decision;
  assert.equal(bad.status, 401);
  assert.doesNotMatch(bad.body, /secret\(s\)|against/);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  const { line, decision } = lines[0];
  assert.ok(line.startsWith('rejected delivery: code=no_matching_signature status=401 provider=stripe: '), line);
  assert.match(line, /checked against 2 secret\(s\)/);
  assert.equal(decision, bad, 'onReject gets the answer sent');
  assertNoCanary(line);
  // A handled delivery and its duplicate are not rejections.
  const ok = stripeEvent('evt_log_2', 'invoice.paid');
  assert.equal((await r.handle({ path: '/hooks', headers: ok.headers, body: ok.body })).decision.status, 200);
  assert.equal((await r.handle({ path: '/hooks', headers: ok.headers, body: ok.body })).decision.status, 200);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  // begin() reports too; a missing header names every provider's header in the log only.
  const two = collector();
  const multi = new hv.Receiver({
    providers: [
      { scheme: 'stripe', secret: STRIPE_SECRET },
      { scheme: 'github', secret: 'gh' },
    ],
    onReject: two.onReject,
  });
  const none = await multi.begin({ path: '/hooks', headers: { 'x-other': '1' }, body: '{}' });
  assert.equal(none.status, 401);
  assert.doesNotMatch(none.body.toLowerCase(), /stripe-signature/);
  assert.equal(two.lines.length, 1);
  assert.ok(two.lines[0].line.startsWith('rejected delivery: code=missing_header status=401: '), two.lines[0].line);
  assert.match(two.lines[0].line, /Stripe-Signature or X-Hub-Signature-256/);
});

test(`[${BACKEND}] by default each rejection is one console.warn line; onReject must be a function`, async () => {
  const r = new hv.Receiver({ scheme: 'stripe', secret: STRIPE_SECRET, handlers: { '*': () => {} } });
  const st = stripeEvent('evt_log_3', 'invoice.paid', 'whsec_wrong');
  const warned = [];
  const original = console.warn;
  console.warn = (...args) => warned.push(args.join(' '));
  try {
    assert.equal((await r.handle({ path: '/hooks', headers: st.headers, body: st.body })).decision.status, 401);
  } finally {
    console.warn = original;
  }
  assert.equal(warned.length, 1, JSON.stringify(warned));
  assert.ok(
    warned[0].startsWith('hookverify: rejected delivery: code=no_matching_signature status=401 provider=stripe: '),
    warned[0],
  );
  assert.throws(() => new hv.Receiver({ scheme: 'stripe', secret: STRIPE_SECRET, onReject: 'log' }), {
    code: 'invalid_argument',
  });
  // A throwing logger does not lose the answer.
  const loud = new hv.Receiver({
    scheme: 'stripe',
    secret: STRIPE_SECRET,
    onReject: () => {
      throw new Error('logger down');
    },
  });
  assert.equal((await loud.handle({ path: '/hooks', headers: st.headers, body: st.body })).decision.status, 401);
});

test(`[${BACKEND}] request text in the line is escaped: no raw control characters`, async () => {
  const { lines, onReject } = collector();
  const r = new hv.Receiver({ scheme: 'github', secret: 'gh-secret', onReject, handlers: { '*': () => {} } });
  const gh = await github('issues', 'opened', 'd-ctl', 'gh-secret');
  gh.headers['x-github-delivery'] = 'd\x1b[2J\x1b[32mINFO all good\x1b[0m';
  const d = (await r.handle({ path: '/hooks', headers: gh.headers, body: gh.body })).decision;
  assert.ok(d.status >= 400, d.body);
  assert.equal(lines.length, 1);
  const raw = [...lines[0].line].filter((c) => {
    const code = c.codePointAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
  });
  assert.deepEqual(raw, [], JSON.stringify(lines[0].line));
});

test(`[${BACKEND}] Express: every rejection, its own 413 included, goes to onReject once`, async (t) => {
  const { lines, onReject } = collector();
  const a = express();
  a.post(
    '/webhooks',
    webhook({
      scheme: 'stripe',
      secrets: [STRIPE_SECRET, SECOND],
      maxBodyBytes: 256,
      onReject,
      onError: () => {},
      handlers: { '*': () => {} },
    }),
  );
  const server = await listen(a);
  t.after(server.close);
  const st = stripeEvent('evt_log_4', 'invoice.paid', 'whsec_wrong');
  let r = await fetch(`${server.url}/webhooks`, { method: 'POST', headers: st.headers, body: st.body });
  assert.equal(r.status, 401);
  assert.doesNotMatch(await r.text(), /secret\(s\)/);
  r = await fetch(`${server.url}/webhooks`, { method: 'POST', headers: st.headers, body: 'x'.repeat(1000) });
  assert.equal(r.status, 413);
  await r.text();
  assert.equal(lines.length, 2, JSON.stringify(lines));
  assert.ok(
    lines[0].line.startsWith('rejected delivery: code=no_matching_signature status=401 provider=stripe: '),
    lines[0].line,
  );
  assert.ok(
    lines[1].line.startsWith('rejected delivery: code=payload_too_large status=413: payload too large'),
    lines[1].line,
  );
  assert.match(lines[0].line, /against 2 secret\(s\)/);
  assert.equal(lines[1].decision.status, 413);
  for (const { line } of lines) assertNoCanary(line);
});

async function lockedRedis() {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop: () => proc.exitCode === null && proc.kill('SIGKILL') };
}

test(`[${BACKEND}] a 503: no Redis text in the body, the Redis error in the line, never the password`, {
  skip: BACKEND !== 'native' && 'RedisStore needs the native addon',
}, async (t) => {
  const redis = await lockedRedis();
  t.after(redis.stop);
  const cases = [
    [`redis://:${PASSWORD}x@127.0.0.1:${redis.port}/0`, /AuthenticationFailed/],
    [`redis://:${PASSWORD}@127.0.0.1:${await freePort()}/0`, /refused/],
  ];
  for (const [url, detail] of cases) {
    const { lines, onReject } = collector();
    const store = new hv.RedisStore(url, { timeoutMs: 500 });
    const r = new hv.Receiver({
      scheme: 'stripe',
      secret: STRIPE_SECRET,
      store,
      onReject,
      handlers: { '*': () => {} },
    });
    const st = stripeEvent('evt_log_5', 'invoice.paid');
    const d = (await r.handle({ path: '/hooks', headers: st.headers, body: st.body })).decision;
    assert.equal(d.status, 503, d.body);
    assert.deepEqual(JSON.parse(d.body), PUBLIC_503);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const { line } = lines[0];
    assert.ok(
      line.startsWith(
        'rejected delivery: code=store_unavailable status=503 provider=stripe: dedup store unavailable: redis: ',
      ),
      line,
    );
    assert.match(line, detail);
    assertNoCanary(line);
  }
});
