//! Crash safety of `serve` with an SQLite inbox (issue 21, item 6, SQLite part): 200 events sent by
//! senders that retry until answered 2xx, while the daemon is SIGKILLed and restarted again and
//! again at staggered moments — so kills land before commits, between a commit and its answer,
//! inside functions, and between a function's success and its `done`. Afterwards: every
//! acknowledged event is in the inbox and ends done (none lost), and no function run started after
//! its event was marked done.

mod common;
#[path = "common/inbox.rs"]
mod inbox_common;

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hookverify::inbox::{Filter, Inbox, State};
use inbox_common::{config, kill9, serve, setup, try_post};

/// The function: each run's start time (unix ms) appended to out/<id>.runs, then 20-120 ms of work.
const TIMED: &str = r#"#!/bin/sh
mkdir -p out
cat > /dev/null
date +%s%3N >> "out/$HOOKVERIFY_EVENT_ID.runs"
sleep 0.0$(( $(date +%N | cut -c1-2) % 10 + 2 ))
"#;

#[test]
fn sigkill_at_any_stage_loses_no_acknowledged_event_and_runs_none_after_done() {
    let dir = setup("kill", &config("lease_seconds = 1"));
    std::fs::write(dir.join("fn.sh"), TIMED).unwrap();
    let mut daemon = serve(&dir);
    let port = Arc::new(AtomicU16::new(daemon.port));
    let acked = Arc::new(AtomicUsize::new(0));
    const EVENTS: usize = 200;
    const SENDERS: usize = 8;
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (port, acked) = (port.clone(), acked.clone());
            std::thread::spawn(move || {
                for i in (s..EVENTS).step_by(SENDERS) {
                    let id = format!("evt-{i:03}");
                    let body = format!(r#"{{"n":{i}}}"#);
                    let deadline = Instant::now() + Duration::from_secs(120);
                    loop {
                        match try_post(port.load(Ordering::SeqCst), &id, &body, Duration::from_secs(10)) {
                            Some((200 | 202, _, _)) => break,
                            _ => {
                                assert!(Instant::now() < deadline, "{id} never acknowledged");
                                std::thread::sleep(Duration::from_millis(30));
                            }
                        }
                    }
                    acked.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(25)); // a sender's pace
                }
            })
        })
        .collect();
    // Kill and restart at staggered moments while the senders run.
    // Ten kills, whether or not every event was acknowledged by then: the later ones land in
    // functions and between their end and the `done`.
    let mut kills = 0;
    for pause in [150u64, 320, 90, 410, 230, 170, 380, 120, 270, 200] {
        std::thread::sleep(Duration::from_millis(pause));
        kill9(daemon.child.0.id());
        let _ = daemon.child.0.wait();
        kills += 1;
        daemon = serve(&dir);
        port.store(daemon.port, Ordering::SeqCst);
    }
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(acked.load(Ordering::SeqCst), EVENTS);
    // The last daemon finishes what is left (leases of the killed ones expire after 1 s).
    let inbox = inbox_common::inbox(&dir);
    let deadline = Instant::now() + Duration::from_secs(60);
    let accepted = loop {
        let all = inbox.list(&Filter::new().limit(10_000)).unwrap();
        let accepted: Vec<_> = all.into_iter().filter(|r| r.verdict == "accepted").collect();
        if accepted.len() == EVENTS && accepted.iter().all(|r| matches!(r.state, State::Done | State::Failed)) {
            break accepted;
        }
        assert!(
            Instant::now() < deadline,
            "not every event ended: {:?}",
            accepted.iter().filter(|r| r.state == State::Pending).map(|r| &r.event_id).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // Let functions orphaned by the last kills end, then compare.
    std::thread::sleep(Duration::from_millis(500));
    let mut reruns = 0;
    for r in &accepted {
        let id = r.event_id.clone().unwrap();
        assert_eq!(r.state, State::Done, "{id}: every function succeeds, so every event ends done");
        let record = inbox.show(&r.id.to_string()).unwrap().unwrap();
        let done_at = record.attempts.iter().find(|a| a.ok == Some(true)).and_then(|a| a.ended_at_ms).expect("a successful attempt");
        let starts: Vec<i64> = std::fs::read_to_string(dir.join("out").join(format!("{id}.runs")))
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        assert!(!starts.is_empty(), "{id}: done without a run");
        assert!(starts.iter().all(|s| *s <= done_at), "{id}: a run started after it was marked done ({starts:?} > {done_at})");
        reruns += starts.len() - 1;
    }
    let ids: std::collections::HashSet<_> = accepted.iter().map(|r| r.event_id.clone()).collect();
    assert_eq!(ids.len(), EVENTS, "one accepted record per event: dedup held across the restarts");
    eprintln!("{kills} kills; {reruns} runs repeated after a kill cut an attempt short");
    drop(daemon);
}
