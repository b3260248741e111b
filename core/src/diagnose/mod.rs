//! Why does a delivery fail to verify? A [`Report`] of checks and confirmed hints.
//!
//! [`diagnose`] reads the headers the way the verifier does, but records every
//! problem instead of stopping at the first, and decides `valid` with the real
//! [`Verifier`]. When the delivery is invalid it recomputes the HMAC over a
//! fixed list of candidate variants (body re-serialized, line endings, charset,
//! secret decoding, encoding, algorithm, other presets' rules, timestamp unit)
//! and reports a hint only when a variant actually matches a signature on the
//! wire. The work is bounded ([`MAX_HMACS`], [`MAX_VARIANT_BODY_BYTES`], [`MAX_VARIANT_BYTES`]).
//!
//! A report never contains a secret, a piece of one, or an expected MAC: checks
//! describe signatures by count, length and encoding, never by value.
//!
//! ```
//! use hookverify::{diagnose::diagnose, Scheme};
//!
//! let headers = [("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")];
//! let report = diagnose(b"Hello, World!\n", &headers, &["It's a Secret to Everybody"], None, 0);
//! assert!(!report.valid);
//! assert_eq!(report.scheme.as_deref(), Some("github"));
//! assert_eq!(report.hints[0].code.as_str(), "body_line_endings");
//! ```

mod json;
mod read;
mod search;
mod url;
pub use url::PROXY_HEADERS;
mod variants;

use std::fmt;

use serde::Serialize;

use crate::headers::{Headers, Lookup};
use crate::scheme::{Scheme, SignatureFormat};
use crate::secret::Secret;
use crate::verify::{RequestTarget, Verifier, DEFAULT_MAX_BODY_BYTES};

/// Most HMACs one diagnosis computes (the verification itself included).
pub const MAX_HMACS: usize = 64;

/// Bodies larger than this get no body variants (re-serialization, line endings, charset).
pub const MAX_VARIANT_BODY_BYTES: usize = 1024 * 1024;

/// A JSON re-serialization longer than this is not tried (indented forms of deeply nested JSON
/// grow with the square of the depth: ~266 MB for 1 MiB of arrays nested 127 deep).
pub const MAX_VARIANT_BYTES: usize = 8 * MAX_VARIANT_BODY_BYTES;

/// Stable codes of diagnose hints (see `spec/errors.md`, "Diagnose hints").
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HintCode {
    /// The signature matches the body serialized differently (indent, separators, escapes, key order).
    BodyReserialized,
    /// The signature matches the body with other line endings, a BOM or a trailing newline changed.
    BodyLineEndings,
    /// The signature matches the body converted between Latin-1 and UTF-8.
    BodyCharset,
    /// The signature matches with the secret decoded differently (`whsec` base64 vs raw, prefix kept vs dropped).
    SecretEncoding,
    /// The signature matches once whitespace around the secret is removed.
    SecretWhitespace,
    /// A secret looks like an API key or token, not a webhook signing secret.
    SecretWrongKey,
    /// The signature is written in another encoding (hex, base64, base64url).
    WrongEncoding,
    /// The signature uses another hash (sha1, sha256, sha512).
    WrongAlgorithm,
    /// The signature follows another preset's signing rule.
    WrongScheme,
    /// A timestamp is in milliseconds instead of seconds.
    TimestampUnit,
    /// The signature is valid but the timestamp is outside the replay window.
    ClockSkew,
    /// The signature matches another spelling of the request URL (scheme, port, query, host).
    WrongUrl,
    /// The body carries no form parameters, but the scheme signs them (Twilio): the framework
    /// parsed the form before the body was read, or a JSON body lost its `bodySHA256`.
    FormParamsMissing,
    /// No configured public key verifies the signature, and no change to the body or URL
    /// explains it: the delivery was signed with another key.
    WrongPublicKey,
}

