// Browsers (and any runtime with fetch + import.meta.url): the WebAssembly backend.
import init, * as raw from './wasm/web/hookverify_wasm.js';
import shared from './lib/api.mjs';

const wasmUrl = new URL('./wasm/web/hookverify_wasm_bg.wasm', import.meta.url);
// Compiled once: a fresh instance after a trap reuses it (no second download).
const wasmModule = await compile(wasmUrl);
await init({ module_or_path: wasmModule });

async function compile(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`hookverify: failed to fetch ${url}: ${res.status}`);
  if (
    typeof WebAssembly.compileStreaming === 'function' &&
    (res.headers.get('content-type') || '').startsWith('application/wasm')
  ) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

// A wasm trap (a Rust panic aborts on wasm32) leaves the instance mid-call, so the API continues on
// a fresh one: a second copy of the glue module (its own instance, memory and finalizers), imported
// ahead of need so the call right after a trap already works.
let spare = null;
let spares = 0;
function loadSpare() {
  const url = new URL(`./wasm/web/hookverify_wasm.js?instance=${++spares}`, import.meta.url).href;
  import(/* webpackIgnore: true */ /* @vite-ignore */ url).then(
    (m) => {
      spare = m;
    },
    () => {},
  );
}
function renew() {
  if (!spare) return null; // not loaded (yet): calls keep failing as internal_error until it is
  const m = spare;
  spare = null;
  m.initSync({ module: wasmModule });
  loadSpare();
  return m;
}
loadSpare();

const api = shared.createApi(raw, 'wasm', { renew, faults: globalThis.HOOKVERIFY_TEST_PANIC === '1' });

export const {
  Verifier,
  sign,
  hmac,
  diagnose,
  MemoryStore,
  RedisStore,
  Router,
  Receiver,
  openInbox,
  Inbox,
  HookverifyError,
  ERROR_CODES,
  HINT_CODES,
  HINT_FIXES,
  SCHEMES,
  backend,
  version,
} = api;
export default api;
