// ES module entry of hookverify/express: re-exports the CommonJS express.js.
import m from './express.js';

export const { webhook, createExpress } = m;
export default m;
