//! Runs tests/vectors/diagnose.json (stdlib-only generator) against `diagnose`, and checks
//! that no report carries secret material or an expected MAC.

use std::path::Path;

use hookverify::diagnose::{diagnose, diagnose_keys, HintCode, Report, MAX_HMACS};
use hookverify::{RequestTarget, Scheme};
use serde_json::Value;

fn load() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/diagnose.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn body_of(t: &Value) -> Vec<u8> {
    match t.get("body") {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        _ => hex::decode(t["body_hex"].as_str().unwrap()).unwrap(),
    }
}

/// Every string value in a report, for the leak check on unescaped text.
fn plain_text(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.checks {
        out.push_str(&c.detail);
        out.push('\n');
    }
    for h in &report.hints {
        out.push_str(&h.message);
        out.push('\n');
    }
    out
}

/// Fails when any 6-character window of `secret` appears in `text`.
fn assert_no_piece(text: &str, secret: &str, what: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for w in chars.windows(6) {
        let piece: String = w.iter().collect();
        assert!(!text.contains(&piece), "{what}: report contains {piece:?}\n{text}");
    }
}

fn assert_no_leak(report: &Report, secrets: &[String], forbidden: &[String], id: &str) {
    let json = report.to_json();
    let plain = plain_text(report);
    for s in secrets.iter().chain(forbidden) {
        assert_no_piece(&json, s, id);
        assert_no_piece(&plain, s, id);
    }
}

