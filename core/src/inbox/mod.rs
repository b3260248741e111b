//! The inbox: every delivery a receiver answered, recorded once, with what it was answered and,
//! for accepted events, each handler attempt — the message log behind "show me what arrived,
//! why it was refused, and what the handler did" (issue 21, part 1).
//!
//! A record keeps the request as it arrived (provider, path, query, headers, body), the verdict
//! (the error code, or `accepted`), the answer's status, the event's id and type when it was
//! verified, and its [`State`]. Unauthenticated traffic cannot fill the disk: a rejected
//! delivery keeps at most [`InboxOptions::rejected_body_bytes`] of its body (the rest counted, not
//! kept), and [`Inbox::purge`] removes records older than the retention or beyond the size cap,
//! oldest first. Header values that carry credentials (`Authorization`, cookies, API keys,
//! tokens, passwords) are stored as `[redacted]`; signatures are not secrets and are kept, so
//! the record can be verified again.
//!
//! The inbox is also a durable queue (issue 21, part 2): [`Inbox::enqueue`] commits a verified
//! event before it is acknowledged, unique on its dedup key; workers lease due events
//! ([`Inbox::lease_due`], never one record to two workers at once, a dead worker's leases taken
//! back when they expire), renew their leases, and end each attempt fenced on its lease
//! ([`Inbox::finish_attempt`]): done, retried at a later time ([`Retry`]), or dead-lettered.
//! The axum receiver's `Webhooks::inbox` (feature `axum`) runs handlers this way ([`Durable`]).
//!
//! Two backends: SQLite ([`SqliteInbox`], feature `inbox-sqlite`), a file in WAL mode, and
//! PostgreSQL ([`PostgresInbox`], feature `inbox-postgres`), which several receiver processes or
//! machines can share. Both store the same thing the same way: the redaction, truncation and size
//! accounting are one piece of code (`Stored`, crate-private) that each backend writes.

/// The SQL condition (on both backends' deliveries table) of a record [`Inbox::purge`] may
/// remove: any but an enqueued event still pending (one with a dedup key, in `pending`), which
/// neither the retention nor the size cap removes — its sender was acknowledged, so the inbox is
/// the only copy of it.
macro_rules! purgeable {
    () => {
        "NOT (state = 'pending' AND dedup_key IS NOT NULL)"
    };
}

#[cfg(feature = "inbox-postgres")]
mod postgres;
#[cfg(feature = "inbox-sqlite")]
mod sqlite;

use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};

#[cfg(feature = "inbox-postgres")]
pub use postgres::PostgresInbox;

/// An inbox call's answer still to come: `.await` it. The SQLite inbox answers the `*_later` calls
/// this way: the write waits in its group-commit queue, and the first poll yields once to the
/// executor so that the other tasks ready to write join the same group; then, unless another
/// caller is already committing the queue (it will answer this one too), this caller commits it.
/// A deferred answer dropped unawaited still commits its write.
pub struct Answer<T> {
    rx: futures_channel::oneshot::Receiver<Result<T>>,
    /// Commits the queue when no one is (`None` once done, or for an answer that needs no one).
    lead: Option<std::sync::Arc<dyn Lead>>,
    yielded: bool,
}

/// The answer to a write whose writer went away unanswered (its sender dropped).
pub(crate) fn writer_gone() -> Error {
    Error::InboxUnavailable { reason: "inbox: the writer stopped".into() }
}

/// What commits a queue of deferred writes (see [`Answer`]).
pub(crate) trait Lead: Send + Sync {
    /// Commits what is queued unless someone already is.
    fn lead(&self);
}

impl<T> std::fmt::Debug for Answer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer").field("queued", &self.lead.is_some()).finish_non_exhaustive()
    }
}

impl<T> Answer<T> {
    /// The answer that `rx` will carry (a sender dropped unanswered: `inbox_unavailable`).
    pub(crate) fn new(rx: futures_channel::oneshot::Receiver<Result<T>>) -> Answer<T> {
        Answer { rx, lead: None, yielded: false }
    }

