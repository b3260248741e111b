//! Exactly-once effect through the whole pipeline, with the memory store and a
//! real redis-server: concurrency (threads and processes), handler failure,
//! and SIGKILL of the store at every stage.
//!
//! Requests reuse a GitHub delivery from tests/vectors/schemes.json (signature
//! from the independent generator); the unsigned `X-GitHub-Delivery` header
//! varies, and the scheme names it as an explicit `dedup_key` (the preset's own
//! key is a digest of the signed body: `security_identity.rs`).

mod support;

use std::collections::HashMap;
use std::sync::{Barrier, Mutex};

use hookverify::dedup::{Store, Token};
use hookverify::{MemoryStore, Mode, Provider, Receiver, Request, Step, Verifier};
use support::{github_case, GithubCase};

fn receiver(case: &GithubCase, store: Box<dyn Store>) -> Receiver<()> {
    let verifier = Verifier::new(support::github_keyed_by_delivery_id(), [case.secret.as_str()]).unwrap();
    let mut r = Receiver::new(vec![Provider::new("github", verifier)], store).unwrap();
    r.on("*", ()).mode(Mode::Sync);
    r
}

/// One delivery through the pipeline; `handler` decides success. Returns the status.
fn deliver(r: &Receiver<()>, case: &GithubCase, delivery_id: &str, handler: impl FnOnce(Token) -> bool) -> u16 {
    let mut headers = case.headers.clone();
    headers.push(("X-GitHub-Delivery".into(), delivery_id.into()));
    match r.begin(Request { method: "POST", path: "/hooks", headers: &headers, body: &case.body, now: 0 }) {
        Step::Respond(d) => d.status,
        Step::Run(d) => {
            let ok = handler(d.token);
            r.finish(&d, ok).status
        }
    }
}

/// 100 concurrent deliveries of each id over `rounds` rounds, from `threads` threads.
fn hammer(r: &Receiver<()>, case: &GithubCase, prefix: &str, rounds: usize, threads: usize) -> HashMap<String, usize> {
    let runs: Mutex<HashMap<String, usize>> = Mutex::new(HashMap::new());
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for round in 0..rounds {
                    let id = format!("{prefix}-{round}");
                    barrier.wait();
                    for _ in 0..100 / threads {
                        let status = deliver(r, case, &id, |_| {
                            *runs.lock().unwrap().entry(id.clone()).or_default() += 1;
                            true
                        });
                        assert!(matches!(status, 200 | 409), "status {status}");
                    }
                }
            });
        }
    });
    runs.into_inner().unwrap()
}

#[test]
fn memory_100_concurrent_deliveries_run_once_over_1000_rounds() {
    let case = github_case();
    let r = receiver(&case, Box::new(MemoryStore::default()));
    let runs = hammer(&r, &case, "mem", 1000, 4);
    assert_eq!(runs.len(), 1000);
    assert!(runs.values().all(|&n| n == 1), "some event ran twice");
}

#[test]
fn memory_failed_handler_is_retried_zero_lost() {
    let case = github_case();
    let r = receiver(&case, Box::new(MemoryStore::default()));
    failed_first_delivery_is_retried(&r, &case, "memfail");
}

fn failed_first_delivery_is_retried(r: &Receiver<()>, case: &GithubCase, prefix: &str) {
    let mut succeeded = 0;
    for i in 0..200 {
        let id = format!("{prefix}-{i}");
        assert_eq!(deliver(r, case, &id, |_| false), 500, "first delivery fails");
        // The sender retries: the released claim lets the handler run again.
        assert_eq!(
            deliver(r, case, &id, |_| {
                succeeded += 1;
                true
            }),
            200
        );
        assert_eq!(deliver(r, case, &id, |_| panic!("done events never run again")), 200);
    }
    assert_eq!(succeeded, 200, "0 lost");
}

#[cfg(feature = "redis")]
mod redis_store {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::support::RedisServer;
    use super::*;
    use hookverify::dedup::{Claim, Completion, RedisStore};

    fn store(server: &RedisServer) -> Box<dyn Store> {
        Box::new(RedisStore::with_options(&server.url(), "t:", Duration::from_millis(500)).unwrap())
    }

