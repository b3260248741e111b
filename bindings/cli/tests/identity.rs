//! What identifies a delivery, through the binary (issue 16, items 1–3): `verify` reports the id of
//! the header set that verified (a Svix delivery plus an unsigned `webhook-id`), and `listen` runs a
//! delivery once whatever the request target's spelling or a fresh unsigned GitHub delivery id.
//! Signatures come from Python's `hmac` and the `hmac` crate (never hookverify's signer).

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{bin, hmac_sha256_hex, listen, redis, run_with_stdin};
use serde_json::Value;

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Runs a Python snippet (stdlib only) with `body` on stdin; returns its stdout, trimmed.
fn python(code: &str, args: &[&str], body: &[u8]) -> String {
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(code)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Standard Webhooks signature `v1,<base64>` of `id.ts.body` under the whsec secret.
fn standard_sig(id: &str, ts: &str, body: &[u8]) -> String {
    let code = "import base64,hmac,hashlib,sys; k=base64.b64decode(sys.argv[1][6:]); \
                m=(sys.argv[2]+'.'+sys.argv[3]+'.').encode()+sys.stdin.buffer.read(); \
                print('v1,'+base64.b64encode(hmac.new(k,m,hashlib.sha256).digest()).decode())";
    python(code, &[WHSEC, id, ts], body)
}

fn github_sig(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(secret, body))
}

#[test]
fn verify_reports_the_svix_id_when_a_webhook_id_is_added() {
    // Issue 16's reproduction: svix-* from a real signature plus `-H 'webhook-id: anything'`.
    let body = br#"{"type":"user.created","data":{"n":1}}"#;
    let ts = "1700000000";
    let sig = standard_sig("msg_svix_1", ts, body);
    let mut cmd = bin();
    cmd.args(["verify", "--scheme", "standard", "--secret", WHSEC, "--now", ts])
        .args(["-H", "svix-id: msg_svix_1", "-H", &format!("svix-timestamp: {ts}"), "-H", &format!("svix-signature: {sig}")])
        .args(["-H", "webhook-id: anything", "-H", "webhook-timestamp: 1"]);
    let out = run_with_stdin(cmd, body);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["valid"], true);
    assert_eq!(line["event"]["id"], "msg_svix_1", "{line}");
    assert_eq!(line["event"]["timestamp"], 1_700_000_000, "{line}");
}

#[test]
fn listen_runs_one_github_delivery_once_under_any_target_or_delivery_id() {
    let secret = "gh-listen";
    let mut server = listen(&["--path", "/hooks", "--scheme", "github"], secret);
    let body = br#"{"action":"opened","issue":{"number":7}}"#;
    let sig = github_sig(secret, body);
    let send = |target: &str, delivery: &str| {
        server.post(target, &[("X-Hub-Signature-256", sig.as_str()), ("X-GitHub-Event", "issues"), ("X-GitHub-Delivery", delivery)], body)
    };
    let (status, resp) = send("/hooks", "d-genuine");
    assert_eq!(status, 200, "{resp}");
    assert_eq!(server.event()["id"], "d-genuine", "the handler sees GitHub's delivery id");
    for (target, delivery) in [("/hooks", "d-genuine"), ("/hooks?x=1", "d-genuine"), ("/hooks", "d-fresh-1"), ("/hooks?y", "d-fresh-2")] {
        let (status, resp) = send(target, delivery);
        assert_eq!(status, 200, "{target} {delivery}: {resp}");
        assert!(resp.contains(r#""duplicate":true"#), "{target} {delivery}: {resp}");
    }
    let rest = server.stop();
    assert!(rest.is_empty(), "no second event may be printed: {rest:?}");
}

#[test]
fn listeners_sharing_redis_are_kept_apart_by_namespace_not_path() {
    let (_redis, port) = redis(&[]);
    let url = format!("redis://127.0.0.1:{port}/0");
    let secret = "gh-ns";
    let body = br#"{"action":"opened","issue":{"number":8}}"#;
    let sig = github_sig(secret, body);
    let headers = [("X-Hub-Signature-256", sig.as_str()), ("X-GitHub-Event", "issues"), ("X-GitHub-Delivery", "d-ns")];
    // Three listeners on one Redis: two named "a" (on different paths), one named "b".
    let mut started = Vec::new();
    for (path, namespace) in [("/a", "a"), ("/a-too", "a"), ("/b", "b")] {
        started.push((path, listen(&["--path", path, "--scheme", "github", "--redis", &url, "--namespace", namespace], secret)));
    }
    let answers: Vec<String> = started.iter().map(|(path, server)| server.post(path, &headers, body).1).collect();
    drop(started);
    assert!(!answers[0].contains("duplicate"), "{answers:?}");
    assert!(answers[1].contains(r#""duplicate":true"#), "same namespace, other path: one delivery: {answers:?}");
    assert!(!answers[2].contains("duplicate"), "another namespace is another endpoint: {answers:?}");
}
