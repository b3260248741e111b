//! The core `Receiver` (sans-IO) for JS: `RawStore`, `RawReceiver` with `begin` / `accepted` /
//! `finish`, `RawDelivery`, and the bare `RawRouter`. Handlers stay in JS (see `config.rs`).
//! When the store may block (Redis), `beginAsync` / `finishAsync` run on the libuv threadpool
//! so the event loop never waits on the network.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use hookverify::dedup::{MemoryStore, RedisStore, Store};
use hookverify::receiver::{Decision, Delivery, Receiver, Request, Step};
use hookverify::{Error as CoreError, Router};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::config::build_receiver;
use crate::{fault, guard, panic_error};
use crate::packed::Picked;

/// A dedup store; one may back several receivers.
#[napi]
pub struct RawStore {
    inner: Arc<dyn Store>,
}

#[napi]
impl RawStore {
    /// An in-process store of about `capacity` keys.
    #[napi(factory)]
    pub fn memory(capacity: u32) -> Self {
        RawStore { inner: Arc::new(MemoryStore::new(capacity as usize)) }
    }

    /// A Redis store (connects lazily: an unreachable server is `store_unavailable` on use, i.e. 503).
    #[napi(factory)]
    pub fn redis(env: Env, url: String, prefix: String, timeout_ms: u32) -> Result<Self> {
        let store = guard(&env, || RedisStore::with_options(&url, &prefix, Duration::from_millis(timeout_ms.max(1).into())))?;
        Ok(RawStore { inner: Arc::new(store) })
    }

    /// Whether calls may block on I/O (JS then uses the `*Async` methods).
    #[napi(getter)]
    pub fn may_block(&self) -> bool {
        self.inner.may_block()
    }
}

/// A decision: status, flattened headers `[name, value, …]`, JSON body.
#[napi(object)]
pub struct RawDecision {
    pub status: u32,
    pub headers: Vec<String>,
    pub body: String,
}

fn decision(d: Decision) -> RawDecision {
    RawDecision { status: d.status.into(), headers: d.headers.into_iter().flat_map(|(n, v)| [n, v]).collect(), body: d.body }
}

fn panicked(payload: Box<dyn std::any::Any + Send>) -> Decision {
    Decision::from_error(&panic_error(payload))
}

/// A verified, claimed delivery: run `handlers` (indexes into the JS list), then `finish` it.
#[napi]
pub struct RawDelivery {
    inner: Delivery,
    provider: String,
    handlers: Vec<u32>,
}

#[napi]
impl RawDelivery {
    /// `[id, type, timestamp | null, keyIndex, dataJson]`, like `RawVerifier.verify`.
    #[napi]
    pub fn event(&self) -> (String, String, Option<f64>, u32, String) {
        let e = &self.inner.event;
        (e.id.clone(), e.event_type.clone(), e.timestamp.map(|t| t as f64), e.key_index as u32, e.data_json().to_owned())
    }
    /// `[provider, handlers, token, path, query | null, sync]`.
    #[napi]
    pub fn info(&self) -> (String, Vec<u32>, f64, String, Option<String>, bool) {
        let d = &self.inner;
        (self.provider.clone(), self.handlers.clone(), d.token.0 as f64, d.path.clone(), d.query.clone(), d.sync)
    }
}

type Outcome = Either<RawDecision, RawDelivery>;

struct Shared {
    receiver: Receiver<u32>,
    names: Vec<String>,
}

impl Shared {
    fn begin(&self, path: &str, headers: &str, body: &[u8], now: i64) -> Step {
        let Some(headers) = Picked::unpack(&self.names, headers) else {
            return Step::Respond(Decision::from_error(&CoreError::InternalError { reason: "badly packed header values".into() }));
        };
        catch_unwind(AssertUnwindSafe(|| {
            fault();
            self.receiver.begin(Request { path, headers: &headers, body, now })
        }))
        .unwrap_or_else(|p| Step::Respond(panicked(p)))
    }

    fn outcome(&self, step: Step) -> Outcome {
        match step {
            Step::Respond(d) => Either::A(decision(d)),
            Step::Run(d) => {
                let provider = self.receiver.providers()[d.provider].name().to_owned();
                let handlers = d.handlers.iter().map(|i| *self.receiver.handler(*i)).collect();
                Either::B(RawDelivery { inner: d, provider, handlers })
            }
        }
    }

    fn finish(&self, d: &Delivery, ok: bool) -> Decision {
        catch_unwind(AssertUnwindSafe(|| {
            fault();
            self.receiver.finish(d, ok)
        }))
        .unwrap_or_else(panicked)
    }
}

