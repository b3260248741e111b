// RedisStore behind hookverify/express against a real redis-server (native addon only: wasm has
// no sockets). The server is started here on a free 127.0.0.1 port without persistence and
// stopped by pid. redis-server comes from scripts/deps-apt.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';
import express from 'express';
import { BACKEND, hv } from './backend.mjs';
import { listen, post, freePort, github, standardEvent, GITHUB_SECRET, STANDARD_SECRET } from './http.mjs';

const require = createRequire(import.meta.url);
const { webhook } = require('hookverify/express').createExpress(hv);
const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip =
  BACKEND !== 'native'
    ? 'RedisStore is native-only (the wasm backend throws invalid_argument; see express.test.mjs)'
    : !haveRedis
      ? 'redis-server is not installed (scripts/deps-apt.sh installs it)'
      : false;

async function startRedis() {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10000;
  for (;;) {
    const pong = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        resolve(d.toString().startsWith('+PONG'));
        s.destroy();
      });
      s.on('error', () => resolve(false));
    });
    if (pong) break;
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}/0`, proc, stop: () => proc.exitCode === null && proc.kill('SIGKILL') };
}

async function app(options) {
  const a = express();
  a.post('/webhooks', webhook({ onError: () => {}, ...options }));
  return listen(a);
}

test(`[${BACKEND}] RedisStore: 100 concurrent deliveries of one id across two servers run the handler once`, {
  skip,
}, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  let calls = 0;
  const handlers = {
    'issues.*': async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 100));
    },
  };
  // Two "instances" of the endpoint sharing one Redis, as two processes would.
  const a = await app({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    store: new hv.RedisStore(redis.url, { prefix: 'hv-test-1:' }),
    handlers,
  });
  const b = await app({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    store: new hv.RedisStore(redis.url, { prefix: 'hv-test-1:' }),
    handlers,
  });
  t.after(a.close);
  t.after(b.close);
  const d = await github('issues', 'opened', 'delivery-concurrent');
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => post(`${(i % 2 ? a : b).url}/webhooks`, d.headers, d.body)),
  );
  const statuses = results.map((r) => r.status);
  assert.equal(calls, 1, 'exactly one run');
  assert.equal(results.filter((r) => r.status === 200 && !r.json.duplicate).length, 1, 'one delivery ran it');
  assert.ok(
    statuses.every((s) => s === 200 || s === 409),
    `statuses: ${[...new Set(statuses)]}`,
  );
  for (const r of results.filter((r) => r.status === 409)) assert.ok(Number(r.headers.get('retry-after')) >= 1);
  const after = await post(`${a.url}/webhooks`, d.headers, d.body);
  assert.equal(after.json.duplicate, true);
  assert.equal(calls, 1);
});

test(`[${BACKEND}] RedisStore: a failed handler is released in Redis, so the retry runs it`, { skip }, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  let calls = 0;
  const srv = await app({
    scheme: 'standard',
    secret: STANDARD_SECRET,
    mode: 'sync',
    store: new hv.RedisStore(redis.url),
    handlers: {
      '*': () => {
        if (++calls === 1) throw new Error('first attempt fails');
      },
    },
  });
  t.after(srv.close);
  const d = standardEvent('msg_redis_retry', 'user.created');
  assert.equal((await post(`${srv.url}/webhooks`, d.headers, d.body)).status, 500);
  assert.equal((await post(`${srv.url}/webhooks`, d.headers, d.body)).status, 200);
  assert.equal((await post(`${srv.url}/webhooks`, d.headers, d.body)).json.duplicate, true);
  assert.equal(calls, 2);
});

test(`[${BACKEND}] RedisStore: a stalled Redis does not block the event loop (calls run on the addon's store threads)`, {
  skip,
}, async (t) => {
  const redis = await startRedis();
  t.after(() => {
    redis.proc.kill('SIGCONT');
    redis.stop();
  });
  const srv = await app({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    store: new hv.RedisStore(redis.url, { timeoutMs: 400 }),
    handlers: { '*': () => {} },
  });
  t.after(srv.close);
  redis.proc.kill('SIGSTOP'); // accepts TCP, never answers
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const d = await github('issues', 'opened', 'delivery-stalled');
  const started = Date.now();
  const r = await post(`${srv.url}/webhooks`, d.headers, d.body);
  clearInterval(timer);
  const elapsed = Date.now() - started;
  assert.equal(r.status, 503);
  assert.ok(elapsed >= 350, `waited on the timeout (${elapsed} ms)`);
  assert.ok(ticks >= (elapsed / 10) * 0.5, `event loop kept ticking: ${ticks} ticks in ${elapsed} ms`);
});

test(`[${BACKEND}] RedisStore: redis killed -> 503 with Retry-After, handler not run`, { skip }, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  let calls = 0;
  const srv = await app({
    scheme: 'github',
    secret: GITHUB_SECRET,
    mode: 'sync',
    store: new hv.RedisStore(redis.url, { timeoutMs: 500 }),
    handlers: { '*': () => calls++ },
  });
  t.after(srv.close);
  const ok = await github('issues', 'opened', 'delivery-before-kill');
  assert.equal((await post(`${srv.url}/webhooks`, ok.headers, ok.body)).status, 200);
  redis.proc.kill('SIGKILL');
  await new Promise((resolve) => redis.proc.once('exit', resolve));
  const d = await github('issues', 'opened', 'delivery-after-kill');
  const r = await post(`${srv.url}/webhooks`, d.headers, d.body);
  assert.equal(r.status, 503);
  assert.equal(r.json.error.code, 'store_unavailable');
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
  assert.equal(calls, 1, 'not run without a claim');
});
