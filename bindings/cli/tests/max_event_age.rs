//! `hookverify verify --max-event-age SECONDS` for a body-signed sender (issue 18): signatures by
//! `openssl dgst -sha256 -hmac`, never by hookverify.

mod common;

use common::{bin, run_with_stdin};

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "reflex-cli-secret";
const REFLEX: &str = r#"{"name":"reflex","signature_header":"X-Reflex-Signature"}"#;

/// Hex HMAC-SHA256 of `body` under `SECRET`, by openssl.
fn openssl_hmac(body: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // "SHA2-256(stdin)= <hex>" (or "(stdin)= <hex>" on older versions).
    text.trim().rsplit(' ').next().unwrap().to_owned()
}

/// Runs `verify` on a Reflex delivery with `created_at` (raw JSON; `None`: absent): exit code, JSON.
fn verify(created_at: Option<&str>, extra: &[&str]) -> (i32, Value) {
    let body = match created_at {
        Some(t) => format!(r#"{{"id":"evt_1","type":"deployment.created","created_at":{t},"data":{{}}}}"#),
        None => r#"{"id":"evt_1","type":"deployment.created","data":{}}"#.to_owned(),
    };
    let sig = openssl_hmac(body.as_bytes());
    let mut cmd = bin();
    cmd.args(["verify", "--scheme-json", REFLEX, "--secret", SECRET, "-H"]).arg(format!("X-Reflex-Signature: {sig}"));
    cmd.args(["--now", &NOW.to_string()]).args(extra);
    let out = run_with_stdin(cmd, body.as_bytes());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out.status.code().unwrap(), json)
}

#[test]
fn max_event_age_rejects_old_future_and_undated_events() {
    let age = ["--max-event-age", "300"];
    // Without the option, a 2020 event verifies: nothing bounds a body-signed delivery's age.
    let (code, json) = verify(Some(r#""2020-01-01T00:00:00Z""#), &[]);
    assert_eq!((code, &json["valid"]), (0, &Value::Bool(true)), "{json}");

    for created_at in [r#""2020-01-01T00:00:00Z""#, "1577836800"] {
        let (code, json) = verify(Some(created_at), &age);
        assert_eq!(code, 1, "{json}");
        assert_eq!(json["valid"], false);
        assert_eq!(json["code"], "timestamp_too_old", "{created_at}");
    }
    for created_at in [NOW.to_string(), "\"2023-11-14T22:13:20Z\"".to_owned(), (NOW - 300).to_string()] {
        let (code, json) = verify(Some(&created_at), &age);
        assert_eq!(code, 0, "{created_at}: {json}");
        assert_eq!(json["event"]["timestamp"], if created_at == (NOW - 300).to_string() { NOW - 300 } else { NOW });
    }
    let (code, json) = verify(Some(r#""2999-01-01T00:00:00Z""#), &age);
    assert_eq!((code, json["code"].as_str()), (1, Some("timestamp_too_new")), "{json}");
    let (code, json) = verify(None, &age);
    assert_eq!((code, json["code"].as_str()), (1, Some("missing_field")), "{json}");
}

#[test]
fn max_event_age_on_an_unsigned_timestamp_is_a_usage_error() {
    let mut cmd = bin();
    cmd.args(["verify", "--scheme", "shopify", "--secret", "s", "-H", "X-Shopify-Hmac-Sha256: AAAA", "--max-event-age", "60"]);
    let out = run_with_stdin(cmd, b"{}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{json}");
    assert_eq!(json["code"], "invalid_argument");
    assert!(json["message"].as_str().unwrap().contains("X-Shopify-Triggered-At"), "{json}");
}
