// `sign` for every scheme family (issue 19 item 8) on the backend named by HOOKVERIFY_BACKEND:
// `privateKey` for public-key schemes and `url`/`method` for request-line schemes. Every signature
// is checked by node:crypto (crypto.verify for Ed25519 and ECDSA P-256, createHmac for the MACs),
// with keys generated here by node:crypto; and diagnose takes `publicKeys`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hv } from './backend.mjs';

const TS = 1764000000;
const BODY = '{"id":"evt_1","type":"ping","data":{}}';

function codeOf(f) {
  try {
    f();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof hv.HookverifyError, String(e));
    return e.code;
  }
}

test('discord and standard v1a: Ed25519 PKCS#8 PEM private key; node:crypto verifies', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const h = hv.sign({ scheme: 'discord', privateKey: pem, body: BODY, timestamp: TS });
  const sig = Buffer.from(h['X-Signature-Ed25519'], 'hex');
  assert.ok(crypto.verify(null, Buffer.from(`${TS}${BODY}`), publicKey, sig));
  assert.ok(!crypto.verify(null, Buffer.from(`${TS}${BODY} `), publicKey, sig));
  const s = hv.sign({ scheme: 'standard', privateKey: pem, body: BODY, id: 'msg_1', timestamp: TS });
  const [label, b64] = s['webhook-signature'].split(',');
  assert.equal(label, 'v1a');
  assert.ok(crypto.verify(null, Buffer.from(`msg_1.${TS}.${BODY}`), publicKey, Buffer.from(b64, 'base64')));
  // diagnose with the public key (raw 32 bytes as hex, Discord's form): valid, key 0.
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const report = hv.diagnose({ headers: h, body: BODY, publicKeys: [raw], scheme: 'discord', now: TS });
  assert.equal(report.valid, true, JSON.stringify(report));
  assert.equal(report.keyIndex, 0);
  const other = crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const wrong = hv.diagnose({
    headers: h,
    body: BODY,
    publicKeys: [other.toString('hex')],
    scheme: 'discord',
    now: TS,
  });
  assert.deepEqual(
    wrong.hints.map((x) => x.code),
    ['wrong_public_key'],
  );
});

test('sendgrid: P-256 PKCS#8 DER (base64) private key; node:crypto verifies the DER signature', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
  const body = `${BODY}\r\n`;
  const h = hv.sign({ scheme: 'sendgrid', privateKey: der, body, timestamp: TS });
  const sig = Buffer.from(h['X-Twilio-Email-Event-Webhook-Signature'], 'base64');
  assert.ok(crypto.verify('sha256', Buffer.from(`${TS}${body}`), publicKey, sig));
});

test('square, hubspot, trello, twilio: url and method signed as node:crypto computes them', () => {
  const url = 'https://hooks.example.com/h?x=1';
  const mac = (alg, key, ...parts) => {
    const m = crypto.createHmac(alg, key);
    for (const p of parts) m.update(p);
    return m.digest('base64');
  };
  assert.equal(
    hv.sign({ scheme: 'square', secret: 'sq', body: BODY, url })['x-square-hmacsha256-signature'],
    mac('sha256', 'sq', url, BODY),
  );
  const hs = hv.sign({ scheme: 'hubspot', secret: 'hs', body: BODY, url, method: 'PUT', timestamp: TS });
  assert.equal(hs['X-HubSpot-Signature-v3'], mac('sha256', 'hs', 'PUT', url, BODY, `${TS}000`));
  assert.equal(
    hv.sign({ scheme: 'trello', secret: 'tr', body: BODY, url })['X-Trello-Webhook'],
    mac('sha1', 'tr', BODY, url),
  );
  const form = 'To=%2B15550001&Body=hi+there&From=%2B15550002';
  assert.equal(
    hv.sign({ scheme: 'twilio', secret: 'tw', body: form, url })['X-Twilio-Signature'],
    mac('sha1', 'tw', url, 'Bodyhi there', 'From+15550002', 'To+15550001'),
  );
  assert.equal(
    codeOf(() => hv.sign({ scheme: 'square', secret: 'sq', body: BODY })),
    'invalid_argument',
  );
});

test('bad sign options are typed errors; a private key is never echoed', () => {
  const seed = 'ab'.repeat(31);
  assert.equal(
    codeOf(() => hv.sign({ scheme: 'discord', privateKey: seed, body: BODY, timestamp: TS })),
    'invalid_secret',
  );
  try {
    hv.sign({ scheme: 'discord', privateKey: seed, body: BODY, timestamp: TS });
  } catch (e) {
    assert.ok(!e.message.includes(seed.slice(0, 12)), e.message);
  }
  assert.equal(
    codeOf(() => hv.sign({ scheme: 'discord', secret: 's', body: BODY, timestamp: TS })),
    'invalid_argument',
  );
  assert.equal(
    codeOf(() => hv.sign({ scheme: 'discord', secret: 's', privateKey: 'ab'.repeat(32), body: BODY, timestamp: TS })),
    'invalid_argument',
  );
  assert.equal(
    codeOf(() => hv.sign({ scheme: 'github', privateKey: 'ab'.repeat(32), body: BODY })),
    'invalid_argument',
  );
  assert.equal(
    codeOf(() => hv.sign({ scheme: 'square', secret: 'sq', body: BODY, url: 5 })),
    'invalid_argument',
  );
  assert.equal(
    codeOf(() => hv.diagnose({ headers: {}, body: '', publicKeys: 'k' })),
    'invalid_argument',
  );
});