#[test]
fn every_vector_case() {
    let doc = load();
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(doc["numberOfTests"].as_u64().unwrap() as usize, tests.len());
    let mut seen_codes = std::collections::BTreeSet::new();
    for t in tests {
        let id = format!("tcId {} ({})", t["tcId"], t["comment"].as_str().unwrap());
        let scheme = match &t["scheme"] {
            Value::Null => None,
            Value::String(name) => Some(Scheme::preset(name).unwrap()),
            spec => Some(Scheme::from_json(&spec.to_string()).unwrap()),
        };
        let secrets: Vec<String> = t["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
        let headers: Vec<(String, String)> =
            t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
        let body = body_of(t);
        let now = t["now"].as_i64().unwrap();
        let public_keys: Vec<String> = t
            .get("public_keys")
            .and_then(Value::as_array)
            .map_or(Vec::new(), |a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect());
        let target = RequestTarget::new(t.get("url").and_then(Value::as_str), t.get("method").and_then(Value::as_str));
        let run = || diagnose_keys(&body, &headers, &secrets, &public_keys, scheme.as_ref(), now, &target);
        let report = run();
        let json = report.to_json();

        assert_eq!(report.valid, t["result"] == "valid", "{id}: {json}");
        assert_eq!(report.scheme.as_deref(), t["scheme_used"].as_str(), "{id}");
        assert_eq!(report.detected, t["detected"].as_bool().unwrap(), "{id}");
        assert_eq!(report.key_index.map(|k| k as u64), t["key_index"].as_u64(), "{id}");
        let codes: Vec<&str> = report.hints.iter().map(|h| h.code.as_str()).collect();
        let want: Vec<&str> = t["hints"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(codes, want, "{id}: {json}");
        let failed: Vec<&str> = report.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
        let want_failed: Vec<&str> = t["failed_checks"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(failed, want_failed, "{id}: {json}");
        match &t["event"] {
            Value::Null => assert!(report.event.is_none(), "{id}"),
            want => {
                let e = report.event.as_ref().unwrap_or_else(|| panic!("{id}: no event in {json}"));
                assert_eq!(e.id, want["id"].as_str().unwrap(), "{id}");
                assert_eq!(e.event_type, want["type"].as_str().unwrap(), "{id}");
                assert_eq!(e.timestamp, want["timestamp"].as_i64(), "{id}");
            }
        }
        if report.valid {
            assert!(report.hints.is_empty(), "{id}: a valid delivery gets no hints");
        } else if report.scheme.is_some() {
            assert!(report.check("hint_search").is_some(), "{id}");
        }
        for h in &report.hints {
            assert!(h.message.ends_with('.') && h.message.len() > 40, "{id}: {}", h.message);
        }
        let forbidden: Vec<String> = t["forbidden"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
        assert_no_leak(&report, &secrets, &forbidden, &id);
        // Deterministic: the same input gives the same bytes.
        assert_eq!(run().to_json(), json, "{id}");
        if public_keys.is_empty() && target == RequestTarget::NONE {
            assert_eq!(diagnose(&body, &headers, &secrets, scheme.as_ref(), now).to_json(), json, "{id}");
        }
        let parsed: Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&String> = parsed.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7, "{id}");
        seen_codes.extend(codes.iter().map(|c| c.to_string()));
    }
    let all: std::collections::BTreeSet<String> = HintCode::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(seen_codes, all, "every hint code has a vector case");
}

#[test]
fn report_json_field_order_is_documented() {
    let headers = [("X-Hub-Signature-256", "sha256=00")];
    let json = diagnose(b"{}", &headers, &["k7Qz-2xVr"], None, 0).to_json();
    assert!(
        json.starts_with(r#"{"valid":false,"scheme":"github","detected":true,"key_index":null,"checks":[{"name":"scheme","ok":true,"#),
        "{json}"
    );
    assert!(json.contains(r#""hints":[]"#) && json.ends_with(r#""event":null}"#), "{json}");
}

#[test]
fn hint_codes_are_listed_in_spec_errors_md() {
    let spec = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/errors.md")).unwrap();
    let section = &spec[spec.find("## Diagnose hints").expect("a Diagnose hints section")..];
    for code in HintCode::ALL {
        assert!(section.contains(&format!("`{}`", code.as_str())), "{code} missing from spec/errors.md");
        assert_eq!(HintCode::from_str_code(code.as_str()), Some(*code));
        assert!(code.fix().ends_with('.'));
    }
}

#[test]
fn large_bodies_skip_body_variants_and_say_so() {
    let secret = "k7Qz-2xVr-9pLm-4tWd";
    let mut body = vec![b'a'; hookverify::diagnose::MAX_VARIANT_BODY_BYTES + 1];
    // HMAC-SHA256 of the body with a trailing newline: a variant would find it, but the body is too big.
    let signed = [body.as_slice(), b"\n"].concat();
    let tag = hookverify::secret::hmac(hookverify::Algorithm::Sha256, secret.as_bytes(), &signed);
    let header = format!("sha256={}", hex::encode(tag));
    let headers = [("X-Hub-Signature-256", header.as_str())];
    let report = diagnose(&body, &headers, &[secret], Some(&Scheme::preset("github").unwrap()), 0);
    assert!(!report.valid && report.hints.is_empty());
    let check = report.check("hint_search").unwrap();
    assert!(!check.ok && check.detail.contains("body variants skipped"), "{check:?}");
    body.truncate(0);
}

#[test]
fn work_is_bounded_with_many_secrets() {
    let secrets: Vec<String> = (0..40).map(|i| format!("k7Qz-2xVr-{i:04}")).collect();
    let body = br#"{"a":[1,2,3],"b":"caf\u00e9 / x"}"#;
    let headers = [("X-Hub-Signature-256", format!("sha256={}", "ab".repeat(32)))];
    let report = diagnose(body, &headers, &secrets, Some(&Scheme::preset("github").unwrap()), 0);
    let check = report.check("hint_search").unwrap();
    assert!(check.detail.contains(&format!("stopped at the limit of {MAX_HMACS} HMACs")), "{check:?}");
    assert!(report.hints.is_empty());
}

#[test]
fn no_secrets_and_unusable_secrets_are_checks_not_panics() {
    let headers = [("webhook-id", "m"), ("webhook-timestamp", "1700000000"), ("webhook-signature", "v1,AAAA")];
    let none: [&str; 0] = [];
    let r = diagnose(b"{}", &headers, &none, None, 1_700_000_000);
    assert!(!r.valid);
    assert!(!r.check("secrets").unwrap().ok);
    let r = diagnose(b"{}", &headers, &["Qx%9 zz!!#"], None, 1_700_000_000);
    assert!(!r.check("secrets").unwrap().ok);
    assert_no_leak(&r, &["Qx%9 zz!!#".to_owned()], &[], "unusable secret");
}
