// Client for fetch-app.mjs under Bun, Deno or workerd: `node post-fetch.mjs BASE_URL BACKEND RUNTIME`.
// POSTs deliveries signed with node:crypto: 202 and the handler ran, a duplicate, a changed body
// (401), a declared body over the cap (413).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { delivery } = createRequire(import.meta.url)('./sign.cjs');
const [base, backend, runtime] = process.argv.slice(2);

async function post(path, body, headers) {
  const r = await fetch(base + path, { method: 'POST', body, headers });
  return { status: r.status, json: await r.json() };
}
const info = async () => (await fetch(`${base}/info`)).json();

const d = delivery(`msg_${runtime}`, 'invoice.paid');
const ok = await post('/hooks/in', d.body, d.headers);
assert.equal(ok.status, 202, JSON.stringify(ok.json));
assert.equal(ok.json.id, `msg_${runtime}`);
// workerd runs the handlers in ctx.waitUntil, after the answer: wait for them.
let state;
for (let i = 0; i < 100; i++) {
  state = await info();
  if (state.seen.length > 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
assert.deepEqual(state, { backend, seen: [`msg_${runtime} /hooks/in`] });
const dup = await post('/hooks/in', d.body, d.headers);
assert.equal(dup.status, 200, 'a duplicate is acknowledged');
const forged = await post('/hooks/in', d.body.replace('paid', 'void'), d.headers);
assert.equal(forged.status, 401);
assert.equal(forged.json.error.code, 'no_matching_signature');
const big = await post('/hooks/in', 'x'.repeat(5000), d.headers);
assert.equal(big.status, 413);
assert.equal(big.json.error.code, 'payload_too_large');
assert.deepEqual((await info()).seen, [`msg_${runtime} /hooks/in`], 'the handler ran once');
console.log(`ok ${runtime}: hookverify/fetch on the ${backend} backend: 202 + handler, duplicate 200, 401, 413`);
