//! Issue 18 (b): `max_event_age` for senders that sign only the body (Reflex, Revnoxa, Reflow, a
//! generic "Webhooks API"): `{id, type, created_at, data}` with no timestamp header, so without it a
//! delivery whose signed `created_at` is in 2020 verifies.
//!
//! Signatures are computed with the `hmac`/`sha2` crates directly, never with hookverify's signer.

#[cfg(feature = "axum")]
mod support;

use hmac::{Hmac, Mac};
use hookverify::dedup::MemoryStore;
use hookverify::receiver::{Provider, Receiver, Request, Step};
use hookverify::{ErrorCode, Scheme, Verifier, VerifierOptions};

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "reflex-secret-0123456789";
const REFLEX: &str = r#"{"name":"reflex","signature_header":"X-Reflex-Signature"}"#;

fn hex_mac(secret: &str, parts: &[&[u8]]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    for p in parts {
        m.update(p);
    }
    hex::encode(m.finalize().into_bytes())
}

/// A Reflex delivery: the body with `created_at` as given (raw JSON text; `None`: absent), signed.
fn delivery(created_at: Option<&str>) -> (Vec<(String, String)>, Vec<u8>) {
    let body = match created_at {
        Some(t) => format!(r#"{{"id":"evt_1","type":"deployment.created","created_at":{t},"data":{{"n":1}}}}"#),
        None => r#"{"id":"evt_1","type":"deployment.created","data":{"n":1}}"#.to_owned(),
    };
    let sig = hex_mac(SECRET, &[body.as_bytes()]);
    (vec![("X-Reflex-Signature".to_owned(), sig)], body.into_bytes())
}

fn reflex(max_age: Option<u64>) -> Verifier {
    let mut b = Verifier::builder(Scheme::from_json(REFLEX).unwrap()).secret(SECRET);
    if let Some(age) = max_age {
        b = b.max_event_age(age);
    }
    b.build().unwrap()
}

fn rfc3339(t: i64) -> String {
    let dt = time::OffsetDateTime::from_unix_timestamp(t).unwrap();
    format!("\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\"", dt.year(), u8::from(dt.month()), dt.day(), dt.hour(), dt.minute(), dt.second())
}

/// The code of `verify_at`, `verify_ref_at` (which must agree), or "ok".
fn outcome(v: &Verifier, created_at: Option<&str>, now: i64) -> String {
    let (h, body) = delivery(created_at);
    let owned = v.verify_at(&body, &h, now).map(|_| ()).map_err(|e| e.code());
    let borrowed = v.verify_ref_at(&body, &h, now).map(|_| ()).map_err(|e| e.code());
    assert_eq!(owned, borrowed, "verify_at and verify_ref_at disagree");
    match owned {
        Ok(()) => "ok".into(),
        Err(code) => code.as_str().into(),
    }
}

#[test]
fn without_max_event_age_a_2020_delivery_verifies() {
    // The problem: nothing bounds the age of a body-signed delivery.
    assert_eq!(outcome(&reflex(None), Some(r#""2020-01-01T00:00:00Z""#), NOW), "ok");
}

#[test]
fn signed_created_at_is_checked_in_every_form() {
    let v = reflex(Some(300));
    assert_eq!(v.max_event_age(), Some(300));
    let cases: Vec<(String, &str)> = vec![
        // 2020, RFC 3339 and unix seconds (number and digit string).
        (r#""2020-01-01T00:00:00Z""#.into(), "timestamp_too_old"),
        ("1577836800".into(), "timestamp_too_old"),
        (r#""1577836800""#.into(), "timestamp_too_old"),
        // Now, in each form.
        (NOW.to_string(), "ok"),
        (format!("\"{NOW}\""), "ok"),
        (rfc3339(NOW), "ok"),
        (r#""2023-11-14T23:13:20+01:00""#.into(), "ok"),
        // The bounds are inclusive: exactly 300 s old is accepted, 301 s is not.
        ((NOW - 300).to_string(), "ok"),
        ((NOW - 301).to_string(), "timestamp_too_old"),
        (rfc3339(NOW - 301), "timestamp_too_old"),
        // The future: within the replay window (300 s for a scheme that signs no timestamp) is
        // clock skew; beyond it, and far in the future, is refused.
        ((NOW + 300).to_string(), "ok"),
        ((NOW + 301).to_string(), "timestamp_too_new"),
        (r#""2999-01-01T00:00:00Z""#.into(), "timestamp_too_new"),
        // Milliseconds are not seconds: a 13-digit number is not read as a date 50 000 years
        // ahead but refused as the envelope's error (a scheme declares `event.timestamp_format:
        // "unix_ms"` for senders that send milliseconds; core/tests/security_catalog.rs).
        ((NOW * 1000).to_string(), "invalid_json"),
        ("-1".into(), "timestamp_too_old"),
        // An absent or null timestamp is never silently accepted.
        ("null".into(), "missing_field"),
        // A timestamp that is not a time is the envelope's error, as without max_event_age.
        (r#""yesterday""#.into(), "invalid_json"),
    ];
    for (created_at, want) in &cases {
        assert_eq!(outcome(&v, Some(created_at), NOW), *want, "created_at {created_at}");
    }
    assert_eq!(outcome(&v, None, NOW), "missing_field");
}

#[test]
fn errors_say_which_bound_was_crossed() {
    let v = reflex(Some(600));
    let (h, body) = delivery(Some(&(NOW - 1000).to_string()));
    let err = v.verify_at(&body, &h, NOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TimestampTooOld);
    assert_eq!(err.details()["tolerance_seconds"], 600);
    assert_eq!(err.details()["skew_seconds"], -1000);
    let (h, body) = delivery(Some(&(NOW + 1000).to_string()));
    let err = v.verify_at(&body, &h, NOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TimestampTooNew);
    assert_eq!(err.details()["tolerance_seconds"], 300);
    let (h, body) = delivery(None);
    let err = v.verify_at(&body, &h, NOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::MissingField);
    assert_eq!(err.details()["field"], "timestamp");
    assert!(err.to_string().contains("/created_at"), "{err}");
}

#[test]
fn the_signature_is_checked_first() {
    let v = reflex(Some(300));
    let (mut h, body) = delivery(Some(r#""2020-01-01T00:00:00Z""#));
    h[0].1 = hex_mac("another-secret", &[&body]);
    assert_eq!(v.verify_at(&body, &h, NOW).unwrap_err().code(), ErrorCode::NoMatchingSignature);
}

#[test]
fn verify_signature_alone_parses_no_event_and_does_not_check_the_age() {
    let v = reflex(Some(300));
    let (h, body) = delivery(Some(r#""2020-01-01T00:00:00Z""#));
    assert!(v.verify_signature_at(&body, &h, NOW).is_ok());
}

#[test]
fn the_receiver_pipeline_applies_it() {
    let receiver: Receiver<&str> = {
        let mut r = Receiver::new(vec![Provider::new("reflex", reflex(Some(300)))], Box::new(MemoryStore::default())).unwrap();
        r.on("*", "any");
        r
    };
    let begin = |created_at: Option<&str>| {
        let (h, body) = delivery(created_at);
        match receiver.begin(Request { method: "POST", path: "/hooks", headers: &h, body: &body, now: NOW }) {
            Step::Respond(d) => (d.status, d.body),
            Step::Run(d) => (0, d.event.id.clone()),
        }
    };
    let (status, body) = begin(Some(r#""2020-01-01T00:00:00Z""#));
    assert_eq!(status, 401);
    assert!(body.contains("timestamp_too_old"), "{body}");
    let (status, body) = begin(Some(r#""2999-01-01T00:00:00Z""#));
    assert_eq!(status, 401);
    assert!(body.contains("timestamp_too_new"), "{body}");
    let (status, body) = begin(None);
    assert_eq!(status, 400);
    assert!(body.contains("missing_field"), "{body}");
    assert_eq!(begin(Some(&NOW.to_string())), (0, "evt_1".to_owned()));
}

#[test]
fn options_json_accepts_both_spellings() {
    for key in ["max_event_age", "maxEventAge"] {
        let json = format!(r#"{{"scheme":{REFLEX},"secret":"{SECRET}","{key}":120}}"#);
        let v = VerifierOptions::from_json(&json).unwrap().build().unwrap();
        assert_eq!(v.max_event_age(), Some(120));
        assert_eq!(outcome(&v, Some(&(NOW - 121).to_string()), NOW), "timestamp_too_old");
    }
    let json = format!(r#"{{"scheme":{REFLEX},"secret":"{SECRET}","maxEventAge":-5}}"#);
    assert_eq!(VerifierOptions::from_json(&json).unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn an_unsigned_or_absent_event_timestamp_cannot_carry_max_event_age() {
    // "whsec_c2VjcmV0" is a valid secret for every scheme (standard decodes it, the others take it as text).
    let build = |scheme: Scheme| Verifier::builder(scheme).secret("whsec_c2VjcmV0").max_event_age(300).build();
    // Shopify's X-Shopify-Triggered-At is not signed; GitHub maps no event timestamp.
    let err = build(Scheme::preset("shopify").unwrap()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("X-Shopify-Triggered-At") && err.to_string().contains("does not cover"), "{err}");
    let err = build(Scheme::preset("github").unwrap()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("maps no event timestamp"), "{err}");
    // A custom scheme reading the time from an unsigned header, alone or as an alternative.
    for ts in [r#"{"header":"X-Reflex-Time"}"#, r#"["/created_at", {"header":"X-Reflex-Time"}]"#] {
        let spec = format!(r#"{{"name":"r","signature_header":"X-Reflex-Signature","event":{{"timestamp":{ts}}}}}"#);
        let err = build(Scheme::from_json(&spec).unwrap()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{ts}");
        assert!(err.to_string().contains("X-Reflex-Time"), "{err}");
    }
    // The same refusal through the options object.
    let json = r#"{"scheme":"shopify","secret":"s","maxEventAge":300}"#;
    assert_eq!(VerifierOptions::from_json(json).unwrap().build().unwrap_err().code(), ErrorCode::InvalidArgument);
    // Signed sources are fine: a body pointer, or the signed timestamp header.
    for name in ["stripe", "standard", "slack"] {
        assert!(build(Scheme::preset(name).unwrap()).is_ok(), "{name}");
    }
    let spec = r#"{"name":"t","signature_header":"S","timestamp_header":"T","signed_content":"{timestamp}.{body}","event":{"timestamp":{"header":"T"}}}"#;
    assert!(build(Scheme::from_json(spec).unwrap()).is_ok());
}

#[test]
fn a_timestamped_scheme_checks_the_envelope_time_or_the_signed_header() {
    // Standard Webhooks: `/timestamp` in the body, else the signed webhook-timestamp header.
    let secret_b64 = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let key = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, secret_b64).unwrap();
    let v =
        Verifier::builder(Scheme::preset("standard").unwrap()).secret(&format!("whsec_{secret_b64}")).max_event_age(3600).build().unwrap();
    let signed = |body: &str, ts: i64| {
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        m.update(format!("msg_1.{ts}.{body}").as_bytes());
        let sig = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, m.finalize().into_bytes());
        vec![
            ("webhook-id".to_owned(), "msg_1".to_owned()),
            ("webhook-timestamp".to_owned(), ts.to_string()),
            ("webhook-signature".to_owned(), format!("v1,{sig}")),
        ]
    };
    // A retry signed now of an event from yesterday: the window passes, the event's age does not.
    let body = r#"{"type":"t.x","timestamp":"2023-11-13T22:13:20Z","data":{}}"#;
    let err = v.verify_at(body.as_bytes(), &signed(body, NOW), NOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TimestampTooOld);
    assert_eq!(err.details()["tolerance_seconds"], 3600);
    let fresh = r#"{"type":"t.x","timestamp":"2023-11-14T22:00:00Z","data":{}}"#;
    assert!(v.verify_at(fresh.as_bytes(), &signed(fresh, NOW), NOW).is_ok());
    // No body timestamp: the signed header's is the event's.
    let bare = r#"{"type":"t.x","data":{}}"#;
    assert_eq!(v.verify_at(bare.as_bytes(), &signed(bare, NOW), NOW).unwrap().timestamp, Some(NOW));
}

#[cfg(feature = "axum")]
mod axum_receiver {
    use hookverify::axum::Webhooks;
    use hookverify::{unix_now, MemoryStore, Provider};

    fn post(port: u16, headers: &[(String, String)], body: &[u8]) -> (u16, String) {
        let (status, _, body) = crate::support::post(port, "/webhooks", headers, body);
        (status, body)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_axum_receiver_applies_it() {
        let hooks = Webhooks::new(vec![Provider::new("reflex", super::reflex(Some(300)))], MemoryStore::default())
            .unwrap()
            .on("*", |_ctx: hookverify::axum::Context| async { Ok(()) });
        let port = crate::support::serve(axum::Router::new().route("/webhooks", hooks.into_method_router())).await;
        let (status, body) = tokio::task::spawn_blocking(move || {
            let (h, body) = super::delivery(Some(r#""2020-01-01T00:00:00Z""#));
            post(port, &h, &body)
        })
        .await
        .unwrap();
        assert_eq!(status, 401);
        assert!(body.contains("timestamp_too_old"), "{body}");
        let (status, body) = tokio::task::spawn_blocking(move || {
            let (h, body) = super::delivery(Some(&unix_now().to_string()));
            post(port, &h, &body)
        })
        .await
        .unwrap();
        assert_eq!(status, 202, "{body}");
    }
}
