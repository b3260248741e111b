// One body rule for Verifier and Receiver (lib/api.js toBody): a parsed-JSON object where the raw
// body belongs gets the same hint from both, and a string body is its UTF-8 on either backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { BACKEND, hv } from './backend.mjs';

const scheme = { name: 'reflex', signature_header: 'X-Reflex-Signature' };

test(`[${BACKEND}] a Receiver given parsed JSON says to pass the raw body, as Verifier does`, async () => {
  const receiver = new hv.Receiver({ scheme, secret: 's', handlers: { '*': () => {} }, onReject: () => {} });
  const verifier = new hv.Verifier({ scheme, secret: 's' });
  const hint = /pass the raw request body/;
  assert.throws(() => verifier.verify({ id: 'e' }, {}), { code: 'invalid_argument', message: hint });
  await assert.rejects(receiver.handle({ path: '/', headers: {}, body: { id: 'e' } }), {
    code: 'invalid_argument',
    message: hint,
  });
  await assert.rejects(receiver.handle({ path: '/', headers: {}, body: 5 }), { code: 'invalid_argument' });
});

test(`[${BACKEND}] a Receiver takes a string body as its UTF-8 bytes`, async () => {
  const body = JSON.stringify({ id: 'evt_é', type: 't', created_at: 1700000000, data: { x: 'ü' } });
  const sig = crypto.createHmac('sha256', 's').update(Buffer.from(body, 'utf8')).digest('hex');
  const seen = [];
  const receiver = new hv.Receiver({ scheme, secret: 's', mode: 'sync', handlers: { '*': (e) => seen.push(e.id) } });
  const { decision } = await receiver.handle({
    path: '/',
    headers: { 'x-reflex-signature': sig },
    body,
    now: 1700000000,
  });
  assert.equal(decision.status, 200);
  assert.deepEqual(seen, ['evt_é']);
});
