//! A caller-owned dedup store (issue 20, part 4, in the core): `Receiver::begin_external` stops
//! before the claim, the caller claims in its own (here async) store, `claimed` and `finished`
//! give the answers. The answers must be byte-identical to the inline path over the same store,
//! the receiver's own store must never be used, and 100 concurrent copies of one delivery must
//! run its handler once. Deliveries come from tests/vectors/schemes.json (independent signatures).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hookverify::dedup::{Claim, Completion, MemoryStore, Store, Token};
use hookverify::{Decision, Error, External, Mode, Provider, Receiver, Request, Step, Verifier};
use support::{github_case, github_keyed_by_delivery_id, GithubCase};

/// A store that fails the test if the receiver ever calls it (begin_external must not).
struct Untouchable;

impl Store for Untouchable {
    fn claim(&self, _: &str, _: Duration) -> hookverify::Result<Claim> {
        panic!("the receiver claimed in its own store")
    }
    fn complete(&self, _: &str, _: Token, _: Duration) -> hookverify::Result<Completion> {
        panic!("the receiver completed in its own store")
    }
    fn release(&self, _: &str, _: Token) -> hookverify::Result<bool> {
        panic!("the receiver released in its own store")
    }
}

fn receiver(case: &GithubCase, store: Box<dyn Store>) -> Receiver<&'static str> {
    let verifier = Verifier::builder(github_keyed_by_delivery_id()).secret(&case.secret).build().unwrap();
    let mut r = Receiver::new(vec![Provider::new("github", verifier)], store).unwrap();
    r.on("*", "handler").mode(Mode::Sync);
    r
}

fn headers(case: &GithubCase, delivery: &str) -> Vec<(String, String)> {
    let mut h = case.headers.clone();
    h.push(("X-GitHub-Delivery".into(), delivery.into()));
    h
}

const NOW: i64 = 0; // GitHub signs no timestamp

/// One request of a script: its headers, whether the handlers succeed, whether they should run.
type ScriptStep = (Vec<(String, String)>, bool, bool);

/// What the caller's async store does, here an in-process MemoryStore behind an async boundary.
struct AsyncStore {
    inner: MemoryStore,
    calls: AtomicUsize,
}

impl AsyncStore {
    async fn claim(&self, key: &str, lease: Duration) -> hookverify::Result<Claim> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await; // interleave concurrent callers between the awaits
        self.inner.claim(key, lease)
    }
    async fn complete(&self, key: &str, token: Token, retention: Duration) -> hookverify::Result<Completion> {
        tokio::task::yield_now().await;
        self.inner.complete(key, token, retention)
    }
    async fn release(&self, key: &str, token: Token) -> hookverify::Result<bool> {
        tokio::task::yield_now().await;
        self.inner.release(key, token)
    }
}

/// The whole request through the external path: begin, claim, run (`ok`), finish.
async fn handle_external(
    r: &Receiver<&'static str>,
    store: &AsyncStore,
    h: &[(String, String)],
    body: &[u8],
    ok: bool,
) -> (Decision, bool) {
    let pending = match r.begin_external(Request { method: "POST", path: "/hooks", headers: h, body, now: NOW }) {
        External::Respond(d) => return (d, false),
        External::Claim(p) => p,
    };
    assert_eq!(pending.lease(), r.lease());
    let claim = store.claim(pending.key(), pending.lease()).await;
    let delivery = match r.claimed(pending, claim) {
        Step::Respond(d) => return (d, false),
        Step::Run(d) => d,
    };
    let completion = if ok {
        Some(store.complete(&delivery.key, delivery.token, r.retention()).await)
    } else {
        let _ = store.release(&delivery.key, delivery.token).await;
        None
    };
    (r.finished(&delivery, completion), true)
}

/// The same request through the inline path over the receiver's own store.
fn handle_inline(r: &Receiver<&'static str>, h: &[(String, String)], body: &[u8], ok: bool) -> (Decision, bool) {
    match r.begin(Request { method: "POST", path: "/hooks", headers: h, body, now: NOW }) {
        Step::Respond(d) => (d, false),
        Step::Run(d) => (r.finish(&d, ok), true),
    }
}

