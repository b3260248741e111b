//! The bounded hint search: recompute the MAC over candidate variants and keep
//! only what matches a signature on the wire.
//!
//! Stages run in a fixed order and the first match ends the search, so a
//! report is the same in every build and binding. Each MAC counts against
//! [`MAX_HMACS`](super::MAX_HMACS); a candidate whose algorithm matches no
//! decoded signature costs nothing.

use super::read::{self, encoding_name, Decoded, Reading};
use super::variants::body_variants;
use super::{describe_skew, Check, Hint, HintCode, MAX_VARIANT_BODY_BYTES, MAX_VARIANT_BYTES};
use crate::headers::{Headers, Lookup};
use crate::scheme::{Encoding, Scheme, Segment};
use crate::secret::{Algorithm, KeyedMac, Secret, SecretEncoding, WHSEC_PREFIX};
use crate::verify::{mac_signed_content, MAX_TIMESTAMP};

/// Counts MACs against the budget.
pub(crate) struct Engine {
    macs: usize,
    limit: usize,
    exhausted: bool,
}

impl Engine {
    pub(crate) fn new(limit: usize) -> Engine {
        Engine { macs: 0, limit, exhausted: false }
    }

    /// MACs the content and returns the encoding of the first decoded signature it equals.
    #[allow(clippy::too_many_arguments)]
    fn try_mac(
        &mut self,
        tags: &[Decoded],
        key: &[u8],
        algorithm: Algorithm,
        segments: &[Segment],
        id: Option<&str>,
        ts: Option<&str>,
        body: &[u8],
    ) -> Option<Encoding> {
        if !tags.iter().any(|t| t.algorithm == algorithm) {
            return None;
        }
        if self.macs >= self.limit {
            self.exhausted = true;
            return None;
        }
        self.macs += 1;
        let content = crate::verify::Content { id, timestamp: ts, token: None, body, request: None };
        let tag = mac_signed_content(KeyedMac::new(algorithm, key), segments, &content);
        let mut found = None;
        for t in tags.iter().filter(|t| t.algorithm == algorithm) {
            if constant_time_eq::constant_time_eq(tag.as_slice(), &t.bytes) && found.is_none() {
                found = Some(t.encoding);
            }
        }
        found
    }
}

/// Everything the stages read.
pub(crate) struct Context<'a, H: ?Sized> {
    pub scheme: &'a Scheme,
    pub headers: &'a H,
    pub body: &'a [u8],
    pub secrets: &'a [&'a str],
    pub keys: &'a [Option<Secret>],
    pub reading: &'a Reading<'a>,
    pub now: i64,
    pub skew: Option<i128>,
    pub tolerance: Option<u64>,
}

impl<H: Headers + ?Sized> Context<'_, H> {
    /// Whether the scheme's signed content can be built (its id and timestamp are present).
    fn content_ready(&self) -> bool {
        (!self.scheme.signs_id() || self.reading.id.is_some()) && (!self.scheme.has_timestamp() || self.reading.ts_text.is_some())
    }

    /// MAC of the scheme's content with `key`, `algorithm` and `body`, against the scheme's signatures.
    fn try_own(&self, engine: &mut Engine, key: &[u8], algorithm: Algorithm, body: &[u8]) -> Option<Encoding> {
        if !self.content_ready() {
            return None;
        }
        let r = self.reading;
        engine.try_mac(&r.decoded, key, algorithm, self.scheme.segments(), r.id, r.ts_text, body)
    }

    fn algorithm(&self) -> Algorithm {
        self.scheme.spec().algorithm
    }
}

/// The verification itself: the first secret whose MAC equals a signature, and in which encoding.
pub(crate) fn primary<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>) -> Option<(usize, Encoding)> {
    cx.keys.iter().enumerate().find_map(|(i, key)| {
        let key = key.as_ref()?;
        cx.try_own(engine, key.expose_bytes(), cx.algorithm(), cx.body).map(|enc| (i, enc))
    })
}

