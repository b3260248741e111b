'use strict';
// Express middleware (works on plain node:http too: it only needs req/res). It reads the raw body
// from the request stream itself, stopping past the cap, runs the core pipeline through a
// Receiver and answers with the core's Decision (status, headers, JSON body).

const TOO_LARGE = Symbol('too large');
const CONSUMED = Symbol('consumed');
const ABORTED = Symbol('aborted');

const CONSUMED_MESSAGE =
  'hookverify: the request body was already read by a body parser before the webhook middleware ' +
  '(req.body is set or the stream has ended), so the raw bytes the signature covers are gone. ' +
  'Fix: register the webhook route before app.use(express.json()) / express.urlencoded(), ' +
  "or give that route express.raw({ type: '*/*' }) instead.";

/** The webhook middleware over one backend's API (`require('hookverify/express')` uses the loader's). */
function createExpress(api) {
  /**
   * `webhook({ scheme | providers, secret | secrets, store, handlers, mode, ... })`: every option of
   * `Receiver`. Handlers are called `(event, { req, provider, token, path, query })` and may be async.
   */
  function webhook(options) {
    const receiver = new api.Receiver(options);
    const cap = receiver.maxBodyBytes;
    const report = options.onError ?? ((err) => console.error(err.message));
    let warned = false;

    return async function hookverifyWebhook(req, res, next) {
      try {
        const body = await readRaw(req, cap);
        if (body === ABORTED) return;
        if (body === CONSUMED) {
          if (!warned) {
            warned = true;
            report(new api.HookverifyError('invalid_argument', CONSUMED_MESSAGE, { reason: 'body already consumed' }), { req });
          }
          return send(res, failure(500, 'invalid_argument', CONSUMED_MESSAGE));
        }
        if (body === TOO_LARGE) {
          const d = failure(413, 'payload_too_large', `payload too large: more than ${cap} bytes, the limit is ${cap} bytes`);
          d.headers.Connection = 'close'; // do not drain the rest of an oversized body
          return send(res, d);
        }
        // Node's flat rawHeaders: already there (headersDistinct builds an object of arrays per request).
        const request = { path: req.originalUrl ?? req.url, headers: req.rawHeaders ?? req.headersDistinct ?? req.headers, body };
        const { decision, done } = await receiver.handle(request, { req });
        send(res, decision);
        await done;
      } catch (err) {
        if (typeof next === 'function') next(err);
        else if (!res.headersSent) send(res, failure(500, 'internal_error', 'internal error'));
      }
    };
  }

  return { webhook, createExpress };
}

function failure(status, code, message) {
  return { status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ error: { code, message } }) };
}

function send(res, decision) {
  if (res.headersSent) return;
  res.statusCode = decision.status;
  const headers = decision.headers;
  for (const name in headers) res.setHeader(name, headers[name]);
  res.end(decision.body);
}

function isEmptyObject(v) {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0;
}

/** The raw body (a Buffer), or why there is none. Never reads more than `cap` + one chunk. */
function readRaw(req, cap) {
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body.length > cap ? TOO_LARGE : req.body); // express.raw()
  // Express 4's parsers leave `{}` when they skip a request; body-parser marks what it read with `_body`.
  if (req._body || req.readableEnded || (req.body !== undefined && !isEmptyObject(req.body))) return Promise.resolve(CONSUMED);
  const declared = Number(req.headers['content-length']);
  if (declared > cap) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const done = (value) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      resolve(value);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > cap) {
        req.pause();
        done(TOO_LARGE);
      } else chunks.push(chunk);
    };
    const onEnd = () => done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)); // one chunk: no copy
    const onClose = () => done(ABORTED);
    const onError = (err) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      reject(err);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

module.exports = { createExpress, CONSUMED_MESSAGE };
