// examples/nestjs/main.ts (issue 20, part 2: the NestJS recipe) as a user runs it: compiled by tsc
// with its own tsconfig, started as a child process on a free loopback port (the backend named by
// HOOKVERIFY_BACKEND), and sent GitHub deliveries signed by @octokit/webhooks-methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BACKEND, ROOT } from './backend.mjs';
import { freePort, github, GITHUB_SECRET, post } from './http.mjs';

const here = path.join(ROOT, 'tests/node');

test(`[${BACKEND}] examples/nestjs: the controller's webhook route verifies, the JSON route still parses`, async (t) => {
  // Compiled inside tests/node, so that @nestjs/* and hookverify resolve from its node_modules.
  const dir = await mkdtemp(path.join(here, '.nest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const f of ['main.ts', 'tsconfig.json'])
    await copyFile(path.join(ROOT, 'examples/nestjs', f), path.join(dir, f));
  const tsc = spawnSync(path.join(here, 'node_modules/.bin/tsc'), ['-p', dir, '--outDir', path.join(dir, 'out')], {
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  // tsc emits CommonJS (the example's tsconfig); tests/node's package.json says ESM.
  await writeFile(path.join(dir, 'out/package.json'), '{"type":"commonjs"}');

  const port = await freePort();
  const args = [...(BACKEND === 'wasm' ? ['-r', path.join(here, 'no-native.cjs')] : []), path.join(dir, 'out/main.js')];
  const proc = spawn(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, PORT: String(port), GITHUB_WEBHOOK_SECRET: GITHUB_SECRET },
  });
  t.after(() => proc.kill());
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!out.includes('listening on')) {
    assert.ok(Date.now() < deadline && proc.exitCode === null, `the app did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const base = `http://127.0.0.1:${port}`;

  const d = await github('issues', 'opened', 'nest-1');
  const ok = await post(`${base}/webhooks/github`, d.headers, d.body);
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  while (!out.includes('issue issues.opened')) {
    assert.ok(Date.now() < deadline, `the handler did not run:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const forged = await post(`${base}/webhooks/github`, d.headers, d.body.replace('opened', 'closed'));
  assert.equal(forged.status, 401);
  assert.equal(forged.json.error.code, 'no_matching_signature');
  const item = await post(`${base}/items`, { 'content-type': 'application/json' }, JSON.stringify({ name: 'x' }));
  assert.equal(item.status, 201);
  assert.deepEqual(item.json, { created: 'x' });
});

test(`[${BACKEND}] the Express middleware verifies req.rawBody left by a body parser (and caps it)`, async (t) => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const express = require('express');
  const { hv } = await import('./backend.mjs');
  const { webhook } = require('hookverify/express').createExpress(hv);
  const { listen } = await import('./http.mjs');
  const app = express();
  // body-parser's documented way to keep the raw bytes: the verify hook.
  app.use(express.json({ verify: (req, _res, buf) => (req.rawBody = buf) }));
  const seen = [];
  app.post(
    '/hooks',
    webhook({ scheme: 'github', secret: GITHUB_SECRET, mode: 'sync', handlers: { '*': (e) => seen.push(e.type) } }),
  );
  app.post('/small', webhook({ scheme: 'github', secret: GITHUB_SECRET, maxBodyBytes: 16, onReject: () => {} }));
  const server = await listen(app);
  t.after(() => server.close());
  const d = await github('issues', 'opened', 'raw-1');
  const ok = await post(`${server.url}/hooks`, d.headers, d.body);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(seen, ['issues.opened']);
  const big = await post(`${server.url}/small`, d.headers, d.body);
  assert.equal(big.status, 413);
  assert.equal(big.json.error.code, 'payload_too_large');
});
