// Interop in both directions with the peers' own libraries: their signatures verify with
// hookverify, and headers from hookverify's sign() verify with theirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { sign as octoSign, verify as octoVerify } from '@octokit/webhooks-methods';
import { BACKEND, hv } from './backend.mjs';

const now = () => Math.floor(Date.now() / 1000);
const stripe = new Stripe('sk_test_interop');
const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = JSON.stringify({
  id: 'evt_1',
  type: 'invoice.paid',
  created: 1700000000,
  timestamp: '2023-11-14T22:13:20Z',
  data: { object: { n: 1, s: 'é' } },
});

test(`[${BACKEND}] stripe generateTestHeaderString -> hookverify`, () => {
  const ts = now();
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_stripe', timestamp: ts });
  const e = new hv.Verifier({ scheme: 'stripe', secret: 'whsec_stripe' }).verify(Buffer.from(body), {
    'stripe-signature': header,
  });
  assert.equal(e.id, 'evt_1');
  assert.equal(e.type, 'invoice.paid');
  assert.throws(
    () => new hv.Verifier({ scheme: 'stripe', secret: 'other' }).verify(body, { 'stripe-signature': header }),
    { code: 'no_matching_signature' },
  );
});

test(`[${BACKEND}] hookverify sign -> stripe constructEvent`, () => {
  const headers = hv.sign({ scheme: 'stripe', secret: 'whsec_stripe', body, timestamp: now() });
  const event = stripe.webhooks.constructEvent(body, headers['Stripe-Signature'], 'whsec_stripe');
  assert.equal(event.id, 'evt_1');
  assert.throws(() => stripe.webhooks.constructEvent(body + ' ', headers['Stripe-Signature'], 'whsec_stripe'));
});

test(`[${BACKEND}] standardwebhooks sign -> hookverify, and back`, () => {
  const wh = new StandardWebhook(WHSEC);
  const ts = new Date();
  const sig = wh.sign('msg_1', ts, body);
  const headers = {
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
    'webhook-signature': sig,
  };
  const e = new hv.Verifier({ scheme: 'standard', secret: WHSEC }).verify(body, headers);
  assert.equal(e.id, 'msg_1');
  assert.deepEqual(e.data, { object: { n: 1, s: 'é' } });
  const ours = hv.sign({ scheme: 'standard', secret: WHSEC, body, id: 'msg_2', timestamp: now() });
  assert.deepEqual(wh.verify(body, ours), JSON.parse(body));
  assert.throws(() => wh.verify(body + ' ', ours));
});

test(`[${BACKEND}] svix sign -> hookverify (svix-* headers), and back`, () => {
  const wh = new SvixWebhook(WHSEC);
  const ts = new Date();
  const sig = wh.sign('msg_svix', ts, body);
  const headers = {
    'svix-id': 'msg_svix',
    'svix-timestamp': String(Math.floor(ts.getTime() / 1000)),
    'svix-signature': sig,
  };
  const r = new hv.Verifier({ scheme: 'standard', secret: WHSEC }).verifySignature(body, headers);
  assert.equal(r.messageId, 'msg_svix');
  const ours = hv.sign({ scheme: 'standard', secret: WHSEC, body, id: 'msg_3', timestamp: now() });
  const svixHeaders = {
    'svix-id': ours['webhook-id'],
    'svix-timestamp': ours['webhook-timestamp'],
    'svix-signature': ours['webhook-signature'],
  };
  wh.verify(body, svixHeaders); // throws on failure
  assert.throws(() => wh.verify(body + ' ', svixHeaders));
});

test(`[${BACKEND}] @octokit/webhooks-methods sign -> hookverify, and back`, async () => {
  const secret = "It's a Secret to Everybody";
  const sig = await octoSign(secret, body);
  const r = new hv.Verifier({ scheme: 'github', secret }).verifySignature(body, { 'X-Hub-Signature-256': sig });
  assert.equal(r.keyIndex, 0);
  const ours = hv.sign({ scheme: 'github', secret, body, id: 'delivery-1' });
  assert.equal(await octoVerify(secret, body, ours['X-Hub-Signature-256']), true);
  assert.equal(await octoVerify('wrong', body, ours['X-Hub-Signature-256']), false);
});

test(`[${BACKEND}] key rotation: old and new secrets, keyIndex says which matched`, () => {
  const oldWh = new StandardWebhook(WHSEC);
  const newSecret = 'whsec_' + Buffer.from('a brand new key, 32 bytes long!!').toString('base64');
  const ts = new Date();
  const v = new hv.Verifier({ scheme: 'standard', secrets: [newSecret, WHSEC] });
  const headers = {
    'webhook-id': 'm',
    'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
    'webhook-signature': oldWh.sign('m', ts, body),
  };
  assert.equal(v.verifySignature(body, headers).keyIndex, 1);
  headers['webhook-signature'] = new StandardWebhook(newSecret).sign('m', ts, body);
  assert.equal(v.verifySignature(body, headers).keyIndex, 0);
});
