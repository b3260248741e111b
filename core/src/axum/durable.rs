//! Durable async mode (feature `inbox-sqlite`, issue 21 part 2): with an inbox, every delivery is
//! recorded; an accepted async event is committed to the inbox ([`Inbox::enqueue`], unique on its
//! dedup key, which is then the dedup) before the 202 is sent, and its handlers run from the
//! inbox in a worker loop: leased, renewed while they run, finished fenced on the lease, a failure
//! retried with backoff and jitter up to `max_attempts`, then dead-lettered. A process that died
//! holding leases loses them when they expire, and the next worker (this process restarted, or
//! another sharing the inbox) runs those events again. Sync deliveries run in the request as
//! without an inbox (their claim in the receiver's store) and are recorded with their attempt.

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinSet;

use crate::metrics::RunOutcome;

use super::{into_response, Outcome as RouteOutcome, Webhooks};
use crate::dedup::{Claim, Token};
use crate::error::{Error, Result};
use crate::event::EventRef;
use crate::inbox::{verdict_of, Arrival, Durable, Enqueued, Inbox, Job, Outcome, State};
use crate::receiver::{Decision, External, Request, Step};

/// A receiver's inbox and how it handles events from it.
pub(crate) struct DurableState {
    pub(crate) inbox: Arc<dyn Inbox>,
    pub(crate) options: Durable,
    /// This process's lease owner name: `<pid>-<random>`.
    pub(crate) worker: String,
    /// Woken when this process enqueued an event.
    wake: Notify,
    started: AtomicBool,
    stop: watch::Sender<bool>,
    /// Set when the worker loop ended.
    done: watch::Sender<bool>,
    /// Events running or about to (each holds a [`Slot`]): at most `options.concurrency`.
    running: AtomicUsize,
    /// Events a request enqueued leased to this process, for the worker loop to run at once.
    handed: mpsc::UnboundedSender<(Job, Slot)>,
    /// The worker loop's end of `handed` (taken when it starts).
    handed_rx: Mutex<Option<mpsc::UnboundedReceiver<(Job, Slot)>>>,
}

/// One of the `concurrency` running slots of a [`DurableState`], given back when dropped.
pub(crate) struct Slot(Arc<DurableState>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Reserves up to `max` free running slots of `d` (none once stopping); how many.
fn reserve_slots(d: &DurableState, max: usize) -> usize {
    let limit = d.options.concurrency.max(1);
    if *d.stop.borrow() {
        return 0;
    }
    let mut taken = 0;
    let _ = d.running.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
        taken = limit.saturating_sub(n).min(max);
        (taken > 0).then_some(n + taken)
    });
    taken
}

/// Takes up to `max` free running slots of `d`.
fn take_slots(d: &Arc<DurableState>, max: usize) -> Vec<Slot> {
    (0..reserve_slots(d, max)).map(|_| Slot(d.clone())).collect()
}

/// Takes a free running slot of `d`, if there is one.
fn take_slot(d: &Arc<DurableState>) -> Option<Slot> {
    (reserve_slots(d, 1) == 1).then(|| Slot(d.clone()))
}

impl DurableState {
    pub(crate) fn new(inbox: Arc<dyn Inbox>, options: Durable) -> DurableState {
        let (handed, handed_rx) = mpsc::unbounded_channel();
        DurableState {
            inbox,
            options,
            worker: format!("{}-{:08x}", std::process::id(), random() as u32),
            wake: Notify::new(),
            started: AtomicBool::new(false),
            stop: watch::channel(false).0,
            done: watch::channel(false).0,
            running: AtomicUsize::new(0),
            handed,
            handed_rx: Mutex::new(Some(handed_rx)),
        }
    }
}

/// Stops the worker loop of a durable [`Webhooks`]: it leases nothing more, and ends once the
/// events it is running are finished.
#[derive(Clone)]
pub struct WorkerHandle {
    state: Arc<DurableState>,
}

impl std::fmt::Debug for WorkerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerHandle").finish_non_exhaustive()
    }
}

impl WorkerHandle {
    /// Asks the worker to stop, and waits until it has (its running events finished).
    pub async fn stop(self) {
        let mut done = self.state.done.subscribe();
        self.state.stop.send_replace(true);
        // A worker that never started (no request, no runtime at `into_method_router`) is
        // stopped already: starting it now is refused.
        if self.state.started.swap(true, Ordering::AcqRel) {
            let _ = done.wait_for(|d| *d).await;
        }
    }
}

