'use strict';
const { createPipeline } = require('./pipeline.js');
// The public API, written once over either backend's raw surface (native addon or wasm).
// It only checks argument types, picks the few header values the scheme needs, and
// turns raw errors into HookverifyError; every decision is the Rust core's.

/** Thrown for every failure; `code` is one of ERROR_CODES. */
class HookverifyError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = 'HookverifyError';
    this.code = code;
    this.details = details || {};
  }
}

const BODY_HINT =
  "pass the raw request body (e.g. express.raw({type: '*/*'}) or req.rawBody), not the parsed JSON — " +
  're-serializing changes the bytes and the signature will not match';

function invalid(reason) {
  return new HookverifyError('invalid_argument', `invalid argument: ${reason}`, { reason });
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object')
    return v.constructor && v.constructor.name ? `an object (${v.constructor.name})` : 'an object';
  return `a ${typeof v}`;
}

/** Turns what a backend threw into a HookverifyError (a trap or a conversion bug is internal_error). */
function wrap(e) {
  if (e instanceof HookverifyError) return e;
  if (e && typeof e.code === 'string' && typeof e.detailsJson === 'string') {
    return new HookverifyError(e.code, e.message, JSON.parse(e.detailsJson));
  }
  const reason = `unexpected ${e && e.name ? e.name : 'error'} from the backend: ${e && e.message ? e.message : String(e)}`;
  const err = new HookverifyError('internal_error', `internal error: ${reason}`, { reason });
  err.cause = e;
  return err;
}

// What the core trims from header values (RFC 9110 optional whitespace), without a regex on the hot path.
const TRIM = /^[ \t]+|[ \t]+$/g;
function trim(v) {
  const a = v.charCodeAt(0);
  const z = v.charCodeAt(v.length - 1);
  return a === 32 || a === 9 || z === 32 || z === 9 ? v.replace(TRIM, '') : v;
}

/**
 * Packs picked header values into one string for the backend (format: bindings/node/src/packed.rs):
 * per name "\0" absent, "\1"+count duplicated, "\2"+two 15-bit UTF-16 length chars+value.
 */
function pack(values) {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) out += '\0';
    else if (typeof v === 'number') out += '\x01' + String.fromCharCode(Math.min(v, 0x7fff));
    else out += '\x02' + String.fromCharCode((v.length >>> 15) & 0x7fff, v.length & 0x7fff) + v;
  }
  return out;
}

/**
 * One value per header name (`names` lowercase, `index` name -> position): a string, undefined
 * (absent) or a count (>= 2: the header was sent several times). Takes an object, Fetch Headers,
 * a Map, [name, value] pairs or Node's flat `rawHeaders` list.
 */
function pickValues(names, index, headers) {
  const values = new Array(names.length);
  if (headers === null || typeof headers !== 'object') {
    throw invalid(`headers must be an object, Headers or Map, got ${describe(headers)}`);
  }
  if (Array.isArray(headers)) {
    eachArrayHeader(headers, addValue, values, index); // no closure per request
  } else if (headers instanceof Map) {
    for (const [k, v] of headers) if (typeof k === 'string') addValue(k, v, values, index);
  } else if (typeof headers.get === 'function' && typeof headers.has === 'function') {
    // Fetch Headers: case-insensitive already, duplicates already joined.
    for (let i = 0; i < names.length; i++) {
      const v = headers.get(names[i]);
      if (v !== null && v !== undefined) values[i] = String(v);
    }
  } else {
    for (const k in headers) addValue(k, headers[k], values, index);
  }
  return values;
}

/**
 * Calls `fn(name, value, a, b)` for each header of an array: Node's `req.rawHeaders` ([name, value,
 * name, value, ...], duplicates kept) or [name, value] pairs.
 */
function eachArrayHeader(headers, fn, a, b) {
  if (headers.length > 0 && typeof headers[0] === 'string') {
    if (headers.length % 2 !== 0) throw invalid('headers as a flat array must hold name, value, name, value, ...');
    for (let i = 0; i < headers.length; i += 2) {
      const k = headers[i];
      if (typeof k !== 'string') throw invalid(`header names must be strings, got ${describe(k)}`);
      fn(k, headers[i + 1], a, b);
    }
  } else {
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw invalid(`headers as an array must hold [name, value] pairs, got ${describe(pair)}`);
      }
      fn(pair[0], pair[1], a, b);
    }
  }
}

