//! The replay steps every runtime shares (issue 21, part 3): `inbox::begin_replay` /
//! `finish_replay` over a real SQLite inbox, and the record and job JSON every front end prints.
#![cfg(feature = "inbox-sqlite")]

use hookverify::inbox::{begin_replay, finish_replay, job_json, record_json, Arrival, Enqueued, Inbox, Outcome, State};

const T: i64 = 1_700_000_000_000;
const LEASE: i64 = 30_000;

#[path = "support/inbox_dir.rs"]
mod inbox_dir;

use inbox_dir::InboxDir;

fn headers() -> Vec<(String, String)> {
    vec![("Content-Type".into(), "application/json".into()), ("Authorization".into(), "Bearer do-not-store".into())]
}

/// An accepted event `id` enqueued, its first attempt leased by `w1` and ended as `outcome`.
fn handled(inbox: &dyn Inbox, id: &str, body: &[u8], outcome: Outcome<'_>) -> i64 {
    let h = headers();
    let arrival = Arrival {
        received_at_ms: T,
        provider: Some("github"),
        path: "/hooks",
        query: None,
        headers: &h,
        body,
        verdict: "accepted",
        status: 202,
        event_id: Some(id),
        event_type: Some("issues.opened"),
        state: State::Pending,
    };
    let Enqueued::New(record) = inbox.enqueue(&arrival, &format!("|github|{id}")).unwrap() else { panic!("not new") };
    let job = inbox.lease_one(record, "w1", T, LEASE).unwrap().expect("leased");
    assert!(inbox.finish_attempt(record, "w1", job.attempt, T + 1, outcome).unwrap());
    record
}

