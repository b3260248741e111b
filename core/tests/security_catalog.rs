//! The scheme-engine extensions of issue 19 (items 1 and 4): each rule, its bounds and its
//! failure modes, beyond the per-preset vectors of tests/vectors/presets.json.
//!
//! Expected signatures come from an official SDK test (Adyen's hex-key vector), from Python's
//! `base64`, or from the `hmac` crate directly, never from hookverify's signer.

use std::sync::atomic::{AtomicUsize, Ordering};

use hmac::{Hmac, Mac};
use hookverify::scheme::DedupBasis;
use hookverify::{diagnose, ErrorCode, MemoryStore, Mode, Provider, Receiver, Request, Scheme, Step, Verifier};

type Headers = Vec<(String, String)>;

fn h(pairs: &[(&str, &str)]) -> Headers {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn mac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    hex::encode(m.finalize().into_bytes())
}

fn code<T: std::fmt::Debug>(r: hookverify::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

// ---------------------------------------------------------------------------------------------
// Hex keys
// ---------------------------------------------------------------------------------------------

/// Adyen/adyen-node-api-library src/__tests__/hmacValidator.spec.ts @02bab06c ("should encrypt
/// correctly"): HMAC-SHA256 under the hex-decoded key, base64. The signed string stands in as body.
#[test]
fn hex_secret_encoding_decodes_the_key() {
    let spec = r#"{"name":"hexkey","signature_header":"X-Sig","encoding":"base64","secret_encoding":"hex"}"#;
    let body = br"countryCode:currencyCode:merchantAccount:merchantReference:paymentAmount:sessionValidity:skinCode:NL:EUR:MagentoMerchantTest2:TEST-PAYMENT-2017-02-01-14\:02\:05:199:2017-02-02T14\:02\:05+01\:00:PKz2KML1";
    let headers = h(&[("X-Sig", "34oR8T1whkQWTv9P+SzKyp8zhusf9n0dpqrm9nsqSJs=")]);
    let key = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";
    let v = Verifier::new(Scheme::from_json(spec).unwrap(), [key]).unwrap();
    assert_eq!(v.verify_signature_at(body, &headers, 0).unwrap().key_index, 0);
    // Lowercase hex is the same key.
    let v = Verifier::new(Scheme::from_json(spec).unwrap(), [key.to_lowercase()]).unwrap();
    assert!(v.verify_signature_at(body, &headers, 0).is_ok());
    // The same text used as UTF-8 is another key.
    let utf8 = Scheme::from_json(&spec.replace(r#""secret_encoding":"hex""#, r#""secret_encoding":"utf8""#)).unwrap();
    assert_eq!(code(Verifier::new(utf8, [key]).unwrap().verify_signature_at(body, &headers, 0)), ErrorCode::NoMatchingSignature);
    // Not hex: invalid_secret, and the message does not quote it.
    let err = Verifier::new(Scheme::from_json(spec).unwrap(), ["zz-not-hex-SECRETVALUE"]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSecret);
    assert!(!err.to_string().contains("SECRETVALUE"), "{err}");
    assert_eq!(Verifier::new(Scheme::from_json(spec).unwrap(), ["abc"]).unwrap_err().code(), ErrorCode::InvalidSecret);
}

// ---------------------------------------------------------------------------------------------
// Shared tokens
// ---------------------------------------------------------------------------------------------

const TOKEN: &str = "glpat-SECRETTOKENVALUE-0123";

#[test]
fn tokens_match_exactly_and_rotate_like_secrets() {
    let v = Verifier::new(Scheme::preset("gitlab").unwrap(), ["old-token-value", TOKEN]).unwrap();
    let body = br#"{"object_kind":"push"}"#;
    assert_eq!(v.verify_signature_at(body, &h(&[("X-Gitlab-Token", TOKEN)]), 0).unwrap().key_index, 1);
    assert_eq!(v.verify_signature_at(body, &h(&[("X-Gitlab-Token", "old-token-value")]), 0).unwrap().key_index, 0);
    for wrong in [&TOKEN[..TOKEN.len() - 1], "glpat-SECRETTOKENVALUE-01234", "GLPAT-SECRETTOKENVALUE-0123", " "] {
        let err = v.verify_signature_at(body, &h(&[("X-Gitlab-Token", wrong)]), 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NoMatchingSignature, "{wrong:?}");
        assert!(!err.to_string().contains("SECRETTOKEN"), "{err}");
    }
    assert_eq!(code(v.verify_signature_at(body, &h(&[]), 0)), ErrorCode::MissingHeader);
    // Rotation: the old token stops working the moment it is removed.
    v.set_secrets([TOKEN]).unwrap();
    assert_eq!(code(v.verify_signature_at(body, &h(&[("X-Gitlab-Token", "old-token-value")]), 0)), ErrorCode::NoMatchingSignature);
    assert_eq!(v.verify_signature_at(body, &h(&[("X-Gitlab-Token", TOKEN)]), 0).unwrap().key_index, 0);
}

#[test]
fn a_presented_token_is_never_quoted() {
    let v = Verifier::new(Scheme::preset("gitlab").unwrap(), [TOKEN]).unwrap();
    let body = br#"{"object_kind":"push"}"#;
    // The right token with a typo that makes it non-ASCII, repeated, or overlong.
    let typo = format!("{TOKEN}\u{e9}");
    let cases: Vec<Headers> = vec![
        vec![("X-Gitlab-Token".into(), typo)],
        h(&[("X-Gitlab-Token", TOKEN), ("X-Gitlab-Token", TOKEN)]),
        vec![("X-Gitlab-Token".into(), format!("{TOKEN}{}", "x".repeat(20_000)))],
    ];
    for headers in cases {
        let err = v.verify_signature_at(body, &headers, 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedHeader);
        let text = format!("{err} {err:?} {}", err.details());
        assert!(!text.contains("SECRETTOKEN"), "{text}");
        let report = diagnose(body, &headers, &[TOKEN], Some(&Scheme::preset("gitlab").unwrap()), 0);
        assert!(!report.to_json().contains("SECRETTOKEN"), "{}", report.to_json());
    }
    let report = diagnose(body, &h(&[("X-Gitlab-Token", TOKEN)]), &[TOKEN], None, 0);
    assert!(report.valid && report.detected);
    assert!(!report.to_json().contains("SECRETTOKEN"));
    assert!(!format!("{v:?}").contains("SECRETTOKEN"));
}

/// `Authorization: Basic <base64(user:password)>`; the expected header is Python's
/// `base64.b64encode(b"hookverify:p0stm4rk-t0ken")`.
#[test]
fn basic_auth_compares_the_decoded_credentials() {
    let spec = r#"{"name":"postmark","signature_header":"Authorization","signature_format":"basic","event":{"id":"/MessageID","type":"/RecordType","timestamp":null,"data":""}}"#;
    let v = Verifier::new(Scheme::from_json(spec).unwrap(), ["hookverify:p0stm4rk-t0ken"]).unwrap();
    let body = br#"{"RecordType":"Delivery","MessageID":"m1"}"#;
    for good in ["Basic aG9va3ZlcmlmeTpwMHN0bTRyay10MGtlbg==", "basic aG9va3ZlcmlmeTpwMHN0bTRyay10MGtlbg=="] {
        let event = v.verify_at(body, &h(&[("Authorization", good)]), 0).unwrap();
        assert_eq!((event.id.as_str(), event.event_type.as_str()), ("m1", "Delivery"));
    }
    // Other credentials, another auth scheme, not base64: none quoted.
    let cases = [
        ("Basic aG9va3ZlcmlmeTpwMHN0bTRyay10MGtlbQ==", ErrorCode::NoMatchingSignature),
        ("Bearer hookverify:p0stm4rk-t0ken", ErrorCode::MalformedHeader),
        ("Basic hookverify:p0stm4rk-t0ken", ErrorCode::MalformedHeader),
        ("hookverify:p0stm4rk-t0ken", ErrorCode::MalformedHeader),
    ];
    for (value, want) in cases {
        let err = v.verify_signature_at(body, &h(&[("Authorization", value)]), 0).unwrap_err();
        assert_eq!(err.code(), want, "{value}");
        assert!(!err.to_string().contains("p0stm4rk"), "{err}");
    }
}

#[test]
fn token_schemes_take_no_mac_settings() {
    for bad in [
        r#"{"name":"t","signature_header":"X-T","signature_format":"token","timestamp_header":"X-Ts","signed_content":"{timestamp}{body}"}"#,
        r#"{"name":"t","signature_header":"X-T","signature_format":"token","prefix":"Bearer "}"#,
        r#"{"name":"t","signature_header":"X-T","signature_format":"token","signed_content":"x{body}"}"#,
        r#"{"name":"t","signature_header":"X-T","signature_format":"basic","extra_signature_headers":["X-U"]}"#,
    ] {
        assert_eq!(Scheme::from_json(bad).unwrap_err().code(), ErrorCode::InvalidScheme, "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// kv separators, timestamp formats, extra headers, templates
// ---------------------------------------------------------------------------------------------

#[test]
fn kv_separator_and_timestamp_key() {
    let v = Verifier::new(Scheme::preset("paddle").unwrap(), ["k"]).unwrap();
    let body = br#"{"event_id":"e","event_type":"t","data":{}}"#;
    let sig = mac_hex(b"k", &[b"1700000000:", body]);
    let ok = |value: String| v.verify_signature_at(body, &h(&[("Paddle-Signature", &value)]), 1_700_000_000).map(|r| r.key_index);
    assert!(ok(format!("ts=1700000000;h1={sig}")).is_ok());
    assert!(ok(format!("h2=x;h1=00;ts=1700000000;h1={sig}")).is_ok(), "order and unknown keys do not matter");
    // Stripe's spelling is not Paddle's.
    assert_eq!(code(ok(format!("t=1700000000,v1={sig}"))), ErrorCode::MalformedHeader);
    assert_eq!(code(ok(format!("ts=1700000000;ts=1700000000;h1={sig}"))), ErrorCode::MalformedHeader);
    assert_eq!(code(ok(format!("ts=1700000000; h1={sig}"))), ErrorCode::MalformedHeader, "joined headers");
    for bad in [
        r#"{"name":"x","signature_header":"S","signature_format":"kv","signed_content":"{timestamp}.{body}","kv_separator":"="}"#,
        r#"{"name":"x","signature_header":"S","signature_format":"kv","signed_content":"{timestamp}.{body}","kv_separator":" "}"#,
        r#"{"name":"x","signature_header":"S","signature_format":"kv","signed_content":"{timestamp}.{body}","timestamp_key":"a=b"}"#,
        r#"{"name":"x","signature_header":"S","signature_format":"kv","signed_content":"{timestamp}.{body}","timestamp_key":"v1"}"#,
        r#"{"name":"x","signature_header":"S","kv_separator":";"}"#,
    ] {
        assert_eq!(Scheme::from_json(bad).unwrap_err().code(), ErrorCode::InvalidScheme, "{bad}");
    }
}

#[test]
fn declared_timestamp_formats_set_the_window() {
    let spec = |fmt: &str| {
        Scheme::from_json(&format!(
            r#"{{"name":"x","signature_header":"S","timestamp_header":"T","signed_content":"{{timestamp}}.{{body}}","timestamp_format":"{fmt}","tolerance_seconds":60}}"#
        ))
        .unwrap()
    };
    let body = b"{}";
    let check = |fmt: &str, ts: &str, now: i64| {
        let sig = mac_hex(b"k", &[ts.as_bytes(), b".", body]);
        Verifier::new(spec(fmt), ["k"]).unwrap().verify_signature_at(body, &h(&[("S", &sig), ("T", ts)]), now).map(|v| v.timestamp)
    };
    assert_eq!(check("unix_ms", "1700000000999", 1_700_000_060).unwrap(), Some(1_700_000_000));
    assert_eq!(code(check("unix_ms", "1700000000999", 1_700_000_061)), ErrorCode::TimestampTooOld);
    assert_eq!(code(check("unix_ms", "1700000000", 1_700_000_000)), ErrorCode::MalformedTimestamp);
    assert_eq!(check("rfc3339", "2023-11-14T22:13:20Z", 1_700_000_000).unwrap(), Some(1_700_000_000));
    assert_eq!(check("rfc3339", "2023-11-14T23:13:20+01:00", 1_700_000_000).unwrap(), Some(1_700_000_000));
    assert_eq!(code(check("rfc3339", "2023-11-14T22:13:20Z", 1_700_000_061)), ErrorCode::TimestampTooOld);
    assert_eq!(code(check("rfc3339", "1700000000", 1_700_000_000)), ErrorCode::MalformedTimestamp);
    assert_eq!(code(check("unix", "1700000000000", 1_700_000_000)), ErrorCode::MalformedTimestamp);
}

/// The old note "a millisecond created_at is read as seconds": `auto` refuses it, `unix_ms` reads it.
#[test]
fn millisecond_event_timestamps_are_declared_not_guessed() {
    let spec = |fmt: &str| {
        Scheme::from_json(&format!(
            r#"{{"name":"x","signature_header":"S","event":{{"id":"/id","type":"/type","timestamp":"/created_at","timestamp_format":"{fmt}","data":""}}}}"#
        ))
        .unwrap()
    };
    let body = br#"{"id":"e","type":"t","created_at":1700000000123}"#;
    let headers = h(&[("S", &mac_hex(b"k", &[body]))]);
    let auto = Verifier::builder(spec("auto")).secret("k").max_event_age(300).build().unwrap();
    assert_eq!(code(auto.verify_at(body, &headers, 1_700_000_000)), ErrorCode::InvalidJson);
    let ms = Verifier::builder(spec("unix_ms")).secret("k").max_event_age(300).build().unwrap();
    assert_eq!(ms.verify_at(body, &headers, 1_700_000_000).unwrap().timestamp, Some(1_700_000_000));
    assert_eq!(code(ms.verify_at(body, &headers, 1_700_000_301)), ErrorCode::TimestampTooOld);
}

#[test]
fn extra_signature_headers_are_each_optional_and_bounded() {
    let scheme = Scheme::preset("docusign").unwrap();
    let body = br#"{"event":"envelope-sent","data":{"envelopeId":"1"}}"#;
    let b64 = |key: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(hex::decode(mac_hex(key, &[body])).unwrap())
    };
    let v = Verifier::new(scheme.clone(), ["new"]).unwrap();
    let old = b64(b"old");
    let new = b64(b"new");
    assert!(v.verify_signature_at(body, &h(&[("X-DocuSign-Signature-1", &old), ("X-DocuSign-Signature-3", &new)]), 0).is_ok());
    assert!(v.verify_signature_at(body, &h(&[("X-DocuSign-Signature-1", &new)]), 0).is_ok());
    // The first header is the one that must be present.
    assert_eq!(code(v.verify_signature_at(body, &h(&[("X-DocuSign-Signature-2", &new)]), 0)), ErrorCode::MissingHeader);
    // A repeated extra header is malformed, as a repeated signature header is.
    let twice = h(&[("X-DocuSign-Signature-1", &old), ("X-DocuSign-Signature-2", &new), ("X-DocuSign-Signature-2", &new)]);
    assert_eq!(code(v.verify_signature_at(body, &twice, 0)), ErrorCode::MalformedHeader);
    let many: Vec<String> = (2..=33).map(|n| format!("\"X-S-{n}\"")).collect();
    let too_many = format!(r#"{{"name":"x","signature_header":"X-S-1","extra_signature_headers":[{}]}}"#, many.join(","));
    assert_eq!(Scheme::from_json(&too_many).unwrap_err().code(), ErrorCode::InvalidScheme);
    let list = r#"{"name":"x","signature_header":"S","signature_format":"list","extra_signature_headers":["S2"]}"#;
    assert_eq!(Scheme::from_json(list).unwrap_err().code(), ErrorCode::InvalidScheme);
    assert!(scheme.header_names().contains(&"X-DocuSign-Signature-10"));
}

#[test]
fn templates_without_the_body_must_dedup_on_a_signed_field() {
    let base = r#""name":"x","signature_header":"","signature_pointer":"/s/sig","timestamp_pointer":"/s/ts","token_pointer":"/s/tok""#;
    let ok = format!(r#"{{{base},"signed_content":"{{timestamp}}{{token}}","dedup_key":"/s/tok"}}"#);
    assert_eq!(Scheme::from_json(&ok).unwrap().dedup_basis(), DedupBasis::Configured { signed: true });
    for bad in [
        format!(r#"{{{base},"signed_content":"{{timestamp}}{{token}}"}}"#),
        format!(r#"{{{base},"signed_content":"{{timestamp}}{{token}}","dedup_key":"/id"}}"#),
        format!(r#"{{{base},"signed_content":"{{timestamp}}","dedup_key":"/s/ts"}}"#),
        r#"{"name":"x","signature_header":"S","signed_content":"{token}{body}"}"#.to_owned(),
        r#"{"name":"x","signature_header":"S","signature_pointer":"/sig"}"#.to_owned(),
        r#"{"name":"x","signature_header":"","signature_pointer":"/sig","signature_format":"kv","signed_content":"{timestamp}.{body}"}"#
            .to_owned(),
        r#"{"name":"x","signature_header":"S","timestamp_header":"T","timestamp_pointer":"/t","signed_content":"{timestamp}{body}"}"#
            .to_owned(),
    ] {
        assert_eq!(Scheme::from_json(&bad).unwrap_err().code(), ErrorCode::InvalidScheme, "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Body fields: bounded, unambiguous, and dedup on signed content
// ---------------------------------------------------------------------------------------------

const MAILGUN_KEY: &str = "mailgun-signing-key";

fn mailgun_body(token: &str, event_id: &str) -> Vec<u8> {
    let sig = mac_hex(MAILGUN_KEY.as_bytes(), &[b"1700000000", token.as_bytes()]);
    format!(
        r#"{{"signature":{{"timestamp":"1700000000","token":"{token}","signature":"{sig}"}},"event-data":{{"event":"delivered","id":"{event_id}"}}}}"#
    )
    .into_bytes()
}

#[test]
fn body_fields_are_read_once_with_the_envelope_parsers_bounds() {
    let v = Verifier::new(Scheme::preset("mailgun").unwrap(), [MAILGUN_KEY]).unwrap();
    let none: Headers = Vec::new();
    assert!(v.verify_at(&mailgun_body("tok1", "e1"), &none, 1_700_000_000).is_ok());
    // A duplicated key on the signature's path: two parsers could read two values. Refused.
    let sig = mac_hex(MAILGUN_KEY.as_bytes(), &[b"1700000000tok1"]);
    let dup = format!(r#"{{"signature":{{"timestamp":"1700000000","token":"tok1","token":"tok2","signature":"{sig}"}}}}"#);
    assert_eq!(code(v.verify_signature_at(dup.as_bytes(), &none, 1_700_000_000)), ErrorCode::InvalidJson);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(code(v.verify_signature_at(deep.as_bytes(), &none, 1_700_000_000)), ErrorCode::InvalidJson);
    assert_eq!(code(v.verify_signature_at(b"not json", &none, 1_700_000_000)), ErrorCode::InvalidJson);
    assert_eq!(code(v.verify_signature_at(br#"{"signature":{}}"#, &none, 1_700_000_000)), ErrorCode::MissingField);
    // The size cap comes before any parsing.
    let capped = Verifier::builder(Scheme::preset("mailgun").unwrap()).secret(MAILGUN_KEY).max_body_bytes(64).build().unwrap();
    assert_eq!(code(capped.verify_signature_at(&mailgun_body("tok1", "e1"), &none, 1_700_000_000)), ErrorCode::PayloadTooLarge);
    // The window applies to the signed body timestamp.
    assert_eq!(code(v.verify_signature_at(&mailgun_body("tok1", "e1"), &none, 1_700_000_301)), ErrorCode::TimestampTooOld);
}

#[test]
fn mailgun_deliveries_are_identified_by_the_signed_token() {
    let verifier = Verifier::new(Scheme::preset("mailgun").unwrap(), [MAILGUN_KEY]).unwrap();
    let mut r: Receiver<()> = Receiver::new(vec![Provider::new("mailgun", verifier)], Box::new(MemoryStore::default())).unwrap();
    r.on("*", ()).mode(Mode::Sync);
    let runs = AtomicUsize::new(0);
    let none: Headers = Vec::new();
    let deliver = |body: &[u8]| match r.begin(Request { method: "POST", path: "/", headers: &none, body, now: 1_700_000_000 }) {
        Step::Respond(d) => Err(d.status),
        Step::Run(d) => {
            runs.fetch_add(1, Ordering::SeqCst);
            assert_eq!(r.finish(&d, true).status, 200);
            Ok(d.key.clone())
        }
    };
    assert_eq!(deliver(&mailgun_body("tok1", "e1")).unwrap(), "|mailgun|tok1");
    // The captured signature object with other (unsigned) event-data: the same delivery.
    assert_eq!(deliver(&mailgun_body("tok1", "forged")), Err(200));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(deliver(&mailgun_body("tok2", "e1")).is_ok());
}

#[test]
fn no_event_id_means_the_body_digest() {
    let scheme = Scheme::preset("lemonsqueezy").unwrap();
    assert_eq!(scheme.dedup_basis(), DedupBasis::Digest);
    let body = br#"{"meta":{"event_name":"order_created"},"data":{"id":"1"}}"#;
    let headers = h(&[("X-Signature", &mac_hex(b"k", &[body]))]);
    let event = Verifier::new(scheme, ["k"]).unwrap().verify_at(body, &headers, 0).unwrap();
    use sha2::Digest as _;
    assert_eq!(event.id, format!("sha256:{}", hex::encode(sha2::Sha256::digest(body))));
    assert_eq!(event.event_type, "order_created");
}

#[test]
fn fixed_values_and_envelope_rules() {
    let xero = Scheme::preset("xero").unwrap();
    let body = br#"{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"X"}"#;
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD.encode(hex::decode(mac_hex(b"k", &[body])).unwrap());
    let event = Verifier::new(xero, ["k"]).unwrap().verify_at(body, &h(&[("x-xero-signature", &sig)]), 0).unwrap();
    assert_eq!(event.event_type, "intent_to_receive");
    for bad in [
        r#"{"name":"x","signature_header":"S","event":{"type":{"value":""}}}"#,
        r#"{"name":"x","signature_header":"S","event":{"type":{"value":"a","pointer":"/b"}}}"#,
    ] {
        assert_eq!(Scheme::from_json(bad).unwrap_err().code(), ErrorCode::InvalidScheme, "{bad}");
    }
}
