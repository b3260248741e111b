//! The axum route under `Router::nest`: routes' paths and `base_path` match the request's original
//! path (`OriginalUri`), so scoped handlers keep matching once the endpoint is mounted; unhandled
//! status and the sync header are honoured.
#![cfg(feature = "axum")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookverify::axum::{Context, Webhooks};
use hookverify::{MemoryStore, Mode, Provider, Scope, Verifier};

const SECRET: &str = "gh-secret";

/// A GitHub delivery, its HMAC-SHA256 computed here from the RFC 2104 definition over `sha2`
/// (never by hookverify's signer).
fn github(body: &str, event: &str, id: &str) -> Vec<(String, String)> {
    use sha2::{Digest, Sha256};
    let mut key = [0u8; 64];
    key[..SECRET.len()].copy_from_slice(SECRET.as_bytes());
    let pad = |b: u8| key.iter().map(|k| k ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(body).finalize();
    let mac = Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize();
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("X-Hub-Signature-256".into(), format!("sha256={hex}")),
        ("X-GitHub-Event".into(), event.into()),
        ("X-GitHub-Delivery".into(), id.into()),
    ]
}

fn post(port: u16, path: &str, headers: &[(String, String)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.split(' ').nth(1).unwrap().parse().unwrap(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_routes_match_the_original_path_relative_to_base_path() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let verifier = Verifier::new(hookverify::Scheme::preset("github").unwrap(), [SECRET]).unwrap();
    let hooks = Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default())
        .unwrap()
        .on_scoped("push", Scope::default().provider("github").path("git/push"), move |ctx: Context| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(ctx.path.clone());
                Ok(())
            }
        })
        .mode(Mode::Async)
        .base_path("/flexdeploy/webhooks/v2")
        .sync_header("flex-sync-webhook", "true")
        .unhandled_status(204);
    let inner = axum::Router::new().route("/{*rest}", hooks.into_method_router());
    let app = axum::Router::new().nest("/flexdeploy/webhooks/v2", inner);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let call = move |path: &'static str, headers: Vec<(String, String)>, body: &'static str| {
        tokio::task::spawn_blocking(move || post(port, path, &headers, body))
    };

    // Mounted under nest, the scoped route still matches: its path is relative to base_path.
    let mut h = github(r#"{"ref":"a"}"#, "push", "d-1");
    h.push(("flex-sync-webhook".into(), "true".into()));
    let (status, body) = call("/flexdeploy/webhooks/v2/git/push?x=1", h, r#"{"ref":"a"}"#).await.unwrap();
    assert_eq!(status, 200, "sync by the custom header, handler ran: {body}");
    assert_eq!(seen.lock().unwrap().as_slice(), ["/flexdeploy/webhooks/v2/git/push"]);
    // Another path under the mount: no route takes it; unhandled_status answers.
    let (status, body) = call("/flexdeploy/webhooks/v2/other", github(r#"{"ref":"b"}"#, "push", "d-2"), r#"{"ref":"b"}"#).await.unwrap();
    assert_eq!(status, 204, "{body}");
}