impl HintCode {
    /// Every hint code, in the order of `spec/errors.md`.
    pub const ALL: &'static [HintCode] = &[
        HintCode::BodyReserialized,
        HintCode::BodyLineEndings,
        HintCode::BodyCharset,
        HintCode::SecretEncoding,
        HintCode::SecretWhitespace,
        HintCode::SecretWrongKey,
        HintCode::WrongEncoding,
        HintCode::WrongAlgorithm,
        HintCode::WrongScheme,
        HintCode::TimestampUnit,
        HintCode::ClockSkew,
        HintCode::WrongUrl,
        HintCode::FormParamsMissing,
        HintCode::WrongPublicKey,
    ];

    /// The stable snake_case string of this code.
    pub const fn as_str(self) -> &'static str {
        match self {
            HintCode::BodyReserialized => "body_reserialized",
            HintCode::BodyLineEndings => "body_line_endings",
            HintCode::BodyCharset => "body_charset",
            HintCode::SecretEncoding => "secret_encoding",
            HintCode::SecretWhitespace => "secret_whitespace",
            HintCode::SecretWrongKey => "secret_wrong_key",
            HintCode::WrongEncoding => "wrong_encoding",
            HintCode::WrongAlgorithm => "wrong_algorithm",
            HintCode::WrongScheme => "wrong_scheme",
            HintCode::TimestampUnit => "timestamp_unit",
            HintCode::ClockSkew => "clock_skew",
            HintCode::WrongUrl => "wrong_url",
            HintCode::FormParamsMissing => "form_params_missing",
            HintCode::WrongPublicKey => "wrong_public_key",
        }
    }

    /// Looks a code up by its string.
    pub fn from_str_code(s: &str) -> Option<HintCode> {
        HintCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The general fix, one sentence (hint messages give the specific one).
    pub const fn fix(self) -> &'static str {
        match self {
            HintCode::BodyReserialized => "Verify the raw request body exactly as received, before any JSON parsing or re-encoding.",
            HintCode::BodyLineEndings => "Pass the raw body bytes without text-mode reads, line-ending or BOM conversion, or trimming.",
            HintCode::BodyCharset => "Read the body as bytes, not as text decoded and re-encoded in another character set.",
            HintCode::SecretEncoding => {
                "Decode the secret the way the sender does (set `secret_encoding`, keep or drop the `whsec` prefix)."
            }
            HintCode::SecretWhitespace => "Trim the secret where it is loaded (a trailing newline from a file or environment variable).",
            HintCode::SecretWrongKey => "Use the endpoint's webhook signing secret, not an API key or access token.",
            HintCode::WrongEncoding => "Set the scheme's `encoding` to the one the sender writes (hex, base64 or base64url).",
            HintCode::WrongAlgorithm => "Set the scheme's `algorithm` to the hash the sender uses (sha1, sha256 or sha512).",
            HintCode::WrongScheme => "Verify with the scheme whose signing rule the sender follows.",
            HintCode::TimestampUnit => "Send, sign and compare timestamps in unix seconds, not milliseconds.",
            HintCode::ClockSkew => {
                "Synchronize the clocks of the sender and the receiver (NTP), and make sure the delivery is not a replay."
            }
            HintCode::WrongUrl => {
                "Verify with the URL exactly as registered with the sender (behind a proxy, rebuild scheme and host from X-Forwarded-Proto/Host, or configure the endpoint URL)."
            }
            HintCode::FormParamsMissing => {
                "Pass the raw form body (application/x-www-form-urlencoded) exactly as received, before the framework parses it."
            }
            HintCode::WrongPublicKey => {
                "Configure the sender's current public key for this endpoint or application (compare its fingerprint)."
            }
        }
    }
}

impl fmt::Display for HintCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for HintCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One thing diagnose looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Check {
    /// Stable name: `scheme`, `body_size`, `signature_header`, `id_header`, `timestamp`,
    /// `timestamp_window`, `secrets`, `signature`, `event`, `hint_search`; for schemes the verifier
    /// decides alone also `url`, `keys` (the keys could not be used) and `public_keys`.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found (never secret material or a signature value).
    pub detail: String,
}

impl Check {
    fn pass(name: &'static str, detail: String) -> Check {
        Check { name, ok: true, detail }
    }
    fn fail(name: &'static str, detail: String) -> Check {
        Check { name, ok: false, detail }
    }
}

/// A cause the engine confirmed (by recomputing the MAC, or by a secret's prefix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Hint {
    /// Stable code.
    pub code: HintCode,
    /// What matched and what to change.
    pub message: String,
}