/// A random 64-bit value (jitter, worker names): std's per-process random hash keys.
fn random() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs blocking inbox work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| Err(Error::InternalError { reason: "inbox: a task panicked".into() }))
}

/// The request as the inbox records it.
struct Seen {
    received_at_ms: i64,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Seen {
    fn new(target: &str, headers: &HeaderMap, body: Bytes, received_at_ms: i64) -> Seen {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
            None => (target.to_owned(), None),
        };
        let headers = headers.iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
        Seen { received_at_ms, path, query, headers, body }
    }

    fn arrival<'a>(
        &'a self,
        provider: Option<&'a str>,
        verdict: &'a str,
        status: u16,
        event: Option<(&'a str, &'a str)>,
        state: State,
    ) -> Arrival<'a> {
        Arrival {
            received_at_ms: self.received_at_ms,
            provider,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: &self.body,
            verdict,
            status,
            event_id: event.map(|e| e.0),
            event_type: event.map(|e| e.1),
            state,
        }
    }
}

impl Seen {
    /// The job of record `id`, leased for `attempt` at enqueue, from the request in memory: what
    /// [`Inbox::lease_due`] would read back (credential header values redacted alike).
    fn job(&self, id: i64, attempt: u32, provider: Option<String>, event: &(String, String)) -> Job {
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), if crate::inbox::is_credential_header(k) { crate::inbox::REDACTED.to_owned() } else { v.clone() }))
            .collect();
        Job {
            id,
            attempt,
            provider,
            path: self.path.clone(),
            query: self.query.clone(),
            headers,
            body: self.body.to_vec(),
            event_id: Some(event.0.clone()),
            event_type: Some(event.1.clone()),
        }
    }
}

impl Webhooks {
    fn durable(&self) -> &Arc<DurableState> {
        self.durable.as_ref().expect("durable mode")
    }

    /// Starts the worker loop once (on the current runtime).
    pub(crate) fn start_worker(self: &Arc<Self>) {
        let Some(d) = &self.durable else { return };
        if tokio::runtime::Handle::try_current().is_err() || d.started.swap(true, Ordering::AcqRel) {
            return;
        }
        tokio::spawn(worker_loop(self.clone()));
    }

    /// A handle that stops the worker loop of a durable endpoint (`None` without an inbox). Take
    /// it before [`into_method_router`](Webhooks::into_method_router).
    pub fn worker(&self) -> Option<WorkerHandle> {
        self.durable.as_ref().map(|d| WorkerHandle { state: d.clone() })
    }

    /// Records an answered delivery (best effort: a failure is logged, the answer stands).
    async fn record(&self, seen: &Arc<Seen>, decision: &Decision, provider: Option<usize>, event: Option<(String, String)>) {
        let (verdict, state) = verdict_of(decision);
        let provider = provider.map(|i| self.receiver.providers()[i].name().to_owned());
        let (inbox, seen, status) = (self.durable().inbox.clone(), seen.clone(), decision.status);
        let pair = event.as_ref().map(|(i, t)| (i.as_str(), t.as_str()));
        let later = inbox.record_later(&seen.arrival(provider.as_deref(), verdict, status, pair, state));
        let done = match later {
            Some(answer) => answer.await,
            None => {
                blocking(move || {
                    let event = event.as_ref().map(|(i, t)| (i.as_str(), t.as_str()));
                    inbox.record(&seen.arrival(provider.as_deref(), verdict, status, event, state))
                })
                .await
            }
        };
        if let Err(e) = done {
            tracing::warn!(target: "hookverify", "inbox: a delivery was answered but not recorded: {e}");
        }
    }

    /// Records a delivery refused before its body was read (too large, too slow, cut off): no body.
    pub(crate) async fn record_unread(&self, uri: &axum::http::Uri, headers: &HeaderMap, status: u16) {
        let verdict = match status {
            413 => "payload_too_large",
            408 => "request_timeout",
            _ => "body_unreadable",
        };
        let target = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
        let seen = Seen::new(&target, headers, Bytes::new(), now_ms());
        let inbox = self.durable().inbox.clone();
        let done = blocking(move || inbox.record(&seen.arrival(None, verdict, status, None, State::Rejected))).await;
        if let Err(e) = done {
            tracing::warn!(target: "hookverify", "inbox: a refused delivery was not recorded: {e}");
        }
    }

