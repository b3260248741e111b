// ES module entry for Node: re-exports the CommonJS wasm.js.
import api from './wasm.js';

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
