//! The SQLite inbox's fast path (issue 21, item 7): an accepted event enqueued already leased to
//! the receiving process (`enqueue_leased`), and the deferred calls a receiver awaits instead of
//! parking a blocking thread (`*_later`, answered by the group-commit writer). Each behaves as the
//! plain call it stands for: the same rows, the same fencing, the same crash recovery.
#![cfg(feature = "inbox-sqlite")]

#[path = "support/inbox_contract.rs"]
mod contract;

use contract::{event, headers, LEASE, T};
use hookverify::inbox::{Enqueued, Inbox, Outcome, State};

#[path = "support/inbox_dir.rs"]
mod inbox_dir;

use inbox_dir::InboxDir;

fn state(inbox: &dyn Inbox, id: i64) -> State {
    inbox.show(&id.to_string()).unwrap().expect("the record").summary.state
}

#[test]
fn an_event_enqueued_leased_is_held_by_its_receiver_and_finished_by_it_alone() {
    let dir = InboxDir::new("leased", "held");
    let inbox = dir.open();
    let h = headers();
    let (enqueued, attempt) = inbox.enqueue_leased(&event(&h, b"{}", "evt-1", T), "|github|evt-1", "receiver", LEASE).unwrap();
    let Enqueued::New(id) = enqueued else { panic!("expected a new record, got {enqueued:?}") };
    assert_eq!(attempt, Some(1));
    // Pending, its attempt 1 started at arrival, and nobody else can lease it while the lease runs.
    let record = inbox.show(&id.to_string()).unwrap().unwrap();
    assert_eq!(record.summary.state, State::Pending);
    assert_eq!(record.attempts.len(), 1);
    assert_eq!((record.attempts[0].number, record.attempts[0].started_at_ms, record.attempts[0].ended_at_ms), (1, T, None));
    assert!(inbox.lease_due("other", T + LEASE - 1, LEASE, 10).unwrap().is_empty());
    assert!(inbox.lease_one(id, "other", T + 1, LEASE).unwrap().is_none());
    // Fenced like any lease: another worker's finish is dropped, the owner's is kept.
    assert!(!inbox.finish_attempt(id, "other", 1, T + 5, Outcome::Done).unwrap());
    assert_eq!(state(&inbox, id), State::Pending);
    assert!(inbox.finish_attempt(id, "receiver", 1, T + 5, Outcome::Done).unwrap());
    assert_eq!(state(&inbox, id), State::Done);
    // A copy is a duplicate of it, and is not leased.
    let again = inbox.enqueue_leased(&event(&h, b"{}", "evt-1", T + 9), "|github|evt-1", "receiver", LEASE).unwrap();
    assert_eq!(again, (Enqueued::Duplicate(id, State::Done), None));
}

#[test]
fn a_receiver_that_died_holding_the_lease_leaves_the_event_to_the_next_worker_after_it() {
    let dir = InboxDir::new("leased", "crash");
    let (dead, alive) = (dir.open(), dir.open());
    let h = headers();
    let (Enqueued::New(id), Some(1)) = dead.enqueue_leased(&event(&h, b"{\"n\":1}", "evt-2", T), "|github|evt-2", "dead", LEASE).unwrap()
    else {
        panic!("expected a new leased record")
    };
    drop(dead);
    assert!(alive.lease_due("alive", T + LEASE - 1, LEASE, 10).unwrap().is_empty());
    let jobs = alive.lease_due("alive", T + LEASE, LEASE, 10).unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].id, jobs[0].attempt, jobs[0].body.as_slice()), (id, 2, &b"{\"n\":1}"[..]));
    assert!(alive.finish_attempt(id, "alive", 2, T + LEASE + 1, Outcome::Done).unwrap());
    let record = alive.show(&id.to_string()).unwrap().unwrap();
    // The dead receiver's attempt stays on record, never ended.
    assert_eq!(record.attempts.iter().map(|a| (a.number, a.ended_at_ms.is_some())).collect::<Vec<_>>(), [(1, false), (2, true)]);
    assert_eq!(record.summary.state, State::Done);
}

#[tokio::test]
async fn deferred_calls_are_answered_by_the_writer_as_the_blocking_ones_are() {
    let dir = InboxDir::new("leased", "later");
    let inbox = dir.open();
    let h = headers();
    let first = inbox.enqueue_later(&event(&h, b"{}", "evt-3", T), "|github|evt-3").expect("SQLite defers").await.unwrap();
    let Enqueued::New(id) = first else { panic!("expected a new record, got {first:?}") };
    let dup = inbox.enqueue_later(&event(&h, b"{}", "evt-3", T + 1), "|github|evt-3").unwrap().await.unwrap();
    assert_eq!(dup, Enqueued::Duplicate(id, State::Pending));
    let jobs = inbox.lease_due_later("w", T, LEASE, 10).unwrap().await.unwrap();
    assert_eq!(jobs.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(), [(id, 1)]);
    let retry = Outcome::Retry { at_ms: T + 1_000, error: "exit status 1" };
    assert!(inbox.finish_attempt_later(id, "w", 1, T + 10, retry).unwrap().await.unwrap());
    assert!(!inbox.finish_attempt_later(id, "w", 1, T + 11, Outcome::Done).unwrap().await.unwrap(), "fenced: the lease ended");
    let record = inbox.show(&id.to_string()).unwrap().unwrap();
    assert_eq!(record.summary.state, State::Pending);
    assert_eq!(record.attempts[0].error.as_deref(), Some("exit status 1"));
    // A leased enqueue and a record, deferred.
    let (leased, attempt) = inbox.enqueue_leased_later(&event(&h, b"{}", "evt-4", T), "|github|evt-4", "w", LEASE).unwrap().await.unwrap();
    assert!(matches!(leased, Enqueued::New(_)));
    assert_eq!(attempt, Some(1));
    let mut refused = event(&h, b"{}", "evt-5", T);
    refused.verdict = "no_matching_signature";
    refused.status = 401;
    refused.state = State::Rejected;
    let rid = inbox.record_later(&refused).unwrap().await.unwrap();
    assert_eq!(state(&inbox, rid), State::Rejected);
}