    /// The answer to a write queued for `lead` to commit.
    pub(crate) fn queued(rx: futures_channel::oneshot::Receiver<Result<T>>, lead: std::sync::Arc<dyn Lead>) -> Answer<T> {
        Answer { rx, lead: Some(lead), yielded: false }
    }
}

impl<T> std::future::Future for Answer<T> {
    type Output = Result<T>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<T>> {
        use std::task::Poll;
        let this = &mut *self;
        let gone = |answer: std::result::Result<Result<T>, _>| answer.unwrap_or_else(|_| Err(writer_gone()));
        if let Poll::Ready(answer) = std::pin::Pin::new(&mut this.rx).poll(cx) {
            this.lead = None;
            return Poll::Ready(gone(answer));
        }
        let Some(lead) = this.lead.take() else { return Poll::Pending };
        if !this.yielded {
            // Once round the executor first: the other writes ready now join this group.
            this.yielded = true;
            this.lead = Some(lead);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        lead.lead();
        std::pin::Pin::new(&mut this.rx).poll(cx).map(gone)
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        // An answer dropped unawaited (a cancelled request) still has its write committed.
        if let Some(lead) = self.lead.take() {
            lead.lead();
        }
    }
}

#[cfg(feature = "inbox-sqlite")]
pub use sqlite::SqliteInbox;

/// Where a recorded delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Refused before any handler (bad signature, stale, malformed, too large, ...).
    Rejected,
    /// A duplicate of a delivery already handled or in progress: answered, not run.
    Duplicate,
    /// Verified, claimed, its handlers not finished yet (or never started: no handler took it).
    Pending,
    /// Its handlers succeeded.
    Done,
    /// Its handlers failed (the claim was released so a retry may run it).
    Failed,
}

impl State {
    /// The stable lowercase name (`rejected`, `duplicate`, `pending`, `done`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Rejected => "rejected",
            State::Duplicate => "duplicate",
            State::Pending => "pending",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    /// Every state, in the order the log's filters list them.
    pub const ALL: [State; 5] = [State::Rejected, State::Duplicate, State::Pending, State::Done, State::Failed];

    /// The state named `name` (see [`as_str`](State::as_str)).
    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The state a log filter's `status` names; `invalid_argument` naming every state else.
    pub fn parse_status(name: &str) -> Result<State> {
        State::from_name(name).ok_or_else(|| Error::InvalidArgument { reason: State::status_rule() })
    }

    fn status_rule() -> String {
        format!("`status` must be one of {}", State::ALL.map(State::as_str).join(", "))
    }
}

/// A delivery as it arrived and as it was answered: what [`Inbox::record`] stores.
#[derive(Debug, Clone)]
pub struct Arrival<'a> {
    /// When it arrived, unix milliseconds.
    pub received_at_ms: i64,
    /// The provider that matched it, if any did.
    pub provider: Option<&'a str>,
    /// The request path (without the query).
    pub path: &'a str,
    /// The query string (without `?`), if any.
    pub query: Option<&'a str>,
    /// Every request header, in order, as received.
    pub headers: &'a [(String, String)],
    /// The raw body.
    pub body: &'a [u8],
    /// `accepted`, `duplicate`, or the error code that refused it (`no_matching_signature`, ...).
    pub verdict: &'a str,
    /// The HTTP status answered.
    pub status: u16,
    /// The event id, once verified.
    pub event_id: Option<&'a str>,
    /// The event type, once verified.
    pub event_type: Option<&'a str>,
    /// Where it stands after the answer.
    pub state: State,
}

/// One recorded delivery, as listed (no headers or body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// The record id (unique in this inbox).
    pub id: i64,
    /// When it arrived, unix milliseconds.
    pub received_at_ms: i64,
    /// The provider that matched it.
    pub provider: Option<String>,
    /// The request path.
    pub path: String,
    /// `accepted`, `duplicate`, or the refusing error code.
    pub verdict: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The event id, once verified.
    pub event_id: Option<String>,
    /// The event type, once verified.
    pub event_type: Option<String>,
    /// Where it stands.
    pub state: State,
    /// How many handler attempts were recorded.
    pub attempts: u32,
}

