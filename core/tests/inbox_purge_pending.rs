//! `Inbox::purge` never removes an enqueued event still pending (issue 21): past the retention or
//! over the size cap, such a record is the only copy of an event its sender was told we have.
//! Every other record (rejected, duplicate, done, failed, or one recorded without a dedup key)
//! goes as before. Run on SQLite, and on a real PostgreSQL (support/postgres.rs) when the
//! `inbox-postgres` feature is on.
#![cfg(feature = "inbox-sqlite")]

mod support;

use std::time::Duration;

use hookverify::inbox::{Arrival, Enqueued, Filter, Inbox, InboxOptions, Outcome, SqliteInbox, State};

const T: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn arrival<'a>(h: &'a [(String, String)], body: &'a [u8], id: &'a str, at: i64, state: State) -> Arrival<'a> {
    Arrival {
        received_at_ms: at,
        provider: Some("github"),
        path: "/hooks",
        query: None,
        headers: h,
        body,
        verdict: if state == State::Rejected { "no_matching_signature" } else { "accepted" },
        status: if state == State::Rejected { 401 } else { 202 },
        event_id: Some(id),
        event_type: Some("push"),
        state,
    }
}

/// Options: 1-day retention, a cap of `max_bytes`.
fn options(max_bytes: u64) -> InboxOptions {
    let mut o = InboxOptions::default();
    o.retention = Duration::from_millis(DAY as u64);
    o.max_bytes = max_bytes;
    o
}

fn ids_left(inbox: &dyn Inbox) -> Vec<String> {
    let mut ids: Vec<String> = inbox.list(&Filter::new().limit(1000)).unwrap().into_iter().filter_map(|r| r.event_id).collect();
    ids.sort();
    ids
}

/// Past the retention: the pending enqueued event stays; a done one, a failed one, a rejected
/// delivery and a pending record without a dedup key go.
fn retention_keeps_pending_events(inbox: &dyn Inbox) {
    let h = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let old = T - 3 * DAY;
    let Enqueued::New(_pending) = inbox.enqueue(&arrival(&h, b"{}", "pending", old, State::Pending), "k-pending").unwrap() else {
        panic!()
    };
    let Enqueued::New(done) = inbox.enqueue(&arrival(&h, b"{}", "done", old, State::Pending), "k-done").unwrap() else { panic!() };
    let Enqueued::New(failed) = inbox.enqueue(&arrival(&h, b"{}", "failed", old, State::Pending), "k-failed").unwrap() else { panic!() };
    // Lease the two by id and end them: one done, one dead-lettered.
    for (id, outcome) in [(done, Outcome::Done), (failed, Outcome::DeadLetter { error: "boom" })] {
        let job = inbox.lease_one(id, "w", T, 30_000).unwrap().expect("free");
        assert!(inbox.finish_attempt(id, "w", job.attempt, T, outcome).unwrap());
    }
    inbox.record(&arrival(&h, b"{}", "rejected", old, State::Rejected)).unwrap();
    inbox.record(&arrival(&h, b"{}", "recorded-pending", old, State::Pending)).unwrap();
    inbox.purge(T).unwrap();
    assert_eq!(ids_left(inbox), ["pending"], "only the pending enqueued event outlives the retention");
    let left = inbox.list(&Filter::new()).unwrap();
    assert_eq!(left[0].state, State::Pending);
}

/// Over the size cap: pending enqueued events are kept (their bytes count), the oldest others go.
fn cap_keeps_pending_events(inbox: &dyn Inbox) {
    let h = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let body = vec![b'x'; 1000];
    for i in 0..5 {
        let id = format!("p{i}");
        inbox.enqueue(&arrival(&h, &body, &id, T + i, State::Pending), &format!("k-{id}")).unwrap();
    }
    for i in 0..5 {
        inbox.record(&arrival(&h, &body, &format!("r{i}"), T + 10 + i, State::Rejected)).unwrap();
    }
    // The cap (options: 3000 bytes) is below what the pending events alone keep.
    inbox.purge(T + 100).unwrap();
    assert_eq!(ids_left(inbox), ["p0", "p1", "p2", "p3", "p4"], "every pending event kept; every other record removed");
}

fn sqlite(name: &str, max_bytes: u64) -> SqliteInbox {
    let dir = std::env::temp_dir().join(format!("hv-purge-pending-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    SqliteInbox::open_with(dir.join("inbox.db"), options(max_bytes)).unwrap()
}

#[test]
fn sqlite_purge_past_retention_keeps_pending_events() {
    retention_keeps_pending_events(&sqlite("retention", u64::MAX));
}

#[test]
fn sqlite_purge_over_the_cap_keeps_pending_events() {
    cap_keeps_pending_events(&sqlite("cap", 3000));
}

#[cfg(feature = "inbox-postgres")]
#[test]
fn postgres_purge_keeps_pending_events() {
    use hookverify::inbox::PostgresInbox;
    let server = support::postgres::PgServer::start();
    let url = server.create_database("retention");
    retention_keeps_pending_events(&PostgresInbox::connect(&url, options(u64::MAX)).unwrap());
    let url = server.create_database("cap");
    cap_keeps_pending_events(&PostgresInbox::connect(&url, options(3000)).unwrap());
}
