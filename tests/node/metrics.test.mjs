// Receiver#metrics() and #prometheus() (issue 21 part 5) for the backend named by HOOKVERIFY_BACKEND:
// the core's counters and histograms, by provider, outcome and code, through an Express app over
// loopback HTTP. Signatures come from node:crypto, never from hookverify's sign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hv } from './backend.mjs';

const SECRET = 'reflex-node-secret';
const REFLEX = { name: 'reflex', signature_header: 'X-Reflex-Signature' };

function delivery(id, type = 'deployment.created') {
  const body = Buffer.from(JSON.stringify({ id, type, data: {} }));
  return {
    path: '/hooks',
    headers: { 'x-reflex-signature': crypto.createHmac('sha256', SECRET).update(body).digest('hex') },
    body,
  };
}

function count(snapshot, outcome, code = null) {
  return snapshot.deliveries
    .filter((s) => s.outcome === outcome && (code === null || s.code === code))
    .reduce((n, s) => n + s.latency.count, 0);
}

test('sync: each answer is counted once under its outcome and code', async () => {
  const r = new hv.Receiver({
    providers: [{ name: 'reflex', scheme: REFLEX, secret: SECRET }],
    mode: 'sync',
    onError: () => {},
    onReject: () => {},
    handlers: {
      'deployment.created': () => {},
      'deployment.failed': () => {
        throw new Error('boom');
      },
    },
  });
  const answers = [];
  for (const req of [
    delivery('a'),
    delivery('a'),
    delivery('b', 'deployment.failed'),
    delivery('c', 'invoice.paid'),
    { ...delivery('d'), headers: { 'x-reflex-signature': '00'.repeat(32) } },
  ]) {
    answers.push((await r.handle(req)).decision.status);
  }
  // A type without a handler is 200 in sync mode (the core default), so senders do not retry it.
  assert.deepEqual(answers, [200, 200, 500, 200, 401]);
  const m = r.metrics();
  assert.equal(count(m, 'handled'), 1);
  assert.equal(count(m, 'duplicate'), 1);
  assert.equal(count(m, 'failed', 'handler_failed'), 1);
  assert.equal(count(m, 'unhandled'), 1);
  assert.equal(count(m, 'rejected', 'no_matching_signature'), 1);
  const handled = m.deliveries.find((s) => s.outcome === 'handled');
  assert.equal(handled.provider, 'reflex');
  assert.equal(handled.latency.cumulative.at(-1), 1, '+Inf bucket holds every observation');
  assert.ok(handled.latency.sumSeconds > 0);
  assert.deepEqual(m.runs, []);
  const text = r.prometheus();
  assert.match(text, /^hookverify_deliveries_total\{provider="reflex",outcome="handled"\} 1$/m);
  assert.match(
    text,
    /^hookverify_deliveries_total\{provider="reflex",outcome="rejected",code="no_matching_signature"\} 1$/m,
  );
  assert.match(text, /^# TYPE hookverify_delivery_duration_seconds histogram$/m);
  assert.ok(!text.includes(SECRET));
});

test('async: the 202 is counted, then the handler run when it ends', async () => {
  const r = new hv.Receiver({
    providers: [{ name: 'reflex', scheme: REFLEX, secret: SECRET }],
    handlers: { '*': () => {} },
  });
  const { decision, done } = await r.handle(delivery('x'));
  assert.equal(decision.status, 202);
  await done;
  const m = r.metrics();
  assert.equal(count(m, 'accepted'), 1);
  assert.deepEqual(
    m.runs.map((s) => [s.provider, s.outcome, s.latency.count]),
    [['reflex', 'done', 1]],
  );
});
