//! `--public-key` (issue 19, item 3). The signature is the research vector `discord-079`: Ed25519
//! by Python `cryptography` for the RFC 8032 section 7.1 TEST 1 key pair (tests/vectors/presets.json).

mod common;

use common::{bin, run_with_stdin};
use serde_json::Value;

const KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const SIG: &str =
    "b3dcf2930a86051ba5ce49fbbd05c6c72e3055d9c975f8fb2f2c149fccc76778c3de5ad93c45103f72d6ad141580365913df3428f1e72cf12bc87f45696dcf05";
const BODY: &str = r#"{"application_id":"123","id":"456","token":"t","type":1,"user":{"id":"789"},"version":1}"#;

fn run(sub: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut cmd = bin();
    cmd.args([sub, "--scheme", "discord", "--now", "1764547200"]);
    cmd.args(["-H", &format!("X-Signature-Ed25519: {SIG}"), "-H", "X-Signature-Timestamp: 1764547200"]);
    cmd.args(extra);
    let out = run_with_stdin(cmd, BODY.as_bytes());
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn verify_takes_public_keys_and_counts_them_after_secrets() {
    let other = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let (code, out) = run("verify", &["--public-key", other, "--public-key", KEY]);
    let json: Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["key_index"], 1);
    let (code, out) = run("verify", &["--public-key", other]);
    let json: Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!((code, json["code"].as_str()), (Some(1), Some("no_matching_signature")));
}

#[test]
fn a_bad_public_key_is_a_usage_error_that_does_not_quote_it() {
    let (code, out) = run("verify", &["--public-key", "CANARY"]);
    let json: Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(json["code"], "invalid_secret", "{json}");
    assert_ne!(code, Some(0));
    assert!(!out.contains("CANARY"), "{out}");
}

#[test]
fn diagnose_checks_public_keys_and_names_a_wrong_one() {
    let (code, out) = run("diagnose", &["--json", "--public-key", KEY]);
    let json: Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!((code, &json["valid"], &json["key_index"]), (Some(0), &Value::Bool(true), &Value::from(0)), "{json}");
    let other = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let (code, out) = run("diagnose", &["--json", "--public-key", other]);
    let json: Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["hints"][0]["code"], "wrong_public_key", "{json}");
}
