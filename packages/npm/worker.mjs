// Workers (workerd / Cloudflare): the .wasm file is imported as a compiled WebAssembly.Module.
import { initSync } from './wasm/web/hookverify_wasm.js';
import * as raw from './wasm/web/hookverify_wasm.js';
import wasmModule from './wasm/web/hookverify_wasm_bg.wasm';
import shared from './lib/api.mjs';

initSync({ module: wasmModule });
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
