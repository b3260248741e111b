//! The scheme-engine extensions of issue 19 through the public API. The input is split at its
//! first NUL into a header value and a body (no NUL: the whole input is the value, the body `{}`),
//! then checked by one preset of each family: `;`-separated kv (`paddle`), millisecond kv
//! (`sanity`), an RFC 3339 timestamp header with a second signature header (`box`), numbered
//! signature headers (`docusign`), shared tokens (`gitlab`, `okta`), and body fields (`mailgun`:
//! signature, timestamp and token; `linear`: a millisecond timestamp).
//!
//! Besides the usual checks (known codes, bounded messages), a token scheme's error does not
//! depend on the presented value at all: it reads the same as for a fixed value failing the same way.
#![no_main]

use hookverify::ErrorCode;
use hookverify_fuzz::{check_error, verifiers, NOW, SIGNATURE_CODES};
use libfuzzer_sys::fuzz_target;

/// What a check that reads body fields may also end with.
const BODY_CODES: &[ErrorCode] = &[ErrorCode::InvalidJson, ErrorCode::MissingField];

fn check(preset: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Option<(ErrorCode, String)> {
    let allowed: Vec<ErrorCode> = SIGNATURE_CODES.iter().chain(BODY_CODES).copied().collect();
    let pair = verifiers(preset);
    let mut out = None;
    for v in [&pair.0, &pair.1] {
        if let Err(e) = v.verify_signature_at(body, headers, NOW) {
            check_error(&e, &allowed);
            out = Some((e.code(), format!("{e} {e:?} {}", e.details())));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (value, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    check("paddle", &[("Paddle-Signature", value)], body);
    check("sanity", &[("sanity-webhook-signature", value)], body);
    let sig: &[u8] = b"6TfeAW3A1PASkgboxxA5yqHNKOwFyMWuEXny/FPD5hI=";
    check("box", &[("BOX-SIGNATURE-PRIMARY", sig), ("BOX-DELIVERY-TIMESTAMP", value), ("BOX-SIGNATURE-SECONDARY", value)], body);
    check("docusign", &[("X-DocuSign-Signature-1", sig), ("X-DocuSign-Signature-2", value), ("X-DocuSign-Signature-10", value)], body);
    check("mailgun", &[], body);
    check("linear", &[("Linear-Signature", value)], body);
    for (preset, header) in [("gitlab", "X-Gitlab-Token"), ("okta", "Authorization")] {
        let Some((code, text)) = check(preset, &[(header, value)], body) else { continue };
        let fixed: &[u8] = match code {
            ErrorCode::NoMatchingSignature => b"0",
            ErrorCode::MalformedHeader => b"\x01",
            other => panic!("{preset}: unexpected {other:?} for a present token header"),
        };
        let (_, reference) = check(preset, &[(header, fixed)], body).expect("the fixed value fails");
        assert_eq!(text, reference, "{preset}: the error depends on the presented token");
    }
});
