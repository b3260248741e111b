//! [`SqliteInbox`]: the inbox in one SQLite file (WAL, `synchronous=NORMAL`), through rusqlite
//! with its bundled library.
//!
//! Every write ([`Inbox::record`], [`Inbox::enqueue`], leases, finishes, purges) goes through one
//! group-commit queue: the writes queued while the previous transaction committed are written in
//! one transaction by whichever caller leads the queue (see `Writer`; one failing write does not
//! undo the others: see `commit_group`), and each call returns only after that
//! transaction committed — so an event is never acknowledged before it is in the WAL, and a
//! process crash loses none that was (WAL with `synchronous=NORMAL` keeps every committed
//! transaction through a process crash; only an OS crash or power loss can roll back the last
//! ones). Dedup holds inside a group: each enqueue sees the rows the ones before it in the same
//! transaction wrote.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{Answer, Arrival, Attempt, Enqueued, Filter, Inbox, InboxOptions, Job, Outcome, Record, State, Summary, DEFAULT_LIST_LIMIT};
use crate::error::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at_ms INTEGER NOT NULL,
    provider TEXT,
    path TEXT NOT NULL,
    query TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    body_size INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    status INTEGER NOT NULL,
    event_id TEXT,
    event_type TEXT,
    state TEXT NOT NULL,
    kept_bytes INTEGER NOT NULL,
    dedup_key TEXT,
    next_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0
);
-- Every index a row enters costs a page written per group commit, so there are only partial
-- ones: a delivery that is only recorded (refused, or an event no function takes) has no dedup
-- key, often no event id, and is never pending or failed. Nothing indexes the received time or
-- every state: purges go in id (arrival) order, and a list by a common state reads ids newest
-- first until it has its page.
CREATE UNIQUE INDEX IF NOT EXISTS deliveries_dedup_key ON deliveries (dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_event_id ON deliveries (event_id, id) WHERE event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_failed ON deliveries (id) WHERE state = 'failed';
CREATE TABLE IF NOT EXISTS attempts (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    ok INTEGER,
    error TEXT,
    PRIMARY KEY (delivery_id, number)
);
";

/// The columns the durable inbox added to `deliveries` (issue 21, part 2): a file written by an
/// earlier version gains them when it is opened.
const DURABLE_COLUMNS: &[(&str, &str)] = &[
    ("dedup_key", "TEXT"),
    ("next_at", "INTEGER"),
    ("lease_owner", "TEXT"),
    ("lease_until", "INTEGER NOT NULL DEFAULT 0"),
    ("attempt", "INTEGER NOT NULL DEFAULT 0"),
];

/// Adds the [`DURABLE_COLUMNS`] an existing `deliveries` table lacks (before [`SCHEMA`] indexes
/// them), and drops the indexes [`SCHEMA`] no longer has.
fn migrate(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('deliveries')").map_err(|e| failed("migrate", e))?;
    let have = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| failed("migrate", e))?;
    if have.is_empty() {
        return Ok(()); // a new file: SCHEMA creates the table whole
    }
    for (name, decl) in DURABLE_COLUMNS {
        if !have.iter().any(|h| h == name) {
            conn.execute_batch(&format!("ALTER TABLE deliveries ADD COLUMN {name} {decl}")).map_err(|e| failed("migrate", e))?;
        }
    }
    // The full indexes that SCHEMA's partial ones replace, and the two that only cost writes (the
    // received time's: purges go in id order; every state's: lists never used it).
    conn.execute_batch(
        "DROP INDEX IF EXISTS deliveries_dedup; DROP INDEX IF EXISTS deliveries_due; DROP INDEX IF EXISTS deliveries_event; \
         DROP INDEX IF EXISTS deliveries_received; DROP INDEX IF EXISTS deliveries_state;",
    )
    .map_err(|e| failed("migrate", e))
}

/// Connections an [`SqliteInbox`] keeps open.
const CONNECTIONS: usize = 4;

/// The most writes the group-commit writer puts in one transaction.
const MAX_GROUP: usize = 256;

/// The inbox in an SQLite file. Opening creates the file and its tables when missing.
pub struct SqliteInbox {
    /// A few connections: a slow call (one waiting on another process's write lock) does not
    /// hold up the others (a delivery's commit behind a worker's lease, say).
    conns: Vec<Mutex<Connection>>,
    next: std::sync::atomic::AtomicUsize,
    options: InboxOptions,
    /// The group-commit writer every write goes through.
    writer: std::sync::Arc<Writer>,
    handoff: Option<std::thread::JoinHandle<()>>,
}

/// A delivery row as the writer inserts it (owned: it may be written by another thread).
struct Row {
    received_at_ms: i64,
    provider: Option<String>,
    path: String,
    query: Option<String>,
    headers: String,
    body: Vec<u8>,
    body_size: i64,
    verdict: String,
    status: u16,
    event_id: Option<String>,
    event_type: Option<String>,
    state: State,
    kept_bytes: i64,
    /// Set for an enqueued event: `Pending`, due at once, unique on it.
    dedup_key: Option<String>,
    /// For an enqueued event run at once by its receiver: the lease owner and its end (unix ms);
    /// the record is then written leased, with its attempt 1 started at `received_at_ms`.
    lease: Option<(String, i64)>,
}

