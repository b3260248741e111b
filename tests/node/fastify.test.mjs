// hookverify/fastify (issue 20, part 2) for the backend named by HOOKVERIFY_BACKEND: the plugin owns
// one route with the raw body while the app's other routes keep Fastify's JSON parsing. Through
// `inject` and a real listen on loopback; deliveries signed by the peers' libraries (http.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { BACKEND, hv } from './backend.mjs';
import { STANDARD_SECRET, github, post, standardEvent } from './http.mjs';

const require = createRequire(import.meta.url);
const plugin = require('hookverify/fastify').createFastify(hv).hookverify;

/** An app with the plugin on /hooks (the given options) and a JSON route beside it. */
async function app(options) {
  const fastify = Fastify();
  fastify.post('/json', async (request) => ({ got: request.body }));
  await fastify.register(plugin, { path: '/hooks', scheme: 'standard', secret: STANDARD_SECRET, ...options });
  return fastify;
}

test(`[${BACKEND}] the default entry is the plugin itself: app.register(require('hookverify/fastify'), ...)`, async () => {
  const entry = require('hookverify/fastify');
  assert.equal(typeof entry, 'function');
  assert.equal(entry.default, entry);
  const fastify = Fastify();
  const seen = [];
  await fastify.register(entry, {
    path: '/hooks',
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: { 'user.created': (e) => seen.push(e.id) },
  });
  const d = standardEvent('msg_d1', 'user.created');
  const res = await fastify.inject({ method: 'POST', url: '/hooks', headers: d.headers, payload: d.body });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(seen, ['msg_d1']);
  const esm = await import('hookverify/fastify');
  assert.equal(typeof esm.default, 'function');
  assert.equal(typeof esm.createFastify, 'function');
});

test(`[${BACKEND}] raw body for the webhook route only: the JSON route still parses`, async () => {
  const seen = [];
  const fastify = await app({
    mode: 'sync',
    handlers: { 'user.created': (e, ctx) => seen.push([e.id, ctx.request.url]) },
  });
  const d = standardEvent('msg_f1', 'user.created', { n: 1 });
  // The delivery is application/json: Fastify's JSON parser would have re-serialised it.
  const res = await fastify.inject({ method: 'POST', url: '/hooks?x=1', headers: d.headers, payload: d.body });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(seen, [['msg_f1', '/hooks?x=1']]);
  const json = await fastify.inject({ method: 'POST', url: '/json', payload: { a: 1 } });
  assert.deepEqual(json.json(), { got: { a: 1 } }, 'the other route keeps JSON parsing');
  const dup = await fastify.inject({ method: 'POST', url: '/hooks', headers: d.headers, payload: d.body });
  assert.equal(dup.statusCode, 200);
  assert.equal(seen.length, 1, 'a duplicate does not run the handler again');
});

test(`[${BACKEND}] the core's answers: 401, 202 async, 500 handler_failed then the retry`, async () => {
  let fail = true;
  let runs = 0;
  const errors = [];
  const fastify = await app({
    mode: 'sync',
    handlers: {
      'user.created': () => {
        runs++;
        if (fail) throw new Error('db down');
      },
    },
    onError: (err) => errors.push(err.message),
    onReject: () => {},
  });
  const bad = standardEvent('msg_b1', 'user.created', {}, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSX');
  const r401 = await fastify.inject({ method: 'POST', url: '/hooks', headers: bad.headers, payload: bad.body });
  assert.equal(r401.statusCode, 401);
  assert.equal(r401.json().error.code, 'no_matching_signature');
  const d = standardEvent('msg_b2', 'user.created');
  const r500 = await fastify.inject({ method: 'POST', url: '/hooks', headers: d.headers, payload: d.body });
  assert.equal(r500.statusCode, 500);
  assert.equal(r500.json().error.code, 'handler_failed');
  fail = false;
  const retry = await fastify.inject({ method: 'POST', url: '/hooks', headers: d.headers, payload: d.body });
  assert.equal(retry.statusCode, 200);
  assert.equal(runs, 2);
  assert.deepEqual(errors, ['db down']);

  const asyncApp = await app({ handlers: { '*': () => {} } });
  const a = standardEvent('msg_b3', 'user.created');
  const r202 = await asyncApp.inject({ method: 'POST', url: '/hooks', headers: a.headers, payload: a.body });
  assert.equal(r202.statusCode, 202);
});

test(`[${BACKEND}] a body over the cap is the core's 413 (declared, and without a content type)`, async () => {
  const fastify = await app({ maxBodyBytes: 64, handlers: {}, onReject: () => {} });
  const big = 'x'.repeat(100);
  for (const headers of [{ 'content-type': 'application/json' }, {}]) {
    const res = await fastify.inject({ method: 'POST', url: '/hooks', headers, payload: big });
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error.code, 'payload_too_large');
    assert.match(res.json().error.message, /64/);
  }
});

test(`[${BACKEND}] GitHub with form encoding and no body: raw bytes whatever the content type`, async () => {
  const fastify = Fastify();
  const seen = [];
  await fastify.register(plugin, {
    path: '/gh',
    scheme: 'github',
    secret: "It's a Secret to Everybody",
    mode: 'sync',
    handlers: { '*': (e) => seen.push(e.type) },
  });
  const d = await github('issues', 'opened', 'gh-1');
  const res = await fastify.inject({
    method: 'POST',
    url: '/gh',
    headers: { ...d.headers, 'content-type': 'application/x-www-form-urlencoded' },
    payload: d.body,
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(seen, ['issues.opened']);
  const empty = await fastify.inject({ method: 'POST', url: '/gh', headers: { 'x-hub-signature-256': 'sha256=00' } });
  assert.equal(empty.statusCode, 401, empty.body);
});

test(`[${BACKEND}] with a prefix and a real listen on loopback`, async () => {
  const fastify = Fastify();
  const seen = [];
  await fastify.register(plugin, {
    prefix: '/api',
    path: '/hooks',
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: { '*': (e, ctx) => seen.push([e.id, ctx.path]) },
  });
  const url = await fastify.listen({ host: '127.0.0.1', port: 0 });
  try {
    const d = standardEvent('msg_l1', 'user.created');
    const res = await post(`${url}/api/hooks`, d.headers, d.body);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(seen, [['msg_l1', '/api/hooks']]);
  } finally {
    await fastify.close();
  }
});

test(`[${BACKEND}] unknown options are refused at register time, naming the key`, async () => {
  const fastify = Fastify();
  fastify.register(plugin, { path: '/hooks', scheme: 'standard', secret: STANDARD_SECRET, handlerz: {} });
  await assert.rejects(fastify.ready(), (e) => e.code === 'invalid_argument' && /handlerz/.test(e.message));
});
