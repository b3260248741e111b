//! Issue 16, items 6, 8, 9 and 13: what errors and answers may say, and which header values are
//! one header.
//!
//! - Options errors never quote a value (a mis-typed secret would be echoed).
//! - Header values that are two header lines joined with `,`/`, ` are `malformed_header`, and so
//!   is any byte outside visible ASCII + SP/HTAB, whether it arrives as bytes or as text.
//! - Whitespace-only secrets are `invalid_secret`.
//! - The HTTP answer to an unauthenticated request does not say how many secrets are live, which
//!   other providers the endpoint serves, or what the dedup store's error was.
//!
//! Signatures are computed with the `hmac`/`sha2` crates directly, not with hookverify.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use hookverify::dedup::MemoryStore;
use hookverify::receiver::{Decision, Provider, Receiver, Request, Step};
use hookverify::{Error, ErrorCode, Scheme, Signer, Verifier, VerifierOptions};

const NOW: i64 = 1_700_000_000;
const CANARY: &str = "whsec_QZcanarySECRET0123456789";
const CANARY_NUM: &str = "987654321987";

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn assert_no_canary(err: &Error, what: &str) {
    let shown = format!("{err} | {err:?} | {} | {}", err.details(), err.public_message());
    for canary in [CANARY, "QZcanarySECRET", CANARY_NUM] {
        assert!(!shown.contains(canary), "{what}: the error shows the value: {shown}");
    }
}

