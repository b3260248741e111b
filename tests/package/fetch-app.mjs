// The hookverify/fetch receiver as a user writes it for Bun, Deno and Cloudflare Workers
// (scripts/test-package.sh runs it from the installed tarball): GET /info says which backend runs
// and which deliveries the handler saw; every other request goes to the receiver. Async mode: in
// workerd the handlers go to ctx.waitUntil; Bun and Deno pass no ctx, so they are awaited.
import hookverify from 'hookverify';
import { webhooks } from 'hookverify/fetch';

const seen = [];
export const hooks = webhooks({
  scheme: 'standard',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  maxBodyBytes: 4096,
  handlers: { 'invoice.paid': (event, { request }) => void seen.push(`${event.id} ${new URL(request.url).pathname}`) },
});

export function app(request, ctx) {
  if (new URL(request.url).pathname === '/info') return Response.json({ backend: hookverify.backend, seen });
  return hooks(request, ctx);
}
