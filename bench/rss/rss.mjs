// Peak RSS of verifying one 25 MiB body N times from Node: `node rss.mjs MODE N`, MODE one of
// baseline | native-sig | native-event | native-receiver | wasm-sig | wasm-event | wasm-receiver.
// `receiver` runs a Receiver's whole handle() (verify, parse, route, MemoryStore claim, a handler
// that does not read the payload, complete) with a fresh signed message id each time (signed before
// measuring; the dedup key never holds the path), so no delivery is a duplicate. The body is allocated once and signed
// with a streaming node:crypto HMAC (no copy); `baseline` loads both backends and does everything but
// the verify calls. Run with --expose-gc to collect between calls (bench/rss/run.py does): otherwise
// garbage results pile up in V8's large-object space and the peak grows with N. The event modes read
// `event.dataJson` (the body-sized payload string) so they measure the event with its data. Prints one JSON line with the peak RSS (process.resourceUsage().maxRSS, KiB).
// Wasm has to copy the body into its linear memory (which never shrinks): one body-sized copy there
// is expected and documented, not a bug.
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../tests/node/package.json'));
const native = require('hookverify/native');
const wasm = require('hookverify/wasm');
const [mode = 'baseline', nArg = '5'] = process.argv.slice(2);
const n = Number(nArg);
const SIZE = 25 * 1024 * 1024;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const head = Buffer.from('{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"pad":"');
const tail = Buffer.from('"}}');
const body = Buffer.alloc(SIZE, 'x');
head.copy(body, 0);
tail.copy(body, SIZE - tail.length);
const ts = Math.floor(Date.now() / 1000);
const signed = (id) => {
  const sig = createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64')).update(`${id}.${ts}.`).update(body).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
};
const headers = signed('msg_rss');
const deliveries = mode.endsWith('-receiver') ? Array.from({ length: n }, (_, i) => signed(`msg_rss_${i}`)) : [];
const opts = { scheme: 'standard', secret: SECRET, maxBodyBytes: 32 * 1024 * 1024 };
const verifiers = { native: new native.Verifier(opts), wasm: new wasm.Verifier(opts) };
const HANDLE_NOW = Symbol.for('hookverify.handleNow'); // Receiver.handle() without the promise
const receivers = Object.fromEntries(Object.entries({ native, wasm }).map(([name, api]) => [name, new api.Receiver({
  ...opts, store: new api.MemoryStore(), mode: 'sync', handlers: { 'user.created': () => {} },
})]));

/** One delivery through the receiver: the answer must be the handled 200. */
function receiveOnce(r, i) {
  const { decision } = r[HANDLE_NOW]({ path: '/hooks', headers: deliveries[i], body });
  if (decision.status !== 200) throw new Error(decision.body);
}

/** One verify call; nothing of its result outlives it (so the gc() after it can free all of it). */
function verifyOnce(v, what) {
  const out = what === 'sig' ? v.verifySignature(body, headers) : v.verify(body, headers);
  if (!out) throw new Error('no result');
  // The event's data is read from the body lazily: materialise it, so the event column still counts
  // the body-sized payload string, as it did when verify copied it out eagerly.
  if (what === 'event' && !out.dataJson.startsWith('{"pad":"xxx')) throw new Error('wrong data');
}

const before = process.resourceUsage().maxRSS;
for (let i = 0; i < n; i++) {
  const [backend, what] = mode.split('-');
  if (what === 'receiver') receiveOnce(receivers[backend], i);
  else if (mode !== 'baseline') verifyOnce(verifiers[backend], what);
  // With --expose-gc (bench/rss/run.py): the peak per call, not V8's lazy collection. The baseline
  // collects too: a full collection alone raises the peak by about 4 MiB here, which is not the
  // calls' doing.
  globalThis.gc?.();
}
console.log(JSON.stringify({ binding: 'node', mode, n, body_bytes: SIZE, hwm_before_kib: before, hwm_kib: process.resourceUsage().maxRSS }));
