//! `serve` on a shared PostgreSQL inbox with real processes (issue 21, item 6, PostgreSQL part):
//! two `serve` processes racing 100 concurrent duplicate deliveries run the function once;
//! PostgreSQL stopped mid-run answers 503 `inbox_unavailable` + `Retry-After` while down and loses
//! no acknowledged event; a SIGKILLed `serve`'s events are finished by the other once its leases
//! expire. The server is a real PostgreSQL (apt `postgresql`) started by the tests on a free
//! loopback port and stopped by pid (core/tests/support/postgres.rs); GitHub signatures are made
//! here with the `hmac` crate.

mod common;
#[path = "common/inbox.rs"]
mod inbox_common;
#[path = "../../../core/tests/support/postgres.rs"]
#[allow(dead_code)]
mod pg;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use hookverify::inbox::{Filter, Inbox, InboxOptions, PostgresInbox, State, Summary};
use inbox_common::{deliver, github, kill9, runs, serve, setup, try_post};

/// The inbox tests' config with the inbox at `url` and `extra` top-level keys.
fn pg_config(url: &str, extra: &str) -> String {
    let config = inbox_common::config(extra);
    assert!(config.contains("\"inbox.db\""));
    config.replacen("\"inbox.db\"", &format!("\"{url}\""), 1)
}

/// The inbox at `url`, read through the core (the test's view of it).
fn inbox(url: &str) -> PostgresInbox {
    PostgresInbox::connect(url, InboxOptions::default()).unwrap()
}

fn accepted(inbox: &PostgresInbox) -> Vec<Summary> {
    inbox.list(&Filter::new().limit(100_000)).unwrap().into_iter().filter(|r| r.verdict == "accepted").collect()
}

/// Waits (up to `secs`) until `n` events are accepted and every one is done: them.
fn wait_all_done(inbox: &PostgresInbox, n: usize, secs: u64) -> Vec<Summary> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let all = accepted(inbox);
        if all.len() == n && all.iter().all(|r| r.state == State::Done) {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "{} accepted; not done: {:?}",
            all.len(),
            all.iter().filter(|r| r.state != State::Done).map(|r| (&r.event_id, r.state)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_serves_on_one_postgres_run_100_concurrent_duplicates_once() {
    let server = pg::PgServer::start();
    let url = server.create_database("race");
    let dir = setup("pg-race", &pg_config(&url, ""));
    let a = serve(&dir);
    let b = serve(&dir);
    let body = r#"{"race":true}"#;
    const SENDS: usize = 100;
    let gate = Arc::new(Barrier::new(SENDS));
    let senders: Vec<_> = (0..SENDS)
        .map(|i| {
            let port = if i % 2 == 0 { a.port } else { b.port };
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.wait();
                common::post(port, "/hooks", &github("evt-race", body), body.as_bytes())
            })
        })
        .collect();
    let answers: Vec<(u16, String)> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    let acknowledged = answers.iter().filter(|(s, _)| *s == 202).count();
    let duplicates = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((acknowledged, duplicates), (1, SENDS - 1), "one 202, the rest answered as duplicates: {answers:?}");
    let inbox = inbox(&url);
    let done = wait_all_done(&inbox, 1, 30);
    // Leave time for a second run, were one to start.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(runs(&dir, "evt-race"), 1, "the function ran once across both processes");
    assert!(!dir.join("out/evt-race.twice").exists());
    let record = inbox.show(&done[0].id.to_string()).unwrap().unwrap();
    assert_eq!(record.attempts.len(), 1);
    let all = inbox.list(&Filter::new().limit(1000)).unwrap();
    assert_eq!(all.iter().filter(|r| r.verdict == "duplicate").count(), SENDS - 1, "every duplicate recorded as one");
    drop((a, b));
}