/// One handler attempt of a recorded delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first attempt, then 2, ...
    pub number: u32,
    /// When it started, unix milliseconds.
    pub started_at_ms: i64,
    /// When it ended, unix milliseconds (`None` while running, or if the process died in it).
    pub ended_at_ms: Option<i64>,
    /// Whether the handlers succeeded (`None` until it ended).
    pub ok: Option<bool>,
    /// The failure's text, when it failed (never a secret: the handler's own error message).
    pub error: Option<String>,
}

/// One recorded delivery in full: [`Inbox::show`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Record {
    /// Everything the list shows.
    #[serde(flatten)]
    pub summary: Summary,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request headers, credentials redacted.
    pub headers: Vec<(String, String)>,
    /// The body as kept (all of it, or the first [`InboxOptions::rejected_body_bytes`] of a
    /// rejected one).
    pub body: Vec<u8>,
    /// The body's size as received.
    pub body_size: u64,
    /// Whether `body` is shorter than what was received.
    pub body_truncated: bool,
    /// Each handler attempt, in order.
    pub attempts: Vec<Attempt>,
}

/// What [`Inbox::list`] returns.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Filter {
    /// Only deliveries in this state.
    pub state: Option<State>,
    /// Only deliveries of this provider.
    pub provider: Option<String>,
    /// At most this many, newest first (default [`DEFAULT_LIST_LIMIT`]).
    pub limit: Option<u32>,
}

impl Filter {
    /// Every delivery, newest first, up to [`DEFAULT_LIST_LIMIT`].
    pub fn new() -> Filter {
        Filter::default()
    }

    /// Only deliveries in `state`.
    pub fn state(mut self, state: State) -> Filter {
        self.state = Some(state);
        self
    }

    /// Only deliveries of `provider`.
    pub fn provider(mut self, provider: &str) -> Filter {
        self.provider = Some(provider.to_owned());
        self
    }

    /// At most `limit` deliveries.
    pub fn limit(mut self, limit: u32) -> Filter {
        self.limit = Some(limit);
        self
    }
}

/// How many deliveries [`Inbox::list`] returns without a limit.
pub const DEFAULT_LIST_LIMIT: u32 = 100;
/// Default [`InboxOptions::retention`]: 7 days.
pub const DEFAULT_INBOX_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Default [`InboxOptions::rejected_body_bytes`]: 4 KiB, enough to see what a refused request was.
pub const DEFAULT_REJECTED_BODY_BYTES: usize = 4096;
/// Default [`InboxOptions::max_bytes`]: 1 GiB of kept bodies and headers.
pub const DEFAULT_INBOX_MAX_BYTES: u64 = 1 << 30;

// (A) ------------------------------------------------------------------------------------------

/// What [`Inbox::enqueue`] did with a verified event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enqueued {
    /// Committed as a new record (its id): `Pending`, due at once.
    New(i64),
    /// A record with the same dedup key exists (its id and state): nothing was written.
    Duplicate(i64, State),
}

/// A pending event leased to one worker by [`Inbox::lease_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Job {
    /// The record id.
    pub id: i64,
    /// The attempt this lease is for (1, 2, ...), already recorded as started.
    pub attempt: u32,
    /// The provider that matched it.
    pub provider: Option<String>,
    /// The request path (without the query).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request headers as recorded (credential values redacted).
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The event id.
    pub event_id: Option<String>,
    /// The event type.
    pub event_type: Option<String>,
}

/// How a leased attempt ended: [`Inbox::finish_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// The handlers succeeded: the record is `Done`.
    Done,
    /// They failed and will be tried again at `at_ms` (unix ms): the record stays `Pending`.
    Retry {
        /// When the next attempt is due, unix milliseconds.
        at_ms: i64,
        /// The failure's text.
        error: &'a str,
    },
    /// They failed for the last time: the record is `Failed` (dead letter).
    DeadLetter {
        /// The failure's text.
        error: &'a str,
    },
}