    /// [`Webhooks::handle`] with an inbox.
    pub(crate) async fn handle_durable(
        self: Arc<Self>,
        method: &str,
        target: String,
        headers: HeaderMap,
        body: Bytes,
        now: i64,
    ) -> Response {
        self.start_worker();
        let seen = Arc::new(Seen::new(&target, &headers, body.clone(), now_ms()));
        let (external, matched) =
            self.receiver.begin_external_with_match(Request { method, path: &target, headers: &headers, body: &body, now });
        let pending = match external {
            External::Respond(decision) => {
                self.record(&seen, &decision, matched, None).await;
                return self.respond(decision, matched);
            }
            External::Claim(pending) => pending,
        };
        let event = (pending.event().id.clone(), pending.event().event_type.clone());
        let outcome = RouteOutcome {
            provider: matched.map(|i| self.receiver.providers()[i].name().to_owned()),
            event: Some(event.clone()),
            rejected: None,
        };
        if pending.sync() {
            return self.handle_sync(pending, seen, matched, event, outcome).await;
        }
        // Async: committed before the answer; the inbox's unique key is the dedup. With a running
        // slot free, the event is written leased to this process and run at once from memory.
        let d = self.durable().clone();
        let slot = take_slot(&d);
        let lease_ms = i64::try_from(self.job_lease().as_millis()).unwrap_or(i64::MAX);
        let key = pending.key().to_owned();
        let provider = outcome.provider.clone();
        let enqueued = {
            let arrival = seen.arrival(provider.as_deref(), "accepted", 202, Some((&event.0, &event.1)), State::Pending);
            let (leased, plain) = match slot {
                Some(_) => (d.inbox.enqueue_leased_later(&arrival, &key, &d.worker, lease_ms), None),
                None => (None, d.inbox.enqueue_later(&arrival, &key)),
            };
            match (leased, plain) {
                (Some(answer), _) => answer.await,
                (None, Some(answer)) => answer.await.map(|e| (e, None)),
                (None, None) => {
                    let (inbox, seen, ev, leased, worker) =
                        (d.inbox.clone(), seen.clone(), event.clone(), slot.is_some(), d.worker.clone());
                    let provider = provider.clone();
                    blocking(move || {
                        let arrival = seen.arrival(provider.as_deref(), "accepted", 202, Some((&ev.0, &ev.1)), State::Pending);
                        match leased {
                            true => inbox.enqueue_leased(&arrival, &key, &worker, lease_ms),
                            false => inbox.enqueue(&arrival, &key).map(|e| (e, None)),
                        }
                    })
                    .await
                }
            }
        };
        let enqueued = enqueued.map(|(enqueued, attempt)| {
            match (enqueued, attempt, slot) {
                (Enqueued::New(id), Some(attempt), Some(slot)) => {
                    let job = seen.job(id, attempt, provider.clone(), &event);
                    if let Err(mpsc::error::SendError((job, _))) = d.handed.send((job, slot)) {
                        // The worker loop is gone: the lease expires and a worker takes it then.
                        tracing::warn!(target: "hookverify", "inbox: record {} left to its lease's end", job.id);
                    }
                }
                (Enqueued::New(_), _, _) => d.wake.notify_one(),
                _ => {}
            }
            enqueued
        });
        let decision = match enqueued {
            Ok(Enqueued::New(_)) => match self.receiver.claimed(pending, Ok(Claim::Acquired(Token(0)))) {
                Step::Run(delivery) => self.receiver.accepted(&delivery),
                Step::Respond(d) => d,
            },
            // Committed already (here or by another process sharing the inbox): the duplicate answer.
            Ok(_) => match self.receiver.claimed(pending, Ok(Claim::Done)) {
                Step::Respond(d) => {
                    self.record(&seen, &d, matched, Some(event)).await;
                    d
                }
                Step::Run(_) => return super::internal_error(),
            },
            Err(e) => match self.receiver.claimed(pending, Err(e)) {
                Step::Respond(d) => {
                    self.record(&seen, &d, matched, Some(event)).await;
                    return self.respond(d, matched);
                }
                Step::Run(_) => return super::internal_error(),
            },
        };
        let mut response = into_response(decision);
        response.extensions_mut().insert(outcome);
        response
    }

