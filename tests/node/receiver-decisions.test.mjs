// The shared receiver decision table (tests/vectors/receiver-decisions.json), as the Rust core and
// Python run it: every answer must be these exact bytes, on this backend (HOOKVERIFY_BACKEND).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import test from 'node:test';

import { BACKEND, hv, load } from './backend.mjs';

const table = JSON.parse(await load('tests/vectors/receiver-decisions.json'));

function same(what, d, expect) {
  assert.equal(d.status, expect.status, `${what}: status (${d.body})`);
  assert.deepEqual(Object.entries(d.headers), expect.headers, `${what}: headers`);
  assert.equal(d.body, expect.body, `${what}: body bytes`);
}

for (const c of table.cases) {
  test(`[${BACKEND}] decision table: ${c.name}`, async () => {
    let ran = [];
    let ok = true;
    // The config goes to the core as is; each route gets a handler recording its index.
    const routes = c.config.routes.map((r, i) => ({
      ...r,
      handler: () => {
        ran.push(i);
        if (!ok) throw new Error('handler failed on purpose');
      },
    }));
    const receiver = new hv.Receiver({ ...c.config, routes, onError: () => {}, onReject: () => {} });
    for (const [i, r] of c.requests.entries()) {
      const what = `${c.name} [request ${i}]`;
      if (r.declared_length !== undefined) {
        same(what, receiver.tooLarge(r.declared_length), r.expect);
        continue;
      }
      ran = [];
      ok = r.handlers_ok;
      const { decision, done } = await receiver.handle({ path: r.path, headers: r.headers, body: r.body, now: r.now });
      await done;
      assert.deepEqual(ran, r.expect_handlers ?? [], `${what}: handlers`);
      same(what, decision, r.expect);
    }
  });
}

test(`[${BACKEND}] decision table: malformed configs are refused with their code`, () => {
  for (const m of table.malformed) {
    assert.throws(
      () => new hv.Receiver(m.config),
      (e) => e instanceof hv.HookverifyError && e.code === m.error,
      m.name,
    );
  }
});

test(`[${BACKEND}] ERROR_CODES has the receiver-only codes (handler_failed, not_found)`, () => {
  for (const code of ['handler_failed', 'not_found']) assert.ok(hv.ERROR_CODES.includes(code), code);
});

test(`[${BACKEND}] the store defaults are the core's, not copied into the package`, async () => {
  const source = await load('packages/npm/lib/pipeline.js');
  for (const copy of ['100000', "'hookverify:'", '2000']) assert.ok(!source.includes(copy), copy);
  assert.ok(new hv.MemoryStore());
  assert.ok(new hv.MemoryStore({}));
});

test(`[${BACKEND}] a custom scheme's provider is named by the spec's name (no separate name needed)`, async () => {
  const scheme = { name: 'reflex', signature_header: 'X-Reflex-Signature' };
  const seen = [];
  const r = new hv.Receiver({
    scheme,
    secret: 'reflex-secret',
    mode: 'sync',
    handlers: { '*': (event, ctx) => seen.push(ctx.provider) },
  });
  const body = '{"id":"evt_1","type":"deployment.created"}';
  const mac = createHmac('sha256', 'reflex-secret').update(body).digest('hex');
  const { decision } = await r.handle({ path: '/', headers: { 'X-Reflex-Signature': mac }, body });
  assert.equal(decision.status, 200, decision.body);
  assert.deepEqual(seen, ['reflex']);
  // In a providers list too (it was "providers[0] needs a name").
  assert.ok(new hv.Receiver({ providers: [{ scheme, secret: 'reflex-secret' }] }));
});