#[test]
fn a_replay_is_a_new_attempt_ended_done_or_failed_never_retried() {
    let dir = InboxDir::new("replay", "steps");
    let inbox = dir.open();
    let failed = handled(&inbox, "evt_1", br#"{"a":1}"#, Outcome::DeadLetter { error: "boom" });

    // By event id: leased as attempt 2, pending while it runs.
    let job = begin_replay(&inbox, "evt_1", "replay-a", T + 10, LEASE).unwrap();
    assert_eq!((job.id, job.attempt), (failed, 2));
    assert_eq!(inbox.show(&failed.to_string()).unwrap().unwrap().summary.state, State::Pending);
    // Held by this replay: a second replay (or a worker) cannot take it now.
    let again = begin_replay(&inbox, &failed.to_string(), "replay-b", T + 11, LEASE).unwrap_err();
    assert_eq!(again.code().as_str(), "invalid_argument");
    assert!(inbox.lease_due("w2", T + 12, LEASE, 10).unwrap().is_empty(), "a worker took the replayed event");
    // Another worker's finish writes nothing (fenced on the lease).
    assert!(!finish_replay(&inbox, &job, "replay-b", T + 13, None).unwrap());
    assert!(finish_replay(&inbox, &job, "replay-a", T + 20, None).unwrap());
    let r = inbox.show("evt_1").unwrap().unwrap();
    assert_eq!(r.summary.state, State::Done);
    assert_eq!(r.attempts.len(), 2);
    assert_eq!((r.attempts[1].ok, r.attempts[1].ended_at_ms), (Some(true), Some(T + 20)));

    // A failed replay is failed at once with its text (no retry), and may be replayed again.
    let job = begin_replay(&inbox, "evt_1", "replay-c", T + 30, LEASE).unwrap();
    assert_eq!(job.attempt, 3);
    assert!(finish_replay(&inbox, &job, "replay-c", T + 31, Some("still broken")).unwrap());
    let r = inbox.show("evt_1").unwrap().unwrap();
    assert_eq!(r.summary.state, State::Failed);
    assert_eq!(r.attempts[2].error.as_deref(), Some("still broken"));
    assert!(inbox.lease_due("w2", T + 10 * LEASE, LEASE, 10).unwrap().is_empty(), "a failed replay was retried");

    let missing = begin_replay(&inbox, "evt_none", "replay-d", T, LEASE).unwrap_err();
    assert_eq!(missing.code().as_str(), "invalid_argument");
}

#[test]
fn record_and_job_json_show_text_or_hex_bodies_and_header_pairs() {
    let dir = InboxDir::new("replay", "json");
    let inbox = dir.open();
    let text = handled(&inbox, "evt_t", "{\"name\":\"é\"}".as_bytes(), Outcome::Done);
    let binary = handled(&inbox, "evt_b", &[0xff, 0x00, 0x41], Outcome::Done);

    let v = record_json(&inbox.show(&text.to_string()).unwrap().unwrap());
    assert_eq!(v["body"], "{\"name\":\"é\"}");
    assert!(v.get("body_hex").is_none());
    assert_eq!(v["headers"][0], serde_json::json!(["Content-Type", "application/json"]));
    assert_eq!(v["headers"][1], serde_json::json!(["Authorization", "[redacted]"]));
    assert_eq!((v["id"].as_i64(), v["event_id"].as_str(), v["state"].as_str()), (Some(text), Some("evt_t"), Some("done")));
    assert_eq!(v["attempts"][0]["ok"], true);

    let v = record_json(&inbox.show("evt_b").unwrap().unwrap());
    assert_eq!(v["body_hex"], "ff0041");
    assert!(v.get("body").is_none());

    let job = begin_replay(&inbox, &binary.to_string(), "r", T + 5, LEASE).unwrap();
    let j = job_json(&job);
    assert_eq!(j["body_hex"], "ff0041");
    assert_eq!((j["id"].as_i64(), j["attempt"].as_u64()), (Some(binary), Some(2)));
    assert_eq!(
        (j["event_id"].as_str(), j["event_type"].as_str(), j["provider"].as_str()),
        (Some("evt_b"), Some("issues.opened"), Some("github"))
    );
    assert_eq!(j["headers"][1], serde_json::json!(["Authorization", "[redacted]"]));
}

#[test]
fn a_location_opened_for_reading_is_never_created() {
    let dir = InboxDir::new("replay", "location");
    let base = dir.0.as_path();
    let missing = hookverify::InboxLocation::parse("inbox.db", base).unwrap();
    assert_eq!(missing, hookverify::InboxLocation::Sqlite(base.join("inbox.db")));
    let Err(e) = missing.open_existing() else { panic!("a missing file opened") };
    assert_eq!(e.code().as_str(), "inbox_unavailable");
    assert!(!base.join("inbox.db").exists(), "reading created the file");
    // `open` (what serve does) creates it; then reading opens it.
    missing.open().unwrap();
    assert!(missing.open_existing().is_ok());
    assert_eq!(
        hookverify::InboxLocation::parse("postgres://u@127.0.0.1/db", base).unwrap(),
        hookverify::InboxLocation::Postgres("postgres://u@127.0.0.1/db".into())
    );
    assert_eq!(hookverify::InboxLocation::parse("  ", base).unwrap_err().code().as_str(), "invalid_argument");
}

#[test]
fn list_filters_parse_from_json() {
    let f = hookverify::inbox::filter_from_json(r#"{"status":"failed","provider":"github","limit":5}"#).unwrap();
    assert_eq!((f.state, f.provider.as_deref(), f.limit), (Some(State::Failed), Some("github"), Some(5)));
    let f = hookverify::inbox::filter_from_json("{}").unwrap();
    assert_eq!((f.state, f.provider, f.limit), (None, None, None));
    for bad in [r#"{"status":"bogus"}"#, r#"{"colour":"red"}"#, r#"{"limit":-1}"#, "[]"] {
        assert_eq!(hookverify::inbox::filter_from_json(bad).unwrap_err().code().as_str(), "invalid_argument", "{bad}");
    }
}
