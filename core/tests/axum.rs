//! The axum receiver over real HTTP on loopback.
#![cfg(feature = "axum")]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hookverify::axum::{Context, HandlerError, Webhooks};
use hookverify::{MemoryStore, Mode, Provider, Verifier};
use support::post;

async fn serve(hooks: Webhooks) -> u16 {
    support::serve(axum::Router::new().route("/webhooks", hooks.into_method_router())).await
}

fn with_delivery(headers: &[(String, String)], id: &str) -> Vec<(String, String)> {
    let mut h = headers.to_vec();
    h.push(("X-GitHub-Delivery".into(), id.into()));
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_ack_policy_over_http() {
    let support::GithubCase { secret, body, headers } = support::github_case();
    let runs = Arc::new(AtomicUsize::new(0));
    let fail_next = Arc::new(AtomicUsize::new(0));
    let (r, f) = (runs.clone(), fail_next.clone());
    let verifier = Verifier::builder(support::github_keyed_by_delivery_id()).secret(&secret).max_body_bytes(1024).build().unwrap();
    let hooks = Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default())
        .unwrap()
        .on("issues", move |ctx: Context| {
            let (r, f) = (r.clone(), f.clone());
            async move {
                if ctx.event.id == "slow" {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                if f.swap(0, Ordering::SeqCst) == 1 {
                    return Err::<(), HandlerError>("downstream unavailable".into());
                }
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .mode(Mode::Sync);
    let port = serve(hooks).await;
    let call =
        move |path: &'static str, h: Vec<(String, String)>, b: Vec<u8>| tokio::task::spawn_blocking(move || post(port, path, &h, &b));

    // valid -> handler ran once
    let (status, _, resp) = call("/webhooks", with_delivery(&headers, "d1"), body.clone()).await.unwrap();
    assert_eq!((status, runs.load(Ordering::SeqCst)), (200, 1), "{resp}");
    // duplicate -> 200, not run again
    let (status, _, resp) = call("/webhooks", with_delivery(&headers, "d1"), body.clone()).await.unwrap();
    assert_eq!((status, runs.load(Ordering::SeqCst)), (200, 1));
    assert!(resp.contains("duplicate"));
    // tampered -> 401 with the code
    let mut tampered = body.clone();
    tampered[2] ^= 1;
    let (status, _, resp) = call("/webhooks", with_delivery(&headers, "d2"), tampered).await.unwrap();
    assert_eq!(status, 401);
    assert!(resp.contains("no_matching_signature"));
    // handler fails -> 500, the retry runs it
    fail_next.store(1, Ordering::SeqCst);
    let (status, _, _) = call("/webhooks", with_delivery(&headers, "d3"), body.clone()).await.unwrap();
    assert_eq!(status, 500);
    let (status, _, _) = call("/webhooks", with_delivery(&headers, "d3"), body.clone()).await.unwrap();
    assert_eq!((status, runs.load(Ordering::SeqCst)), (200, 2));
    // in-progress duplicate -> 409 with Retry-After
    let first = call("/webhooks", with_delivery(&headers, "slow"), body.clone());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (status, head, _) = call("/webhooks", with_delivery(&headers, "slow"), body.clone()).await.unwrap();
    assert_eq!(status, 409);
    assert!(head.to_ascii_lowercase().contains("retry-after: 60"), "{head}");
    assert_eq!(first.await.unwrap().0, 200);
    // over the cap -> 413
    let (status, _, _) = call("/webhooks", with_delivery(&headers, "big"), vec![b' '; 4096]).await.unwrap();
    assert_eq!(status, 413);
    // missing signature -> 401
    let (status, _, resp) = call("/webhooks", vec![], body.clone()).await.unwrap();
    assert_eq!(status, 401);
    assert!(resp.contains("missing_header"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_a_failure_and_the_retry_runs() {
    let support::GithubCase { secret, body, headers } = support::github_case();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let verifier = Verifier::new(support::github_keyed_by_delivery_id(), [secret.as_str()]).unwrap();
    let hooks = Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default())
        .unwrap()
        .on("*", move |_ctx: Context| {
            let c = c.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("handler bug");
                }
                Ok(())
            }
        })
        .mode(Mode::Sync);
    let port = serve(hooks).await;
    let h = with_delivery(&headers, "p1");
    let send = move || {
        let (h, b) = (h.clone(), body.clone());
        tokio::task::spawn_blocking(move || post(port, "/webhooks", &h, &b))
    };
    assert_eq!(send().await.unwrap().0, 500, "a panic releases the claim");
    assert_eq!(send().await.unwrap().0, 200, "the retry runs the handler");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_mode_answers_202_then_runs() {
    let support::GithubCase { secret, body, headers } = support::github_case();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let verifier = Verifier::new(support::github_keyed_by_delivery_id(), [secret.as_str()]).unwrap();
    let hooks = Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default()).unwrap().on("*", move |_ctx: Context| {
        let r = r.clone();
        async move {
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let port = serve(hooks).await;
    let h = with_delivery(&headers, "a1");
    let (status, _, _) = tokio::task::spawn_blocking({
        let (h, b) = (h.clone(), body.clone());
        move || post(port, "/webhooks?source=test", &h, &b)
    })
    .await
    .unwrap();
    assert_eq!(status, 202);
    for _ in 0..100 {
        if runs.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Per-request sync switch.
    let mut sync = with_delivery(&headers, "a2");
    sync.push(("Hookverify-Sync".into(), "true".into()));
    let (status, _, _) = tokio::task::spawn_blocking(move || post(port, "/webhooks", &sync, &body)).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}