    /// A sync delivery with an inbox: claimed in the receiver's store and run in the request, as
    /// without one; recorded once answered, with its attempt.
    async fn handle_sync(
        self: Arc<Self>,
        pending: crate::receiver::PendingClaim,
        seen: Arc<Seen>,
        matched: Option<usize>,
        event: (String, String),
        outcome: RouteOutcome,
    ) -> Response {
        let step = if self.store_may_block {
            let this = self.clone();
            match tokio::task::spawn_blocking(move || this.receiver.claim_own(pending)).await {
                Ok(step) => step,
                Err(_) => return super::internal_error(),
            }
        } else {
            self.receiver.claim_own(pending)
        };
        let delivery = match step {
            Step::Respond(decision) => {
                self.record(&seen, &decision, matched, Some(event)).await;
                return self.respond(decision, matched);
            }
            Step::Run(delivery) => delivery,
        };
        let started = now_ms();
        let Ok(ev) = delivery.event.with_body(&seen.body).map(EventRef::into_owned) else {
            self.finish(delivery, false).await;
            return super::internal_error();
        };
        let result = self.run_handlers_result(&delivery, &ev, &seen.body).await;
        let decision = self.finish(delivery, result.is_ok()).await;
        let ended = now_ms();
        let provider = outcome.provider.clone();
        let (inbox, seen2, status) = (self.durable().inbox.clone(), seen.clone(), decision.status);
        let recorded = blocking(move || {
            let id = inbox.record(&seen2.arrival(provider.as_deref(), "accepted", status, Some((&event.0, &event.1)), State::Pending))?;
            inbox.attempt_started(id, 1, started)?;
            inbox.attempt_ended(id, 1, ended, result.err().as_deref())
        })
        .await;
        if let Err(e) = recorded {
            tracing::warn!(target: "hookverify", "inbox: a sync delivery was handled but not recorded: {e}");
        }
        let mut response = into_response(decision);
        response.extensions_mut().insert(outcome);
        response
    }

    /// Runs one leased job's handlers, renewing its lease while they run, and finishes the attempt
    /// (fenced): done, retried later, or dead-lettered. `retry: false` (a replay): a failure is
    /// final. The outcome's error text, `None` on success.
    pub(crate) async fn run_job(self: &Arc<Self>, job: Job, worker: String, lease: Duration, retry: bool) -> Result<Option<String>> {
        let d = self.durable().clone();
        let started = web_time::Instant::now();
        let provider = job.provider.as_deref().and_then(|p| self.receiver.metrics().provider_index(p));
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let (id, attempt) = (job.id, job.attempt);
        let result = match self.receiver.resume(&job) {
            Err(e) => Err(e.to_string()),
            Ok(delivery) => match delivery.event.with_body(&job.body).map(EventRef::into_owned) {
                Err(e) => Err(e.to_string()),
                Ok(event) => {
                    let body = Bytes::from(job.body);
                    let run = self.run_handlers_result(&delivery, &event, &body);
                    tokio::pin!(run);
                    let mut tick = tokio::time::interval((lease / 3).max(Duration::from_millis(10)));
                    tick.tick().await;
                    loop {
                        tokio::select! {
                            r = &mut run => break r,
                            _ = tick.tick() => {
                                let (inbox, w) = (d.inbox.clone(), worker.clone());
                                let until = now_ms().saturating_add(lease_ms);
                                match blocking(move || inbox.renew_lease(id, &w, attempt, until)).await {
                                    Ok(true) => {}
                                    Ok(false) => tracing::warn!(target: "hookverify", "inbox: record {id} attempt {attempt}: lease lost"),
                                    Err(e) => tracing::warn!(target: "hookverify", "inbox: record {id}: lease not renewed: {e}"),
                                }
                            }
                        }
                    }
                }
            },
        };
        let error = result.err();
        let now = now_ms();
        // What comes next, decided once: done, retried at a time, or dead-lettered (a replay's
        // failure is final). An `Outcome` borrows the error text, so each path builds its own.
        let retry_at = match (&error, retry) {
            (Some(e), true) => match d.options.retry.after_failure(attempt, now, e, random()) {
                Outcome::Retry { at_ms, .. } => Some(at_ms),
                _ => None,
            },
            _ => None,
        };
        let outcome = Outcome::of(error.as_deref(), retry_at);
        let run = match outcome {
            Outcome::Done => RunOutcome::Done,
            Outcome::Retry { .. } => RunOutcome::Retry,
            _ => RunOutcome::DeadLetter,
        };
        let finished = match d.inbox.finish_attempt_later(id, &worker, attempt, now, outcome) {
            Some(answer) => answer.await,
            None => {
                let (inbox, error) = (d.inbox.clone(), error.clone());
                blocking(move || inbox.finish_attempt(id, &worker, attempt, now, Outcome::of(error.as_deref(), retry_at))).await
            }
        };
        let finished = finished?;
        self.receiver.metrics().record_run(provider, run, started.elapsed());
        if !finished {
            tracing::warn!(target: "hookverify", "inbox: record {id} attempt {attempt}: lease lost before it finished; its outcome was dropped");
        }
        Ok(error)
    }