/// One write for the writer: it runs in its group's transaction (again, in its own savepoint,
/// when a write of the group failed: see `commit_group`), and its caller is answered once that
/// transaction ended.
trait Write: Send {
    /// Runs the write (each run replaces the last one's result); whether it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: the write's result once its group committed, else the commit's error
    /// (then nothing of the group was written).
    fn answer(self: Box<Self>, committed: Result<()>);
}

/// A [`Write`] from a closure, and the channel its caller waits on.
struct Call<R, F> {
    f: F,
    result: Option<Result<R>>,
    reply: Reply<R>,
}

/// Where a write's answer goes: a thread blocked on it, or a future.
enum Reply<R> {
    Blocking(mpsc::SyncSender<Result<R>>),
    Later(futures_channel::oneshot::Sender<Result<R>>),
}

impl<R: Send, F: FnMut(&Connection) -> Result<R> + Send> Write for Call<R, F> {
    fn run(&mut self, conn: &Connection) -> bool {
        let result = (self.f)(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, committed: Result<()>) {
        let Call { result, reply, .. } = *self;
        let result =
            committed.and_then(|()| result.unwrap_or_else(|| Err(Error::InboxUnavailable { reason: "inbox: a write did not run".into() })));
        // A caller that went away needs no answer.
        match reply {
            Reply::Blocking(tx) => drop(tx.send(result)),
            Reply::Later(tx) => drop(tx.send(result)),
        }
    }
}

/// The group-commit queue and its leader. A write is queued; the caller that finds no leader
/// becomes it and commits groups (whatever was queued meanwhile) until the queue is empty, on its
/// own thread: no handoff to another thread, so on a busy core no context switch per group. A
/// leader that spent [`LEAD_BUDGET`] hands what is left to the handoff thread, so one caller does
/// not commit others' writes for long; a WAL checkpoint due is always the handoff thread's.
struct Writer {
    queue: Mutex<Queue>,
    /// The writer's connection: locked only by the leader (so never waited on).
    conn: Mutex<Connection>,
    /// Wakes the handoff thread, which then leads until the queue is empty.
    handoff: Mutex<Option<mpsc::Sender<()>>>,
    /// The WAL's frames after the writer's last commit (its WAL hook sets it): at
    /// [`CHECKPOINT_PAGES`], the leader checkpoints before the next group.
    wal_pages: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

/// The WAL size (frames) past which the writer copies it back into the database: SQLite's own
/// auto-checkpoint size, which the writer's WAL hook replaces (so that the copy and its fsync
/// run on the handoff thread, not in a request).
const CHECKPOINT_PAGES: u32 = 1000;

struct Queue {
    writes: Vec<Box<dyn Write>>,
    /// Whether a leader (a caller or the handoff thread) is committing: it will take what is queued.
    leading: bool,
}

/// How long a caller leads before it hands the queue to the handoff thread.
const LEAD_BUDGET: Duration = Duration::from_millis(2);

impl Writer {
    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        // Nothing in the queue is left half-changed by a panic: keep using it.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `w`; with `now`, when no one leads, the caller leads until the queue is empty
    /// (else an [`Answer`] leads later). Either way `w` is answered through its reply, once its
    /// group committed.
    fn submit(&self, w: Box<dyn Write>, now: bool) {
        self.queue().writes.push(w);
        if now {
            self.lead_if_free();
        }
    }

    /// Leads unless someone is leading (or nothing is queued).
    fn lead_if_free(&self) {
        {
            let mut q = self.queue();
            if q.leading || q.writes.is_empty() {
                return;
            }
            q.leading = true;
        }
        self.lead(Some(LEAD_BUDGET));
    }

