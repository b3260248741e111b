// hookverify/fetch (issue 20, part 1) for the backend named by HOOKVERIFY_BACKEND: the Fetch API
// receiver (`webhooks(options)(request, ctx?) => Response`) and `verifyRequest`, driven with
// Node's own Request objects (undici). Deliveries are signed by the peers' libraries (http.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { BACKEND, hv } from './backend.mjs';
import { STANDARD_SECRET, github, standardEvent } from './http.mjs';

const require = createRequire(import.meta.url);
const { webhooks, verifyRequest } = require('hookverify/fetch').createFetch(hv);
const URL_BASE = 'https://example.test';

const request = (path, { headers, body }) => new Request(URL_BASE + path, { method: 'POST', headers, body });

/** A body stream that records how many chunks were pulled from it and whether it was cancelled. */
function countedStream(chunks) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream({
    pull(controller) {
      if (state.pulled === chunks.length) return controller.close();
      controller.enqueue(chunks[state.pulled++]);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

test(`[${BACKEND}] async mode: 202 first, the handlers go to ctx.waitUntil`, async () => {
  const seen = [];
  const hooks = webhooks({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    handlers: { 'user.created': (event, ctx) => seen.push([event.id, ctx.request instanceof Request, ctx.provider]) },
  });
  const waited = [];
  const res = await hooks(request('/hooks', standardEvent('msg_a1', 'user.created')), {
    waitUntil: (p) => waited.push(p),
  });
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal((await res.json()).id, 'msg_a1');
  assert.equal(waited.length, 1, 'the handler work was handed to waitUntil');
  assert.deepEqual(seen, [], 'not run before the answer');
  await waited[0];
  assert.deepEqual(seen, [['msg_a1', true, 'standard']]);
});

test(`[${BACKEND}] async mode without waitUntil: the handlers ran before the Response is returned`, async () => {
  const seen = [];
  const hooks = webhooks({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    handlers: { 'user.created': async (event) => seen.push(event.id) },
  });
  // Next.js passes `{ params }` as the second argument: no waitUntil there.
  const res = await hooks(request('/api/hooks', standardEvent('msg_a2', 'user.created')), { params: {} });
  assert.equal(res.status, 202);
  assert.deepEqual(seen, ['msg_a2']);
  const again = await hooks(request('/api/hooks', standardEvent('msg_a2', 'user.created')));
  assert.equal(again.status, 200, 'a duplicate is acknowledged');
  assert.deepEqual(seen, ['msg_a2'], 'and its handler does not run again');
});

test(`[${BACKEND}] sync mode: 200, 500 handler_failed with the claim released, then the retry runs`, async () => {
  let fail = true;
  let runs = 0;
  const errors = [];
  const hooks = webhooks({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: {
      'user.created': () => {
        runs++;
        if (fail) throw new Error('database down');
      },
    },
    onError: (err) => errors.push(err.message),
  });
  const delivery = standardEvent('msg_s1', 'user.created');
  const first = await hooks(request('/hooks', delivery));
  assert.equal(first.status, 500);
  assert.equal((await first.json()).error.code, 'handler_failed');
  assert.deepEqual(errors, ['database down']);
  fail = false;
  const retry = await hooks(request('/hooks', delivery));
  assert.equal(retry.status, 200);
  assert.equal(runs, 2);
  const unhandled = await hooks(request('/hooks', standardEvent('msg_s2', 'user.deleted')));
  assert.equal(unhandled.status, 200, 'an unhandled type is acknowledged in sync mode');
  assert.equal((await unhandled.json()).handled, false);
});

test(`[${BACKEND}] rejections are the core's answers: 401 bad signature, 404 outside basePath`, async () => {
  const rejected = [];
  const hooks = webhooks({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    basePath: '/hooks',
    handlers: { '*': () => {} },
    onReject: (line) => rejected.push(line),
  });
  const bad = standardEvent('msg_r1', 'user.created', {}, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSX');
  const res = await hooks(request('/hooks', bad));
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, 'no_matching_signature');
  const outside = await hooks(request('/other', standardEvent('msg_r2', 'user.created')));
  assert.equal(outside.status, 404);
  assert.equal((await outside.json()).error.code, 'not_found');
  assert.equal(rejected.length, 2);
  assert.ok(!rejected.join('\n').includes(STANDARD_SECRET.slice(6)), 'no secret in the log lines');
});

test(`[${BACKEND}] path relative to basePath and the query reach the handlers; the query never routes`, async () => {
  const seen = [];
  const hooks = webhooks({
    providers: [{ name: 'github', scheme: 'github', secret: "It's a Secret to Everybody" }],
    basePath: '/api/webhooks',
    mode: 'sync',
    routes: [{ pattern: '*', provider: 'github', path: 'gh', handler: (e, ctx) => seen.push([ctx.path, ctx.query]) }],
  });
  const res = await hooks(request('/api/webhooks/gh?tenant=42', await github('issues', 'opened', 'd-1')));
  assert.equal(res.status, 200);
  assert.deepEqual(seen, [['/api/webhooks/gh', 'tenant=42']]);
});

test(`[${BACKEND}] a declared Content-Length over the cap is 413 before any byte is read`, async () => {
  const hooks = webhooks({ scheme: 'standard', secret: STANDARD_SECRET, maxBodyBytes: 64, handlers: {} });
  const { stream, state } = countedStream([new Uint8Array(100)]);
  const req = new Request(`${URL_BASE}/hooks`, {
    method: 'POST',
    headers: { 'content-length': '100' },
    body: stream,
    duplex: 'half',
  });
  const res = await hooks(req);
  assert.equal(res.status, 413);
  const { error } = await res.json();
  assert.equal(error.code, 'payload_too_large');
  assert.match(error.message, /64/);
  assert.equal(state.pulled, 0, 'nothing was read');
});

test(`[${BACKEND}] a streamed body over the cap: 413, reading stops at the chunk that crossed it`, async () => {
  const hooks = webhooks({ scheme: 'standard', secret: STANDARD_SECRET, maxBodyBytes: 64, handlers: {} });
  const chunk = new Uint8Array(40);
  const { stream, state } = countedStream([chunk, chunk, chunk, chunk, chunk]);
  const res = await hooks(new Request(`${URL_BASE}/hooks`, { method: 'POST', body: stream, duplex: 'half' }));
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.code, 'payload_too_large');
  assert.ok(state.pulled <= 3, `pulled ${state.pulled} chunks of 5`);
  assert.ok(state.cancelled, 'the rest of the stream was cancelled');
});

test(`[${BACKEND}] a streamed body within the cap is verified as one (several chunks)`, async () => {
  const seen = [];
  const hooks = webhooks({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    handlers: { '*': (e) => seen.push(e.id) },
  });
  const { headers, body } = standardEvent('msg_c1', 'user.created', { pad: 'x'.repeat(300) });
  const bytes = Buffer.from(body);
  const parts = [bytes.subarray(0, 7), bytes.subarray(7, 200), bytes.subarray(200)];
  const { stream } = countedStream(parts);
  const res = await hooks(new Request(`${URL_BASE}/hooks`, { method: 'POST', headers, body: stream, duplex: 'half' }));
  assert.equal(res.status, 200);
  assert.deepEqual(seen, ['msg_c1']);
});

test(`[${BACKEND}] a body already read by the host is the core's 500 invalid_argument, reported once`, async () => {
  const reported = [];
  const hooks = webhooks({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    handlers: {},
    onError: (err) => reported.push(err.code),
  });
  const req = request('/hooks', standardEvent('msg_u1', 'user.created'));
  await req.text();
  const res = await hooks(req);
  assert.equal(res.status, 500);
  const { error } = await res.json();
  assert.equal(error.code, 'invalid_argument');
  assert.match(error.message, /already read/);
  assert.deepEqual(reported, ['invalid_argument']);
});

test(`[${BACKEND}] secrets rotate through hooks.receiver`, async () => {
  const hooks = webhooks({ scheme: 'standard', secret: STANDARD_SECRET, mode: 'sync', handlers: { '*': () => {} } });
  const next = `whsec_${crypto.randomBytes(24).toString('base64')}`;
  hooks.receiver.setSecrets('standard', [next]);
  assert.equal((await hooks(request('/hooks', standardEvent('msg_k1', 'user.created')))).status, 401);
  assert.equal((await hooks(request('/hooks', standardEvent('msg_k2', 'user.created', {}, next)))).status, 200);
});

test(`[${BACKEND}] not a Request: a thrown invalid_argument (a programming error, not an answer)`, async () => {
  const hooks = webhooks({ scheme: 'standard', secret: STANDARD_SECRET, handlers: {} });
  await assert.rejects(hooks({ body: '{}' }), (e) => e instanceof hv.HookverifyError && e.code === 'invalid_argument');
  await assert.rejects(hooks(null), (e) => e.code === 'invalid_argument');
});

test(`[${BACKEND}] verifyRequest: the event, typed errors, and the cap without reading past it`, async () => {
  const verifier = new hv.Verifier({ scheme: 'standard', secret: STANDARD_SECRET, maxBodyBytes: 512 });
  assert.equal(verifier.maxBodyBytes, 512);
  assert.equal(new hv.Verifier({ scheme: 'standard', secret: STANDARD_SECRET }).maxBodyBytes, 25 * 1024 * 1024);
  const event = await verifyRequest(request('/hooks', standardEvent('msg_v1', 'user.created')), verifier);
  assert.equal(event.id, 'msg_v1');
  assert.equal(event.type, 'user.created');
  const tampered = standardEvent('msg_v2', 'user.created');
  tampered.body = tampered.body.replace('user.created', 'user.deleted');
  await assert.rejects(verifyRequest(request('/hooks', tampered), verifier), (e) => e.code === 'no_matching_signature');
  const { stream, state } = countedStream([new Uint8Array(400), new Uint8Array(400), new Uint8Array(400)]);
  await assert.rejects(
    verifyRequest(new Request(`${URL_BASE}/hooks`, { method: 'POST', body: stream, duplex: 'half' }), verifier),
    (e) => e.code === 'payload_too_large',
  );
  assert.equal(state.pulled, 2, 'reading stopped at the chunk that crossed 512 bytes');
  await assert.rejects(verifyRequest(request('/hooks', tampered), {}), (e) => e.code === 'invalid_argument');
});

test(`[${BACKEND}] the ES module entry: import('hookverify/fetch') on Node`, async () => {
  const m = await import('hookverify/fetch');
  assert.equal(typeof m.webhooks, 'function');
  assert.equal(typeof m.verifyRequest, 'function');
  assert.equal(typeof m.default.createFetch, 'function');
  const hooks = m.webhooks({ scheme: 'standard', secret: STANDARD_SECRET, mode: 'sync', handlers: { '*': () => {} } });
  assert.equal((await hooks(request('/hooks', standardEvent('msg_e1', 'user.created')))).status, 200);
});
