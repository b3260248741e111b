// The data-only provider presets (tests/vectors/presets.json, generated with Python's hmac by
// tests/vectors/gen_presets.py): every vector through Verifier.verifySignature / verify, in every
// backend the shared suite runs in (Node native, Node wasm, headless Chromium). No Node APIs here.
// A new preset needs only data: its JSON in core/presets and its vectors in presets.json.

/** Adds one case per vector, and one that SCHEMES names every preset in the file. */
export function presetCases(hv, add, doc, { ok, eq, throwsCode }) {
  add('presets.json: SCHEMES lists every preset', () => {
    for (const name of Object.keys(doc.presets)) ok(hv.SCHEMES.includes(name), `SCHEMES lacks ${name}`);
  });
  // Aliases (svix … brex for standard; whatsapp, facebook, instagram for meta): the preset's vectors
  // verify alike under each alias name.
  const aliases = {
    svix: 'standard',
    clerk: 'standard',
    resend: 'standard',
    openai: 'standard',
    replicate: 'standard',
    brex: 'standard',
    whatsapp: 'meta',
    facebook: 'meta',
    instagram: 'meta',
  };
  for (const [alias, preset] of Object.entries(aliases)) {
    add(`presets.json: alias ${alias} verifies as ${preset}`, () => {
      const tests = doc.tests.filter((t) => t.preset === preset && t.url === undefined);
      ok(tests.length >= 2, `${preset} vectors`);
      for (const t of tests) {
        const options = { scheme: alias };
        if (t.secret !== null) options.secret = t.secret;
        if (t.public_keys) options.publicKeys = t.public_keys;
        const v = new hv.Verifier(options);
        if (t.expected.valid)
          eq(
            v.verifySignature(t.body, t.headers, { now: t.now }).keyIndex,
            t.expected.key_index ?? 0,
            `${t.id} keyIndex`,
          );
        else
          throwsCode(hv, () => v.verifySignature(t.body, t.headers, { now: t.now }), t.expected.code, `${t.id} code`);
      }
    });
  }
  for (const t of doc.tests) {
    add(`presets.json ${t.id}: ${t.comment}`, () => {
      const options = { scheme: t.preset };
      if (t.secret !== null) options.secret = t.secret;
      if (t.public_keys) options.publicKeys = t.public_keys;
      const v = new hv.Verifier(options);
      const want = t.expected;
      // Presets that sign the request line: the URL the sender called and the method, per call.
      const opts = t.url === undefined ? { now: t.now } : { now: t.now, url: t.url, method: t.method };
      if (want.valid) {
        eq(v.verifySignature(t.body, t.headers, opts).keyIndex, want.key_index ?? 0, 'keyIndex');
        if (want.event) {
          const e = v.verify(t.body, t.headers, opts);
          eq({ id: e.id, type: e.type, timestamp: e.timestamp }, want.event, 'event');
        } else {
          throwsCode(hv, () => v.verify(t.body, t.headers, opts), want.event_code, 'event_code');
        }
      } else {
        throwsCode(hv, () => v.verifySignature(t.body, t.headers, opts), want.code, 'code');
        throwsCode(hv, () => v.verify(t.body, t.headers, opts), want.code, 'verify code');
      }
    });
  }
}
