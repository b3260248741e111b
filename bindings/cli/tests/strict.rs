//! Issue 16, items 8 and 9 for the CLI: whitespace-only secrets are a usage error (exit 2), and a
//! signature header that is two headers joined with `, ` (or holds non-ASCII bytes) is
//! `malformed_header`, in `verify` and in `listen`. Signatures come from tests/vectors.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{bin, listen, run_with_stdin, vectors};
use serde_json::Value;

fn case(id: &str) -> Value {
    let text = std::fs::read_to_string(vectors().join("attacks/malformed_headers.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["inputs"].clone()
}

fn verify(scheme: &str, secret: &str, headers: &[(&str, String)], body: &[u8], now: i64) -> (Option<i32>, Value) {
    let mut cmd = bin();
    cmd.args(["verify", "--scheme", scheme, "--secret", secret, "--now", &now.to_string()]);
    for (k, v) in headers {
        cmd.args(["-H", &format!("{k}: {v}")]);
    }
    let out = run_with_stdin(cmd, body);
    let json = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap_or(Value::Null);
    (out.status.code(), json)
}

#[test]
fn whitespace_only_secrets_are_a_usage_error() {
    let sw = case("sw-00-baseline");
    let body = sw["payload_utf8"].as_str().unwrap().as_bytes();
    for blank in [" ", "   ", "\t", "\n"] {
        let (code, json) = verify("github", blank, &[("X-Hub-Signature-256", "sha256=00".into())], body, 0);
        assert_eq!(code, Some(2), "{blank:?}: {json}");
        assert_eq!(json["code"], "invalid_secret", "{blank:?}");
        let out = run_with_stdin(
            {
                let mut c = bin();
                c.args(["sign", "--scheme", "github", "--secret", blank]);
                c
            },
            body,
        );
        assert_eq!(out.status.code(), Some(2), "sign {blank:?}: {}", String::from_utf8_lossy(&out.stderr));
        // `listen` must refuse at start (a listener that started would run until killed).
        let mut child = bin()
            .args(["listen", "--port", "0", "--scheme", "github", "--secret", blank])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.and_then(|s| s.code()), Some(2), "listen {blank:?} must exit 2 at once");
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert!(stderr.contains("invalid secret"), "listen {blank:?}: {stderr}");
    }
}

#[test]
fn joined_signature_headers_do_not_verify() {
    let sw = case("sw-00-baseline");
    let (secret, now) = (sw["secret"].as_str().unwrap(), sw["now"].as_i64().unwrap());
    let body = sw["payload_utf8"].as_str().unwrap().as_bytes();
    let good = sw["webhook-signature"].as_str().unwrap();
    let headers = |sig: String| {
        vec![
            ("webhook-id", sw["webhook-id"].as_str().unwrap().to_owned()),
            ("webhook-timestamp", sw["webhook-timestamp"].as_str().unwrap().to_owned()),
            ("webhook-signature", sig),
        ]
    };
    assert_eq!(verify("standard", secret, &headers(good.into()), body, now).0, Some(0));
    for joined in [format!("v1,AAAA, {good}"), format!("{good}, v1,AAAA"), format!("{good}, {good}")] {
        let (code, json) = verify("standard", secret, &headers(joined.clone()), body, now);
        assert_eq!((code, json["code"].as_str()), (Some(1), Some("malformed_header")), "{joined}: {json}");
    }

    let st = case("st-00-baseline");
    let (secret, now) = (st["secret_utf8"].as_str().unwrap(), st["now"].as_i64().unwrap());
    let body = std::fs::read(vectors().join(st["body_file"].as_str().unwrap())).unwrap();
    let good = st["Stripe-Signature"].as_str().unwrap();
    let t = good.split(',').next().unwrap();
    assert_eq!(verify("stripe", secret, &[("Stripe-Signature", good.into())], &body, now).0, Some(0));
    for joined in [format!("{good}, v1={}", "de".repeat(32)), format!("{good}, {t},v1={}", "de".repeat(32))] {
        let (code, json) = verify("stripe", secret, &[("Stripe-Signature", joined.clone())], &body, now);
        assert_eq!((code, json["code"].as_str()), (Some(1), Some("malformed_header")), "{joined}: {json}");
    }
}

/// POSTs raw bytes to `listen`; returns the status and the JSON body.
fn raw_post(port: u16, lines: &[Vec<u8>], body: &[u8]) -> (u16, Value) {
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for line in lines {
        req.extend_from_slice(line);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(&req).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let json = text.split("\r\n\r\n").nth(1).and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn listen_answers_malformed_header_for_non_ascii_bytes_and_joined_values() {
    let sw = case("sw-00-baseline");
    let body = sw["payload_utf8"].as_str().unwrap().as_bytes();
    let good = sw["webhook-signature"].as_str().unwrap();
    let server = listen(&["--scheme", "standard"], sw["secret"].as_str().unwrap());
    let port = server.port;
    let lines = |sig: Vec<u8>| {
        vec![
            format!("webhook-id: {}", sw["webhook-id"].as_str().unwrap()).into_bytes(),
            format!("webhook-timestamp: {}", sw["webhook-timestamp"].as_str().unwrap()).into_bytes(),
            [b"webhook-signature: ".as_slice(), &sig].concat(),
        ]
    };
    // The vector's timestamp is years old: the clean request gets that far (the window check).
    let (status, json) = raw_post(port, &lines(good.as_bytes().to_vec()), body);
    assert_eq!((status, json["error"]["code"].as_str()), (401, Some("timestamp_too_old")), "{json}");
    for sig in [
        [good.as_bytes(), b" v1,\xff\xfe"].concat(),
        [good.as_bytes(), " v1,caf\u{e9}".as_bytes()].concat(),
        format!("v1,AAAA, {good}").into_bytes(),
    ] {
        let (status, json) = raw_post(port, &lines(sig.clone()), body);
        assert_eq!((status, json["error"]["code"].as_str()), (401, Some("malformed_header")), "{}: {json}", String::from_utf8_lossy(&sig));
    }
}
