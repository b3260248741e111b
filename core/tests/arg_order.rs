//! One argument order, (body, headers), for every public entry point that takes both (issue 18).
//! The expected signature is GitHub's documented example (docs.github.com, "Validating webhook
//! deliveries"), not one hookverify computed. This file does not compile with the old
//! (headers, body) order: a header list is not a `&[u8]`.

use hookverify::diagnose::diagnose;
use hookverify::{ErrorCode, Scheme, Verifier};

const SECRET: &str = "It's a Secret to Everybody";
const BODY: &[u8] = b"Hello, World!";
const HEADERS: [(&str, &str); 1] = [("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")];

fn verifier() -> Verifier {
    Verifier::new(Scheme::preset("github").unwrap(), [SECRET]).unwrap()
}

#[test]
fn verify_signature_takes_body_then_headers() {
    assert_eq!(verifier().verify_signature_at(BODY, &HEADERS, 0).unwrap().key_index, 0);
    let err = verifier().verify_signature_at(b"Hello, World?", &HEADERS, 0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoMatchingSignature);
}

#[test]
fn verify_and_verify_at_take_body_then_headers() {
    // The body is not a JSON envelope: the signature matched, the envelope did not parse.
    assert_eq!(verifier().verify_at(BODY, &HEADERS, 0).unwrap_err().code(), ErrorCode::InvalidJson);
    assert_eq!(verifier().verify_ref_at(BODY, &HEADERS, 0).unwrap_err().code(), ErrorCode::InvalidJson);
    assert_eq!(verifier().verify(BODY, &HEADERS).unwrap_err().code(), ErrorCode::InvalidJson);
}

#[test]
fn diagnose_takes_body_then_headers() {
    let report = diagnose(BODY, &HEADERS, &[SECRET], Some(&Scheme::preset("github").unwrap()), 0);
    assert!(report.valid);
    assert_eq!(report.key_index, Some(0));
    assert!(!diagnose(b"Hello, World?", &HEADERS, &[SECRET], None, 0).valid);
}
