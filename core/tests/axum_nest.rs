//! The axum route under `Router::nest`: routes' paths and `base_path` match the request's original
//! path (`OriginalUri`), so scoped handlers keep matching once the endpoint is mounted; unhandled
//! status and the sync header are honoured.
#![cfg(feature = "axum")]

mod support;

use std::sync::{Arc, Mutex};

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
    let port = support::serve(app).await;
    let call = move |path: &'static str, headers: Vec<(String, String)>, body: &'static str| {
        tokio::task::spawn_blocking(move || {
            let (status, _, body) = support::post(port, path, &headers, body.as_bytes());
            (status, body)
        })
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
