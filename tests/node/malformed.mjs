// Malformed and hostile input through every public entry point (issue 8), shared by native,
// wasm-in-Node and wasm in headless Chromium (suite.mjs adds these cases). Each input gives the
// documented HookverifyError code (spec/errors.md) — in JS every failure, wrong argument types
// included, is a HookverifyError (`invalid_argument`), never a TypeError — and nothing crashes or
// hangs. Signatures are made with WebCrypto (independent of hookverify), the Rust version of this
// file is core/tests/malformed.rs, the Python one tests/python/test_malformed.py.
//
// Per-platform notes, asserted below:
// - JS strings cannot carry invalid UTF-8: a lone surrogate becomes U+FFFD at the boundary (napi's
//   UTF-8 conversion and TextEncoder alike), so the core sees valid UTF-8 — a signature header
//   is then malformed_header (not base64), a timestamp malformed_timestamp, an id just a different
//   id (no_matching_signature). Python, which can tell, says malformed_header for all three.
//   Node's http hands bytes >= 0x80 over as Latin-1 characters; those reach the core as non-ASCII.
// - Fetch Headers refuse CR/LF/NUL themselves (TypeError from the platform, before hookverify) and
//   join duplicates with ", " (a duplicate cannot be told from one comma-separated value): the core
//   judges the joined value by the scheme's syntax (a Standard Webhooks list of the same signature
//   twice verifies, GitHub's `sha256=…, sha256=…` is malformed_header).

const enc = new TextEncoder();
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const GH_SECRET = 'k7Qz-2xVr-9pLm-4tWd';
const NOW = 1700000000;
const ENVELOPE = '{"type":"user.created","id":"evt_1","data":{"x":1}}';

