'use strict';
// hookverify/fastify: a Fastify plugin that owns one webhook route. Written once over a backend's
// API, like lib/express.js and lib/fetch.js.

// The core's answer for a failure of the host glue (lib/pipeline.js).
const FAILURE = Symbol.for('hookverify.failure');
// Options Fastify itself gives every plugin: not the receiver's.
const FASTIFY_KEYS = ['prefix', 'logLevel', 'logSerializers'];
const EMPTY = Buffer.alloc(0);

/** The plugin over one backend's API (`hookverify/fastify` uses the package's default backend). */
function createFastify(api) {
  /**
   * `app.register(hookverify, { path: '/hooks', scheme | providers, secret | secrets, handlers, ... })`:
   * every option of `Receiver`, plus `path` (default `/webhooks`) and `method` (default GET and POST). The
   * raw body is captured for this route only: the plugin is encapsulated, so the other routes keep
   * Fastify's JSON parsing. Handlers are called `(event, { request, provider, token, path, query })`.
   */
  async function hookverifyFastify(fastify, opts) {
    // GET too: handshakes some senders send as GET (Meta, Dropbox, Okta) reach the core.
    const { path = '/webhooks', method = ['GET', 'POST'], ...rest } = opts ?? {};
    const options = {};
    for (const [k, v] of Object.entries(rest)) if (!FASTIFY_KEYS.includes(k)) options[k] = v;
    const receiver = new api.Receiver(options);
    const cap = receiver.maxBodyBytes;
    const report = options.onError ?? ((err) => fastify.log.error(err.message));

    // Every content type (none included) arrives as the raw bytes, up to the cap.
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: cap }, (_request, body, done) =>
      done(null, body),
    );
    fastify.setErrorHandler((err, request, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        // The core's 413, whatever the size was measured from (the declared length, else past the cap).
        const declared = Number(request.headers['content-length']);
        const d = receiver.tooLarge(Number.isSafeInteger(declared) && declared > cap ? declared : cap + 1);
        d.headers.Connection = 'close';
        return send(reply, d);
      }
      report(err, { request });
      return send(reply, receiver[FAILURE]('internal_error', 'the webhook route failed'));
    });

    fastify.route({
      method,
      url: path,
      handler: async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : EMPTY;
        const out = await receiver.handle(
          { path: request.raw.url, headers: request.raw.rawHeaders, body, method: request.raw.method },
          { request },
        );
        // Async mode: the handlers run after this answer (`done`), in this long-lived process.
        return send(reply, out.decision);
      },
    });
  }
  hookverifyFastify[Symbol.for('fastify.display-name')] = 'hookverify';
  return { hookverify: hookverifyFastify, createFastify };
}

function send(reply, decision) {
  return reply.code(decision.status).headers(decision.headers).send(decision.body);
}

module.exports = { createFastify };
