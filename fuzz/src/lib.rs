//! Shared pieces of the fuzz targets: the secrets of the vector files (so seeds
//! reach the comparison), verifiers built once, and the checks every target makes.

use std::sync::LazyLock;

use hookverify::{Error, ErrorCode, Scheme, Verifier};

/// `now` of tests/vectors/schemes.json.
pub const NOW: i64 = 1_700_000_000;

/// The secret tests/vectors/schemes.json uses for each preset.
pub fn secret_of(preset: &str) -> &'static str {
    match preset {
        "standard" => "whsec_f3dPZ101imEix+M5/l9FNUWTq99EYATZfwIl/FHrZIo=",
        "stripe" => "stripe_test_signing_secret",
        "github" | "github-sha1" => "It's a Secret to Everybody",
        "slack" => "8f742231b10e8888abcd99yyyzzz85a5",
        "shopify" => "shpss_test_shopify_app_secret",
        _ => "generic-webhook-secret",
    }
}

/// A preset's verifier: `.0` with the default replay window, `.1` with the check disabled.
pub struct Pair(pub Verifier, pub Verifier);

fn pair(preset: &str) -> Pair {
    let scheme = Scheme::preset(preset).expect("preset");
    let strict = Verifier::new(scheme.clone(), [secret_of(preset)]).expect("verifier");
    let lax = Verifier::builder(scheme).secret(secret_of(preset)).dangerously_skip_timestamp_check().build().expect("verifier");
    Pair(strict, lax)
}

/// Every preset's verifiers, built once per process.
pub static VERIFIERS: LazyLock<Vec<(&'static str, Pair)>> =
    LazyLock::new(|| hookverify::scheme::preset_names().into_iter().filter(|n| !public_keys_only(n)).map(|n| (n, pair(n))).collect());

/// Whether preset `name` takes public keys only (discord, sendgrid): no secret verifier for it.
pub fn public_keys_only(name: &str) -> bool {
    Scheme::preset(name).is_ok_and(|s| s.spec().public_key.as_ref().is_some_and(|k| k.version.is_none()))
}

/// The verifier pair of one preset.
pub fn verifiers(preset: &str) -> &'static Pair {
    &VERIFIERS.iter().find(|(n, _)| *n == preset).expect("known preset").1
}

/// Codes a signature check may end with (anything else from `verify_signature_at` is a bug).
pub const SIGNATURE_CODES: &[ErrorCode] = &[
    ErrorCode::MissingHeader,
    ErrorCode::MalformedHeader,
    ErrorCode::MalformedTimestamp,
    ErrorCode::TimestampTooOld,
    ErrorCode::TimestampTooNew,
    ErrorCode::NoMatchingSignature,
    ErrorCode::PayloadTooLarge,
];

/// Checks an error's code is one of `allowed` and that it formats (Display, Debug, details).
pub fn check_code(e: &Error, allowed: &[ErrorCode]) {
    assert!(allowed.contains(&e.code()), "unexpected code {:?}: {e}", e.code());
    let _ = (e.to_string(), e.details().to_string(), format!("{e:?}"));
}

/// [`check_code`], plus: the message and details are bounded whatever the request held
/// (request text is quoted truncated to 48 bytes). Not applied to operator-written specs.
pub fn check_error(e: &Error, allowed: &[ErrorCode]) {
    check_code(e, allowed);
    let msg = e.to_string();
    assert!(msg.len() < 1024, "unbounded message ({} bytes)", msg.len());
    let details = e.details().to_string();
    assert!(details.len() < 2048, "unbounded details ({} bytes)", details.len());
}

/// Runs one signature check and applies [`check_error`] to a failure.
pub fn check_signature<T>(r: Result<T, Error>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            check_error(&e, SIGNATURE_CODES);
            None
        }
    }
}

/// The first line of `data` (without its `\n`) and what follows it; no `\n`: `None`.
pub fn split_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    data.iter().position(|&b| b == b'\n').map(|nl| (&data[..nl], &data[nl + 1..]))
}

/// Splits `name: value` lines up to an empty line, then the body (an HTTP-like seed format).
pub fn split_request(data: &[u8]) -> (Vec<(String, Vec<u8>)>, &[u8]) {
    let mut headers = Vec::new();
    let mut rest = data;
    loop {
        let Some((line, after)) = split_line(rest) else { return (headers, rest) };
        rest = after;
        if line.is_empty() {
            return (headers, rest);
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let name = String::from_utf8_lossy(&line[..colon]).into_owned();
        let mut value = &line[colon + 1..];
        if value.first() == Some(&b' ') {
            value = &value[1..];
        }
        headers.push((name, value.to_vec()));
    }
}