    /// Commits the queued writes group by group, answering each, until the queue is empty (then
    /// gives up leading) or `budget` is spent (then the handoff thread leads on).
    fn lead(&self, budget: Option<Duration>) {
        // A panic while leading (a bug) must not leave the queue led by no one.
        struct Abdicate<'a>(&'a Writer);
        impl Drop for Abdicate<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.queue().leading = false;
                }
            }
        }
        let _guard = Abdicate(self);
        let started = std::time::Instant::now();
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut group: Vec<Box<dyn Write>> = Vec::new();
        loop {
            if self.wal_pages.load(std::sync::atomic::Ordering::Relaxed) >= CHECKPOINT_PAGES {
                // Copying the WAL back (and its fsync) is no request's to wait on: a caller hands
                // it, and the queue, to the handoff thread. The leader holds the connection, so no
                // write lands meanwhile: the whole WAL is copied and the next commit restarts it.
                if budget.is_some() && self.hand_off() {
                    return;
                }
                // PASSIVE, as SQLite's auto-checkpoint: what another process's open read keeps is
                // copied by a later one.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                self.wal_pages.store(0, std::sync::atomic::Ordering::Relaxed);
            }
            {
                let mut q = self.queue();
                if q.writes.is_empty() {
                    q.leading = false;
                    return;
                }
                if budget.is_some_and(|b| started.elapsed() >= b) && self.hand_off() {
                    return; // still `leading`: the handoff thread takes it on
                }
                let n = q.writes.len().min(MAX_GROUP);
                group.extend(q.writes.drain(..n));
            }
            let committed = commit_group(&mut conn, &mut group);
            for w in group.drain(..) {
                w.answer(committed.as_ref().map(|_| ()).map_err(|e| failed("commit", clone_error(e))));
            }
        }
    }

    /// Wakes the handoff thread to lead on; false when it is gone (the caller then leads on).
    fn hand_off(&self) -> bool {
        let handoff = self.handoff.lock().unwrap_or_else(|p| p.into_inner());
        handoff.as_ref().is_some_and(|tx| tx.send(()).is_ok())
    }
}

impl super::Lead for Writer {
    fn lead(&self) {
        self.lead_if_free();
    }
}

/// The handoff thread: leads whenever a caller hands it the queue, until its sender is dropped.
fn handoff_loop(writer: std::sync::Arc<Writer>, wakes: mpsc::Receiver<()>) {
    while wakes.recv().is_ok() {
        writer.lead(None);
    }
}

/// Runs `group` in one transaction; the transaction's error when it could not begin or commit.
/// Writes rarely fail, so the group first runs without savepoints; when a write failed, that
/// transaction is rolled back and the group runs again with each write in its own savepoint, so
/// that the failing one does not undo the others (a write may be several statements).
fn commit_group(conn: &mut Connection, group: &mut [Box<dyn Write>]) -> std::result::Result<(), rusqlite::Error> {
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if group.iter_mut().all(|w| w.run(&tx)) {
            return tx.commit();
        }
        // Dropped: rolled back.
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Prepared once per connection (rusqlite's `Savepoint` parses its statement every time).
    let run = |sql: &str| tx.prepare_cached(sql).and_then(|mut stmt| stmt.execute([])).map(drop);
    for w in group.iter_mut() {
        run("SAVEPOINT write")?;
        if !w.run(&tx) {
            run("ROLLBACK TO write")?;
        }
        run("RELEASE write")?;
    }
    tx.commit()
}

/// The same error again (one failed commit answers every write of its group).
fn clone_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => rusqlite::Error::SqliteFailure(*code, msg.clone()),
        other => rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR), Some(other.to_string())),
    }
}

/// Writes one row inside the writer's transaction: an enqueue whose key exists writes nothing
/// and answers `Duplicate`; otherwise the row is inserted and the answer is `New(id)`.
fn write_row(conn: &Connection, r: &Row) -> Result<Enqueued> {
    if let Some(key) = &r.dedup_key {
        let existing: Option<(i64, String)> = conn
            .prepare_cached("SELECT id, state FROM deliveries WHERE dedup_key = ?1")
            .and_then(|mut stmt| stmt.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| failed("enqueue", e))?;
        if let Some((id, state)) = existing {
            return Ok(Enqueued::Duplicate(id, State::from_name(&state).unwrap_or(State::Pending)));
        }
    }
    let (state, next_at) = match r.dedup_key {
        Some(_) => (State::Pending, Some(r.received_at_ms)),
        None => (r.state, None),
    };
    let (lease_owner, lease_until, attempt) = match &r.lease {
        Some((owner, until)) => (Some(owner.as_str()), *until, 1),
        None => (None, 0, 0),
    };
    let what = if r.dedup_key.is_some() { "enqueue" } else { "record" };
    conn.prepare_cached(
        "INSERT INTO deliveries (received_at_ms, provider, path, query, headers, body, body_size, verdict, status, event_id, \
         event_type, state, kept_bytes, dedup_key, next_at, lease_owner, lease_until, attempt) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            r.received_at_ms,
            r.provider,
            r.path,
            r.query,
            r.headers,
            r.body,
            r.body_size,
            r.verdict,
            r.status,
            r.event_id,
            r.event_type,
            state.as_str(),
            r.kept_bytes,
            r.dedup_key,
            next_at,
            lease_owner,
            lease_until,
            attempt
        ])
    })
    .map_err(|e| failed(what, e))?;
    let id = conn.last_insert_rowid();
    if r.lease.is_some() {
        conn.prepare_cached("INSERT INTO attempts (delivery_id, number, started_at_ms) VALUES (?1, 1, ?2)")
            .and_then(|mut stmt| stmt.execute(params![id, r.received_at_ms]))
            .map_err(|e| failed(what, e))?;
    }
    Ok(Enqueued::New(id))
}

