//! The PostgreSQL inbox (issue 21, part 1) against a real PostgreSQL (support/postgres.rs: initdb,
//! a private server on a loopback port, stopped by pid). The SQLite suite's behaviours (records,
//! redaction, truncation, attempts, list, show, purge, reconnecting, concurrent writers, a flood
//! of rejected bodies) and the durable contract's (enqueue, lease, renew, fenced finish, requeue)
//! are written once over `&dyn Inbox` (the `*_on` functions) so both backends can run them; then
//! what only a shared server has: several processes leasing at once, concurrent duplicate
//! enqueues, PostgreSQL stopped and restarted mid-run, credentials in the URL, the schema version.
#![cfg(feature = "inbox-postgres")]

#[path = "support/inbox_contract.rs"]
mod contract;
mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use hookverify::inbox::{Arrival, Enqueued, Filter, Inbox, InboxOptions, Job, Outcome, PostgresInbox, State, REDACTED};
use hookverify::{Decision, ErrorCode};
use support::postgres::{PgServer, PASSWORD, USER};

fn headers() -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-Hub-Signature-256".into(), "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".into()),
        ("Authorization".into(), "Bearer sk_live_do_not_store".into()),
        ("X-Gitlab-Token".into(), "glpat-do-not-store".into()),
        ("Cookie".into(), "session=do-not-store".into()),
    ]
}

fn accepted<'a>(h: &'a [(String, String)], body: &'a [u8], at: i64, event_id: &'a str) -> Arrival<'a> {
    Arrival {
        received_at_ms: at,
        provider: Some("github"),
        path: "/hooks",
        query: Some("tenant=1"),
        headers: h,
        body,
        verdict: "accepted",
        status: 202,
        event_id: Some(event_id),
        event_type: Some("issues.opened"),
        state: State::Pending,
    }
}

fn rejected<'a>(h: &'a [(String, String)], body: &'a [u8], at: i64) -> Arrival<'a> {
    Arrival {
        received_at_ms: at,
        provider: Some("github"),
        path: "/hooks",
        query: None,
        headers: h,
        body,
        verdict: "no_matching_signature",
        status: 401,
        event_id: None,
        event_type: None,
        state: State::Rejected,
    }
}

fn connect(url: &str) -> PostgresInbox {
    PostgresInbox::connect(url, InboxOptions::default()).unwrap()
}

// ---- the SQLite suite's behaviours, over any backend ------------------------------------------

