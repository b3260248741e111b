// hookverify/express over real HTTP on loopback, for the backend named by HOOKVERIFY_BACKEND.
// Signatures come from @octokit/webhooks-methods, stripe and standardwebhooks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import express from 'express';
import { BACKEND, hv } from './backend.mjs';
import {
  listen,
  post,
  github,
  stripeEvent,
  standardEvent,
  deferred,
  GITHUB_SECRET,
  STRIPE_SECRET,
  STANDARD_SECRET,
} from './http.mjs';

const require = createRequire(import.meta.url);
const { createExpress } = require('hookverify/express');
const { webhook } = createExpress(hv);
const quiet = () => {};

/** An Express app with the webhook on POST /webhooks (plus `before` middleware), listening. */
async function serve(options, before = []) {
  const app = express();
  for (const mw of before) app.use(mw);
  app.post('/webhooks', webhook({ onError: quiet, ...options }));
  return listen(app);
}

test(`[${BACKEND}] hookverify/express: CommonJS and ESM entries, default backend`, async () => {
  const esm = await import('hookverify/express');
  assert.equal(typeof require('hookverify/express').webhook, 'function');
  assert.equal(esm.webhook, require('hookverify/express').webhook);
  assert.equal(esm.createExpress, createExpress);
});

test(`[${BACKEND}] valid delivery: handler runs once; duplicate does not run it again; tampered is 401`, async (t) => {
  const seen = [];
  const srv = await serve({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    handlers: { 'issues.opened': (e, ctx) => seen.push([e.id, e.type, ctx.provider, ctx.req.method]) },
  });
  t.after(srv.close);
  const d = await github('issues', 'opened', 'delivery-1');
  const r = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, { ok: true, id: 'delivery-1' });
  assert.match(r.headers.get('content-type'), /application\/json/);
  assert.deepEqual(seen, [['delivery-1', 'issues.opened', 'github', 'POST']]);

  const dup = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(dup.status, 200);
  assert.equal(dup.json.duplicate, true);
  assert.equal(seen.length, 1, 'duplicate must not run the handler');

  const tampered = await post(`${srv.url}/webhooks`, d.headers, d.body.replace('opened', 'closed'));
  assert.equal(tampered.status, 401);
  assert.equal(tampered.json.error.code, 'no_matching_signature');
  const wrongSecret = await github('issues', 'opened', 'delivery-2', 'not the secret');
  assert.equal((await post(`${srv.url}/webhooks`, wrongSecret.headers, wrongSecret.body)).status, 401);
  const unsigned = await post(`${srv.url}/webhooks`, { 'content-type': 'application/json' }, d.body);
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.json.error.code, 'missing_header');
  assert.equal(seen.length, 1);
});

test(`[${BACKEND}] handlers map: exact and prefix.* run in order, * only as the fallback; unhandled type is 200 in sync mode`, async (t) => {
  const order = [];
  const srv = await serve({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: {
      'user.created': async () => order.push('exact'),
      'user.*': () => order.push('prefix'),
      '*': () => order.push('any'),
      'invoice.paid': () => order.push('never'),
    },
  });
  t.after(srv.close);
  const d = standardEvent('msg_user_1', 'user.created', { name: 'Ada' });
  assert.equal((await post(`${srv.url}/webhooks`, d.headers, d.body)).status, 200);
  assert.deepEqual(order, ['exact', 'prefix'], "'*' is a fallback: not run beside a specific match");
  const fallback = standardEvent('msg_fallback', 'charge.failed');
  assert.equal((await post(`${srv.url}/webhooks`, fallback.headers, fallback.body)).status, 200);
  assert.deepEqual(order, ['exact', 'prefix', 'any'], "'*' runs when no specific pattern matched");

  const only = await serve({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: { 'user.*': () => {} },
  });
  t.after(only.close);
  const other = standardEvent('msg_other', 'invoice.paid');
  const r = await post(`${only.url}/webhooks`, other.headers, other.body);
  assert.equal(r.status, 200, 'sync mode acknowledges an unhandled type (a sender must not retry it)');
  assert.equal(r.json.handled, false);
});

