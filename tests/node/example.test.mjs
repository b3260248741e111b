// examples/node-express/server.js as a user runs it: a child process on a free port, signed
// deliveries from @octokit/webhooks-methods and stripe, stopped by pid. Under the wasm backend
// the native addon is made unloadable (no-native.cjs) so the package falls back to wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BACKEND, ROOT } from './backend.mjs';
import { post, github, stripeEvent, GITHUB_SECRET, STRIPE_SECRET } from './http.mjs';

/** Starts the example; resolves once it prints its URL. `lines` collects its stdout JSON lines. */
async function start(env) {
  const here = path.join(ROOT, 'tests/node');
  const args = [
    ...(BACKEND === 'wasm' ? ['-r', path.join(here, 'no-native.cjs')] : []),
    path.join(ROOT, 'examples/node-express/server.js'),
  ];
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, NODE_PATH: path.join(here, 'node_modules'), PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = line.match(/^listening on (\S+) \(hookverify (\w+)\)/);
        if (m) resolve({ url: m[1], backend: m[2] });
        else if (line.startsWith('{')) lines.push(JSON.parse(line));
      }
    });
    proc.on('exit', (code) => reject(new Error(`example exited with ${code}: ${stderr}`)));
  });
  const waitFor = async (pred) => {
    for (let i = 0; i < 200 && !lines.some(pred); i++) await new Promise((r) => setTimeout(r, 10));
    return lines.filter(pred);
  };
  return { ...url, proc, lines, waitFor, stop: () => proc.exitCode === null && proc.kill('SIGTERM') };
}

test(`[${BACKEND}] examples/node-express: GitHub and Stripe on one URL`, async (t) => {
  const ex = await start({ GITHUB_WEBHOOK_SECRET: GITHUB_SECRET, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });
  t.after(ex.stop);
  assert.equal(ex.backend, BACKEND);
  const gh = await github('issues', 'opened', 'example-1');
  const r = await post(ex.url, gh.headers, gh.body);
  assert.equal(r.status, 202, JSON.stringify(r.json));
  assert.deepEqual(await ex.waitFor((l) => l.id === 'example-1'), [
    { provider: 'github', id: 'example-1', type: 'issues.opened', note: 'issue #1 opened' },
  ]);
  const st = stripeEvent('evt_example', 'invoice.paid');
  assert.equal((await post(ex.url, st.headers, st.body)).status, 202);
  const [paid] = await ex.waitFor((l) => l.id === 'evt_example');
  assert.equal(paid.provider, 'stripe');
  assert.match(paid.note, /^paid \(fencing token \d+\)$/);

  assert.equal((await post(ex.url, gh.headers, gh.body)).json.duplicate, true);
  assert.equal((await post(ex.url, gh.headers, gh.body.replace('opened', 'closed'))).status, 401);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ex.lines.filter((l) => l.id === 'example-1').length, 1, 'ran once');
  const health = await fetch(new URL('/health', ex.url));
  assert.deepEqual(await health.json(), { ok: true, backend: BACKEND });
});

test(`[${BACKEND}] examples/node-express: sync mode via HOOKVERIFY_MODE`, async (t) => {
  const ex = await start({
    GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    HOOKVERIFY_MODE: 'sync',
  });
  t.after(ex.stop);
  const gh = await github('issues', 'opened', 'example-sync');
  assert.equal((await post(ex.url, gh.headers, gh.body)).status, 200);
  assert.equal(ex.lines.filter((l) => l.id === 'example-sync').length, 1);
});