impl Drop for SqliteInbox {
    fn drop(&mut self) {
        // Dropping its sender stops the handoff thread once it led what it was handed.
        drop(self.writer.handoff.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(thread) = self.handoff.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for SqliteInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteInbox").field("options", &self.options).finish_non_exhaustive()
    }
}

/// A constraint the call broke (an attempt number recorded twice, a record that does not exist) is
/// `invalid_argument`, as in the PostgreSQL inbox; anything else (I/O, a locked or corrupt file)
/// is `inbox_unavailable`.
fn failed(what: &str, e: rusqlite::Error) -> Error {
    let reason = format!("inbox: {what}: {e}");
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => Error::InvalidArgument { reason },
        _ => Error::InboxUnavailable { reason },
    }
}

impl SqliteInbox {
    /// Opens (or creates) the inbox at `path` with the default [`InboxOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteInbox> {
        SqliteInbox::open_with(path, InboxOptions::default())
    }

    /// Opens (or creates) the inbox at `path` with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: InboxOptions) -> Result<SqliteInbox> {
        let path = path.as_ref();
        let mut conns = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            conns.push(Mutex::new(SqliteInbox::connect(path)?));
        }
        let (tx, rx) = mpsc::channel();
        let mut conn = SqliteInbox::connect(path)?;
        let wal_pages = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let pages = wal_pages.clone();
        // Replaces SQLite's auto-checkpoint on this connection (see `Writer::lead`).
        conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, frames: std::ffi::c_int| {
            pages.store(u32::try_from(frames).unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }))
        .map_err(|e| failed("wal_hook", e))?;
        let writer = std::sync::Arc::new(Writer {
            queue: Mutex::new(Queue { writes: Vec::with_capacity(MAX_GROUP), leading: false }),
            conn: Mutex::new(conn),
            handoff: Mutex::new(Some(tx)),
            wal_pages,
        });
        let led = writer.clone();
        let handoff = std::thread::Builder::new()
            .name("hookverify-inbox-handoff".into())
            .spawn(move || handoff_loop(led, rx))
            .map_err(|e| Error::InboxUnavailable { reason: format!("inbox: starting the handoff thread: {e}") })?;
        Ok(SqliteInbox { conns, next: std::sync::atomic::AtomicUsize::new(0), options, writer, handoff: Some(handoff) })
    }

    /// Runs `f` on the writer's connection in the next group's transaction (twice when a write of
    /// the group failed: see `commit_group`), and waits until that transaction committed: its
    /// result then.
    fn submit<R: Send + 'static>(&self, f: impl FnMut(&Connection) -> Result<R> + Send + 'static) -> Result<R> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.writer.submit(Box::new(Call { f, result: None, reply: Reply::Blocking(reply) }), true);
        answer.recv().map_err(|_| super::writer_gone())?
    }

    /// [`submit`](SqliteInbox::submit) without waiting: the answer comes through the receiver.
    fn submit_later<R: Send + 'static>(&self, f: impl FnMut(&Connection) -> Result<R> + Send + 'static) -> Answer<R> {
        let (reply, answer) = futures_channel::oneshot::channel();
        self.writer.submit(Box::new(Call { f, result: None, reply: Reply::Later(reply) }), false);
        Answer::queued(answer, self.writer.clone())
    }

    /// The row `a` is stored as (enqueued when `dedup_key` is set).
    fn row(&self, a: &Arrival<'_>, dedup_key: Option<&str>) -> Result<Row> {
        let s = super::Stored::new(a, &self.options)?;
        Ok(Row {
            received_at_ms: a.received_at_ms,
            provider: a.provider.map(str::to_owned),
            path: a.path.to_owned(),
            query: a.query.map(str::to_owned),
            headers: s.headers,
            body: s.body.to_vec(),
            body_size: s.body_size,
            verdict: a.verdict.to_owned(),
            status: a.status,
            event_id: a.event_id.map(str::to_owned),
            event_type: a.event_type.map(str::to_owned),
            state: a.state,
            kept_bytes: s.kept_bytes,
            dedup_key: dedup_key.map(str::to_owned),
            lease: None,
        })
    }

    /// The row of an event enqueued leased to `worker` (see [`Inbox::enqueue_leased`]).
    fn leased_row(&self, a: &Arrival<'_>, dedup_key: &str, worker: &str, lease_ms: i64) -> Result<Row> {
        let mut row = self.row(a, Some(dedup_key))?;
        row.lease = Some((worker.to_owned(), a.received_at_ms.saturating_add(lease_ms)));
        Ok(row)
    }

    /// An answer that is already there (a call refused before it reached the writer).
    fn answered<R: Send + 'static>(result: Result<R>) -> Answer<R> {
        let (reply, answer) = futures_channel::oneshot::channel();
        let _ = reply.send(result);
        Answer::new(answer)
    }

    /// One connection to the file, its schema set up.
    fn connect(path: &Path) -> Result<Connection> {
        let mut conn = Connection::open(path).map_err(|e| failed("open", e))?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(|e| failed("busy_timeout", e))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|e| failed("pragma", e))?;
        // One writer at a time sets the schema up (two processes opening a new file at once).
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| failed("schema", e))?;
        migrate(&tx)?;
        tx.execute_batch(SCHEMA).map_err(|e| failed("schema", e))?;
        tx.commit().map_err(|e| failed("schema", e))?;
        Ok(conn)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every write is one statement
        // or one transaction): keep using the connection.
        for conn in &self.conns {
            match conn.try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.conns.len();
        self.conns[i].lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<Summary> {
    let state: String = row.get("state")?;
    Ok(Summary {
        id: row.get("id")?,
        received_at_ms: row.get("received_at_ms")?,
        provider: row.get("provider")?,
        path: row.get("path")?,
        verdict: row.get("verdict")?,
        status: row.get("status")?,
        event_id: row.get("event_id")?,
        event_type: row.get("event_type")?,
        state: State::from_name(&state).unwrap_or(State::Pending),
        attempts: row.get("attempts")?,
    })
}

const SUMMARY_COLUMNS: &str = "id, received_at_ms, provider, path, verdict, status, event_id, event_type, state, \
     (SELECT COUNT(*) FROM attempts a WHERE a.delivery_id = deliveries.id) AS attempts";

impl Inbox for SqliteInbox {
    fn record(&self, a: &Arrival<'_>) -> Result<i64> {
        let row = self.row(a, None)?;
        self.submit(move |conn| record_op(conn, &row))
    }

    fn attempt_started(&self, id: i64, number: u32, at_ms: i64) -> Result<()> {
        self.submit(move |conn| {
            conn.execute("INSERT INTO attempts (delivery_id, number, started_at_ms) VALUES (?1, ?2, ?3)", params![id, number, at_ms])
                .map_err(|e| failed("attempt_started", e))?;
            Ok(())
        })
    }

    fn attempt_ended(&self, id: i64, number: u32, at_ms: i64, error: Option<&str>) -> Result<()> {
        let error = error.map(str::to_owned);
        self.submit(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE attempts SET ended_at_ms = ?3, ok = ?4, error = ?5 WHERE delivery_id = ?1 AND number = ?2",
                    params![id, number, at_ms, error.is_none(), error],
                )
                .map_err(|e| failed("attempt_ended", e))?;
            if changed == 0 {
                return Err(Error::InvalidArgument { reason: format!("inbox: record {id} has no attempt {number} started") });
            }
            let state = if error.is_none() { State::Done } else { State::Failed };
            conn.execute("UPDATE deliveries SET state = ?2 WHERE id = ?1", params![id, state.as_str()])
                .map_err(|e| failed("attempt_ended", e))?;
            Ok(())
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Summary>> {
        // The state inline (one of State's names, never the caller's text), so that the partial
        // index of a state that has one is read: failed rows in id order; pending ones (few, but
        // old ones may sit behind every later row) sorted.
        let state = filter.state.map_or_else(String::new, |s| format!("state = '{}' AND ", s.as_str()));
        let hint = if filter.state == Some(State::Pending) { "INDEXED BY deliveries_pending" } else { "" };
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM deliveries {hint} WHERE {state}(?1 IS NULL OR provider = ?1) ORDER BY id DESC LIMIT ?2"
            ))
            .map_err(|e| failed("list", e))?;
        let rows =
            stmt.query_map(params![filter.provider, filter.limit.unwrap_or(DEFAULT_LIST_LIMIT)], summary).map_err(|e| failed("list", e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| failed("list", e))
    }

    fn show(&self, id_or_event_id: &str) -> Result<Option<Record>> {
        let conn = self.conn();
        match resolve(&conn, id_or_event_id)? {
            Some(id) => load(&conn, id).map(Some),
            None => Ok(None),
        }
    }

    fn purge(&self, now_ms: i64) -> Result<u64> {
        let (cutoff, cap) = super::purge_limits(now_ms, &self.options);
        // Past the retention, in id (arrival) order: every record before the first one received
        // since the cutoff (found by reading the old rows, as deleting them does; no index on the
        // received time to write per delivery).
        let mut removed = self.submit(move |conn| {
            let keep_from: Option<i64> = conn
                .query_row("SELECT id FROM deliveries WHERE received_at_ms >= ?1 ORDER BY id LIMIT 1", params![cutoff], |r| r.get(0))
                .optional()
                .map_err(|e| failed("purge", e))?;
            conn.execute(concat!("DELETE FROM deliveries WHERE id < ?1 AND ", purgeable!()), params![keep_from.unwrap_or(i64::MAX)])
                .map_err(|e| failed("purge", e))
        })? as u64;
        // Over the size cap: the oldest records that may go, up to the one that brings the kept
        // bytes under it. Summing reads the whole table, so it runs on a reading connection (the
        // writer's group commits go on meanwhile); the writer then deletes up to that id.
        let last: Option<i64> = {
            let conn = self.conn();
            let total: i64 =
                conn.query_row("SELECT COALESCE(SUM(kept_bytes), 0) FROM deliveries", [], |r| r.get(0)).map_err(|e| failed("purge", e))?;
            if total <= cap {
                None
            } else {
                conn.query_row(
                    concat!(
                        "SELECT MAX(id) FROM (SELECT id, kept_bytes, SUM(kept_bytes) OVER (ORDER BY id) AS upto FROM deliveries WHERE ",
                        purgeable!(),
                        ") WHERE upto - kept_bytes < ?1"
                    ),
                    params![total - cap],
                    |r| r.get(0),
                )
                .map_err(|e| failed("purge", e))?
            }
        };
        if let Some(last) = last {
            // A record that finished meanwhile (pending then, done now) may go with them.
            removed += self.submit(move |conn| {
                conn.execute(concat!("DELETE FROM deliveries WHERE id <= ?1 AND ", purgeable!()), params![last])
                    .map_err(|e| failed("purge", e))
            })? as u64;
        }
        Ok(removed)
    }

    fn enqueue(&self, arrival: &Arrival<'_>, dedup_key: &str) -> Result<Enqueued> {
        let row = self.row(arrival, Some(dedup_key))?;
        self.submit(move |conn| write_row(conn, &row))
    }

    fn enqueue_leased(&self, a: &Arrival<'_>, dedup_key: &str, worker: &str, lease_ms: i64) -> Result<(Enqueued, Option<u32>)> {
        let row = self.leased_row(a, dedup_key, worker, lease_ms)?;
        self.submit(move |conn| leased_op(conn, &row))
    }

    fn lease_due(&self, worker: &str, now_ms: i64, lease_ms: i64, max: u32) -> Result<Vec<Job>> {
        let worker = worker.to_owned();
        self.submit(move |conn| lease_due_op(conn, &worker, now_ms, lease_ms, max))
    }

    fn lease_one(&self, id: i64, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Option<Job>> {
        let worker = worker.to_owned();
        self.submit(move |conn| {
            let free = conn
                .query_row(
                    "SELECT id FROM deliveries WHERE id = ?1 AND state = 'pending' AND next_at IS NOT NULL AND lease_until <= ?2",
                    params![id, now_ms],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .map_err(|e| failed("lease_one", e))?;
            free.map(|id| lease(conn, id, &worker, now_ms, lease_ms)).transpose()
        })
    }

    fn renew_lease(&self, id: i64, worker: &str, attempt: u32, until_ms: i64) -> Result<bool> {
        let worker = worker.to_owned();
        self.submit(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE deliveries SET lease_until = ?4 WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'pending'",
                )
                .and_then(|mut stmt| stmt.execute(params![id, worker, attempt, until_ms]))
                .map_err(|e| failed("renew_lease", e))?;
            Ok(changed == 1)
        })
    }

    fn finish_attempt(&self, id: i64, worker: &str, attempt: u32, now_ms: i64, outcome: Outcome<'_>) -> Result<bool> {
        self.submit(finish_op(id, worker, attempt, now_ms, outcome))
    }

    fn requeue(&self, id: i64, now_ms: i64) -> Result<bool> {
        self.submit(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE deliveries SET state = 'pending', next_at = ?2, lease_owner = NULL, lease_until = 0 \
                     WHERE id = ?1 AND verdict = 'accepted' AND state IN ('done', 'failed') AND lease_owner IS NULL",
                    params![id, now_ms],
                )
                .map_err(|e| failed("requeue", e))?;
            Ok(changed == 1)
        })
    }

    fn record_later(&self, a: &Arrival<'_>) -> Option<Answer<i64>> {
        Some(match self.row(a, None) {
            Ok(row) => self.submit_later(move |conn| record_op(conn, &row)),
            Err(e) => SqliteInbox::answered(Err(e)),
        })
    }

    fn enqueue_later(&self, a: &Arrival<'_>, dedup_key: &str) -> Option<Answer<Enqueued>> {
        Some(match self.row(a, Some(dedup_key)) {
            Ok(row) => self.submit_later(move |conn| write_row(conn, &row)),
            Err(e) => SqliteInbox::answered(Err(e)),
        })
    }

    fn enqueue_leased_later(
        &self,
        a: &Arrival<'_>,
        dedup_key: &str,
        worker: &str,
        lease_ms: i64,
    ) -> Option<Answer<(Enqueued, Option<u32>)>> {
        Some(match self.leased_row(a, dedup_key, worker, lease_ms) {
            Ok(row) => self.submit_later(move |conn| leased_op(conn, &row)),
            Err(e) => SqliteInbox::answered(Err(e)),
        })
    }

    fn lease_due_later(&self, worker: &str, now_ms: i64, lease_ms: i64, max: u32) -> Option<Answer<Vec<Job>>> {
        let worker = worker.to_owned();
        Some(self.submit_later(move |conn| lease_due_op(conn, &worker, now_ms, lease_ms, max)))
    }

    fn finish_attempt_later(&self, id: i64, worker: &str, attempt: u32, now_ms: i64, outcome: Outcome<'_>) -> Option<Answer<bool>> {
        Some(self.submit_later(finish_op(id, worker, attempt, now_ms, outcome)))
    }
}

