//! Issue 19 item 5 through `hookverify listen` (the core's axum receiver): a signed Slack
//! `url_verification` is answered with its challenge once verified, a GET handshake (Dropbox's
//! `?challenge=`) reaches the core and is echoed as text/plain with nosniff, and any other GET is
//! the core's 405. A real process over loopback, stopped by its pid; signatures by the hmac/sha2
//! crates (tests/common), never by hookverify.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{hmac_sha256_hex, listen};

const SECRET: &str = "QZhandshakeS3cret-51c0";

/// A GET to `target`: the status line and headers (lowercased) and the body.
fn get(port: u16, target: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.to_ascii_lowercase(), body.to_owned())
}

#[test]
fn listen_answers_a_signed_slack_url_verification_after_verifying() {
    let server = listen(&["--scheme", "slack"], SECRET);
    let ts = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
    let body = br#"{"token":"t","challenge":"cli-challenge-7","type":"url_verification"}"#;
    let content = [b"v0:".as_slice(), ts.as_bytes(), b":", body].concat();
    let sig = format!("v0={}", hmac_sha256_hex(SECRET, &content));
    let (status, answer) = server.post("/", &[("X-Slack-Signature", sig.as_str()), ("X-Slack-Request-Timestamp", ts.as_str())], body);
    assert_eq!((status, answer.as_str()), (200, r#"{"challenge":"cli-challenge-7"}"#));
    let bad = format!("v0={}", hmac_sha256_hex("another-secret", &content));
    let (status, answer) = server.post("/", &[("X-Slack-Signature", bad.as_str()), ("X-Slack-Request-Timestamp", ts.as_str())], body);
    assert_eq!(status, 401, "{answer}");
    assert!(!answer.contains("cli-challenge-7"), "{answer}");
    // Nothing was delivered to stdout: a handshake is no event.
    assert!(server.stdout.recv_timeout(Duration::from_millis(300)).is_err());
}

#[test]
fn listen_lets_a_get_handshake_reach_the_core() {
    let spec = r#"{"name":"dropbox","signature_header":"X-Dropbox-Signature","handshakes":["dropbox_challenge"]}"#;
    let server = listen(&["--scheme-json", spec], SECRET);
    let (head, body) = get(server.port, "/?challenge=Vq1kNH6Tdcg3gvN7");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/plain; charset=utf-8") && head.contains("x-content-type-options: nosniff"), "{head}");
    assert_eq!(body, "Vq1kNH6Tdcg3gvN7");
    let (head, body) = get(server.port, "/?challenge=a%0Db");
    assert!(head.starts_with("http/1.1 403") && body.contains("handshake_rejected"), "{head}{body}");
    let (head, body) = get(server.port, "/");
    assert!(head.starts_with("http/1.1 405") && head.contains("allow: post"), "{head}");
    assert!(body.contains("method_not_allowed"), "{body}");
}

#[test]
fn listen_answers_meta_subscribe_with_its_verify_token() {
    let server = listen(&["--scheme", "meta", "--verify-token", "QZverify-1"], SECRET);
    let (head, body) = get(server.port, "/?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=QZverify-1");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, "1158201444");
    let (head, body) = get(server.port, "/?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=QZverify-2");
    assert!(head.starts_with("http/1.1 403") && !body.contains("1158201444") && !body.contains("QZverify"), "{head}{body}");
}