/**
 * What pickValues looks names up in: `at` maps each lowercase name to its position, and
 * `lengths[n]` says whether any name has n characters, so most of a request's headers are passed
 * over without lowercasing them.
 */
function headerIndex(names) {
  const at = Object.create(null);
  const lengths = new Uint8Array(Math.max(0, ...names.map((n) => n.length)) + 1);
  names.forEach((n, i) => {
    at[n] = i;
    lengths[n.length] = 1;
  });
  return { at, lengths };
}

function addValue(name, v, values, index) {
  if (index.lengths[name.length] !== 1) return; // no name that long (undefined: longer than any)
  let i = index.at[name];
  if (i === undefined) {
    i = index.at[name.toLowerCase()];
    if (i === undefined) return;
  }
  let n;
  if (typeof v === 'string') n = 1;
  else if (v === undefined || v === null) return;
  else if (Array.isArray(v)) {
    if (v.length === 0) return;
    if (v.length === 1) return addValue(name, v[0], values, index);
    n = v.length;
  } else if (typeof v === 'number') {
    v = String(v);
    n = 1;
  } else {
    throw invalid(`header ${name} must be a string or an array of strings, got ${describe(v)}`);
  }
  const prev = values[i];
  if (prev === undefined && n === 1) values[i] = v;
  else values[i] = (prev === undefined ? 0 : typeof prev === 'number' ? prev : 1) + n;
}

/** Every header as `[name, value]` (diagnose looks at all of them, e.g. to detect the scheme); also takes such pairs. */
function headerPairs(headers) {
  if (headers === null || typeof headers !== 'object') {
    throw invalid(`headers must be an object, Headers or Map, got ${describe(headers)}`);
  }
  const pairs = [];
  const add = (name, v) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) return v.forEach((x) => add(name, x));
    if (typeof v === 'number') v = String(v);
    if (typeof v !== 'string')
      throw invalid(`header ${name} must be a string or an array of strings, got ${describe(v)}`);
    pairs.push([name, v]);
  };
  if (Array.isArray(headers)) {
    eachArrayHeader(headers, add);
  } else if (headers instanceof Map) {
    for (const [k, v] of headers) if (typeof k === 'string') add(k, v);
  } else if (typeof headers.forEach === 'function' && typeof headers.get === 'function') {
    headers.forEach((v, k) => add(k, v)); // Fetch Headers
  } else {
    for (const k of Object.keys(headers)) add(k, headers[k]);
  }
  return pairs;
}

/**
 * Reads a backend's result string (format: bindings/node/src/packed.rs `Fields`) field by field,
 * straight into the values the caller builds, with no array of substrings in between: per field
 * its length in UTF-16 units as decimal digits, `:`, then the text; `-` alone is null.
 * `readStart(s)`, then per field in order `readText()` (a string or null) or `readNum()` (its
 * number, as `+text` gives it, or null); `readMore()` says whether fields are left. One string is
 * read at a time: every caller reads all it needs before any other code runs.
 */
let rs = '';
let ri = 0;

function readStart(s) {
  rs = s;
  ri = 0;
}

function readMore() {
  return ri < rs.length;
}

/** The next field's length (its prefix consumed), or -1 for null. */
function readLength() {
  let c = rs.charCodeAt(ri++);
  if (c === 45) return -1;
  let n = 0;
  while (c !== 58) {
    if (!(c >= 48 && c <= 57))
      throw new HookverifyError('internal_error', 'internal error: a malformed result from the backend', {
        reason: 'malformed result',
      });
    n = n * 10 + (c - 48);
    c = rs.charCodeAt(ri++);
  }
  return n;
}

function readText() {
  const n = readLength();
  if (n < 0) return null;
  const t = rs.slice(ri, ri + n);
  ri += n;
  return t;
}

