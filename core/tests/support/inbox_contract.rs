//! The durable inbox's contract (issue 21, part 2) as test bodies over `&dyn Inbox`, so every
//! backend runs the same checks: `core/tests/inbox_durable.rs` runs them on SQLite; another backend
//! includes this file (`#[path = "support/inbox_contract.rs"] mod contract;`) and calls each body
//! with its own inboxes. A body that needs two processes sharing one inbox takes two inboxes opened
//! on the same storage (two connections).
#![allow(dead_code)]

use std::collections::HashSet;

use hookverify::inbox::{Arrival, Enqueued, Filter, Inbox, Outcome, State};

/// A fixed "now" (unix ms): every time in these bodies is relative to it.
pub const T: i64 = 1_700_000_000_000;
/// The lease every body takes unless it says otherwise.
pub const LEASE: i64 = 30_000;

/// The headers every enqueued event carries (one a credential, stored redacted).
pub fn headers() -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-Hub-Signature-256".into(), "sha256=0123".into()),
        ("Authorization".into(), "Bearer do-not-store".into()),
    ]
}

/// An accepted event `id`, arrived at `at`.
pub fn event<'a>(h: &'a [(String, String)], body: &'a [u8], id: &'a str, at: i64) -> Arrival<'a> {
    Arrival {
        received_at_ms: at,
        provider: Some("github"),
        path: "/hooks",
        query: Some("tenant=1"),
        headers: h,
        body,
        verdict: "accepted",
        status: 202,
        event_id: Some(id),
        event_type: Some("issues.opened"),
        state: State::Pending,
    }
}