/** For messages: JSON that survives BigInt and cycles. */
const show = (v) => {
  try {
    return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'symbol' ? String(x) : x));
  } catch {
    return String(v);
  }
};
const b64 = (u8) => btoa(String.fromCharCode(...u8));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
async function mac(key, bytes) {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, bytes));
}
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) out.set(p, (i += p.length) - p.length);
  return out;
};
const bytesOf = (body) => (typeof body === 'string' ? enc.encode(body) : body);
/** Standard Webhooks headers for `body` (WebCrypto). */
async function stdHeaders(body, id = 'msg_1', ts = NOW) {
  const m = await mac(unb64(SECRET.slice(6)), concat(enc.encode(`${id}.${ts}.`), bytesOf(body)));
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${b64(m)}` };
}
/** GitHub headers for `body` (WebCrypto). */
async function ghHeaders(body) {
  const m = await mac(enc.encode(GH_SECRET), bytesOf(body));
  const hex = Array.from(m, (b) => b.toString(16).padStart(2, '0')).join('');
  return { 'X-Hub-Signature-256': `sha256=${hex}`, 'X-GitHub-Delivery': 'd-1', 'X-GitHub-Event': 'push' };
}

export function malformedCases(hv, add, { ok, eq, throwsCode }) {
  const std = () => new hv.Verifier({ scheme: 'standard', secret: SECRET });
  const gh = () => new hv.Verifier({ scheme: 'github', secret: GH_SECRET });
  const api = hv.default || hv;
  /** Runs f, which must throw `code` quickly (no pathological path). */
  const fast = (f, code, what, ms = 2000) => {
    const t0 = Date.now();
    const e = throwsCode(hv, f, code, what);
    ok(Date.now() - t0 < ms, `${what}: took ${Date.now() - t0} ms`);
    return e;
  };
  /** The Receiver's answer (status, error code) for one request. */
  const receiverAnswer = async (headers, body = ENVELOPE, extra = {}) => {
    const r = new hv.Receiver({
      scheme: 'standard',
      secret: SECRET,
      mode: 'sync',
      handlers: { '*': () => {} },
      ...extra,
    });
    const { decision } = await r.handle({ path: '/hooks', headers, body, now: NOW });
    const parsed = JSON.parse(decision.body);
    return [decision.status, parsed.error ? parsed.error.code : null];
  };
  /** Every path (verify, verifySignature, Receiver, diagnose) gives `code` for these headers/body. */
  const everywhere = async (headers, code, what, body = ENVELOPE) => {
    fast(() => std().verify(body, headers, { now: NOW }), code, `${what} verify`);
    fast(() => std().verifySignature(body, headers, { now: NOW }), code, `${what} verifySignature`);
    const [status, got] = await receiverAnswer(headers, body);
    eq([status, got], [401, code], `${what} Receiver`);
    const report = api.diagnose({ headers, body, secrets: [SECRET], scheme: 'standard', now: NOW });
    ok(
      report.valid === false && report.checks.some((c) => !c.ok),
      `${what} diagnose: ${JSON.stringify(report.checks)}`,
    );
  };

  add('malformed: the WebCrypto-signed baseline verifies on every path', async () => {
    const h = await stdHeaders(ENVELOPE);
    eq(std().verify(ENVELOPE, h, { now: NOW }).type, 'user.created');
    eq(await receiverAnswer(h), [200, null]);
    eq(api.diagnose({ headers: h, body: ENVELOPE, secrets: [SECRET], now: NOW }).valid, true);
  });

  // ---- control bytes: CR, LF, CRLF injection, NUL, in every signed header
  const CONTROL = {
    CR: (v) => '\r' + v,
    LF: (v) => v + '\n',
    CRLF: (v) => v + '\r\nX-Injected: 1',
    NUL: (v) => v + '\0',
    'inner NUL': (v) => v.slice(0, 3) + '\0' + v.slice(3),
  };
  for (const header of ['webhook-signature', 'webhook-id', 'webhook-timestamp']) {
    add(`malformed: CR/LF/NUL in ${header} is malformed_header everywhere`, async () => {
      const h = await stdHeaders(ENVELOPE);
      for (const [what, f] of Object.entries(CONTROL))
        await everywhere({ ...h, [header]: f(h[header]) }, 'malformed_header', `${what} ${header}`);
    });
  }
  add('malformed: control bytes in a header name do not make it the header', async () => {
    const h = await stdHeaders(ENVELOPE);
    const { 'webhook-signature': sig, ...rest } = h;
    fast(
      () => std().verify(ENVELOPE, { ...rest, 'webhook-signature\r\n': sig, 'webhook-signature\0': sig }, { now: NOW }),
      'missing_header',
      'name',
    );
    eq(
      std().verify(ENVELOPE, { ...h, 'webhook-signature\n': 'x' }, { now: NOW }).id,
      'msg_1',
      'an unrelated odd name is ignored',
    );
  });
  add('malformed: Fetch Headers refuse CR/LF/NUL themselves (platform TypeError, before hookverify)', () => {
    if (typeof Headers === 'undefined') return;
    for (const bad of ['a\r\nb', 'a\nb', 'a\0b']) {
      let e;
      try {
        new Headers({ 'webhook-signature': bad });
      } catch (err) {
        e = err;
      }
      ok(e instanceof TypeError, `Headers accepted ${JSON.stringify(bad)}`);
    }
  });

  // ---- size
  add('malformed: header values over 16 KiB (and 1 MiB) are malformed_header, fast', async () => {
    const h = await stdHeaders(ENVELOPE);
    for (const n of [16 * 1024 + 1, 64 * 1024, 1024 * 1024]) {
      for (const header of ['webhook-signature', 'webhook-id', 'webhook-timestamp']) {
        const v = header === 'webhook-timestamp' ? '1'.padStart(n, '0') : (h[header] + ' ' + 'A'.repeat(n)).slice(0, n);
        await everywhere({ ...h, [header]: v }, 'malformed_header', `${n} bytes ${header}`);
      }
    }
    const atLimit = h['webhook-signature'] + ' ' + 'v1,' + 'A'.repeat(16 * 1024 - h['webhook-signature'].length - 4);
    eq(
      std().verifySignature(ENVELOPE, { ...h, 'webhook-signature': atLimit }, { now: NOW }).keyIndex,
      0,
      'exactly 16 KiB is fine',
    );
    eq(
      std().verify(ENVELOPE, { ...h, 'x-unrelated': 'A'.repeat(1024 * 1024) }, { now: NOW }).id,
      'msg_1',
      'a huge header we do not read',
    );
  });

  // ---- duplicates
  add('malformed: duplicate headers (array values, two spellings, Map) are malformed_header', async () => {
    const h = await stdHeaders(ENVELOPE);
    for (const header of ['webhook-signature', 'webhook-id', 'webhook-timestamp']) {
      await everywhere({ ...h, [header]: [h[header], h[header]] }, 'malformed_header', `array ${header}`);
      await everywhere({ ...h, [header]: [h[header], h[header], h[header]] }, 'malformed_header', `three ${header}`);
      await everywhere({ ...h, [header.toUpperCase()]: h[header] }, 'malformed_header', `two spellings ${header}`);
      const m = new Map(Object.entries(h));
      m.set(header.replace(/^w/, 'W'), h[header]);
      fast(() => std().verify(ENVELOPE, m, { now: NOW }), 'malformed_header', `Map ${header}`);
    }
    eq(
      std().verify(ENVELOPE, { ...h, 'webhook-signature': [h['webhook-signature']] }, { now: NOW }).id,
      'msg_1',
      'one-element array',
    );
    fast(
      () => std().verify(ENVELOPE, { ...h, 'webhook-signature': [] }, { now: NOW }),
      'missing_header',
      'empty array is absent',
    );
  });
  add('malformed: Fetch Headers join duplicates; the joined value is judged by the scheme', async () => {
    if (typeof Headers === 'undefined') return;
    const h = await stdHeaders(ENVELOPE);
    const joined = new Headers(h);
    joined.append('webhook-signature', h['webhook-signature']);
    eq(joined.get('webhook-signature'), `${h['webhook-signature']}, ${h['webhook-signature']}`, 'the platform joins');
    // Joined values are not one header (spec/policy.md "One instance, precisely"), as two lines are not.
    fast(
      () => std().verifySignature(ENVELOPE, joined, { now: NOW }),
      'malformed_header',
      'a Standard Webhooks signature joined with itself',
    );
    const ts = new Headers(h);
    ts.append('webhook-timestamp', h['webhook-timestamp']);
    fast(() => std().verify(ENVELOPE, ts, { now: NOW }), 'malformed_header', 'a joined timestamp');
    const g = await ghHeaders('{}');
    const ghJoined = new Headers(g);
    ghJoined.append('X-Hub-Signature-256', g['X-Hub-Signature-256']);
    fast(() => gh().verifySignature('{}', ghJoined, { now: NOW }), 'malformed_header', 'github sha256=…, sha256=…');
  });

  // ---- non-string header values
  add('malformed: non-string header values (number, null, undefined, object, symbol, …)', async () => {
    const h = await stdHeaders(ENVELOPE);
    eq(
      std().verify(ENVELOPE, { ...h, 'webhook-timestamp': NOW }, { now: NOW }).id,
      'msg_1',
      'a number is its decimal text',
    );
    for (const absent of [null, undefined]) {
      fast(
        () => std().verify(ENVELOPE, { ...h, 'webhook-signature': absent }, { now: NOW }),
        'missing_header',
        `${absent} is absent`,
      );
    }
    const bad = [
      { x: 1 },
      Symbol('s'),
      true,
      10n,
      () => 'v1,x',
      new String('v1,x'),
      enc.encode(h['webhook-signature']),
      [{ x: 1 }],
    ];
    for (const v of bad) {
      for (const header of ['webhook-signature', 'webhook-id']) {
        fast(
          () => std().verify(ENVELOPE, { ...h, [header]: v }, { now: NOW }),
          'invalid_argument',
          `${header} ${typeof v}`,
        );
        fast(
          () => std().verifySignature(ENVELOPE, new Map(Object.entries({ ...h, [header]: v })), { now: NOW }),
          'invalid_argument',
          `Map ${typeof v}`,
        );
        fast(
          () => api.diagnose({ headers: { ...h, [header]: v }, body: ENVELOPE, secrets: [SECRET], now: NOW }),
          'invalid_argument',
          `diagnose ${typeof v}`,
        );
      }
      await (async () => {
        let e;
        try {
          await new hv.Receiver({ scheme: 'standard', secret: SECRET }).handle({
            headers: { ...h, 'webhook-signature': v },
            body: ENVELOPE,
            now: NOW,
          });
        } catch (err) {
          e = err;
        }
        ok(e instanceof hv.HookverifyError && e.code === 'invalid_argument', `Receiver ${typeof v}: ${e}`);
      })();
    }
    // Symbol keys and Map keys that are not strings are not headers.
    eq(std().verify(ENVELOPE, { ...h, [Symbol('webhook-signature')]: 'x' }, { now: NOW }).id, 'msg_1', 'symbol key');
    eq(
      std().verify(ENVELOPE, new Map([...Object.entries(h), [1, 'x'], [{}, 'y']]), { now: NOW }).id,
      'msg_1',
      'non-string Map keys',
    );
  });

  // ---- encodings
  add('malformed: non-UTF-8-ish header values (Latin-1 bytes from node:http, lone surrogates)', async () => {
    const h = await stdHeaders(ENVELOPE);
    await everywhere(
      { ...h, 'webhook-signature': h['webhook-signature'] + '\xff\xfe' },
      'malformed_header',
      'Latin-1 signature',
    );
    await everywhere(
      { ...h, 'webhook-signature': h['webhook-signature'] + '\udc80' },
      'malformed_header',
      'surrogate signature',
    );
    // Header values are visible ASCII only (spec/policy.md "Header bytes"): whatever a non-ASCII
    // character decodes to, it is malformed_header, in every header the scheme reads.
    fast(
      () => std().verify(ENVELOPE, { ...h, 'webhook-timestamp': h['webhook-timestamp'] + '\udc80' }, { now: NOW }),
      'malformed_header',
      'surrogate ts (U+FFFD)',
    );
    fast(
      () => std().verify(ENVELOPE, { ...h, 'webhook-timestamp': '\xb9' + h['webhook-timestamp'] }, { now: NOW }),
      'malformed_header',
      'Latin-1 digit',
    );
    fast(
      () => std().verify(ENVELOPE, { ...h, 'webhook-id': 'msg_1\udc80' }, { now: NOW }),
      'malformed_header',
      'surrogate id (U+FFFD)',
    );
    // Even signed over those exact characters.
    const h2 = await stdHeaders(ENVELOPE, 'msg_\ufffd');
    fast(
      () => std().verify(ENVELOPE, { ...h2, 'webhook-id': 'msg_\udc80' }, { now: NOW }),
      'malformed_header',
      'U+FFFD id',
    );
  });
  add('malformed: invalid UTF-8 bodies verify as bytes and are invalid_json as events', async () => {
    for (const body of [
      Uint8Array.of(0xff, 0xfe, 0xfd),
      Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d),
      concat(enc.encode('{"type":"a","id":"'), Uint8Array.of(0xed, 0xa0, 0x80), enc.encode('"}')),
    ]) {
      const h = await stdHeaders(body);
      eq(std().verifySignature(body, h, { now: NOW }).keyIndex, 0, 'signature over the bytes');
      fast(() => std().verify(body, h, { now: NOW }), 'invalid_json', 'verify');
      eq(await receiverAnswer(h, body), [400, 'invalid_json'], 'Receiver');
      const report = api.diagnose({ headers: h, body, secrets: [SECRET], now: NOW });
      ok(report.checks.find((c) => c.name === 'signature').ok, JSON.stringify(report));
    }
    // A string body with a lone surrogate is its UTF-8 (U+FFFD) on both backends.
    const s = '{"type":"a","id":"\ud800"}';
    const h = await stdHeaders(enc.encode(s));
    eq(std().verify(s, h, { now: NOW }).id, 'msg_1', 'same bytes as TextEncoder');
  });

  // ---- JSON nesting
  add('malformed: 10,000-deep JSON nesting is invalid_json, fast, on every path', async () => {
    for (const body of [
      '['.repeat(10000) + ']'.repeat(10000),
      '{"a":'.repeat(10000) + '1' + '}'.repeat(10000),
      `{"type":"a","id":"b","data":${'['.repeat(10000)}${']'.repeat(10000)}}`,
      '['.repeat(10000),
    ]) {
      const h = await stdHeaders(body);
      eq(std().verifySignature(body, h, { now: NOW }).keyIndex, 0, 'the signature is fine');
      fast(() => std().verify(body, h, { now: NOW }), 'invalid_json', 'verify');
      eq(await receiverAnswer(h, body), [400, 'invalid_json'], 'Receiver');
      const report = api.diagnose({ headers: h, body, secrets: [SECRET], now: NOW });
      ok(typeof report.valid === 'boolean' && report.event === null, JSON.stringify(report).slice(0, 300));
    }
    const deep128 = `{"type":"a","id":"b","data":${'['.repeat(120)}${']'.repeat(120)}}`;
    eq(std().verify(deep128, await stdHeaders(deep128), { now: NOW }).type, 'a', 'moderate nesting is fine');
  });

  // ---- body cap
  add('malformed: bodies over maxBodyBytes are payload_too_large before hashing (any signature)', async () => {
    const h = await stdHeaders(ENVELOPE);
    const n = enc.encode(ENVELOPE).length;
    const capped = new hv.Verifier({ scheme: 'standard', secret: SECRET, maxBodyBytes: n - 1 });
    fast(() => capped.verify(ENVELOPE, h, { now: NOW }), 'payload_too_large', 'one over');
    fast(() => capped.verifySignature(ENVELOPE, {}, { now: NOW }), 'payload_too_large', 'checked before the headers');
    eq(
      new hv.Verifier({ scheme: 'standard', secret: SECRET, maxBodyBytes: n }).verify(ENVELOPE, h, { now: NOW }).id,
      'msg_1',
      'exactly the cap',
    );
    eq(await receiverAnswer(h, ENVELOPE, { maxBodyBytes: n - 1 }), [413, 'payload_too_large'], 'Receiver');
    const e = fast(
      () => new hv.Verifier({ scheme: 'standard', secret: SECRET, maxBodyBytes: 0 }).verify('x', h, { now: NOW }),
      'payload_too_large',
      'cap 0',
    );
    ok(!JSON.stringify(e.details).includes(SECRET.slice(6, 14)), 'details');
    const big = new Uint8Array(25 * 1024 * 1024 + 1);
    fast(() => std().verify(big, h, { now: NOW }), 'payload_too_large', 'default 25 MiB cap');
    const report = api.diagnose({ headers: h, body: big, secrets: [SECRET], now: NOW });
    eq([report.valid, report.checks.find((c) => c.name === 'body_size').ok], [false, false], 'diagnose body_size');
    for (const bad of [-1, 1.5, '10', NaN, Infinity, 2 ** 64, {}]) {
      fast(
        () => new hv.Verifier({ scheme: 'standard', secret: SECRET, maxBodyBytes: bad }),
        'invalid_argument',
        `maxBodyBytes ${String(bad)}`,
      );
    }
  });

  // ---- timestamps
  add('malformed: absurd, negative and millisecond timestamps', async () => {
    const cases = [
      ['-1', 'malformed_timestamp'],
      ['+1700000000', 'malformed_timestamp'],
      ['1700000000.0', 'malformed_timestamp'],
      ['1.7e9', 'malformed_timestamp'],
      ['', 'malformed_header'],
      ['0x6553f100', 'malformed_timestamp'],
      ['١٧٠٠٠٠٠٠٠٠', 'malformed_header'],
      ['1700000000000', 'malformed_timestamp'],
      ['1700000000000000', 'malformed_timestamp'],
      ['99999999999999999999', 'malformed_timestamp'],
      ['9'.repeat(400), 'malformed_timestamp'],
      ['0', 'timestamp_too_old'],
      ['253402300799', 'timestamp_too_new'],
      [String(NOW - 301), 'timestamp_too_old'],
    ];
    for (const [ts, code] of cases) {
      const h = { ...(await stdHeaders(ENVELOPE, 'msg_1', ts)), 'webhook-timestamp': ts };
      const e = fast(() => std().verify(ENVELOPE, h, { now: NOW }), code, `ts ${JSON.stringify(ts.slice(0, 20))}`);
      if (ts === '1700000000000') ok(/millisecond/.test(e.message), e.message);
      eq((await receiverAnswer(h))[1], code, `Receiver ts ${ts.slice(0, 20)}`);
    }
    // `now` in milliseconds, or at the ends of the safe range: a window failure, not a crash.
    const h = await stdHeaders(ENVELOPE);
    for (const [now, code] of [
      [NOW * 1000, 'timestamp_too_old'],
      [Number.MAX_SAFE_INTEGER, 'timestamp_too_old'],
      [-Number.MAX_SAFE_INTEGER, 'timestamp_too_new'],
      [-1, 'timestamp_too_new'],
      [0, 'timestamp_too_new'],
    ]) {
      fast(() => std().verify(ENVELOPE, h, { now }), code, `now ${now}`);
      ok(!api.diagnose({ headers: h, body: ENVELOPE, secrets: [SECRET], now }).valid, `diagnose now ${now}`);
    }
    eq(std().verify(ENVELOPE, h, { now: new Date(NOW * 1000 + 999) }).id, 'msg_1', 'a Date is floored to seconds');
  });

  // ---- wrong argument types, every public function and constructor
  add('malformed: wrong argument types for Verifier and its methods are invalid_argument', async () => {
    const h = await stdHeaders(ENVELOPE);
    const v = std();
    for (const body of [{ a: 1 }, [1, 2], 42, null, undefined, true, Symbol('b'), 1n, () => 1, new Map()]) {
      fast(() => v.verify(body, h, { now: NOW }), 'invalid_argument', `verify body ${typeof body}`);
      fast(() => v.verifySignature(body, h, { now: NOW }), 'invalid_argument', `verifySignature body ${typeof body}`);
    }
    for (const headers of [42, 'webhook-id: x', null, undefined, true, Symbol('h'), 1n]) {
      fast(() => v.verify(ENVELOPE, headers, { now: NOW }), 'invalid_argument', `headers ${typeof headers}`);
      fast(() => v.verifySignature(ENVELOPE, headers, { now: NOW }), 'invalid_argument', `headers ${typeof headers}`);
    }
    for (const opts of [5, 'now', true, [NOW], { nwo: NOW }, { now: NOW, tolerance: 1 }]) {
      fast(() => v.verify(ENVELOPE, h, opts), 'invalid_argument', `opts ${show(opts)}`);
    }
    for (const now of [
      '1700000000',
      NaN,
      Infinity,
      -Infinity,
      1.5,
      2 ** 53,
      -(2 ** 53),
      1e300,
      10n,
      new Date(NaN),
      {},
      [NOW],
    ]) {
      fast(() => v.verify(ENVELOPE, h, { now }), 'invalid_argument', `now ${String(now)}`);
      fast(
        () => api.diagnose({ headers: h, body: ENVELOPE, secrets: [SECRET], now }),
        'invalid_argument',
        `diagnose now ${String(now)}`,
      );
    }
    const ctor = [
      [null],
      [undefined],
      [42],
      ['standard'],
      [[]],
      [{ scheme: 'standard', secret: SECRET, secrte: 1 }],
      [{ schema: 'standard', secret: SECRET }],
      [{ scheme: 'standard', secret: 42 }],
      [{ scheme: 'standard', secret: [1, 2] }],
      [{ scheme: 'standard', secrets: [1, 2] }],
      [{ scheme: 'standard', secrets: 42 }],
      [{ scheme: 'standard', secrets: SECRET }],
      [{ scheme: 42, secret: SECRET }],
      [{ scheme: ['standard'], secret: SECRET }],
      [{ scheme: null, secret: SECRET }],
      [{ scheme: 'standard', secret: SECRET, toleranceSeconds: -1 }],
      [{ scheme: 'standard', secret: SECRET, toleranceSeconds: NaN }],
      [{ scheme: 'standard', secret: SECRET, toleranceSeconds: Infinity }],
      [{ scheme: 'standard', secret: SECRET, toleranceSeconds: '300' }],
      [{ scheme: 'standard', secret: SECRET, dangerouslySkipTimestampCheck: 'yes' }],
      [{ scheme: 'standard', secret: SECRET, maxBodyBytes: 1n }],
    ];
    for (const [opts] of ctor) fast(() => new hv.Verifier(opts), 'invalid_argument', `Verifier(${String(show(opts))})`);
    const circular = { scheme: 'standard', secret: SECRET };
    circular.self = circular;
    fast(() => new hv.Verifier(circular), 'invalid_argument', 'circular options');
    fast(() => new hv.Verifier({ scheme: 'standard', secrets: [] }), 'invalid_secret', 'no secrets');
    fast(() => new hv.Verifier({ scheme: 'standard', secret: '' }), 'invalid_secret', 'empty secret');
    fast(() => new hv.Verifier({ scheme: 'no-such', secret: SECRET }), 'unknown_scheme', 'unknown scheme');
    fast(() => new hv.Verifier({ scheme: { name: 'x' }, secret: SECRET }), 'invalid_scheme', 'spec missing fields');
  });
  add('malformed: wrong argument types for sign, hmac and diagnose are invalid_argument', () => {
    const base = { scheme: 'github', secret: GH_SECRET, body: '{}' };
    for (const opts of [
      null,
      undefined,
      5,
      'github',
      { ...base, secrte: 1 },
      { ...base, scheme: 5 },
      { ...base, scheme: ['github'] },
      { ...base, secret: 5 },
      { ...base, secret: [1, 2] },
      { ...base, body: { a: 1 } },
      { ...base, body: [1] },
      { ...base, body: 5 },
      { ...base, body: null },
      { ...base, body: undefined },
      { ...base, id: 5 },
      { ...base, timestamp: '1700000000' },
      { ...base, timestamp: NaN },
      { ...base, timestamp: Infinity },
      { ...base, timestamp: 1.5 },
      { ...base, timestamp: 2 ** 53 },
    ]) {
      fast(() => hv.sign(opts), 'invalid_argument', `sign ${String(show(opts))}`);
    }
    for (const args of [
      [5, 'k', 'm'],
      [null, 'k', 'm'],
      ['sha256', 5, 'm'],
      ['sha256', 'k', null],
      ['sha256', [1, 2], 'm'],
      ['sha256', 'k', { a: 1 }],
      ['SHA-256', 'k', 'm'],
      ['md5', 'k', 'm'],
    ]) {
      fast(() => hv.hmac(...args), 'invalid_argument', `hmac ${String(args[0])}`);
    }
    const d = { headers: {}, body: '{}', secrets: [GH_SECRET] };
    for (const opts of [
      null,
      undefined,
      5,
      'x',
      [],
      { ...d, body: { a: 1 } },
      { ...d, body: [1] },
      { ...d, body: 5 },
      { ...d, body: null },
      { ...d, body: undefined },
      { ...d, headers: 5 },
      { ...d, headers: 'a: b' },
      { ...d, headers: undefined },
      { ...d, secrets: 5 },
      { ...d, secrets: [1, 2] },
      { ...d, secrets: undefined },
      { ...d, secrets: GH_SECRET },
      { ...d, scheme: 5 },
      { ...d, scheme: ['github'] },
      { ...d, now: '1' },
      { ...d, now: NaN },
      { ...d, now: Infinity },
      { ...d, secerts: [] },
      { ...d, headers: [['a', 'b', 'c']] },
      { ...d, headers: [[1, 'b']] },
      { ...d, headers: { a: Symbol('x') } },
      { ...d, headers: { a: 1n } },
    ]) {
      fast(() => hv.diagnose(opts), 'invalid_argument', `diagnose ${String(show(opts))}`);
    }
  });
  add('malformed: wrong argument types for MemoryStore, RedisStore, Router and Receiver', async () => {
    for (const opts of [
      5,
      'x',
      null,
      [],
      { capacity: 0 },
      { capacity: -1 },
      { capacity: 1.5 },
      { capacity: '10' },
      { capacity: NaN },
      { capacity: 2 ** 40 },
      { capcity: 5 },
    ]) {
      fast(() => new hv.MemoryStore(opts), 'invalid_argument', `MemoryStore(${String(show(opts))})`);
    }
    for (const args of [
      [5],
      [null],
      [undefined],
      [['redis://x']],
      ['redis://127.0.0.1:1', { timeout: 5 }],
      ['redis://127.0.0.1:1', { timeoutMs: -1 }],
      ['redis://127.0.0.1:1', { prefix: 5 }],
      ['redis://127.0.0.1:1', 5],
    ]) {
      fast(() => new hv.RedisStore(...args), 'invalid_argument', `RedisStore(${String(show(args))})`);
    }
    const router = new hv.Router();
    for (const args of [[5, () => {}], [null, () => {}], ['a', 'fn'], ['a', null], ['a']])
      fast(() => router.on(...args), 'invalid_argument', `on ${String(args[0])}`);
    fast(() => router.unhandled(5), 'invalid_argument', 'unhandled');
    eq(router.match(Symbol.iterator.description).length, 0, 'match coerces');
    const base = { scheme: 'standard', secret: SECRET };
    for (const opts of [
      null,
      undefined,
      5,
      'standard',
      { ...base, handler: () => {} },
      { ...base, mode: 'later' },
      { ...base, mode: 5 },
      { ...base, store: {} },
      { ...base, store: 5 },
      { ...base, handlers: 5 },
      { ...base, handlers: { '*': 5 } },
      { ...base, onError: 5 },
      { ...base, unhandled: 'x' },
      { providers: [] },
      { providers: 5 },
      { providers: [5] },
      { providers: [{ scheme: 5, secret: SECRET }] },
      { ...base, providers: [base] },
      { ...base, leaseSeconds: NaN },
      { ...base, leaseSeconds: -1 },
      { ...base, unhandledStatus: 99 },
      { ...base, toleranceSeconds: Infinity },
      { ...base, match: 5 },
    ]) {
      let e;
      try {
        new hv.Receiver(opts);
      } catch (err) {
        e = err;
      }
      ok(
        e instanceof hv.HookverifyError && ['invalid_argument', 'invalid_scheme'].includes(e.code),
        `Receiver(${String(show(opts))}): ${e}`,
      );
    }
    const r = new hv.Receiver({ ...base, mode: 'sync', handlers: { '*': () => {} } });
    const h = await stdHeaders(ENVELOPE);
    for (const req of [
      null,
      5,
      'x',
      [],
      { path: 5, headers: h, body: ENVELOPE },
      { headers: 5, body: ENVELOPE },
      { headers: h, body: { a: 1 } },
      { headers: h, body: 5 },
      { headers: h, body: null },
      { headers: h, body: ENVELOPE, now: 'x' },
      { headers: h, body: ENVELOPE, now: NaN },
    ]) {
      for (const method of ['begin', 'handle']) {
        let e;
        try {
          await r[method](req);
        } catch (err) {
          e = err;
        }
        ok(e instanceof hv.HookverifyError && e.code === 'invalid_argument', `${method}(${String(show(req))}): ${e}`);
      }
    }
    for (const method of ['accepted', 'finish', 'run']) {
      for (const d of [null, {}, 5]) {
        let e;
        try {
          await r[method](d, true);
        } catch (err) {
          e = err;
        }
        ok(e instanceof hv.HookverifyError && e.code === 'invalid_argument', `${method}(${show(d)}): ${e}`);
      }
    }
    eq(
      (await r.handle({ path: '/hooks', headers: h, body: ENVELOPE, now: NOW })).decision.status,
      200,
      'the receiver still works',
    );
  });

  // ---- secrets never appear in what JS can see
  add('malformed: a distinctive secret never appears in error messages, details or diagnose reports', async () => {
    const plain = 'SeCrEtZeBrA-9f3b7c1d-QUOKKA';
    const whsec = 'whsec_' + b64(enc.encode(plain));
    const seen = [];
    const collect = (f) => {
      try {
        const r = f();
        seen.push(JSON.stringify(r));
      } catch (e) {
        seen.push(e.message, JSON.stringify(e.details), String(e), e.stack || '');
      }
    };
    const h = await stdHeaders(ENVELOPE);
    for (const secret of [plain, whsec, ` ${plain}\n`, `${whsec}!`, 'whsec_' + plain]) {
      for (const scheme of ['standard', 'github', 'stripe', 'slack']) {
        collect(() => new hv.Verifier({ scheme, secret, oops: 1 }));
        collect(() => new hv.Verifier({ scheme, secret, toleranceSeconds: NaN }));
        collect(() => new hv.Verifier({ scheme, secrets: [secret, 5] }));
        collect(() => new hv.Verifier({ scheme, secret }).verify(ENVELOPE, h, { now: NOW }));
        collect(() =>
          new hv.Verifier({ scheme, secret }).verify(
            ENVELOPE,
            { ...h, 'webhook-signature': 'v1,' + b64(enc.encode(plain)) },
            { now: NOW },
          ),
        );
        collect(() => hv.sign({ scheme, secret, body: { a: 1 } }));
        collect(() => hv.sign({ scheme, secret, body: ENVELOPE, id: 'm', timestamp: NOW, extra: 1 }));
        collect(() => api.diagnose({ headers: h, body: ENVELOPE, secrets: [secret], scheme, now: NOW }));
        collect(() => api.diagnose({ headers: h, body: ENVELOPE, secrets: [secret] }));
        collect(() => new hv.Receiver({ scheme, secret, mode: 5 }));
      }
    }
    const r = new hv.Receiver({ scheme: 'standard', secret: whsec, mode: 'sync', handlers: { '*': () => {} } });
    seen.push(JSON.stringify(await r.handle({ headers: h, body: ENVELOPE, now: NOW })));
    const all = seen.join('\n');
    ok(seen.length > 100, 'collected');
    for (const piece of ['SeCrEtZeBrA', 'QUOKKA', '9f3b7c1d', b64(enc.encode(plain)).slice(4, 16)])
      ok(!all.includes(piece), `"${piece}" leaked: ${all.slice(all.indexOf(piece) - 200, all.indexOf(piece) + 50)}`);
  });

  // ---- panic safety (the switch is off unless the runner enabled it: HOOKVERIFY_TEST_PANIC=1 on
  // Node, globalThis.HOOKVERIFY_TEST_PANIC = '1' in the page; panic.test.mjs runs it on Node)
  add('panic safety: an internal fault is internal_error and the next call works (or the switch is off)', async () => {
    const h = await stdHeaders(ENVELOPE);
    const v = std();
    const router = new hv.Router().on('user.*', () => 'u');
    const store = new hv.MemoryStore();
    const r = new hv.Receiver({ scheme: 'standard', secret: SECRET, mode: 'sync', handlers: { '*': () => {} }, store });
    let first;
    try {
      first = api.__panicForTests('now');
    } catch (e) {
      first = e;
    }
    const enabled = globalThis.HOOKVERIFY_TEST_PANIC === '1' || globalThis.process?.env?.HOOKVERIFY_TEST_PANIC === '1';
    ok(
      enabled === (first !== false),
      `the switch is ${enabled ? 'enabled' : 'off'} here but __panicForTests returned ${first}`,
    );
    if (first === false) {
      eq(api.__panicForTests('next'), false, 'off: arming does nothing');
      eq(v.verify(ENVELOPE, h, { now: NOW }).id, 'msg_1', 'off');
      return;
    }
    ok(first instanceof hv.HookverifyError && first.code === 'internal_error', `now: ${first}`);
    ok(/panic|trap/i.test(first.message), first.message);
    // Objects made before the fault keep working; so do new ones and the free functions.
    eq(v.verify(ENVELOPE, h, { now: NOW }).id, 'msg_1', 'old Verifier after the fault');
    eq(router.match('user.created').length, 1, 'old Router');
    eq((await r.handle({ headers: h, body: ENVELOPE, now: NOW })).decision.status, 200, 'old Receiver');
    eq(
      hv.sign({ scheme: 'github', secret: GH_SECRET, body: '{}' })['X-Hub-Signature-256'],
      (await ghHeaders('{}'))['X-Hub-Signature-256'],
      'sign',
    );
    // Every entry point: the next call into the core panics; it is internal_error, then the one after works.
    const calls = {
      'new Verifier': () => std(),
      verify: () => v.verify(ENVELOPE, h, { now: NOW }),
      verifySignature: () => v.verifySignature(ENVELOPE, h, { now: NOW }),
      sign: () => hv.sign({ scheme: 'github', secret: GH_SECRET, body: '{}' }),
      diagnose: () => api.diagnose({ headers: h, body: ENVELOPE, secrets: [SECRET], now: NOW }),
    };
    for (const [name, f] of Object.entries(calls)) {
      eq(api.__panicForTests('next'), true, 'armed');
      throwsCode(hv, f, 'internal_error', name);
      f();
    }
    // The receiver: native answers 500 internal_error (caught inside begin); wasm throws it (a trap).
    let ids = 0;
    const deliver = async () =>
      r.handle({ headers: await stdHeaders(ENVELOPE, `msg_p${++ids}`), body: ENVELOPE, now: NOW });
    eq(api.__panicForTests('next'), true, 'armed');
    let answer;
    try {
      answer = (await deliver()).decision;
    } catch (e) {
      answer = e;
    }
    if (hv.backend === 'native')
      eq([answer.status, JSON.parse(answer.body).error.code], [500, 'internal_error'], 'native begin');
    else ok(answer instanceof hv.HookverifyError && answer.code === 'internal_error', `wasm begin: ${answer}`);
    eq((await deliver()).decision.status, 200, 'the next delivery');
    eq(v.verify(ENVELOPE, h, { now: NOW }).id, 'msg_1', 'still');
  });
}
