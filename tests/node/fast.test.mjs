// The native addon's per-request calls take each header value as its own argument (bindings/node
// src/fast.rs) when a verifier or receiver reads at most 8 header names and the body is bytes; the
// packed-string calls serve the rest (string bodies, more header names, wasm). Both paths must give
// the same verdicts: expected signatures here come from node:crypto, never from our signer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { BACKEND, ROOT, hv } from './backend.mjs';

const require = createRequire(import.meta.url);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const KEY = Buffer.from(SECRET.slice(6), 'base64');
const NOW = 1700000000;
const BODY = '{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"name":"é😀"}}';
const sig = (id, body = BODY) =>
  'v1,' + createHmac('sha256', KEY).update(`${id}.${NOW}.`).update(body).digest('base64');

// Standard Webhooks plus three more header sets: 12 header names, more than the fast calls take.
const standard = JSON.parse(readFileSync(path.join(ROOT, 'core/presets/standard.json'), 'utf8'));
const wide = {
  ...standard,
  name: 'wide',
  header_aliases: [
    ...standard.header_aliases,
    ...['a', 'b', 'c'].map((p) => ({
      signature_header: `${p}-signature`,
      timestamp_header: `${p}-timestamp`,
      id_header: `${p}-id`,
    })),
  ],
};

for (const [label, scheme] of [
  ['standard (fast calls)', 'standard'],
  ['12 header names (packed calls)', wide],
]) {
  test(`[${BACKEND}] ${label}: Buffer and string bodies give the same verdicts`, async () => {
    const v = new hv.Verifier({ scheme, secret: SECRET });
    const headers = { 'Webhook-Id': 'msg_1', 'webhook-timestamp': String(NOW), 'webhook-signature': sig('msg_1') };
    for (const body of [Buffer.from(BODY), BODY, new Uint8Array(Buffer.from(BODY))]) {
      const e = v.verify(body, headers, { now: NOW });
      assert.deepEqual(
        [e.id, e.type, e.timestamp, e.keyIndex, e.data],
        ['msg_1', 'user.created', 1700000000, 0, { name: 'é😀' }],
      );
      assert.deepEqual(v.verifySignature(body, headers, { now: NOW }), {
        keyIndex: 0,
        timestamp: NOW,
        messageId: 'msg_1',
      });
      // A changed byte, a duplicated signature header, a missing one, a value over 16 KiB.
      const code = (f) => {
        try {
          f();
          return 'ok';
        } catch (err) {
          return err.code;
        }
      };
      assert.equal(
        code(() => v.verifySignature(Buffer.from(BODY.replace('user', 'usex')), headers, { now: NOW })),
        'no_matching_signature',
      );
      assert.equal(
        code(() => v.verify(body, { ...headers, 'webhook-signature': [sig('msg_1'), sig('msg_1')] }, { now: NOW })),
        'malformed_header',
      );
      assert.equal(
        code(() => v.verify(body, { ...headers, 'webhook-signature': undefined }, { now: NOW })),
        'missing_header',
      );
      assert.equal(
        code(() => v.verify(body, { ...headers, 'webhook-id': 'x'.repeat(70000) }, { now: NOW })),
        'malformed_header',
      );
    }
    // A non-ASCII value is malformed_header on this path too, even signed (spec/policy.md "Header
    // bytes": a runtime would read its bytes differently).
    const id = 'msg_é😀';
    assert.throws(
      () => v.verify(Buffer.from(BODY), { ...headers, 'Webhook-Id': id, 'webhook-signature': sig(id) }, { now: NOW }),
      { code: 'malformed_header' },
    );
  });

  test(`[${BACKEND}] ${label}: a Receiver answers the same way (200, then 200 duplicate without running, 401)`, async () => {
    let runs = 0;
    const r = new hv.Receiver({
      name: 'p',
      scheme,
      secret: SECRET,
      mode: 'sync',
      handlers: { 'user.created': () => void runs++ },
    });
    const headers = ['webhook-id', 'msg_2', 'webhook-timestamp', String(NOW), 'webhook-signature', sig('msg_2')];
    const first = (await r.handle({ headers, body: Buffer.from(BODY), now: NOW })).decision;
    const again = (await r.handle({ headers, body: Buffer.from(BODY), now: NOW })).decision;
    const bad = (await r.handle({ headers, body: Buffer.from(BODY + ' '), now: NOW })).decision;
    assert.deepEqual(
      [first.status, JSON.parse(first.body), again.status, bad.status, runs],
      [200, { id: 'msg_2', ok: true }, 200, 401, 1],
    );
  });
}

test(`[${BACKEND}] the fast calls refuse an unknown id and non-string header values`, {
  skip: BACKEND !== 'native',
}, () => {
  const raw = require('../../packages/npm/hookverify.linux-x64-gnu.node');
  const v = new raw.RawVerifier(JSON.stringify({ scheme: 'standard', secrets: [SECRET] }));
  assert.ok(v.fastId >= 0);
  const body = Buffer.from(BODY);
  const ok = raw.verifySignatureFast(v.fastId, body, NOW, sig('msg_1'), String(NOW), 'msg_1');
  assert.equal(Math.floor(ok / 16384) - 1, NOW);
  assert.throws(
    () => raw.verifySignatureFast(v.fastId + 1000, body, NOW),
    (e) => e.code === 'invalid_argument',
  );
  assert.throws(
    () => raw.verifySignatureFast(v.fastId, body, NOW, {}, String(NOW), 'msg_1'),
    (e) => e.code === 'invalid_argument',
  );
});
