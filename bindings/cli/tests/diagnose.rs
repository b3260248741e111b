//! `hookverify diagnose` against tests/vectors/diagnose.json, and `hookverify send` into
//! `hookverify listen` over loopback.

mod common;

use common::{bin, body_of, listen, run_with_stdin, vectors};

use std::process::{Command, Output};

use serde_json::Value;

/// The diagnose command line for one vector case.
fn diagnose_cmd(t: &Value, json: bool) -> Command {
    let mut cmd = bin();
    cmd.arg("diagnose");
    match &t["scheme"] {
        Value::Null => {}
        Value::String(name) => {
            cmd.args(["--scheme", name]);
        }
        spec => {
            cmd.args(["--scheme-json", &spec.to_string()]);
        }
    }
    for s in t["secrets"].as_array().unwrap() {
        cmd.arg(format!("--secret={}", s.as_str().unwrap()));
    }
    for (k, v) in t["headers"].as_object().unwrap() {
        cmd.args(["-H", &format!("{k}: {}", v.as_str().unwrap())]);
    }
    for k in t.get("public_keys").and_then(Value::as_array).into_iter().flatten() {
        cmd.args(["--public-key", k.as_str().unwrap()]);
    }
    for (field, flag) in [("url", "--url"), ("method", "--method")] {
        if let Some(v) = t.get(field).and_then(Value::as_str) {
            cmd.args([flag, v]);
        }
    }
    cmd.args(["--now", &t["now"].to_string()]);
    if json {
        cmd.arg("--json");
    }
    cmd
}

#[test]
fn diagnose_json_matches_the_core_for_every_vector_case() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(vectors().join("diagnose.json")).unwrap()).unwrap();
    for t in doc["tests"].as_array().unwrap() {
        let id = format!("tcId {} {}", t["tcId"], t["comment"]);
        let body = body_of(t);
        let out = run_with_stdin(diagnose_cmd(t, true), &body);
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 1, "{id}: one line of JSON: {text}");
        let report: Value = serde_json::from_str(text.trim_end()).unwrap();
        let valid = t["result"] == "valid";
        assert_eq!(out.status.code(), Some(if valid { 0 } else { 1 }), "{id}: {text}");
        assert_eq!(report["valid"], valid, "{id}");
        assert_eq!(report["scheme"], t["scheme_used"], "{id}");
        let codes: Vec<&Value> = report["hints"].as_array().unwrap().iter().map(|h| &h["code"]).collect();
        let want: Vec<&Value> = t["hints"].as_array().unwrap().iter().collect();
        assert_eq!(codes, want, "{id}: {text}");
        assert!(text.starts_with(r#"{"valid":"#), "documented key order: {text}");

        // Same bytes as the core API (headers go through the CLI's `Name: value` parsing, which trims).
        let scheme = match &t["scheme"] {
            Value::Null => None,
            Value::String(name) => Some(hookverify::Scheme::preset(name).unwrap()),
            spec => Some(hookverify::Scheme::from_json(&spec.to_string()).unwrap()),
        };
        let headers: Vec<(String, String)> =
            t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().trim().to_owned())).collect();
        let secrets: Vec<&str> = t["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        let public_keys: Vec<&str> =
            t.get("public_keys").and_then(Value::as_array).map_or(Vec::new(), |a| a.iter().map(|s| s.as_str().unwrap()).collect());
        let target = hookverify::RequestTarget::new(t.get("url").and_then(Value::as_str), t.get("method").and_then(Value::as_str));
        let now = t["now"].as_i64().unwrap();
        let core = hookverify::diagnose::diagnose_keys(&body, &headers, &secrets, &public_keys, scheme.as_ref(), now, &target);
        assert_eq!(text.trim_end(), core.to_json(), "{id}");
    }
}

#[test]
fn human_report_shows_checks_and_hints_and_never_secrets() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(vectors().join("diagnose.json")).unwrap()).unwrap();
    let tests = doc["tests"].as_array().unwrap();
    let pick = |comment: &str| tests.iter().find(|t| t["comment"].as_str().unwrap().contains(comment)).unwrap();

    let t = pick("signed JSON.stringify(v, null, 2)");
    let out = run_with_stdin(diagnose_cmd(t, false), &body_of(t));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text.starts_with("INVALID (scheme github)"), "{text}");
    assert!(text.contains("✓ scheme") && text.contains("✗ signature"), "{text}");
    assert!(text.contains("→ body_reserialized: ") && text.contains("JSON.stringify(value, null, 2)"), "{text}");
    let secret = t["secrets"][0].as_str().unwrap();
    assert!(!text.contains(secret) && !String::from_utf8_lossy(&out.stderr).contains(secret));

    let t = pick("stripe, rotation");
    let out = run_with_stdin(diagnose_cmd(t, false), &body_of(t));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("VALID (scheme stripe, secret 1)"), "{text}");
    assert!(text.contains("event: id evt_2002, type invoice.paid"), "{text}");
    assert!(!text.contains("✗"), "{text}");
}

