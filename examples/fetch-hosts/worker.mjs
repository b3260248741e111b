// Cloudflare Workers: the handlers run in ctx.waitUntil after the 202. `wrangler deploy` bundles it
// (the wasm backend: the `workerd` export condition); the secret is a Worker secret binding.
import { webhooks } from 'hookverify/fetch';

let hooks;

export default {
  fetch(request, env, ctx) {
    hooks ??= webhooks({
      scheme: 'standard',
      secret: env.WEBHOOK_SECRET,
      handlers: {
        'invoice.paid': (event) => console.log('paid', event.id),
        '*': (event) => console.log('other', event.type),
      },
    });
    return hooks(request, ctx);
  },
};
