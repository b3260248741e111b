//! The signer's key rules (issue 19, item 8): private keys for public-key schemes, the request line
//! for URL-signing schemes. Signature values are checked against independent implementations in
//! tests/python/test_sign_keys.py and test_twilio_interop.py; here, the typed errors, the redaction,
//! and the key derivation against RFC 8032 section 7.1 TEST 1.

use hookverify::{ErrorCode, PrivateKey, PublicKey, PublicKeyAlgorithm, RequestTarget, Scheme, Signer};

/// RFC 8032 section 7.1 TEST 1.
const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn discord() -> Scheme {
    Scheme::preset("discord").unwrap()
}

#[test]
fn a_private_key_derives_the_rfc_public_key_and_is_never_printed() {
    let key = PrivateKey::parse(PublicKeyAlgorithm::Ed25519, SEED).unwrap();
    let public = PublicKey::parse(PublicKeyAlgorithm::Ed25519, PUBLIC, 1).unwrap();
    assert_eq!(key.public_fingerprint(), public.fingerprint());
    let signer = Signer::with_private_key(discord(), SEED).unwrap();
    for text in [format!("{key:?}"), format!("{signer:?}")] {
        assert!(!text.contains(&SEED[..12]), "{text}");
    }
    // The signer's signature verifies with the RFC's public key (our verifier; cryptography checks it
    // independently in tests/python/test_sign_keys.py).
    let headers = signer.sign(b"{}", None, Some(1_700_000_000)).unwrap();
    let v = hookverify::Verifier::builder(discord()).public_key(PUBLIC).build().unwrap();
    assert_eq!(v.verify_signature_at(b"{}", &headers, 1_700_000_000).unwrap().key_index, 0);
}

#[test]
fn key_mixups_are_typed_errors_that_do_not_quote_the_key() {
    let err = Signer::new(discord(), "a-secret").unwrap().sign(b"{}", None, Some(1)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("private key"), "{err}");
    let err = Signer::with_private_key(Scheme::preset("github").unwrap(), SEED).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    let err = Signer::from_keys(discord(), Some("s"), Some(SEED)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    let err = Signer::from_keys(discord(), None, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    let short = &SEED[..62];
    let err = Signer::with_private_key(discord(), short).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSecret);
    assert!(!err.to_string().contains(&short[..12]), "{err}");
    // A P-256 scheme refuses an Ed25519 seed; a PEM that is not a key is refused.
    let sendgrid = Scheme::preset("sendgrid").unwrap();
    assert_eq!(Signer::with_private_key(sendgrid.clone(), SEED).unwrap_err().code(), ErrorCode::InvalidSecret);
    let pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
    assert_eq!(Signer::with_private_key(sendgrid, pem).unwrap_err().code(), ErrorCode::InvalidSecret);
}

#[test]
fn twilio_body_sha256_must_be_the_bodys() {
    let signer = Signer::new(Scheme::preset("twilio").unwrap(), "tw").unwrap();
    let body = br#"{"a":1}"#;
    // sha256sum of the body, computed with coreutils.
    let hash = "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862";
    let url = format!("https://h.example/t?bodySHA256={hash}");
    assert!(signer.sign_request(body, None, None, &RequestTarget::new(Some(&url), None)).is_ok());
    let err = signer.sign_request(b"{\"a\":2}", None, None, &RequestTarget::new(Some(&url), None)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("bodySHA256"), "{err}");
    let err = signer.sign(body, None, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
}
