//! The SQLite inbox (issue 21, part 1): a record per delivery with its verdict and answer,
//! credentials redacted, rejected bodies truncated, handler attempts, list filters, show by record
//! or event id, retention and size-cap purges, reopening the file, concurrent writers, and a flood
//! of rejected deliveries that cannot fill the disk.
#![cfg(feature = "inbox-sqlite")]

use std::sync::Arc;
use std::time::Duration;

use hookverify::inbox::{Arrival, Filter, Inbox, InboxOptions, SqliteInbox, State, REDACTED};
use hookverify::ErrorCode;

#[path = "support/inbox_dir.rs"]
mod inbox_dir;

use inbox_dir::InboxDir;

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

#[test]
fn a_delivery_is_recorded_with_credentials_redacted_and_shown_by_record_or_event_id() {
    let dir = InboxDir::new("inbox", "record");
    let inbox = SqliteInbox::open(dir.file()).unwrap();
    let h = headers();
    let id = inbox.record(&accepted(&h, br#"{"action":"opened"}"#, 1_000, "delivery-1")).unwrap();
    let by_id = inbox.show(&id.to_string()).unwrap().expect("by record id");
    let by_event = inbox.show("delivery-1").unwrap().expect("by event id");
    assert_eq!(by_id, by_event);
    assert_eq!(by_id.summary.state, State::Pending);
    assert_eq!(by_id.summary.verdict, "accepted");
    assert_eq!(by_id.summary.status, 202);
    assert_eq!(by_id.query.as_deref(), Some("tenant=1"));
    assert_eq!(by_id.body, br#"{"action":"opened"}"#);
    assert!(!by_id.body_truncated);
    let value = |name: &str| by_id.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap();
    assert_eq!(value("Authorization"), REDACTED);
    assert_eq!(value("X-Gitlab-Token"), REDACTED);
    assert_eq!(value("Cookie"), REDACTED);
    assert!(value("X-Hub-Signature-256").starts_with("sha256=757107"), "signatures are kept: the record can be verified again");
    let file = std::fs::read(dir.file()).unwrap_or_default();
    let wal = std::fs::read(dir.0.join("inbox.db-wal")).unwrap_or_default();
    for bytes in [&file, &wal] {
        assert!(!bytes.windows(11).any(|w| w == b"do_not_stor" || w == b"do-not-stor"), "no credential reaches the file");
    }
    assert!(inbox.show("no-such-event").unwrap().is_none());
    assert!(inbox.show("999999").unwrap().is_none());
}

#[test]
fn a_rejected_body_is_kept_truncated_with_its_size() {
    let dir = InboxDir::new("inbox", "truncate");
    let inbox = SqliteInbox::open(dir.file()).unwrap();
    let h = headers();
    let body = vec![b'x'; 1 << 20];
    let id = inbox.record(&rejected(&h, &body, 1_000)).unwrap();
    let r = inbox.show(&id.to_string()).unwrap().unwrap();
    assert_eq!(r.body.len(), hookverify::inbox::DEFAULT_REJECTED_BODY_BYTES);
    assert_eq!(r.body_size, 1 << 20);
    assert!(r.body_truncated);
    assert_eq!(r.summary.verdict, "no_matching_signature");
    assert_eq!(r.summary.state, State::Rejected);
}

#[test]
fn attempts_move_a_delivery_to_done_or_failed() {
    let dir = InboxDir::new("inbox", "attempts");
    let inbox = SqliteInbox::open(dir.file()).unwrap();
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
    assert!(inbox.attempt_started(id, 2, 3_000).is_err(), "attempt numbers are unique");
}

#[test]
fn list_filters_by_state_and_provider_newest_first() {
    let dir = InboxDir::new("inbox", "list");
    let inbox = SqliteInbox::open(dir.file()).unwrap();
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
}

#[test]
fn purge_removes_old_records_then_the_oldest_over_the_size_cap() {
    let dir = InboxDir::new("inbox", "purge");
    let mut options = InboxOptions::default();
    options.retention = Duration::from_secs(60);
    options.max_bytes = 10_000;
    let inbox = SqliteInbox::open_with(dir.file(), options).unwrap();
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

/// Past the retention, records go in arrival order: one that arrived after a newer one, with an
/// earlier received time (a clock set back), stays with it (as `Inbox::purge` says).
#[test]
fn purge_goes_in_arrival_order() {
    let dir = InboxDir::new("inbox", "purge-order");
    let mut options = InboxOptions::default();
    options.retention = Duration::from_secs(60);
    let inbox = SqliteInbox::open_with(dir.file(), options).unwrap();
    let h = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let ids: Vec<i64> = [0, 10_000, 100_000, 5_000].iter().map(|&t| inbox.record(&accepted(&h, b"{}", t, "e")).unwrap()).collect();
    assert_eq!(inbox.purge(130_000).unwrap(), 2);
    let left: Vec<i64> = inbox.list(&Filter::new()).unwrap().into_iter().map(|s| s.id).rev().collect();
    assert_eq!(left, ids[2..]);
}

#[test]
fn records_survive_reopening_the_file() {
    let dir = InboxDir::new("inbox", "reopen");
    let h = headers();
    let id = {
        let inbox = SqliteInbox::open(dir.file()).unwrap();
        inbox.record(&accepted(&h, b"{}", 5, "kept")).unwrap()
    };
    let inbox = SqliteInbox::open(dir.file()).unwrap();
    assert_eq!(inbox.show("kept").unwrap().unwrap().summary.id, id);
}

#[test]
fn concurrent_writers_each_get_their_record() {
    let dir = InboxDir::new("inbox", "concurrent");
    let inbox = Arc::new(SqliteInbox::open(dir.file()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let inbox = inbox.clone();
            std::thread::spawn(move || {
                let h = headers();
                (0..100).map(|i| inbox.record(&accepted(&h, b"{}", t * 1000 + i, "x")).unwrap()).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<i64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 800);
    assert_eq!(inbox.list(&Filter::new().limit(1000)).unwrap().len(), 800);
}

#[test]
fn a_flood_of_rejected_megabyte_bodies_keeps_the_file_small() {
    let dir = InboxDir::new("inbox", "flood");
    let inbox = SqliteInbox::open(dir.file()).unwrap();
    let h = vec![("X-Hub-Signature-256".to_owned(), "sha256=00".to_owned())];
    let body = vec![b'z'; 1 << 20];
    for i in 0..2_000 {
        inbox.record(&rejected(&h, &body, i)).unwrap();
    }
    drop(inbox); // checkpoint the WAL into the file
    let size = std::fs::metadata(dir.file()).unwrap().len();
    // 2,000 x 1 MiB arrived (2 GiB); about 2,000 x 4 KiB may be kept.
    assert!(size < 12 << 20, "the inbox file is {size} bytes after 2 GiB of rejected bodies");
}

#[test]
fn a_log_filter_status_is_one_of_the_states_and_a_bad_one_names_them_all() {
    for state in State::ALL {
        assert_eq!(State::parse_status(state.as_str()).unwrap(), state);
    }
    let err = State::parse_status("nonsense").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    for name in ["rejected", "duplicate", "pending", "done", "failed"] {
        assert!(err.to_string().contains(name), "{err}");
    }
    let err = hookverify::inbox::filter_from_json(r#"{"status":"nonsense"}"#).unwrap_err();
    assert!(err.to_string().starts_with("invalid argument: inbox list options: `status` must be one of rejected, "), "{err}");
}