#[test]
fn diagnose_usage_errors_exit_2() {
    for args in [
        &["diagnose", "--scheme", "paypal", "--secret", "s"][..],
        &["diagnose", "--scheme-json", r#"{"name":"x"}"#, "--secret", "s", "--json"],
        &["diagnose", "--secret", "s", "-H", "no-colon"],
        &["diagnose", "--scheme", "github"],
        &["diagnose", "--scheme", "github", "--scheme-json", "{}", "--secret", "s"],
    ] {
        let mut cmd = bin();
        cmd.args(args);
        let out = run_with_stdin(cmd, b"{}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut cmd = bin();
    cmd.args(["diagnose", "--scheme", "paypal", "--secret", "s", "--json"]);
    let out = run_with_stdin(cmd, b"{}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["code"], "unknown_scheme");
}

fn send(args: &[&str]) -> Output {
    bin().arg("send").args(args).output().unwrap()
}

#[test]
fn send_delivers_signed_events_that_listen_accepts() {
    let cases = [
        ("standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "user.created", "/data/user"),
        ("stripe", "whsec_9Xq2Lr7TzKw4Vb1Np8Ys", "invoice.paid", "/data/object/user"),
        ("github", "k7Qz-2xVr-9pLm-4tWd", "issues", "/data/user"),
        ("shopify", "k7Qz-2xVr-9pLm-4tWd", "orders/create", "/data/user"),
        ("slack", "k7Qz-2xVr-9pLm-4tWd", "app_mention", "/data/event/user"),
    ];
    for (scheme, secret, event_type, user_at) in cases {
        let server = listen(&["--scheme", scheme], secret);
        let url = format!("http://127.0.0.1:{}/", server.port);
        let id = format!("evt_send_{}", scheme.len());
        let out = send(&[&url, "--scheme", scheme, "--secret", secret, "--type", event_type, "--data", r#"{"user":"u_1"}"#, "--id", &id]);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{scheme}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("HTTP 200"), "{scheme}: {stdout}");
        let event = server.event();
        assert_eq!(event["type"], event_type, "{scheme}: {event}");
        assert_eq!(event.pointer(user_at).and_then(Value::as_str), Some("u_1"), "{scheme}: {event}");
        if scheme != "slack" {
            assert_eq!(event["id"], id.as_str(), "{scheme}: {event}");
        }
        // A wrong secret is refused by the receiver: exit 1, the status and its body printed.
        let wrong = if scheme == "standard" { "whsec_QUJDREVGR0hJSktMTU5PUA==" } else { "Zt8q-W3nb-5Rkc-1yHj" };
        let out = send(&[&url, "--scheme", scheme, "--secret", wrong, "--data", "{}"]);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "{scheme}: {stdout}");
        assert!(stdout.starts_with("HTTP 401") && stdout.contains("no_matching_signature"), "{scheme}: {stdout}");
    }
}

#[test]
fn send_body_file_and_errors() {
    let secret = "k7Qz-2xVr-9pLm-4tWd";
    let spec = r#"{"name":"generic","signature_header":"X-Webhook-Signature"}"#;
    let server = listen(&["--scheme-json", spec], secret);
    let dir = std::env::temp_dir().join(format!("hv-send-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("event.json");
    std::fs::write(&file, br#"{"id":"e-file","type":"file.sent","created_at":1700000000,"data":{"k":1}}"#).unwrap();
    let url = format!("http://127.0.0.1:{}/", server.port);
    let out = send(&[&url, "--scheme-json", spec, "--secret", secret, "--body-file", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let event = server.event();
    assert_eq!((event["id"].as_str(), event["type"].as_str()), (Some("e-file"), Some("file.sent")), "{event}");
    // The common envelope built around --data.
    let out = send(&[&url, "--scheme-json", spec, "--secret", secret, "--type", "x.y", "--id", "e-data", "--data", "[1,2]"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let event = server.event();
    assert_eq!((event["id"].as_str(), event["type"].as_str()), (Some("e-data"), Some("x.y")), "{event}");
    assert_eq!(event["data"], serde_json::json!([1, 2]));
    drop(server);
    std::fs::remove_dir_all(dir).ok();
    // Connection refused on a port nobody listens on: exit 1, not a panic.
    let out = send(&["http://127.0.0.1:9/", "--scheme", "github", "--secret", secret]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // Usage errors.
    let out = send(&["http://127.0.0.1:9/", "--scheme", "github", "--secret", secret, "--data", "not json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = send(&["http://127.0.0.1:9/", "--scheme", "paypal", "--secret", secret]);
    assert_eq!(out.status.code(), Some(2));
}