#[test]
fn verifier_options_errors_never_quote_a_value() {
    let cases = [
        format!(r#"{{"scheme":"stripe","secrets":"{CANARY}"}}"#),
        format!(r#"{{"scheme":"stripe","secrets":{CANARY_NUM}}}"#),
        format!(r#"{{"scheme":"stripe","secrets":{{"key":"{CANARY}"}}}}"#),
        format!(r#"{{"scheme":"stripe","secrets":[{CANARY_NUM}, true]}}"#),
        format!(r#"{{"scheme":"stripe","secrets":[["{CANARY}"]]}}"#),
        format!(r#"{{"scheme":"stripe","secret":{CANARY_NUM}}}"#),
        format!(r#"{{"scheme":"stripe","secret":["{CANARY}"]}}"#),
        format!(r#"{{"scheme":"stripe","secret":{{"v":"{CANARY}"}}}}"#),
        format!(r#"{{"scheme":"stripe","secret":{CANARY_NUM}.5}}"#),
        format!(r#"{{"scheme":"stripe","secret":"{CANARY}","tolerance":"{CANARY}"}}"#),
        format!(r#"{{"scheme":"stripe","secret":"{CANARY}","maxBodyBytes":-{CANARY_NUM}}}"#),
        format!(r#"{{"scheme":"stripe","secret":"{CANARY}"#),
        format!(r#"{{"scheme":"stripe","secret":"{CANARY}"}} trailing {CANARY}"#),
    ];
    for json in &cases {
        let err = VerifierOptions::from_json(json).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{json}");
        assert_no_canary(&err, json);
    }
    // The message still says where and what was expected.
    let err = VerifierOptions::from_json(&cases[0]).unwrap_err();
    assert_eq!(err.to_string(), "invalid argument: verifier options: `secrets`: invalid type, expected a sequence");
    let err = VerifierOptions::from_json(&cases[3]).unwrap_err();
    assert_eq!(err.to_string(), "invalid argument: verifier options: `secrets[0]`: invalid type, expected a string");
}

#[test]
fn other_options_go_through_the_same_helper() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct ReceiverOpts {
        providers: Vec<ProviderOpts>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct ProviderOpts {
        verifier: VerifierOptions,
    }
    let json = format!(r#"{{"providers":[{{"verifier":{{"scheme":"github","secrets":"{CANARY}"}}}}]}}"#);
    let err = hookverify::options::from_json::<ReceiverOpts>("receiver", &json).unwrap_err();
    assert_no_canary(&err, &json);
    assert!(err.to_string().contains("`providers[0].verifier.secrets`: invalid type, expected a sequence"), "{err}");
}

#[test]
fn whitespace_only_secrets_are_refused() {
    for blank in [" ", "  ", "\t", "\n", "\r\n", " \t\n "] {
        for preset in ["github", "stripe", "slack", "shopify"] {
            let err = Verifier::new(Scheme::preset(preset).unwrap(), [blank]).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidSecret, "{preset} {blank:?}");
            let err = Signer::new(Scheme::preset(preset).unwrap(), blank).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidSecret, "{preset} {blank:?}");
        }
        // With a good secret beside it, the blank one still fails the build (no silent skip).
        let err = Verifier::new(Scheme::preset("github").unwrap(), ["real", blank]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidSecret);
        let json = serde_json::json!({ "scheme": "github", "secret": blank }).to_string();
        assert_eq!(VerifierOptions::from_json(&json).unwrap().build().unwrap_err().code(), ErrorCode::InvalidSecret);
    }
    assert_eq!(Verifier::new(Scheme::preset("standard").unwrap(), ["whsec_IA=="]).unwrap_err().code(), ErrorCode::InvalidSecret);
    // Whitespace around a real secret is part of it (spec/policy.md: no trimming).
    Verifier::new(Scheme::preset("github").unwrap(), [" real\n"]).unwrap();
}

// ---- duplicate headers joined into one, and non-ASCII bytes -------------------------------------

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET: &str = "It's a Secret to Everybody";
const BODY: &[u8] = br#"{"type":"user.created","id":"evt_1","created":1700000000,"data":{}}"#;

fn standard_sig() -> String {
    let key = base64::engine::general_purpose::STANDARD.decode(&WHSEC["whsec_".len()..]).unwrap();
    let tag = mac(&key, &[b"msg_1", b".", NOW.to_string().as_bytes(), b".", BODY]);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag))
}

fn stripe_v1() -> String {
    hex::encode(mac(SECRET.as_bytes(), &[NOW.to_string().as_bytes(), b".", BODY]))
}

fn code(preset: &str, headers: &[(&str, &[u8])]) -> Option<ErrorCode> {
    let secret = if preset == "standard" { WHSEC } else { SECRET };
    let v = Verifier::new(Scheme::preset(preset).unwrap(), [secret]).unwrap();
    // As bytes (Rust's HTTP stack) ...
    let as_bytes: Vec<(&str, &[u8])> = headers.to_vec();
    let a = v.verify_signature_at(BODY, &as_bytes, NOW).err().map(|e| e.code());
    // ... and as text decoded as Latin-1 (Node, WSGI, ASGI): the same verdict.
    let as_latin1: Vec<(&str, String)> = headers.iter().map(|(n, v)| (*n, v.iter().map(|&b| b as char).collect())).collect();
    let b = v.verify_signature_at(BODY, &as_latin1, NOW).err().map(|e| e.code());
    assert_eq!(a, b, "bytes and Latin-1 text disagree for {headers:?}");
    a
}

fn standard(sig: &str) -> Option<ErrorCode> {
    let ts = NOW.to_string();
    code("standard", &[("webhook-id", b"msg_1"), ("webhook-timestamp", ts.as_bytes()), ("webhook-signature", sig.as_bytes())])
}

fn stripe(sig: &str) -> Option<ErrorCode> {
    code("stripe", &[("Stripe-Signature", sig.as_bytes())])
}

#[test]
fn the_good_requests_verify() {
    assert_eq!(standard(&standard_sig()), None);
    assert_eq!(stripe(&format!("t={NOW},v1={}", stripe_v1())), None);
    // Several signatures in ONE header stay valid (rotation): space-separated / repeated v1.
    assert_eq!(standard(&format!("v1,AAAA {}", standard_sig())), None);
    assert_eq!(stripe(&format!("t={NOW},v1={},v1={}", "de".repeat(32), stripe_v1())), None);
}

#[test]
fn joined_duplicate_headers_are_malformed() {
    let good = standard_sig();
    for joined in [
        format!("v1,AAAA, {good}"),
        format!("{good}, v1,AAAA"),
        format!("v2,AAAA, {good}"),
        format!("{good}, {good}"),
        format!("v1,AAAA,{good}"),
    ] {
        assert_eq!(standard(&joined), Some(ErrorCode::MalformedHeader), "{joined}");
    }
    let v1 = stripe_v1();
    for joined in [
        format!("t={NOW},v1={v1}, v1={}", "de".repeat(32)),
        format!("t={NOW},v1={v1}, t={NOW},v1={}", "de".repeat(32)),
        format!("t={NOW},v1={}, t={NOW},v1={v1}", "de".repeat(32)),
        format!("t={NOW},v1={v1},t={NOW},v1={v1}"),
    ] {
        assert_eq!(stripe(&joined), Some(ErrorCode::MalformedHeader), "{joined}");
    }
    // A joined timestamp header is malformed_header too (not an unparseable timestamp).
    let ts = format!("{NOW}, {NOW}");
    let got = code("standard", &[("webhook-id", b"msg_1"), ("webhook-timestamp", ts.as_bytes()), ("webhook-signature", good.as_bytes())]);
    assert_eq!(got, Some(ErrorCode::MalformedHeader));
    // GitHub (one signature per header): a joined pair does not decode, as before.
    let gh = format!("sha256={}", hex::encode(mac(SECRET.as_bytes(), &[BODY])));
    assert_eq!(code("github", &[("X-Hub-Signature-256", gh.as_bytes())]), None);
    let joined = format!("{gh}, {gh}");
    assert_eq!(code("github", &[("X-Hub-Signature-256", joined.as_bytes())]), Some(ErrorCode::MalformedHeader));
}

#[test]
fn non_ascii_header_bytes_are_malformed_whatever_the_decoding() {
    let good = standard_sig();
    let v1 = stripe_v1();
    let gh = format!("sha256={}", hex::encode(mac(SECRET.as_bytes(), &[BODY])));
    let with = |s: &str, tail: &[u8]| [s.as_bytes(), tail].concat();
    for tail in [&b" v1,\xff\xfe"[..], b" v1,caf\xc3\xa9", b"\x80"] {
        assert_eq!(standard(&String::from_utf8_lossy(&with(&good, tail))), Some(ErrorCode::MalformedHeader));
        let ts = NOW.to_string();
        let sig = with(&good, tail);
        let got = code("standard", &[("webhook-id", b"msg_1"), ("webhook-timestamp", ts.as_bytes()), ("webhook-signature", &sig)]);
        assert_eq!(got, Some(ErrorCode::MalformedHeader), "{tail:?}");
        let sig = with(&format!("t={NOW},v1={v1}"), &[b",v1=", tail].concat());
        assert_eq!(code("stripe", &[("Stripe-Signature", &sig)]), Some(ErrorCode::MalformedHeader));
    }
    // In an id header the verifier signs, too (otherwise its bytes would be hashed differently).
    let ts = NOW.to_string();
    let got =
        code("standard", &[("webhook-id", b"msg_\xff"), ("webhook-timestamp", ts.as_bytes()), ("webhook-signature", good.as_bytes())]);
    assert_eq!(got, Some(ErrorCode::MalformedHeader));
    assert_eq!(code("github", &[("X-Hub-Signature-256", &with(&gh, b"\xa0"))]), Some(ErrorCode::MalformedHeader));
    // Control bytes other than HTAB as well (DEL, ESC, a bare CR).
    for ctl in [&b"\x7f"[..], b"\x1b[31m", b"\r"] {
        assert_eq!(code("github", &[("X-Hub-Signature-256", &with(&gh, ctl))]), Some(ErrorCode::MalformedHeader));
    }
}

// ---- what an unauthenticated answer says ---------------------------------------------------------

fn two_provider_receiver() -> Receiver<&'static str> {
    let stripe = Verifier::new(Scheme::preset("stripe").unwrap(), [SECRET, "second-live-secret"]).unwrap();
    let github = Verifier::new(Scheme::preset("github").unwrap(), [SECRET]).unwrap();
    let mut r =
        Receiver::new(vec![Provider::new("stripe", stripe), Provider::new("github", github)], Box::new(MemoryStore::default())).unwrap();
    r.on("*", "h");
    r
}

fn respond(r: &Receiver<&'static str>, headers: &[(&str, String)]) -> Decision {
    match r.begin(Request { method: "POST", path: "/hooks", headers, body: BODY, now: NOW }) {
        Step::Respond(d) => d,
        Step::Run(_) => panic!("expected an answer"),
    }
}

#[test]
fn a_401_does_not_disclose_the_secret_count_or_other_providers() {
    let r = two_provider_receiver();
    let d = respond(&r, &[("Stripe-Signature", format!("t={NOW},v1={}", "de".repeat(32)))]);
    assert_eq!(d.status, 401);
    assert!(d.body.contains("no_matching_signature"), "{}", d.body);
    assert!(!d.body.contains("secret(s)") && !d.body.contains("against") && !d.body.contains("\"secrets\""), "{}", d.body);
    let d = respond(&r, &[("X-Other", "x".into())]);
    assert_eq!(d.status, 401);
    assert!(d.body.contains("missing_header"), "{}", d.body);
    for name in ["Stripe-Signature", "X-Hub-Signature-256"] {
        assert!(!d.body.to_ascii_lowercase().contains(&name.to_ascii_lowercase()), "{}", d.body);
    }
    // The operator's text (Display, details) keeps the detail.
    let err = Error::NoMatchingSignature { header: "Stripe-Signature".into(), signatures: 1, secrets: 2 };
    assert!(err.to_string().contains("2 secret(s)"));
    assert_eq!(err.details()["secrets"], 2);
}

#[test]
fn a_503_does_not_carry_the_store_error_text() {
    let err = Error::StoreUnavailable { reason: "redis: Password authentication failed - AuthenticationFailed QZredis".into() };
    let d = Decision::from_error(&err);
    assert_eq!(d.status, 503);
    assert!(d.body.contains("store_unavailable"), "{}", d.body);
    assert!(!d.body.contains("QZredis") && !d.body.contains("Password"), "{}", d.body);
    assert!(d.headers.iter().any(|(k, _)| k == "Retry-After"));
    assert!(err.to_string().contains("AuthenticationFailed QZredis"), "the operator's text keeps it");
}
