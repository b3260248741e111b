// Runtime secret rotation (issue 18) for the backend named by HOOKVERIFY_BACKEND:
// verifier.setSecrets([...]) and receiver.setSecrets(provider, [...]). Signatures come from
// node:crypto, never from hookverify's sign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { createRequire } from 'node:module';
import express from 'express';
import { BACKEND, hv } from './backend.mjs';
import { runFaulting } from './faulting.mjs';
import { listen, post } from './http.mjs';

const require = createRequire(import.meta.url);
const { webhook } = require('hookverify/express').createExpress(hv);

const NOW = 1_700_000_000;
const OLD = 'revnoxa-old-secret';
const NEW = 'revnoxa-new-secret';
const REVNOXA = { name: 'revnoxa', signature_header: 'X-Revnoxa-Signature' };
const CANARY = 'whsec_QZcanarySECRET0123456789';

/** A Revnoxa delivery signed with `secret`. */
function delivery(secret, id = 'evt_1') {
  const body = Buffer.from(JSON.stringify({ id, type: 'invoice.paid', created_at: NOW, data: {} }));
  const sig = crypto.createHmac('sha256', secret).update(body).digest('hex');
  return { headers: { 'x-revnoxa-signature': sig }, body };
}

/** keyIndex, or the error code, of verifying a delivery signed with `secret` (Buffer and string bodies). */
function check(v, secret) {
  const { headers, body } = delivery(secret);
  const results = [body, body.toString()].map((b) => {
    try {
      return v.verify(b, headers, { now: NOW }).keyIndex;
    } catch (e) {
      return e.code;
    }
  });
  assert.equal(results[0], results[1], 'the fast path and the packed path agree');
  return results[0];
}

test('verifier.setSecrets replaces the live secrets, with an overlap', () => {
  const v = new hv.Verifier({ scheme: REVNOXA, secret: OLD });
  assert.equal(check(v, OLD), 0);
  assert.equal(check(v, NEW), 'no_matching_signature');
  assert.equal(v.setSecrets([NEW, OLD]), undefined);
  assert.equal(check(v, NEW), 0);
  assert.equal(check(v, OLD), 1);
  v.setSecrets([NEW]);
  assert.equal(check(v, NEW), 0);
  assert.equal(check(v, OLD), 'no_matching_signature');
  const { headers, body } = delivery(OLD);
  assert.throws(() => v.verifySignature(body, headers, { now: NOW }), { code: 'no_matching_signature' });
});

test('bad secrets are refused as by the constructor, never echoed, and the old ones stay', () => {
  const v = new hv.Verifier({ scheme: REVNOXA, secret: OLD });
  for (const [bad, code] of [
    [[], 'invalid_secret'],
    [[''], 'invalid_secret'],
    [[' \n'], 'invalid_secret'],
    [CANARY, 'invalid_argument'],
    [[CANARY, 12345], 'invalid_argument'],
    [undefined, 'invalid_argument'],
  ]) {
    let err;
    try {
      v.setSecrets(bad);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof hv.HookverifyError, `${inspect(bad)}: ${err}`);
    assert.equal(err.code, code, inspect(bad));
    const shown = `${err.message} ${JSON.stringify(err.details)} ${inspect(err)}`;
    assert.ok(!shown.includes('QZcanary'), shown);
    assert.equal(check(v, OLD), 0, `the old secret stays live after ${inspect(bad)}`);
  }
  // A whsec scheme decodes on rotation as at construction.
  const std = new hv.Verifier({ scheme: 'standard', secret: 'whsec_c2VjcmV0' });
  assert.throws(
    () => std.setSecrets(['whsec_not*base64*QZcanary']),
    (e) => e.code === 'invalid_secret' && !e.message.includes('QZcanary'),
  );
  std.setSecrets([CANARY]);
  assert.ok(!inspect(std, { showHidden: true, depth: 5 }).includes('QZcanary'));
});

