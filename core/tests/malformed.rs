//! Hostile and malformed input beyond the 72 cases of `tests/vectors/attacks/malformed_headers.json`
//! (run by `vectors.rs`): control bytes, oversized and duplicated headers, deep JSON, invalid
//! UTF-8, oversized bodies, absurd timestamps. Each gives its documented code (`spec/errors.md`),
//! never a panic, and returns quickly. Then: secrets never appear in errors, Debug or diagnose.
//!
//! Signatures here are computed with the `hmac`/`sha2` crates directly, not with hookverify.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use hookverify::{diagnose, ErrorCode, Scheme, Signer, Verifier};

/// Header (name, value) pairs.
type Headers = Vec<(String, String)>;

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "It's a Secret to Everybody";
const BODY: &[u8] = br#"{"action":"opened","issue":{"number":1}}"#;

/// Generous for a loaded 2-core machine and a debug build; the work under test is linear.
const LIMIT: Duration = Duration::from_secs(3);

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn github_sig(body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(SECRET.as_bytes(), &[body])))
}

fn stripe_sig(ts: &str, body: &[u8]) -> String {
    format!("t={ts},v1={}", hex::encode(mac(SECRET.as_bytes(), &[ts.as_bytes(), b".", body])))
}

fn verifier(preset: &str) -> Verifier {
    let secret = if preset == "standard" { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } else { SECRET };
    Verifier::new(Scheme::preset(preset).unwrap(), [secret]).unwrap()
}

/// Runs `f`, asserts it is quick, returns its error code (`None` when it succeeded).
fn timed<T, E: Into<hookverify::Error>>(what: &str, f: impl FnOnce() -> Result<T, E>) -> Option<ErrorCode> {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < LIMIT, "{what}: took {took:?}");
    out.err().map(|e| e.into().code())
}

fn sig_check(what: &str, preset: &str, headers: &[(&str, &[u8])], body: &[u8], now: i64) -> Option<ErrorCode> {
    let v = verifier(preset);
    timed(what, || v.verify_signature_at(body, headers, now))
}

#[test]
fn control_bytes_in_every_signed_header() {
    let ts = NOW.to_string();
    for bad in [b'\r', b'\n', 0u8] {
        for at in ["start", "middle", "end"] {
            let inject = |v: &str| -> Vec<u8> {
                let mut b = v.as_bytes().to_vec();
                let i = match at {
                    "start" => 0,
                    "middle" => b.len() / 2,
                    _ => b.len(),
                };
                b.insert(i, bad);
                b
            };
            // GitHub signature header.
            let sig = inject(&github_sig(BODY));
            let code = sig_check("github CR/LF/NUL", "github", &[("X-Hub-Signature-256", &sig)], BODY, NOW);
            assert_eq!(code, Some(ErrorCode::MalformedHeader), "github {bad:#04x} at {at}");
            // Stripe kv header (t= and v1= in one value).
            let sig = inject(&stripe_sig(&ts, BODY));
            let code = sig_check("stripe CR/LF/NUL", "stripe", &[("Stripe-Signature", &sig)], BODY, NOW);
            assert_eq!(code, Some(ErrorCode::MalformedHeader), "stripe {bad:#04x} at {at}");
            // Standard Webhooks: signature, timestamp and id headers, one at a time.
            let key = base64::engine::general_purpose::STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
            let good_sig =
                format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac(&key, &[b"msg_1.", ts.as_bytes(), b".", BODY])));
            for which in 0..3 {
                let (mut id, mut t, mut s) = (b"msg_1".to_vec(), ts.as_bytes().to_vec(), good_sig.as_bytes().to_vec());
                match which {
                    0 => id = inject("msg_1"),
                    1 => t = inject(&ts),
                    _ => s = inject(&good_sig),
                }
                let headers: [(&str, &[u8]); 3] = [("webhook-id", &id), ("webhook-timestamp", &t), ("webhook-signature", &s)];
                let code = sig_check("standard CR/LF/NUL", "standard", &headers, BODY, NOW);
                assert_eq!(code, Some(ErrorCode::MalformedHeader), "standard header {which} {bad:#04x} at {at}");
            }
            // The same request without the injected byte verifies (the byte is the only fault).
            let clean: [(&str, &[u8]); 3] =
                [("webhook-id", b"msg_1"), ("webhook-timestamp", ts.as_bytes()), ("webhook-signature", good_sig.as_bytes())];
            assert_eq!(sig_check("standard clean", "standard", &clean, BODY, NOW), None);
        }
    }
}

