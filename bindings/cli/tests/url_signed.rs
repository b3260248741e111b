//! `--url` / `--method` on `verify`, `diagnose` and `listen` for schemes that sign the request
//! line. Signatures are the square-nodejs-sdk and twilio-node test vectors (tests/vectors/presets.json).

mod common;

use common::{bin, run_with_stdin, vectors};
use serde_json::Value;

fn case(id: &str) -> Value {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(vectors().join("presets.json")).unwrap()).unwrap();
    doc["tests"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap_or_else(|| panic!("no vector {id}")).clone()
}

fn run(sub: &str, t: &Value, url: Option<&str>) -> (Option<i32>, Value) {
    let mut cmd = bin();
    cmd.args([sub, "--scheme", t["preset"].as_str().unwrap()]);
    cmd.arg(format!("--secret={}", t["secret"].as_str().unwrap()));
    for (k, v) in t["headers"].as_object().unwrap() {
        cmd.args(["-H", &format!("{k}: {}", v.as_str().unwrap())]);
    }
    cmd.args(["--now", &t["now"].to_string()]);
    if let Some(u) = url {
        cmd.arg(format!("--url={u}"));
    }
    if sub == "diagnose" {
        cmd.arg("--json");
    }
    let out = run_with_stdin(cmd, t["body"].as_str().unwrap().as_bytes());
    let text = String::from_utf8(out.stdout).unwrap();
    (out.status.code(), serde_json::from_str(text.trim_end()).unwrap_or_else(|e| panic!("{e}: {text:?}")))
}

#[test]
fn verify_without_url_is_a_usage_error_naming_the_option() {
    let t = case("square-006");
    let (code, json) = run("verify", &t, None);
    assert_eq!(code, Some(2), "{json}");
    assert_eq!(json["code"], "invalid_argument", "{json}");
    assert!(json["message"].as_str().unwrap().contains("url"), "{json}");
}

#[test]
fn diagnose_names_the_url_spelling_that_verifies() {
    // Square signed https://webhook.site/…; a receiver behind a TLS-terminating proxy saw http.
    let t = case("square-006");
    let signed = t["url"].as_str().unwrap();
    let seen = signed.replacen("https://", "http://", 1);
    let (code, json) = run("diagnose", &t, Some(&seen));
    assert_eq!(code, Some(1), "{json}");
    let hint = &json["hints"][0];
    assert_eq!(hint["code"], "wrong_url", "{json}");
    assert!(hint["message"].as_str().unwrap().contains(signed), "{json}");
    // A port the server listens on behind a proxy.
    let seen = signed.replacen("webhook.site", "webhook.site:8443", 1);
    let (_, json) = run("diagnose", &t, Some(&seen));
    assert_eq!(json["hints"][0]["code"], "wrong_url", "{json}");
    assert!(json["hints"][0]["message"].as_str().unwrap().contains("no port"), "{json}");
    // Square signed no query string; a receiver that kept one the router added.
    let (_, json) = run("diagnose", &t, Some(&format!("{signed}?utm=1")));
    assert_eq!(json["hints"][0]["code"], "wrong_url", "{json}");
    assert!(json["hints"][0]["message"].as_str().unwrap().contains("no query"), "{json}");
    // Twilio (port variants tried by the verifier itself): the scheme rewritten by a proxy.
    let t = case("twilio-017");
    let signed = t["url"].as_str().unwrap();
    let (_, json) = run("diagnose", &t, Some(&signed.replacen("https", "http", 1)));
    assert_eq!(json["hints"][0]["code"], "wrong_url", "{json}");
    // The right URL: valid, no hint.
    let (code, json) = run("diagnose", &t, Some(signed));
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["hints"], serde_json::json!([]), "{json}");
}

#[test]
fn listen_verifies_with_the_configured_url() {
    // The public URL Square signed (square-006), not the 127.0.0.1 address listen is bound to.
    let t = case("square-006");
    let secret = t["secret"].as_str().unwrap();
    let h: Vec<(String, String)> =
        t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    let body = t["body"].as_str().unwrap().as_bytes();
    let mut d = common::listen(&["--scheme", "square", "--url", t["url"].as_str().unwrap()], secret);
    let (status, answer) = d.post("/", &h, body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(d.event()["id"], "ac3ac95b-f97d-458c-a6e6-18981597e05f");
    d.stop();
    // Another URL: the same delivery is refused.
    let mut d = common::listen(&["--scheme", "square", "--url", "https://webhook.site/other"], secret);
    let (status, answer) = d.post("/", &h, body);
    assert_eq!(status, 401, "{answer}");
    d.stop();
}
