//! Envelope parsing: `Verifier::verify_at` on arbitrary bodies carrying a valid signature
//! computed here with the raw `hookverify::secret::hmac` primitive, so every input gets past
//! the signature check and into the JSON envelope parser of each preset's mapping.
#![no_main]

use base64::Engine as _;
use hookverify::secret::hmac;
use hookverify::{Algorithm, ErrorCode, Scheme, Secret, Verifier};
use hookverify_fuzz::{check_error, secret_of, verifiers, NOW};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static GENERIC: LazyLock<Verifier> = LazyLock::new(|| {
    let scheme = Scheme::from_json(r#"{"name":"generic","signature_header":"X-Webhook-Signature"}"#).unwrap();
    Verifier::new(scheme, [secret_of("generic")]).unwrap()
});

fn mac(preset: &str, message: &[u8]) -> Vec<u8> {
    let secret = secret_of(preset);
    let key = if preset == "standard" { Secret::from_whsec(secret).unwrap().expose_bytes().to_vec() } else { secret.as_bytes().to_vec() };
    hmac(Algorithm::Sha256, &key, message)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn check(verifier: &Verifier, headers: &[(&str, String)], body: &[u8]) {
    // The signature is right, so only the envelope can fail.
    verifier.verify_signature_at(body, headers, NOW).unwrap_or_else(|e| panic!("valid signature rejected: {e}"));
    match verifier.verify_at(body, headers, NOW) {
        Ok(event) => {
            if let Some(range) = event.data_range() {
                assert_eq!(&body[range], event.data_json().as_bytes(), "data_range disagrees with data_json");
            }
            let _ = event.data();
        }
        Err(e) => check_error(&e, &[ErrorCode::InvalidJson, ErrorCode::MissingField]),
    }
}

fuzz_target!(|body: &[u8]| {
    let b64 = |t: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(t);
    let ts = NOW.to_string();
    let t = ts.as_bytes();
    check(&GENERIC, &[("X-Webhook-Signature", hex::encode(mac("generic", body)))], body);
    check(
        &verifiers("github").0,
        &[
            ("X-Hub-Signature-256", format!("sha256={}", hex::encode(mac("github", body)))),
            ("X-GitHub-Event", "issues".into()),
            ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958".into()),
        ],
        body,
    );
    check(
        &verifiers("stripe").0,
        &[("Stripe-Signature", format!("t={ts},v1={}", hex::encode(mac("stripe", &cat(&[t, b".", body])))))],
        body,
    );
    check(
        &verifiers("standard").0,
        &[
            ("webhook-id", "msg_1".into()),
            ("webhook-timestamp", ts.clone()),
            ("webhook-signature", format!("v1,{}", b64(mac("standard", &cat(&[b"msg_1.", t, b".", body]))))),
        ],
        body,
    );
    check(
        &verifiers("slack").0,
        &[
            ("X-Slack-Request-Timestamp", ts.clone()),
            ("X-Slack-Signature", format!("v0={}", hex::encode(mac("slack", &cat(&[b"v0:", t, b":", body]))))),
        ],
        body,
    );
    check(
        &verifiers("shopify").0,
        &[
            ("X-Shopify-Hmac-Sha256", b64(mac("shopify", body))),
            ("X-Shopify-Topic", "orders/create".into()),
            ("X-Shopify-Webhook-Id", "b54557e4".into()),
            ("X-Shopify-Triggered-At", "2023-11-14T22:13:20Z".into()),
        ],
        body,
    );
});
