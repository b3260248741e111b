// Bun: `WEBHOOK_SECRET=whsec_... bun bun.mjs`, then POST Standard Webhooks deliveries to /webhooks.
import { webhooks } from 'hookverify/fetch';

const hooks = webhooks({
  scheme: 'standard',
  secret: process.env.WEBHOOK_SECRET,
  handlers: {
    'invoice.paid': (event) => console.log('paid', event.id),
    '*': (event) => console.log('other', event.type),
  },
});

const server = Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT ?? 3000), fetch: hooks });
console.log(`listening on ${server.url}`);
