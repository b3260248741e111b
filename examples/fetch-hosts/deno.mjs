// Deno: `WEBHOOK_SECRET=whsec_... deno run --allow-net --allow-env --allow-read --allow-ffi deno.mjs`
// (next to a node_modules with hookverify installed: the native addon needs --allow-ffi).
import { webhooks } from 'hookverify/fetch';

const hooks = webhooks({
  scheme: 'standard',
  secret: Deno.env.get('WEBHOOK_SECRET'),
  handlers: {
    'invoice.paid': (event) => console.log('paid', event.id),
    '*': (event) => console.log('other', event.type),
  },
});

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT') ?? 8000),
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}/`),
  },
  hooks,
);