impl<'a> Outcome<'a> {
    /// An attempt's end: `Done` without an error, else retried at `retry_at_ms` when there is
    /// one, else dead-lettered.
    pub fn of(error: Option<&'a str>, retry_at_ms: Option<i64>) -> Outcome<'a> {
        match (error, retry_at_ms) {
            (None, _) => Outcome::Done,
            (Some(error), Some(at_ms)) => Outcome::Retry { at_ms, error },
            (Some(error), None) => Outcome::DeadLetter { error },
        }
    }
}

/// The inbox's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxOptions {
    /// Records older than this are removed by [`Inbox::purge`].
    pub retention: Duration,
    /// Body bytes kept of a rejected delivery (its size is recorded whatever it was).
    pub rejected_body_bytes: usize,
    /// Kept bodies and headers beyond this many bytes are removed by [`Inbox::purge`], oldest first.
    pub max_bytes: u64,
}

impl Default for InboxOptions {
    fn default() -> InboxOptions {
        InboxOptions {
            retention: DEFAULT_INBOX_RETENTION,
            rejected_body_bytes: DEFAULT_REJECTED_BODY_BYTES,
            max_bytes: DEFAULT_INBOX_MAX_BYTES,
        }
    }
}

/// A message log of deliveries. Every method is safe to call from several threads.
pub trait Inbox: Send + Sync {
    /// Records a delivery once, when it was answered; its record id.
    fn record(&self, arrival: &Arrival<'_>) -> Result<i64>;
    /// Records that attempt `number` of record `id`'s handlers started at `at_ms`.
    fn attempt_started(&self, id: i64, number: u32, at_ms: i64) -> Result<()>;
    /// Records how attempt `number` ended (`error`: `None` when the handlers succeeded) and moves
    /// the record to `Done` or `Failed`.
    fn attempt_ended(&self, id: i64, number: u32, at_ms: i64, error: Option<&str>) -> Result<()>;
    /// Recorded deliveries, newest first.
    fn list(&self, filter: &Filter) -> Result<Vec<Summary>>;
    /// One delivery by its record id, or by its event id (the newest accepted delivery with that
    /// id — not one of its duplicates — else the newest with it); `None` if there is none.
    fn show(&self, id_or_event_id: &str) -> Result<Option<Record>>;
    /// Removes records received before `now_ms` minus the retention, then the oldest ones while
    /// the kept bytes exceed the cap; how many were removed. Records go in arrival (id) order: the
    /// SQLite inbox keeps every record from the first one received since the cutoff on (one that
    /// arrived later with an earlier received time, from a clock set back, goes with the ones
    /// around it). An enqueued event still pending is
    /// never removed (it is acknowledged and not handled yet); its bytes still count.
    fn purge(&self, now_ms: i64) -> Result<u64>;

    // (B) ------------------------------------------------------------------------------------------

    /// Commits a verified event for durable handling, before it is acknowledged: a record in
    /// `Pending`, due at `arrival.received_at_ms`, unique on `dedup_key` (the receiver's dedup
    /// key). If a record with that key exists — written by this process or another sharing the
    /// inbox — nothing is written and the answer is [`Enqueued::Duplicate`].
    fn enqueue(&self, arrival: &Arrival<'_>, dedup_key: &str) -> Result<Enqueued>;
    /// Leases up to `max` records that are `Pending`, due (`next_at <= now_ms`) and not held by a
    /// live lease (`lease_until <= now_ms`: the leases of a crashed process are taken back),
    /// oldest due first. Each gets `worker` as its lease owner until `now_ms + lease_ms`, and its
    /// next attempt recorded as started at `now_ms`. Two callers never lease one record at once.
    fn lease_due(&self, worker: &str, now_ms: i64, lease_ms: i64, max: u32) -> Result<Vec<Job>>;
    /// Leases record `id` alone, as [`lease_due`](Inbox::lease_due) would (whether or not it is
    /// due yet): `None` if it is not `Pending` or is held by a live lease. For a replay run now.
    fn lease_one(&self, id: i64, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Option<Job>>;
    /// Extends `worker`'s lease on attempt `attempt` of record `id` to `until_ms`; `false` (and
    /// nothing written) if the lease was lost.
    fn renew_lease(&self, id: i64, worker: &str, attempt: u32, until_ms: i64) -> Result<bool>;
    /// Ends attempt `attempt` of record `id`, fenced: only if `worker` still holds the lease for
    /// that attempt (otherwise `false`, and nothing is written). Records the attempt's end and
    /// error, clears the lease, and moves the record as `outcome` says.
    fn finish_attempt(&self, id: i64, worker: &str, attempt: u32, now_ms: i64, outcome: Outcome<'_>) -> Result<bool>;
    /// Makes record `id` — an accepted event that is `Done` or `Failed`, not leased — `Pending`
    /// and due at `now_ms` again: a replay that bypasses dedup (its next attempt is a new one).
    /// `false` if the record is not such an event.
    fn requeue(&self, id: i64, now_ms: i64) -> Result<bool>;

    /// [`enqueue`](Inbox::enqueue), and a new record leased at once to `worker` until
    /// `arrival.received_at_ms + lease_ms`, its next attempt started then — for a receiver that
    /// runs the event at once from what it holds in memory (no [`lease_due`](Inbox::lease_due)
    /// round trip, no body read back). The attempt number when it was leased; `None` for a
    /// duplicate, or a new record left for [`lease_due`](Inbox::lease_due) — what the default
    /// does (it only enqueues), for a backend where leasing in the same write saves nothing.
    fn enqueue_leased(&self, arrival: &Arrival<'_>, dedup_key: &str, worker: &str, lease_ms: i64) -> Result<(Enqueued, Option<u32>)> {
        let _ = (worker, lease_ms);
        Ok((self.enqueue(arrival, dedup_key)?, None))
    }

    // Deferred calls ---------------------------------------------------------------------------------

    /// [`record`](Inbox::record), queued and answered later without parking the caller's thread
    /// (see [`Answer`]); `None` (the default) when the backend cannot: call `record` where
    /// blocking is allowed.
    fn record_later(&self, _arrival: &Arrival<'_>) -> Option<Answer<i64>> {
        None
    }
    /// [`enqueue`](Inbox::enqueue), answered later (see [`record_later`](Inbox::record_later)).
    fn enqueue_later(&self, _arrival: &Arrival<'_>, _dedup_key: &str) -> Option<Answer<Enqueued>> {
        None
    }
    /// [`enqueue_leased`](Inbox::enqueue_leased), answered later (see
    /// [`record_later`](Inbox::record_later)).
    fn enqueue_leased_later(
        &self,
        _arrival: &Arrival<'_>,
        _dedup_key: &str,
        _worker: &str,
        _lease_ms: i64,
    ) -> Option<Answer<(Enqueued, Option<u32>)>> {
        None
    }
    /// [`lease_due`](Inbox::lease_due), answered later (see [`record_later`](Inbox::record_later)).
    fn lease_due_later(&self, _worker: &str, _now_ms: i64, _lease_ms: i64, _max: u32) -> Option<Answer<Vec<Job>>> {
        None
    }
    /// [`finish_attempt`](Inbox::finish_attempt), answered later (see
    /// [`record_later`](Inbox::record_later)).
    fn finish_attempt_later(&self, _id: i64, _worker: &str, _attempt: u32, _now_ms: i64, _outcome: Outcome<'_>) -> Option<Answer<bool>> {
        None
    }
}

/// Header names whose values are credentials: stored as `[redacted]`.
pub fn is_credential_header(name: &str) -> bool {
    // Compared without a lowercased copy: this runs for every header of every delivery.
    let n = name.as_bytes();
    let has = |w: &str| n.windows(w.len()).any(|s| s.eq_ignore_ascii_case(w.as_bytes()));
    ["authorization", "proxy-authorization", "cookie", "set-cookie"].iter().any(|w| n.eq_ignore_ascii_case(w.as_bytes()))
        || ["token", "secret", "password", "api-key", "apikey", "x-api-key", "session"].iter().any(|w| has(w))
}

/// The value stored for a credential header.
pub const REDACTED: &str = "[redacted]";

/// Default [`Retry::max_attempts`]: 5, as most senders retry.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Default [`Retry::initial_backoff`]: 1 second before the second attempt.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Default [`Retry::max_backoff`]: no wait longer than 1 hour between attempts.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Default [`Durable::concurrency`]: events handled at once per process.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Default [`Durable::poll_interval`]: how often a worker looks for due events it was not woken for
/// (retries coming due, events enqueued by another process sharing the inbox).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Default [`Durable::purge_interval`]: how often a worker purges the inbox ([`Inbox::purge`]).
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// When a failed event is tried again: exponential backoff with jitter, up to `max_attempts`,
/// then a dead letter ([`State::Failed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retry {
    /// Attempts in all, the first included (at least 1); after the last failure the event is `Failed`.
    pub max_attempts: u32,
    /// The wait before the second attempt; each later wait doubles, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry { max_attempts: DEFAULT_MAX_ATTEMPTS, initial_backoff: DEFAULT_INITIAL_BACKOFF, max_backoff: DEFAULT_MAX_BACKOFF }
    }
}

impl Retry {
    /// `max_attempts` attempts, the first retry after `initial_backoff`.
    pub fn new(max_attempts: u32, initial_backoff: Duration) -> Retry {
        Retry { max_attempts: max_attempts.max(1), initial_backoff, ..Retry::default() }
    }

    /// The wait after failed attempt `attempt` (1, 2, ...): `initial_backoff × 2^(attempt-1)`, at
    /// most `max_backoff`, of which a random part up to half is taken off (jitter: senders'
    /// failures that arrived together do not come due together). `random` is any 64-bit value.
    pub fn backoff(&self, attempt: u32, random: u64) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let base = self.initial_backoff.saturating_mul(1u32 << exp.min(31)).min(self.max_backoff);
        let half = base / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if nanos == 0 { 0 } else { random % (nanos + 1) };
        base - Duration::from_nanos(jitter)
    }

    /// How failed attempt `attempt` ends at `now_ms`: retried after its [`backoff`](Retry::backoff),
    /// or a dead letter once it was attempt `max_attempts` (or later: attempts a crash cut short
    /// count too).
    pub fn after_failure<'e>(&self, attempt: u32, now_ms: i64, error: &'e str, random: u64) -> Outcome<'e> {
        if attempt >= self.max_attempts {
            return Outcome::DeadLetter { error };
        }
        let wait = i64::try_from(self.backoff(attempt, random).as_millis()).unwrap_or(i64::MAX);
        Outcome::Retry { at_ms: now_ms.saturating_add(wait), error }
    }
}

