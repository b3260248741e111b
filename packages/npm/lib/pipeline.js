'use strict';
// The receiving pipeline over either backend: stores, the core Router, and Receiver (the core's
// sans-IO Receiver plus the one thing the core cannot do: call JS handlers). Every decision —
// provider match, verification, routing, dedup, the HTTP answer — is the Rust core's.

/**
 * @param h helpers shared with api.js: { invalid, describe, toBody, wrap, rebuilding, pickValues, headerIndex, pack, nowOf, live,
 *   readStart, readText, readNum, readMore, readZero, readEvent } (the read* functions read a backend's result string field by
 *   field); `live()` is `{raw, gen}`: the backend's raw surface (RawStore, RawReceiver, routerMatches) and how many times a
 *   wasm trap replaced it; `rebuilding(make)` keeps a raw object on the live instance (objects made before rebuild on the
 *   fresh instance, their in-memory state starting empty)
 */
function createPipeline(backend, h) {
  const { invalid, describe, wrap, live, rebuilding, readStart, readText, readNum, readMore, readZero, readEvent } = h;
  const RAW = Symbol('hookverify.raw');
  const HANDLE_NOW = Symbol.for('hookverify.handleNow'); // shared with lib/express.js
  const HANDLE_REQ = Symbol.for('hookverify.handleReq'); // shared with lib/express.js
  const FAILURE = Symbol.for('hookverify.failure'); // shared with lib/express.js
  const WITH_REQ = {}; // `extra` of the HANDLE_REQ path: the handlers' context is built with `req`

  /** In-process dedup store (one process only; use RedisStore across processes). */
  class MemoryStore {
    #raw; // after a wasm trap: an empty store on the fresh instance (as after a process restart)

    constructor(options) {
      const { capacity } = storeOptions(options, ['capacity'], 'MemoryStore'); // undefined: the core's default
      if (capacity !== undefined && (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 0xffffffff)) {
        throw invalid(`capacity must be a positive integer, got ${describe(capacity)}`);
      }
      this.#raw = rebuilding((raw) => raw.RawStore.memory(capacity));
    }

    get [RAW]() {
      return this.#raw();
    }
  }

  /** Redis dedup store shared by every process of an endpoint (native addon only). */
  class RedisStore {
    constructor(url, options) {
      const raw = live().raw;
      if (typeof raw.RawStore.redis !== 'function') {
        throw invalid(
          `RedisStore needs the native addon (the ${backend} backend has no sockets); use MemoryStore here, or run on Node with the native addon`,
        );
      }
      if (typeof url !== 'string')
        throw invalid(`the redis URL must be a string like redis://127.0.0.1:6379, got ${describe(url)}`);
      const { prefix, timeoutMs } = storeOptions(options, ['prefix', 'timeoutMs'], 'RedisStore'); // undefined: the core's defaults
      if (prefix !== undefined && typeof prefix !== 'string')
        throw invalid(`prefix must be a string, got ${describe(prefix)}`);
      if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 0xffffffff)) {
        throw invalid(`timeoutMs must be a positive integer, got ${describe(timeoutMs)}`);
      }
      this[RAW] = call(() => raw.RawStore.redis(url, prefix, timeoutMs));
    }
  }

  /**
   * A store's options object (`{}` when absent), its keys checked against `keys`: a misspelt store
   * option would silently change behaviour, so it is refused.
   */
  function storeOptions(options, keys, what) {
    if (options === undefined) return {};
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw invalid(`${what} options must be an object like {${keys.join(', ')}}, got ${describe(options)}`);
    }
    for (const k of Object.keys(options)) {
      if (!keys.includes(k))
        throw invalid(`unknown ${what} option ${JSON.stringify(k)} (expected one of ${keys.join(', ')})`);
    }
    return options;
  }

  function call(f) {
    try {
      return f();
    } catch (e) {
      throw wrap(e);
    }
  }

  function checkHandler(fn, what) {
    if (typeof fn !== 'function') throw invalid(`${what} must be a function, got ${describe(fn)}`);
    return fn;
  }

  /**
   * Event-type patterns (`user.created`, `user.*`, `*`; GitHub's `issues` takes `issues.opened`) to
   * handlers, matched by the core's rule (`routerMatches`; nothing held in the backend, so nothing
   * to rebuild after a wasm trap).
   */
  class Router {
    #patterns = [];
    #handlers = [];
    #unhandled = null;

    on(pattern, handler) {
      if (typeof pattern !== 'string') throw invalid(`pattern must be a string, got ${describe(pattern)}`);
      this.#handlers.push(checkHandler(handler, 'handler'));
      this.#patterns.push(pattern);
      return this;
    }

    unhandled(handler) {
      this.#unhandled = checkHandler(handler, 'handler');
      return this;
    }

    /** The handlers for `type`, in registration order (the unhandled one when none match). */
    match(type) {
      const fns = this.#handlers;
      const got = call(() => live().raw.routerMatches(this.#patterns, this.#unhandled !== null, String(type)));
      return Array.from(got, (i) => (i === fns.length ? this.#unhandled : fns[i]));
    }
  }

  // Options only JS has (objects and functions); every other key goes to the core's
  // ReceiverConfig as is, which names a misspelt or mistyped one.
  const JS_KEYS = ['store', 'handlers', 'routes', 'unhandled', 'onError', 'onReject', 'providers'];
  // The single-provider shorthand `{scheme, secret, ...}`: these keys make up its one provider.
  const PROVIDER_KEYS = [
    'name',
    'match',
    'scheme',
    'secret',
    'secrets',
    'toleranceSeconds',
    'maxBodyBytes',
    'dangerouslySkipTimestampCheck',
    'maxEventAge',
    'verifyTokens',
  ];

  /** Routes from `handlers: {pattern: fn | fn[]}` and `routes: [{pattern, provider, path, handler}]`. */
  function routesOf(options) {
    const routes = [];
    const fns = [];
    const add = (pattern, fn, provider, path) => {
      routes.push({ pattern, provider, path });
      fns.push(checkHandler(fn, `the handler for ${JSON.stringify(pattern)}`));
    };
    if (options.handlers !== undefined) {
      if (options.handlers === null || typeof options.handlers !== 'object') {
        throw invalid(`handlers must be an object like {'user.created': fn}, got ${describe(options.handlers)}`);
      }
      for (const [pattern, fn] of Object.entries(options.handlers)) {
        for (const f of Array.isArray(fn) ? fn : [fn]) add(pattern, f);
      }
    }
    for (const r of options.routes ?? []) add(r.pattern, r.handler, r.provider, r.path);
    return { routes, fns };
  }

  /**
   * One webhook endpoint: providers, a dedup store, handlers, ack policy. `handle()` runs a whole
   * request; `begin` / `run` / `finish` are the steps, for integrations that need them apart.
   */
  class Receiver {
    #live; // the raw receiver on the live instance (rebuilt after a wasm trap, on the store's fresh raw store)
    #rotated = new Map(); // provider name -> the secrets (JSON list) setSecrets made live: a rebuild applies them again
    #names;
    #index;
    #fns;
    #blocking;
    #custom; // a store written in JS (claim / complete / release), else undefined
    #onError;
    #onReject;
    #fast; // native: the id beginFast / finishFast take (header values as arguments); -1 / undefined: none

    constructor(options) {
      if (options === null || typeof options !== 'object') {
        throw invalid(`Receiver options must be an object like {scheme, secret, handlers}, got ${describe(options)}`);
      }
      if (options.providers !== undefined && options.scheme !== undefined)
        throw invalid('give either `providers` or `scheme`, not both');
      const config = { providers: options.providers };
      const single = {};
      for (const [k, v] of Object.entries(options)) {
        if (JS_KEYS.includes(k) || v === undefined) continue;
        if (options.providers === undefined && PROVIDER_KEYS.includes(k)) single[k] = v;
        else config[k] = v;
      }
      if (options.providers === undefined) config.providers = [single];
      const store = options.store ?? new MemoryStore();
      const custom = isCustomStore(store) ? store : undefined;
      if (!custom && (!store || !store[RAW]))
        throw invalid(
          `store must be a MemoryStore or RedisStore from this backend (${backend}), or an object with claim, complete and release methods; got ${describe(store)}`,
        );
      // A store written in JS: the core stops at the claim and JS asks the store (#beginCustom, #finishCustom).
      const rawStore = custom ? rebuilding((raw) => raw.RawStore.external()) : () => store[RAW];
      const { routes, fns } = routesOf(options);
      if (options.unhandled !== undefined) fns.push(checkHandler(options.unhandled, 'unhandled'));
      this.#onError = options.onError === undefined ? defaultOnError : checkHandler(options.onError, 'onError');
      this.#onReject = options.onReject === undefined ? defaultOnReject : checkHandler(options.onReject, 'onReject');
      config.routes = routes;
      config.unhandled = options.unhandled !== undefined;
      const json = h.toJson(config, 'Receiver');
      this.#live = rebuilding((raw) => {
        const r = new raw.RawReceiver(json, rawStore());
        for (const [provider, list] of this.#rotated) r.setSecrets(provider, list);
        return r;
      });
      const raw = this.#live();
      this.#fns = fns;
      this.#custom = custom;
      this.#blocking = rawStore().mayBlock; // a JS store's calls are awaited: the blocking path
      this.#names = Array.from(raw.headerNames);
      this.#fast = this.#blocking ? -1 : raw.fastId;
      this.#index = h.headerIndex(this.#names);
    }

    /** The core's answer for a failure of the host glue (a consumed body, a crash), reported to `onReject`. */
    [FAILURE](code, reason) {
      const r = call(() => live().raw.errorDecision(code, reason));
      readStart(r);
      return readDecision(this.#onReject);
    }

    /**
     * The core's 413 `payload_too_large` for a body known to be at least `length` bytes (a declared
     * Content-Length, or what arrived before reading stopped), reported to `onReject`; null when
     * `length` is within `maxBodyBytes`.
     */
    tooLarge(length) {
      if (typeof length !== 'number' || Number.isNaN(length))
        throw invalid(`length must be a number, got ${describe(length)}`);
      const r = call(() => this.#live().tooLarge(length));
      if (r === null || r === undefined) return null;
      readStart(r);
      return readDecision(this.#onReject);
    }

    /** The lowercase header names the pipeline reads (every provider's, match rules, Hookverify-Sync). */
    get headerNames() {
      return this.#names.slice();
    }

    /**
     * Replaces the live secrets of the provider named `provider` (as `Verifier#setSecrets`):
     * deliveries being verified finish with the old secrets, later ones use the new.
     * An unknown provider is invalid_argument.
     */
    setSecrets(provider, secrets) {
      if (typeof provider !== 'string') throw invalid(`provider must be a provider's name, got ${describe(provider)}`);
      const list = h.secretList(secrets);
      call(() => this.#live().setSecrets(provider, list));
      this.#rotated.set(provider, list);
    }

    /**
     * Counters and latency histograms of every answer and of the handler runs after an async
     * answer, by provider, outcome and error code (the core's metrics snapshot). A wasm trap
     * rebuilds the backend's receiver, which starts counting again.
     */
    metrics() {
      return JSON.parse(call(() => this.#live().metricsJson()));
    }

    /** The same metrics in the Prometheus text exposition format, for a `/metrics` route. */
    prometheus() {
      return call(() => this.#live().prometheus());
    }

    /** The largest body any provider accepts (bytes). */
    get maxBodyBytes() {
      return this.#live().maxBodyBytes;
    }

    /**
     * Verify, match, route, claim. Resolves to a Decision (answer now) or a Delivery (run it).
     * A store that may block (Redis) is called on the addon's store threads (never the libuv threadpool).
     */
    async begin(request) {
      const step = await this.#begin(request);
      // A delivery lives in the backend until finish(); one dropped unfinished is released at GC.
      if (step instanceof Delivery && unfinished) {
        rawOf(step, false);
        unfinished.register(step, { raw: ref.raw(step), handle: ref.handle(step) }, step);
        ref.register(step); // registered: unregister when finished
      }
      return step;
    }

    /** begin() without the GC safety net (handle() always finishes): a Decision or a Delivery, or a promise of one. */
    #begin(request) {
      if (request === null || typeof request !== 'object' || Array.isArray(request)) {
        throw invalid(`the request must be an object like {path, headers, body, now}, got ${describe(request)}`);
      }
      const { path = '/', headers, body, now, method } = request;
      return this.#beginWith(path, headers, body, now, method);
    }

    /** #begin of the request's fields (`path` defaulted; `method` undefined: POST). */
    #beginWith(path, headers, body, now, method) {
      if (typeof path !== 'string') throw invalid(`path must be a string, got ${describe(path)}`);
      if (method !== undefined && method !== null && typeof method !== 'string')
        throw invalid(`method must be a string, got ${describe(method)}`);
      const v = h.pickValues(this.#names, this.#index, headers);
      const bytes = h.toBody(body, true);
      // nowOf({now}) without the object when there is nothing to check.
      const t = now === undefined || now === null ? Math.floor(Date.now() / 1000) : h.nowOf({ now });
      if (method && method !== 'POST') {
        // The core answers it (a handshake a scheme declares, or 405): never a delivery to run.
        const raw = this.#live();
        return this.#step(
          call(() => raw.beginMethod(method, path, h.pack(v), bytes, t)),
          raw,
          bytes,
        );
      }
      if (this.#custom) return this.#beginCustom(path, h.pack(v), bytes, t);
      if (this.#blocking) {
        const raw = this.#live();
        return call(() => raw.beginAsync(path, h.pack(v), bytes, t)).then(
          (r) => this.#step(r, raw, bytes),
          (e) => Promise.reject(wrap(e)),
        );
      }
      const raw = this.#live();
      const id = this.#fast;
      let r;
      try {
        r =
          id >= 0
            ? live().raw.beginFast(id, path, bytes, t, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
            : raw.begin(path, h.pack(v), bytes, t);
      } catch (e) {
        throw wrap(e);
      }
      return this.#step(r, raw, bytes);
    }

    /** #beginWith for a store written in JS: the core up to the claim, the store's claim, the core's step. */
    async #beginCustom(path, packed, bytes, t) {
      const raw = this.#live();
      const r = JSON.parse(call(() => raw.beginExternal(path, packed, bytes, t)));
      if (r.fields !== undefined) return this.#step(r.fields, raw, bytes);
      const claim = await storeCall(() => this.#custom.claim(r.key, r.leaseMs));
      return this.#step(
        call(() => raw.claimed(r.handle, claim)),
        raw,
        bytes,
      );
    }

    /** #finish for a store written in JS: complete (handlers succeeded) or release, then the core's answer. */
    async #finishCustom(raw, handle, ok) {
      const plan = JSON.parse(call(() => raw.finishPlan(handle)));
      const token = Number.isSafeInteger(Number(plan.token)) ? Number(plan.token) : plan.token;
      let completion = null;
      if (ok) completion = await storeCall(() => this.#custom.complete(plan.key, token, plan.retentionMs));
      else await storeCall(() => this.#custom.release(plan.key, token)); // best effort: the lease expires anyway
      return decision(call(() => raw.finished(handle, completion)));
    }

    /** A Decision, or a Delivery holding the backend's handle (see the bindings' `begin`). */
    #step(r, raw, bytes) {
      readStart(r);
      return readZero() ? new Delivery(this.#fns, raw, bytes) : readDecision(this.#onReject);
    }

    /** The immediate 202 for an async delivery, before its handlers run. */
    accepted(delivery) {
      rawOf(delivery, false);
      const raw = ref.raw(delivery);
      const handle = ref.handle(delivery);
      return decision(call(() => raw.accepted(handle)));
    }

    /** Runs the delivery's handlers in order (awaited); false once one throws or rejects. */
    async run(delivery, extra) {
      rawOf(delivery, false);
      return this.#run(delivery, extra);
    }

    /**
     * run() that stays synchronous while the handlers return no promise (no microtask hop per
     * handler on the hot path): true / false, or a promise of it once a handler returned a thenable.
     */
    #run(delivery, extra, req) {
      // `{..., req}` as a literal on the Express path: the same object as spreading `{req}`.
      const ctx =
        extra === WITH_REQ
          ? { provider: delivery.provider, token: delivery.token, path: delivery.path, query: delivery.query, req }
          : {
              provider: delivery.provider,
              token: delivery.token,
              path: delivery.path,
              query: delivery.query,
              ...extra,
            };
      const fns = delivery.handlers;
      for (let i = 0; i < fns.length; i++) {
        let r;
        try {
          r = fns[i](delivery.event, ctx);
        } catch (err) {
          this.#failed(err, delivery, ctx);
          return false;
        }
        if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
          return this.#runRest(delivery, ctx, i, r);
        }
      }
      return true;
    }

    /** The rest of #run from handler `i`, whose result `pending` is a thenable. */
    async #runRest(delivery, ctx, i, pending) {
      const fns = delivery.handlers;
      for (; i < fns.length; i++) {
        try {
          await (pending ?? fns[i](delivery.event, ctx));
        } catch (err) {
          this.#failed(err, delivery, ctx);
          return false;
        }
        pending = undefined;
      }
      return true;
    }

    #failed(err, delivery, ctx) {
      try {
        this.#onError(err, { event: delivery.event, ...ctx });
      } catch {
        // A failing error reporter must not turn into an unhandled rejection.
      }
    }

    /** Completes (ok) or releases the claim; the answer for sync deliveries. */
    async finish(delivery, ok) {
      return this.#finish(delivery, ok);
    }

    /** finish(): a Decision, or a promise of one when the store may block. Finishing twice is invalid_argument. */
    #finish(delivery, ok) {
      rawOf(delivery, true);
      const raw = ref.raw(delivery);
      const handle = ref.handle(delivery);
      if (ref.registered(delivery)) unfinished.unregister(delivery);
      if (this.#custom) return this.#finishCustom(raw, handle, ok);
      if (this.#blocking)
        return call(() => raw.finishAsync(handle, Boolean(ok))).then(decision, (e) => Promise.reject(wrap(e)));
      if (ref.gen(delivery) !== live().gen) {
        // A wasm trap replaced the instance since this delivery began: its claim went with the old store.
        throw wrap(new Error('the WebAssembly instance was replaced since this delivery began'));
      }
      const id = this.#fast;
      return decision(
        call(() => (id >= 0 ? live().raw.finishFast(id, handle, Boolean(ok)) : raw.finish(handle, Boolean(ok)))),
      );
    }

    /**
     * The whole request: `{decision, done}`. Async mode answers 202 before the handlers run;
     * `done` settles once they ran and the claim was completed or released (never rejects).
     */
    async handle(request, extra) {
      return this[HANDLE_NOW](request, extra);
    }

    /**
     * handle() that returns `{decision, done}` itself when nothing had to be awaited (a store that
     * never blocks, handlers that returned no promise), else a promise of it (the Express middleware).
     */
    [HANDLE_NOW](request, extra) {
      if (this.#blocking) return this.#handleBlocking(() => this.#begin(request), extra, undefined);
      return this.#handleStep(this.#begin(request), extra, undefined);
    }

    /**
     * HANDLE_NOW({path, headers, body}, {req}) for the Express middleware, without those two objects
     * (the handlers' context is built with `req` directly).
     */
    [HANDLE_REQ](path, headers, body, req, method) {
      if (path === undefined) path = '/';
      if (this.#blocking)
        return this.#handleBlocking(() => this.#beginWith(path, headers, body, undefined, method), WITH_REQ, req);
      return this.#handleStep(this.#beginWith(path, headers, body, undefined, method), WITH_REQ, req);
    }

    #handleStep(step, extra, req) {
      if (!(step instanceof Delivery)) return { decision: step, done: DONE };
      if (step.sync) {
        const ok = this.#run(step, extra, req);
        if (typeof ok !== 'boolean') return ok.then((r) => ({ decision: this.#finish(step, r), done: DONE }));
        return { decision: this.#finish(step, ok), done: DONE };
      }
      return this.#handOff(step, extra, req);
    }

    /** #handleStep for a store that may block: `begin()` and #finish give promises; any throw becomes the rejection. */
    async #handleBlocking(begin, extra, req) {
      const out = await this.#handleStep(await begin(), extra, req);
      return { decision: await out.decision, done: out.done };
    }

    /** Async mode: the 202 now; the handlers, then complete or release, after it went out. */
    #handOff(step, extra, req) {
      const answer = this.accepted(step);
      const done = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 0)); // let the 202 go out first
        await this.#finish(step, await this.#run(step, extra, req));
      })().catch((err) => {
        try {
          this.#onError(err, { event: step.event });
        } catch {
          // never an unhandled rejection
        }
      });
      return { decision: answer, done };
    }
  }

  const DONE = Promise.resolve();

  /** A dedup store written in JS: an object with claim, complete and release methods (index.d.ts `Store`). */
  function isCustomStore(s) {
    return (
      s !== null &&
      typeof s === 'object' &&
      !s[RAW] &&
      typeof s.claim === 'function' &&
      typeof s.complete === 'function' &&
      typeof s.release === 'function'
    );
  }

  /**
   * A JS store's answer as the JSON the core reads (`claim_from_json`, `completion_from_json`): what
   * the method returned or resolved to, or `{error}` when it threw or rejected (a 503 for a claim).
   */
  async function storeCall(fn) {
    try {
      return JSON.stringify((await fn()) ?? null);
    } catch (e) {
      return JSON.stringify({ error: String(e && typeof e === 'object' && 'message' in e ? e.message : e) });
    }
  }
  // Deliveries handed out by begin() and not finished yet: released in the backend if dropped.
  const unfinished =
    typeof FinalizationRegistry === 'function'
      ? new FinalizationRegistry(({ raw, handle }) => {
          try {
            raw.release(handle);
          } catch {
            // an instance that trapped since: nothing to release there
          }
        })
      : null;

  /**
   * Checks `delivery` is a Delivery from begin() that was not finished; `finished` marks it finished
   * (a second finish is a caller bug). Its backend state is then read with `ref`.
   */
  function rawOf(delivery, finished) {
    const state = delivery instanceof Delivery ? ref.check(delivery, finished) : undefined;
    if (state === undefined) throw invalid(`expected a Delivery from Receiver.begin, got ${describe(delivery)}`);
    if (state === null) throw invalid('this delivery was already finished');
  }
  /** A Delivery's backend state: `raw(d)` receiver, `handle(d)` in it, `gen(d)` instance generation, `registered(d)` with `unfinished` (`register(d)` sets it). */
  let ref;

  /** A verified, claimed delivery: its event, the handlers to run, the fencing token. */
  class Delivery {
    #raw;
    #handle;
    #gen;
    #registered = false;
    #finished = false;

    /**
     * Read from the result string being read (h.readStart), past its leading `0`: the fields `handle,
     * id, type, timestamp, keyIndex, dataStart, dataEnd, provider, token, path, query, sync, handler, ...`.
     */
    constructor(fns, raw, bytes) {
      this.#raw = raw;
      this.#handle = readNum();
      this.#gen = live().gen;
      this.event = readEvent(bytes);
      this.provider = readText();
      this.token = readNum();
      this.path = readText();
      this.query = readText();
      this.sync = readText() === '1';
      const handlers = readMore() ? [fns[readNum()]] : [];
      while (readMore()) handlers.push(fns[readNum()]);
      this.handlers = handlers;
    }

    static {
      ref = {
        /** true, or undefined: not a Delivery, null: finished. */
        check: (d, finished) => {
          if (!(#raw in d)) return undefined;
          if (d.#finished) return null;
          if (finished) d.#finished = true;
          return true;
        },
        raw: (d) => d.#raw,
        handle: (d) => d.#handle,
        gen: (d) => d.#gen,
        registered: (d) => d.#registered,
        register: (d) => {
          d.#registered = true;
        },
      };
    }
  }

  /** `{status, headers: {name: value}, body}` from the backend's fields `status, body, name, value, ...`. */
  function decision(s) {
    readStart(s);
    return readDecision();
  }

  /**
   * decision() of the result string being read. A rejected delivery's decision carries the core's
   * log line (code, status, provider, detail; escaped, never a secret): it goes to `report(line, decision)`.
   */
  function readDecision(report) {
    const status = readNum();
    const body = readText();
    const line = readText();
    let headers;
    const name = readMore() ? readText() : undefined;
    // The core's usual first (often only) header, as a literal: no keyed store on a fresh object.
    if (name === 'Content-Type') headers = { 'Content-Type': readText() };
    else {
      headers = {};
      if (name !== undefined) headers[name] = readText();
    }
    while (readMore()) {
      const n = readText();
      headers[n] = readText();
    }
    const d = { status, headers, body };
    if (line !== null && report !== undefined) {
      try {
        report(line, d);
      } catch {
        // A failing logger must not lose the answer.
      }
    }
    return d;
  }

  return { MemoryStore, RedisStore, Router, Receiver, Delivery };
}

/** Each rejected delivery (401, 400, 413, 503, ...): one `console.warn` line unless `onReject` says otherwise. */
function defaultOnReject(line) {
  console.warn(`hookverify: ${line}`);
}

function defaultOnError(err, ctx) {
  const what = ctx && ctx.event ? ` for ${ctx.event.type} ${ctx.event.id}` : '';
  console.error(`hookverify: a handler failed${what}; the delivery was released so a retry runs it again:`, err);
}

module.exports = { createPipeline };
