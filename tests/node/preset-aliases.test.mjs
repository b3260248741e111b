// Preset aliases in the Node receiver (this backend, HOOKVERIFY_BACKEND): a provider configured by an
// alias (`whatsapp`, of `meta`) verifies as the preset and is named by the alias, so two aliases of
// one preset are two providers. Signatures from node:crypto.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import test from 'node:test';

import { BACKEND, hv, load } from './backend.mjs';

test(`[${BACKEND}] a provider configured by an alias is named by it and verifies as the preset`, async () => {
  const seen = [];
  const r = new hv.Receiver({
    providers: [
      { scheme: 'whatsapp', secret: 'wa-secret', match: { header: 'x-app', equals: 'wa' } },
      { scheme: 'instagram', secret: 'ig-secret', match: { header: 'x-app', equals: 'ig' } },
    ],
    mode: 'sync',
    handlers: { '*': (event, ctx) => seen.push([ctx.provider, event.type]) },
  });
  const body = '{"object":"instagram","entry":[{"id":"1","changes":[{"field":"comments","value":{}}]}]}';
  const sig = (secret) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
  let { decision } = await r.handle({
    path: '/',
    headers: { 'x-app': 'ig', 'X-Hub-Signature-256': sig('ig-secret') },
    body,
  });
  assert.equal(decision.status, 200, decision.body);
  ({ decision } = await r.handle({
    path: '/',
    headers: { 'x-app': 'wa', 'X-Hub-Signature-256': sig('ig-secret') },
    body,
  }));
  assert.equal(decision.status, 401, decision.body);
  assert.deepEqual(seen, [['instagram', 'instagram.comments']]);
  assert.throws(
    () => new hv.Verifier({ scheme: 'Whatsapp', secret: 's' }),
    (e) => e.code === 'unknown_scheme',
  );
});

test(`[${BACKEND}] index.d.ts names every preset and alias`, async () => {
  const dts = await load('packages/npm/index.d.ts');
  const union = (name) =>
    [
      ...dts
        .split(`export type ${name} =`)[1]
        .split(';')[0]
        .matchAll(/'([a-z0-9-]+)'/g),
    ].map((m) => m[1]);
  assert.deepEqual(union('PresetName'), [...hv.SCHEMES]);
  assert.deepEqual(union('PresetAlias'), [
    'svix',
    'clerk',
    'resend',
    'openai',
    'replicate',
    'brex',
    'whatsapp',
    'facebook',
    'instagram',
  ]);
  for (const alias of union('PresetAlias'))
    assert.ok(new hv.Verifier({ scheme: alias, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }), alias);
});
