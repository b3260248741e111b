// Loads hookverify for the backend named by HOOKVERIFY_BACKEND (native | wasm; default native),
// through the package's own subpath exports, plus the repository-file loaders the suite needs.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BACKEND = process.env.HOOKVERIFY_BACKEND || 'native';
if (!['native', 'wasm'].includes(BACKEND)) throw new Error(`HOOKVERIFY_BACKEND must be native or wasm, not ${BACKEND}`);

const require = createRequire(import.meta.url);
/** The CommonJS build and the ES module build of the same backend. */
export const hv = require(`hookverify/${BACKEND}`);
export const hvEsm = await import(`hookverify/${BACKEND}`);

export const load = (p) => readFile(path.join(ROOT, p), 'utf8');
export const loadBytes = async (p) => new Uint8Array(await readFile(path.join(ROOT, p)));
