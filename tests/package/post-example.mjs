// Client for the examples/fetch-hosts servers: `node post-example.mjs URL ID`. POSTs an
// `invoice.paid` delivery with id ID signed with node:crypto (202 expected: async mode), then the
// same body changed (401 no_matching_signature). The caller checks the server logged `paid ID`.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { delivery } = createRequire(import.meta.url)('./sign.cjs');
const [url, id] = process.argv.slice(2);

async function post(body, headers) {
  const r = await fetch(url, { method: 'POST', body, headers });
  return { status: r.status, json: await r.json() };
}

const d = delivery(id, 'invoice.paid');
const ok = await post(d.body, d.headers);
assert.equal(ok.status, 202, JSON.stringify(ok.json));
assert.equal(ok.json.id, id);
const forged = await post(d.body.replace('paid', 'void'), d.headers);
assert.equal(forged.status, 401);
assert.equal(forged.json.error.code, 'no_matching_signature');
console.log(`ok ${url}: 202 for a signed delivery, 401 for a changed one`);
