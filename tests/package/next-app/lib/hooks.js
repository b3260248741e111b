// hookverify/fetch as a route handler, for both runtimes: `export const POST = webhooks({...})`
// (Next passes `{ params }` as the second argument: no waitUntil, so async handlers are awaited).
import { webhooks } from 'hookverify/fetch';

export const POST = webhooks({
  scheme: 'standard',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  handlers: { 'invoice.paid': () => {} },
});
