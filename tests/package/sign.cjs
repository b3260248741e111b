// A Standard Webhooks delivery signed with node:crypto (never hookverify's signer).
const { createHmac } = require('node:crypto');

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function delivery(id, type, now = Math.floor(Date.now() / 1000)) {
  const body = JSON.stringify({ type, timestamp: new Date(now * 1000).toISOString(), data: { id: 'obj_1' } });
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${now}.${body}`).digest('base64');
  return { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': `v1,${sig}` } };
}

module.exports = { SECRET, delivery };
