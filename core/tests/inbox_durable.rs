//! The durable inbox on SQLite (issue 21, part 2): the backend-neutral contract bodies of
//! `support/inbox_contract.rs`, each on a fresh file (two connections where a body needs two
//! processes), and the schema migration of a file written before the durable columns existed.
#![cfg(feature = "inbox-sqlite")]

#[path = "support/inbox_contract.rs"]
mod contract;

use hookverify::inbox::{Enqueued, Filter, Inbox, State};

#[path = "support/inbox_dir.rs"]
mod inbox_dir;

use inbox_dir::InboxDir;

#[test]
fn enqueue_is_unique_on_the_dedup_key_across_connections() {
    let dir = InboxDir::new("durable", "unique");
    contract::enqueue_is_unique_on_the_dedup_key(&dir.open(), &dir.open());
}

#[test]
fn two_connections_leasing_200_due_records_take_each_once() {
    let dir = InboxDir::new("durable", "race");
    contract::concurrent_leases_take_each_record_once(&dir.open(), &dir.open());
}

#[test]
fn lease_takes_due_free_records_oldest_first() {
    let dir = InboxDir::new("durable", "order");
    contract::lease_takes_due_free_records_oldest_first(&dir.open());
}

#[test]
fn finish_and_renew_are_fenced_on_owner_and_attempt() {
    let dir = InboxDir::new("durable", "fence");
    contract::finish_and_renew_are_fenced(&dir.open());
}

#[test]
fn a_crashed_lease_is_taken_back_after_expiry() {
    let dir = InboxDir::new("durable", "crash");
    contract::a_crashed_lease_is_taken_back_after_expiry(&dir.open(), &dir.open());
}

#[test]
fn retry_waits_for_its_due_time_then_dead_letters() {
    let dir = InboxDir::new("durable", "retry");
    contract::retry_waits_for_its_due_time(&dir.open());
}

#[test]
fn requeue_and_lease_one_replay_an_event() {
    let dir = InboxDir::new("durable", "replay");
    contract::requeue_and_lease_one_replay_an_event(&dir.open());
}

/// A file written by the first inbox (no dedup key, due time, lease or attempt columns) is
/// migrated when opened: its records are kept and the durable calls work on it.
#[test]
fn a_file_of_the_earlier_schema_is_migrated() {
    let dir = InboxDir::new("durable", "migrate");
    {
        drop(old_schema(&dir.file()));
    }
    let inbox = dir.open();
    let old = inbox.list(&Filter::new()).unwrap();
    assert_eq!(old.len(), 1, "the earlier record is kept");
    assert_eq!(old[0].state, State::Pending);
    assert!(
        inbox.lease_due("w", contract::T, contract::LEASE, 10).unwrap().is_empty(),
        "an earlier pending record is not an enqueued event"
    );
    let h = contract::headers();
    let Enqueued::New(id) = inbox.enqueue(&contract::event(&h, b"{}", "evt-new", contract::T), "|github|evt-new").unwrap() else {
        panic!("new");
    };
    assert_eq!(inbox.lease_due("w", contract::T, contract::LEASE, 10).unwrap().pop().map(|j| j.id), Some(id));
    drop(inbox);
    // Opening it again changes nothing.
    assert_eq!(dir.open().list(&Filter::new()).unwrap().len(), 2);
}

/// Writes a file as the first inbox did: its `CREATE TABLE` text, and one pending record.
fn old_schema(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT, received_at_ms INTEGER NOT NULL, provider TEXT, path TEXT NOT NULL,
            query TEXT, headers TEXT NOT NULL, body BLOB NOT NULL, body_size INTEGER NOT NULL, verdict TEXT NOT NULL,
            status INTEGER NOT NULL, event_id TEXT, event_type TEXT, state TEXT NOT NULL, kept_bytes INTEGER NOT NULL);
         CREATE INDEX deliveries_received ON deliveries (received_at_ms);
         CREATE INDEX deliveries_state ON deliveries (state, id);
         CREATE INDEX deliveries_event ON deliveries (event_id, id);
         CREATE TABLE attempts (delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
            number INTEGER NOT NULL, started_at_ms INTEGER NOT NULL, ended_at_ms INTEGER, ok INTEGER, error TEXT,
            PRIMARY KEY (delivery_id, number));
         INSERT INTO deliveries (received_at_ms, path, headers, body, body_size, verdict, status, event_id, state, kept_bytes)
            VALUES (1, '/hooks', '[]', x'7b7d', 2, 'accepted', 202, 'old-1', 'pending', 4);",
    )
    .unwrap();
    conn
}

/// A file written with the full dedup, due, event-id, received-time and state indexes (before
/// they became partial or went, so that a delivery only recorded adds as few entries as it can)
/// gets the partial ones when opened: its event is still a duplicate of itself and still due.
#[test]
fn a_file_with_the_full_indexes_gets_the_partial_ones() {
    let dir = InboxDir::new("durable", "partial");
    {
        let conn = old_schema(&dir.file());
        conn.execute_batch(
            "ALTER TABLE deliveries ADD COLUMN dedup_key TEXT; ALTER TABLE deliveries ADD COLUMN next_at INTEGER;
             ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
             ALTER TABLE deliveries ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE deliveries ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
             CREATE UNIQUE INDEX deliveries_dedup ON deliveries (dedup_key);
             CREATE INDEX deliveries_due ON deliveries (state, next_at);
             UPDATE deliveries SET dedup_key = '|github|old-1', next_at = 1;",
        )
        .unwrap();
    }
    let inbox = dir.open();
    let indexes: Vec<(String, String)> = rusqlite::Connection::open(dir.file())
        .unwrap()
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' AND sql IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let names: Vec<&str> = indexes.iter().map(|(n, _)| n.as_str()).collect();
    // The received-time and state indexes, full ones that only cost writes, are gone too.
    assert_eq!(names, ["deliveries_dedup_key", "deliveries_event_id", "deliveries_failed", "deliveries_pending"]);
    for (name, sql) in &indexes {
        assert!(sql.contains(" WHERE "), "{name} is partial: {sql}");
    }
    let h = contract::headers();
    let again = inbox.enqueue(&contract::event(&h, b"{}", "old-1", contract::T), "|github|old-1").unwrap();
    assert!(matches!(again, Enqueued::Duplicate(_, State::Pending)), "{again:?}");
    assert_eq!(inbox.lease_due("w", contract::T, contract::LEASE, 10).unwrap().len(), 1, "still due");
    assert_eq!(inbox.show("old-1").unwrap().map(|r| r.summary.event_id), Some(Some("old-1".into())), "found by event id");
}