#[test]
fn huge_headers_are_malformed_and_cheap() {
    const LIMIT_BYTES: usize = hookverify::headers::MAX_HEADER_VALUE_BYTES;
    assert_eq!(LIMIT_BYTES, 16 * 1024);
    let ts = NOW.to_string();
    // A valid Stripe header padded with ignored `v0=` pairs to exactly the limit still verifies...
    let valid = stripe_sig(&ts, BODY);
    let mut padded = format!("{valid},v0=");
    padded.push_str(&"a".repeat(LIMIT_BYTES - padded.len()));
    assert_eq!(padded.len(), LIMIT_BYTES);
    assert_eq!(sig_check("stripe at limit", "stripe", &[("Stripe-Signature", padded.as_bytes())], BODY, NOW), None);
    // ...one byte more is malformed, and so is a 1 MiB value and a 16 MiB one.
    for size in [LIMIT_BYTES + 1, 1 << 20, 16 << 20] {
        let mut big = valid.clone().into_bytes();
        big.resize(size, b'0');
        let code = sig_check("stripe huge", "stripe", &[("Stripe-Signature", &big)], BODY, NOW);
        assert_eq!(code, Some(ErrorCode::MalformedHeader), "{size} bytes");
        let mut big = github_sig(BODY).into_bytes();
        big.resize(size, b'a');
        let code = sig_check("github huge", "github", &[("X-Hub-Signature-256", &big)], BODY, NOW);
        assert_eq!(code, Some(ErrorCode::MalformedHeader), "{size} bytes");
        // A huge timestamp header (the signature is fine).
        let k = SECRET.as_bytes();
        let sig = format!("v0={}", hex::encode(mac(k, &[b"v0:", ts.as_bytes(), b":", BODY])));
        let big_ts = "1".repeat(size);
        let headers: [(&str, &[u8]); 2] = [("X-Slack-Signature", sig.as_bytes()), ("X-Slack-Request-Timestamp", big_ts.as_bytes())];
        assert_eq!(sig_check("slack huge ts", "slack", &headers, BODY, NOW), Some(ErrorCode::MalformedHeader));
    }
    // Many short entries under the limit: more than 32 signatures is malformed, not slow.
    let many = vec!["v1,AAAA"; 2000].join(" ");
    let headers: [(&str, &[u8]); 3] = [("webhook-id", b"m"), ("webhook-timestamp", ts.as_bytes()), ("webhook-signature", many.as_bytes())];
    assert_eq!(sig_check("list many", "standard", &headers, BODY, NOW), Some(ErrorCode::MalformedHeader));
}

