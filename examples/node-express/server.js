'use strict';
// GitHub and Stripe webhooks on one URL with Express. hookverify reads the raw body itself,
// verifies the signature, suppresses duplicates, routes by event type and answers with its ack
// policy (202 once verified and claimed; 401 forged, 409 in progress, 413 too big, 503 store down).
const express = require('express');
const { MemoryStore, RedisStore, backend } = require('hookverify');
const { webhook } = require('hookverify/express');

const { GITHUB_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET, REDIS_URL, PORT = '3000' } = process.env;
if (!GITHUB_WEBHOOK_SECRET || !STRIPE_WEBHOOK_SECRET) {
  console.error('set GITHUB_WEBHOOK_SECRET and STRIPE_WEBHOOK_SECRET (see README.md)');
  process.exit(2);
}

const log = (provider, event, note) => console.log(JSON.stringify({ provider, id: event.id, type: event.type, note }));

const app = express();
// The webhook route comes before express.json(): it needs the raw bytes the signature covers.
app.post(
  '/webhooks',
  webhook({
    providers: [
      { name: 'github', scheme: 'github', secret: GITHUB_WEBHOOK_SECRET },
      { name: 'stripe', scheme: 'stripe', secret: STRIPE_WEBHOOK_SECRET },
    ],
    // One process: MemoryStore. Several processes behind a load balancer: share a RedisStore.
    store: REDIS_URL ? new RedisStore(REDIS_URL) : new MemoryStore(),
    mode: process.env.HOOKVERIFY_MODE === 'sync' ? 'sync' : 'async',
    handlers: {
      'issues.opened': async (event, { provider }) => log(provider, event, `issue #${event.data.issue.number} opened`),
      'invoice.paid': async (event, { provider, token }) => log(provider, event, `paid (fencing token ${token})`),
    },
    // Every type nothing above takes (a '*' handler would do the same: it is the fallback).
    unhandled: (event, { provider }) => log(provider, event, 'no handler'),
  }),
);
app.use(express.json()); // the rest of the app may parse JSON as usual
app.get('/health', (req, res) => res.json({ ok: true, backend }));

const server = app.listen(Number(PORT), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/webhooks (hookverify ${backend})`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
