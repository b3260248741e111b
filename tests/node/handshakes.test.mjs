// Handshakes answered by the core (tests/vectors/handshakes.json, as Rust and Python run it), on
// this backend (HOOKVERIFY_BACKEND), then end to end through Express over loopback HTTP: a GET
// handshake (Meta), a signed POST handshake (Slack, signature from node:crypto) and the 405.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import test from 'node:test';
import express from 'express';

import { BACKEND, hv, load } from './backend.mjs';
import { listen, post } from './http.mjs';

const table = JSON.parse(await load('tests/vectors/handshakes.json'));
const require = createRequire(import.meta.url);
const { webhook } = require('hookverify/express').createExpress(hv);

function same(what, d, expect) {
  assert.equal(d.status, expect.status, `${what}: status (${d.body})`);
  assert.deepEqual(Object.entries(d.headers), expect.headers, `${what}: headers`);
  assert.equal(d.body, expect.body, `${what}: body bytes`);
}

for (const c of table.cases) {
  test(`[${BACKEND}] handshake table: ${c.name}`, async () => {
    const routes = c.config.routes.map((r) => ({ ...r, handler: () => assert.fail('a handshake runs no handler') }));
    const receiver = new hv.Receiver({ ...c.config, routes, onError: () => {}, onReject: () => {} });
    for (const [i, r] of c.requests.entries()) {
      const { decision, done } = await receiver.handle({
        method: r.method,
        path: r.path,
        headers: r.headers,
        body: r.body,
        now: r.now,
      });
      await done;
      same(`${c.name} [request ${i}]`, decision, r.expect);
    }
  });
}

test(`[${BACKEND}] a method that is not a string is refused`, async () => {
  const receiver = new hv.Receiver({ scheme: 'github', secret: 's' });
  await assert.rejects(
    receiver.handle({ method: 7, path: '/', headers: {}, body: '' }),
    (e) => e instanceof hv.HookverifyError && e.code === 'invalid_argument',
  );
});

test(`[${BACKEND}] Express: Meta GET, Slack url_verification and the 405, over HTTP`, async (t) => {
  const app = express();
  const seen = [];
  app.all(
    '/webhooks',
    webhook({
      providers: [
        { scheme: 'meta', secret: 'meta-app-secret', verifyTokens: ['meta-verify-1'] },
        { scheme: 'slack', secret: 'slack-signing-secret' },
      ],
      mode: 'sync',
      handlers: { '*': (e) => seen.push(e.type) },
      onError: () => {},
      onReject: () => {},
    }),
  );
  const srv = await listen(app);
  t.after(srv.close);

  const ok = await fetch(`${srv.url}/webhooks?hub.mode=subscribe&hub.challenge=31337&hub.verify_token=meta-verify-1`);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), '31337');
  assert.match(ok.headers.get('content-type'), /^text\/plain/);
  assert.equal(ok.headers.get('x-content-type-options'), 'nosniff');

  const bad = await fetch(`${srv.url}/webhooks?hub.mode=subscribe&hub.challenge=31337&hub.verify_token=nope`);
  assert.equal(bad.status, 403);
  assert.ok(!(await bad.text()).includes('31337'));

  const ts = String(Math.floor(Date.now() / 1000));
  const body = '{"token":"t","challenge":"slack-challenge-42","type":"url_verification"}';
  const sig = `v0=${createHmac('sha256', 'slack-signing-secret').update(`v0:${ts}:${body}`).digest('hex')}`;
  const r = await post(`${srv.url}/webhooks`, { 'X-Slack-Signature': sig, 'X-Slack-Request-Timestamp': ts }, body);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { challenge: 'slack-challenge-42' });
  const forged = await post(
    `${srv.url}/webhooks`,
    { 'X-Slack-Signature': `v0=${'0'.repeat(64)}`, 'X-Slack-Request-Timestamp': ts },
    body,
  );
  assert.equal(forged.status, 401);

  const del = await fetch(`${srv.url}/webhooks`, { method: 'DELETE' });
  assert.equal(del.status, 405);
  assert.equal(del.headers.get('allow'), 'POST');
  assert.equal((await del.json()).error.code, 'method_not_allowed');
  assert.deepEqual(seen, [], 'no handler ran for a handshake');
});
