//! Reads what a delivery carries for one scheme, leniently, and describes it.
//!
//! Unlike the verifier this never stops at the first problem: it records a
//! check for each header and still extracts whatever signatures it can, so
//! the hint search has something to compare against. Details never quote a
//! signature value (it may be a differently encoded copy of the expected MAC).

use super::Check;
use crate::headers::{single_value, value_problem, Headers, Lookup, ValueProblem, MAX_HEADER_VALUE_BYTES};
use crate::scheme::{parse_signature_header, Encoding, Scheme, SignatureFormat};
use crate::secret::Algorithm;
use crate::verify::decode_signature;

/// One decoding of one signature string.
pub(crate) struct Decoded {
    pub encoding: Encoding,
    pub algorithm: Algorithm,
    pub bytes: Vec<u8>,
}

/// What a delivery holds for one scheme.
pub(crate) struct Reading<'h> {
    /// The signature header found (or the scheme's main one when none is present).
    pub header: String,
    /// Whether some signature header of the scheme is present.
    pub present: bool,
    /// Every decoding of every signature string, the scheme's own (encoding, algorithm) first.
    pub decoded: Vec<Decoded>,
    /// How many signature strings decode the scheme's way.
    pub primary: usize,
    pub id: Option<&'h str>,
    pub ts_text: Option<&'h str>,
    /// The timestamp in seconds when it parses.
    pub ts: Option<u64>,
    pub checks: Vec<Check>,
}

/// Signature strings read from a header that does not parse (the verifier's own cap is 32).
const MAX_LENIENT_SIGNATURES: usize = 32;

const ENCODINGS: [Encoding; 3] = [Encoding::Hex, Encoding::Base64, Encoding::Base64url];
const ALGORITHMS: [Algorithm; 3] = [Algorithm::Sha256, Algorithm::Sha1, Algorithm::Sha512];

pub(crate) fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Hex => "hex",
        Encoding::Base64 => "base64",
        Encoding::Base64url => "base64url",
    }
}

/// Why a header value is unusable, without quoting it.
fn unusable<H: Headers + ?Sized>(headers: &H, name: &str) -> String {
    let lookup = headers.lookup(name);
    let Some(raw) = lookup.value_bytes() else {
        return match lookup {
            Lookup::Many(n) => format!("{name} appears {n} times; exactly one is allowed"),
            _ => format!("{name} is missing"),
        };
    };
    match value_problem(raw) {
        Some(ValueProblem::TooLong(len)) => format!("{name} is {len} bytes; the limit is {MAX_HEADER_VALUE_BYTES}"),
        Some(ValueProblem::Control(_)) => format!("{name} contains a control byte (CR, LF, NUL, ...)"),
        Some(ValueProblem::NonAscii(_)) => format!("{name} contains a non-ASCII byte (header values must be visible ASCII)"),
        None => format!("{name} is unusable"),
    }
}

/// The layout a scheme's signature header must have, for messages.
fn layout(scheme: &Scheme) -> String {
    let spec = scheme.spec();
    let sig = format!("{}<{} signature>", spec.prefix, encoding_name(spec.encoding));
    match spec.signature_format {
        SignatureFormat::Single => format!("`{sig}`"),
        SignatureFormat::List => format!("space-separated `{},{sig}` entries", spec.signature_version),
        SignatureFormat::Kv if spec.timestamp_key.is_empty() => {
            format!("`{}={sig}` pairs separated by `{}`", spec.signature_version, spec.kv_separator)
        }
        SignatureFormat::Kv => format!(
            "`{}=<{}>{}{}={sig}` pairs",
            spec.timestamp_key,
            spec.timestamp_format.describe(),
            spec.kv_separator,
            spec.signature_version
        ),
        SignatureFormat::Token => "the shared token".into(),
        SignatureFormat::Basic => "`Basic <base64 of user:password>`".into(),
    }
}

/// Signature strings (and a kv timestamp) from a header that does not parse strictly.
fn lenient<'h>(scheme: &Scheme, value: &'h str) -> (Vec<&'h str>, Option<&'h str>) {
    let mut sigs = Vec::new();
    let mut ts = None;
    match scheme.spec().signature_format {
        SignatureFormat::Single => {
            sigs.push(value);
            if let Some((_, rest)) = value.split_once('=') {
                sigs.push(rest);
            }
        }
        SignatureFormat::List => {
            for entry in value.split_whitespace() {
                sigs.push(entry.split_once(',').map_or(entry, |(_, s)| s));
            }
        }
        // Token formats carry no signature to decode (diagnose does not read them this way).
        SignatureFormat::Token | SignatureFormat::Basic => {}
        SignatureFormat::Kv => {
            let key = scheme.spec().timestamp_key.as_str();
            for pair in value.split(scheme.spec().kv_separator) {
                match pair.trim().split_once('=') {
                    Some((k, t)) if !key.is_empty() && k == key => {
                        ts.get_or_insert(t);
                    }
                    Some((_, s)) => sigs.push(s),
                    None => {}
                }
            }
        }
    }
    sigs.retain(|s| !s.is_empty());
    sigs.truncate(MAX_LENIENT_SIGNATURES);
    (sigs, ts)
}

