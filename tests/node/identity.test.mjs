// What identifies a delivery (issue 16, items 1-3), for the backend named by HOOKVERIFY_BACKEND:
// the dedup key never depends on how the URL is spelled (Express routes /webhooks, /WEBHOOKS,
// /webhooks/ and every sub-path of an app.use mount to one handler); a Svix-signed delivery with an
// added, unsigned webhook-id keeps its signed id; a GitHub body replayed under fresh delivery ids
// is a duplicate. Signatures come from node:crypto, never our sign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import express from 'express';
import { BACKEND, hv } from './backend.mjs';
import { listen, post, STANDARD_SECRET, GITHUB_SECRET } from './http.mjs';

const require = createRequire(import.meta.url);
const { webhook } = require('hookverify/express').createExpress(hv);
const quiet = () => {};
const STRIPE = 'whsec_identity_test';

function stripeDelivery(id) {
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ id, type: 'invoice.paid', created: ts, data: { object: {} } });
  const sig = createHmac('sha256', STRIPE).update(`${ts}.${body}`).digest('hex');
  return { headers: { 'content-type': 'application/json', 'stripe-signature': `t=${ts},v1=${sig}` }, body };
}

/** Standard Webhooks headers of one set (`webhook` or `svix`), signed with node:crypto. */
function standardHeaders(prefix, id, body, ts = Math.floor(Date.now() / 1000)) {
  const key = Buffer.from(STANDARD_SECRET.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return { [`${prefix}-id`]: id, [`${prefix}-timestamp`]: String(ts), [`${prefix}-signature`]: `v1,${sig}` };
}

test(`[${BACKEND}] Express: one delivery under every path spelling Express routes here runs once`, async (t) => {
  const seen = [];
  const app = express();
  app.post(
    '/webhooks',
    webhook({
      scheme: 'stripe',
      secret: STRIPE,
      mode: 'sync',
      onError: quiet,
      handlers: { '*': (e) => seen.push(e.id) },
    }),
  );
  const srv = await listen(app);
  t.after(srv.close);
  const d = stripeDelivery('evt_spelling');
  const answers = [];
  for (const path of ['/webhooks', '/WEBHOOKS', '/Webhooks', '/webhooks/', '/wEbhooks/', '/webhooks?x=1']) {
    const r = await post(`${srv.url}${path}`, d.headers, d.body);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
    answers.push(r.json);
  }
  assert.deepEqual(seen, ['evt_spelling'], 'the handler ran once');
  assert.ok(
    answers.slice(1).every((a) => a.duplicate === true && a.id === 'evt_spelling'),
    JSON.stringify(answers),
  );
});

test(`[${BACKEND}] Express: app.use mount, any sub-path is the same endpoint`, async (t) => {
  const seen = [];
  const app = express();
  app.use(
    '/hooks',
    webhook({
      scheme: 'stripe',
      secret: STRIPE,
      mode: 'sync',
      onError: quiet,
      handlers: { '*': (e) => seen.push(e.id) },
    }),
  );
  const srv = await listen(app);
  t.after(srv.close);
  const d = stripeDelivery('evt_mount');
  const paths = [
    '/hooks',
    '/hooks/a',
    '/hooks/b/c',
    '/HOOKS/x',
    '/hooks/',
    ...Array.from({ length: 5 }, (_, i) => `/hooks/r${i}`),
  ];
  for (const path of paths) {
    const r = await post(`${srv.url}${path}`, d.headers, d.body);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
  }
  assert.deepEqual(seen, ['evt_mount']);
  // Another event is another delivery.
  const other = stripeDelivery('evt_mount_2');
  assert.equal((await post(`${srv.url}/hooks/z`, other.headers, other.body)).status, 200);
  assert.deepEqual(seen, ['evt_mount', 'evt_mount_2']);
});

test(`[${BACKEND}] namespace names an endpoint when receivers share a store; the path never does`, async (t) => {
  const seen = [];
  const store = new hv.MemoryStore();
  const app = express();
  const opts = (namespace) => ({
    scheme: 'stripe',
    secret: STRIPE,
    mode: 'sync',
    store,
    namespace,
    onError: quiet,
    handlers: { '*': (e) => seen.push([namespace, e.id]) },
  });
  app.post('/billing', webhook(opts('billing')));
  app.post('/shop', webhook(opts('shop')));
  app.post('/shop-v2', webhook(opts('shop')));
  const srv = await listen(app);
  t.after(srv.close);
  const d = stripeDelivery('evt_ns');
  for (const path of ['/billing', '/shop', '/shop-v2', '/BILLING/'])
    assert.equal((await post(`${srv.url}${path}`, d.headers, d.body)).status, 200);
  assert.deepEqual(seen, [
    ['billing', 'evt_ns'],
    ['shop', 'evt_ns'],
  ]);
});

test(`[${BACKEND}] Svix-signed delivery plus an unsigned webhook-id: the svix id, one handler run`, async (t) => {
  const body = JSON.stringify({ type: 'user.created', data: { n: 1 } }); // no /id, no /timestamp
  const ts = Math.floor(Date.now() / 1000);
  const svix = standardHeaders('svix', 'msg_svix_1', body, ts);
  // The Verifier: id and timestamp from the set that verified.
  const v = new hv.Verifier({ scheme: 'standard', secret: STANDARD_SECRET });
  const event = v.verify(body, { ...svix, 'webhook-id': 'anything', 'webhook-timestamp': String(ts - 86400) });
  assert.equal(event.id, 'msg_svix_1');
  assert.equal(event.timestamp, ts);

  const seen = [];
  const app = express();
  app.post(
    '/webhooks',
    webhook({
      scheme: 'standard',
      secret: STANDARD_SECRET,
      mode: 'sync',
      onError: quiet,
      handlers: { '*': (e) => seen.push(e.id) },
    }),
  );
  const srv = await listen(app);
  t.after(srv.close);
  const first = await post(`${srv.url}/webhooks`, svix, body);
  assert.deepEqual([first.status, first.json], [200, { ok: true, id: 'msg_svix_1' }]);
  for (let i = 0; i < 3; i++) {
    const r = await post(`${srv.url}/webhooks`, { ...svix, 'webhook-id': `replay-${i}` }, body);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, id: 'msg_svix_1', duplicate: true });
  }
  // The other way round: webhook-* verified, an added svix-id is never read either.
  const std = standardHeaders('webhook', 'msg_std_1', body, ts);
  assert.equal((await post(`${srv.url}/webhooks`, { ...std, 'svix-id': 'x' }, body)).json.id, 'msg_std_1');
  assert.equal((await post(`${srv.url}/webhooks`, { ...std, 'svix-id': 'y' }, body)).json.duplicate, true);
  assert.deepEqual(seen, ['msg_svix_1', 'msg_std_1']);
});