/// [`Inbox::record`] on the writer's connection.
fn record_op(conn: &Connection, row: &Row) -> Result<i64> {
    match write_row(conn, row)? {
        Enqueued::New(id) | Enqueued::Duplicate(id, _) => Ok(id),
    }
}

/// [`Inbox::enqueue_leased`] on the writer's connection: a new record is written leased, attempt 1.
fn leased_op(conn: &Connection, row: &Row) -> Result<(Enqueued, Option<u32>)> {
    let enqueued = write_row(conn, row)?;
    Ok((enqueued, matches!(enqueued, Enqueued::New(_)).then_some(1)))
}

/// [`Inbox::lease_due`] on the writer's connection.
fn lease_due_op(conn: &Connection, worker: &str, now_ms: i64, lease_ms: i64, max: u32) -> Result<Vec<Job>> {
    let ids = {
        let mut stmt = conn
            .prepare_cached(
                // The planner, without statistics, would rather sort the pending rows found through
                // deliveries_state; the partial index reads them in order.
                "SELECT id FROM deliveries INDEXED BY deliveries_pending WHERE state = 'pending' AND next_at <= ?1 AND lease_until <= ?1 \
                 ORDER BY next_at, id LIMIT ?2",
            )
            .map_err(|e| failed("lease_due", e))?;
        let rows = stmt.query_map(params![now_ms, max], |r| r.get::<_, i64>(0)).map_err(|e| failed("lease_due", e))?;
        rows.collect::<rusqlite::Result<Vec<i64>>>().map_err(|e| failed("lease_due", e))?
    };
    ids.into_iter().map(|id| lease(conn, id, worker, now_ms, lease_ms)).collect()
}

