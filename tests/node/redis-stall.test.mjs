// A stalled Redis (DEBUG SLEEP on a real redis-server) must not hold the libuv threadpool, which
// Node's fs, dns.lookup, crypto and zlib share: RedisStore calls run on the addon's own store
// threads, each within the store's timeout, and deliveries beyond what may wait for them are
// answered 503 at once, before any claim. Native addon only (wasm has no RedisStore). The server
// runs on a free 127.0.0.1 port without persistence and is stopped by pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pbkdf2 } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { BACKEND, hv } from './backend.mjs';
import { freePort, standardEvent, STANDARD_SECRET } from './http.mjs';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip =
  BACKEND !== 'native'
    ? 'RedisStore is native-only'
    : !haveRedis
      ? 'redis-server is not installed (scripts/deps-apt.sh installs it)'
      : false;

async function startRedis() {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--enable-debug-command',
      'yes',
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10000;
  while (!(await command(port, 'PING')).startsWith('+PONG')) {
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, url: `redis://127.0.0.1:${port}/0`, proc, stop: () => proc.exitCode === null && proc.kill('SIGKILL') };
}

/** One inline command; resolves to the first reply line ('' if the connection failed). */
function command(port, cmd) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`${cmd}\r\n`));
    s.on('data', (d) => {
      resolve(d.toString().split('\r\n')[0]);
      s.destroy();
    });
    s.on('error', () => resolve(''));
  });
}

/** Blocks the server for `secs` s; resolves once the server is asleep, with a promise of its waking. */
async function stall(port, secs) {
  const woke = command(port, `DEBUG SLEEP ${secs}`);
  await new Promise((r) => setTimeout(r, 150));
  return { woke };
}

const timed = async (f) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

function receiver(redis, calls, timeoutMs) {
  return new hv.Receiver({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    onError: () => {},
    store: new hv.RedisStore(redis.url, { timeoutMs }),
    handlers: { '*': (e) => calls.push(e.id) },
  });
}

const handle = (r, d) => r.handle({ path: '/hooks', headers: d.headers, body: d.body });

test(`[${BACKEND}] RedisStore: a stalled Redis leaves the libuv threadpool free (fs, crypto) and no phantom claims`, {
  skip,
}, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  const calls = [];
  const r = receiver(redis, calls, 2000);
  assert.equal((await handle(r, standardEvent('msg_warm', 'user.created'))).decision.status, 200);
  const deliveries = Array.from({ length: 8 }, (_, i) => standardEvent(`msg_stall_${i}`, 'user.created'));
  const { woke } = await stall(redis.port, 4);
  const started = performance.now();
  const answers = deliveries.map((d) =>
    handle(r, d).then(({ decision }) => ({ decision, ms: performance.now() - started })),
  );
  // Unrelated threadpool work while 8 deliveries wait on the stalled Redis. Before the fix the
  // store calls held all four libuv threads: an fs.readFile here took 4.3 s.
  const fsMs = await timed(() => readFile(fileURLToPath(import.meta.url)));
  const cryptoMs = await timed(
    () =>
      new Promise((resolve, reject) => pbkdf2('pw', 'salt', 1000, 32, 'sha256', (e) => (e ? reject(e) : resolve()))),
  );
  const waited = await Promise.all(answers);
  assert.ok(fsMs < 1000, `fs.readFile took ${fsMs.toFixed(0)} ms while Redis was stalled`);
  assert.ok(cryptoMs < 1000, `crypto.pbkdf2 took ${cryptoMs.toFixed(0)} ms while Redis was stalled`);
  for (const { decision } of waited) {
    assert.equal(decision.status, 503, decision.body);
    assert.equal(JSON.parse(decision.body).error.code, 'store_unavailable');
  }
  const slowest = Math.max(...waited.map((w) => w.ms));
  t.diagnostic(
    `while stalled: fs.readFile ${fsMs.toFixed(0)} ms, crypto.pbkdf2 ${cryptoMs.toFixed(0)} ms, slowest delivery ${slowest.toFixed(0)} ms (503)`,
  );
  assert.ok(slowest < 2000 + 1500, `a delivery took ${slowest.toFixed(0)} ms with a 2000 ms store timeout`);
  assert.ok(performance.now() - started < 4000, 'answered before Redis woke up');
  assert.equal(await woke, '+OK');
  assert.deepEqual(calls, ['msg_warm'], 'no handler ran without a claim');
  // The stalled claims executed when Redis woke. The senders' retries must run the handlers now,
  // not get 409 in_progress for the 60 s lease.
  for (const d of deliveries) {
    const { decision } = await handle(r, d);
    assert.equal(decision.status, 200, `retry of ${d.headers['webhook-id']}: ${decision.status} ${decision.body}`);
  }
  assert.equal(calls.length, 9);
});

test(`[${BACKEND}] RedisStore: deliveries beyond what may wait for a store thread get 503 at once, before any claim`, {
  skip,
}, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  const calls = [];
  const r = receiver(redis, calls, 1000);
  assert.equal((await handle(r, standardEvent('msg_warm', 'user.created'))).decision.status, 200);
  const deliveries = Array.from({ length: 1200 }, (_, i) => standardEvent(`msg_flood_${i}`, 'user.created'));
  const { woke } = await stall(redis.port, 3);
  const t0 = performance.now();
  const answers = deliveries.map((d) =>
    handle(r, d).then(({ decision }) => ({ decision, ms: performance.now() - t0 })),
  );
  const done = await Promise.all(answers);
  assert.equal(await woke, '+OK');
  const fast = done.filter((a) => a.ms < 500);
  t.diagnostic(`${fast.length} of ${done.length} answered 503 within 500 ms`);
  assert.ok(fast.length >= 1200 - 8 - 1024, `${fast.length} answered at once`);
  for (const { decision } of done) {
    assert.equal(decision.status, 503);
    assert.equal(JSON.parse(decision.body).error.code, 'store_unavailable');
    assert.ok(Number(decision.headers['Retry-After']) >= 1);
  }
  assert.deepEqual(calls, ['msg_warm']);
  // Refused deliveries took no claim: once Redis is back, the first of them runs.
  assert.equal((await handle(r, deliveries[1199])).decision.status, 200);
});