/// The receiving pipeline of one endpoint.
#[napi]
pub struct RawReceiver {
    shared: Arc<Shared>,
}

#[napi]
impl RawReceiver {
    /// Builds the receiver from its options JSON (see `config.rs`) and a store.
    #[napi(constructor)]
    pub fn new(env: Env, options_json: String, store: &RawStore) -> Result<Self> {
        let (receiver, names) = guard(&env, || build_receiver(&options_json, Box::new(store.inner.clone())))?;
        Ok(RawReceiver { shared: Arc::new(Shared { receiver, names }) })
    }

    /// The lowercase header names to pack values for, in order.
    #[napi(getter)]
    pub fn header_names(&self) -> Vec<String> {
        self.shared.names.clone()
    }

    /// The largest body any provider accepts.
    #[napi(getter)]
    pub fn max_body_bytes(&self) -> f64 {
        self.shared.receiver.providers().iter().map(|p| p.verifier().max_body_bytes()).max().unwrap_or(0) as f64
    }

    /// Runs the pipeline up to the handlers, on this thread (non-blocking stores).
    #[napi]
    pub fn begin(&self, path: String, headers: String, body: &[u8], now: i64) -> Outcome {
        self.shared.outcome(self.shared.begin(&path, &headers, body, now))
    }

    /// `begin` on the libuv threadpool (stores that may block).
    #[napi(ts_return_type = "Promise<RawDecision | RawDelivery>")]
    pub fn begin_async(&self, path: String, headers: String, body: Uint8Array, now: i64) -> AsyncTask<BeginTask> {
        AsyncTask::new(BeginTask { shared: self.shared.clone(), path, headers, body, now })
    }

    /// The immediate 202 for an async delivery.
    #[napi]
    pub fn accepted(&self, delivery: &RawDelivery) -> RawDecision {
        decision(self.shared.receiver.accepted(&delivery.inner))
    }

    /// Completes (handlers succeeded) or releases the claim; the answer for sync deliveries.
    #[napi]
    pub fn finish(&self, delivery: &RawDelivery, ok: bool) -> RawDecision {
        decision(self.shared.finish(&delivery.inner, ok))
    }

    /// `finish` on the libuv threadpool (stores that may block).
    #[napi(ts_return_type = "Promise<RawDecision>")]
    pub fn finish_async(&self, delivery: &RawDelivery, ok: bool) -> AsyncTask<FinishTask> {
        AsyncTask::new(FinishTask { shared: self.shared.clone(), delivery: delivery.inner.clone(), ok })
    }
}

pub struct BeginTask {
    shared: Arc<Shared>,
    path: String,
    headers: String,
    body: Uint8Array,
    now: i64,
}

impl Task for BeginTask {
    type Output = Step;
    type JsValue = Outcome;
    fn compute(&mut self) -> Result<Step> {
        Ok(self.shared.begin(&self.path, &self.headers, &self.body, self.now))
    }
    fn resolve(&mut self, _env: Env, step: Step) -> Result<Outcome> {
        Ok(self.shared.outcome(step))
    }
}

pub struct FinishTask {
    shared: Arc<Shared>,
    delivery: Delivery,
    ok: bool,
}

impl Task for FinishTask {
    type Output = Decision;
    type JsValue = RawDecision;
    fn compute(&mut self) -> Result<Decision> {
        Ok(self.shared.finish(&self.delivery, self.ok))
    }
    fn resolve(&mut self, _env: Env, d: Decision) -> Result<RawDecision> {
        Ok(decision(d))
    }
}

/// The core `Router` alone: event-type patterns to JS handler indexes.
#[napi]
pub struct RawRouter {
    inner: Router<u32>,
}

#[napi]
impl RawRouter {
    #[napi(constructor)]
    pub fn new() -> Self {
        RawRouter { inner: Router::new() }
    }
    /// Adds handler `index` for `pattern` (`user.created`, `user.*`, `*`).
    #[napi]
    pub fn on(&mut self, pattern: String, index: u32) {
        self.inner.on(&pattern, index);
    }
    /// Sets the fallback handler index.
    #[napi]
    pub fn unhandled(&mut self, index: u32) {
        self.inner.unhandled(index);
    }
    /// Handler indexes for `event_type`, in registration order.
    #[napi]
    pub fn matches(&self, event_type: String) -> Vec<u32> {
        self.inner.matches(&event_type).into_iter().copied().collect()
    }
}