#[test]
fn one_failing_write_in_a_group_does_not_undo_the_others() {
    // Many threads write at once, so the writer commits them in groups; every other call
    // records an attempt twice, which the second time breaks the attempts' primary key.
    let dir = InboxDir::new("leased", "group");
    let inbox = std::sync::Arc::new(dir.open());
    let h = headers();
    let ids: Vec<i64> = (0..40)
        .map(|i| match inbox.enqueue(&event(&h, b"{}", &format!("g{i}"), T), &format!("|github|g{i}")).unwrap() {
            Enqueued::New(id) => id,
            other => panic!("{other:?}"),
        })
        .collect();
    let threads: Vec<_> = ids
        .iter()
        .map(|&id| {
            let inbox = inbox.clone();
            std::thread::spawn(move || {
                inbox.attempt_started(id, 1, T).unwrap();
                if id % 2 == 0 {
                    let again = inbox.attempt_started(id, 1, T).unwrap_err();
                    assert_eq!(again.code().as_str(), "invalid_argument");
                }
                inbox.attempt_ended(id, 1, T + 1, None).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for id in ids {
        let record = inbox.show(&id.to_string()).unwrap().unwrap();
        assert_eq!(record.attempts.len(), 1, "record {id}");
        assert_eq!(record.summary.state, State::Done, "record {id}");
    }
}

#[test]
fn a_deferred_write_whose_answer_is_dropped_unawaited_is_still_committed() {
    // A request cancelled while its enqueue waited in the queue: the write still lands.
    let dir = InboxDir::new("leased", "dropped");
    let inbox = dir.open();
    let h = headers();
    drop(inbox.enqueue_later(&event(&h, b"{}", "evt-6", T), "|github|evt-6").unwrap());
    let record = inbox.show("evt-6").unwrap().expect("committed when its answer was dropped");
    assert_eq!(record.summary.state, State::Pending);
}

#[test]
fn writers_on_threads_and_tasks_at_once_are_all_answered_once_each() {
    // Blocking callers on four threads and 400 async tasks on a two-thread runtime share the
    // group-commit queue: whoever leads commits the others' writes; none is left unanswered and
    // dedup holds across them (every key sent twice, each once new).
    let dir = InboxDir::new("leased", "mixed");
    let inbox = std::sync::Arc::new(dir.open());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (inbox, done) = (inbox.clone(), done_tx.clone());
            std::thread::spawn(move || {
                let h = headers();
                for i in 0..100 {
                    let key = format!("m{}", (t * 100 + i) % 200);
                    done.send(inbox.enqueue(&event(&h, b"{}", &key, T), &format!("|github|{key}")).unwrap()).unwrap();
                }
            })
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let (inbox, done) = (inbox.clone(), done_tx.clone());
            runtime.spawn(async move {
                let h = headers();
                let key = format!("m{}", 200 + i % 200);
                let answer = inbox.enqueue_later(&event(&h, b"{}", &key, T), &format!("|github|{key}")).unwrap();
                done.send(answer.await.unwrap()).unwrap();
            })
        })
        .collect();
    drop(done_tx);
    let mut answers = Vec::new();
    while answers.len() < 800 {
        answers.push(done_rx.recv_timeout(std::time::Duration::from_secs(30)).expect("every write answered"));
    }
    for t in threads {
        t.join().unwrap();
    }
    runtime.block_on(async {
        for t in tasks {
            t.await.unwrap();
        }
    });
    let new = answers.iter().filter(|a| matches!(a, Enqueued::New(_))).count();
    assert_eq!(new, 400, "each of the 400 keys new once, duplicate once");
    assert_eq!(inbox.list(&hookverify::inbox::Filter::new().limit(1000)).unwrap().len(), 400);
}

/// The writer checkpoints the WAL itself (its WAL hook replaces SQLite's auto-checkpoint, so that
/// the copy runs on the handoff thread): deliveries written well past a thousand WAL frames leave
/// a WAL of about that size, not one holding every frame, and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_checkpoints_the_wal_as_it_grows() {
    let dir = InboxDir::new("leased", "checkpoint");
    let inbox = std::sync::Arc::new(dir.open());
    let h = headers();
    let body = vec![b'x'; 3000]; // a page of its own per delivery: past 4,000 frames in all
    for round in 0..50 {
        let tasks: Vec<_> = (0..80)
            .map(|i| {
                let (inbox, h, body) = (inbox.clone(), h.clone(), body.clone());
                tokio::spawn(async move {
                    let id = format!("c-{round}-{i}");
                    let answer = inbox.record_later(&event(&h, &body, &id, T)).unwrap();
                    answer.await.unwrap()
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }
    let wal = std::fs::metadata(dir.0.join("inbox.db-wal")).unwrap().len();
    // A WAL that every frame went into would be past 16 MB; checkpointed, about 1,000 frames.
    assert!(wal < 8 << 20, "the WAL is {wal} bytes: it was not checkpointed");
    assert_eq!(inbox.list(&hookverify::inbox::Filter::new().limit(10_000)).unwrap().len(), 4_000);
}