test(`[${BACKEND}] GitHub: a captured body replayed under fresh delivery ids is a duplicate; event.id is the header's`, async (t) => {
  const body = JSON.stringify({ action: 'opened', issue: { number: 7 } });
  const sig = `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`;
  const headers = (delivery, event = 'issues') => ({
    'x-hub-signature-256': sig,
    'x-github-event': event,
    'x-github-delivery': delivery,
  });
  const seen = [];
  const app = express();
  app.post(
    '/webhooks',
    webhook({
      scheme: 'github',
      secret: GITHUB_SECRET,
      mode: 'sync',
      onError: quiet,
      handlers: { '*': (e) => seen.push([e.id, e.type]) },
    }),
  );
  const srv = await listen(app);
  t.after(srv.close);
  assert.deepEqual((await post(`${srv.url}/webhooks`, headers('d-genuine'), body)).json, { ok: true, id: 'd-genuine' });
  for (const fresh of ['2d5a3c1e-0001', '2d5a3c1e-0002', '2d5a3c1e-0003']) {
    const r = await post(`${srv.url}/webhooks`, headers(fresh), body);
    assert.deepEqual([r.status, r.json], [200, { ok: true, id: fresh, duplicate: true }]);
  }
  // Re-sent with another (unsigned) event type: the same signed body, still a duplicate.
  assert.equal((await post(`${srv.url}/webhooks`, headers('d-member', 'member'), body)).json.duplicate, true);
  assert.deepEqual(seen, [['d-genuine', 'issues.opened']]);
});
