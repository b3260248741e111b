//! Durable async mode through the axum receiver (issue 21, part 2) over real HTTP on loopback:
//! committed before the 202, retried with backoff then done or dead-lettered, dedup by the inbox
//! across two receivers sharing it, every delivery recorded, sync deliveries recorded with their
//! attempt, and an event a dead process left leased run again once its lease expired.
#![cfg(all(feature = "axum", feature = "inbox-sqlite"))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hookverify::axum::{Context, HandlerError, Webhooks};
use hookverify::inbox::{Durable, Filter, Inbox, Retry, SqliteInbox, State};
use hookverify::{MemoryStore, Provider, Verifier};
use support::post;

#[path = "support/inbox_dir.rs"]
mod inbox_dir;

use inbox_dir::InboxDir;

fn with_delivery(headers: &[(String, String)], id: &str) -> Vec<(String, String)> {
    let mut h = headers.to_vec();
    h.push(("X-GitHub-Delivery".into(), id.into()));
    h
}

/// Handler runs per event id; the handler fails while `fails` (per id, a count) is not used up.
#[derive(Default)]
struct Runs {
    runs: std::sync::Mutex<Vec<String>>,
    fail_first: AtomicUsize,
}

fn hooks(secret: &str, inbox: Arc<SqliteInbox>, retry: Retry, runs: Arc<Runs>) -> Webhooks {
    let verifier = Verifier::builder(support::github_keyed_by_delivery_id()).secret(secret).build().unwrap();
    let durable = Durable::new(retry).poll_interval(Duration::from_millis(20)).lease(Duration::from_secs(2));
    Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default()).unwrap().inbox(inbox, durable).on(
        "*",
        move |ctx: Context| {
            let runs = runs.clone();
            async move {
                let n = {
                    let mut r = runs.runs.lock().unwrap();
                    r.push(ctx.event.id.clone());
                    r.iter().filter(|i| **i == ctx.event.id).count()
                };
                if ctx.event.id.starts_with("always-fails") || n <= runs.fail_first.load(Ordering::SeqCst) {
                    return Err::<(), HandlerError>(format!("downstream said no (run {n})").into());
                }
                Ok(())
            }
        },
    )
}

async fn serve(hooks: Webhooks) -> u16 {
    support::serve(axum::Router::new().route("/webhooks", hooks.into_method_router())).await
}

async fn call(port: u16, h: Vec<(String, String)>, body: Vec<u8>) -> (u16, String) {
    let (status, _, resp) = tokio::task::spawn_blocking(move || post(port, "/webhooks?tenant=1", &h, &body)).await.unwrap();
    (status, resp)
}

