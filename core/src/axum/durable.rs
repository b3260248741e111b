//! Durable async mode (feature `inbox-sqlite`, issue 21 part 2): with an inbox, every delivery is
//! recorded; an accepted async event is committed to the inbox ([`Inbox::enqueue`], unique on its
//! dedup key, which is then the dedup) before the 202 is sent, and its handlers run from the
//! inbox in a worker loop: leased, renewed while they run, finished fenced on the lease, a failure
//! retried with backoff and jitter up to `max_attempts`, then dead-lettered. A process that died
//! holding leases loses them when they expire, and the next worker (this process restarted, or
//! another sharing the inbox) runs those events again. Sync deliveries run in the request as
//! without an inbox (their claim in the receiver's store) and are recorded with their attempt.

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use tokio::sync::{watch, Notify};
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
}

impl DurableState {
    pub(crate) fn new(inbox: Arc<dyn Inbox>, options: Durable) -> DurableState {
        DurableState {
            inbox,
            options,
            worker: format!("{}-{:08x}", std::process::id(), random() as u32),
            wake: Notify::new(),
            started: AtomicBool::new(false),
            stop: watch::channel(false).0,
            done: watch::channel(false).0,
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
        let done = blocking(move || {
            let event = event.as_ref().map(|(i, t)| (i.as_str(), t.as_str()));
            inbox.record(&seen.arrival(provider.as_deref(), &verdict, status, event, state))
        })
        .await;
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
        // Async: committed before the answer; the inbox's unique key is the dedup.
        let key = pending.key().to_owned();
        let (inbox, seen2, provider, ev) = (self.durable().inbox.clone(), seen.clone(), outcome.provider.clone(), event.clone());
        let enqueued = blocking(move || {
            inbox.enqueue(&seen2.arrival(provider.as_deref(), "accepted", 202, Some((&ev.0, &ev.1)), State::Pending), &key)
        })
        .await;
        let decision = match enqueued {
            Ok(Enqueued::New(_)) => {
                self.durable().wake.notify_one();
                match self.receiver.claimed(pending, Ok(Claim::Acquired(Token(0)))) {
                    Step::Run(delivery) => self.receiver.accepted(&delivery),
                    Step::Respond(d) => d,
                }
            }
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
        let (inbox, retry_policy) = (d.inbox.clone(), d.options.retry);
        let err2 = error.clone();
        let finished = blocking(move || {
            let now = now_ms();
            let outcome = match (&err2, retry) {
                (None, _) => Outcome::Done,
                (Some(e), true) => retry_policy.after_failure(attempt, now, e, random()),
                (Some(e), false) => crate::inbox::replay_outcome(Some(e)),
            };
            let run = match outcome {
                Outcome::Done => RunOutcome::Done,
                Outcome::Retry { .. } => RunOutcome::Retry,
                _ => RunOutcome::DeadLetter,
            };
            Ok((inbox.finish_attempt(id, &worker, attempt, now, outcome)?, run))
        })
        .await;
        let (finished, run) = finished?;
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

/// Leases due events and runs them, at most `concurrency` at once, until stopped; purges the inbox
/// every `purge_interval`.
async fn worker_loop(hooks: Arc<Webhooks>) {
    let d = hooks.durable().clone();
    let mut stop = d.stop.subscribe();
    let lease = hooks.job_lease();
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let mut tasks = JoinSet::new();
    let mut next_purge = tokio::time::Instant::now();
    while !*stop.borrow() {
        while tasks.try_join_next().is_some() {}
        if tokio::time::Instant::now() >= next_purge {
            next_purge += d.options.purge_interval;
            let inbox = d.inbox.clone();
            if let Err(e) = blocking(move || inbox.purge(now_ms())).await {
                tracing::warn!(target: "hookverify", "inbox: purge failed: {e}");
            }
        }
        let free = d.options.concurrency.max(1).saturating_sub(tasks.len());
        if free == 0 {
            tokio::select! {
                _ = tasks.join_next() => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let (inbox, worker) = (d.inbox.clone(), d.worker.clone());
        let max = u32::try_from(free).unwrap_or(u32::MAX);
        let jobs = match blocking(move || inbox.lease_due(&worker, now_ms(), lease_ms, max)).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(target: "hookverify", "inbox: lease failed: {e}");
                Vec::new()
            }
        };
        if jobs.is_empty() {
            tokio::select! {
                _ = d.wake.notified() => {}
                _ = tokio::time::sleep(d.options.poll_interval) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        for job in jobs {
            let (hooks, worker) = (hooks.clone(), d.worker.clone());
            tasks.spawn(async move {
                if let Err(e) = hooks.run_job(job, worker, lease, true).await {
                    tracing::warn!(target: "hookverify", "inbox: an attempt was not finished: {e}");
                }
            });
        }
    }
    while tasks.join_next().await.is_some() {}
    d.done.send_replace(true);
}