/// How a receiver handles events from its inbox (durable async mode): the retry policy, the lease
/// a worker holds on an event while its handlers run, and the worker's pace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Durable {
    /// When a failure is tried again.
    pub retry: Retry,
    /// How long a worker holds an event while its handlers run (renewed every third of it while
    /// they still run); a process that died holding one loses it after this. `None`: the
    /// receiver's claim lease. Make it longer than the handlers' own timeout.
    pub lease: Option<Duration>,
    /// Events handled at once by one process.
    pub concurrency: usize,
    /// See [`DEFAULT_POLL_INTERVAL`].
    pub poll_interval: Duration,
    /// See [`DEFAULT_PURGE_INTERVAL`].
    pub purge_interval: Duration,
}

impl Default for Durable {
    fn default() -> Durable {
        Durable {
            retry: Retry::default(),
            lease: None,
            concurrency: DEFAULT_CONCURRENCY,
            poll_interval: DEFAULT_POLL_INTERVAL,
            purge_interval: DEFAULT_PURGE_INTERVAL,
        }
    }
}

impl Durable {
    /// The defaults with `retry`.
    pub fn new(retry: Retry) -> Durable {
        Durable { retry, ..Durable::default() }
    }

    /// The same with a lease of `lease`.
    pub fn lease(mut self, lease: Duration) -> Durable {
        self.lease = Some(lease);
        self
    }