test(`[${BACKEND}] the handlers' context: provider, token, path, query, req (sync and async), as handle(request, extra) builds it`, async (t) => {
  const seen = [];
  const record = (label) => (e, ctx) =>
    seen.push([
      label,
      e.id,
      Object.keys(ctx),
      ctx.provider,
      typeof ctx.token,
      ctx.path,
      ctx.query,
      ctx.req && ctx.req.method,
    ]);
  const sync = await serve({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: { 'user.created': record('sync') },
  });
  t.after(sync.close);
  const done = deferred();
  const later = await serve({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    handlers: {
      'user.created': (e, ctx) => {
        record('async')(e, ctx);
        done.resolve();
      },
    },
  });
  t.after(later.close);
  const a = standardEvent('msg_ctx_1', 'user.created');
  assert.equal((await post(`${sync.url}/webhooks?x=1`, a.headers, a.body)).status, 200);
  const b = standardEvent('msg_ctx_2', 'user.created');
  assert.equal((await post(`${later.url}/webhooks`, b.headers, b.body)).status, 202);
  await done.promise;
  const keys = ['provider', 'token', 'path', 'query', 'req'];
  assert.deepEqual(seen, [
    ['sync', 'msg_ctx_1', keys, 'standard', 'number', '/webhooks', 'x=1', 'POST'],
    ['async', 'msg_ctx_2', keys, 'standard', 'number', '/webhooks', null, 'POST'],
  ]);
  // Receiver.handle spreads `extra` after the four: the same keys, in the same order, plus its own.
  const ctxs = [];
  const r = new hv.Receiver({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: { 'user.created': (e, ctx) => ctxs.push(ctx) },
  });
  const c = standardEvent('msg_ctx_3', 'user.created');
  const out = await r.handle({ path: '/w', headers: c.headers, body: c.body }, { req: 1, path: 'overridden', more: 2 });
  assert.deepEqual(out.decision, {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: '{"id":"msg_ctx_3","ok":true}',
  });
  assert.deepEqual(
    ctxs.map((x) => [Object.keys(x), x.path, x.req, x.more]),
    [[keys.concat('more'), 'overridden', 1, 2]],
  );
});

test(`[${BACKEND}] handler throws: 500 in sync mode, the claim is released and the retry runs it`, async (t) => {
  let calls = 0;
  const errors = [];
  const srv = await serve({
    scheme: 'stripe',
    secret: STRIPE_SECRET,
    mode: 'sync',
    onError: (err) => errors.push(err.message),
    handlers: {
      'invoice.paid': async () => {
        calls++;
        if (calls === 1) throw new Error('database down');
      },
    },
  });
  t.after(srv.close);
  const d = stripeEvent('evt_retry', 'invoice.paid');
  const first = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(first.status, 500);
  assert.equal(first.json.error.code, 'handler_failed');
  assert.deepEqual(errors, ['database down']);
  const retry = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(retry.status, 200);
  assert.equal(calls, 2, 'the retry ran the handler again');
  const again = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(again.json.duplicate, true);
  assert.equal(calls, 2);
});

test(`[${BACKEND}] in-progress duplicate: 409 with Retry-After while the first delivery runs`, async (t) => {
  const gate = deferred();
  const started = deferred();
  let calls = 0;
  const srv = await serve({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    leaseSeconds: 30,
    handlers: {
      issues: async () => {
        calls++;
        started.resolve();
        await gate.promise;
      },
    },
  });
  t.after(srv.close);
  const d = await github('issues', 'opened', 'delivery-busy');
  const first = post(`${srv.url}/webhooks`, d.headers, d.body);
  await started.promise;
  const second = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(second.status, 409);
  assert.equal(second.json.in_progress, true);
  const retryAfter = Number(second.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 30, `Retry-After ${retryAfter}`);
  gate.resolve();
  assert.equal((await first).status, 200);
  assert.equal(calls, 1);
});