fn answer(d: &Decision) -> (u16, Vec<(String, String)>, String) {
    (d.status, d.headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), d.body.clone())
}

#[tokio::test]
async fn the_external_path_answers_exactly_as_the_inline_path() {
    let case = github_case();
    let external = receiver(&case, Box::new(Untouchable));
    let inline = receiver(&case, Box::new(MemoryStore::new(1000)));
    let store = AsyncStore { inner: MemoryStore::new(1000), calls: AtomicUsize::new(0) };
    let mut bad = headers(&case, "d-bad");
    for (k, v) in bad.iter_mut() {
        if k.eq_ignore_ascii_case("X-Hub-Signature-256") {
            *v = format!("sha256={}", "0".repeat(64));
        }
    }
    // (delivery headers, handlers succeed?, whether the handlers ran)
    let script: Vec<ScriptStep> = vec![
        (headers(&case, "d-1"), true, true),  // new: 200
        (headers(&case, "d-1"), true, false), // a duplicate already done: 200 duplicate
        (headers(&case, "d-2"), false, true), // handler fails: 500 handler_failed, claim released
        (headers(&case, "d-2"), true, true),  // the retry runs it again: 200
        (bad, true, false),                   // 401 before any claim
        (vec![], true, false),                // no signature header: 401 missing_header
    ];
    for (i, (h, ok, ran)) in script.iter().enumerate() {
        let (want, want_ran) = handle_inline(&inline, h, &case.body, *ok);
        let (got, got_ran) = handle_external(&external, &store, h, &case.body, *ok).await;
        assert_eq!(answer(&got), answer(&want), "step {i}");
        assert_eq!(got.log, want.log, "step {i}: the operator's log line");
        assert_eq!((got_ran, want_ran), (*ran, *ran), "step {i}: handlers ran");
    }
    assert_eq!(store.calls.load(Ordering::SeqCst), 4, "one claim per verified delivery");
}

#[tokio::test]
async fn a_claim_in_progress_is_409_and_a_store_error_is_503() {
    let case = github_case();
    let r = receiver(&case, Box::new(Untouchable));
    let h = headers(&case, "d-busy");
    let External::Claim(pending) = r.begin_external(Request { method: "POST", path: "/hooks", headers: &h, body: &case.body, now: NOW })
    else {
        panic!("a valid delivery is claimed")
    };
    assert_eq!(pending.event().id, "d-busy");
    let Step::Respond(busy) = r.claimed(pending, Ok(Claim::InProgress { retry_after: Duration::from_secs(7) })) else { panic!() };
    assert_eq!(busy.status, 409);
    assert!(busy.headers.iter().any(|(k, v)| k == "Retry-After" && v == "7"), "{:?}", busy.headers);

    let External::Claim(pending) = r.begin_external(Request { method: "POST", path: "/hooks", headers: &h, body: &case.body, now: NOW })
    else {
        panic!()
    };
    let down = Error::StoreUnavailable { reason: "the caller's database is down".into() };
    let Step::Respond(unavailable) = r.claimed(pending, Err(down)) else { panic!() };
    assert_eq!(unavailable.status, 503);
    assert!(unavailable.body.contains("store_unavailable"), "{}", unavailable.body);
    assert!(unavailable.headers.iter().any(|(k, _)| k == "Retry-After"));
    assert!(unavailable.log.as_deref().is_some_and(|l| l.contains("provider=github")), "{:?}", unavailable.log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_copies_run_the_handler_once() {
    let case = Arc::new(github_case());
    let r = Arc::new(receiver(&case, Box::new(Untouchable)));
    let store = Arc::new(AsyncStore { inner: MemoryStore::new(1000), calls: AtomicUsize::new(0) });
    let runs = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (case, r, store, runs) = (case.clone(), r.clone(), store.clone(), runs.clone());
            tokio::spawn(async move {
                let h = headers(&case, "d-race");
                let (d, ran) = handle_external(&r, &store, &h, &case.body, true).await;
                if ran {
                    runs.fetch_add(1, Ordering::SeqCst);
                }
                d.status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one handler run");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    assert_eq!(store.calls.load(Ordering::SeqCst), 100);
}