/** A number field without making its substring (`+text` for what is not a short integer). */
function readNum() {
  const n = readLength();
  if (n < 0) return null;
  const start = ri;
  const end = ri + n;
  ri = end;
  let i = start;
  const neg = rs.charCodeAt(i) === 45;
  if (neg) i++;
  // Up to 15 digits the sum is exact (below 2^53), as `+text` is.
  if (i === end || end - i > 15) return +rs.slice(start, end);
  let v = 0;
  for (; i < end; i++) {
    const d = rs.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return +rs.slice(start, end);
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/**
 * The next fields `id, type, timestamp | null, keyIndex, dataStart, dataEnd` (packed.rs
 * `Fields::event`) as an Event whose payload is that range of `source`, the verified body.
 */
function readEvent(source) {
  const id = readText();
  const type = readText();
  const timestamp = readNum();
  const keyIndex = readNum();
  const start = readNum();
  return new Event(id, type, timestamp, keyIndex, source, start, readNum());
}

/** Whether the next field is the text `0` (then consumed; otherwise nothing is). */
function readZero() {
  if (rs.charCodeAt(ri) === 49 && rs.charCodeAt(ri + 1) === 58 && rs.charCodeAt(ri + 2) === 48) {
    ri += 3;
    return true;
  }
  return false;
}

function nowOf(opts) {
  if (opts === undefined || opts === null) return Math.floor(Date.now() / 1000);
  if (typeof opts !== 'object' || Array.isArray(opts))
    throw invalid(`options must be an object like {now}, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (k !== 'now') throw invalid(`unknown option ${JSON.stringify(k)} (expected now)`);
  }
  const now = opts.now;
  if (now === undefined || now === null) return Math.floor(Date.now() / 1000);
  if (now instanceof Date) {
    const t = Math.floor(now.getTime() / 1000);
    if (!Number.isSafeInteger(t)) throw invalid('`now` is an invalid Date');
    return t;
  }
  if (!Number.isSafeInteger(now))
    throw invalid(`\`now\` must be integer unix seconds or a Date, got ${describeNumber(now)}`);
  return now;
}

/**
 * The per-call options of `verify` / `verifySignature`: `now`, and for schemes that sign the request
 * line, `url` (the URL the sender called) and `method`.
 */
function callOpts(opts) {
  if (opts === undefined || opts === null) return { now: nowOf(opts) };
  if (typeof opts !== 'object' || Array.isArray(opts))
    throw invalid(`options must be an object like {now, url, method}, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (k !== 'now' && k !== 'url' && k !== 'method')
      throw invalid(`unknown option ${JSON.stringify(k)} (expected now, url, method)`);
  }
  for (const k of ['url', 'method']) {
    const v = opts[k];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw invalid(`\`${k}\` must be a string, got ${describe(v)}`);
  }
  return { now: nowOf({ now: opts.now }), url: opts.url ?? undefined, method: opts.method ?? undefined };
}

function wellFormed(s) {
  if (typeof s.isWellFormed === 'function') return s.isWellFormed() ? s : s.toWellFormed();
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function describeNumber(v) {
  return typeof v === 'number' ? `the number ${v}` : describe(v);
}

/**
 * JSON for the core: a number JSON cannot hold (NaN, ±Infinity) would become null (the default)
 * and silently change behaviour, so it is refused; so is what JSON cannot serialize at all.
 */
/** The JSON of a `setSecrets` list (the core checks it is a non-empty list of valid secrets). */
function secretList(secrets) {
  return toJson(secrets === undefined ? null : secrets, 'setSecrets');
}

function toJson(value, what) {
  try {
    return JSON.stringify(value, (k, v) => {
      // A lone surrogate becomes U+FFFD, as at every other string boundary (napi, TextEncoder).
      if (typeof v === 'string') return wellFormed(v);
      // JSON would drop it silently (a handler under a misspelt key): refuse it instead.
      if (typeof v === 'function') throw invalid(`${what} option ${JSON.stringify(k)} must not be a function`);
      if (typeof v === 'number' && !Number.isFinite(v))
        throw invalid(`${what} option ${JSON.stringify(k)} must be a finite number, got ${v}`);
      return v;
    });
  } catch (e) {
    if (e instanceof HookverifyError) throw e;
    throw invalid(`${what} options are not serializable: ${e.message}`);
  }
}

/** A native fast call: `f(id, body, now, ...)` with the picked header values as its last eight arguments. */
function fast(f, id, body, now, v) {
  return f(id, body, now, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
}

/**
 * A wasm trap (a Rust panic aborts on wasm32) or a wasm stack overflow: the instance stopped mid-call,
 * with its shadow stack pointer, borrow flags and allocations left as they were, so it is not reused.
 */
function isTrap(e) {
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) return true;
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/**
 * @param raw the backend's raw surface
 * @param backend 'native' | 'wasm'
 * @param opts.renew (wasm) returns a fresh raw surface on a new instance (its own glue module, so
 *   the old objects' finalizers keep freeing into the old memory), or null when none is available
 * @param opts.faults whether the test-only fault switch (`__panicForTests`) is enabled
 */
function createApi(raw, backend, opts = {}) {
  // The live backend; `gen` counts instances replaced after a trap (objects rebuild lazily).
  const cur = { raw, gen: 0 };
  const renew = typeof opts.renew === 'function' ? opts.renew : null;

  /** wrap(), plus: after a wasm trap, continue on a fresh instance. */
  function wrapHere(e) {
    if (backend !== 'wasm' || !isTrap(e)) return wrap(e);
    let fresh = null;
    try {
      fresh = renew ? renew() : null;
    } catch {
      fresh = null;
    }
    if (fresh) {
      cur.raw = fresh;
      cur.gen++;
    }
    const reason = `the WebAssembly instance trapped (${e.message}); ${fresh ? 'continuing on a fresh instance' : 'no fresh instance is available here'}`;
    const err = new HookverifyError('internal_error', `internal error: ${reason}`, {
      reason,
      trap: true,
      reinstantiated: Boolean(fresh),
    });
    err.cause = e;
    return err;
  }

  // wasm takes bytes only; the native addon borrows Uint8Array or takes a string as-is.
  const encoder = new TextEncoder();
  const keepStrings = backend !== 'wasm';

  /** The body as the backend takes it; with `asBytes` always bytes (a string: its UTF-8). */
  function toBody(body, asBytes) {
    if (body instanceof Uint8Array) return body;
    if (typeof body === 'string') return keepStrings && !asBytes ? body : encoder.encode(body);
    if (body instanceof ArrayBuffer) return new Uint8Array(body);
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    if (body !== null && typeof body === 'object') {
      throw invalid(`the body is ${describe(body)}: ${BODY_HINT}`);
    }
    throw invalid(`the body must be a Buffer, Uint8Array or string, got ${describe(body)}`);
  }

  function call(f) {
    try {
      return f();
    } catch (e) {
      throw wrapHere(e);
    }
  }

  /**
   * A raw object on the live instance, as a function returning it: `make(raw)` builds it now, and
   * again on the next call after a wasm trap replaced the instance (on the fresh one).
   */
  function rebuilding(make) {
    let gen = cur.gen;
    let obj = call(() => make(cur.raw));
    return () => {
      if (gen !== cur.gen) {
        obj = call(() => make(cur.raw));
        gen = cur.gen;
      }
      return obj;
    };
  }

  const ERROR_CODES = Object.freeze(call(() => Array.from(raw.errorCodes())));
  // The core's HintCode::ALL with each code's general fix, flattened [code, fix, ...].
  const hintTable = call(() => Array.from(raw.hintTable()));
  const HINT_FIXES = Object.freeze(
    Object.fromEntries(hintTable.flatMap((v, i) => (i % 2 ? [] : [[v, hintTable[i + 1]]]))),
  );
  const HINT_CODES = Object.freeze(Object.keys(HINT_FIXES));
  const SCHEMES = Object.freeze(call(() => Array.from(raw.presetNamesList())));

  /** Verifies webhook requests of one scheme against one or more live secrets. */
  class Verifier {
    #live; // the raw verifier on the live instance (rebuilt once after a wasm trap replaced it)
    #rotated; // the secrets (JSON list) setSecrets made live: a rebuild after a trap applies them again
    #names;
    #index;
    #idOfSet;
    #fast; // native: the id the fast calls take (header values as arguments); -1 / undefined: none

    constructor(options) {
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw invalid(`Verifier options must be an object like {scheme, secret}, got ${describe(options)}`);
      }
      const json = toJson(options, 'Verifier');
      this.#live = rebuilding((raw) => {
        const v = new raw.RawVerifier(json);
        if (this.#rotated !== undefined) v.setSecrets(this.#rotated);
        return v;
      });
      const raw = this.#live();
      // The core says which headers its scheme reads (Scheme::header_names) and where each set's id is.
      this.#names = Array.from(raw.headerNames);
      this.#idOfSet = Array.from(raw.idHeaders);
      this.#fast = raw.fastId;
      this.#index = headerIndex(this.#names);
    }

    /**
     * Replaces the live secrets, atomically: a verification uses the old set or the new one,
     * never a mix. Validated as the constructor does; on error the old secrets stay live. Give
     * old and new together to overlap a rotation, then the new alone.
     */
    setSecrets(secrets) {
      const list = secretList(secrets);
      call(() => this.#live().setSecrets(list));
      this.#rotated = list;
    }

    /** The (lowercase) header names this verifier reads. */
    get headerNames() {
      return this.#names.slice();
    }

    /** The largest body this verifier accepts, in bytes (`maxBodyBytes` option; default 25 MiB). */
    get maxBodyBytes() {
      return this.#live().maxBodyBytes;
    }

    /** Verifies the signature and parses the event envelope. */
    verify(body, headers, opts) {
      const b = toBody(body);
      const values = this.#pick(headers);
      const { now, url, method } = callOpts(opts);
      let r;
      try {
        const id = this.#fast;
        r =
          id >= 0 && typeof b !== 'string' && url === undefined && method === undefined
            ? fast(cur.raw.verifyFast, id, b, now, values)
            : this.#live().verify(b, pack(values), now, url, method);
      } catch (e) {
        throw wrapHere(e);
      }
      readStart(r);
      return readEvent(b);
    }

    /** Verifies only the signature (and timestamp window): for bodies that are not JSON envelopes. */
    verifySignature(body, headers, opts) {
      const b = toBody(body);
      const values = this.#pick(headers);
      const { now, url, method } = callOpts(opts);
      let r;
      try {
        const id = this.#fast;
        r =
          id >= 0 && typeof b !== 'string' && url === undefined && method === undefined
            ? fast(cur.raw.verifySignatureFast, id, b, now, values)
            : this.#live().verifySignature(b, pack(values), now, url, method);
      } catch (e) {
        throw wrapHere(e);
      }
      // Unpack (timestamp + 1) * 2^14 + headerSet * 2^7 + keyIndex (bindings/node/src/packed.rs).
      const keyIndex = r % 128;
      const set = Math.floor(r / 128) % 128;
      const ts = Math.floor(r / 16384);
      const idAt = this.#idOfSet[set];
      const id = idAt === undefined || idAt < 0 ? undefined : values[idAt];
      return {
        keyIndex,
        timestamp: ts === 0 ? null : ts - 1,
        messageId: typeof id === 'string' ? trim(id) : null,
      };
    }

    #pick(headers) {
      return pickValues(this.#names, this.#index, headers);
    }
  }

  /** Returns the headers a sender of `scheme` would send with `body`. */
  function sign(options) {
    if (options === null || typeof options !== 'object') {
      throw invalid(
        `sign options must be an object like {scheme, secret | privateKey, body, id, timestamp, url, method}, got ${describe(options)}`,
      );
    }
    for (const k of Object.keys(options)) {
      if (!SIGN_KEYS.includes(k))
        throw invalid(`unknown sign option ${JSON.stringify(k)} (expected one of ${SIGN_KEYS.join(', ')})`);
    }
    const { scheme, secret, privateKey, body, id, timestamp, url, method } = options;
    for (const [name, value] of [
      ['secret', secret],
      ['privateKey', privateKey],
      ['url', url],
      ['method', method],
    ]) {
      if (value !== undefined && value !== null && typeof value !== 'string')
        throw invalid(`\`${name}\` must be a string, got ${describe(value)}`);
    }
    if (id !== undefined && id !== null && typeof id !== 'string')
      throw invalid(`\`id\` must be a string, got ${describe(id)}`);
    const ts = timestamp === undefined || timestamp === null ? Math.floor(Date.now() / 1000) : timestamp;
    if (!Number.isSafeInteger(ts))
      throw invalid(`\`timestamp\` must be integer unix seconds, got ${describeNumber(timestamp)}`);
    const b = toBody(body);
    const json = toJson({ scheme, secret, privateKey, url, method }, 'sign');
    const flat = call(() => cur.raw.sign(json, b, id ?? undefined, ts));
    const out = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
    return out;
  }

  const SIGN_KEYS = ['scheme', 'secret', 'privateKey', 'body', 'id', 'timestamp', 'url', 'method'];
  const DIAGNOSE_KEYS = ['headers', 'body', 'secret', 'secrets', 'publicKeys', 'scheme', 'now', 'url', 'method'];

  /**
   * Why a delivery does (not) verify: the core's report `{valid, scheme, detected, keyIndex, checks,
   * hints, event}`, parsed from the same JSON the CLI prints. Never contains secret material.
   */
  function diagnose(options) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw invalid(`diagnose options must be an object like {headers, body, secrets}, got ${describe(options)}`);
    }
    for (const k of Object.keys(options)) {
      if (!DIAGNOSE_KEYS.includes(k))
        throw invalid(`unknown diagnose option ${JSON.stringify(k)} (expected one of ${DIAGNOSE_KEYS.join(', ')})`);
    }
    const { headers, body, secret, scheme } = options;
    if (secret !== undefined && options.secrets !== undefined)
      throw invalid('give either `secret` or `secrets`, not both');
    const publicKeys = options.publicKeys ?? [];
    const secrets = secret !== undefined ? [secret] : (options.secrets ?? (options.publicKeys ? [] : undefined));
    if (!Array.isArray(secrets) || !secrets.every((s) => typeof s === 'string')) {
      throw invalid(`\`secrets\` must be an array of strings, got ${describe(secrets)}`);
    }
    if (!Array.isArray(publicKeys) || !publicKeys.every((s) => typeof s === 'string')) {
      throw invalid(`\`publicKeys\` must be an array of strings, got ${describe(publicKeys)}`);
    }
    if (
      scheme !== undefined &&
      scheme !== null &&
      typeof scheme !== 'string' &&
      (typeof scheme !== 'object' || Array.isArray(scheme))
    ) {
      throw invalid(
        `\`scheme\` must be a preset name or a spec object (or absent to detect it), got ${describe(scheme)}`,
      );
    }
    const b = toBody(body);
    const now = nowOf({ now: options.now });
    for (const k of ['url', 'method']) {
      const v = options[k];
      if (v !== undefined && v !== null && typeof v !== 'string')
        throw invalid(`\`${k}\` must be a string, got ${describe(v)}`);
    }
    const json = toJson(
      {
        headers: headerPairs(headers),
        secrets,
        publicKeys,
        scheme: scheme ?? undefined,
        url: options.url ?? undefined,
        method: options.method ?? undefined,
      },
      'diagnose',
    );
    return JSON.parse(call(() => cur.raw.diagnose(json, b, now)));
  }

  /** Raw HMAC (the primitive under every scheme): 'sha1' | 'sha256' | 'sha512'. */
  function hmac(algorithm, key, message) {
    if (typeof algorithm !== 'string') throw invalid(`algorithm must be a string, got ${describe(algorithm)}`);
    return call(() => cur.raw.hmac(algorithm, toBytes(key, 'key'), toBytes(message, 'message')));
  }

  function toBytes(v, what) {
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') return new TextEncoder().encode(v);
    throw invalid(`${what} must be a Uint8Array or string, got ${describe(v)}`);
  }

  /** The value of an inbox call's envelope (bindings/node/src/inbox.rs), or its error thrown. */
  async function settle(promise) {
    const env = JSON.parse(await promise);
    if (env.error) {
      const e = new Error(env.error.message);
      e.code = env.error.code;
      e.detailsJson = env.error.detailsJson;
      throw wrap(e);
    }
    return env.value;
  }

  function recordId(id) {
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
    if (typeof id !== 'string' || id === '')
      throw invalid(`an inbox id must be a record id (number) or an event id (non-empty string), got ${describe(id)}`);
    return id;
  }

  const INBOX = Symbol('hookverify.inbox');

  /** The durable inbox `hookverify serve` writes (native addon only): list, show, replay. */
  class Inbox {
    #raw;
    constructor(token, rawInbox) {
      if (token !== INBOX) throw invalid('use `await openInbox(location)` to open an inbox');
      this.#raw = rawInbox;
    }

    /** Recorded deliveries, newest first: `{status, provider, limit}`, each optional. */
    async list(filter) {
      if (filter !== undefined && filter !== null && (typeof filter !== 'object' || Array.isArray(filter)))
        throw invalid(`list's filter must be an object like {status, provider, limit}, got ${describe(filter)}`);
      const f = filter || {};
      for (const k of Object.keys(f)) {
        if (k !== 'status' && k !== 'provider' && k !== 'limit')
          throw invalid(`unknown list option ${JSON.stringify(k)} (expected status, provider, limit)`);
      }
      return settle(
        this.#raw.list(
          toJson(
            { status: f.status ?? undefined, provider: f.provider ?? undefined, limit: f.limit ?? undefined },
            'list',
          ),
        ),
      );
    }

    /** One delivery in full, by record id or event id; `null` when there is none. */
    async show(id) {
      return settle(this.#raw.show(recordId(id)));
    }

    /**
     * Runs `handler(job)` on recorded event `id` again now, as a new attempt, bypassing dedup,
     * and records it done (the handler resolved) or failed (it threw: the error's message is
     * recorded). Never retried. Resolves `{id, attempt, ok, error, recorded}`.
     */
    async replay(id, handler, options) {
      const key = recordId(id);
      if (typeof handler !== 'function') throw invalid(`replay's handler must be a function, got ${describe(handler)}`);
      if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options)))
        throw invalid(`replay's options must be an object like {leaseMs}, got ${describe(options)}`);
      const leaseMs = options && options.leaseMs !== undefined ? options.leaseMs : 60000;
      if (typeof leaseMs !== 'number' || !Number.isFinite(leaseMs) || leaseMs < 1)
        throw invalid(`leaseMs must be a positive number of milliseconds, got ${describe(leaseMs)}`);
      const { handle, job } = await settle(this.#raw.beginReplay(key, leaseMs));
      let error = null;
      try {
        await handler(job);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const recorded = await settle(this.#raw.finishReplay(handle, error));
      return { id: job.id, attempt: job.attempt, ok: error === null, error, recorded };
    }
  }

  /**
   * Opens the inbox at `location`: an SQLite file (relative to the working directory) or a
   * `postgres://` URL; or, with `{ config: 'serve.toml' }`, the inbox that receiver config file
   * names (its `inbox =`, a relative path taken relative to the file), as `hookverify inbox
   * --config` finds it. A missing file is `inbox_unavailable` (reading a log never creates one).
   */
  async function openInbox(location) {
    const config = location !== null && typeof location === 'object' ? location.config : undefined;
    if (
      config !== undefined
        ? typeof config !== 'string' || config === ''
        : typeof location !== 'string' || location === ''
    )
      throw invalid(
        `openInbox takes a file path, a postgres:// URL or { config: 'serve.toml' }, got ${describe(config ?? location)}`,
      );
    if (typeof raw.RawInbox !== 'function')
      throw invalid(
        `openInbox needs the native addon (the ${backend} backend has no files or sockets); run on Node with the native addon`,
      );
    const r = new raw.RawInbox();
    await settle(config !== undefined ? r.openConfig(config) : r.open(location, '.'));
    return new Inbox(INBOX, r);
  }

  const pipeline = createPipeline(backend, {
    invalid,
    describe,
    toJson,
    secretList,
    toBody,
    rebuilding,
    wrap: wrapHere,
    pickValues,
    headerIndex,
    pack,
    nowOf,
    live: () => cur,
    readStart,
    readText,
    readNum,
    readMore,
    readZero,
    readEvent,
  });

  /**
   * Test-only fault switch: false (and nothing happens) unless enabled when the package loaded
   * (HOOKVERIFY_TEST_PANIC=1). 'now' panics inside the backend (thrown as internal_error); 'next'
   * makes the next call into the core panic. Native: the panic is caught at the napi boundary;
   * wasm: it traps, and the next call runs on a fresh instance.
   */
  function panicForTests(kind) {
    if (backend === 'native') return call(() => cur.raw.panicForTests(String(kind)));
    if (!opts.faults) return false;
    return call(() => cur.raw.panicForTests(String(kind)));
  }

  return {
    Verifier,
    sign,
    hmac,
    diagnose,
    MemoryStore: pipeline.MemoryStore,
    RedisStore: pipeline.RedisStore,
    Router: pipeline.Router,
    Receiver: pipeline.Receiver,
    openInbox,
    Inbox,
    HookverifyError,
    ERROR_CODES,
    HINT_CODES,
    HINT_FIXES,
    SCHEMES,
    backend,
    version: call(() => raw.version()),
    // Only a test build of the backend (cargo feature `test-hooks`) has the switch at all.
    ...(typeof raw.panicForTests === 'function' ? { __panicForTests: panicForTests } : {}),
  };
}

