// Public-key signatures (issue 19, item 3) against the providers' official verification helpers:
// discord-interactions' verifyKey (Ed25519) and @sendgrid/eventwebhook's EventWebhook (ECDSA
// P-256). Neither library signs, so requests are signed here with node:crypto for fresh key pairs,
// and hookverify must agree with the official helper on every request, valid or tampered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { verifyKey } from 'discord-interactions';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { BACKEND, hv } from './backend.mjs';

const now = () => Math.floor(Date.now() / 1000);

/** hookverify's verdict: true when the signature verifies, false on no_matching_signature. */
function hookverify(options, body, headers) {
  try {
    new hv.Verifier(options).verifySignature(body, headers);
    return true;
  } catch (e) {
    if (e.code === 'no_matching_signature') return false;
    throw e;
  }
}

test(`[${BACKEND}] discord: node:crypto Ed25519 -> discord-interactions verifyKey and hookverify agree`, async () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // The raw 32-byte key is the last 32 bytes of its SubjectPublicKeyInfo DER.
  const hexKey = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const other = generateKeyPairSync('ed25519')
    .publicKey.export({ format: 'der', type: 'spki' })
    .subarray(-32)
    .toString('hex');
  const ts = String(now());
  const body = JSON.stringify({ id: '1100', type: 2, data: { name: 'ping', note: 'é' }, application_id: '7' });
  const sig = sign(null, Buffer.from(ts + body), privateKey).toString('hex');
  const cases = [
    { body, sig, key: hexKey, want: true },
    { body: `${body} `, sig, key: hexKey, want: false },
    { body, sig: sig.slice(0, -2) + (sig.endsWith('00') ? '01' : '00'), key: hexKey, want: false },
    { body, sig, key: other, want: false },
  ];
  for (const c of cases) {
    const theirs = await verifyKey(c.body, c.sig, ts, c.key);
    const ours = hookverify({ scheme: 'discord', publicKeys: [c.key] }, c.body, {
      'X-Signature-Ed25519': c.sig,
      'X-Signature-Timestamp': ts,
    });
    assert.equal(theirs, c.want, 'discord-interactions');
    assert.equal(ours, c.want, 'hookverify');
  }
  const e = new hv.Verifier({ scheme: 'discord', publicKeys: [hexKey] }).verify(body, {
    'X-Signature-Ed25519': sig,
    'X-Signature-Timestamp': ts,
  });
  assert.deepEqual([e.id, e.type], ['1100', '2']);
});

test(`[${BACKEND}] sendgrid: node:crypto ECDSA P-256 -> @sendgrid/eventwebhook and hookverify agree`, () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const pem = publicKey.export({ format: 'pem', type: 'spki' });
  const otherPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
    format: 'pem',
    type: 'spki',
  });
  const ts = String(now());
  // SendGrid's deliveries end in CRLF, which is signed.
  const body = `${JSON.stringify([{ email: 'a@example.com', event: 'delivered', sg_event_id: 'ev1', timestamp: Number(ts) }])}\r\n`;
  const sig = sign('sha256', Buffer.from(ts + body), privateKey).toString('base64'); // DER by default
  const sendgrid = new EventWebhook();
  const cases = [
    { body, key: pem, want: true },
    { body: body.slice(0, -2), key: pem, want: false },
    { body: body.replace('delivered', 'bounce'), key: pem, want: false },
    { body, key: otherPem, want: false },
  ];
  for (const c of cases) {
    const theirs = sendgrid.verifySignature(sendgrid.convertPublicKeyToECDSA(c.key), c.body, sig, ts);
    const headers = { 'X-Twilio-Email-Event-Webhook-Signature': sig, 'X-Twilio-Email-Event-Webhook-Timestamp': ts };
    assert.equal(theirs, c.want, 'sendgrid');
    assert.equal(hookverify({ scheme: 'sendgrid', publicKeys: [c.key] }, c.body, headers), c.want, 'hookverify (PEM)');
  }
  // The base64 DER form SendGrid's dashboard shows verifies the same request.
  const headers = { 'X-Twilio-Email-Event-Webhook-Signature': sig, 'X-Twilio-Email-Event-Webhook-Timestamp': ts };
  assert.equal(hookverify({ scheme: 'sendgrid', publicKeys: [der] }, body, headers), true);
});

test(`[${BACKEND}] publicKeys: a bad key is invalid_secret, never quoted`, () => {
  assert.throws(
    () => new hv.Verifier({ scheme: 'discord', publicKeys: ['CANARY-not-a-key'] }),
    (e) => e.code === 'invalid_secret' && !e.message.includes('CANARY'),
  );
  assert.throws(() => new hv.Verifier({ scheme: 'github', secret: 's', publicKeys: ['00'] }), {
    code: 'invalid_argument',
  });
});
