//! `hookverify serve` with an inbox (issue 21, parts 2 and 3): the issue's keys as written
//! (`inbox = "inbox.db"`, `[retry]`), real daemon processes on loopback, real functions (a shell
//! script), deliveries signed here; the inbox file read back through the core.

mod common;
#[path = "common/inbox.rs"]
mod inbox_common;

use std::time::Duration;

use hookverify::inbox::{Inbox, State};
use inbox_common::{config, deliver, kill9, runs, serve, setup, wait_state};

#[test]
fn a_failing_function_is_retried_then_dead_lettered() {
    let dir = setup(
        "dead",
        &config("").replace("max_attempts = 5", "max_attempts = 3").replace("initial_backoff_seconds = 1", "initial_backoff_seconds = 0.2"),
    );
    let d = serve(&dir);
    assert!(d.banner.contains("inbox "), "{}", d.banner);
    let (status, answer) = deliver(&d, "evt-dead", r#"{"say":"fail-always"}"#);
    assert_eq!(status, 202, "{answer}");
    let record = wait_state(&dir, "evt-dead", State::Failed, 20);
    assert_eq!(record.attempts.len(), 3);
    assert!(
        record.attempts.iter().all(|a| a.ok == Some(false) && a.error.as_deref().is_some_and(|e| e.contains("exit status: 3"))),
        "{:?}",
        record.attempts
    );
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(runs(&dir, "evt-dead"), 3, "never run after the dead letter");
}

#[test]
fn a_function_failing_twice_then_succeeding_ends_done_with_three_attempts() {
    let dir = setup("twice", &config(""));
    let d = serve(&dir);
    assert_eq!(deliver(&d, "evt-twice", r#"{"say":"fail-twice"}"#).0, 202);
    let record = wait_state(&dir, "evt-twice", State::Done, 30);
    let oks: Vec<_> = record.attempts.iter().map(|a| a.ok).collect();
    assert_eq!(oks, [Some(false), Some(false), Some(true)]);
    // Backoff: about 1 s, then about 2 s (each less up to half its jitter).
    let gap = |i: usize| record.attempts[i + 1].started_at_ms - record.attempts[i].ended_at_ms.unwrap();
    assert!(gap(0) >= 450 && gap(1) >= 950, "waits {} / {}", gap(0), gap(1));
    assert_eq!(runs(&dir, "evt-twice"), 3);
    // The sender's retry of it is a duplicate: 200, not run.
    let (status, answer) = deliver(&d, "evt-twice", r#"{"say":"fail-twice"}"#);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"duplicate\":true"), "{answer}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(runs(&dir, "evt-twice"), 3);
}

/// The 202 is sent only once the event is committed: while another process holds the inbox's
/// write lock (longer than the busy timeout), the delivery is answered 503 + Retry-After, and
/// nothing runs; once the lock is gone, the sender's retry is accepted.
#[test]
fn the_202_is_only_sent_after_the_commit() {
    let dir = setup("commit", &config(""));
    let d = serve(&dir);
    // A committed event is in the inbox by the time its 202 arrives (its function is slow).
    assert_eq!(deliver(&d, "evt-seen", r#"{"say":"slow"}"#).0, 202);
    let seen = inbox_common::inbox(&dir).show("evt-seen").unwrap().expect("committed before the 202");
    assert_eq!(seen.summary.verdict, "accepted");
    // Hold the database's write lock from another connection (as another process would).
    let lock = rusqlite::Connection::open(dir.join("inbox.db")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE; SELECT count(*) FROM deliveries;").unwrap();
    let (status, answer) = deliver(&d, "evt-locked", r#"{"say":"locked"}"#);
    assert_eq!(status, 503, "not committed: not acknowledged: {answer}");
    assert!(answer.contains("inbox_unavailable"), "{answer}");
    lock.execute_batch("ROLLBACK;").unwrap();
    drop(lock);
    assert!(inbox_common::inbox(&dir).show("evt-locked").unwrap().is_none_or(|r| r.summary.verdict != "accepted"));
    assert_eq!(runs(&dir, "evt-locked"), 0);
    assert_eq!(deliver(&d, "evt-locked", r#"{"say":"locked"}"#).0, 202, "the sender's retry");
    wait_state(&dir, "evt-locked", State::Done, 10);
}

/// A process killed while a function ran: on restart the event is run again once its lease
/// expired (attempt 2), and ends done; the cut-short attempt stays without an end.
#[test]
fn restart_resumes_a_pending_event() {
    let dir = setup("restart", &config("lease_seconds = 2"));
    let mut d = serve(&dir);
    assert_eq!(deliver(&d, "evt-resume", r#"{"say":"hang-first"}"#).0, 202);
    let pid_file = dir.join("out/evt-resume.pid");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !pid_file.exists() {
        assert!(std::time::Instant::now() < deadline, "the function never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill9(d.child.0.id());
    let _ = d.child.0.wait();
    // The orphaned function (its own process group) is killed too: it must not finish the event.
    let orphan: u32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    kill9(orphan);
    assert_eq!(inbox_common::inbox(&dir).show("evt-resume").unwrap().unwrap().summary.state, State::Pending);
    let _d = serve(&dir);
    let record = wait_state(&dir, "evt-resume", State::Done, 20);
    assert_eq!(record.attempts.len(), 2);
    assert_eq!(record.attempts[0].ended_at_ms, None, "the attempt the kill cut short");
    assert_eq!(record.attempts[1].ok, Some(true));
    assert_eq!(runs(&dir, "evt-resume"), 2);
    drop(d);
}

#[test]
fn check_refuses_bad_retry_values_at_their_keys() {
    for (from, to, key) in [
        ("max_attempts = 5", "max_attempts = 0", "retry.max_attempts"),
        ("initial_backoff_seconds = 1", "initial_backoff_seconds = -1", "retry.initial_backoff_seconds"),
    ] {
        let dir = setup("check", &config("").replace(from, to));
        let out = common::bin().args(["serve", "--check", "--config"]).arg(dir.join("hookverify.toml")).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(key), "{key}: {err}");
    }
    // A PostgreSQL inbox is checked for its form, not connected to: nothing listens on port 9.
    let pg = setup("check-pg", &config("").replace(r#"inbox = "inbox.db""#, r#"inbox = "postgres://user@127.0.0.1:9/hookverify""#));
    let out = common::bin().args(["serve", "--check", "--config"]).arg(pg.join("hookverify.toml")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = setup("check-ok", &config(""));
    let out = common::bin().args(["serve", "--check", "--config"]).arg(dir.join("hookverify.toml")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!dir.join("inbox.db").exists(), "--check creates no inbox");
}