test(`[${BACKEND}] async mode: 202 first, then the handler runs (and a duplicate is not run again)`, async (t) => {
  const gate = deferred();
  const ran = deferred();
  let calls = 0;
  const srv = await serve({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'async',
    handlers: {
      'user.*': async (e) => {
        calls++;
        await gate.promise;
        ran.resolve(e.id);
      },
    },
  });
  t.after(srv.close);
  const d = standardEvent('msg_async', 'user.deleted');
  const r = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(r.status, 202);
  assert.deepEqual(r.json, { ok: true, id: 'msg_async', accepted: true });
  assert.equal(calls <= 1, true);
  gate.resolve(); // the handler was still waiting when the 202 arrived
  assert.equal(await ran.promise, 'msg_async');
  await new Promise((resolve) => setTimeout(resolve, 20)); // finish() records the done marker
  const dup = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(dup.status, 200);
  assert.equal(dup.json.duplicate, true);
  assert.equal(calls, 1);
});

test(`[${BACKEND}] a body parser that consumed the stream: 500 explaining the fix; express.raw() works`, async (t) => {
  const reported = [];
  const rejected = [];
  const app = express();
  app.use(express.json());
  app.post(
    '/webhooks',
    webhook({
      scheme: 'github',
      secret: GITHUB_SECRET,
      mode: 'sync',
      handlers: { '*': () => {} },
      onError: (e) => reported.push(e.code),
      onReject: (line) => rejected.push(line),
    }),
  );
  const srv = await listen(app);
  t.after(srv.close);
  const d = await github('issues', 'opened', 'delivery-parsed');
  const r = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(r.status, 500);
  // The core built this answer (its public message starts with the code's words) and logged it.
  assert.match(r.json.error.message, /^invalid argument: hookverify: the request body was already read/);
  assert.ok(
    rejected.length === 1 && rejected[0].startsWith('rejected delivery: code=invalid_argument status=500'),
    rejected[0],
  );
  assert.match(r.json.error.message, /already read by a body parser/);
  assert.match(r.json.error.message, /before app\.use\(express\.json\(\)\)/);
  assert.match(r.json.error.message, /express\.raw\(/);
  assert.deepEqual(reported, ['invalid_argument']);

  let calls = 0;
  const raw = await serve({ scheme: 'github', secret: GITHUB_SECRET, mode: 'sync', handlers: { '*': () => calls++ } }, [
    express.raw({ type: '*/*' }),
  ]);
  t.after(raw.close);
  assert.equal((await post(`${raw.url}/webhooks`, d.headers, d.body)).status, 200);
  assert.equal(calls, 1);
});

test(`[${BACKEND}] one endpoint, three providers (GitHub, Stripe, Standard Webhooks)`, async (t) => {
  const seen = [];
  const srv = await serve({
    mode: 'sync',
    providers: [
      { name: 'stripe', scheme: 'stripe', secret: STRIPE_SECRET },
      { name: 'github', scheme: 'github', secrets: ['an old secret', GITHUB_SECRET] },
      { name: 'clerk', scheme: 'standard', secret: STANDARD_SECRET, match: { header: 'webhook-id' } },
    ],
    routes: [
      { pattern: '*', provider: 'github', handler: (e, ctx) => seen.push(`${ctx.provider}:${e.type}:${e.keyIndex}`) },
    ],
    handlers: {
      'invoice.paid': (e, ctx) => seen.push(`${ctx.provider}:${e.type}`),
      'user.*': (e, ctx) => seen.push(`${ctx.provider}:${e.type}`),
    },
  });
  t.after(srv.close);
  for (const d of [
    stripeEvent('evt_multi', 'invoice.paid'),
    await github('issues', 'closed', 'delivery-multi'),
    standardEvent('msg_multi', 'user.updated'),
  ]) {
    const r = await post(`${srv.url}/webhooks`, d.headers, d.body);
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  assert.deepEqual(seen, ['stripe:invoice.paid', 'github:issues.closed:1', 'clerk:user.updated']);
  // A Stripe signature made with GitHub's secret fails for Stripe (no fall-through to another provider).
  const forged = stripeEvent('evt_forged', 'invoice.paid', GITHUB_SECRET);
  assert.equal((await post(`${srv.url}/webhooks`, forged.headers, forged.body)).status, 401);
});

test(`[${BACKEND}] body cap enforced while streaming: 413 without reading past maxBodyBytes`, async (t) => {
  let calls = 0;
  const srv = await serve({
    scheme: 'github',
    secret: GITHUB_SECRET,
    maxBodyBytes: 1024,
    mode: 'sync',
    handlers: { '*': () => calls++ },
  });
  t.after(srv.close);
  const big = JSON.stringify({ action: 'opened', pad: 'x'.repeat(4096) });
  const declared = await post(
    `${srv.url}/webhooks`,
    { 'x-hub-signature-256': 'sha256=00', 'x-github-event': 'issues', 'x-github-delivery': 'big' },
    big,
  );
  assert.equal(declared.status, 413);
  assert.equal(declared.json.error.code, 'payload_too_large');

  // Chunked (no Content-Length): send 2 KiB, never end the request, and still get the 413.
  const { port } = new URL(srv.url);
  const status = await new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/webhooks',
      method: 'POST',
      headers: { 'x-hub-signature-256': 'sha256=00', 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
      req.destroy();
    });
    req.on('error', reject);
    req.write(Buffer.alloc(2048, 'x'));
  });
  assert.equal(status, 413);
  assert.equal(calls, 0);
});

