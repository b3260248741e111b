// Edge runtimes that bundle a .wasm file imported with the `?module` suffix as a compiled
// WebAssembly.Module (Next.js and Vercel edge, `export const runtime = 'edge'`): they forbid
// compiling WebAssembly from bytes at run time, so the module comes from the bundler.
// wasm-bindgen's async init instantiates it: Next.js compiles the module outside the edge sandbox's
// realm, where `initSync`'s `instanceof WebAssembly.Module` check fails, while
// `WebAssembly.instantiate` takes a module from any realm.
import init, * as raw from './wasm/web/hookverify_wasm.js';
import wasmModule from './wasm/web/hookverify_wasm_bg.wasm?module';
import shared from './lib/api.mjs';

await init({ module_or_path: wasmModule });
const api = shared.createApi(raw, 'wasm');

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