/// The `signature` check.
pub(crate) fn signature_check<H: Headers + ?Sized>(cx: &Context<'_, H>, primary: Option<(usize, Encoding)>) -> Check {
    let spec = cx.scheme.spec();
    let usable = cx.keys.iter().filter(|k| k.is_some()).count();
    match primary {
        Some((i, enc)) if enc == spec.encoding => Check::pass("signature", format!("secret {i} matched")),
        Some((i, enc)) => Check::fail(
            "signature",
            format!("secret {i} matches only when the signature is read as {}, not {}", encoding_name(enc), encoding_name(spec.encoding)),
        ),
        None if !cx.reading.present => Check::fail("signature", "not compared: no signature header".into()),
        None if !cx.content_ready() => Check::fail("signature", "not compared: the signed id or timestamp is missing".into()),
        None if cx.reading.primary == 0 => Check::fail("signature", "not compared: no signature is well-formed".into()),
        None if usable == 0 => Check::fail("signature", "not compared: no usable secret".into()),
        None => Check::fail("signature", format!("none of the {usable} usable secret(s) matched the {} signature(s)", cx.reading.primary)),
    }
}

/// The search result: hints and the `hint_search` check.
pub(crate) struct Outcome {
    pub hints: Vec<Hint>,
    pub check: Check,
}

/// A match, and whether it used the scheme's own id and timestamp (so window hints apply).
struct Found {
    hints: Vec<Hint>,
    own_timestamp: bool,
}

impl Found {
    fn own(hints: Vec<Hint>) -> Option<Found> {
        Some(Found { hints, own_timestamp: true })
    }
}

fn hint(code: HintCode, message: String) -> Hint {
    Hint { code, message }
}

fn encoding_hint(scheme: &Scheme, found: Encoding) -> Option<Hint> {
    let want = scheme.spec().encoding;
    (found != want).then(|| {
        hint(
            HintCode::WrongEncoding,
            format!(
                "The signature matches when read as {} rather than {}: set the scheme's `encoding` to \"{}\" (or have the sender write {}).",
                encoding_name(found),
                encoding_name(want),
                encoding_name(found),
                encoding_name(want)
            ),
        )
    })
}

/// Secrets that look like something else, by prefix (no MAC needed).
const WRONG_KEYS: &[(&str, &str)] = &[
    ("sk_", "a Stripe secret API key"),
    ("rk_", "a Stripe restricted API key"),
    ("pk_", "a Stripe publishable API key"),
    ("xoxb-", "a Slack bot token"),
    ("xoxp-", "a Slack user token"),
    ("xapp-", "a Slack app-level token"),
    ("ghp_", "a GitHub personal access token"),
    ("github_pat_", "a GitHub fine-grained access token"),
    ("gho_", "a GitHub OAuth token"),
    ("ghs_", "a GitHub App installation token"),
];

fn wrong_keys(secrets: &[&str]) -> Vec<Hint> {
    let mut out = Vec::new();
    for (i, s) in secrets.iter().enumerate() {
        if let Some((_, kind)) = WRONG_KEYS.iter().find(|(p, _)| s.trim_start().starts_with(p)) {
            out.push(hint(
                HintCode::SecretWrongKey,
                format!("Secret {i} looks like {kind}, not a webhook signing secret: copy the signing secret from the endpoint's webhook settings."),
            ));
        }
    }
    out
}