const utf8 = typeof TextDecoder === 'function' ? new TextDecoder('utf-8', { ignoreBOM: true }) : null;
const hasBuffer = typeof Buffer === 'function' && typeof Buffer.byteLength === 'function';

/**
 * The text of bytes `start..end` of a verified body (the core checked they are UTF-8 JSON). A string
 * body is the UTF-8 encoding of the string (lone surrogates as U+FFFD, as every backend encodes it).
 */
function bodyText(source, start, end) {
  if (typeof source === 'string') {
    if (hasBuffer) {
      // All ASCII: byte offsets are UTF-16 offsets (every other code unit takes more than one byte).
      if (Buffer.byteLength(source, 'utf8') === source.length) return source.slice(start, end);
      return Buffer.from(source, 'utf8').toString('utf8', start, end);
    }
    source = new TextEncoder().encode(source);
  }
  if (hasBuffer && Buffer.isBuffer(source)) return source.toString('utf8', start, end);
  return utf8.decode(source.subarray(start, end));
}

/**
 * A verified event. The payload is not copied when verifying: `dataJson` is read from the verified
 * body (bytes the core located) on first access, and `data` parsed from it; both are cached, and
 * the body is let go once read. (Hence: do not modify a body buffer before reading its event's data.)
 */
class Event {
  #source;
  #start;
  #end;
  #dataJson;
  #data;
  #parsed = false;

  /** `source` is the verified body (bytes or string); `start`/`end` its payload's byte range (-1: none, i.e. `null`). */
  constructor(id, type, timestamp, keyIndex, source, start, end) {
    this.id = id;
    this.type = type;
    this.timestamp = timestamp;
    this.keyIndex = keyIndex;
    if (start < 0) this.#dataJson = 'null';
    else {
      this.#source = source;
      this.#start = start;
      this.#end = end;
    }
  }

  /** The payload (parsed lazily, cached). */
  get data() {
    if (!this.#parsed) {
      this.#data = JSON.parse(this.dataJson);
      this.#parsed = true;
    }
    return this.#data;
  }

  /** The payload as JSON text, exactly as in the body (read from the body on first access, cached). */
  get dataJson() {
    if (this.#dataJson === undefined) {
      this.#dataJson = bodyText(this.#source, this.#start, this.#end);
      this.#source = undefined;
    }
    return this.#dataJson;
  }

  toJSON() {
    return { id: this.id, type: this.type, timestamp: this.timestamp, keyIndex: this.keyIndex, data: this.data };
  }
}

module.exports = { createApi, HookverifyError };
