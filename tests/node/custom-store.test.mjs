// Dedup stores written in JS (issue 20, part 4) for the backend named by HOOKVERIFY_BACKEND — the
// wasm build included, where RedisStore does not exist: a store over a real redis-server through
// the npm `redis` client, raced by 100 concurrent copies of one delivery, and an in-memory store
// that fails on purpose. Deliveries are signed by the standardwebhooks library (http.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { createClient } from 'redis';
import { BACKEND, hv } from './backend.mjs';
import { freePort, STANDARD_SECRET, standardEvent } from './http.mjs';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;

async function startRedis() {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        resolve(d.toString().startsWith('+PONG'));
        s.destroy();
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => proc.exitCode === null && proc.kill('SIGKILL') };
}

// The store a user writes over their own Redis client: one atomic script per operation. A claim's
// fencing token comes from a per-key counter, so it keeps increasing after the claim expires.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then
  if string.sub(v, 1, 5) == 'done:' then return {'done', 0} end
  return {'busy', redis.call('PTTL', KEYS[1])}
end
local token = redis.call('INCR', KEYS[1] .. ':seq')
redis.call('SET', KEYS[1], 'claim:' .. token, 'PX', ARGV[1])
return {'acquired', token}`;
const COMPLETE = `
if redis.call('GET', KEYS[1]) ~= 'claim:' .. ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'done:' .. ARGV[1], 'PX', ARGV[2])
return 1`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == 'claim:' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function redisStore(client) {
  return {
    async claim(key, leaseMs) {
      const [what, n] = await client.eval(CLAIM, { keys: [`hv:${key}`], arguments: [String(leaseMs)] });
      if (what === 'done') return { done: true };
      if (what === 'busy') return { inProgress: Math.max(0, n) };
      return { acquired: n };
    },
    async complete(key, token, retentionMs) {
      const ok = await client.eval(COMPLETE, { keys: [`hv:${key}`], arguments: [String(token), String(retentionMs)] });
      return ok === 1 ? 'recorded' : 'lease_lost';
    },
    async release(key, token) {
      await client.eval(RELEASE, { keys: [`hv:${key}`], arguments: [String(token)] });
    },
  };
}

test(`[${BACKEND}] a JS store over real Redis: 100 concurrent copies of one delivery run the handler once`, {
  skip: haveRedis ? false : 'redis-server is not installed (scripts/deps-apt.sh installs it)',
}, async (t) => {
  const redis = await startRedis();
  const client = createClient({ url: redis.url });
  t.after(() => {
    if (client.isOpen) client.destroy(); // before the server goes: a quit would wait for its reply
    redis.stop();
  });
  await client.connect();
  let runs = 0;
  const tokens = [];
  const receiver = new hv.Receiver({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    store: redisStore(client),
    handlers: {
      'user.created': async (event, ctx) => {
        runs++;
        tokens.push(ctx.token);
        await new Promise((r) => setTimeout(r, 20)); // hold the claim while the copies arrive
      },
    },
    onReject: () => {},
  });
  const { headers, body } = standardEvent('msg_race', 'user.created');
  const answers = await Promise.all(
    Array.from({ length: 100 }, () => receiver.handle({ path: '/hooks', headers, body })),
  );
  const statuses = answers.map((a) => a.decision.status);
  assert.equal(runs, 1, 'one handler run');
  assert.equal(statuses.filter((s) => s === 200).length >= 1, true);
  assert.ok(
    statuses.every((s) => s === 200 || s === 409),
    String(statuses),
  );
  assert.equal(statuses.filter((s) => s === 409).length + statuses.filter((s) => s === 200).length, 100);
  assert.equal(typeof tokens[0], 'number');
  assert.equal(await client.get('hv:|standard|msg_race'), `done:${tokens[0]}`, 'the done marker is in Redis');
  const again = await receiver.handle({ path: '/hooks', headers, body });
  assert.equal(again.decision.status, 200);
  assert.equal(JSON.parse(again.decision.body).duplicate, true);
  assert.equal(runs, 1);
});

/** A Map-backed store whose methods can be made to fail, and a log of the calls. */
function memoryStore() {
  const keys = new Map();
  let seq = 0;
  const store = {
    calls: [],
    fail: {},
    async claim(key, leaseMs) {
      store.calls.push(['claim', key, leaseMs]);
      if (store.fail.claim) return store.fail.claim();
      const v = keys.get(key);
      if (v?.done) return { done: true };
      if (v) return { inProgress: 1000 };
      keys.set(key, { token: ++seq });
      return { acquired: seq };
    },
    async complete(key, token, retentionMs) {
      store.calls.push(['complete', key, token, retentionMs]);
      if (store.fail.complete) return store.fail.complete();
      if (keys.get(key)?.token !== token) return 'lease_lost';
      keys.set(key, { done: true });
      return 'recorded';
    },
    async release(key, token) {
      store.calls.push(['release', key, token]);
      if (keys.get(key)?.token === token) keys.delete(key);
    },
  };
  return store;
}

test(`[${BACKEND}] a JS store: lease and retention passed, a failed handler released and retried`, async () => {
  const store = memoryStore();
  let fail = true;
  let runs = 0;
  const receiver = new hv.Receiver({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    store,
    leaseSeconds: 30,
    retentionSeconds: 3600,
    handlers: {
      '*': () => {
        runs++;
        if (fail) throw new Error('db down');
      },
    },
    onError: () => {},
    onReject: () => {},
  });
  const d = standardEvent('msg_retry', 'user.created');
  const first = await receiver.handle({ path: '/', headers: d.headers, body: d.body });
  assert.equal(first.decision.status, 500);
  fail = false;
  const retry = await receiver.handle({ path: '/', headers: d.headers, body: d.body });
  assert.equal(retry.decision.status, 200);
  assert.equal(runs, 2);
  assert.deepEqual(store.calls, [
    ['claim', '|standard|msg_retry', 30000],
    ['release', '|standard|msg_retry', 1],
    ['claim', '|standard|msg_retry', 30000],
    ['complete', '|standard|msg_retry', 2, 3600000],
  ]);
});

test(`[${BACKEND}] a JS store that throws or answers nonsense: 503 before any handler; a failed complete is a warning`, async () => {
  const store = memoryStore();
  let runs = 0;
  const rejected = [];
  const receiver = new hv.Receiver({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    store,
    handlers: { '*': () => runs++ },
    onReject: (line) => rejected.push(line),
  });
  const send = (id) => {
    const d = standardEvent(id, 'user.created');
    return receiver.handle({ path: '/', headers: d.headers, body: d.body });
  };
  for (const failure of [
    () => Promise.reject(new Error('connection refused')),
    () => ({ acquired: -1 }),
    () => ({ maybe: true }),
    () => undefined,
  ]) {
    store.fail.claim = failure;
    const { decision } = await send(`msg_down_${rejected.length}`);
    assert.equal(decision.status, 503, decision.body);
    assert.equal(JSON.parse(decision.body).error.code, 'store_unavailable');
    assert.ok(decision.headers['Retry-After'], 'Retry-After');
  }
  assert.equal(runs, 0, 'nothing runs on a claim that was not understood');
  assert.match(rejected[0], /connection refused/, 'the store error is in the operator log line');
  store.fail.claim = undefined;
  store.fail.complete = () => Promise.reject(new Error('timeout'));
  const { decision } = await send('msg_complete_fails');
  assert.equal(decision.status, 200, 'the handler ran: 200');
  assert.equal(decision.headers['Hookverify-Warning'], 'completion-not-recorded');
  assert.equal(runs, 1);
});

test(`[${BACKEND}] a JS store in async mode: 202, then complete after the handler`, async () => {
  const store = memoryStore();
  const receiver = new hv.Receiver({ scheme: 'standard', secret: STANDARD_SECRET, store, handlers: { '*': () => {} } });
  const d = standardEvent('msg_async', 'user.created');
  const { decision, done } = await receiver.handle({ path: '/', headers: d.headers, body: d.body });
  assert.equal(decision.status, 202);
  await done;
  assert.deepEqual(
    store.calls.map((c) => c[0]),
    ['claim', 'complete'],
  );
});

test(`[${BACKEND}] an object that is no store is refused, naming the methods`, () => {
  assert.throws(
    () => new hv.Receiver({ scheme: 'standard', secret: STANDARD_SECRET, store: { claim() {} } }),
    (e) => e.code === 'invalid_argument' && /claim, complete and release/.test(e.message),
  );
});