/// Reads the signature, id and timestamp headers of `scheme`.
pub(crate) fn read<'h, H: Headers + ?Sized>(scheme: &Scheme, headers: &'h H) -> Reading<'h> {
    let spec = scheme.spec();
    let mut r = Reading {
        header: spec.signature_header.clone(),
        present: false,
        decoded: Vec::new(),
        primary: 0,
        id: None,
        ts_text: None,
        ts: None,
        checks: Vec::new(),
    };
    // The first header set whose signature header is present, as the verifier chooses.
    let set = scheme.header_sets().iter().find(|s| headers.lookup(&s.signature) != Lookup::Missing);
    let mut sig_strings: Vec<&'h str> = Vec::new();
    let mut kv_ts: Option<&'h str> = None;
    let sig_check = match set {
        None => {
            let names: Vec<&str> = scheme.header_sets().iter().map(|s| s.signature.as_str()).collect();
            Check::fail("signature_header", format!("missing: the request has no {} header", names.join(" or ")))
        }
        Some(set) => {
            r.header = set.signature.clone();
            r.present = true;
            match single_value(headers, &set.signature) {
                Err(_) | Ok(None) => Check::fail("signature_header", unusable(headers, &set.signature)),
                Ok(Some(value)) => match parse_signature_header(spec, &set.signature, value) {
                    Ok(parsed) => {
                        kv_ts = parsed.timestamp;
                        sig_strings = parsed.signatures.iter().copied().collect();
                        if sig_strings.is_empty() {
                            Check::fail(
                                "signature_header",
                                format!("{} has no `{}` signature (only other version labels)", set.signature, spec.signature_version),
                            )
                        } else {
                            Check::pass("signature_header", String::new())
                        }
                    }
                    Err(_) => {
                        let (sigs, ts) = lenient(scheme, value);
                        sig_strings = sigs;
                        kv_ts = ts;
                        Check::fail("signature_header", format!("{} is not in the form {}", set.signature, layout(scheme)))
                    }
                },
            }
        }
    };
    let (encoding, algorithm) = (spec.encoding, spec.algorithm);
    for sig in &sig_strings {
        if let Ok(tag) = decode_signature(encoding, algorithm, sig) {
            r.decoded.push(Decoded { encoding, algorithm, bytes: tag.as_slice().to_vec() });
            r.primary += 1;
        }
    }
    for sig in &sig_strings {
        for alg in ALGORITHMS {
            for enc in ENCODINGS {
                if (enc, alg) == (encoding, algorithm) {
                    continue;
                }
                if let Ok(tag) = decode_signature(enc, alg, sig) {
                    r.decoded.push(Decoded { encoding: enc, algorithm: alg, bytes: tag.as_slice().to_vec() });
                }
            }
        }
    }
    let sig_check = match sig_check {
        c if !c.ok => c,
        _ if r.primary == 0 => Check::fail(
            "signature_header",
            format!(
                "{} carries {} signature(s), none of them {} bytes of HMAC-{} written in {}",
                r.header,
                sig_strings.len(),
                algorithm.tag_len(),
                algorithm.as_str().to_uppercase(),
                encoding_name(encoding)
            ),
        ),
        _ => Check::pass(
            "signature_header",
            format!(
                "{} carries {} well-formed signature(s) ({}, HMAC-{})",
                r.header,
                r.primary,
                encoding_name(encoding),
                algorithm.as_str().to_uppercase()
            ),
        ),
    };
    r.checks.push(sig_check);

    if let Some(name) = set.and_then(|s| s.id.as_deref()).or(spec.id_header.as_deref()) {
        r.checks.push(match single_value(headers, name) {
            Ok(Some(v)) if !v.is_empty() => {
                r.id = Some(v);
                Check::pass("id_header", format!("{name} is present"))
            }
            Ok(Some(_)) => Check::fail("id_header", format!("{name} is empty")),
            Ok(None) => Check::fail("id_header", format!("missing: the request has no {name} header")),
            Err(_) => Check::fail("id_header", unusable(headers, name)),
        });
    }

    if scheme.has_timestamp() {
        let ts_header = set.and_then(|s| s.timestamp.as_deref()).or(spec.timestamp_header.as_deref());
        let (source, text): (String, Result<Option<&'h str>, String>) = match ts_header {
            Some(name) => (name.to_owned(), single_value(headers, name).map_err(|_| unusable(headers, name))),
            None => (format!("the `{}=` field of {}", spec.timestamp_key, r.header), Ok(kv_ts)),
        };
        r.checks.push(match text {
            Err(why) => Check::fail("timestamp", why),
            Ok(None) | Ok(Some("")) => Check::fail("timestamp", format!("missing: no timestamp in {source}")),
            Ok(Some(text)) => {
                r.ts_text = Some(text);
                match crate::scheme::parse_timestamp_as(spec.timestamp_format, &source, text) {
                    Ok(ts) => {
                        r.ts = Some(ts);
                        Check::pass("timestamp", format!("{source} is {}", spec.timestamp_format.describe()))
                    }
                    Err(e) if !spec.timestamp_format.is_unix() => Check::fail("timestamp", e.to_string()),
                    Err(_) if text.bytes().all(|b| b.is_ascii_digit()) && (13..=16).contains(&text.len()) => Check::fail(
                        "timestamp",
                        format!("{source} has {} digits: it looks like milliseconds, unix seconds are expected", text.len()),
                    ),
                    Err(_) => Check::fail("timestamp", format!("{source} is not a plausible unix time in seconds (decimal digits only)")),
                }
            }
        });
    }
    r
}
