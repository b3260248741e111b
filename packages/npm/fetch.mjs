// ES module entry of hookverify/fetch, for every runtime: the Fetch API receiver over the backend
// that `hookverify` resolves to here (the native addon on Node, WebAssembly in Workers, edge
// runtimes, Deno, Bun and browsers), so one import works in each.
import api from 'hookverify';
import shared from './lib/fetch.mjs';

export const { webhooks, verifyRequest, createFetch } = shared.createFetch(api);
export default { webhooks, verifyRequest, createFetch };