/// [`Inbox::finish_attempt`] as a write for the writer.
fn finish_op(
    id: i64,
    worker: &str,
    attempt: u32,
    now_ms: i64,
    outcome: Outcome<'_>,
) -> impl FnMut(&Connection) -> Result<bool> + Send + 'static {
    let (state, next_at, error) = match outcome {
        Outcome::Done => (State::Done, None, None),
        Outcome::Retry { at_ms, error } => (State::Pending, Some(at_ms), Some(error.to_owned())),
        Outcome::DeadLetter { error } => (State::Failed, None, Some(error.to_owned())),
    };
    let worker = worker.to_owned();
    move |conn| {
        // Fenced: the lease must still be this worker's, for this attempt.
        let changed = conn
            .prepare_cached(
                "UPDATE deliveries SET state = ?4, next_at = COALESCE(?5, next_at), lease_owner = NULL, lease_until = 0 \
                 WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'pending'",
            )
            .and_then(|mut stmt| stmt.execute(params![id, worker, attempt, state.as_str(), next_at]))
            .map_err(|e| failed("finish_attempt", e))?;
        if changed == 0 {
            return Ok(false); // dropped: nothing written
        }
        conn.prepare_cached("UPDATE attempts SET ended_at_ms = ?3, ok = ?4, error = ?5 WHERE delivery_id = ?1 AND number = ?2")
            .and_then(|mut stmt| stmt.execute(params![id, attempt, now_ms, error.is_none(), error]))
            .map_err(|e| failed("finish_attempt", e))?;
        Ok(true)
    }
}