/// The envelope of a valid delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EventSummary {
    /// Event id.
    pub id: String,
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Event time (unix seconds), when known.
    pub timestamp: Option<i64>,
}

/// The outcome of [`diagnose`]. Serializes (serde) with fields in this order. `#[non_exhaustive]`, like
/// [`Check`], [`Hint`] and [`EventSummary`]: a report may gain fields in a minor release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Whether the verifier accepts the delivery (signature and replay window).
    pub valid: bool,
    /// The scheme used (given or detected); `None` when none could be detected.
    pub scheme: Option<String>,
    /// Whether the scheme was detected from the headers rather than given.
    pub detected: bool,
    /// Index of the secret that matched, when valid.
    pub key_index: Option<usize>,
    /// What was looked at, in a stable order.
    pub checks: Vec<Check>,
    /// Confirmed causes of a failure, with their fix (empty when valid).
    pub hints: Vec<Hint>,
    /// The parsed envelope, when valid and the body is one.
    pub event: Option<EventSummary>,
}

impl Report {
    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report always serializes")
    }

    /// The report as one line of JSON with camelCase keys (`keyIndex`), as JavaScript sees it
    /// ([`crate::case::camel_case_keys`]); [`to_json`](Report::to_json) is the snake_case form.
    pub fn to_json_camel_case(&self) -> String {
        crate::case::camel_case_keys(&self.to_json())
    }

    /// The check with this name, if it was made.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Picks the preset whose signature header is present, in preset order: `standard`
/// (`webhook-signature`, then `svix-signature`), `stripe` (`Stripe-Signature`), `github`
/// (`X-Hub-Signature-256`), `github-sha1` (`X-Hub-Signature`), `slack` (`X-Slack-Signature`),
/// `shopify` (`X-Shopify-Hmac-Sha256`), then the later presets by their own headers (`intercom`
/// signs exactly as `github-sha1`, which comes first, so it is never the one detected). Returns
/// the scheme and the header that chose it.
///
/// Presets whose credential is in `Authorization` (`okta`, `postmark`) are never detected: that
/// header says nothing about the sender. Nor is a preset whose signature is in the body (`mailgun`).
///
/// Several presets share a header name (`X-Hub-Signature`: `github-sha1` with `sha1=`, `bitbucket`
/// and `jira` with `sha256=`): among the presets with the header found first, the first whose
/// prefix the value starts with wins (`bitbucket` for both `sha256=` senders: they sign alike),
/// else the first of them.
pub fn detect<H: Headers + ?Sized>(headers: &H) -> Option<(Scheme, String)> {
    let presets = Scheme::presets();
    let header_of = |scheme: &Scheme| {
        scheme
            .header_sets()
            .iter()
            .map(|s| s.signature.clone())
            .filter(|h| !h.is_empty() && !h.eq_ignore_ascii_case("authorization"))
            .find(|h| headers.lookup(h) != Lookup::Missing)
    };
    let (first, header) = presets.iter().find_map(|s| Some((s, header_of(s)?)))?;
    let value = match headers.lookup(&header) {
        Lookup::One(v) => std::str::from_utf8(v).ok(),
        Lookup::Text(v) => Some(v),
        _ => None,
    };
    let fits = |s: &Scheme| {
        let spec = s.spec();
        spec.signature_format == SignatureFormat::Single
            && spec.signature_header.eq_ignore_ascii_case(&header)
            && !spec.prefix.is_empty()
            && value.is_some_and(|v| v.starts_with(spec.prefix.as_str()))
    };
    let chosen = if fits(first) { first } else { presets.iter().find(|s| fits(s)).unwrap_or(first) };
    Some((chosen.clone(), header))
}

