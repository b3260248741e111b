// ES module entry of hookverify/fastify: re-exports the CommonJS fastify.js.
import m from './fastify.js';

export const { hookverify, createFastify } = m;
export default m;