test(`[${BACKEND}] works on plain node:http too (no Express), and the Receiver's steps by hand`, async (t) => {
  let calls = 0;
  const srv = await listen(
    webhook({ scheme: 'github', secret: GITHUB_SECRET, mode: 'sync', handlers: { '*': () => calls++ } }),
  );
  t.after(srv.close);
  const d = await github('push', undefined, 'delivery-plain');
  assert.equal((await post(`${srv.url}/hooks`, d.headers, d.body)).status, 200);
  assert.equal(calls, 1);

  const receiver = new hv.Receiver({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    handlers: { push: () => {} },
  });
  assert.deepEqual(receiver.headerNames, [
    'x-hub-signature-256',
    'x-github-delivery',
    'x-github-event',
    'hookverify-sync',
  ]);
  const step = await receiver.begin({ path: '/hooks', headers: d.headers, body: Buffer.from(d.body) });
  assert.equal(step.event.id, 'delivery-plain');
  assert.equal(step.provider, 'github');
  assert.equal(step.handlers.length, 1);
  assert.equal((await receiver.finish(step, true)).status, 200);
  await assert.rejects(receiver.finish(step, true), { code: 'invalid_argument' });
});

test(`[${BACKEND}] stores and Router from the package root`, () => {
  assert.throws(() => new hv.Router().on('x', 'not a function'), { code: 'invalid_argument' });
  const fns = { a: () => 'a', b: () => 'b', c: () => 'c', d: () => 'd', u: () => 'u' };
  const router = new hv.Router().on('user.created', fns.a).on('user.*', fns.b).on('*', fns.c);
  assert.deepEqual(
    router.match('user.created').map((f) => f()),
    ['a', 'b'],
  );
  assert.deepEqual(
    router.match('invoice.paid').map((f) => f()),
    ['c'],
    "'*' is the fallback",
  );
  const gh = new hv.Router().on('issues', fns.d).unhandled(fns.u);
  assert.deepEqual(
    gh.match('issues.opened').map((f) => f()),
    ['d'],
  );
  assert.deepEqual(
    gh.match('push').map((f) => f()),
    ['u'],
  );
  assert.ok(new hv.MemoryStore({ capacity: 10 }));
  assert.throws(() => new hv.MemoryStore({ capacity: 0 }), { code: 'invalid_argument' });
  if (BACKEND === 'wasm') {
    assert.throws(
      () => new hv.RedisStore('redis://127.0.0.1:6379'),
      (e) => e instanceof hv.HookverifyError && e.code === 'invalid_argument' && /native addon/.test(e.message),
    );
  } else {
    assert.throws(() => new hv.RedisStore('not a url'), { code: 'invalid_argument' });
    assert.ok(new hv.RedisStore('redis://127.0.0.1:1'), 'connects lazily');
  }
});