/// The checks of a scheme diagnose cannot take apart (a shared token, or body fields): the
/// verifier's verdict and error code, and the envelope. Never quotes the token or a signature.
fn opaque<H: Headers + ?Sized, S: AsRef<str>>(
    report: &mut Report,
    scheme: &Scheme,
    body: &[u8],
    headers: &H,
    secrets: &[S],
    now: i64,
    target: &RequestTarget<'_>,
) {
    let secret_strs: Vec<&str> = secrets.iter().map(AsRef::as_ref).collect();
    let what = if scheme.spec().signature_format.is_token() { "token" } else { "signature" };
    match Verifier::new(scheme.clone(), &secret_strs).and_then(|v| v.verify_signature_with(body, headers, now, target)) {
        Ok(verified) => {
            report.valid = true;
            report.key_index = Some(verified.key_index);
            report.checks.push(Check::pass(what, format!("matches configured secret {}", verified.key_index)));
            report.checks.push(match crate::event::parse(scheme, headers, body, &verified) {
                Ok(e) => {
                    report.event = Some(EventSummary { id: e.id, event_type: e.event_type, timestamp: e.timestamp });
                    Check::pass("event", format!("id and type read per the {} envelope", scheme.name()))
                }
                Err(e) => Check::fail("event", format!("{}: {e}", e.code())),
            });
        }
        Err(e) => report.checks.push(Check::fail(what, format!("{}: {e}", e.code()))),
    }
}

fn secret_encoding_name(e: crate::secret::SecretEncoding) -> &'static str {
    match e {
        crate::secret::SecretEncoding::Utf8 => "UTF-8",
        crate::secret::SecretEncoding::Whsec => "`whsec` (base64)",
        crate::secret::SecretEncoding::Hex => "hex",
    }
}

fn describe_skew(skew: i128) -> String {
    match skew {
        0 => "signed now".into(),
        s if s > 0 => format!("signed {s} s before now"),
        s => format!("signed {} s after now", -s),
    }
}

/// Diagnoses one delivery: checks, validity, and (when invalid) confirmed hints.
///
/// `scheme: None` detects the scheme from the headers (see [`detect`]). `secrets` are
/// tried in order, decoded per the scheme; `now` is unix seconds.
pub fn diagnose<H: Headers + ?Sized, S: AsRef<str>>(body: &[u8], headers: &H, secrets: &[S], scheme: Option<&Scheme>, now: i64) -> Report {
    diagnose_request(body, headers, secrets, scheme, now, &RequestTarget::NONE)
}

/// [`diagnose`] for a delivery whose URL and method the scheme may sign (Square, Twilio, Trello,
/// HubSpot v3): `target` is the URL the receiver verified with and the method. When the signature
/// does not verify, the obvious other spellings of the URL are tried (the scheme a TLS-terminating
/// proxy rewrote, the default port added or dropped, the query or a trailing slash dropped or
/// added) and a `wrong_url` hint names the one that verifies.
pub fn diagnose_request<H: Headers + ?Sized, S: AsRef<str>>(
    body: &[u8],
    headers: &H,
    secrets: &[S],
    scheme: Option<&Scheme>,
    now: i64,
    target: &RequestTarget<'_>,
) -> Report {
    diagnose_keys(body, headers, secrets, &[] as &[&str], scheme, now, target)
}