    /// The same polling every `interval`.
    pub fn poll_interval(mut self, interval: Duration) -> Durable {
        self.poll_interval = interval;
        self
    }

    /// The same handling at most `concurrency` events at once.
    pub fn concurrency(mut self, concurrency: usize) -> Durable {
        self.concurrency = concurrency.max(1);
        self
    }
}

/// What an answered delivery is recorded as, from the core's answer: the verdict (`duplicate`,
/// `unhandled`, `accepted`, or the refusing error code) and the state.
pub fn verdict_of(decision: &crate::receiver::Decision) -> (&'static str, State) {
    use crate::receiver::Verdict;
    let state = match decision.verdict {
        Verdict::Refused(crate::ErrorCode::HandlerFailed) => State::Failed,
        Verdict::Refused(_) => State::Rejected,
        Verdict::Duplicate => State::Duplicate,
        Verdict::Accepted | Verdict::Unhandled => State::Done,
    };
    (decision.verdict.as_str(), state)
}

/// A delivery as a backend stores it: the request headers as JSON text (`[[name, value], ...]`,
/// credential values [`REDACTED`]), the body as kept (a rejected one cut to
/// [`InboxOptions::rejected_body_bytes`]), its size as received, and the bytes the record counts
/// against [`InboxOptions::max_bytes`]. One rule for every backend.
pub(crate) struct Stored<'a> {
    /// The headers, JSON text, credentials redacted.
    pub headers: String,
    /// The body as kept.
    pub body: &'a [u8],
    /// The body's size as received.
    pub body_size: i64,
    /// Kept body and header bytes: what the size cap counts.
    pub kept_bytes: i64,
}

