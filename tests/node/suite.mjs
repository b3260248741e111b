// The one hookverify JS test suite, shared by every backend and runtime: node:test runs it
// against the native addon and wasm (vectors.test.mjs), headless Chromium against wasm
// (browser.mjs). No Node APIs here: the runner passes `load(path)` (text, relative to the repo
// root) and `loadBytes(path)`.
//
// Expected values come from tests/vectors (independent generator, upstream vectors) and from
// the core's own tables, never from our sign().

import { malformedCases } from './malformed.mjs';
import { presetCases } from './presets.mjs';

const enc = new TextEncoder();
const hexBytes = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));
const toHex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');

class AssertionError extends Error {}
function ok(cond, msg) {
  if (!cond) throw new AssertionError(msg || 'assertion failed');
}
function eq(a, b, msg) {
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  if (sa !== sb) throw new AssertionError(`${msg || 'not equal'}: got ${sa}, expected ${sb}`);
}
/** Runs f, expects a HookverifyError with `code`; returns it. */
function throwsCode(hv, f, code, msg) {
  try {
    f();
  } catch (e) {
    if (!(e instanceof hv.HookverifyError))
      throw new AssertionError(`${msg || ''} threw a non-HookverifyError: ${e && e.stack}`);
    if (e.code !== code) throw new AssertionError(`${msg || ''} code ${e.code} (${e.message}), expected ${code}`);
    ok(typeof e.message === 'string' && e.message.length > 0, 'message');
    ok(e.details && typeof e.details === 'object', 'details object');
    return e;
  }
  throw new AssertionError(`${msg || ''} did not throw (expected ${code})`);
}

/** Builds the list of cases: `[{ name, run }]`, `run` may be async. */
/** `v` with every object key renamed snake_case -> camelCase, key order kept (the test's own rule). */
function camelKeys(v) {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()), camelKeys(x)]),
  );
}