    #[test]
    fn contract() {
        let server = RedisServer::start();
        let s = RedisStore::open(&server.url()).unwrap();
        let lease = Duration::from_secs(60);
        let Claim::Acquired(t1) = s.claim("k", lease).unwrap() else { panic!() };
        assert!(matches!(s.claim("k", lease).unwrap(), Claim::InProgress { retry_after } if retry_after > Duration::from_secs(59)));
        assert!(s.release("k", t1).unwrap());
        let Claim::Acquired(t2) = s.claim("k", lease).unwrap() else { panic!() };
        assert!(t2 > t1);
        assert!(!s.release("k", t1).unwrap());
        assert_eq!(s.complete("k", t1, Duration::from_secs(60)).unwrap(), Completion::LeaseLost);
        assert_eq!(s.complete("k", t2, Duration::from_secs(60)).unwrap(), Completion::Recorded);
        assert_eq!(s.claim("k", lease).unwrap(), Claim::Done);
        // A crashed worker's lease expires.
        let Claim::Acquired(_) = s.claim("short", Duration::from_millis(50)).unwrap() else { panic!() };
        std::thread::sleep(Duration::from_millis(80));
        assert!(matches!(s.claim("short", lease).unwrap(), Claim::Acquired(_)));
        assert!(!format!("{s:?}").contains("127.0.0.1"), "Debug hides the URL (it may hold a password)");
    }

    #[test]
    fn unreachable_is_store_unavailable_and_503() {
        let mut server = RedisServer::start();
        let case = github_case();
        let r = receiver(&case, store(&server));
        server.kill();
        let mut ran = false;
        assert_eq!(
            deliver(&r, &case, "down-1", |_| {
                ran = true;
                true
            }),
            503
        );
        assert!(!ran, "no handler runs without a claim");
    }

    #[test]
    fn redis_100_concurrent_deliveries_run_once_over_1000_rounds() {
        let server = RedisServer::start();
        let case = github_case();
        let r = receiver(&case, store(&server));
        let runs = hammer(&r, &case, "thr", 1000, 4);
        assert_eq!(runs.len(), 1000);
        assert!(runs.values().all(|&n| n == 1), "some event ran twice");
    }

    /// Child-process entry: runs only when the parent test spawns this binary with HV_WORKER_URL.
    #[test]
    fn worker_process_entry() {
        let Ok(url) = std::env::var("HV_WORKER_URL") else { return };
        let case = github_case();
        let r = receiver(&case, Box::new(RedisStore::with_options(&url, "t:", Duration::from_secs(2)).unwrap()));
        let runs = hammer(&r, &case, "proc", 1000, 2);
        let mut out = String::new();
        for (id, n) in runs {
            out.push_str(&format!("RUN {id} {n}\n"));
        }
        std::fs::write(std::env::var("HV_WORKER_OUT").unwrap(), out).unwrap();
    }

