// The entry scripts/test-package.sh bundles with esbuild (platform node): the bundled package must
// still pick the native addon from node_modules at run time, and verify.
import { Verifier, backend } from 'hookverify';
import { delivery, SECRET } from './sign.cjs';

const d = delivery('msg_bundle', 'invoice.paid');
const event = new Verifier({ scheme: 'standard', secret: SECRET }).verify(d.body, d.headers);
if (backend !== 'native' || event.id !== 'msg_bundle') throw new Error(`bundle: backend ${backend}, event ${event.id}`);
console.log(`ok bundle: ${backend} backend verified ${event.id}`);