/// Runs the stages after a failed verification.
pub(crate) fn hints<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>, primary: Option<(usize, Encoding)>) -> Outcome {
    let mut hints = wrong_keys(cx.secrets);
    let mut body_skipped = false;
    let mut oversized = 0;
    let found = match primary {
        Some((_, enc)) => Found::own(encoding_hint(cx.scheme, enc).into_iter().collect()),
        None => stage_algorithm(engine, cx)
            .or_else(|| stage_secret_whitespace(engine, cx))
            .or_else(|| stage_secret_encoding(engine, cx))
            .or_else(|| stage_timestamp_truncated(engine, cx))
            .or_else(|| stage_other_scheme(engine, cx))
            .or_else(|| stage_body(engine, cx, &mut body_skipped, &mut oversized)),
    };
    let matched = found.is_some();
    if let Some(found) = found {
        let own_ts = found.own_timestamp;
        hints.extend(found.hints);
        if own_ts {
            hints.extend(timestamp_hints(cx, &hints));
        }
    }
    let mut unique: Vec<Hint> = Vec::new();
    for h in hints {
        if !unique.contains(&h) {
            unique.push(h);
        }
    }
    // The signature matched as sent: what failed is another check (size, secrets, window).
    let signature_ok = matches!(primary, Some((_, enc)) if enc == cx.scheme.spec().encoding);
    let mut detail = match (signature_ok, matched) {
        (true, _) => format!(
            "nothing to search: the signature matches as sent ({} HMAC(s) computed); the failed checks say why the delivery is refused",
            engine.macs
        ),
        (false, true) => format!("a candidate matched ({} HMAC(s) computed)", engine.macs),
        (false, false) => format!("no candidate matched ({} HMAC(s) computed)", engine.macs),
    };
    if body_skipped {
        detail.push_str(&format!(
            "; body variants skipped: the body is {} bytes, over the {MAX_VARIANT_BODY_BYTES}-byte limit for variants",
            cx.body.len()
        ));
    }
    if oversized > 0 {
        detail.push_str(&format!("; {oversized} JSON re-serialization(s) skipped: over the {MAX_VARIANT_BYTES}-byte limit for a variant"));
    }
    if engine.exhausted {
        detail.push_str(&format!("; stopped at the limit of {} HMACs", engine.limit));
    }
    let check = if body_skipped || engine.exhausted || (oversized > 0 && !matched) {
        Check::fail("hint_search", detail)
    } else {
        Check::pass("hint_search", detail)
    };
    Outcome { hints: unique, check }
}

fn looks_like_ms(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit()) && (13..=16).contains(&text.len())
}

/// Timestamp hints once a MAC over the scheme's own timestamp matched.
fn timestamp_hints<H: Headers + ?Sized>(cx: &Context<'_, H>, so_far: &[Hint]) -> Vec<Hint> {
    let r = cx.reading;
    let mut out = Vec::new();
    if so_far.iter().any(|h| h.code == HintCode::TimestampUnit) {
        return out;
    }
    if let (None, Some(text)) = (r.ts, r.ts_text) {
        if looks_like_ms(text) {
            out.push(hint(
                HintCode::TimestampUnit,
                format!(
                    "The signature is valid over a {}-digit timestamp in milliseconds: the sender must send and sign unix seconds.",
                    text.len()
                ),
            ));
        }
        return out;
    }
    let (Some(skew), Some(tol)) = (cx.skew, cx.tolerance) else { return out };
    if skew.abs() <= i128::from(tol) {
        return out;
    }
    if cx.now > MAX_TIMESTAMP as i64 {
        out.push(hint(
            HintCode::TimestampUnit,
            "The signature is valid but `now` looks like milliseconds: pass the current time in unix seconds.".into(),
        ));
    } else {
        out.push(hint(
            HintCode::ClockSkew,
            format!(
                "The signature is valid but the timestamp was {}, outside the ±{tol} s window: synchronize the sender's and this host's clocks (NTP), or check that this is not a replayed delivery.",
                describe_skew(skew)
            ),
        ));
    }
    out
}

fn stage_algorithm<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>) -> Option<Found> {
    let want = cx.algorithm();
    for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
        if alg == want {
            continue;
        }
        for key in cx.keys.iter().flatten() {
            if let Some(enc) = cx.try_own(engine, key.expose_bytes(), alg, cx.body) {
                let mut hints = vec![hint(
                    HintCode::WrongAlgorithm,
                    format!(
                        "The signature is an HMAC-{} rather than HMAC-{}: set the scheme's `algorithm` to \"{}\" (or use the preset that signs with it).",
                        alg.as_str().to_uppercase(),
                        want.as_str().to_uppercase(),
                        alg.as_str()
                    ),
                )];
                hints.extend(encoding_hint(cx.scheme, enc));
                return Found::own(hints);
            }
        }
    }
    None
}

fn stage_secret_whitespace<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>) -> Option<Found> {
    let encoding = cx.scheme.spec().secret_encoding;
    for (i, s) in cx.secrets.iter().enumerate() {
        let trimmed = s.trim();
        if trimmed == *s || trimmed.is_empty() {
            continue;
        }
        let Ok(key) = Secret::parse(trimmed, encoding) else { continue };
        if let Some(enc) = cx.try_own(engine, key.expose_bytes(), cx.algorithm(), cx.body) {
            let mut hints = vec![hint(
                HintCode::SecretWhitespace,
                format!("Secret {i} matches once the whitespace around it is removed: trim it where it is loaded (often a trailing newline from a file or environment variable)."),
            )];
            hints.extend(encoding_hint(cx.scheme, enc));
            return Found::own(hints);
        }
    }
    None
}