fn enqueue_new(inbox: &dyn Inbox, id: &str, at: i64) -> i64 {
    let h = headers();
    match inbox.enqueue(&event(&h, br#"{"action":"opened"}"#, id, at), &format!("|github|{id}")).unwrap() {
        Enqueued::New(record) => record,
        other => panic!("{id}: expected a new record, got {other:?}"),
    }
}

fn state(inbox: &dyn Inbox, id: i64) -> State {
    inbox.show(&id.to_string()).unwrap().expect("the record").summary.state
}

/// An event is committed once per dedup key, by whichever inbox sees it first: a second enqueue
/// (from this inbox or another on the same storage) writes nothing and names the first record and
/// its state, before and after it is done.
pub fn enqueue_is_unique_on_the_dedup_key(a: &dyn Inbox, b: &dyn Inbox) {
    let id = enqueue_new(a, "evt-dup", T);
    let h = headers();
    let again = event(&h, b"{}", "evt-dup", T + 1);
    assert_eq!(b.enqueue(&again, "|github|evt-dup").unwrap(), Enqueued::Duplicate(id, State::Pending));
    assert_eq!(a.enqueue(&again, "|github|evt-dup").unwrap(), Enqueued::Duplicate(id, State::Pending));
    let job = a.lease_due("w1", T, LEASE, 10).unwrap().pop().expect("due at once");
    assert_eq!((job.id, job.attempt), (id, 1));
    assert_eq!(job.event_id.as_deref(), Some("evt-dup"));
    assert_eq!(job.event_type.as_deref(), Some("issues.opened"));
    assert_eq!(job.provider.as_deref(), Some("github"));
    assert_eq!((job.path.as_str(), job.query.as_deref()), ("/hooks", Some("tenant=1")));
    assert_eq!(job.body, br#"{"action":"opened"}"#, "the first delivery's body, not the duplicate's");
    let auth = job.headers.iter().find(|(k, _)| k == "Authorization").map(|(_, v)| v.as_str());
    assert_eq!(auth, Some(hookverify::inbox::REDACTED));
    assert!(a.finish_attempt(id, "w1", 1, T + 5, Outcome::Done).unwrap());
    assert_eq!(b.enqueue(&again, "|github|evt-dup").unwrap(), Enqueued::Duplicate(id, State::Done));
    // Another key is another event; the list holds exactly the two records.
    let other = enqueue_new(b, "evt-other", T + 2);
    assert_ne!(other, id);
    assert_eq!(a.list(&Filter::new()).unwrap().len(), 2);
}

/// Two workers on two connections leasing 200 due events at once: each event is leased exactly
/// once, and every one is leased.
pub fn concurrent_leases_take_each_record_once(a: &dyn Inbox, b: &dyn Inbox) {
    let mut ids = HashSet::new();
    for i in 0..200 {
        ids.insert(enqueue_new(a, &format!("evt-{i}"), T + i));
    }
    let start = std::sync::Barrier::new(2);
    let take = |inbox: &dyn Inbox, worker: &str| {
        let mut got = Vec::new();
        start.wait();
        loop {
            let jobs = inbox.lease_due(worker, T + 1_000, LEASE, 2).unwrap();
            if jobs.is_empty() {
                return got;
            }
            got.extend(jobs.into_iter().map(|j| (j.id, j.attempt)));
            assert!(got.len() <= 200, "{worker} leased more records than exist: a record leased twice");
        }
    };
    let (got_a, got_b) = std::thread::scope(|s| {
        let ta = s.spawn(|| take(a, "worker-a"));
        let tb = s.spawn(|| take(b, "worker-b"));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    let mut seen = HashSet::new();
    for (id, attempt) in got_a.iter().chain(&got_b) {
        assert_eq!(*attempt, 1);
        assert!(seen.insert(*id), "record {id} leased twice");
    }
    assert_eq!(seen, ids, "every due record leased");
    // Each is finished by its own worker only.
    for (id, attempt) in &got_a {
        assert!(!b.finish_attempt(*id, "worker-b", *attempt, T + 2_000, Outcome::Done).unwrap());
        assert!(a.finish_attempt(*id, "worker-a", *attempt, T + 2_000, Outcome::Done).unwrap());
    }
    assert_eq!(a.list(&Filter::new().state(State::Done).limit(500)).unwrap().len(), got_a.len());
}

/// Records neither due nor free are not leased; lease order is oldest due first.
pub fn lease_takes_due_free_records_oldest_first(inbox: &dyn Inbox) {
    let late = enqueue_new(inbox, "evt-late", T + 500);
    let early = enqueue_new(inbox, "evt-early", T);
    assert!(inbox.lease_due("w", T - 1, LEASE, 10).unwrap().is_empty(), "nothing is due yet");
    let jobs = inbox.lease_due("w", T + 1_000, LEASE, 1).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [early]);
    let jobs = inbox.lease_due("w2", T + 1_000, LEASE, 10).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [late], "the leased one is not leased again");
    assert!(inbox.lease_due("w3", T + 1_000, LEASE, 10).unwrap().is_empty());
}

/// A lease is fenced on its owner and attempt: once it expired and another worker took the record,
/// the first worker's renew and finish write nothing, and only the new holder's outcome counts.
pub fn finish_and_renew_are_fenced(inbox: &dyn Inbox) {
    let id = enqueue_new(inbox, "evt-fence", T);
    let first = inbox.lease_due("w1", T, 1_000, 1).unwrap().pop().unwrap();
    assert_eq!(first.attempt, 1);
    assert!(inbox.renew_lease(id, "w1", 1, T + 2_000).unwrap(), "the holder renews");
    assert!(!inbox.renew_lease(id, "w2", 1, T + 9_000).unwrap(), "another worker cannot");
    assert!(inbox.lease_due("w2", T + 1_999, 1_000, 1).unwrap().is_empty(), "the renewed lease holds");
    let second = inbox.lease_due("w2", T + 2_000, 1_000, 1).unwrap().pop().expect("an expired lease is taken back");
    assert_eq!((second.id, second.attempt), (id, 2));
    assert!(!inbox.renew_lease(id, "w1", 1, T + 10_000).unwrap());
    assert!(!inbox.finish_attempt(id, "w1", 1, T + 2_100, Outcome::Done).unwrap(), "the old holder's done is dropped");
    assert!(!inbox.finish_attempt(id, "w2", 1, T + 2_100, Outcome::Done).unwrap(), "the wrong attempt is dropped");
    assert_eq!(state(inbox, id), State::Pending);
    assert!(inbox.finish_attempt(id, "w2", 2, T + 2_200, Outcome::DeadLetter { error: "boom" }).unwrap());
    assert!(!inbox.finish_attempt(id, "w2", 2, T + 2_300, Outcome::Done).unwrap(), "finished once");
    let record = inbox.show(&id.to_string()).unwrap().unwrap();
    assert_eq!(record.summary.state, State::Failed);
    assert_eq!(record.attempts.len(), 2);
    assert_eq!((record.attempts[0].ended_at_ms, record.attempts[0].ok), (None, None), "the lost attempt never ended");
    assert_eq!(record.attempts[1].ended_at_ms, Some(T + 2_200));
    assert_eq!((record.attempts[1].ok, record.attempts[1].error.as_deref()), (Some(false), Some("boom")));
}

/// A worker that died holding a lease: the record is taken back once the lease expires, as the
/// next attempt; never before.
pub fn a_crashed_lease_is_taken_back_after_expiry(dead: &dyn Inbox, alive: &dyn Inbox) {
    let id = enqueue_new(dead, "evt-crash", T);
    let job = dead.lease_due("dead-worker", T, 5_000, 1).unwrap().pop().unwrap();
    assert_eq!(job.attempt, 1);
    assert!(alive.lease_due("alive", T + 4_999, 5_000, 10).unwrap().is_empty(), "the lease is still live");
    assert!(alive.lease_one(id, "alive", T + 4_999, 5_000).unwrap().is_none(), "lease_one respects a live lease");
    let resumed = alive.lease_due("alive", T + 5_000, 5_000, 10).unwrap().pop().expect("taken back");
    assert_eq!((resumed.id, resumed.attempt), (id, 2));
    assert!(alive.finish_attempt(id, "alive", 2, T + 5_100, Outcome::Done).unwrap());
    assert_eq!(state(alive, id), State::Done);
    assert_eq!(alive.show(&id.to_string()).unwrap().unwrap().summary.attempts, 2);
}

/// A failed attempt due again later is not leased before then; the attempt counter goes on; a
/// dead letter is `Failed` and never leased again.
pub fn retry_waits_for_its_due_time(inbox: &dyn Inbox) {
    let id = enqueue_new(inbox, "evt-retry", T);
    let job = inbox.lease_due("w", T, LEASE, 1).unwrap().pop().unwrap();
    assert!(inbox.finish_attempt(id, "w", job.attempt, T + 10, Outcome::Retry { at_ms: T + 5_000, error: "exit 1" }).unwrap());
    assert_eq!(state(inbox, id), State::Pending);
    assert!(inbox.lease_due("w", T + 4_999, LEASE, 1).unwrap().is_empty(), "not due before its backoff");
    let job = inbox.lease_due("w", T + 5_000, LEASE, 1).unwrap().pop().expect("due after its backoff");
    assert_eq!(job.attempt, 2);
    assert!(inbox.finish_attempt(id, "w", 2, T + 5_010, Outcome::DeadLetter { error: "exit 1 again" }).unwrap());
    assert_eq!(state(inbox, id), State::Failed);
    assert!(inbox.lease_due("w", T + 999_999, LEASE, 10).unwrap().is_empty(), "a dead letter is not leased");
    assert!(inbox.lease_one(id, "w", T + 999_999, LEASE).unwrap().is_none());
    let r = inbox.show(&id.to_string()).unwrap().unwrap();
    let errors: Vec<_> = r.attempts.iter().map(|a| a.error.as_deref()).collect();
    assert_eq!(errors, [Some("exit 1"), Some("exit 1 again")]);
}

/// `requeue` makes a done or dead-lettered event pending and due again (a replay, whatever dedup
/// says); `lease_one` takes it at once as its next attempt. Pending, leased or rejected records
/// are not requeued.
pub fn requeue_and_lease_one_replay_an_event(inbox: &dyn Inbox) {
    let id = enqueue_new(inbox, "evt-replay", T);
    assert!(!inbox.requeue(id, T).unwrap(), "pending: nothing to replay");
    let job = inbox.lease_one(id, "w", T - 10_000, LEASE).unwrap().expect("lease_one ignores the due time");
    assert_eq!(job.attempt, 1);
    assert!(!inbox.requeue(id, T).unwrap(), "leased: not requeued");
    assert!(inbox.finish_attempt(id, "w", 1, T + 1, Outcome::Done).unwrap());
    assert!(inbox.requeue(id, T + 100).unwrap());
    assert_eq!(state(inbox, id), State::Pending);
    let h = headers();
    assert_eq!(inbox.enqueue(&event(&h, b"{}", "evt-replay", T + 101), "|github|evt-replay").unwrap(), Enqueued::Duplicate(id, State::Pending));
    let job = inbox.lease_one(id, "operator", T + 200, LEASE).unwrap().expect("leased for the replay");
    assert_eq!(job.attempt, 2, "a new attempt");
    assert!(inbox.finish_attempt(id, "operator", 2, T + 300, Outcome::Done).unwrap());
    assert_eq!(inbox.show(&id.to_string()).unwrap().unwrap().summary.attempts, 2);
    // A rejected delivery is not an event to replay; an unknown id is not either.
    let rejected = Arrival { verdict: "no_matching_signature", status: 401, state: State::Rejected, event_id: None, ..event(&h, b"x", "", T) };
    let rid = inbox.record(&rejected).unwrap();
    assert!(!inbox.requeue(rid, T).unwrap());
    assert!(inbox.lease_one(rid, "w", T, LEASE).unwrap().is_none());
    assert!(!inbox.requeue(987_654_321, T).unwrap());
}
