// Hono on Node (@hono/node-server): `WEBHOOK_SECRET=whsec_... node hono.mjs`. The same route works
// on Hono's other runtimes; pass `c.executionCtx` as the second argument where it exists (Workers).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { webhooks } from 'hookverify/fetch';

const hooks = webhooks({
  scheme: 'standard',
  secret: process.env.WEBHOOK_SECRET,
  handlers: {
    'invoice.paid': (event) => console.log('paid', event.id),
    '*': (event) => console.log('other', event.type),
  },
});

const app = new Hono();
app.post('/webhooks', (c) => hooks(c.req.raw));
app.get('/', (c) => c.text('ok'));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 3000) }, ({ port }) =>
  console.log(`listening on http://127.0.0.1:${port}/webhooks`),
);
