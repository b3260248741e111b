//! A public-key scheme that also signs the request line (`{method}`, `{url}`): the merge of
//! public-key signatures (issue 19 item 3) with URL signing (item 2). The URL-signed content, each
//! URL spelling included, must reach the public-key check. The signature was computed with Python's
//! `cryptography` for the RFC 8032 section 7.1 TEST 1 key pair over
//! `POST https://example.com:443/hook?x=1 1764547200.{body}` (the explicit default port), not by
//! hookverify.

use hookverify::{ErrorCode, RequestTarget, Scheme, Verifier};

const RFC8032_PUB_HEX: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const BODY: &str = r#"{"id":"evt_1","type":"ping"}"#;
const SIG: &str =
    "7b4ac567df989f3afa5faa272928c85f993cfa4cdcad1a9056e08206af489dc2c9481ec029be18daa0f32f1e84ac9a1d89649d45547526b03f7b15a7f77b6d0b";
const NOW: i64 = 1_764_547_200;

fn verifier() -> Verifier {
    let spec = r#"{
        "name": "urlkey",
        "signature_header": "X-Sig",
        "encoding": "hex",
        "signature_format": "single",
        "signed_content": "{method} {url} {timestamp}.{body}",
        "timestamp_header": "X-Ts",
        "tolerance_seconds": 300,
        "url_port_variants": true,
        "public_key": {"algorithm": "ed25519"}
    }"#;
    Verifier::builder(Scheme::from_json(spec).unwrap()).public_key(RFC8032_PUB_HEX).build().unwrap()
}

fn headers() -> Vec<(&'static str, &'static str)> {
    vec![("X-Sig", SIG), ("X-Ts", "1764547200")]
}

fn check(url: Option<&str>, method: Option<&str>) -> Result<usize, ErrorCode> {
    verifier()
        .verify_signature_with(BODY.as_bytes(), &headers(), NOW, &RequestTarget::new(url, method))
        .map(|v| v.key_index)
        .map_err(|e| e.code())
}

#[test]
fn the_signed_url_reaches_the_public_key_check() {
    assert_eq!(check(Some("https://example.com:443/hook?x=1"), Some("POST")), Ok(0));
    // Another spelling of the same URL: the port variant is what was signed.
    assert_eq!(check(Some("https://example.com/hook?x=1"), None), Ok(0));
}

#[test]
fn a_wrong_url_or_method_does_not_verify() {
    assert_eq!(check(Some("https://example.com/hook?x=2"), None), Err(ErrorCode::NoMatchingSignature));
    assert_eq!(check(Some("https://example.com/hook?x=1"), Some("PUT")), Err(ErrorCode::NoMatchingSignature));
}

#[test]
fn no_url_is_a_configuration_error() {
    assert_eq!(check(None, None), Err(ErrorCode::InvalidArgument));
}