#[test]
fn duplicate_headers_are_malformed() {
    let sig = github_sig(BODY);
    let ts = NOW.to_string();
    // Same spelling twice, different case, and three times.
    for names in [["X-Hub-Signature-256", "X-Hub-Signature-256"], ["X-Hub-Signature-256", "x-hub-signature-256"]] {
        let headers = [(names[0], sig.as_str()), (names[1], sig.as_str())];
        let v = verifier("github");
        assert_eq!(timed("dup", || v.verify_signature_at(BODY, &headers, NOW)), Some(ErrorCode::MalformedHeader));
    }
    let three = [("X-Hub-Signature-256", sig.as_str()); 3];
    assert_eq!(timed("dup3", || verifier("github").verify_signature_at(BODY, &three, NOW)), Some(ErrorCode::MalformedHeader));
    // A map holding "Foo" and "foo" is two instances.
    let mut map = HashMap::new();
    map.insert("X-Hub-Signature-256".to_string(), sig.clone());
    map.insert("x-hub-signature-256".to_string(), sig.clone());
    assert_eq!(timed("dup map", || verifier("github").verify_signature_at(BODY, &map, NOW)), Some(ErrorCode::MalformedHeader));
    // Duplicated timestamp or id header, for a scheme that signs them.
    let key = base64::engine::general_purpose::STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let s = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac(&key, &[b"msg_1.", ts.as_bytes(), b".", BODY])));
    let dup_ts =
        [("webhook-id", "msg_1"), ("webhook-timestamp", ts.as_str()), ("Webhook-Timestamp", "1"), ("webhook-signature", s.as_str())];
    assert_eq!(timed("dup ts", || verifier("standard").verify_signature_at(BODY, &dup_ts, NOW)), Some(ErrorCode::MalformedHeader));
    let dup_id = [("webhook-id", "msg_1"), ("webhook-id", "msg_2"), ("webhook-timestamp", ts.as_str()), ("webhook-signature", s.as_str())];
    assert_eq!(timed("dup id", || verifier("standard").verify_signature_at(BODY, &dup_id, NOW)), Some(ErrorCode::MalformedHeader));
    // Duplicated `t=` inside Stripe's header, with the same value.
    let dup_t = format!("t={ts},{}", stripe_sig(&ts, BODY));
    assert_eq!(sig_check("dup t=", "stripe", &[("Stripe-Signature", dup_t.as_bytes())], BODY, NOW), Some(ErrorCode::MalformedHeader));
}