/// [`diagnose_request`] with public keys too, for schemes with public-key signatures (Discord,
/// SendGrid, Standard Webhooks `v1a`). Such a delivery, and one whose scheme signs the request
/// line, gets the verifier's verdict; when it fails, the obvious other spellings of the URL
/// (`wrong_url`) and of the body (`body_line_endings`, `body_reserialized`, `body_charset`: a
/// trailing CRLF stripped, JSON re-encoded) are tried with the verifier, a body without the form
/// parameters the scheme signs is named (`form_params_missing`), and a well-formed public-key
/// signature that nothing explains is `wrong_public_key`.
pub fn diagnose_keys<H: Headers + ?Sized, S: AsRef<str>, P: AsRef<str>>(
    body: &[u8],
    headers: &H,
    secrets: &[S],
    public_keys: &[P],
    scheme: Option<&Scheme>,
    now: i64,
    target: &RequestTarget<'_>,
) -> Report {
    let mut report =
        Report { valid: false, scheme: None, detected: false, key_index: None, checks: Vec::new(), hints: Vec::new(), event: None };
    let scheme = match scheme {
        Some(s) => {
            report.checks.push(Check::pass("scheme", format!("{} (given)", s.name())));
            s.clone()
        }
        None => match detect(headers) {
            Some((s, header)) => {
                report.detected = true;
                report.checks.push(Check::pass("scheme", format!("{} (detected from the {header} header)", s.name())));
                s
            }
            None => {
                let names: Vec<String> = Scheme::presets()
                    .iter()
                    .flat_map(|s| s.header_sets().iter().map(|h| h.signature.clone()).collect::<Vec<_>>())
                    .collect();
                report.checks.push(Check::fail("scheme", format!("no known signature header ({}); name the scheme", names.join(", "))));
                return report;
            }
        },
    };
    report.scheme = Some(scheme.name().to_owned());
    let spec = scheme.spec();
    if body.len() > DEFAULT_MAX_BODY_BYTES {
        report
            .checks
            .push(Check::fail("body_size", format!("the body is {} bytes; the verifier's limit is {DEFAULT_MAX_BODY_BYTES}", body.len())));
    }

    if !public_keys.is_empty() && spec.public_key.is_none() {
        report.checks.push(Check::fail(
            "public_keys",
            format!("scheme {} verifies HMAC signatures with secrets; it takes no public keys", scheme.name()),
        ));
    }
    let public_key_only = spec.public_key.as_ref().is_some_and(|pk| pk.version.is_none());
    if scheme.signs_request() || public_key_only || (spec.public_key.is_some() && !public_keys.is_empty()) {
        // The URL, method or public keys: the verifier's verdict, then the spellings that would verify.
        url::diagnose(&mut report, &scheme, body, headers, secrets, public_keys, now, target);
        return report;
    }
    if spec.signature_format.is_token() || spec.reads_body_fields() {
        // A shared token (nothing to recompute) or body fields: the verifier's verdict, no hint search.
        opaque(&mut report, &scheme, body, headers, secrets, now, target);
        return report;
    }
    let mut reading = read::read(&scheme, headers);
    report.checks.append(&mut reading.checks);

    let tolerance = scheme.tolerance_seconds();
    let skew = reading.ts.map(|ts| i128::from(now) - i128::from(ts));
    if let (Some(tol), Some(skew)) = (tolerance, skew) {
        let detail = format!("{}; the window is ±{tol} s", describe_skew(skew));
        report.checks.push(if skew.abs() <= i128::from(tol) {
            Check::pass("timestamp_window", detail)
        } else {
            Check::fail("timestamp_window", detail)
        });
    }

    let secret_strs: Vec<&str> = secrets.iter().map(AsRef::as_ref).collect();
    let keys: Vec<Option<Secret>> = secret_strs.iter().map(|s| Secret::parse(s, spec.secret_encoding).ok()).collect();
    let bad: Vec<String> = keys.iter().enumerate().filter(|(_, k)| k.is_none()).map(|(i, _)| i.to_string()).collect();
    report.checks.push(match (secret_strs.len(), bad.is_empty()) {
        (0, _) => Check::fail("secrets", "no secrets given".into()),
        (n, true) => Check::pass("secrets", format!("{n} secret(s), each usable as a {} key", secret_encoding_name(spec.secret_encoding))),
        (n, false) => Check::fail(
            "secrets",
            format!(
                "secret(s) {} of {n} cannot be used as a {} key (empty, or not base64 after the `whsec` prefix)",
                bad.join(", "),
                secret_encoding_name(spec.secret_encoding)
            ),
        ),
    });

    let cx =
        search::Context { scheme: &scheme, headers, body, secrets: &secret_strs, keys: &keys, reading: &reading, now, skew, tolerance };
    let mut engine = search::Engine::new(MAX_HMACS);
    let primary = search::primary(&mut engine, &cx);
    report.checks.push(search::signature_check(&cx, primary));

    let verdict = Verifier::new(scheme.clone(), &secret_strs).and_then(|v| v.verify_signature_at(body, headers, now));
    match verdict {
        Ok(verified) => {
            report.valid = true;
            report.key_index = Some(verified.key_index);
            report.checks.push(match crate::event::parse(&scheme, headers, body, &verified) {
                Ok(e) => {
                    let check = Check::pass("event", format!("id and type read per the {} envelope", scheme.name()));
                    report.event = Some(EventSummary { id: e.id, event_type: e.event_type, timestamp: e.timestamp });
                    check
                }
                Err(e) => Check::fail("event", format!("{}: {e}", e.code())),
            });
        }
        Err(_) => {
            let outcome = search::hints(&mut engine, &cx, primary);
            report.hints = outcome.hints;
            report.checks.push(outcome.check);
        }
    }
    report
}