fn records_with_credentials_redacted_on(inbox: &dyn Inbox) {
    let h = headers();
    let id = inbox.record(&accepted(&h, br#"{"action":"opened"}"#, 1_000, "delivery-1")).unwrap();
    let by_id = inbox.show(&id.to_string()).unwrap().expect("by record id");
    let by_event = inbox.show("delivery-1").unwrap().expect("by event id");
    assert_eq!(by_id, by_event);
    assert_eq!(by_id.summary.state, State::Pending);
    assert_eq!(by_id.summary.verdict, "accepted");
    assert_eq!(by_id.summary.status, 202);
    assert_eq!(by_id.summary.provider.as_deref(), Some("github"));
    assert_eq!(by_id.query.as_deref(), Some("tenant=1"));
    assert_eq!(by_id.body, br#"{"action":"opened"}"#);
    assert_eq!(by_id.body_size, 19);
    assert!(!by_id.body_truncated);
    let value = |name: &str| by_id.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap();
    assert_eq!(value("Authorization"), REDACTED);
    assert_eq!(value("X-Gitlab-Token"), REDACTED);
    assert_eq!(value("Cookie"), REDACTED);
    assert_eq!(value("Content-Type"), "application/json");
    assert!(value("X-Hub-Signature-256").starts_with("sha256=757107"), "signatures are kept: the record can be verified again");
    assert_eq!(by_id.headers.len(), 5, "every header, in order");
    assert!(inbox.show("no-such-event").unwrap().is_none());
    assert!(inbox.show("999999").unwrap().is_none());
    // A newer record with the same event id is the one shown by event id...
    let again = inbox.record(&accepted(&h, b"{}", 2_000, "delivery-1")).unwrap();
    assert_eq!(inbox.show("delivery-1").unwrap().unwrap().summary.id, again);
    // ...unless it is a duplicate: the accepted delivery of an event is shown before its copies.
    let mut copy = accepted(&h, b"{}", 3_000, "delivery-1");
    (copy.verdict, copy.status, copy.state) = ("duplicate", 200, State::Duplicate);
    inbox.record(&copy).unwrap();
    assert_eq!(inbox.show("delivery-1").unwrap().unwrap().summary.id, again);
}

fn rejected_body_truncated_on(inbox: &dyn Inbox) {
    let h = headers();
    let body = vec![b'x'; 1 << 20];
    let id = inbox.record(&rejected(&h, &body, 1_000)).unwrap();
    let r = inbox.show(&id.to_string()).unwrap().unwrap();
    assert_eq!(r.body.len(), hookverify::inbox::DEFAULT_REJECTED_BODY_BYTES);
    assert_eq!(r.body_size, 1 << 20);
    assert!(r.body_truncated);
    assert_eq!(r.summary.verdict, "no_matching_signature");
    assert_eq!(r.summary.status, 401);
    assert_eq!(r.summary.state, State::Rejected);
}

fn attempts_on(inbox: &dyn Inbox) {
    let h = headers();
    let id = inbox.record(&accepted(&h, b"{}", 1_000, "e-1")).unwrap();
    inbox.attempt_started(id, 1, 1_010).unwrap();
    inbox.attempt_ended(id, 1, 1_020, Some("database down")).unwrap();
    assert_eq!(inbox.show("e-1").unwrap().unwrap().summary.state, State::Failed);
    inbox.attempt_started(id, 2, 2_000).unwrap();
    inbox.attempt_ended(id, 2, 2_050, None).unwrap();
    let r = inbox.show("e-1").unwrap().unwrap();
    assert_eq!(r.summary.state, State::Done);
    assert_eq!(r.summary.attempts, 2);
    assert_eq!(r.attempts[0].error.as_deref(), Some("database down"));
    assert_eq!(r.attempts[0].ok, Some(false));
    assert_eq!((r.attempts[1].started_at_ms, r.attempts[1].ended_at_ms, r.attempts[1].ok), (2_000, Some(2_050), Some(true)));
    let err = inbox.attempt_ended(id, 3, 3_000, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "an attempt that never started");
    let err = inbox.attempt_started(id, 2, 3_000).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "attempt numbers are unique: {err}");
    assert_eq!(inbox.show("e-1").unwrap().unwrap().summary.state, State::Done, "a refused call changes nothing");
}

fn list_filters_on(inbox: &dyn Inbox) {
    let h = headers();
    let a = inbox.record(&accepted(&h, b"{}", 1, "a")).unwrap();
    let r = inbox.record(&rejected(&h, b"{}", 2)).unwrap();
    let mut other = accepted(&h, b"{}", 3, "c");
    other.provider = Some("stripe");
    let c = inbox.record(&other).unwrap();
    let ids = |f: Filter| inbox.list(&f).unwrap().into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(Filter::new()), [c, r, a]);
    assert_eq!(ids(Filter::new().state(State::Rejected)), [r]);
    assert_eq!(ids(Filter::new().provider("github")), [r, a]);
    assert_eq!(ids(Filter::new().state(State::Pending).provider("github")), [a]);
    assert_eq!(ids(Filter::new().limit(1)), [c]);
    let first = &inbox.list(&Filter::new()).unwrap()[0];
    assert_eq!((first.provider.as_deref(), first.event_id.as_deref(), first.attempts), (Some("stripe"), Some("c"), 0));
}

fn purge_on(make: &dyn Fn(InboxOptions) -> Box<dyn Inbox>) {
    let mut options = InboxOptions::default();
    options.retention = Duration::from_secs(60);
    options.max_bytes = 10_000;
    let inbox = make(options);
    let h = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let body = vec![b'b'; 3_000];
    let old = inbox.record(&accepted(&h, &body, 0, "old")).unwrap();
    inbox.attempt_started(old, 1, 1).unwrap();
    let ids: Vec<i64> = (0..5).map(|i| inbox.record(&accepted(&h, &body, 100_000 + i, "new")).unwrap()).collect();
    // now = 130 s: `old` (0 s) is past the 60 s retention; the five new ones keep ~15 KB > 10 KB.
    let removed = inbox.purge(130_000).unwrap();
    let left: Vec<i64> = inbox.list(&Filter::new()).unwrap().into_iter().map(|s| s.id).rev().collect();
    assert_eq!(left, ids[2..], "the oldest two go to get under the cap");
    assert_eq!(removed, 3);
    assert!(inbox.show(&old.to_string()).unwrap().is_none());
    assert_eq!(inbox.purge(130_000).unwrap(), 0, "nothing more to remove");
}

fn concurrent_writers_on(inbox: Arc<dyn Inbox>) {
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let inbox = inbox.clone();
            std::thread::spawn(move || {
                let h = headers();
                (0..50).map(|i| inbox.record(&accepted(&h, b"{}", t * 1000 + i, "x")).unwrap()).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<i64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 800);
    assert_eq!(inbox.list(&Filter::new().limit(1000)).unwrap().len(), 800);
}

// ---- the durable contract, over any backend ---------------------------------------------------

/// The job leased for `id` in `jobs`.
fn job_of(jobs: &[Job], id: i64) -> &Job {
    jobs.iter().find(|j| j.id == id).expect("leased")
}

fn enqueue_is_unique_on_the_dedup_key_on(inbox: &dyn Inbox) {
    let h = headers();
    let first = inbox.enqueue(&accepted(&h, br#"{"n":1}"#, 5_000, "evt-1"), "github:evt-1").unwrap();
    let Enqueued::New(id) = first else { panic!("{first:?}") };
    let again = inbox.enqueue(&accepted(&h, br#"{"n":1}"#, 6_000, "evt-1"), "github:evt-1").unwrap();
    assert_eq!(again, Enqueued::Duplicate(id, State::Pending));
    assert_eq!(inbox.list(&Filter::new()).unwrap().len(), 1, "a duplicate writes nothing");
    let r = inbox.show(&id.to_string()).unwrap().unwrap();
    assert_eq!((r.summary.state, r.summary.received_at_ms, r.summary.attempts), (State::Pending, 5_000, 0));
    // Due at its arrival: not before.
    assert!(inbox.lease_due("w", 4_999, 30_000, 10).unwrap().is_empty());
    let jobs = inbox.lease_due("w", 5_000, 30_000, 10).unwrap();
    let job = job_of(&jobs, id);
    assert_eq!((job.attempt, job.body.as_slice(), job.path.as_str()), (1, &br#"{"n":1}"#[..], "/hooks"));
    assert_eq!((job.provider.as_deref(), job.query.as_deref()), (Some("github"), Some("tenant=1")));
    assert_eq!((job.event_id.as_deref(), job.event_type.as_deref()), (Some("evt-1"), Some("issues.opened")));
    assert_eq!(job.headers, r.headers, "the job carries the headers as recorded, credentials redacted");
    assert!(inbox.finish_attempt(id, "w", 1, 5_100, Outcome::Done).unwrap());
    let done = inbox.enqueue(&accepted(&h, b"{}", 7_000, "evt-1"), "github:evt-1").unwrap();
    assert_eq!(done, Enqueued::Duplicate(id, State::Done), "a done event stays a duplicate");
    let other = inbox.enqueue(&accepted(&h, b"{}", 7_000, "evt-2"), "github:evt-2").unwrap();
    assert!(matches!(other, Enqueued::New(n) if n != id));
}

fn leases_are_exclusive_fenced_and_taken_back_on(inbox: &dyn Inbox) {
    let h = headers();
    let mut ids = Vec::new();
    for (i, at) in [300, 100, 200, 900_000].into_iter().enumerate() {
        let key = format!("k{i}");
        let Enqueued::New(id) = inbox.enqueue(&accepted(&h, b"{}", at, &key), &key).unwrap() else { panic!() };
        ids.push(id);
    }
    // Oldest due first, at most `max`, the not-yet-due one left.
    let jobs = inbox.lease_due("a", 1_000, 10_000, 2).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[1], ids[2]]);
    let jobs = inbox.lease_due("b", 1_000, 10_000, 10).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[0]], "leased ones are not leased again while live");
    assert!(inbox.lease_due("c", 1_000, 10_000, 10).unwrap().is_empty());
    // Renew: only the holder, for its attempt.
    assert!(inbox.renew_lease(ids[1], "a", 1, 20_000).unwrap());
    assert!(!inbox.renew_lease(ids[1], "b", 1, 99_000).unwrap(), "not b's lease");
    assert!(!inbox.renew_lease(ids[1], "a", 2, 99_000).unwrap(), "not that attempt");
    // `a` dies holding ids[2] (lease until 11 000): at 11 000 it is taken back, as attempt 2.
    assert!(inbox.lease_due("c", 10_999, 10_000, 10).unwrap().is_empty());
    let jobs = inbox.lease_due("c", 11_000, 10_000, 10).unwrap();
    assert_eq!(jobs.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(), [(ids[2], 2), (ids[0], 2)], "oldest due first");
    // The renewed one (until 20 000) was not taken. `a` comes back: its finish is refused.
    assert!(!inbox.finish_attempt(ids[2], "a", 1, 11_500, Outcome::Done).unwrap(), "fenced: the lease moved on");
    assert!(!inbox.renew_lease(ids[2], "a", 1, 50_000).unwrap());
    let r = inbox.show(&ids[2].to_string()).unwrap().unwrap();
    assert_eq!(r.summary.state, State::Pending, "a refused finish writes nothing");
    assert_eq!(r.attempts.len(), 2);
    assert_eq!((r.attempts[0].ended_at_ms, r.attempts[0].ok), (None, None), "the crashed attempt never ended");
    // c retries ids[2] at 15 000, dead-letters ids[0]; a finishes ids[1].
    assert!(inbox.finish_attempt(ids[2], "c", 2, 12_000, Outcome::Retry { at_ms: 15_000, error: "timeout" }).unwrap());
    assert!(inbox.finish_attempt(ids[0], "c", 2, 12_000, Outcome::DeadLetter { error: "gave up" }).unwrap());
    assert!(inbox.finish_attempt(ids[1], "a", 1, 12_000, Outcome::Done).unwrap());
    assert!(!inbox.finish_attempt(ids[1], "a", 1, 12_001, Outcome::Done).unwrap(), "finished once");
    let r = inbox.show(&ids[2].to_string()).unwrap().unwrap();
    assert_eq!(r.summary.state, State::Pending);
    assert_eq!((r.attempts[1].ended_at_ms, r.attempts[1].ok, r.attempts[1].error.as_deref()), (Some(12_000), Some(false), Some("timeout")));
    assert!(inbox.lease_due("d", 14_999, 10_000, 10).unwrap().is_empty(), "retried at its time, not before");
    let jobs = inbox.lease_due("d", 15_000, 10_000, 10).unwrap();
    assert_eq!(jobs.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(), [(ids[2], 3)]);
    assert!(inbox.finish_attempt(ids[2], "d", 3, 15_100, Outcome::Done).unwrap());
    let state = |id: i64| inbox.show(&id.to_string()).unwrap().unwrap().summary.state;
    assert_eq!([state(ids[0]), state(ids[1]), state(ids[2]), state(ids[3])], [State::Failed, State::Done, State::Done, State::Pending]);
    let dead = inbox.show(&ids[0].to_string()).unwrap().unwrap();
    assert_eq!(dead.attempts.last().unwrap().error.as_deref(), Some("gave up"));
}

fn lease_one_and_requeue_on(inbox: &dyn Inbox) {
    let h = headers();
    let Enqueued::New(id) = inbox.enqueue(&accepted(&h, b"{}", 50_000, "r"), "r").unwrap() else { panic!() };
    // Not due yet (50 000), leased alone anyway: a replay run now.
    let job = inbox.lease_one(id, "op", 1_000, 10_000).unwrap().expect("pending, free");
    assert_eq!(job.attempt, 1);
    assert!(inbox.lease_one(id, "other", 2_000, 10_000).unwrap().is_none(), "held by a live lease");
    assert!(!inbox.requeue(id, 2_000).unwrap(), "pending and leased: not requeued");
    assert!(inbox.finish_attempt(id, "op", 1, 2_000, Outcome::Done).unwrap());
    assert!(inbox.lease_one(id, "op", 3_000, 10_000).unwrap().is_none(), "done: not leased");
    // Replay: back to pending, due now, bypassing dedup; its next attempt is a new one.
    assert!(inbox.requeue(id, 3_000).unwrap());
    assert!(!inbox.requeue(id, 3_000).unwrap(), "already pending");
    assert_eq!(inbox.enqueue(&accepted(&h, b"{}", 3_000, "r"), "r").unwrap(), Enqueued::Duplicate(id, State::Pending));
    let jobs = inbox.lease_due("w", 3_000, 10_000, 10).unwrap();
    assert_eq!(jobs.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(), [(id, 2)]);
    assert!(inbox.finish_attempt(id, "w", 2, 3_100, Outcome::DeadLetter { error: "no" }).unwrap());
    assert!(inbox.requeue(id, 4_000).unwrap(), "a dead letter can be replayed");
    // Only accepted events: a rejected delivery or a recorded duplicate cannot be requeued.
    let r = inbox.record(&rejected(&h, b"{}", 1)).unwrap();
    assert!(!inbox.requeue(r, 4_000).unwrap());
    assert!(inbox.lease_one(r, "op", 4_000, 10_000).unwrap().is_none());
    assert!(!inbox.requeue(987_654, 4_000).unwrap(), "no such record");
    assert!(inbox.lease_one(987_654, "op", 4_000, 10_000).unwrap().is_none());
}

// ---- PostgreSQL --------------------------------------------------------------------------------

#[test]
fn postgres_runs_the_sqlite_suites_behaviours() {
    let server = PgServer::start();
    let url = server.url();
    records_with_credentials_redacted_on(&connect(&server.create_database("redact")));
    // No credential reaches the database at all (the SQLite test reads the file for the same).
    let leaked: i64 = postgres::Client::connect(&server.url_of("redact"), postgres::NoTls)
        .unwrap()
        .query_one("SELECT COUNT(*) FROM hookverify_deliveries WHERE headers LIKE '%do_not_stor%' OR headers LIKE '%do-not-stor%'", &[])
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0);
    rejected_body_truncated_on(&connect(&server.create_database("truncate")));
    attempts_on(&connect(&server.create_database("attempts")));
    list_filters_on(&connect(&server.create_database("list")));
    let purge_url = server.create_database("purge");
    purge_on(&|options| Box::new(PostgresInbox::connect(&purge_url, options).unwrap()));
    concurrent_writers_on(Arc::new(connect(&server.create_database("writers"))));
    // Records outlive the connection: a new PostgresInbox (another process) sees them.
    let id = connect(&url).record(&accepted(&headers(), b"{}", 5, "kept")).unwrap();
    assert_eq!(connect(&url).show("kept").unwrap().unwrap().summary.id, id);
}

/// The same bodies on SQLite: one suite, two backends (the durable contract's bodies too, once the
/// durable branch's SqliteInbox is merged).
#[cfg(feature = "inbox-sqlite")]
#[test]
fn sqlite_runs_the_same_bodies() {
    use hookverify::inbox::SqliteInbox;
    let dir = std::env::temp_dir().join(format!("hookverify-inbox-pg-suite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let open = |name: &str| SqliteInbox::open(dir.join(name)).unwrap();
    records_with_credentials_redacted_on(&open("redact.db"));
    rejected_body_truncated_on(&open("truncate.db"));
    attempts_on(&open("attempts.db"));
    list_filters_on(&open("list.db"));
    purge_on(&|options| Box::new(SqliteInbox::open_with(dir.join("purge.db"), options).unwrap()));
    concurrent_writers_on(Arc::new(open("writers.db")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn postgres_runs_the_durable_contract() {
    let server = PgServer::start();
    enqueue_is_unique_on_the_dedup_key_on(&connect(&server.create_database("enqueue")));
    leases_are_exclusive_fenced_and_taken_back_on(&connect(&server.create_database("leases")));
    lease_one_and_requeue_on(&connect(&server.create_database("requeue")));
}

#[test]
fn a_flood_of_rejected_megabyte_bodies_keeps_the_table_small() {
    let server = PgServer::start();
    let inbox = connect(&server.url());
    let h = vec![("X-Hub-Signature-256".to_owned(), "sha256=00".to_owned())];
    let body = vec![b'z'; 1 << 20];
    for i in 0..2_000 {
        inbox.record(&rejected(&h, &body, i)).unwrap();
    }
    let size: i64 = server.client().query_one("SELECT pg_total_relation_size('hookverify_deliveries')", &[]).unwrap().get(0);
    // 2,000 x 1 MiB arrived (2 GiB); about 2,000 x 4 KiB may be kept.
    assert!(size < 12 << 20, "the deliveries table is {size} bytes after 2 GiB of rejected bodies");
}

/// Four workers, each its own PostgresInbox (its own connections, as separate processes have),
/// lease 200 due records at once, a few at a time: each record is leased exactly once.
#[test]
fn four_workers_leasing_concurrently_lease_each_record_once() {
    let server = PgServer::start();
    let url = server.url();
    let setup = connect(&url);
    let h = headers();
    for i in 0..200 {
        let key = format!("d{i}");
        assert!(matches!(setup.enqueue(&accepted(&h, b"{}", i, &key), &key).unwrap(), Enqueued::New(_)));
    }
    let start = Arc::new(Barrier::new(4));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || {
                let inbox = connect(&url);
                let worker = format!("worker-{w}");
                start.wait();
                let mut mine = Vec::new();
                loop {
                    let jobs = inbox.lease_due(&worker, 1_000, 60_000, 3).unwrap();
                    if jobs.is_empty() {
                        break;
                    }
                    for job in jobs {
                        assert_eq!(job.attempt, 1);
                        assert!(inbox.finish_attempt(job.id, &worker, 1, 1_001, Outcome::Done).unwrap(), "the lease held");
                        mine.push(job.id);
                    }
                }
                mine
            })
        })
        .collect();
    let per_worker: Vec<Vec<i64>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let mut all: Vec<i64> = per_worker.iter().flatten().copied().collect();
    let total = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!((total, all.len()), (200, 200), "each of the 200 leased exactly once");
    assert!(
        per_worker.iter().filter(|w| !w.is_empty()).count() >= 2,
        "the workers did race: {:?}",
        per_worker.iter().map(Vec::len).collect::<Vec<_>>()
    );
    let attempts: i64 = server.client().query_one("SELECT COUNT(*) FROM hookverify_attempts", &[]).unwrap().get(0);
    assert_eq!(attempts, 200, "one attempt each");
    assert_eq!(setup.list(&Filter::new().state(State::Done).limit(1000)).unwrap().len(), 200);
}

/// 100 connections, each its own PostgresInbox made at the same moment on a fresh database (so
/// they also race to create the schema), enqueue one dedup key at once: one New, 99 Duplicate of
/// that record.
#[test]
fn a_hundred_concurrent_enqueues_of_one_key_make_one_record() {
    let server = PgServer::start();
    let url = server.create_database("race");
    let start = Arc::new(Barrier::new(100));
    let racers: Vec<_> = (0..100)
        .map(|i| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let inbox = connect(&url);
                let h = headers();
                let body = format!("{{\"racer\":{i}}}");
                inbox.enqueue(&accepted(&h, body.as_bytes(), 1_000 + i, "evt-dup"), "github:evt-dup").unwrap()
            })
        })
        .collect();
    let answers: Vec<Enqueued> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    let new: Vec<i64> = answers.iter().filter_map(|a| if let Enqueued::New(id) = a { Some(*id) } else { None }).collect();
    assert_eq!(new.len(), 1, "{answers:?}");
    let dup = answers.iter().filter(|a| **a == Enqueued::Duplicate(new[0], State::Pending)).count();
    assert_eq!(dup, 99, "{answers:?}");
    let rows: i64 = server.client_of("race").query_one("SELECT COUNT(*) FROM hookverify_deliveries", &[]).unwrap().get(0);
    assert_eq!(rows, 1);
    let version: i32 = server.client_of("race").query_one("SELECT version FROM hookverify_inbox_schema", &[]).unwrap().get(0);
    assert_eq!(version, 1, "the schema made once, by one of the 100");
}

/// The errors of an inbox whose PostgreSQL is gone: `inbox_unavailable` (503 + Retry-After for a
/// sender, nothing of the reason in the answer), quickly, and never the URL's password.
fn assert_unavailable(result: hookverify::Result<impl std::fmt::Debug>, took: Duration) {
    let err = result.expect_err("PostgreSQL is down");
    assert_eq!(err.code(), ErrorCode::InboxUnavailable, "{err}");
    assert!(took < Duration::from_secs(4), "bounded by the 2 s connect timeout: took {took:?}");
    for text in [err.to_string(), format!("{err:?}"), err.details().to_string(), err.log_line(None)] {
        assert!(!text.contains(PASSWORD), "{text}");
    }
    let d = Decision::from_error(&err);
    assert_eq!(d.status, 503);
    assert!(d.headers.iter().any(|(k, _)| k == "Retry-After"), "{:?}", d.headers);
    assert!(d.body.contains("\"inbox_unavailable\"") && !d.body.contains("postgres"), "{}", d.body);
}

#[test]
fn postgres_stopped_mid_run_is_inbox_unavailable_and_the_inbox_recovers_when_it_is_back() {
    let mut server = PgServer::start();
    let inbox = Arc::new(connect(&server.url()));
    let h = headers();
    let mut acknowledged = Vec::new();
    let mut n = 0;
    let mut enqueue = |inbox: &PostgresInbox| {
        n += 1;
        let key = format!("k{n}");
        let started = Instant::now();
        (inbox.enqueue(&accepted(&h, b"{}", n, &key), &key), started.elapsed())
    };
    for round in 0..2 {
        // Traffic from several threads keeps several pooled connections open.
        let busy: Vec<_> = (0..4)
            .map(|_| {
                let inbox = inbox.clone();
                std::thread::spawn(move || inbox.list(&Filter::new()).map(|l| l.len()))
            })
            .collect();
        for b in busy {
            b.join().unwrap().unwrap();
        }
        for _ in 0..20 {
            let (r, _) = enqueue(&inbox);
            let Enqueued::New(id) = r.unwrap() else { panic!() };
            acknowledged.push(id);
        }
        // Round 0: a fast shutdown; round 1: an immediate one (as a crash: WAL recovery at start).
        if round == 0 {
            server.stop();
        } else {
            server.crash();
        }
        for _ in 0..3 {
            let (r, took) = enqueue(&inbox);
            assert_unavailable(r, took);
            let started = Instant::now();
            assert_unavailable(inbox.lease_due("w", 1_000_000, 1_000, 10), started.elapsed());
            let started = Instant::now();
            assert_unavailable(inbox.show("1"), started.elapsed());
        }
        server.restart();
        // The same PostgresInbox, with no call in between: its first call after the restart works.
        let (r, _) = enqueue(&inbox);
        let Enqueued::New(id) = r.unwrap() else { panic!() };
        acknowledged.push(id);
    }
    // Nothing acknowledged was lost, nothing else was written.
    let mut stored: Vec<i64> = inbox.list(&Filter::new().limit(1000)).unwrap().into_iter().map(|s| s.id).collect();
    stored.sort_unstable();
    assert_eq!(stored, acknowledged);
    let jobs = inbox.lease_due("w", 1_000_000, 60_000, 1000).unwrap();
    assert_eq!(jobs.len(), acknowledged.len(), "every acknowledged event is still due for handling");
}

#[test]
fn the_urls_password_never_shows_and_a_bad_url_is_invalid_argument() {
    let server = PgServer::start();
    let inbox = connect(&server.url());
    let debug = format!("{inbox:?}");
    assert!(!debug.contains(PASSWORD) && !debug.contains(USER), "{debug}");
    assert!(debug.contains("127.0.0.1") && debug.contains(&server.port.to_string()), "{debug}");
    // A wrong password: refused by the server, reported without either password.
    let wrong = format!("postgres://{USER}:wrong-{PASSWORD}@127.0.0.1:{}/postgres?connect_timeout=2", server.port);
    let err = PostgresInbox::connect(&wrong, InboxOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InboxUnavailable);
    assert!(err.to_string().contains("password authentication failed"), "{err}");
    assert!(!err.to_string().contains(PASSWORD) && !format!("{err:?}").contains(PASSWORD), "{err}");
    // Nothing listening: refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let err =
        PostgresInbox::connect(&format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/x?connect_timeout=2"), InboxOptions::default())
            .unwrap_err();
    assert_unavailable(Err::<(), _>(err), started.elapsed());
    // URLs that do not parse: invalid_argument, quoting none of the URL.
    for bad in [
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:notaport/db"),
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1/db?nonsense_option={PASSWORD}"),
        format!("host=127.0.0.1 password='{PASSWORD}"),
        format!("postgres://{USER}:{PASSWORD}@/db"),
    ] {
        let err = PostgresInbox::connect(&bad, InboxOptions::default()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{bad}: {err}");
        assert!(!err.to_string().contains(PASSWORD) && !err.to_string().contains("notaport"), "{err}");
    }
}

#[test]
fn the_schema_is_versioned_and_a_newer_one_is_refused() {
    let server = PgServer::start();
    let url = server.url();
    let inbox = connect(&url);
    let id = inbox.record(&accepted(&headers(), b"{}", 1, "v")).unwrap();
    drop(inbox);
    let mut client = server.client();
    let version: i32 = client.query_one("SELECT version FROM hookverify_inbox_schema", &[]).unwrap().get(0);
    assert_eq!(version, 1);
    // Connecting again migrates nothing and keeps the data.
    assert_eq!(connect(&url).show("v").unwrap().unwrap().summary.id, id);
    let rows: i64 = client.query_one("SELECT COUNT(*) FROM hookverify_inbox_schema", &[]).unwrap().get(0);
    assert_eq!(rows, 1);
    // Once migrated, a role with only DML rights (no CREATE) can use it.
    client
        .batch_execute(
            "CREATE ROLE hv_worker LOGIN PASSWORD 'worker-pw'; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO hv_worker; \
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO hv_worker; \
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        )
        .unwrap();
    let worker_url = format!("postgres://hv_worker:worker-pw@127.0.0.1:{}/postgres?connect_timeout=2", server.port);
    let worker = connect(&worker_url);
    let Enqueued::New(queued) = worker.enqueue(&accepted(&headers(), b"{}", 2, "w"), "w").unwrap() else { panic!() };
    assert_eq!(worker.lease_due("w", 2, 1_000, 10).unwrap()[0].id, queued);
    // A database a newer hookverify migrated: refused, not written to.
    client.execute("UPDATE hookverify_inbox_schema SET version = 99", &[]).unwrap();
    let err = PostgresInbox::connect(&url, InboxOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("version 99") && err.to_string().contains("upgrade hookverify"), "{err}");
}

/// From async code (an axum handler, a worker task) the inbox is called through `spawn_blocking`:
/// each call blocks its thread while the client runs its own small runtime.
#[test]
fn async_code_calls_it_through_spawn_blocking() {
    let server = PgServer::start();
    let inbox = Arc::new(connect(&server.url()));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let answers = rt.block_on(async {
        let calls: Vec<_> = (0..16)
            .map(|i| {
                let inbox = inbox.clone();
                tokio::task::spawn_blocking(move || {
                    let key = format!("a{}", i % 4);
                    inbox.enqueue(&accepted(&headers(), b"{}", i, &key), &key)
                })
            })
            .collect();
        let mut answers = Vec::new();
        for call in calls {
            answers.push(call.await.unwrap().unwrap());
        }
        answers
    });
    assert_eq!(answers.iter().filter(|a| matches!(a, Enqueued::New(_))).count(), 4, "{answers:?}");
    assert_eq!(answers.iter().filter(|a| matches!(a, Enqueued::Duplicate(..))).count(), 12);
}

// ---- the durable branch's contract bodies (support/inbox_contract.rs), on PostgreSQL -------------

/// Runs `body` with two PostgresInbox (two processes' worth of connections) on one fresh database.
fn on_two(name: &str, body: fn(&dyn Inbox, &dyn Inbox)) {
    let server = PgServer::start();
    let url = server.create_database(name);
    body(&connect(&url), &connect(&url));
}

#[test]
fn contract_enqueue_is_unique_on_the_dedup_key_across_connections() {
    on_two("dedup", contract::enqueue_is_unique_on_the_dedup_key);
}

#[test]
fn contract_two_connections_leasing_200_due_records_take_each_once() {
    on_two("race", contract::concurrent_leases_take_each_record_once);
}

#[test]
fn contract_lease_order_fence_crash_retry_and_replay() {
    let server = PgServer::start();
    contract::lease_takes_due_free_records_oldest_first(&connect(&server.create_database("ordered")));
    contract::finish_and_renew_are_fenced(&connect(&server.create_database("fence")));
    let crash = server.create_database("crash");
    contract::a_crashed_lease_is_taken_back_after_expiry(&connect(&crash), &connect(&crash));
    contract::retry_waits_for_its_due_time(&connect(&server.create_database("retry")));
    contract::requeue_and_lease_one_replay_an_event(&connect(&server.create_database("replay")));
}

/// Straight from async code — connect, calls, and dropping the inbox — on both tokio runtime
/// flavors: the client's own runtime never nests inside the caller's (tokio would panic: "Cannot
/// start a runtime from within a runtime", "Cannot drop a runtime in a context where blocking is
/// not allowed").
#[test]
fn async_code_can_call_it_directly_on_either_runtime_flavor() {
    let server = PgServer::start();
    let runtimes = [
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap(),
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
    ];
    for (i, rt) in runtimes.into_iter().enumerate() {
        let url = server.url();
        let listed = rt.block_on(async move {
            let inbox = connect(&url);
            let key = format!("async-{i}");
            let first = inbox.enqueue(&accepted(&headers(), b"{}", 1, &key), &key).unwrap();
            tokio::task::yield_now().await;
            assert!(matches!(first, Enqueued::New(_)));
            let leased = inbox.lease_due("w", 1, 1_000, 10).unwrap();
            assert_eq!(leased.len(), 1);
            let listed = inbox.list(&Filter::new()).unwrap().len();
            let spawned = tokio::spawn(async move {
                let n = inbox.list(&Filter::new()).unwrap().len();
                drop(inbox);
                n
            });
            assert_eq!(spawned.await.unwrap(), listed);
            listed
        });
        assert_eq!(listed, i + 1);
    }
}