impl<'a> Stored<'a> {
    /// What `arrival` is stored as under `options`.
    pub(crate) fn new(arrival: &Arrival<'a>, options: &InboxOptions) -> Result<Stored<'a>> {
        let headers: Vec<(&str, &str)> =
            arrival.headers.iter().map(|(k, v)| (k.as_str(), if is_credential_header(k) { REDACTED } else { v.as_str() })).collect();
        let headers = serde_json::to_string(&headers).map_err(|e| Error::InternalError { reason: format!("inbox headers: {e}") })?;
        let body = if arrival.state == State::Rejected {
            &arrival.body[..arrival.body.len().min(options.rejected_body_bytes)]
        } else {
            arrival.body
        };
        let kept_bytes = (body.len() + headers.len()) as i64;
        Ok(Stored { headers, body, body_size: arrival.body.len() as i64, kept_bytes })
    }
}

/// The headers of a stored record (the JSON text [`Stored::headers`] wrote).
pub(crate) fn stored_headers(text: &str) -> Result<Vec<(String, String)>> {
    serde_json::from_str(text).map_err(|e| Error::InternalError { reason: format!("inbox headers: {e}") })
}

/// [`Inbox::purge`]'s two limits at `now_ms`: records received before the first are past the
/// retention; the second is the cap on kept bytes.
pub(crate) fn purge_limits(now_ms: i64, options: &InboxOptions) -> (i64, i64) {
    let cutoff = now_ms.saturating_sub(options.retention.as_millis().min(i64::MAX as u128) as i64);
    (cutoff, options.max_bytes.min(i64::MAX as u64) as i64)
}

/// A record as JSON, the one shape every front end prints (`hookverify inbox show --json`, the
/// operator page, the Node and Python `Inbox.show`): [`Record`]'s fields (snake_case) with the
/// body as text (`body`) when it is UTF-8, else as lowercase hex (`body_hex`), and the headers as
/// `[name, value]` pairs.
pub fn record_json(record: &Record) -> serde_json::Value {
    let mut v = serde_json::to_value(record).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.remove("body");
        body_fields(map, &record.body);
        map.insert("headers".into(), header_pairs(&record.headers));
    }
    v
}