/** POSTs over node:http: `headers` may hold arrays (each value its own header line); `chunks` are written one by one. */
function rawPost(url, headers, chunks) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c) => (text += c))
        .on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    (async () => {
      for (const c of chunks) {
        req.write(c);
        await new Promise((r) => setTimeout(r, 5));
      }
      req.end();
    })();
  });
}

test(`[${BACKEND}] raw headers: a signature header sent twice is refused as when given as an array; a body in several chunks verifies`, async (t) => {
  const seen = [];
  const srv = await serve({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    handlers: { '*': (e) => seen.push([e.id, e.dataJson]) },
  });
  t.after(srv.close);
  const d = await github('issues', 'opened', 'delivery-raw');
  const sigName = Object.keys(d.headers).find((k) => /signature/i.test(k));
  let want;
  try {
    new hv.Verifier({ scheme: 'github', secret: GITHUB_SECRET }).verifySignature(d.body, {
      ...d.headers,
      [sigName]: [d.headers[sigName], d.headers[sigName]],
    });
  } catch (e) {
    want = e.code;
  }
  assert.ok(want, 'the array form is refused');
  const twice = await rawPost(
    `${srv.url}/webhooks`,
    { ...d.headers, [sigName]: [d.headers[sigName], d.headers[sigName]] },
    [d.body],
  );
  assert.equal(twice.status, 401);
  assert.equal(twice.json.error.code, want);
  assert.equal(seen.length, 0);
  const half = Math.floor(d.body.length / 2);
  const chunked = await rawPost(`${srv.url}/webhooks`, d.headers, [d.body.slice(0, half), d.body.slice(half)]);
  assert.equal(chunked.status, 200, JSON.stringify(chunked.json));
  assert.equal(seen.length, 1);
  assert.equal(seen[0][0], 'delivery-raw');
  assert.deepEqual(JSON.parse(seen[0][1]), JSON.parse(d.body), 'GitHub: the whole body is the payload');
});

test(`[${BACKEND}] the middleware reads Content-Length from rawHeaders (req.headers is never built), else from req.headers`, async (t) => {
  // Node builds req.headers on first access; a spy on it counts the builds on this server.
  const proto = Object.getOwnPropertyDescriptor(http.IncomingMessage.prototype, 'headers');
  let built = 0;
  const mw = webhook({
    scheme: 'github',
    secret: GITHUB_SECRET,
    maxBodyBytes: 1024,
    mode: 'sync',
    onError: quiet,
    handlers: { '*': () => {} },
  });
  const srv = await listen((req, res) => {
    Object.defineProperty(req, 'headers', {
      configurable: true,
      get() {
        built++;
        return proto.get.call(this);
      },
    });
    mw(req, res);
  });
  t.after(srv.close);
  const d = await github('issues', 'opened', 'delivery-cl');
  assert.equal((await post(`${srv.url}/webhooks`, d.headers, d.body)).status, 200);
  const big = await post(`${srv.url}/webhooks`, d.headers, 'x'.repeat(4096));
  assert.equal(big.status, 413);
  assert.equal(built, 0);

  // A request object without a Content-Length in rawHeaders (a test double): req.headers decides.
  const sent = {};
  const res = { headersSent: false, setHeader: (k, v) => (sent[k] = v), end: (body) => (sent.body = body) };
  const fake = {
    rawHeaders: [],
    headers: { 'content-length': '4096' },
    on() {
      throw new Error('the stream must not be read');
    },
  };
  await mw(fake, res);
  assert.equal(res.statusCode, 413);
  assert.equal(JSON.parse(sent.body).error.code, 'payload_too_large');
});