/// Leases record `id` (pending, free) to `worker` inside `tx`: its next attempt, numbered after
/// every attempt recorded so far (a crashed one included), started at `now_ms`; the job to run.
fn lease(tx: &Connection, id: i64, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Job> {
    let attempt: u32 = tx
        .query_row(
            "SELECT MAX(d.attempt, COALESCE((SELECT MAX(number) FROM attempts a WHERE a.delivery_id = d.id), 0)) + 1 \
             FROM deliveries d WHERE d.id = ?1",
            params![id],
            |r| r.get(0),
        )
        .map_err(|e| failed("lease", e))?;
    tx.execute(
        "UPDATE deliveries SET lease_owner = ?2, lease_until = ?3, attempt = ?4 WHERE id = ?1",
        params![id, worker, now_ms.saturating_add(lease_ms), attempt],
    )
    .map_err(|e| failed("lease", e))?;
    tx.execute("INSERT INTO attempts (delivery_id, number, started_at_ms) VALUES (?1, ?2, ?3)", params![id, attempt, now_ms])
        .map_err(|e| failed("lease", e))?;
    let (provider, path, query, headers, body, event_id, event_type) = tx
        .query_row("SELECT provider, path, query, headers, body, event_id, event_type FROM deliveries WHERE id = ?1", params![id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })
        .map_err(|e| failed("lease", e))?;
    let headers = super::stored_headers(&headers)?;
    Ok(Job { id, attempt, provider, path, query, headers, body, event_id, event_type })
}

/// The record id `key` names: itself when it is one, else the newest accepted record with that
/// event id, else the newest record with it.
fn resolve(conn: &Connection, key: &str) -> Result<Option<i64>> {
    if let Ok(id) = key.parse::<i64>() {
        let found = conn
            .query_row("SELECT id FROM deliveries WHERE id = ?1", params![id], |r| r.get(0))
            .optional()
            .map_err(|e| failed("show", e))?;
        if found.is_some() {
            return Ok(found);
        }
    }
    // The accepted delivery of an event before its duplicates and refusals.
    conn.query_row("SELECT id FROM deliveries WHERE event_id = ?1 ORDER BY verdict = 'accepted' DESC, id DESC LIMIT 1", params![key], |r| {
        r.get(0)
    })
    .optional()
    .map_err(|e| failed("show", e))
}

/// The full record `id` (which exists).
fn load(conn: &Connection, id: i64) -> Result<Record> {
    let sql = format!("SELECT {SUMMARY_COLUMNS}, query, headers, body, body_size FROM deliveries WHERE id = ?1");
    let (summary, query, headers, body, body_size) = conn
        .query_row(&sql, params![id], |row| {
            Ok((
                summary(row)?,
                row.get::<_, Option<String>>("query")?,
                row.get::<_, String>("headers")?,
                row.get::<_, Vec<u8>>("body")?,
                row.get::<_, i64>("body_size")?,
            ))
        })
        .map_err(|e| failed("show", e))?;
    let headers = super::stored_headers(&headers)?;
    Ok(Record {
        body_truncated: (body.len() as i64) < body_size,
        body_size: body_size as u64,
        attempts: attempts(conn, summary.id)?,
        summary,
        query,
        headers,
        body,
    })
}

fn attempts(conn: &Connection, id: i64) -> Result<Vec<Attempt>> {
    let mut stmt = conn
        .prepare_cached("SELECT number, started_at_ms, ended_at_ms, ok, error FROM attempts WHERE delivery_id = ?1 ORDER BY number")
        .map_err(|e| failed("show", e))?;
    let rows = stmt
        .query_map(params![id], |r| {
            Ok(Attempt {
                number: r.get(0)?,
                started_at_ms: r.get(1)?,
                ended_at_ms: r.get(2)?,
                ok: r.get::<_, Option<bool>>(3)?,
                error: r.get(4)?,
            })
        })
        .map_err(|e| failed("show", e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| failed("show", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write of two statements whose second fails: only a savepoint keeps its first one out.
    #[test]
    fn a_group_with_a_failing_write_keeps_the_others_and_none_of_the_failed_one() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT PRIMARY KEY)").unwrap();
        let insert = |v: &'static str| move |c: &Connection| c.execute("INSERT INTO t VALUES (?1)", [v]).map_err(|e| failed("t", e));
        let (answers, replies): (Vec<_>, Vec<_>) = (0..3).map(|_| mpsc::sync_channel::<Result<usize>>(1)).map(|(tx, rx)| (rx, tx)).unzip();
        let mut replies = replies.into_iter();
        let mut group: Vec<Box<dyn Write>> = vec![
            Box::new(Call { f: insert("a"), result: None, reply: Reply::Blocking(replies.next().unwrap()) }),
            Box::new(Call {
                f: move |c: &Connection| insert("b")(c).and_then(|_| insert("a")(c)), // "a" again: the key breaks
                result: None,
                reply: Reply::Blocking(replies.next().unwrap()),
            }),
            Box::new(Call { f: insert("c"), result: None, reply: Reply::Blocking(replies.next().unwrap()) }),
        ];
        commit_group(&mut conn, &mut group).unwrap();
        for w in group {
            w.answer(Ok(()));
        }
        let answers: Vec<bool> = answers.iter().map(|rx| rx.recv().unwrap().is_ok()).collect();
        assert_eq!(answers, [true, false, true]);
        let kept: Vec<String> =
            conn.prepare("SELECT v FROM t ORDER BY v").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(kept, ["a", "c"], "the failed write's first statement is undone, the others kept");
    }

    /// Without a failing write, one pass and no savepoint: every write runs once.
    #[test]
    fn a_group_without_failures_runs_each_write_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER)").unwrap();
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut group: Vec<Box<dyn Write>> = (0..4)
            .map(|i| {
                let (runs, (tx, _rx)) = (runs.clone(), mpsc::sync_channel::<Result<usize>>(1));
                let f = move |c: &Connection| {
                    runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    c.execute("INSERT INTO t VALUES (?1)", [i]).map_err(|e| failed("t", e))
                };
                Box::new(Call { f, result: None, reply: Reply::Blocking(tx) }) as Box<dyn Write>
            })
            .collect();
        commit_group(&mut conn, &mut group).unwrap();
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 4);
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 4);
    }
}