/// A leased job as JSON: what a replay's handler is given in Node and Python — `id` (the record
/// id), `attempt`, `provider`, `path`, `query`, `headers` (`[name, value]` pairs, credentials
/// redacted), `event_id`, `event_type`, and the body as in [`record_json`] (`body` or `body_hex`).
pub fn job_json(job: &Job) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("id".into(), job.id.into());
    map.insert("attempt".into(), job.attempt.into());
    map.insert("provider".into(), job.provider.clone().into());
    map.insert("path".into(), job.path.clone().into());
    map.insert("query".into(), job.query.clone().into());
    map.insert("headers".into(), header_pairs(&job.headers));
    map.insert("event_id".into(), job.event_id.clone().into());
    map.insert("event_type".into(), job.event_type.clone().into());
    body_fields(&mut map, &job.body);
    serde_json::Value::Object(map)
}

fn body_fields(map: &mut serde_json::Map<String, serde_json::Value>, body: &[u8]) {
    match std::str::from_utf8(body) {
        Ok(text) => map.insert("body".into(), text.into()),
        Err(_) => map.insert("body_hex".into(), hex::encode(body).into()),
    };
}

fn header_pairs(headers: &[(String, String)]) -> serde_json::Value {
    headers.iter().map(|(k, v)| serde_json::json!([k, v])).collect()
}

/// The first step of a replay (`hookverify inbox replay`, `Webhooks::replay`, the Node and Python
/// `Inbox.replay`): record `id_or_event_id` (a record id or an event id, as [`Inbox::show`] finds
/// it) made pending again, bypassing dedup, and leased at once by `worker` for `lease_ms` (its
/// next attempt recorded as started at `now_ms`). It is due only after that lease, so a receiver
/// sharing the inbox leaves it to this replay. Run its handlers, then [`finish_replay`].
///
/// `invalid_argument` when there is no such record, or it is not an accepted event that can run
/// now (refused, a duplicate, or leased by a running worker).
pub fn begin_replay(inbox: &dyn Inbox, id_or_event_id: &str, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Job> {
    let Some(record) = inbox.show(id_or_event_id)? else {
        return Err(Error::InvalidArgument { reason: format!("inbox: no record {id_or_event_id:?}") });
    };
    let id = record.summary.id;
    inbox.requeue(id, now_ms.saturating_add(lease_ms))?;
    inbox.lease_one(id, worker, now_ms, lease_ms)?.ok_or_else(|| Error::InvalidArgument {
        reason: format!(
            "inbox: record {id} is not an accepted event that can run now ({} and leased, or refused)",
            record.summary.state.as_str()
        ),
    })
}

/// How a replayed attempt ends: `Done` when the handlers succeeded (`error` is `None`), else
/// `Failed` with the error's text — a replay is never retried.
pub fn replay_outcome(error: Option<&str>) -> Outcome<'_> {
    Outcome::of(error, None)
}

/// The last step of a replay begun with [`begin_replay`]: records how `job`'s attempt ended at
/// `now_ms` ([`replay_outcome`]), fenced on `worker`'s lease; `false` (nothing written) when the
/// lease was lost meanwhile.
pub fn finish_replay(inbox: &dyn Inbox, job: &Job, worker: &str, now_ms: i64, error: Option<&str>) -> Result<bool> {
    inbox.finish_attempt(job.id, worker, job.attempt, now_ms, replay_outcome(error))
}

/// The filter of an API's `list` call, from JSON: `{"status": "failed", "provider": "github",
/// "limit": 10}`, every key optional (`status`: a [`State`] name). An unknown key or status is
/// `invalid_argument`.
pub fn filter_from_json(json: &str) -> Result<Filter> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Keys {
        status: Option<String>,
        provider: Option<String>,
        limit: Option<u32>,
    }
    let keys: Keys = crate::options::from_json("inbox list", json)?;
    let state = match keys.status.as_deref() {
        None => None,
        Some(name) => Some(
            State::from_name(name)
                .ok_or_else(|| Error::InvalidArgument { reason: format!("inbox list options: {}", State::status_rule()) })?,
        ),
    };
    Ok(Filter { state, provider: keys.provider, limit: keys.limit })
}