/// Other ways a sender may turn the secret string into key bytes, with what each means.
fn secret_readings(secret: &str, encoding: SecretEncoding) -> Vec<(Secret, &'static str)> {
    let mut out = Vec::new();
    let prefixed = secret.strip_prefix(WHSEC_PREFIX);
    match encoding {
        SecretEncoding::Utf8 => {
            if let Some(rest) = prefixed {
                if let Ok(k) = Secret::from_whsec(secret) {
                    out.push((k, "matches when the part after its `whsec` prefix is base64-decoded into the key, as Standard Webhooks senders do: set the scheme's `secret_encoding` to \"whsec\" (or use the standard scheme)"));
                }
                if let Ok(k) = Secret::from_utf8(rest) {
                    out.push((k, "matches without its `whsec` prefix: the sender uses only the text after the prefix as the key, so drop the prefix from the configured secret"));
                }
            } else if let Ok(k) = Secret::from_whsec(secret) {
                out.push((k, "matches when base64-decoded into the key: set the scheme's `secret_encoding` to \"whsec\""));
            }
        }
        SecretEncoding::Hex => {
            if let Ok(k) = Secret::from_utf8(secret) {
                out.push((
                    k,
                    "matches when its text is the key as-is (UTF-8), not hex-decoded: set the scheme's `secret_encoding` to \"utf8\"",
                ));
            }
        }
        SecretEncoding::Whsec => {
            if let Ok(k) = Secret::from_utf8(secret) {
                out.push((k, "matches when its text is the key as-is (UTF-8, prefix included), as Stripe does: set the scheme's `secret_encoding` to \"utf8\""));
            }
            if let Some(rest) = prefixed {
                if let Ok(k) = Secret::from_utf8(rest) {
                    out.push((k, "matches when the text after its `whsec` prefix is the key without base64-decoding: set the scheme's `secret_encoding` to \"utf8\" and drop the prefix"));
                }
            }
        }
    }
    out
}

fn stage_secret_encoding<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>) -> Option<Found> {
    let encoding = cx.scheme.spec().secret_encoding;
    for (i, s) in cx.secrets.iter().enumerate() {
        for (key, what) in secret_readings(s, encoding) {
            if cx.keys[i].as_ref() == Some(&key) {
                continue;
            }
            if let Some(enc) = cx.try_own(engine, key.expose_bytes(), cx.algorithm(), cx.body) {
                let mut hints = vec![hint(HintCode::SecretEncoding, format!("Secret {i} {what}."))];
                hints.extend(encoding_hint(cx.scheme, enc));
                return Found::own(hints);
            }
        }
    }
    None
}

/// A millisecond timestamp in the header whose seconds were signed.
fn stage_timestamp_truncated<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>) -> Option<Found> {
    let r = cx.reading;
    let text = r.ts_text.filter(|t| r.ts.is_none() && looks_like_ms(t))?;
    let seconds = &text[..text.len() - 3];
    if cx.scheme.signs_id() && r.id.is_none() {
        return None;
    }
    for key in cx.keys.iter().flatten() {
        let enc = engine.try_mac(&r.decoded, key.expose_bytes(), cx.algorithm(), cx.scheme.segments(), r.id, Some(seconds), cx.body);
        if let Some(enc) = enc {
            let mut hints = vec![hint(
                HintCode::TimestampUnit,
                "The signature is valid over the timestamp in seconds, but the header carries milliseconds: the sender must send the same unix seconds it signs.".into(),
            )];
            hints.extend(encoding_hint(cx.scheme, enc));
            return Some(Found { hints, own_timestamp: false });
        }
    }
    None
}

