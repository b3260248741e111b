// Browsers (and any runtime with fetch + import.meta.url): the WebAssembly backend.
import init, * as raw from './wasm/web/hookverify_wasm.js';
import shared from './lib/api.mjs';

await init({ module_or_path: new URL('./wasm/web/hookverify_wasm_bg.wasm', import.meta.url) });
const api = shared.createApi(raw, 'wasm');

export const { Verifier, sign, hmac, diagnose, MemoryStore, RedisStore, Router, Receiver, HookverifyError, ERROR_CODES, HINT_CODES, HINT_FIXES, SCHEMES, backend, version } = api;
export default api;
