'use strict';
// Express middleware (works on plain node:http too: it only needs req/res). It reads the raw body
// from the request stream itself, stopping past the cap, runs the core pipeline through a
// Receiver and answers with the core's Decision (status, headers, JSON body).

const TOO_LARGE = Symbol('too large');
const CONSUMED = Symbol('consumed');
const ABORTED = Symbol('aborted');
// Receiver.handle() without the promise when nothing had to wait (lib/pipeline.js).
const HANDLE_NOW = Symbol.for('hookverify.handleNow');
// HANDLE_NOW({path, headers, body}, {req}) taking those four values as arguments (lib/pipeline.js).
const HANDLE_REQ = Symbol.for('hookverify.handleReq');
// The core's answer for a failure of this middleware (lib/pipeline.js).
const FAILURE = Symbol.for('hookverify.failure');

const CONSUMED_MESSAGE =
  'hookverify: the request body was already read by a body parser before the webhook middleware ' +
  '(req.body is set or the stream has ended), so the raw bytes the signature covers are gone. ' +
  'Fix: register the webhook route before app.use(express.json()) / express.urlencoded(), ' +
  "or give that route express.raw({ type: '*/*' }) instead (NestJS: NestFactory.create(AppModule, { rawBody: true })).";

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

    const handleNow =
      typeof receiver[HANDLE_NOW] === 'function' ? receiver[HANDLE_NOW].bind(receiver) : receiver.handle.bind(receiver);
    const handleReq =
      typeof receiver[HANDLE_REQ] === 'function'
        ? receiver[HANDLE_REQ].bind(receiver)
        : (path, headers, body, req, method) => handleNow({ path, headers, body, method }, { req });

    // No promise hop on the way when nothing needs one: the body is handed over from the stream's
    // 'end' listener and the answer written right away (see Receiver's HANDLE_NOW). The returned
    // promise settles once the delivery is done, as before.
    const middleware = function hookverifyWebhook(req, res, next) {
      return new Promise((resolve, reject) => {
        const fail = (err) => {
          try {
            if (typeof next === 'function') next(err);
            else if (!res.headersSent) send(res, receiver[FAILURE]('internal_error', 'the webhook middleware failed'));
            resolve();
          } catch (e) {
            reject(e);
          }
        };
        const respond = (out) => {
          send(res, out.decision);
          out.done.then(resolve);
        };
        const onBody = (body, size) => {
          try {
            if (body === ABORTED) return resolve();
            if (body === CONSUMED) {
              if (!warned) {
                warned = true;
                report(
                  new api.HookverifyError('invalid_argument', CONSUMED_MESSAGE, { reason: 'body already consumed' }),
                  { req },
                );
              }
              send(res, receiver[FAILURE]('invalid_argument', CONSUMED_MESSAGE));
              return resolve();
            }
            if (body === TOO_LARGE) {
              // The core's 413 (reported to onReject there), whatever the size was measured from.
              const d = receiver.tooLarge(size);
              d.headers.Connection = 'close'; // do not drain the rest of an oversized body
              send(res, d);
              return resolve();
            }
            // Node's flat rawHeaders: already there (headersDistinct builds an object of arrays per request).
            const out = handleReq(
              req.originalUrl ?? req.url,
              req.rawHeaders ?? req.headersDistinct ?? req.headers,
              body,
              req,
              req.method,
            );
            if (out instanceof Promise) out.then(respond).catch(fail);
            else respond(out);
          } catch (err) {
            fail(err);
          }
        };
        try {
          readRaw(req, cap, onBody, fail);
        } catch (err) {
          fail(err);
        }
      });
    };
    // The receiver behind the middleware, e.g. to rotate secrets: `mw.receiver.setSecrets(name, [...])`.
    middleware.receiver = receiver;
    return middleware;
  }

  return { webhook, createExpress };
}

function send(res, decision) {
  if (res.headersSent) return;
  res.statusCode = decision.status;
  const headers = decision.headers;
  for (const name in headers) res.setHeader(name, headers[name]);
  res.end(decision.body);
}

function isEmptyObject(v) {
  return (
    v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0
  );
}

/**
 * Calls `onBody` with the raw body (a Buffer) or why there is none, or `onError` with a stream
 * error. Never reads more than `cap` + one chunk.
 */
function readRaw(req, cap, onBody, onError) {
  if (Buffer.isBuffer(req.body)) return req.body.length > cap ? onBody(TOO_LARGE, req.body.length) : onBody(req.body); // express.raw()
  // The exact bytes a body parser kept beside what it parsed: NestJS `rawBody: true`, Firebase
  // Functions, body-parser's `verify` hook storing them.
  if (Buffer.isBuffer(req.rawBody))
    return req.rawBody.length > cap ? onBody(TOO_LARGE, req.rawBody.length) : onBody(req.rawBody);
  // Express 4's parsers leave `{}` when they skip a request; body-parser marks what it read with `_body`.
  if (req._body || req.readableEnded || (req.body !== undefined && !isEmptyObject(req.body))) return onBody(CONSUMED);
  const declared = declaredLength(req);
  if (declared > cap) return onBody(TOO_LARGE, declared);
  const chunks = [];
  let size = 0;
  let settled = false;
  const stop = () => {
    settled = true;
    req.off('data', onData).off('end', onEnd).off('error', onFailure).off('close', onClose);
  };
  const done = (value) => {
    if (settled) return;
    stop();
    onBody(value, size);
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
  const onFailure = (err) => {
    if (settled) return;
    stop();
    onError(err);
  };
  req.on('data', onData).on('end', onEnd).on('error', onFailure).on('close', onClose);
}

/**
 * The request's Content-Length (NaN when absent), from Node's flat rawHeaders when it is there:
 * `req.headers` is built on first access, and nothing else on this path needs it.
 */
function declaredLength(req) {
  const raw = req.rawHeaders;
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i];
      if (typeof k === 'string' && k.length === 14 && k.toLowerCase() === 'content-length') return Number(raw[i + 1]);
    }
  }
  return Number(req.headers?.['content-length']);
}

module.exports = { createExpress, CONSUMED_MESSAGE };
