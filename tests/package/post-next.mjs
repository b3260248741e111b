// Client for the Next.js app of scripts/test-package.sh: waits for `next start`, then POSTs a
// delivery signed with node:crypto to the node and the edge route (200, verified, by the native and
// the wasm backend) and a changed one (401 no_matching_signature); then the same to the routes that
// export hookverify/fetch's `webhooks(...)` as POST (202, a duplicate 200, a changed one 401).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { delivery } = createRequire(import.meta.url)('./sign.cjs');
const base = process.argv[2];

async function post(path, body, headers) {
  const r = await fetch(base + path, { method: 'POST', body, headers });
  const text = await r.text();
  try {
    return { status: r.status, json: JSON.parse(text) };
  } catch {
    throw new Error(`${path}: ${r.status} ${text.slice(0, 300)}`);
  }
}

const deadline = Date.now() + 60_000;
for (;;) {
  try {
    await fetch(base + '/');
    break;
  } catch (e) {
    if (Date.now() > deadline) throw new Error(`next start did not answer on ${base}: ${e.message}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

for (const [runtime, backend] of [['node', 'native'], ['edge', 'wasm']]) {
  const d = delivery(`msg_${runtime}`, 'invoice.paid');
  const ok = await post(`/api/${runtime}`, d.body, d.headers);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(ok.json, { verified: true, backend, id: `msg_${runtime}`, type: 'invoice.paid' });
  const forged = await post(`/api/${runtime}`, d.body.replace('paid', 'void'), d.headers);
  assert.equal(forged.status, 401);
  assert.deepEqual(forged.json, { verified: false, backend, code: 'no_matching_signature' });
  console.log(`ok ${runtime} route: ${backend} backend verified a signed delivery, 401 for a changed one`);
}

for (const runtime of ['node', 'edge']) {
  const d = delivery(`msg_fetch_${runtime}`, 'invoice.paid');
  const ok = await post(`/api/hooks-${runtime}`, d.body, d.headers);
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  assert.equal(ok.json.id, `msg_fetch_${runtime}`);
  assert.equal((await post(`/api/hooks-${runtime}`, d.body, d.headers)).status, 200, 'duplicate');
  const forged = await post(`/api/hooks-${runtime}`, d.body.replace('paid', 'void'), d.headers);
  assert.equal(forged.status, 401);
  assert.equal(forged.json.error.code, 'no_matching_signature');
  console.log(`ok ${runtime} route exporting hookverify/fetch webhooks(): 202, duplicate 200, 401`);
}

// examples/fetch-hosts/next (the README's route handler) as written, on both runtimes.
for (const route of ['webhooks', 'webhooks-edge']) {
  const d = delivery(`msg_example_${route}`, 'invoice.paid');
  const ok = await post(`/api/${route}`, d.body, d.headers);
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  assert.equal(ok.json.id, `msg_example_${route}`);
  const forged = await post(`/api/${route}`, d.body.replace('paid', 'void'), d.headers);
  assert.equal(forged.status, 401);
  console.log(`ok /api/${route} (examples/fetch-hosts/next): 202, 401 for a changed body`);
}