/// A generic scheme whose envelope is the common one (`/id`, `/type`, `/created_at`, `/data`).
fn generic() -> Verifier {
    let scheme = Scheme::from_json(r#"{"name":"generic","signature_header":"X-Sig"}"#).unwrap();
    Verifier::new(scheme, [SECRET]).unwrap()
}

fn generic_event(body: &[u8]) -> (Option<ErrorCode>, Option<ErrorCode>) {
    let v = generic();
    let sig = hex::encode(mac(SECRET.as_bytes(), &[body]));
    let headers = [("X-Sig", sig.as_str())];
    let signature = timed("signature", || v.verify_signature_at(body, &headers, NOW));
    let event = timed("event", || v.verify_at(body, &headers, NOW));
    (signature, event)
}

#[test]
fn deep_json_nesting_is_invalid_json() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // 10,000 levels: the signature verifies, the envelope is invalid_json (no stack overflow).
    for body in [
        format!(r#"{{"id":"e","type":"t","data":{}}}"#, nested(10_000)),
        nested(10_000),
        "[".repeat(10_000),
        "{\"a\":".repeat(10_000),
        format!(r#"{{"id":"e","type":"t","data":{}}}"#, "{\"x\":".repeat(10_000) + "1" + &"}".repeat(10_000)),
    ] {
        assert_eq!(generic_event(body.as_bytes()), (None, Some(ErrorCode::InvalidJson)), "{}…", &body[..20]);
    }
    // The documented limit is 128 levels, the envelope object included.
    let ok = format!(r#"{{"id":"e","type":"t","data":{}}}"#, nested(127));
    assert_eq!(generic_event(ok.as_bytes()), (None, None));
    let over = format!(r#"{{"id":"e","type":"t","data":{}}}"#, nested(128));
    assert_eq!(generic_event(over.as_bytes()), (None, Some(ErrorCode::InvalidJson)));
    // Brackets inside a string are not nesting.
    let in_string = format!(r#"{{"id":"e","type":"t","data":"{}"}}"#, "[".repeat(10_000));
    assert_eq!(generic_event(in_string.as_bytes()), (None, None));
    // diagnose on the same body: a report, no panic.
    let body = nested(10_000);
    let sig = hex::encode(mac(SECRET.as_bytes(), &[body.as_bytes()]));
    let start = Instant::now();
    let report = diagnose(body.as_bytes(), &[("X-Hub-Signature-256", format!("sha256={sig}"))], &[SECRET], None, NOW);
    assert!(start.elapsed() < LIMIT);
    assert!(report.valid);
    assert!(report.event.is_none());
}

#[test]
fn invalid_utf8_headers_and_bodies() {
    let ts = NOW.to_string();
    for bad in [&b"\xff"[..], b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\x80"] {
        // In the signature header (inside and at the end).
        let mut sig = github_sig(BODY).into_bytes();
        sig.splice(10..10, bad.iter().copied());
        assert_eq!(sig_check("utf8 sig", "github", &[("X-Hub-Signature-256", &sig)], BODY, NOW), Some(ErrorCode::MalformedHeader));
        // In a timestamp header and an id header.
        let mut t = ts.clone().into_bytes();
        t.extend_from_slice(bad);
        let s = format!("v0={}", hex::encode(mac(SECRET.as_bytes(), &[b"v0:", &t, b":", BODY])));
        let headers: [(&str, &[u8]); 2] = [("X-Slack-Signature", s.as_bytes()), ("X-Slack-Request-Timestamp", &t)];
        assert_eq!(sig_check("utf8 ts", "slack", &headers, BODY, NOW), Some(ErrorCode::MalformedHeader));
        let mut id = b"msg_".to_vec();
        id.extend_from_slice(bad);
        let headers: [(&str, &[u8]); 3] = [("webhook-id", &id), ("webhook-timestamp", ts.as_bytes()), ("webhook-signature", b"v1,AAAA")];
        assert_eq!(sig_check("utf8 id", "standard", &headers, BODY, NOW), Some(ErrorCode::MalformedHeader));
        // In the body: the signature is over bytes and verifies; the envelope is invalid_json.
        let mut body = br#"{"id":"e","type":"t","data":""#.to_vec();
        body.extend_from_slice(bad);
        body.extend_from_slice(b"\"}");
        assert_eq!(generic_event(&body), (None, Some(ErrorCode::InvalidJson)));
        assert_eq!(generic_event(bad), (None, Some(ErrorCode::InvalidJson)));
    }
}

#[test]
fn bodies_over_the_cap() {
    // Default cap (25 MiB): one byte over is payload_too_large, before any hashing.
    let cap = hookverify::verify::DEFAULT_MAX_BODY_BYTES;
    assert_eq!(cap, 25 * 1024 * 1024);
    let big = vec![b'a'; cap + 1];
    let sig = github_sig(BODY);
    let code = sig_check("default cap", "github", &[("X-Hub-Signature-256", sig.as_bytes())], &big, NOW);
    assert_eq!(code, Some(ErrorCode::PayloadTooLarge));
    // Checked before the headers: a body over the cap with no headers at all.
    assert_eq!(sig_check("cap first", "github", &[], &big, NOW), Some(ErrorCode::PayloadTooLarge));
    // A configured cap: at the cap verifies, one over is refused, through verify_at too.
    let v = Verifier::builder(Scheme::preset("github").unwrap()).secret(SECRET).max_body_bytes(1024).build().unwrap();
    let at = vec![b'x'; 1024];
    let over = vec![b'x'; 1025];
    let ok = [("X-Hub-Signature-256", github_sig(&at))];
    assert!(v.verify_signature_at(&at, &ok, NOW).is_ok());
    let over_sig = [("X-Hub-Signature-256", github_sig(&over))];
    let err = v.verify_at(&over, &over_sig, NOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PayloadTooLarge);
    assert_eq!(err.details()["size"], 1025);
    assert_eq!(err.details()["limit"], 1024);
    // The same through the serde options object.
    let v = hookverify::VerifierOptions::from_json(r#"{"scheme":"github","secret":"s","maxBodyBytes":10}"#).unwrap().build().unwrap();
    assert_eq!(
        v.verify_signature_at(&[0u8; 11], &[("X-Hub-Signature-256", "sha256=00")], NOW).unwrap_err().code(),
        ErrorCode::PayloadTooLarge
    );
}

#[test]
fn absurd_timestamps() {
    let cases: &[(&str, i64, ErrorCode)] = &[
        ("99999999999999999999999", NOW, ErrorCode::MalformedTimestamp),
        ("18446744073709551615", NOW, ErrorCode::MalformedTimestamp), // u64::MAX
        ("18446744073709551616", NOW, ErrorCode::MalformedTimestamp), // u64::MAX + 1
        ("9223372036854775807", NOW, ErrorCode::MalformedTimestamp),  // i64::MAX
        ("1700000000000", NOW, ErrorCode::MalformedTimestamp),        // milliseconds
        ("253402300800", NOW, ErrorCode::MalformedTimestamp),         // year 10000
        ("-1", NOW, ErrorCode::MalformedTimestamp),
        ("-9223372036854775808", NOW, ErrorCode::MalformedTimestamp),
        ("+1700000000", NOW, ErrorCode::MalformedTimestamp),
        ("1.7e9", NOW, ErrorCode::MalformedTimestamp),
        ("0x6553f100", NOW, ErrorCode::MalformedTimestamp),
        ("１７００００００００", NOW, ErrorCode::MalformedHeader), // full-width digits: not ASCII (spec/policy.md)
        ("1700000000.5", NOW, ErrorCode::MalformedTimestamp),
        ("0", NOW, ErrorCode::TimestampTooOld),
        ("253402300799", NOW, ErrorCode::TimestampTooNew), // the latest plausible second
        ("1700000000", i64::MIN, ErrorCode::TimestampTooNew),
        ("1700000000", i64::MAX, ErrorCode::TimestampTooOld),
        ("0", i64::MIN, ErrorCode::TimestampTooNew),
        ("253402300799", i64::MAX, ErrorCode::TimestampTooOld),
    ];
    let mut ten_thousand = "1".repeat(10_000);
    ten_thousand.push('0');
    for (ts, now, want) in cases.iter().copied().chain([(ten_thousand.as_str(), NOW, ErrorCode::MalformedTimestamp)]) {
        // Stripe (t= in the signature header) and Slack (own header), signed over the same text,
        // so only the timestamp can fail.
        let s = stripe_sig(ts, BODY);
        let code = sig_check("stripe ts", "stripe", &[("Stripe-Signature", s.as_bytes())], BODY, now);
        assert_eq!(code, Some(want), "stripe t={ts} now={now}");
        let sig = format!("v0={}", hex::encode(mac(SECRET.as_bytes(), &[b"v0:", ts.as_bytes(), b":", BODY])));
        let headers: [(&str, &[u8]); 2] = [("X-Slack-Signature", sig.as_bytes()), ("X-Slack-Request-Timestamp", ts.as_bytes())];
        assert_eq!(sig_check("slack ts", "slack", &headers, BODY, now), Some(want), "slack ts={ts} now={now}");
    }
    // With the replay check explicitly disabled, an unparseable timestamp is still refused.
    let lax = Verifier::builder(Scheme::preset("stripe").unwrap()).secret(SECRET).dangerously_skip_timestamp_check().build().unwrap();
    let s = stripe_sig("1700000000000", BODY);
    assert_eq!(lax.verify_signature_at(BODY, &[("Stripe-Signature", s.as_str())], NOW).unwrap_err().code(), ErrorCode::MalformedTimestamp);
    let s = stripe_sig("0", BODY);
    assert!(lax.verify_signature_at(BODY, &[("Stripe-Signature", s.as_str())], NOW).is_ok());
}

#[test]
fn length_extension_forgery_is_covered_by_vectors_rs() {
    // The SHA-256(secret‖body) length-extension forgery is rejected under every scheme by
    // `length_extension_forgery_is_rejected` in core/tests/vectors.rs; keep that test there.
    let src = include_str!("vectors.rs");
    assert!(src.contains("fn length_extension_forgery_is_rejected"));
    assert!(src.contains("attacks/length_extension_sha256.json"));
}

// ---------------------------------------------------------------------------------------------
// Secrets never leak.

/// A distinctive secret; no 6-byte window of it may appear in anything we print.
const LEAKY: &str = "Qz8vXk3Wm9pLr7Tn2Yb5";
/// The same key material as a Standard Webhooks secret (`whsec_` + base64 of LEAKY).
fn leaky_whsec() -> String {
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(LEAKY))
}

/// Every 6-character window of the secret-bearing strings (the public `whsec_` prefix excluded),
/// of the key bytes in hex, and of the MAC the verifier expected for `body`.
fn forbidden(expected_macs: &[Vec<u8>]) -> Vec<String> {
    let whsec = leaky_whsec();
    let mut sources = vec![LEAKY.to_string(), whsec["whsec_".len()..].to_string(), hex::encode(LEAKY)];
    for m in expected_macs {
        sources.push(hex::encode(m));
        sources.push(base64::engine::general_purpose::STANDARD.encode(m));
    }
    let mut out = Vec::new();
    for s in sources {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(6) {
            out.push(w.iter().collect());
        }
    }
    out
}

fn assert_clean(what: &str, text: &str, windows: &[String]) {
    for w in windows {
        assert!(!text.contains(w.as_str()), "{what} contains {w:?} of the secret or expected MAC:\n{text}");
    }
}

#[test]
fn secrets_never_appear_in_errors_debug_or_diagnose() {
    let body = br#"{"id":"evt_1","type":"invoice.paid","created":1700000000,"data":{}}"#;
    let ts = NOW.to_string();
    let whsec = leaky_whsec();
    // Every preset, plus the MACs each would expect, so echoing the expected value is caught.
    let mut macs = Vec::new();
    for signed in [body.to_vec(), [ts.as_bytes(), b".", body].concat(), [b"v0:", ts.as_bytes(), b":", body].concat()] {
        macs.push(mac(LEAKY.as_bytes(), &[&signed]));
        let mut sha1 = Hmac::<sha1::Sha1>::new_from_slice(LEAKY.as_bytes()).unwrap();
        sha1.update(&signed);
        macs.push(sha1.finalize().into_bytes().to_vec());
    }
    macs.push(mac(LEAKY.as_bytes(), &[b"msg_1.", ts.as_bytes(), b".", body]));
    let windows = forbidden(&macs);
    let mut printed = Vec::<(String, String)>::new();
    let mut print = |what: &str, text: String| printed.push((what.to_string(), text));

    for scheme in Scheme::presets() {
        if scheme.spec().public_key.as_ref().is_some_and(|k| k.version.is_none()) {
            // Public keys only (discord, sendgrid): no secret to leak; their key-fingerprint and
            // error checks are in core/tests/asymmetric.rs.
            continue;
        }
        let name = scheme.name().to_string();
        let secret = if name == "standard" { whsec.clone() } else { LEAKY.to_string() };
        let v = Verifier::new(scheme.clone(), [secret.as_str(), secret.as_str()]).unwrap();
        print("verifier", format!("{v:?}"));
        let builder = Verifier::builder(scheme.clone()).secret(&secret);
        print("builder", format!("{builder:?}"));
        let signer = Signer::new(scheme.clone(), &secret).unwrap();
        print("signer", format!("{signer:?}"));
        for e in [signer.sign(body, Some("a\nb"), Some(NOW)).err(), signer.sign(body, None, None).err()].into_iter().flatten() {
            print("signer error", format!("{e} | {e:?}"));
        }
        if scheme.spec().signature_pointer.is_some() || scheme.signs_url() {
            // The signature is in the body (mailgun), or the signed content includes the request
            // URL (twilio, square, hubspot, trello): nothing `sign` can sign as headers. Their leak
            // checks are in core/tests/security_catalog.rs and core/tests/url_signed.rs.
            continue;
        }
        let good = signer.sign(body, Some("msg_1"), Some(NOW)).unwrap();
        // Requests that fail every way a request can fail.
        let sig_header = scheme.spec().signature_header.clone();
        let mut requests: Vec<(Headers, Vec<u8>, i64)> = vec![
            (vec![], body.to_vec(), NOW),                                       // missing
            (vec![(sig_header.clone(), "garbage".into())], body.to_vec(), NOW), // malformed
            (good.clone(), b"tampered".to_vec(), NOW),                          // no match
            (good.clone(), body.to_vec(), NOW + 10_000),                        // too old
            (good.clone(), body.to_vec(), NOW - 10_000),                        // too new
            (good.clone(), b"not json".to_vec(), NOW),                          // invalid json (if signed)
            (good.clone(), vec![b'x'; 26 * 1024 * 1024], NOW),                  // too large
        ];
        for (k, v) in good.iter() {
            if k.eq_ignore_ascii_case(&sig_header) && v.len() > 10 {
                let mut flipped = v.clone();
                let last = flipped.pop().unwrap();
                flipped.push(if last == '0' { '1' } else { '0' });
                let mut h = good.clone();
                h.retain(|(n, _)| n != k);
                h.push((k.clone(), flipped));
                requests.push((h, body.to_vec(), NOW));
                let mut bad_ts = good.clone();
                for (_, val) in bad_ts.iter_mut() {
                    *val = val.replace(&ts, "17e8");
                }
                requests.push((bad_ts, body.to_vec(), NOW));
            }
        }
        // A body signed correctly but not an envelope (missing_field / invalid_json).
        let odd = signer.sign(b"{}", Some("msg_1"), Some(NOW)).unwrap();
        requests.push((odd, b"{}".to_vec(), NOW));
        for (headers, body, now) in &requests {
            if let Err(e) = v.verify_at(body, headers, *now) {
                print(&format!("{name} error"), format!("{e} | {e:?} | {}", e.details()));
            }
            if body.len() < 1 << 20 {
                let report = diagnose(body, headers, &[secret.as_str(), "other"], Some(&scheme), *now);
                print(&format!("{name} diagnose"), format!("{} | {report:?}", report.to_json()));
                let detected = diagnose(body, headers, &[secret.as_str()], None, *now);
                print(&format!("{name} diagnose detected"), detected.to_json());
            }
        }
        // Secrets that fail to parse must not be echoed either.
        for bad in [format!("whsec_{LEAKY}!!"), format!("whsec_{LEAKY}")] {
            if let Err(e) = Verifier::new(scheme.clone(), [bad.as_str()]) {
                print("bad secret", format!("{e} | {e:?} | {}", e.details()));
            }
            if let Err(e) = hookverify::Secret::from_whsec(&bad) {
                print("bad whsec", format!("{e} | {e:?}"));
            }
        }
        print("secret", format!("{:?} {}", hookverify::Secret::from_utf8(LEAKY).unwrap(), hookverify::Secret::from_utf8(LEAKY).unwrap()));
        // Receivers and stores.
        let provider = hookverify::Provider::new(&name, v.clone());
        print("provider", format!("{provider:?}"));
        let receiver: hookverify::Receiver<()> =
            hookverify::Receiver::new(vec![provider], Box::new(hookverify::MemoryStore::new(16))).unwrap();
        print("receiver", format!("{receiver:?}"));
    }
    // Errors of the serde options object (what bindings and the CLI deserialize).
    let bad = format!(r#"{{"scheme":"stripe","secret":"{LEAKY}","oops":1}}"#);
    if let Err(e) = hookverify::VerifierOptions::from_json(&bad) {
        print("options error", format!("{e} | {e:?}"));
    }
    print("memory store", format!("{:?}", hookverify::MemoryStore::new(16)));
    #[cfg(feature = "redis")]
    {
        use hookverify::dedup::RedisStore;
        for url in [format!("redis://:{LEAKY}@127.0.0.1:1/"), format!("redis://user:{LEAKY}@[::1:1/"), format!("redis:/{LEAKY}")] {
            match RedisStore::with_options(&url, "p:", Duration::from_millis(200)) {
                Ok(store) => {
                    print("redis store", format!("{store:?}"));
                    use hookverify::Store as _;
                    match store.claim("k", Duration::from_secs(1)) {
                        Ok(c) => print("redis claim", format!("{c:?}")),
                        Err(e) => print("redis claim error", format!("{e} | {e:?} | {}", e.details())),
                    }
                }
                Err(e) => print("redis url error", format!("{e} | {e:?} | {}", e.details())),
            }
        }
    }
    assert!(printed.len() > 100, "only {} outputs checked", printed.len());
    for (what, text) in &printed {
        assert_clean(what, text, &windows);
    }
}

/// KNOWN LEAK, not yet fixed: `VerifierOptions` (core/src/verify.rs) derives `Debug` over its
/// plain `String` secrets, so `{options:?}` prints them. Un-ignore once it redacts them.
#[test]
fn verifier_options_debug_redacts_secrets() {
    let json = format!(r#"{{"scheme":"stripe","secrets":["{LEAKY}"],"secret":null}}"#);
    let options = hookverify::VerifierOptions::from_json(&json).unwrap();
    assert_clean("verifier options", &format!("{options:?}"), &forbidden(&[]));
}