    #[test]
    fn redis_two_processes_run_each_event_once() {
        let server = RedisServer::start();
        let dir = std::env::temp_dir().join(format!("hv-procs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..2)
            .map(|i| {
                std::process::Command::new(&exe)
                    .args(["--exact", "redis_store::worker_process_entry", "--test-threads=1"])
                    .env("HV_WORKER_URL", server.url())
                    .env("HV_WORKER_OUT", dir.join(format!("out-{i}")))
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let mut total: HashMap<String, usize> = HashMap::new();
        for i in 0..2 {
            for line in std::fs::read_to_string(dir.join(format!("out-{i}"))).unwrap().lines() {
                let mut parts = line.split(' ').skip(1);
                let (id, n) = (parts.next().unwrap(), parts.next().unwrap().parse::<usize>().unwrap());
                *total.entry(id.to_owned()).or_default() += n;
            }
        }
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(total.len(), 1000, "every event ran somewhere");
        assert!(total.values().all(|&n| n == 1), "an event ran in both processes");
    }

    #[test]
    fn redis_failed_handler_is_retried_zero_lost() {
        let server = RedisServer::start();
        let case = github_case();
        let r = receiver(&case, store(&server));
        failed_first_delivery_is_retried(&r, &case, "redisfail");
    }

    #[test]
    fn happy_path_is_two_round_trips() {
        let server = RedisServer::start();
        let case = github_case();
        let r = receiver(&case, store(&server));
        deliver(&r, &case, "warm-up", |_| true); // loads the scripts once
        let before = server.script_calls();
        for i in 0..100 {
            assert_eq!(deliver(&r, &case, &format!("rt-{i}"), |_| true), 200);
        }
        let per_event = (server.script_calls() - before) as f64 / 100.0;
        assert_eq!(per_event, 2.0, "round trips per event on the happy path");
        // A duplicate costs one.
        let before = server.script_calls();
        assert_eq!(deliver(&r, &case, "rt-0", |_| panic!("duplicate ran")), 200);
        assert_eq!(server.script_calls() - before, 1);
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Stage {
        BeforeClaim,
        AfterClaim,
        AfterHandler,
        AfterComplete,
    }

    /// Wraps the real store and SIGKILLs redis-server at one stage of one delivery.
    struct KillAt {
        inner: Box<dyn Store>,
        server: Arc<Mutex<RedisServer>>,
        stage: Stage,
        armed: AtomicUsize,
    }

    impl KillAt {
        fn kill_if(&self, stage: Stage) {
            if self.stage == stage && self.armed.swap(0, Ordering::SeqCst) == 1 {
                self.server.lock().unwrap().kill();
            }
        }
    }

    impl Store for KillAt {
        fn claim(&self, key: &str, lease: Duration) -> hookverify::Result<Claim> {
            self.kill_if(Stage::BeforeClaim);
            let r = self.inner.claim(key, lease);
            self.kill_if(Stage::AfterClaim);
            r
        }
        fn complete(&self, key: &str, token: Token, retention: Duration) -> hookverify::Result<Completion> {
            let r = self.inner.complete(key, token, retention);
            self.kill_if(Stage::AfterComplete);
            r
        }
        fn release(&self, key: &str, token: Token) -> hookverify::Result<bool> {
            self.inner.release(key, token)
        }
    }

    #[test]
    fn sigkill_at_every_stage_never_acks_without_a_successful_run() {
        let case = github_case();
        for stage in [Stage::BeforeClaim, Stage::AfterClaim, Stage::AfterHandler, Stage::AfterComplete] {
            let server = Arc::new(Mutex::new(RedisServer::start()));
            let url = server.lock().unwrap().url();
            let kill = Arc::new(KillAt {
                inner: Box::new(RedisStore::with_options(&url, "k:", Duration::from_millis(300)).unwrap()),
                server: server.clone(),
                stage,
                armed: AtomicUsize::new(0),
            });
            let r = receiver(&case, Box::new(kill.clone()));
            let (mut first_503, mut retries) = (0, 0);
            for i in 0..200 {
                let id = format!("{stage:?}-{i}");
                let mut successes = 0usize;
                kill.armed.store(1, Ordering::SeqCst);
                let mut status = deliver(&r, &case, &id, |_| {
                    successes += 1;
                    if stage == Stage::AfterHandler {
                        kill.kill_if(Stage::AfterHandler);
                    }
                    true
                });
                if (200..300).contains(&status) {
                    assert!(successes >= 1, "{stage:?} {id}: answered {status} without a successful handler run");
                } else {
                    assert_eq!(status, 503, "{stage:?} {id}: store down must answer 503");
                    first_503 += 1;
                }
                // The sender retries non-2xx answers; the store comes back (empty: no persistence).
                while !(200..300).contains(&status) {
                    let mut s = server.lock().unwrap();
                    if !s.is_running() {
                        s.restart();
                    }
                    drop(s);
                    retries += 1;
                    status = deliver(&r, &case, &id, |_| {
                        successes += 1;
                        true
                    });
                    assert!(retries < 1000);
                }
                assert!(successes >= 1, "{stage:?} {id}: lost");
                let mut s = server.lock().unwrap();
                if !s.is_running() {
                    s.restart();
                }
            }
            eprintln!("stage {stage:?}: 200 events, {first_503} answered 503 first, 0 lost, 0 acked without a run");
            // Only a dead store at claim time refuses; later stages found the handler done.
            assert_eq!(first_503, if stage == Stage::BeforeClaim { 200 } else { 0 }, "{stage:?}");
        }
    }
}
