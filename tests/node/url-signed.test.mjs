// Schemes that sign the request line (issue 19 item 2) for the backend named by HOOKVERIFY_BACKEND:
// the per-call {url, method} options, the verifier's configured `url`, receivers' provider `url`,
// diagnose's wrong_url hint. Signatures are computed with node:crypto (Square's rule: base64
// HMAC-SHA256 over notification URL + body, per square-nodejs-sdk's webhook tests; Twilio's: base64
// HMAC-SHA1 over URL + sorted name+value params, per twilio-node's validation spec).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hv } from './backend.mjs';

const URL_ = 'https://hooks.example.com/square?tenant=7';
const SECRET = 'square-node-key';
const BODY = Buffer.from('{"event_id":"evt_9","type":"payment.updated","created_at":"2026-12-01T00:00:00Z","data":{}}');
const SIG = crypto.createHmac('sha256', SECRET).update(URL_).update(BODY).digest('base64');
const HEADERS = { 'x-square-hmacsha256-signature': SIG };

function codeOf(f) {
  try {
    f();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof hv.HookverifyError, String(e));
    return e.code;
  }
}

test('per-call url verifies; none is invalid_argument; another is no_matching_signature', () => {
  const v = new hv.Verifier({ scheme: 'square', secret: SECRET });
  assert.equal(v.verify(BODY, HEADERS, { url: URL_ }).id, 'evt_9');
  assert.equal(v.verifySignature(BODY, HEADERS, { url: URL_ }).keyIndex, 0);
  assert.equal(
    codeOf(() => v.verifySignature(BODY, HEADERS)),
    'invalid_argument',
  );
  assert.equal(
    codeOf(() => v.verify(BODY, HEADERS, { url: 'http://hooks.example.com/square?tenant=7' })),
    'no_matching_signature',
  );
  assert.equal(
    codeOf(() => v.verify(BODY, HEADERS, { url: 7 })),
    'invalid_argument',
  );
  assert.equal(
    codeOf(() => v.verify(BODY, HEADERS, { uri: URL_ })),
    'invalid_argument',
  );
});

test('the configured endpoint url serves every call', () => {
  const v = new hv.Verifier({ scheme: 'square', secret: SECRET, url: URL_ });
  assert.equal(v.verify(BODY, HEADERS).id, 'evt_9');
  // A Buffer body without per-call options takes the fast path: it must reach the same check.
  assert.equal(v.verifySignature(new Uint8Array(BODY), HEADERS).keyIndex, 0);
});

test('twilio form parameters: sorted name+value, order on the wire does not matter', () => {
  const token = 'twilio-node-token';
  const url = 'https://example.com/voice?x=1';
  const params = [
    ['To', '+1800'],
    ['From', '+1415'],
    ['Digits', '12'],
  ];
  const signed = [...params]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => k + v)
    .join('');
  const sig = crypto
    .createHmac('sha1', token)
    .update(url + signed)
    .digest('base64');
  const body = new URLSearchParams(params).toString();
  const v = new hv.Verifier({ scheme: 'twilio', secret: token });
  assert.equal(v.verifySignature(body, { 'X-Twilio-Signature': sig }, { url }).keyIndex, 0);
  // Twilio's validators also accept the URL with the default port spelled out.
  assert.equal(
    v.verifySignature(body, { 'X-Twilio-Signature': sig }, { url: 'https://example.com:443/voice?x=1' }).keyIndex,
    0,
  );
  const changed = body.replace('Digits=12', 'Digits=13');
  assert.equal(
    codeOf(() => v.verifySignature(changed, { 'X-Twilio-Signature': sig }, { url })),
    'no_matching_signature',
  );
});

test('diagnose names the URL spelling that verifies (a TLS-terminating proxy)', () => {
  const report = hv.diagnose({
    headers: HEADERS,
    body: BODY,
    secret: SECRET,
    url: 'http://hooks.example.com/square?tenant=7',
  });
  assert.equal(report.valid, false);
  assert.equal(report.hints[0].code, 'wrong_url');
  assert.ok(report.hints[0].message.includes(URL_), report.hints[0].message);
  assert.equal(hv.diagnose({ headers: HEADERS, body: BODY, secret: SECRET, url: URL_ }).valid, true);
});
