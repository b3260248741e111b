// Runs the ```js blocks under "## Node" of README.md (repository root) and packages/npm/README.md:
// plain blocks must exit 0 and print what their `// expected` comments say; a block that starts a
// server is run on a free port and sent a delivery signed by stripe-node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BACKEND, ROOT } from './backend.mjs';
import { post, stripeEvent, STRIPE_SECRET } from './http.mjs';

const here = path.join(ROOT, 'tests/node');

/** The ```js blocks between "## Node" and the next "## " heading, or null without that heading. */
function nodeBlocks(markdown) {
  const start = markdown.search(/^## Node\s*$/m);
  if (start < 0) return null;
  const rest = markdown.slice(start + 1);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```js\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

function run(file, env, onLine) {
  const args = [...(BACKEND === 'wasm' ? ['-r', path.join(here, 'no-native.cjs')] : []), file];
  const proc = spawn(process.execPath, args, {
    cwd: here,
    env: { ...process.env, NODE_PATH: path.join(here, 'node_modules'), ...env },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => {
    stdout += d;
    onLine?.(stdout);
  });
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { proc, exited };
}

for (const [label, file] of [
  ['README.md', 'README.md'],
  ['packages/npm/README.md', 'packages/npm/README.md'],
]) {
  const blocks = nodeBlocks(await readFile(path.join(ROOT, file), 'utf8'));
  if (blocks === null) {
    test(`[${BACKEND}] ${label} ## Node snippets`, {
      skip: `${label} has no "## Node" section yet (the quick start is pasted in from packages/npm/README.md)`,
    }, () => {});
    continue;
  }
  test(`[${BACKEND}] ${label} has ## Node js snippets`, () => assert.ok(blocks.length >= 2, `${blocks.length} blocks`));
  blocks.forEach((code, i) => {
    test(`[${BACKEND}] ${label} ## Node block ${i + 1} runs`, async (t) => {
      const dir = await mkdtemp(path.join(here, '.readme-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const f = path.join(dir, `block-${i + 1}.cjs`);
      await writeFile(f, code);
      if (!/\.listen\(/.test(code)) {
        const { code: status, stdout, stderr } = await run(f).exited;
        assert.equal(status, 0, stderr);
        const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.+)$/gm)].map((m) => m[1].trim());
        assert.deepEqual(stdout.trim().split('\n'), expected);
        return;
      }
      // A server: PORT=0, wait for "listening on <port>", send a Stripe delivery, stop it by pid.
      let ready;
      const port = new Promise((resolve) => (ready = resolve));
      const { proc, exited } = run(f, { PORT: '0', STRIPE_WEBHOOK_SECRET: STRIPE_SECRET }, (out) => {
        const m = out.match(/listening on (\d+)/);
        if (m) ready(m[1]);
      });
      t.after(() => proc.exitCode === null && proc.kill('SIGKILL'));
      const p = await Promise.race([
        port,
        exited.then((r) => {
          throw new Error(`exited ${r.code}: ${r.stderr}`);
        }),
      ]);
      const d = stripeEvent('evt_readme', 'invoice.paid');
      const r = await post(`http://127.0.0.1:${p}/webhooks`, d.headers, d.body);
      assert.ok(r.status === 200 || r.status === 202, `${r.status} ${JSON.stringify(r.json)}`);
      const forged = await post(`http://127.0.0.1:${p}/webhooks`, d.headers, d.body.replace('paid', 'void'));
      assert.equal(forged.status, 401);
      proc.kill('SIGTERM'); // sync mode: the handler has printed before the 200
      const { stdout } = await exited;
      assert.match(stdout, /paid evt_readme in_1/);
    });
  });
}

// The "## Frameworks and runtimes" snippets are the files of examples/fetch-hosts verbatim (each is
// run on its runtime by scripts/test-package.sh): a change to one must show in the README.
test(`[${BACKEND}] README.md embeds every examples/fetch-hosts file as written`, async () => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const dir = path.join(ROOT, 'examples/fetch-hosts');
  const files = ['bun.mjs', 'deno.mjs', 'hono.mjs', 'worker.mjs', 'next/app/api/webhooks/route.js'];
  const { readdir } = await import('node:fs/promises');
  const onDisk = (await readdir(dir, { recursive: true })).filter((f) => /\.(m?js)$/.test(f)).sort();
  assert.deepEqual(onDisk, [...files].sort(), 'every example is embedded (and listed here)');
  for (const f of files) {
    const code = await readFile(path.join(dir, f), 'utf8');
    assert.ok(readme.includes('```js\n' + code + '```'), `README.md embeds examples/fetch-hosts/${f}`);
  }
  const nest = await readFile(path.join(ROOT, 'examples/nestjs/main.ts'), 'utf8');
  assert.ok(readme.includes('```ts\n' + nest + '```'), 'README.md embeds examples/nestjs/main.ts');
});