test('receiver.setSecrets rotates one provider by name', async () => {
  const gh = 'gh-secret';
  const r = new hv.Receiver({
    providers: [
      { name: 'github', scheme: 'github', secret: gh },
      { name: 'revnoxa', scheme: REVNOXA, secret: OLD },
    ],
    mode: 'sync',
    handlers: { '*': () => {} },
    onReject: () => {},
  });
  let n = 0;
  const status = async (secret) => {
    const { headers, body } = delivery(secret, `evt_${++n}`);
    const { decision, done } = await r.handle({ path: '/hooks', headers, body, now: NOW });
    await done;
    return decision.status;
  };
  assert.deepEqual([await status(OLD), await status(NEW)], [200, 401]);
  r.setSecrets('revnoxa', [OLD, NEW]);
  assert.deepEqual([await status(OLD), await status(NEW)], [200, 200]);
  r.setSecrets('revnoxa', [NEW]);
  assert.deepEqual([await status(OLD), await status(NEW)], [401, 200]);
  // The other provider still verifies with its own secret.
  const ghBody = Buffer.from('{"action":"opened"}');
  const ghSig = `sha256=${crypto.createHmac('sha256', gh).update(ghBody).digest('hex')}`;
  const ghHeaders = { 'x-hub-signature-256': ghSig, 'x-github-event': 'issues', 'x-github-delivery': 'd1' };
  const { decision } = await r.handle({ path: '/hooks', headers: ghHeaders, body: ghBody, now: NOW });
  assert.equal(decision.status, 200);
  assert.throws(
    () => r.setSecrets(CANARY, [NEW]),
    (e) => e.code === 'invalid_argument' && !e.message.includes('QZcanary') && e.message.includes('github, revnoxa'),
  );
  assert.throws(() => r.setSecrets(42, [NEW]), { code: 'invalid_argument' });
  assert.throws(() => r.setSecrets('revnoxa', []), { code: 'invalid_secret' });
  assert.equal(await status(NEW), 200);
});

test('the Express middleware exposes its receiver to rotate secrets, and takes maxEventAge', async (t) => {
  const mw = webhook({
    providers: [{ name: 'revnoxa', scheme: REVNOXA, secret: OLD, maxEventAge: 300 }],
    mode: 'sync',
    handlers: { '*': () => {} },
    onReject: () => {},
  });
  const app = express();
  app.post('/hooks', mw);
  const { url, close } = await listen(app);
  t.after(close);
  // Deliveries dated now (the server's clock) unless `createdAt` says otherwise.
  let n = 0;
  const send = async (secret, createdAt = Math.floor(Date.now() / 1000)) => {
    const body = JSON.stringify({ id: `evt_${++n}`, type: 'invoice.paid', created_at: createdAt, data: {} });
    const sig = crypto.createHmac('sha256', secret).update(body).digest('hex');
    return (await post(`${url}/hooks`, { 'content-type': 'application/json', 'x-revnoxa-signature': sig }, body))
      .status;
  };
  assert.deepEqual([await send(OLD), await send(NEW)], [200, 401]);
  assert.equal(await send(OLD, '2020-01-01T00:00:00Z'), 401);
  mw.receiver.setSecrets('revnoxa', [NEW]);
  assert.deepEqual([await send(OLD), await send(NEW)], [401, 200]);
});

const CHILD = `
  import crypto from 'node:crypto';
  import { hv } from './backend.mjs';
  const body = '{"id":"e","type":"t","data":{}}';
  const headers = (s) => ({ 'x-revnoxa-signature': crypto.createHmac('sha256', s).update(body).digest('hex') });
  const v = new hv.Verifier({ scheme: { name: 'r', signature_header: 'X-Revnoxa-Signature' }, secret: 'old-secret' });
  v.setSecrets(['new-secret']);
  const r = new hv.Receiver({ scheme: { name: 'r', signature_header: 'X-Revnoxa-Signature' }, name: 'r', secret: 'old-secret', mode: 'sync', handlers: { '*': () => {} }, onReject: () => {} });
  r.setSecrets('r', ['new-secret']);
  try { hv.__panicForTests('now'); throw new Error('no panic'); } catch (e) { if (e.code !== 'internal_error') throw e; }
  const ok = (s) => { try { v.verify(body, headers(s)); return true; } catch (e) { return e.code; } };
  const got = [ok('new-secret'), ok('old-secret')];
  const answer = async (s) => (await r.handle({ path: '/', headers: headers(s), body })).decision.status;
  got.push(await answer('old-secret'), await answer('new-secret'));
  console.log(JSON.stringify(got));
`;

test(`[${BACKEND}] rotated secrets survive the rebuild after a wasm trap`, () => {
  const run = runFaulting(CHILD);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop()), [true, 'no_matching_signature', 401, 200]);
});