/// Another preset's signature on the request, or another preset's signed content on ours.
fn stage_other_scheme<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>) -> Option<Found> {
    let ours = cx.scheme;
    let our_headers: Vec<&str> = ours.header_sets().iter().map(|s| s.signature.as_str()).collect();
    for other in Scheme::presets() {
        if other.name() == ours.name() {
            continue;
        }
        let sets = other.header_sets();
        if sets.iter().any(|s| our_headers.iter().any(|h| h.eq_ignore_ascii_case(&s.signature))) {
            continue;
        }
        let Some(present) = sets.iter().find(|s| cx.headers.lookup(&s.signature) != Lookup::Missing) else { continue };
        let r = read::read(&other, cx.headers);
        if (other.signs_id() && r.id.is_none()) || (other.has_timestamp() && r.ts_text.is_none()) {
            continue;
        }
        for s in cx.secrets {
            let Ok(key) = Secret::parse(s, other.spec().secret_encoding) else { continue };
            let alg = other.spec().algorithm;
            if engine.try_mac(&r.decoded, key.expose_bytes(), alg, other.segments(), r.id, r.ts_text, cx.body).is_some() {
                return Some(Found {
                    hints: vec![hint(
                        HintCode::WrongScheme,
                        format!(
                            "The request carries a valid {} signature in {}: verify it with the {} scheme instead of {}.",
                            other.name(),
                            present.signature,
                            other.name(),
                            ours.name()
                        ),
                    )],
                    own_timestamp: false,
                });
            }
        }
    }
    let r = cx.reading;
    let mut tried: Vec<&str> = vec![ours.spec().signed_content.as_str()];
    let presets = Scheme::presets();
    for other in &presets {
        let template = other.spec().signed_content.as_str();
        if tried.contains(&template) {
            continue;
        }
        tried.push(template);
        let needs_ts = other.has_timestamp();
        if (other.signs_id() && r.id.is_none()) || (needs_ts && r.ts_text.is_none()) {
            continue;
        }
        for key in cx.keys.iter().flatten() {
            let enc = engine.try_mac(&r.decoded, key.expose_bytes(), cx.algorithm(), other.segments(), r.id, r.ts_text, cx.body);
            if let Some(enc) = enc {
                let mut hints = vec![hint(
                    HintCode::WrongScheme,
                    format!(
                        "The signature is over `{template}` (how the {} preset signs) rather than `{}`: use the {} scheme or set the scheme's `signed_content` to \"{template}\".",
                        other.name(),
                        ours.spec().signed_content,
                        other.name()
                    ),
                )];
                hints.extend(encoding_hint(ours, enc));
                return Some(Found { hints, own_timestamp: needs_ts });
            }
        }
    }
    None
}

/// Body variants, one at a time; `oversized` counts the JSON forms too long to try.
fn stage_body<H: Headers + ?Sized>(engine: &mut Engine, cx: &Context<'_, H>, skipped: &mut bool, oversized: &mut usize) -> Option<Found> {
    if cx.body.len() > MAX_VARIANT_BODY_BYTES {
        *skipped = true;
        return None;
    }
    if !cx.content_ready() || !cx.keys.iter().any(Option::is_some) {
        return None;
    }
    let mut variants = body_variants(cx.body);
    while let Some(variant) = variants.next() {
        *oversized = variants.oversized();
        for (i, key) in cx.keys.iter().enumerate() {
            let Some(key) = key else { continue };
            if let Some(enc) = cx.try_own(engine, key.expose_bytes(), cx.algorithm(), &variant.body) {
                let label = variant.label;
                let message = match variant.code {
                    HintCode::BodyReserialized => format!(
                        "The signature (secret {i}) matches this body re-serialized as {label}: the bytes given are not the bytes that were signed, so verify the raw request body exactly as received, before any JSON parsing or re-encoding."
                    ),
                    HintCode::BodyCharset => format!(
                        "The signature (secret {i}) matches this body {label}: a character-set conversion changed the bytes, so read the raw body as bytes, not as decoded text."
                    ),
                    _ => format!(
                        "The signature (secret {i}) matches this body {label}: pass the raw body bytes exactly as received (no text-mode reads, line-ending or BOM conversion, or trimming)."
                    ),
                };
                let mut hints = vec![hint(variant.code, message)];
                hints.extend(encoding_hint(cx.scheme, enc));
                return Found::own(hints);
            }
        }
    }
    *oversized = variants.oversized();
    None
}