export async function buildCases(hv, { load, loadBytes, cliReports }) {
  const json = async (p) => JSON.parse(await load(p));
  const schemes = await json('tests/vectors/schemes.json');
  const malformed = await json('tests/vectors/attacks/malformed_headers.json');
  const providers = await json('tests/vectors/providers/provider_examples.json');
  const wycheproof = {};
  for (const alg of ['sha1', 'sha256', 'sha512'])
    wycheproof[alg] = await json(`tests/vectors/wycheproof/hmac_${alg}_test.json`);
  const errorRs = await load('core/src/error.rs');
  const errorsMd = await load('spec/errors.md');
  const diagnoseDoc = await json('tests/vectors/diagnose.json');
  const cargoToml = await load('Cargo.toml');
  const pkg = await json('packages/npm/package.json');

  const cases = [];
  const add = (name, run) => cases.push({ name, run });

  // ---- schemes.json: verifySignature (result/code/key_index) and verify (event/event_code)
  for (const t of schemes.tests) {
    add(`schemes.json #${t.tcId}: ${t.comment}`, () => {
      const scheme = schemes.custom_schemes[t.scheme] || t.scheme;
      const opts = { scheme, secrets: t.secrets };
      if (t.tolerance_seconds !== null) opts.toleranceSeconds = t.tolerance_seconds;
      const v = new hv.Verifier(opts);
      const body = t.body_hex !== undefined ? hexBytes(t.body_hex) : t.body;
      if (t.result === 'valid') {
        const r = v.verifySignature(body, t.headers, { now: t.now });
        eq(r.keyIndex, t.key_index, 'key_index');
        if (t.event) {
          const e = v.verify(body, t.headers, { now: t.now });
          eq({ id: e.id, type: e.type, timestamp: e.timestamp }, t.event, 'event');
          eq(e.keyIndex, t.key_index, 'event key_index');
        } else {
          throwsCode(hv, () => v.verify(body, t.headers, { now: t.now }), t.event_code, 'event_code');
        }
      } else {
        throwsCode(hv, () => v.verifySignature(body, t.headers, { now: t.now }), t.code, 'code');
        throwsCode(hv, () => v.verify(body, t.headers, { now: t.now }), t.code, 'verify code');
      }
    });
  }

  // ---- attacks/malformed_headers.json: accept/reject under the strict policy
  const NON_HEADERS = [
    'secret_utf8',
    'secret',
    'body_utf8',
    'payload_utf8',
    'body_file',
    'body_hex',
    'now',
    'tolerance',
  ];
  for (const c of malformed.cases) {
    add(`malformed_headers ${c.id}`, async () => {
      const i = c.inputs;
      const scheme = c.scheme === 'standard-webhooks' ? 'standard' : c.scheme;
      let body;
      if (i.body_utf8 !== undefined || i.payload_utf8 !== undefined) body = i.body_utf8 ?? i.payload_utf8;
      else if (i.body_file !== undefined) body = await loadBytes(`tests/vectors/${i.body_file}`);
      else body = hexBytes(i.body_hex);
      const headers = {};
      for (const [k, val] of Object.entries(i)) if (!NON_HEADERS.includes(k) && val !== null) headers[k] = val;
      let accepted;
      try {
        const opts = { scheme, secret: i.secret_utf8 ?? i.secret ?? '' };
        if (typeof i.tolerance === 'number') opts.toleranceSeconds = i.tolerance;
        new hv.Verifier(opts).verifySignature(body, headers, { now: i.now ?? 0 });
        accepted = true;
      } catch (e) {
        ok(e instanceof hv.HookverifyError, `non-HookverifyError: ${e}`);
        accepted = false;
      }
      eq(accepted ? 'accept' : 'reject', c.expect, c.why);
    });
  }

  // ---- providers/provider_examples.json: published signatures verify, one flipped byte fails
  for (const ex of providers.examples) {
    add(`provider example ${ex.id}`, async () => {
      let scheme, headers, body, secret, now;
      switch (ex.id) {
        case 'github-docs-x-hub-signature-256':
          [scheme, headers, body, secret, now] = [
            'github',
            { [ex.header]: ex.expected_header_value },
            ex.body_utf8,
            ex.secret_utf8,
            0,
          ];
          break;
        case 'github-legacy-x-hub-signature-sha1-COMPUTED': {
          headers = { [ex.header]: ex.expected_header_value };
          const gh = new hv.Verifier({ scheme: 'github', secret: ex.secret_utf8 });
          throwsCode(
            hv,
            () => gh.verifySignature(ex.body_utf8, headers, { now: 0 }),
            'missing_header',
            'sha1 downgrade',
          );
          [scheme, body, secret, now] = ['github-sha1', ex.body_utf8, ex.secret_utf8, 0];
          break;
        }
        case 'slack-docs-v0':
          [scheme, headers, body, secret, now] = [
            'slack',
            ex.headers,
            ex.body_utf8,
            ex.secret_utf8,
            ex.verify_now_unix,
          ];
          break;
        case 'standard-webhooks-rust-test_sign':
        case 'standard-webhooks-python-test_sign_function':
          scheme = 'standard';
          headers = {
            'webhook-id': ex.msg_id,
            'webhook-timestamp': String(ex.timestamp),
            'webhook-signature': ex.expected_signature,
          };
          [body, secret, now] = [ex.payload_utf8, ex.secret, ex.timestamp];
          for (const bad of Object.values(ex.known_bad_signatures || {})) {
            const v = new hv.Verifier({ scheme, secret });
            ok(bad !== ex.expected_signature);
            let rejected = false;
            try {
              v.verifySignature(body, { ...headers, 'webhook-signature': bad }, { now });
            } catch (e) {
              rejected = e instanceof hv.HookverifyError;
            }
            ok(rejected, `known bad signature ${bad} accepted`);
          }
          break;
        case 'stripe-dotnet-EventUtilityTest': {
          body = await loadBytes(`tests/vectors/providers/${ex.body_file}`);
          [scheme, secret, now] = ['stripe', ex.secret_utf8, 1533204620];
          headers = { 'Stripe-Signature': ex.expected_header_value };
          const v = new hv.Verifier({ scheme, secret });
          for (const tc of ex.tolerance_cases) {
            let accepted = true;
            try {
              v.verifySignature(body, headers, { now: tc.now });
            } catch {
              accepted = false;
            }
            ok(
              tc.expect.startsWith(accepted ? 'accept' : 'reject'),
              `stripe tolerance now=${tc.now}: ${accepted}, expected ${tc.expect}`,
            );
          }
          for (const bad of ex.upstream_malformed_headers_all_reject) {
            let accepted = true;
            try {
              v.verifySignature(body, { 'Stripe-Signature': bad }, { now });
            } catch {
              accepted = false;
            }
            ok(!accepted, `stripe malformed ${bad}`);
          }
          break;
        }
        default:
          throw new AssertionError(`unhandled provider example ${ex.id}`);
      }
      const v = new hv.Verifier({ scheme, secret });
      eq(v.verifySignature(body, headers, { now }).keyIndex, 0, 'key index');
      const tampered = typeof body === 'string' ? enc.encode(body) : Uint8Array.from(body);
      tampered[0] ^= 1;
      throwsCode(hv, () => v.verifySignature(tampered, headers, { now }), 'no_matching_signature', 'tampered');
    });
  }

  // ---- Wycheproof HMAC through the raw primitive (full-length tags only: truncated = reject)
  for (const [alg, doc] of Object.entries(wycheproof)) {
    add(`wycheproof hmac_${alg} (${doc.numberOfTests} cases)`, () => {
      let n = 0;
      for (const g of doc.testGroups) {
        for (const t of g.tests) {
          const tag = toHex(hv.hmac(alg, hexBytes(t.key), hexBytes(t.msg)));
          const full = t.tag.length === tag.length;
          const match = tag === t.tag.toLowerCase();
          const accepted = full && match;
          eq(accepted, t.result === 'valid' && full, `tcId ${t.tcId} ${t.comment}`);
          if (!full && t.result === 'valid') ok(tag.startsWith(t.tag), `truncated tcId ${t.tcId}`);
          n++;
        }
      }
      eq(n, doc.numberOfTests, 'count');
    });
  }

  // ---- error codes: the exported list is the core's table (parsed from core/src/error.rs)
  add('ERROR_CODES equals the core ErrorCode::as_str table', () => {
    const arms = [...errorRs.matchAll(/ErrorCode::\w+ => "([a-z_]+)"/g)].map((m) => m[1]);
    ok(arms.length >= 15, 'parsed the as_str arms');
    eq([...hv.ERROR_CODES], arms);
  });

  add('package version equals the workspace version and the backend version', () => {
    const m = cargoToml.match(/\[workspace\.package\][^[]*?version\s*=\s*"([^"]+)"/);
    ok(m, 'workspace version in Cargo.toml');
    eq(pkg.version, m[1], 'package.json version');
    eq(hv.version, m[1], 'backend version');
  });

  add('SCHEMES lists the presets', () => {
    for (const s of ['standard', 'stripe', 'github', 'github-sha1', 'slack', 'shopify']) ok(hv.SCHEMES.includes(s), s);
  });

  // ---- every error code reachable from JS
  const gh = { scheme: 'github', secret: "It's a Secret to Everybody" };
  const ghBody = 'Hello, World!';
  const ghSig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  const std = schemes.tests.find((t) => t.scheme === 'standard' && t.result === 'valid' && t.event);
  const stdV = () => new hv.Verifier({ scheme: 'standard', secrets: std.secrets });
  const reach = {
    missing_header: () => new hv.Verifier(gh).verifySignature(ghBody, {}),
    malformed_header: () => new hv.Verifier(gh).verifySignature(ghBody, { 'x-hub-signature-256': 'sha256=zz' }),
    malformed_timestamp: () =>
      stdV().verifySignature(std.body, { ...std.headers, 'webhook-timestamp': 'abc' }, { now: std.now }),
    timestamp_too_old: () => stdV().verifySignature(std.body, std.headers, { now: std.now + 10000 }),
    timestamp_too_new: () => stdV().verifySignature(std.body, std.headers, { now: std.now - 10000 }),
    no_matching_signature: () => new hv.Verifier(gh).verifySignature(ghBody + '!', { 'X-Hub-Signature-256': ghSig }),
    invalid_secret: () => new hv.Verifier({ scheme: 'standard', secret: 'whsec_!!!' }),
    payload_too_large: () =>
      new hv.Verifier({ ...gh, maxBodyBytes: 4 }).verifySignature(ghBody, { 'X-Hub-Signature-256': ghSig }),
    invalid_json: () =>
      new hv.Verifier(gh).verify(ghBody, {
        'X-Hub-Signature-256': ghSig,
        'X-GitHub-Delivery': 'd',
        'X-GitHub-Event': 'e',
      }),
    missing_field: () => {
      const t = schemes.tests.find((x) => x.event_code === 'missing_field');
      const v = new hv.Verifier({ scheme: schemes.custom_schemes[t.scheme] || t.scheme, secrets: t.secrets });
      return v.verify(t.body_hex !== undefined ? hexBytes(t.body_hex) : t.body, t.headers, { now: t.now });
    },
    unknown_scheme: () => new hv.Verifier({ scheme: 'nope', secret: 's' }),
    invalid_scheme: () =>
      new hv.Verifier({ scheme: { name: 'x', signature_header: 'X-Sig', signed_content: '{nope}' }, secret: 's' }),
    invalid_argument: () => new hv.Verifier({ ...gh, oops: 1 }),
  };
  // Not reachable through this (verification-only) surface: store_unavailable (dedup store,
  // later phase), internal_error (a caught bug; mapped from any backend failure in lib/api.js) and
  // overloaded (a full handler queue: the Python receiver's async mode).
  // handler_failed and not_found are receiver answers, never thrown: receiver-decisions.test.mjs
  // checks both (the shared decision table). inbox_unavailable: the inbox is not in the JS API yet.
  // handshake_rejected and method_not_allowed are receiver answers too: handshakes.test.mjs.
  const unreachable = [
    'store_unavailable',
    'internal_error',
    'overloaded',
    'handler_failed',
    'not_found',
    'inbox_unavailable',
    'handshake_rejected',
    'method_not_allowed',
  ];
  add('every error code reachable through the verification API (or listed as not)', () => {
    for (const code of hv.ERROR_CODES) ok(code in reach || unreachable.includes(code), `no case for ${code}`);
  });
  for (const [code, f] of Object.entries(reach)) {
    add(`error code ${code} is raised with message and details`, () => {
      const e = throwsCode(hv, f, code);
      ok(e.name === 'HookverifyError' && e instanceof Error, 'class');
    });
  }
  add('missing_field reports the field in details', () => {
    const e = throwsCode(hv, reach.missing_field, 'missing_field');
    ok(typeof e.details.field === 'string', JSON.stringify(e.details));
  });
  add('timestamp_too_old details carry skew and tolerance', () => {
    const e = throwsCode(hv, reach.timestamp_too_old, 'timestamp_too_old');
    eq(e.details.toleranceSeconds, 300);
    ok(typeof e.details.skewSeconds === 'number');
  });

  // ---- argument handling
  add('a parsed object as body is invalid_argument with the raw-body hint', () => {
    const e = throwsCode(
      hv,
      () => new hv.Verifier(gh).verify({ hello: 'world' }, { 'X-Hub-Signature-256': ghSig }),
      'invalid_argument',
    );
    ok(e.message.includes('pass the raw request body'), e.message);
    ok(e.message.includes('express.raw'), e.message);
  });
  add('wrong argument types are invalid_argument, never a crash', () => {
    const v = new hv.Verifier(gh);
    const h = { 'X-Hub-Signature-256': ghSig };
    for (const bad of [null, undefined, 42, true, Symbol('s'), () => 1]) {
      throwsCode(hv, () => v.verify(bad, h), 'invalid_argument', `body ${String(bad)}`);
    }
    for (const bad of [null, undefined, 'headers', 42])
      throwsCode(hv, () => v.verify(ghBody, bad), 'invalid_argument', `headers ${bad}`);
    throwsCode(
      hv,
      () => v.verify(ghBody, { 'X-Hub-Signature-256': { x: 1 } }),
      'invalid_argument',
      'header value object',
    );
    for (const bad of ['soon', 1.5, NaN, {}])
      throwsCode(hv, () => v.verifySignature(ghBody, h, { now: bad }), 'invalid_argument', `now ${bad}`);
    throwsCode(hv, () => v.verifySignature(ghBody, h, 5), 'invalid_argument', 'options not an object');
    for (const bad of [null, undefined, 'github', 7, []])
      throwsCode(hv, () => new hv.Verifier(bad), 'invalid_argument', `options ${bad}`);
    throwsCode(hv, () => new hv.Verifier({ scheme: 'github', secret: 7 }), 'invalid_argument', 'secret number');
    throwsCode(
      hv,
      () => new hv.Verifier({ scheme: 'github', secret: 's', toleranceSeconds: 'x' }),
      'invalid_argument',
      'tolerance string',
    );
    throwsCode(
      hv,
      () => new hv.Verifier({ scheme: 'github', secret: 's', maxBodyBytes: 10n }),
      'invalid_argument',
      'bigint',
    );
    throwsCode(
      hv,
      () => new hv.Verifier({ scheme: 'github', secret: 's', secrets: ['t'] }),
      'invalid_argument',
      'both secret and secrets',
    );
    throwsCode(hv, () => new hv.Verifier({ scheme: 42, secret: 's' }), 'invalid_argument', 'scheme number');
    throwsCode(hv, () => hv.sign(null), 'invalid_argument', 'sign null');
    throwsCode(
      hv,
      () => hv.sign({ scheme: 'standard', secret: 'whsec_aGk=', body: 'x' }),
      'invalid_argument',
      'sign without id',
    );
    throwsCode(
      hv,
      () => hv.sign({ scheme: 'github', secret: 's', body: { a: 1 } }),
      'invalid_argument',
      'sign object body',
    );
    throwsCode(hv, () => hv.hmac('md5', 'k', 'm'), 'invalid_argument', 'hmac md5');
  });
  add('body accepted as string, Uint8Array, ArrayBuffer and DataView', () => {
    const v = new hv.Verifier(gh);
    const h = { 'X-Hub-Signature-256': ghSig };
    const bytes = enc.encode(ghBody);
    for (const b of [ghBody, bytes, bytes.buffer.slice(0), new DataView(bytes.buffer.slice(0))])
      eq(v.verifySignature(b, h).keyIndex, 0);
    // A view into a larger buffer: only the viewed bytes are the body.
    const big = new Uint8Array(bytes.length + 8);
    big.set(bytes, 4);
    eq(v.verifySignature(big.subarray(4, 4 + bytes.length), h).keyIndex, 0, 'subarray');
  });

  // ---- headers: any case, Fetch Headers, Map, duplicates
  add('header names in any case', () => {
    const v = stdV();
    const upper = Object.fromEntries(Object.entries(std.headers).map(([k, val]) => [k.toUpperCase(), val]));
    eq(v.verifySignature(std.body, upper, { now: std.now }).keyIndex, std.key_index);
  });
  add('Fetch Headers input', () => {
    if (typeof Headers === 'undefined') return;
    const v = stdV();
    const h = new Headers(std.headers);
    const r = v.verifySignature(std.body, h, { now: std.now });
    eq(r.messageId, std.headers['webhook-id']);
    eq(r.timestamp, Number(std.headers['webhook-timestamp']));
    eq(v.verify(std.body, h, { now: std.now }).id, std.event.id);
  });
  add('Map input (any case)', () => {
    const v = stdV();
    const m = new Map(Object.entries(std.headers).map(([k, val]) => [k.toUpperCase(), val]));
    eq(v.verifySignature(std.body, m, { now: std.now }).keyIndex, std.key_index);
  });
  add('duplicate headers (array value, or two spellings) are malformed_header', () => {
    const v = stdV();
    const sig = std.headers['webhook-signature'];
    throwsCode(
      hv,
      () => v.verifySignature(std.body, { ...std.headers, 'webhook-signature': [sig, sig] }, { now: std.now }),
      'malformed_header',
    );
    throwsCode(
      hv,
      () => v.verifySignature(std.body, { ...std.headers, 'Webhook-Signature': sig }, { now: std.now }),
      'malformed_header',
    );
    const m = new Map(Object.entries(std.headers));
    m.set('WEBHOOK-ID', 'again');
    throwsCode(hv, () => v.verifySignature(std.body, m, { now: std.now }), 'malformed_header', 'map duplicate');
    // A one-element array is one header.
    eq(
      v.verifySignature(std.body, { ...std.headers, 'webhook-signature': [sig] }, { now: std.now }).keyIndex,
      std.key_index,
    );
  });
  add('non-ASCII and whitespace-padded header values cross the boundary intact', () => {
    const v = stdV();
    const r = v.verifySignature(
      std.body,
      { ...std.headers, 'webhook-signature': ` ${std.headers['webhook-signature']}\t` },
      { now: std.now },
    );
    eq(r.messageId, std.headers['webhook-id']);
    const e = throwsCode(
      hv,
      () => v.verifySignature(std.body, { ...std.headers, 'webhook-signature': 'v1,é😀' }, { now: std.now }),
      'malformed_header',
    );
    ok(e.message.includes('é😀') || e.message.includes('\\u{'), e.message);
    throwsCode(
      hv,
      () => v.verifySignature(std.body, { ...std.headers, 'webhook-signature': 'v1,a\nb' }, { now: std.now }),
      'malformed_header',
      'newline',
    );
  });

  // ---- event and verifySignature shapes
  add('event: lazily parsed data, cached; keyIndex with rotation', () => {
    const rot = schemes.tests.find((t) => t.result === 'valid' && t.event && t.key_index > 0);
    ok(rot, 'a rotation vector');
    const v = new hv.Verifier({ scheme: schemes.custom_schemes[rot.scheme] || rot.scheme, secrets: rot.secrets });
    const body = rot.body_hex !== undefined ? hexBytes(rot.body_hex) : rot.body;
    const e = v.verify(body, rot.headers, { now: rot.now });
    eq(e.keyIndex, rot.key_index);
    const d1 = e.data;
    ok(d1 === e.data, 'cached');
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
    const parsed = JSON.parse(text);
    eq(JSON.stringify(d1), JSON.stringify(parsed.data === undefined ? parsed : parsed.data), 'data');
    eq(Object.keys(JSON.parse(JSON.stringify(e))).sort(), ['data', 'id', 'keyIndex', 'timestamp', 'type']);
  });
  add(
    'event: data is read from the body lazily and equals the payload text (non-ASCII, string/bytes/offset views, absent)',
    async () => {
      const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      const v = new hv.Verifier({ scheme: 'standard', secret });
      const payload = '{ "x" : "é😀\\u00e9" , "n":[1, 2.50],"s":"\\ud83d\\ude00" }';
      const cases = [
        ['{"type":"ü.créé😀","data":' + payload + ',"z":"ñ"}', payload],
        ['{"type":"user.created","data":' + payload + '}', payload],
        ['{"data":"é","type":"t"}', '"é"'],
        ['{"type":"t"}', 'null'],
        ['{"type":"t","data":null}', 'null'],
      ];
      for (const [text, expected] of cases) {
        const headers = hv.sign({ scheme: 'standard', secret, body: text, id: 'msg_lazy', timestamp: 1700000000 });
        const bytes = enc.encode(text);
        const padded = new Uint8Array(bytes.length + 7);
        padded.set(bytes, 5);
        const bodies = {
          string: text,
          bytes,
          'offset view': padded.subarray(5, 5 + bytes.length),
          ArrayBuffer: bytes.slice().buffer,
        };
        for (const [kind, body] of Object.entries(bodies)) {
          const e = v.verify(body, headers, { now: 1700000000 });
          eq(e.dataJson, expected, `${kind}: ${text}`);
          eq([e.id, e.type], ['msg_lazy', JSON.parse(text).type], `${kind}: id and type cross intact`);
          eq(e.data, JSON.parse(expected), `${kind} data: ${text}`);
          ok(e.dataJson === e.dataJson, 'cached');
          eq(JSON.parse(JSON.stringify(e)).data, JSON.parse(expected), `${kind} toJSON`);
        }
        // The same through a Receiver (the delivery's event).
        const seen = [];
        const r = new hv.Receiver({
          scheme: 'standard',
          secret,
          mode: 'sync',
          handlers: { '*': (ev) => seen.push(ev.dataJson) },
        });
        eq((await r.handle({ headers, body: text, now: 1700000000 })).decision.status, 200, text);
        eq(
          (await r.handle({ headers: { ...headers, 'webhook-id': 'msg_lazy2' }, body: bytes, now: 1700000000 }))
            .decision.status,
          401,
          'id is signed',
        );
        eq(seen, [expected], `receiver: ${text}`);
      }
    },
  );
  add('headers as a flat name/value list (Node rawHeaders) and as [name, value] pairs', () => {
    const v = stdV();
    const flat = Object.entries(std.headers).flatMap(([k, val]) => [k.toUpperCase(), val]);
    eq(
      v.verifySignature(std.body, ['Host', 'x', ...flat], { now: std.now }),
      v.verifySignature(std.body, std.headers, { now: std.now }),
    );
    eq(
      v.verify(std.body, Object.entries(std.headers), { now: std.now }).id,
      v.verify(std.body, std.headers, { now: std.now }).id,
    );
    // A header sent twice is the same verdict whichever way it is given.
    const sigName = Object.keys(std.headers).find((k) => /signature/i.test(k));
    const sig = std.headers[sigName];
    let want;
    try {
      v.verifySignature(std.body, { ...std.headers, [sigName]: [sig, sig] }, { now: std.now });
    } catch (e) {
      want = e.code;
    }
    ok(want, 'a duplicated signature header is refused');
    throwsCode(
      hv,
      () => v.verifySignature(std.body, [...flat, sigName, sig], { now: std.now }),
      want,
      'flat duplicate',
    );
    throwsCode(hv, () => v.verifySignature(std.body, ['a'], { now: std.now }), 'invalid_argument', 'odd flat list');
    throwsCode(hv, () => v.verifySignature(std.body, [['a']], { now: std.now }), 'invalid_argument', 'bad pair');
  });
  add('verifySignature for a Slack slash command (form body)', () => {
    const ex = providers.examples.find((x) => x.id === 'slack-docs-v0');
    const r = new hv.Verifier({ scheme: 'slack', secret: ex.secret_utf8 }).verifySignature(ex.body_utf8, ex.headers, {
      now: ex.verify_now_unix,
    });
    eq(r, { keyIndex: 0, timestamp: Number(ex.headers['X-Slack-Request-Timestamp']), messageId: null });
  });
  add('now as a Date', () => {
    const r = stdV().verifySignature(std.body, std.headers, { now: new Date(std.now * 1000) });
    eq(r.keyIndex, std.key_index);
  });
  add('dangerouslySkipTimestampCheck', () => {
    const v = new hv.Verifier({ scheme: 'standard', secrets: std.secrets, dangerouslySkipTimestampCheck: true });
    eq(v.verifySignature(std.body, std.headers, { now: std.now + 1e6 }).keyIndex, std.key_index);
  });
  add('custom scheme spec object with header aliases and svix headers', () => {
    const svix = Object.fromEntries(
      Object.entries(std.headers).map(([k, val]) => [k.replace('webhook-', 'svix-'), val]),
    );
    const r = stdV().verifySignature(std.body, svix, { now: std.now });
    eq(r.messageId, std.headers['webhook-id'], 'svix-id as the message id');
  });

  // ---- sign() against the vectors (expected values from the generator, not from sign itself)
  add('sign() reproduces the independent vectors', () => {
    for (const t of schemes.tests.filter(
      (x) => x.result === 'valid' && x.key_index === 0 && x.flags.includes('valid'),
    )) {
      const scheme = schemes.custom_schemes[t.scheme] || t.scheme;
      const body = t.body_hex !== undefined ? hexBytes(t.body_hex) : t.body;
      const lower = Object.fromEntries(Object.entries(t.headers).map(([k, val]) => [k.toLowerCase(), val]));
      const ts =
        lower['webhook-timestamp'] ||
        lower['x-slack-request-timestamp'] ||
        (lower['stripe-signature'] || '').match(/t=(\d+)/)?.[1];
      const id = lower['webhook-id'] || lower['svix-id'] || lower['x-github-delivery'];
      const headers = hv.sign({ scheme, secret: t.secrets[0], body, id, timestamp: ts ? Number(ts) : t.now });
      // Every signature header the vector carries is reproduced (the signer may add envelope headers).
      for (const [k, val] of Object.entries(headers)) {
        const want = lower[k.toLowerCase()];
        if (want !== undefined && /signature/i.test(k)) eq(val, want, `tc ${t.tcId} ${k}`);
      }
      eq(
        new hv.Verifier({ scheme, secrets: t.secrets }).verifySignature(body, headers, { now: t.now }).keyIndex,
        0,
        `tc ${t.tcId} round trip`,
      );
    }
  });

  // ---- the receiving pipeline (Receiver over the core's), fed the same independent vectors
  const vector = (id) => schemes.tests.find((t) => t.tcId === id);
  const pipelineVectors = [
    [vector(1), 'standard'],
    [vector(20), 'stripe'],
    [vector(37), 'github'],
  ];
  const receiverFor = (runs, extra = {}) =>
    new hv.Receiver({
      mode: 'sync',
      providers: pipelineVectors.map(([t, scheme]) => ({ name: scheme, scheme, secrets: t.secrets })),
      handlers: { '*': (e, ctx) => runs.push(`${ctx.provider}:${e.type}:${e.id}`) },
      ...extra,
    });
  const deliver = (r, t, body) =>
    r.handle({
      path: '/hooks',
      headers: t.headers,
      body: body ?? (t.body_hex !== undefined ? hexBytes(t.body_hex) : t.body),
      now: t.now,
    });

  add('Receiver: one endpoint, three providers; each runs once, a duplicate is 200 without running', async () => {
    const runs = [];
    const r = receiverFor(runs);
    for (const [t, scheme] of pipelineVectors) {
      const { decision } = await deliver(r, t);
      eq(decision.status, 200, `${scheme} status`);
      eq(JSON.parse(decision.body), { id: t.event.id, ok: true }, `${scheme} body`);
      eq(decision.headers['Content-Type'], 'application/json');
    }
    eq(
      runs,
      pipelineVectors.map(([t, scheme]) => `${scheme}:${t.event.type}:${t.event.id}`),
    );
    const again = await deliver(r, vector(20));
    eq([again.decision.status, JSON.parse(again.decision.body).duplicate], [200, true]);
    eq(runs.length, 3);
  });
  add('Receiver: tampered 401, unsigned 401 missing_header, stale 401', async () => {
    const r = receiverFor([]);
    const t = vector(37);
    const tampered = await deliver(r, t, enc.encode(t.body + ' '));
    eq([tampered.decision.status, JSON.parse(tampered.decision.body).error.code], [401, 'no_matching_signature']);
    const unsigned = await r.handle({ path: '/hooks', headers: {}, body: t.body, now: t.now });
    eq([unsigned.decision.status, JSON.parse(unsigned.decision.body).error.code], [401, 'missing_header']);
    const stale = await r.handle({
      path: '/hooks',
      headers: vector(20).headers,
      body: vector(20).body,
      now: vector(20).now + 3600,
    });
    eq([stale.decision.status, JSON.parse(stale.decision.body).error.code], [401, 'timestamp_too_old']);
  });
  add(
    'Receiver: a throwing handler is 500, released, and the retry runs it; in-progress is 409 + Retry-After',
    async () => {
      let calls = 0;
      const errors = [];
      const r = receiverFor([], {
        handlers: {
          'user.*': async () => {
            if (++calls === 1) throw new Error('boom');
          },
        },
        onError: (err) => errors.push(err.message),
      });
      const t = vector(1);
      eq((await deliver(r, t)).decision.status, 500);
      eq(errors, ['boom']);
      const step = await r.begin({ path: '/hooks', headers: t.headers, body: t.body, now: t.now });
      ok(step instanceof hv.Receiver === false && step.event && step.event.id === t.event.id, 'retry claimed');
      eq(step.provider, 'standard');
      const busy = await r.begin({ path: '/hooks', headers: t.headers, body: t.body, now: t.now });
      eq(busy.status, 409);
      ok(Number(busy.headers['Retry-After']) >= 1, 'Retry-After');
      eq(await r.run(step), true);
      eq((await r.finish(step, true)).status, 200);
      eq(calls, 2);
    },
  );
  add('Receiver: async mode answers 202, then runs the handler', async () => {
    const runs = [];
    const r = receiverFor(runs, { mode: 'async' });
    const { decision, done } = await deliver(r, vector(20));
    eq([decision.status, runs.length], [202, 0]);
    await done;
    eq(runs, ['stripe:invoice.paid:evt_1']);
  });
  add('Router: exact, prefix.*, *, GitHub plain names, unhandled; header names from the core', () => {
    const log = [];
    const f = (name) => () => log.push(name);
    const router = new hv.Router()
      .on('user.created', f('exact'))
      .on('user.*', f('prefix'))
      .on('*', f('any'))
      .on('issues', f('issues'));
    router.match('user.created').forEach((g) => g());
    router.match('issues.opened').forEach((g) => g());
    // '*' is a fallback: it runs only where no specific pattern matched.
    eq(log, ['exact', 'prefix', 'issues']);
    router.match('push').forEach((g) => g());
    eq(log, ['exact', 'prefix', 'issues', 'any']);
    eq(new hv.Router().on('a', f('a')).unhandled(f('u')).match('b').length, 1);
    const r = new hv.Receiver({ scheme: 'github', secret: 's', match: { header: 'X-Source', equals: 'gh' } });
    eq(r.headerNames, ['x-hub-signature-256', 'x-github-delivery', 'x-github-event', 'x-source', 'hookverify-sync']);
    throwsCode(
      hv,
      () => new hv.Receiver({ scheme: 'github', secret: 's', handler: () => {} }),
      'invalid_argument',
      'misspelt option',
    );
    throwsCode(hv, () => new hv.Receiver({ scheme: 'github', secret: 's', mode: 'later' }), 'invalid_argument');
    throwsCode(hv, () => new hv.Receiver({ providers: [] }), 'invalid_argument');
    throwsCode(hv, () => new hv.Receiver({ scheme: 'nope', secret: 's' }), 'unknown_scheme');
  });

  // ---- diagnose: every case of tests/vectors/diagnose.json (stdlib-only generator), and the
  // report's bytes equal `hookverify diagnose --json` (the runner passes the CLI's lines as cliReports)
  eq(diagnoseDoc.numberOfTests, diagnoseDoc.tests.length, 'diagnose.json count');
  const diagnoseCase = (t) => ({
    headers: t.headers,
    body: t.body_hex !== undefined ? hexBytes(t.body_hex) : t.body,
    secrets: t.secrets,
    scheme: t.scheme ?? undefined, // a preset name, a spec object, or absent (detect)
    now: t.now,
    ...(t.url !== undefined ? { url: t.url } : {}),
    ...(t.method !== undefined ? { method: t.method } : {}),
    ...(t.public_keys !== undefined ? { publicKeys: t.public_keys } : {}),
  });
  const seenHints = new Set();
  for (const t of diagnoseDoc.tests) {
    add(`diagnose.json #${t.tcId}: ${t.comment}`, () => {
      const report = hv.diagnose(diagnoseCase(t));
      const text = JSON.stringify(report);
      eq(
        Object.keys(report),
        ['valid', 'scheme', 'detected', 'keyIndex', 'checks', 'hints', 'event'],
        'report keys in order',
      );
      eq(report.valid, t.result === 'valid', `valid: ${text}`);
      eq(report.scheme, t.scheme_used, 'scheme');
      eq(report.detected, t.detected, 'detected');
      eq(report.keyIndex, t.key_index, 'keyIndex');
      eq(
        report.hints.map((h) => h.code),
        t.hints,
        `hints: ${text}`,
      );
      eq(
        report.checks.filter((c) => !c.ok).map((c) => c.name),
        t.failed_checks,
        `failed checks: ${text}`,
      );
      eq(report.event, t.event, 'event');
      for (const h of report.hints) ok(hv.HINT_CODES.includes(h.code) && h.message.endsWith('.'), h.code);
      if (cliReports) {
        ok(typeof cliReports[t.tcId] === 'string', `no CLI report for tcId ${t.tcId}`);
        // The CLI prints snake_case keys; JS gets the same report with camelCase keys, same order.
        eq(text, JSON.stringify(camelKeys(JSON.parse(cliReports[t.tcId]))), 'the CLI prints the same report');
      }
      const plain = report.checks
        .map((c) => c.detail)
        .concat(report.hints.map((h) => h.message))
        .join('\n');
      for (const s of [...t.secrets, ...t.forbidden]) assertNoPiece([text, plain], s, `tcId ${t.tcId}`);
      eq(JSON.stringify(hv.diagnose(diagnoseCase(t))), text, 'deterministic');
      report.hints.forEach((h) => seenHints.add(h.code));
    });
  }
  add('diagnose.json covers every hint code', () => eq([...seenHints].sort(), [...hv.HINT_CODES].sort()));
  add('HINT_CODES and HINT_FIXES equal the Diagnose hints table of spec/errors.md', () => {
    const section = errorsMd.slice(errorsMd.indexOf('## Diagnose hints'));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| .* \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2].trim()]);
    ok(rows.length >= 11, 'parsed the table');
    eq(
      [...hv.HINT_CODES],
      rows.map((r) => r[0]),
      'codes, in order',
    );
    eq(hv.HINT_FIXES, Object.fromEntries(rows), 'fixes');
    ok(Object.isFrozen(hv.HINT_CODES) && Object.isFrozen(hv.HINT_FIXES), 'frozen');
  });
  add('diagnose: headers as Map, Fetch Headers, pairs or array values; secret alone; Date now', () => {
    const t = diagnoseDoc.tests.find((x) => x.tcId === 1);
    const base = diagnoseCase(t);
    const want = JSON.stringify(hv.diagnose(base));
    eq(JSON.stringify(hv.diagnose({ ...base, headers: new Map(Object.entries(t.headers)) })), want, 'Map');
    eq(JSON.stringify(hv.diagnose({ ...base, headers: Object.entries(t.headers) })), want, '[name, value] pairs');
    if (typeof Headers !== 'undefined')
      eq(JSON.stringify(hv.diagnose({ ...base, headers: new Headers(t.headers) })), want, 'Headers');
    const { secrets, ...rest } = base;
    eq(
      JSON.stringify(hv.diagnose({ ...rest, secret: secrets[0], now: new Date(t.now * 1000) })),
      want,
      'secret + Date',
    );
    const dup = hv.diagnose({
      ...base,
      headers: { ...t.headers, 'webhook-signature': [t.headers['webhook-signature'], 'v1,AAAA'] },
    });
    ok(
      !dup.valid && !dup.checks.find((c) => c.name === 'signature_header').ok,
      'a duplicated header is a failed check',
    );
    const none = hv.diagnose({ headers: {}, body: '{}', secrets: ['k7Qz-2xVr'], now: 0 });
    eq([none.valid, none.scheme, none.checks.map((c) => c.name)], [false, null, ['scheme']], 'nothing detected');
  });
  add('diagnose: bad arguments are HookverifyErrors', () => {
    const base = { headers: {}, body: '{}', secrets: ['s'] };
    throwsCode(hv, () => hv.diagnose({ ...base, scheme: 'paypal' }), 'unknown_scheme');
    throwsCode(hv, () => hv.diagnose({ ...base, scheme: { name: 'x' } }), 'invalid_scheme');
    throwsCode(hv, () => hv.diagnose({ ...base, scheme: 7 }), 'invalid_argument', 'scheme number');
    throwsCode(hv, () => hv.diagnose({ ...base, secrets: 's' }), 'invalid_argument', 'secrets string');
    throwsCode(hv, () => hv.diagnose({ ...base, secret: 's' }), 'invalid_argument', 'secret and secrets');
    throwsCode(hv, () => hv.diagnose({ ...base, header: {} }), 'invalid_argument', 'misspelt option');
    throwsCode(hv, () => hv.diagnose({ ...base, headers: null }), 'invalid_argument', 'headers null');
    throwsCode(hv, () => hv.diagnose({ ...base, headers: { a: { b: 1 } } }), 'invalid_argument', 'header object');
    throwsCode(hv, () => hv.diagnose({ ...base, headers: [['a']] }), 'invalid_argument', 'not a pair');
    throwsCode(hv, () => hv.diagnose({ ...base, now: 1.5 }), 'invalid_argument', 'now');
    throwsCode(hv, () => hv.diagnose(null), 'invalid_argument', 'null');
    const e = throwsCode(hv, () => hv.diagnose({ ...base, body: { a: 1 } }), 'invalid_argument', 'parsed body');
    ok(e.message.includes('pass the raw request body'), e.message);
  });

  // ---- the debugger page's request helpers (packages/npm/debugger/request.mjs), and its round trip:
  // sign() -> raw HTTP text -> parsed back -> diagnose is valid
  const page = await import('../../packages/npm/debugger/request.mjs');
  add('debugger: raw requests parse with or without a request line, CRLF, folded and odd lines', () => {
    const r = page.parseRawRequest(
      'POST /hooks?x=1 HTTP/1.1\r\nHost: a.example\r\nX-Sig:  v1,abc \r\n  def\r\n\r\n{"a":\r\n1}\n',
    );
    eq(
      [r.method, r.target, r.headers, r.body, r.problems],
      [
        'POST',
        '/hooks?x=1',
        [
          ['Host', 'a.example'],
          ['X-Sig', 'v1,abc def'],
        ],
        '{"a":\r\n1}\n',
        [],
      ],
    );
    const bare = page.parseRawRequest('webhook-id: m\nwebhook-signature: v1,x\n\n');
    eq([bare.method, bare.headers.length, bare.body], [null, 2, '']);
    ok(
      page.parseRawRequest('{"just":"a body"}').problems.some((p) => p.startsWith('no headers found')),
      'no headers is reported',
    );
    eq(page.parseHeaderLines('A: 1\nnot a header\n\nB:2').headers, [
      ['A', '1'],
      ['B', '2'],
    ]);
    eq(page.parseHeaderLines('nope').problems.length, 1);
    eq(page.headerValue([['Content-Length', '3']], 'content-length'), '3');
  });
  add('debugger: curl quoting survives single quotes and newlines', () => {
    const curl = page.toCurl({ url: 'http://h/p', headers: [['X-A', "it's"]], body: "{'a':\n1}" });
    eq(curl, "curl -X POST 'http://h/p' \\\n  -H 'X-A: it'\\''s' \\\n  --data-binary '{'\\''a'\\'':\n1}'");
  });
  add('debugger: a signed sample written as raw HTTP and parsed back diagnoses valid (every preset)', () => {
    for (const scheme of ['standard', 'stripe', 'github', 'github-sha1', 'slack', 'shopify']) {
      const secret = scheme === 'standard' ? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' : 'k7Qz-2xVr-9pLm-4tWd';
      const body = '{"id":"evt_1","type":"user.created","data":{"x":"é"}}';
      const signed = hv.sign({ scheme, secret, body, id: 'msg_1', timestamp: 1700000000 });
      const text = page.toRawRequest({
        url: 'http://localhost:3000/webhooks',
        headers: [['Content-Type', 'application/json'], ...Object.entries(signed)],
        body,
      });
      const r = page.parseRawRequest(text);
      eq(r.body, body, `${scheme} body`);
      const report = hv.diagnose({ headers: r.headers, body: r.body, secrets: [secret], now: 1700000000 });
      eq([report.valid, report.scheme, report.detected], [true, scheme, true], `${scheme}: ${JSON.stringify(report)}`);
    }
  });

  // ---- the data-only provider presets (presets.mjs over tests/vectors/presets.json)
  presetCases(hv, add, await json('tests/vectors/presets.json'), { ok, eq, throwsCode });

  // ---- malformed and hostile input, secrets, panic safety (malformed.mjs)
  malformedCases(hv, add, { ok, eq, throwsCode });

  return cases;
}

/** Fails when any 6-character piece of `secret` appears in one of `texts`. */
function assertNoPiece(texts, secret, what) {
  const chars = Array.from(secret);
  for (let i = 0; i + 6 <= chars.length; i++) {
    const piece = chars.slice(i, i + 6).join('');
    for (const text of texts)
      ok(!text.includes(piece), `${what}: the report contains ${JSON.stringify(piece)}: ${text}`);
  }
}