    /// The lease a worker takes on an event.
    fn job_lease(&self) -> Duration {
        self.durable().options.lease.unwrap_or_else(|| self.receiver.lease())
    }

    /// Runs the handlers of record `id_or_event_id` (a record id or an event id) again now, as a
    /// new attempt, bypassing dedup: the event is made pending again and leased by this process
    /// at once (a receiver running on the same inbox does not take it first), run, and finished
    /// done or failed (no retry). The failure's text, `None` when the handlers succeeded. Not
    /// found, not an accepted event, or leased by a running worker: `invalid_argument`.
    pub async fn replay(self: &Arc<Self>, id_or_event_id: &str) -> Result<Option<String>> {
        let Some(d) = self.durable.clone() else {
            return Err(Error::InvalidArgument { reason: "replay needs an inbox".into() });
        };
        let lease = self.job_lease();
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let worker = format!("replay-{}", d.worker);
        let (inbox, key, w) = (d.inbox.clone(), id_or_event_id.to_owned(), worker.clone());
        let job = blocking(move || crate::inbox::begin_replay(&*inbox, &key, &w, now_ms(), lease_ms)).await?;
        self.run_job(job, worker, lease, false).await
    }
}

/// The next event handed over, when there is a channel (never, else).
async fn recv(handed: &mut Option<mpsc::UnboundedReceiver<(Job, Slot)>>) -> Option<(Job, Slot)> {
    match handed {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Leases due events and runs them, at most `concurrency` at once, until stopped; purges the inbox
/// every `purge_interval`.
async fn worker_loop(hooks: Arc<Webhooks>) {
    let d = hooks.durable().clone();
    let mut stop = d.stop.subscribe();
    let lease = hooks.job_lease();
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let mut handed = d.handed_rx.lock().unwrap_or_else(|p| p.into_inner()).take();
    let mut tasks = JoinSet::new();
    let spawn = |tasks: &mut JoinSet<()>, job: Job, slot: Slot| {
        let (hooks, worker) = (hooks.clone(), d.worker.clone());
        tasks.spawn(async move {
            if let Err(e) = hooks.run_job(job, worker, lease, true).await {
                tracing::warn!(target: "hookverify", "inbox: an attempt was not finished: {e}");
            }
            drop(slot);
        });
    };
    let mut next_purge = tokio::time::Instant::now();
    while !*stop.borrow() {
        while tasks.try_join_next().is_some() {}
        while let Some(Ok((job, slot))) = handed.as_mut().map(mpsc::UnboundedReceiver::try_recv) {
            spawn(&mut tasks, job, slot);
        }
        if tokio::time::Instant::now() >= next_purge {
            next_purge += d.options.purge_interval;
            let inbox = d.inbox.clone();
            if let Err(e) = blocking(move || inbox.purge(now_ms())).await {
                tracing::warn!(target: "hookverify", "inbox: purge failed: {e}");
            }
        }
        let mut slots = take_slots(&d, usize::MAX);
        let jobs = if slots.is_empty() {
            Vec::new()
        } else {
            let max = u32::try_from(slots.len()).unwrap_or(u32::MAX);
            let leased = match d.inbox.lease_due_later(&d.worker, now_ms(), lease_ms, max) {
                Some(answer) => answer.await,
                None => {
                    let (inbox, worker) = (d.inbox.clone(), d.worker.clone());
                    blocking(move || inbox.lease_due(&worker, now_ms(), lease_ms, max)).await
                }
            };
            leased.unwrap_or_else(|e| {
                tracing::warn!(target: "hookverify", "inbox: lease failed: {e}");
                Vec::new()
            })
        };
        if jobs.is_empty() {
            drop(slots);
            tokio::select! {
                _ = d.wake.notified() => {}
                Some((job, slot)) = recv(&mut handed) => spawn(&mut tasks, job, slot),
                _ = tasks.join_next(), if !tasks.is_empty() => {}
                _ = tokio::time::sleep(d.options.poll_interval) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        for job in jobs {
            if let Some(slot) = slots.pop() {
                spawn(&mut tasks, job, slot);
            }
        }
    }
    // Events handed over already are acknowledged and leased here: run them too.
    if let Some(rx) = handed.as_mut() {
        rx.close();
        while let Ok((job, slot)) = rx.try_recv() {
            spawn(&mut tasks, job, slot);
        }
    }
    while tasks.join_next().await.is_some() {}
    d.done.send_replace(true);
}