#[test]
fn postgres_stopped_mid_run_answers_503_and_loses_no_acknowledged_event() {
    let mut server = pg::PgServer::start();
    let url = server.create_database("restart");
    let dir = setup("pg-restart", &pg_config(&url, "lease_seconds = 2"));
    let daemon = serve(&dir);
    let port = daemon.port;
    const EVENTS: usize = 120;
    const SENDERS: usize = 6;
    let acked = Arc::new(Mutex::new(HashSet::new()));
    // Every non-2xx answer: (status, head, body).
    let refusals = Arc::new(Mutex::new(Vec::new()));
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (acked, refusals) = (acked.clone(), refusals.clone());
            std::thread::spawn(move || {
                for i in (s..EVENTS).step_by(SENDERS) {
                    let id = format!("evt-{i:03}");
                    let body = format!(r#"{{"n":{i}}}"#);
                    let deadline = Instant::now() + Duration::from_secs(120);
                    loop {
                        match try_post(port, &id, &body, Duration::from_secs(20)) {
                            Some((200 | 202, _, _)) => break,
                            Some(refusal) => refusals.lock().unwrap().push(refusal),
                            None => {}
                        }
                        assert!(Instant::now() < deadline, "{id} never acknowledged");
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    acked.lock().unwrap().insert(id);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    // Let some events through, then stop PostgreSQL while the senders keep posting.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 20 {
        assert!(Instant::now() < deadline, "no event acknowledged before the stop");
        std::thread::sleep(Duration::from_millis(10));
    }
    server.stop();
    let acked_before_stop = acked.lock().unwrap().len();
    // Down until a few deliveries were refused (each waits out the 2 s connect timeout at most).
    let deadline = Instant::now() + Duration::from_secs(30);
    while refusals.lock().unwrap().len() < 3 {
        assert!(Instant::now() < deadline, "no delivery refused while PostgreSQL was down");
        std::thread::sleep(Duration::from_millis(50));
    }
    let acked_while_down = acked.lock().unwrap().len() - acked_before_stop;
    server.restart();
    for s in senders {
        s.join().unwrap();
    }
    let refusals = refusals.lock().unwrap().clone();
    for (status, head, body) in &refusals {
        assert_eq!(*status, 503, "{head}\n{body}");
        assert!(body.contains("\"inbox_unavailable\""), "{body}");
        assert!(head.contains("\r\nretry-after: "), "{head}");
        assert!(!body.contains(pg::PASSWORD) && !head.contains(pg::PASSWORD), "no secret in an answer");
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), EVENTS);
    // Every acknowledged event is in the inbox once, and ends done; its function ran.
    let inbox = inbox(&url);
    let done = wait_all_done(&inbox, EVENTS, 90);
    let ids: HashSet<String> = done.iter().filter_map(|r| r.event_id.clone()).collect();
    assert_eq!(ids, acked, "no acknowledged event lost");
    for id in &ids {
        assert!(runs(&dir, id) >= 1, "{id}: done without a run");
    }
    eprintln!(
        "{} refusals (503) while down; {acked_while_down} events acknowledged during the outage (before the first refusal)",
        refusals.len()
    );
    drop(daemon);
}

/// The pid in out/<id>.pid (the function's first run hangs there), once written.
fn hanging_pid(dir: &Path, id: &str) -> Option<u32> {
    std::fs::read_to_string(dir.join("out").join(format!("{id}.pid"))).ok()?.trim().parse().ok()
}

#[test]
fn sigkilled_serve_events_are_finished_by_the_other_after_lease_expiry() {
    let server = pg::PgServer::start();
    let url = server.create_database("takeover");
    let dir = setup("pg-takeover", &pg_config(&url, "lease_seconds = 2"));
    let mut a = serve(&dir);
    // Eight events whose first run hangs (30 s): all leased and running in `a`.
    const EVENTS: usize = 8;
    let ids: Vec<String> = (0..EVENTS).map(|i| format!("evt-k{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        // Distinct bodies: GitHub's delivery id is not signed, so its dedup key covers the body.
        let (status, answer) = deliver(&a, id, &format!(r#"{{"hang-first":{i}}}"#));
        assert_eq!(status, 202, "{id}: {answer}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ids.iter().all(|id| hanging_pid(&dir, id).is_some()) {
        assert!(Instant::now() < deadline, "the functions did not all start in the first serve");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The other process is up before the kill: it finds every event leased, and waits.
    let b = serve(&dir);
    std::thread::sleep(Duration::from_millis(300));
    let inbox = inbox(&url);
    assert!(accepted(&inbox).iter().all(|r| r.state == State::Pending), "nothing finished while `a` holds the leases");
    let killed_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    kill9(a.child.0.id());
    let _ = a.child.0.wait();
    // The orphaned first runs (still sleeping) are ours to stop, by pid.
    for id in &ids {
        kill9(hanging_pid(&dir, id).unwrap());
    }
    let done = wait_all_done(&inbox, EVENTS, 60);
    for r in &done {
        let id = r.event_id.clone().unwrap();
        let record = inbox.show(&r.id.to_string()).unwrap().unwrap();
        assert_eq!(record.attempts.len(), 2, "{id}: the cut attempt and the other process's: {:?}", record.attempts);
        assert_eq!(record.attempts[0].ok, None, "{id}: the killed attempt never ended");
        assert_eq!(record.attempts[1].ok, Some(true));
        // Taken over only once the killed process's lease ran out (it renewed it until the kill).
        assert!(
            record.attempts[1].started_at_ms >= killed_at,
            "{id}: second attempt at {} before the lease could expire (killed at {killed_at})",
            record.attempts[1].started_at_ms
        );
        assert_eq!(runs(&dir, &id), 2, "{id}");
    }
    drop(b);
}
