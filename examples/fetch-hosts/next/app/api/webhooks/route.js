// Next.js App Router: app/api/webhooks/route.js. Works on both runtimes; for the edge runtime add
// `export const runtime = 'edge';` (hookverify then uses its wasm build). The receiver is made on
// the first request: `next build` loads this module without the runtime's environment, and a
// receiver without its secret is an error.
import { webhooks } from 'hookverify/fetch';

export const dynamic = 'force-dynamic';

let hooks;

export function POST(request, context) {
  hooks ??= webhooks({
    scheme: 'standard',
    secret: process.env.WEBHOOK_SECRET,
    handlers: {
      'invoice.paid': (event) => console.log('paid', event.id),
      '*': (event) => console.log('other', event.type),
    },
  });
  return hooks(request, context);
}