/// Waits (up to 10 s) until record `event_id` is in `state`.
async fn until_state(inbox: &SqliteInbox, event_id: &str, state: State) -> hookverify::inbox::Record {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = inbox.show(event_id).unwrap();
        if let Some(r) = r.filter(|r| r.summary.state == state) {
            return r;
        }
        assert!(Instant::now() < deadline, "{event_id} never reached {state:?}: {:?}", inbox.show(event_id).unwrap().map(|r| r.summary));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_is_committed_then_retried_until_done_with_every_attempt_recorded() {
    let dir = InboxDir::new("axum-inbox", "retry");
    let support::GithubCase { secret, body, headers } = support::github_case();
    let runs = Arc::new(Runs::default());
    runs.fail_first.store(2, Ordering::SeqCst);
    let inbox = Arc::new(dir.open());
    let port = serve(hooks(&secret, inbox.clone(), Retry::new(5, Duration::from_millis(50)), runs.clone())).await;
    let (status, resp) = call(port, with_delivery(&headers, "evt-1"), body.clone()).await;
    assert_eq!(status, 202, "{resp}");
    let record = until_state(&inbox, "evt-1", State::Done).await;
    assert_eq!(record.summary.attempts, 3, "failed twice, then succeeded");
    let oks: Vec<_> = record.attempts.iter().map(|a| a.ok).collect();
    assert_eq!(oks, [Some(false), Some(false), Some(true)]);
    assert!(record.attempts[0].error.as_deref().unwrap().contains("downstream said no (run 1)"));
    assert!(record.attempts[1].started_at_ms >= record.attempts[0].ended_at_ms.unwrap() + 25, "backoff (with jitter) waited");
    assert_eq!(record.query.as_deref(), Some("tenant=1"));
    assert_eq!(record.body, body);
    // A duplicate is answered as one, recorded, and never run again.
    let (status, resp) = call(port, with_delivery(&headers, "evt-1"), body.clone()).await;
    assert_eq!(status, 200, "{resp}");
    assert!(resp.contains("\"duplicate\":true"), "{resp}");
    assert_eq!(inbox.list(&Filter::new().state(State::Duplicate)).unwrap().len(), 1);
    // A tampered one is refused and recorded as rejected, with its code.
    let mut tampered = body.clone();
    tampered[2] ^= 1;
    let (status, _) = call(port, with_delivery(&headers, "evt-x"), tampered).await;
    assert_eq!(status, 401);
    let rejected = inbox.list(&Filter::new().state(State::Rejected)).unwrap();
    assert_eq!((rejected.len(), rejected[0].verdict.as_str()), (1, "no_matching_signature"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(runs.runs.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_handler_is_dead_lettered_after_max_attempts() {
    let dir = InboxDir::new("axum-inbox", "dead");
    let support::GithubCase { secret, body, headers } = support::github_case();
    let runs = Arc::new(Runs::default());
    let inbox = Arc::new(dir.open());
    let port = serve(hooks(&secret, inbox.clone(), Retry::new(3, Duration::from_millis(20)), runs.clone())).await;
    assert_eq!(call(port, with_delivery(&headers, "always-fails-1"), body).await.0, 202);
    let record = until_state(&inbox, "always-fails-1", State::Failed).await;
    assert_eq!(record.attempts.len(), 3);
    assert!(record.attempts.iter().all(|a| a.ok == Some(false)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs.runs.lock().unwrap().len(), 3, "never run after the dead letter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_sharing_an_inbox_run_an_event_once() {
    let dir = InboxDir::new("axum-inbox", "shared");
    let support::GithubCase { secret, body, headers } = support::github_case();
    let runs = Arc::new(Runs::default());
    let a = serve(hooks(&secret, Arc::new(dir.open()), Retry::default(), runs.clone())).await;
    let b = serve(hooks(&secret, Arc::new(dir.open()), Retry::default(), runs.clone())).await;
    let mut answers = Vec::new();
    let calls: Vec<_> =
        (0..20).map(|i| call(if i % 2 == 0 { a } else { b }, with_delivery(&headers, "evt-shared"), body.clone())).collect();
    for c in calls {
        answers.push(c.await.0);
    }
    assert_eq!(answers.iter().filter(|s| **s == 202).count(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 200).count(), 19, "{answers:?}");
    let inbox = Arc::new(dir.open());
    until_state(&inbox, "evt-shared", State::Done).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(runs.runs.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_a_dead_process_left_leased_runs_when_its_lease_expires() {
    let dir = InboxDir::new("axum-inbox", "resume");
    let support::GithubCase { secret, body, headers } = support::github_case();
    // A receiver that committed an event, then "died" while running it: its lease stays.
    let inbox = Arc::new(dir.open());
    let h = with_delivery(&headers, "evt-orphan");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let arrival = hookverify::inbox::Arrival {
        received_at_ms: now,
        provider: Some("github"),
        path: "/webhooks",
        query: None,
        headers: &h,
        body: &body,
        verdict: "accepted",
        status: 202,
        event_id: Some("evt-orphan"),
        event_type: Some("issues.opened"),
        state: State::Pending,
    };
    inbox.enqueue(&arrival, "|github|evt-orphan").unwrap();
    let job = inbox.lease_due("dead-process", now, 1_000, 1).unwrap().pop().unwrap();
    assert_eq!(job.attempt, 1);
    let runs = Arc::new(Runs::default());
    let started = Instant::now();
    let _port = serve(hooks(&secret, Arc::new(dir.open()), Retry::default(), runs.clone())).await;
    let record = until_state(&inbox, "evt-orphan", State::Done).await;
    assert!(started.elapsed() >= Duration::from_millis(800), "not before the dead lease expired");
    assert_eq!(record.attempts.len(), 2, "the cut-short attempt and the resumed one");
    assert_eq!(record.attempts[0].ended_at_ms, None);
    assert_eq!(*runs.runs.lock().unwrap(), ["evt-orphan"]);
    // The dead process's late finish is refused (fenced).
    assert!(!inbox.finish_attempt(job.id, "dead-process", 1, now, hookverify::inbox::Outcome::Done).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_delivery_is_recorded_with_its_attempt_and_no_inbox_retry() {
    let dir = InboxDir::new("axum-inbox", "sync");
    let support::GithubCase { secret, body, headers } = support::github_case();
    let runs = Arc::new(Runs::default());
    let inbox = Arc::new(dir.open());
    let port = serve(hooks(&secret, inbox.clone(), Retry::new(5, Duration::from_millis(10)), runs.clone())).await;
    let mut h = with_delivery(&headers, "always-fails-sync");
    h.push(("Hookverify-Sync".into(), "true".into()));
    let (status, resp) = call(port, h.clone(), body.clone()).await;
    assert_eq!(status, 500, "{resp}");
    let record = inbox.show("always-fails-sync").unwrap().unwrap();
    assert_eq!((record.summary.state, record.summary.status, record.attempts.len()), (State::Failed, 500, 1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(runs.runs.lock().unwrap().len(), 1, "the sender retries a sync delivery, not the inbox");
    // The sender's retry runs it again (the claim was released), as a new record.
    assert_eq!(call(port, h, body).await.0, 500);
    assert_eq!(inbox.list(&Filter::new().state(State::Failed)).unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_cap_is_refused_and_recorded_without_its_body() {
    let dir = InboxDir::new("axum-inbox", "toolarge");
    let support::GithubCase { secret, headers, .. } = support::github_case();
    let verifier = Verifier::builder(support::github_keyed_by_delivery_id()).secret(&secret).max_body_bytes(64).build().unwrap();
    let inbox = Arc::new(dir.open());
    let hooks = Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default())
        .unwrap()
        .inbox(inbox.clone(), Durable::default())
        .on("*", |_ctx: Context| async { Ok::<(), HandlerError>(()) });
    let port = serve(hooks).await;
    let (status, _) = call(port, with_delivery(&headers, "evt-big"), vec![b'x'; 10_000]).await;
    assert_eq!(status, 413);
    let rejected = inbox.list(&Filter::new().state(State::Rejected)).unwrap();
    assert_eq!((rejected.len(), rejected[0].verdict.as_str(), rejected[0].status), (1, "payload_too_large", 413));
    assert!(inbox.show(&rejected[0].id.to_string()).unwrap().unwrap().body.is_empty());
}
