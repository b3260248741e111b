//! `listen --public-key` (repeatable, no secret needed) and `listen --url/--method` (issue 19,
//! item 8). Signatures are made by an independent implementation at run time (the deliveries must
//! be fresh): Ed25519 by tests/vectors/pure_asym.py (pure Python, checked against RFC 8032 on
//! import), HubSpot's HMAC by Python's hmac.

mod common;

use std::process::Command;

use common::{bin, vectors, Daemon};

/// Runs a Python snippet with tests/vectors on the path; its stdout lines.
fn python(code: &str) -> Vec<String> {
    let out = Command::new("python3").arg("-c").arg(code).env("PYTHONPATH", vectors()).output().expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

fn listen(args: &[&str]) -> Daemon {
    let mut cmd = bin();
    cmd.args(["listen", "--port", "0", "--sync"]).args(args);
    Daemon::start(cmd)
}

const BODY: &str = r#"{"id":"i-42","type":2,"data":{"name":"ping"}}"#;

#[test]
fn listen_verifies_discord_with_public_keys_only() {
    // [public key of the signer, another public key, timestamp, signature]
    let out = python(&format!(
        r#"
import hashlib, time, pure_asym
seed = hashlib.sha256(b"listen --public-key signer").digest()
other = hashlib.sha256(b"listen --public-key other").digest()
ts = str(int(time.time()))
print(pure_asym.ed25519_public(seed).hex())
print(pure_asym.ed25519_public(other).hex())
print(ts)
print(pure_asym.ed25519_sign(seed, ts.encode() + {BODY:?}.encode()).hex())
"#
    ));
    let [key, other, ts, sig] = [&out[0], &out[1], &out[2], &out[3]];
    let headers = [("X-Signature-Ed25519", sig.as_str()), ("X-Signature-Timestamp", ts.as_str())];

    // Repeatable; the matching key is the second one.
    let mut d = listen(&["--scheme", "discord", "--public-key", other, "--public-key", key]);
    let (status, answer) = d.post("/", &headers, BODY.as_bytes());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(d.event()["id"], "i-42");
    d.stop();

    let mut d = listen(&["--scheme", "discord", "--public-key", other]);
    let (status, answer) = d.post("/", &headers, BODY.as_bytes());
    assert_eq!(status, 401, "{answer}");
    d.stop();
}

#[test]
fn listen_verifies_hubspot_with_the_configured_url_and_method() {
    let url = "https://hooks.example.com/hubspot?portal=7";
    let body = r#"[{"eventId":7,"subscriptionType":"contact.creation","occurredAt":1700000000000}]"#;
    // HubSpot v3: base64 HMAC-SHA256 over method + URL + body + ms timestamp.
    let out = python(&format!(
        r#"
import base64, hashlib, hmac, time
ts = str(int(time.time()) * 1000)
msg = b"PUT" + {url:?}.encode() + {body:?}.encode() + ts.encode()
print(ts)
print(base64.b64encode(hmac.new(b"hs-secret", msg, hashlib.sha256).digest()).decode())
"#
    ));
    let headers = [("X-HubSpot-Request-Timestamp", out[0].as_str()), ("X-HubSpot-Signature-v3", out[1].as_str())];
    let mut d = listen(&["--scheme", "hubspot", "--secret", "hs-secret", "--url", url, "--method", "PUT"]);
    let (status, answer) = d.post("/", &headers, body.as_bytes());
    assert_eq!(status, 200, "{answer}");
    d.stop();
    // The default method (POST) is not what was signed.
    let mut d = listen(&["--scheme", "hubspot", "--secret", "hs-secret", "--url", url]);
    let (status, answer) = d.post("/", &headers, body.as_bytes());
    assert_eq!(status, 401, "{answer}");
    d.stop();
}
