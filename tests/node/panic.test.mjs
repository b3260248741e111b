// Panic safety and secret hygiene on Node (issue 8). The fault switch only works when
// HOOKVERIFY_TEST_PANIC=1 was set when the package loaded, so the faulting runs happen in a child
// process with it set: the shared suite's panic case (malformed.mjs) there, per backend. Native:
// the panic is caught at the napi boundary (internal_error) and the process survives. Wasm: the
// panic traps; the trapped instance is not reused (its shadow stack pointer and borrow flags are
// left mid-call) — the JS layer re-instantiates and rebuilds Verifier/Router/Receiver/MemoryStore
// objects lazily (a MemoryStore's dedup state starts empty, as after a restart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { BACKEND, hv } from './backend.mjs';
import { runFaulting } from './faulting.mjs';

const CHILD = `
  import { hv, load, loadBytes } from './backend.mjs';
  import { buildCases } from './suite.mjs';
  const cases = (await buildCases(hv, { load, loadBytes })).filter((c) => c.name.startsWith('panic safety'));
  if (cases.length !== 1) throw new Error('panic case not found');
  await cases[0].run();
  // A trap right after construction, then many: the process keeps going and calls keep working.
  for (let i = 0; i < 50; i++) {
    try { hv.__panicForTests('now'); throw new Error('no panic'); } catch (e) { if (e.code !== 'internal_error') throw e; }
  }
  const v = new hv.Verifier({ scheme: 'github', secret: 'k' });
  if (v.headerNames[0] !== 'x-hub-signature-256') throw new Error('after 50 faults');
  console.log('survived');
`;

test(`[${BACKEND}] a panic inside the core is internal_error; the process survives and the next call works`, () => {
  const run = runFaulting(CHILD);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.equal(run.stdout.trim(), 'survived');
  assert.ok(!/Aborted|SIGABRT|fatal/i.test(run.stderr), run.stderr);
});

test(`[${BACKEND}] the fault switch is inert without HOOKVERIFY_TEST_PANIC=1`, () => {
  assert.notEqual(process.env.HOOKVERIFY_TEST_PANIC, '1');
  assert.equal(hv.__panicForTests('now'), false);
  assert.equal(hv.__panicForTests('next'), false);
  assert.equal(new hv.Verifier({ scheme: 'github', secret: 'k' }).headerNames.length, 3);
});

test(`[${BACKEND}] util.inspect of Verifier, Receiver, stores, Router and errors never shows a secret`, () => {
  const plain = 'SeCrEtZeBrA-inspect-QUOKKA';
  const whsec = 'whsec_' + Buffer.from(plain).toString('base64');
  const seen = [];
  const look = (x) => seen.push(inspect(x, { depth: 10, showHidden: true, getters: true }), String(x));
  look(new hv.Verifier({ scheme: 'standard', secret: whsec }));
  look(new hv.Verifier({ scheme: 'github', secrets: [plain, 'other'] }));
  const store = new hv.MemoryStore();
  look(store);
  const r = new hv.Receiver({
    providers: [
      { name: 'a', scheme: 'standard', secret: whsec },
      { name: 'b', scheme: 'github', secret: plain },
    ],
    store,
    handlers: { '*': () => {} },
  });
  look(r);
  look(new hv.Router().on('*', () => {}));
  if (BACKEND === 'native') {
    const redis = new hv.RedisStore(`redis://:${plain}@127.0.0.1:1/0`, { prefix: 'p:', timeoutMs: 50 });
    look(redis);
    look(new hv.Receiver({ scheme: 'github', secret: plain, store: redis }));
    try {
      new hv.RedisStore(`redis://:${plain}@[::1:bad/0`);
    } catch (e) {
      look(e);
      seen.push(e.message, JSON.stringify(e.details));
    }
  }
  for (const f of [
    () => new hv.Verifier({ scheme: 'standard', secret: whsec + '!' }),
    () => new hv.Verifier({ scheme: 'standard', secret: plain, bad: 1 }),
  ]) {
    try {
      f();
    } catch (e) {
      look(e);
    }
  }
  const all = seen.join('\n');
  for (const piece of ['SeCrEtZeBrA', 'QUOKKA', Buffer.from(plain).toString('base64').slice(4, 16)])
    assert.ok(!all.includes(piece), `${piece} in ${all}`);
});

test(`[${BACKEND}] a RedisStore that cannot connect answers 503 without the password`, {
  skip: BACKEND !== 'native',
}, async () => {
  const plain = 'SeCrEtZeBrA-redis-QUOKKA';
  const store = new hv.RedisStore(`redis://user:${plain}@127.0.0.1:1/0`, { timeoutMs: 200 });
  const secret = 'whsec_' + Buffer.from('k').toString('base64');
  const r = new hv.Receiver({ scheme: 'standard', secret, store, mode: 'sync', handlers: { '*': () => {} } });
  const body = '{"type":"a"}';
  const headers = hv.sign({ scheme: 'standard', secret, body, id: 'm1', timestamp: 1700000000 });
  const { decision } = await r.handle({ headers, body, now: 1700000000 });
  assert.equal(decision.status, 503);
  assert.equal(JSON.parse(decision.body).error.code, 'store_unavailable');
  assert.ok(!decision.body.includes('SeCrEtZeBrA') && !decision.body.includes('QUOKKA'), decision.body);
});
