'use strict';
// hookverify/fetch: the receiver for hosts that hand over a Fetch API `Request` and take a
// `Response` back (Next.js App Router route handlers, Cloudflare Workers, Hono, Bun, Deno,
// SvelteKit). Written once over a backend's API, like lib/express.js; the entry files pick the
// backend (fetch.js / fetch.mjs on Node, lib/fetch.mjs over any backend elsewhere).

// The core's answer for a failure of the host glue (lib/pipeline.js).
const FAILURE = Symbol.for('hookverify.failure');

const CONSUMED_MESSAGE =
  'hookverify: the request body was already read (request.json(), request.text(), a framework body ' +
  'parser) before the webhook handler; pass the untouched Request, or request.clone() taken before reading.';

/** The fetch receiver over one backend's API (`hookverify/fetch` uses the package's default backend). */
function createFetch(api) {
  /**
   * `webhooks({ scheme | providers, secret | secrets, store, handlers, mode, ... })`: every option
   * of `Receiver`. Returns `(request, ctx?) => Promise<Response>`. Handlers are called
   * `(event, { request, provider, token, path, query })` and may be async. In async mode the
   * handlers run after the answer is decided: handed to `ctx.waitUntil(promise)` when the host
   * gives one (Workers, Vercel), else awaited before the Response is returned (a serverless
   * function may be frozen once it returned).
   */
  function webhooks(options) {
    const receiver = new api.Receiver(options);
    const cap = receiver.maxBodyBytes;
    const report = options.onError ?? ((err) => console.error(err.message));

    const handler = async function hookverifyFetch(request, ctx) {
      if (!isRequest(request)) {
        throw new api.HookverifyError(
          'invalid_argument',
          `expected a Fetch API Request, got ${request === null ? 'null' : typeof request}`,
          { reason: 'not a Request' },
        );
      }
      let out;
      try {
        const body = await readBody(request, cap);
        if (body === CONSUMED) {
          report(new api.HookverifyError('invalid_argument', CONSUMED_MESSAGE, { reason: 'body already consumed' }), {
            request,
          });
          return toResponse(receiver[FAILURE]('invalid_argument', CONSUMED_MESSAGE));
        }
        // The core's 413 (reported to onReject there), whatever the size was measured from.
        if (typeof body === 'number') return toResponse(receiver.tooLarge(body));
        const url = new URL(request.url);
        out = await receiver.handle(
          { path: url.pathname + url.search, headers: request.headers, body, method: request.method },
          { request },
        );
      } catch (err) {
        report(err, { request });
        return toResponse(receiver[FAILURE]('internal_error', 'the webhook handler failed'));
      }
      if (ctx !== null && typeof ctx === 'object' && typeof ctx.waitUntil === 'function') ctx.waitUntil(out.done);
      else await out.done;
      return toResponse(out.decision);
    };
    // The receiver behind the handler, e.g. to rotate secrets: `hooks.receiver.setSecrets(name, [...])`.
    handler.receiver = receiver;
    return handler;
  }

  /**
   * Reads the request's raw body (at most `verifier.maxBodyBytes`) and verifies it: the event, or
   * a thrown HookverifyError (`payload_too_large` without reading past the cap).
   */
  async function verifyRequest(request, verifier) {
    if (!isRequest(request)) {
      throw new api.HookverifyError(
        'invalid_argument',
        `expected a Fetch API Request, got ${request === null ? 'null' : typeof request}`,
        { reason: 'not a Request' },
      );
    }
    if (!(verifier instanceof api.Verifier)) {
      throw new api.HookverifyError('invalid_argument', 'expected a hookverify Verifier as the second argument', {
        reason: 'not a Verifier',
      });
    }
    const cap = verifier.maxBodyBytes;
    const body = await readBody(request, cap);
    if (body === CONSUMED)
      throw new api.HookverifyError('invalid_argument', CONSUMED_MESSAGE, { reason: 'body already consumed' });
    // Over the cap: the core's payload_too_large, for a body of that many bytes (never read further).
    if (typeof body === 'number') return verifier.verify(new Uint8Array(Math.min(body, cap + 1)), request.headers);
    return verifier.verify(body, request.headers);
  }

  return { webhooks, verifyRequest, createFetch };
}

const CONSUMED = Symbol('consumed');

function isRequest(v) {
  return v !== null && typeof v === 'object' && typeof v.url === 'string' && typeof v.headers?.get === 'function';
}

/**
 * The raw body as a Uint8Array; a number (the size known so far) when it is over `cap`, from a
 * declared Content-Length or while streaming (reading stops there); CONSUMED when already read.
 */
async function readBody(request, cap) {
  if (request.bodyUsed) return CONSUMED;
  const declared = request.headers.get('content-length');
  if (declared !== null && /^[0-9]+$/.test(declared.trim()) && Number(declared) > cap) {
    cancel(request.body);
    return Number(declared);
  }
  const stream = request.body;
  if (stream === null || stream === undefined) return new Uint8Array(0);
  if (typeof stream.getReader !== 'function') return new Uint8Array(await request.arrayBuffer());
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      reader.cancel().catch(() => {});
      return size;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

function cancel(stream) {
  if (stream && typeof stream.cancel === 'function') stream.cancel().catch(() => {});
}

function toResponse(decision) {
  return new Response(decision.body, { status: decision.status, headers: decision.headers });
}

module.exports = { createFetch };
