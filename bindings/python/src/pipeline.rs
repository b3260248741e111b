//! `Pipeline` (the core `Receiver` holding Python handlers), its `Delivery`, and the dedup `Store`.
//!
//! Sans-IO like the core: `begin` answers at once (a decision tuple) or returns a `Delivery` naming
//! the handlers; the pure-Python layer runs them (thread, asyncio, framework) and calls `finish`.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookverify::dedup::{
    claim_from_json, completion_from_json, CallerStore, Claim, MemoryStore, RedisStore, Store as CoreStore, Token, DEFAULT_CAPACITY,
    DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_TIMEOUT,
};
use hookverify::dispatch::Pattern;
use hookverify::receiver::{Decision, Delivery as CoreDelivery, External, PendingClaim as CorePendingClaim, Receiver, Request, Step};
use hookverify::{Error as CoreError, ReceiverConfig};
use pyo3::prelude::*;

use crate::convert::{self, core, guard, invalid};
use crate::verifier::{Event, Verifier, DETACH_ABOVE_BYTES};

/// A dedup store; one object may be shared by several pipelines.
#[pyclass(frozen, module = "hookverify._native")]
pub struct Store {
    inner: Arc<dyn CoreStore>,
}

#[pymethods]
impl Store {
    /// An in-process store of about `capacity` keys (default: the core's `DEFAULT_CAPACITY`).
    #[staticmethod]
    #[pyo3(signature = (capacity=None))]
    fn memory(py: Python<'_>, capacity: Option<usize>) -> PyResult<Store> {
        guard(py, || Ok(Store { inner: Arc::new(MemoryStore::new(capacity.unwrap_or(DEFAULT_CAPACITY))) }))
    }

    /// A Redis store; it connects lazily, so an unreachable server is `store_unavailable` on use.
    /// Prefix and timeout default to the core's `DEFAULT_REDIS_PREFIX` / `DEFAULT_REDIS_TIMEOUT`.
    #[staticmethod]
    #[pyo3(signature = (url, prefix=None, timeout=None))]
    fn redis(py: Python<'_>, url: &str, prefix: Option<&str>, timeout: Option<f64>) -> PyResult<Store> {
        guard(py, || {
            let timeout = match timeout {
                None => DEFAULT_REDIS_TIMEOUT,
                Some(t) => Duration::try_from_secs_f64(t)
                    .ok()
                    .filter(|t| !t.is_zero())
                    .ok_or_else(|| invalid(py, "timeout must be a positive number of seconds"))?,
            };
            let prefix = prefix.unwrap_or(DEFAULT_REDIS_PREFIX);
            Ok(Store { inner: Arc::new(core(py, RedisStore::with_options(url, prefix, timeout))?) })
        })
    }

    /// The store of a receiver whose store is Python code (claim / complete / release): the core
    /// never calls it (`CallerStore`); the pipeline is driven with `begin_external`, `claimed`,
    /// `finished` and `restarted`, and the Python side asks its store in between.
    #[staticmethod]
    fn external() -> Store {
        Store { inner: Arc::new(CallerStore) }
    }
}

type Handler = Py<PyAny>;

/// The core receiver: providers, store, routes and ack policy, built from the core's
/// `ReceiverConfig`; the handlers are opaque Python objects, route `i`'s at index `i`.
#[pyclass(frozen, module = "hookverify._native")]
pub struct Pipeline {
    inner: Receiver<usize>,
    handlers: Vec<Handler>,
    names: convert::Names,
    may_block: bool,
}

#[pymethods]
impl Pipeline {
    /// `config`: the core's `ReceiverConfig` as JSON (providers without verifier options: provider
    /// `i` verifies with `verifiers[i]`); `handlers[i]` is route `i`'s handler (the unhandled one last).
    #[new]
    #[pyo3(signature = (config, *, store, verifiers, handlers))]
    fn new(py: Python<'_>, config: &str, store: &Bound<'_, Store>, verifiers: Vec<Py<Verifier>>, handlers: Vec<Handler>) -> PyResult<Self> {
        guard(py, || {
            let config = core(py, ReceiverConfig::from_json(config))?;
            let wanted = config.routes.len() + usize::from(config.unhandled);
            if verifiers.len() != config.providers.len() || handlers.len() != wanted {
                return Err(invalid(py, "one verifier per provider and one handler per route"));
            }
            let store = store.get().inner.clone();
            let may_block = store.may_block();
            let inner = core(py, config.build_with(Box::new(store), |i, _| Ok(verifiers[i].get().inner.clone())))?;
            let names = convert::Names::new(inner.header_names().iter().map(String::as_str));
            Ok(Pipeline { inner, handlers, names, may_block })
        })
    }

    /// Replaces the live secrets of the provider named `provider`, atomically (core
    /// `Receiver::set_secrets`): unknown name `invalid_argument`, bad secret `invalid_secret`.
    fn set_secrets(&self, py: Python<'_>, provider: &Bound<'_, PyAny>, secrets: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let provider = convert::string(py, "provider", provider)?;
            let secrets = convert::str_list(py, "secrets", secrets)?;
            core(py, self.inner.set_secrets(&provider, &secrets))
        })
    }

    /// The largest body any provider accepts.
    #[getter]
    fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes()
    }

    /// The receiver's metrics snapshot as JSON (core `Snapshot::to_json`).
    fn metrics_json(&self) -> String {
        self.inner.metrics().snapshot().to_json()
    }

    /// The receiver's metrics in the Prometheus text format.
    fn prometheus(&self) -> String {
        self.inner.metrics().prometheus()
    }

    /// The providers' names, in match order.
    #[getter]
    fn provider_names(&self) -> Vec<String> {
        self.inner.providers().iter().map(|p| p.name().to_owned()).collect()
    }

    /// The core's 413 `payload_too_large` answer `(status, headers, body, log)` for a body of at
    /// least `length` bytes (declared, or read so far), or None within the cap.
    fn too_large(&self, py: Python<'_>, length: u64) -> PyResult<Option<Py<PyAny>>> {
        guard(py, || self.inner.too_large(length).map(|d| answer(py, d)).transpose())
    }

    /// Verifies, parses, routes and claims: a `(status, headers, body, log)` answer (`log`: the
    /// operator's line for a rejected delivery, else `None`), or a `Delivery` to run.
    /// The GIL is released around store I/O and the hashing of large bodies.
    /// `method`: the request's HTTP method (default `POST`): a non-POST request is answered by the
    /// core (a handshake its scheme declares, or 405 `method_not_allowed`).
    #[pyo3(signature = (path, headers, body, now=None, method="POST"))]
    fn begin(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        method: &str,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let obj = body;
            let (path, now, picked, body) = self.request_parts(py, path, headers, obj, now)?;
            let req = Request { method, path: &path, headers: &picked, body: &body, now };
            let step = convert::maybe_detach(py, self.may_block || body.len() > DETACH_ABOVE_BYTES, || self.inner.begin(req));
            match step {
                Step::Respond(d) => answer(py, d),
                Step::Run(d) => {
                    // The payload stays in the caller's body (or our copy of a mutable one): no copy here.
                    let event = Py::new(py, Event::over_body(d.event.clone(), obj, body))?;
                    self.delivery(py, d, event)
                }
            }
        })
    }

    /// `begin` for a receiver whose store is Python code (core `Receiver::begin_external`):
    /// verifies, parses and routes, and stops at the claim. A `(status, headers, body, log)`
    /// answer, or a `PendingClaim`: claim its `key` for `lease_ms` in the store, then `claimed`.
    #[pyo3(signature = (path, headers, body, now=None, method="POST"))]
    fn begin_external(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        method: &str,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let obj = body;
            let (path, now, picked, body) = self.request_parts(py, path, headers, obj, now)?;
            let req = Request { method, path: &path, headers: &picked, body: &body, now };
            let external = convert::maybe_detach(py, body.len() > DETACH_ABOVE_BYTES, || self.inner.begin_external(req));
            match external {
                External::Respond(d) => answer(py, d),
                External::Claim(pending) => {
                    let event = Py::new(py, Event::over_body(pending.event().clone(), obj, body))?;
                    let (key, lease_ms) = (pending.key().to_owned(), millis(pending.lease()));
                    Ok(Py::new(py, PendingClaim { inner: Mutex::new(Some(pending)), event, key, lease_ms })?.into_any())
                }
            }
        })
    }

    /// The step once the Python store answered the claim of `pending` (`claim_json`: the answer as
    /// JSON, `{"error": "..."}` when the store raised; checked by the core's `claim_from_json`):
    /// what `begin` returns. A `PendingClaim` is used once.
    fn claimed(&self, py: Python<'_>, pending: &Bound<'_, PendingClaim>, claim_json: &str) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let pending_ref = pending.get();
            let taken = pending_ref.inner.lock().map_err(|_| invalid(py, "this claim is unusable"))?.take();
            let Some(claim) = taken else {
                return Err(invalid(py, "this PendingClaim was already used"));
            };
            match self.inner.claimed(claim, claim_from_json(claim_json)) {
                Step::Respond(d) => answer(py, d),
                Step::Run(d) => self.delivery(py, d, pending_ref.event.clone_ref(py)),
            }
        })
    }

    /// How long a done marker is kept, in milliseconds (what a Python store's `complete` is given).
    #[getter]
    fn retention_ms(&self) -> u64 {
        millis(self.inner.retention())
    }

    /// The immediate 202 answer for an async delivery, before its handlers run.
    fn accepted(&self, py: Python<'_>, delivery: &Bound<'_, Delivery>) -> PyResult<Py<PyAny>> {
        guard(py, || decision(py, self.inner.accepted(&delivery.get().inner)))
    }

    /// Completes (handlers succeeded) or releases the claim; the answer for sync deliveries.
    fn finish(&self, py: Python<'_>, delivery: &Bound<'_, Delivery>, ok: bool) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let d = delivery.get().current();
            decision(py, convert::maybe_detach(py, self.may_block, || self.inner.finish(&d, ok)))
        })
    }

    /// `finish` for a receiver whose store is Python code (core `Receiver::finished`):
    /// `completion_json` is what the store's `complete` answered, as JSON (`{"error": "..."}` when
    /// it raised; checked by the core's `completion_from_json`), or None when the handlers failed
    /// and the claim was released.
    #[pyo3(signature = (delivery, completion_json))]
    fn finished(&self, py: Python<'_>, delivery: &Bound<'_, Delivery>, completion_json: Option<&str>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let d = delivery.get().current();
            decision(py, self.inner.finished(&d, completion_json.map(completion_from_json)))
        })
    }

    /// Called when a worker picks a queued async delivery up, just before its handlers run: the
    /// claim taken at accept time is exchanged for a fresh one (core `Receiver::reclaim`: a full
    /// lease and a new, higher fencing token), so the lease covers the handlers' work and not the
    /// time spent in the queue. Returns what to do:
    /// `"run"` (the delivery now holds the fresh claim), `"done"` (another copy completed it while
    /// this one waited), `"taken"` (another copy holds it: that one runs it), or `"unavailable"`
    /// (the store failed; the delivery keeps its first token and should still run).
    fn start(&self, py: Python<'_>, delivery: &Bound<'_, Delivery>) -> PyResult<&'static str> {
        guard(py, || {
            let delivery = delivery.get();
            let token = Token(delivery.token.load(Ordering::Acquire));
            let outcome = convert::maybe_detach(py, self.may_block, || self.inner.reclaim(&delivery.inner, token));
            Ok(delivery.started(outcome))
        })
    }

    /// `start` for a receiver whose store is Python code: `claim_json` is what the store answered
    /// when the delivery's claim was taken again (its `release(key, token)` then
    /// `claim(key, lease_ms)`, as the core's `Receiver::reclaim` does over its own store; an
    /// error in either is `{"error": "..."}`). Returns what `start` returns.
    fn restarted(&self, py: Python<'_>, delivery: &Bound<'_, Delivery>, claim_json: &str) -> PyResult<&'static str> {
        guard(py, || Ok(delivery.get().started(claim_from_json(claim_json))))
    }

    /// The claim's lease in milliseconds (what a Python store's `claim` is given).
    #[getter]
    fn lease_ms(&self) -> u64 {
        millis(self.inner.lease())
    }
}

impl Pipeline {
    /// What `begin` and `begin_external` read from their arguments, the same way: the path, the
    /// time (`now`, default the clock), the scheme's header values, and the body (borrowed when
    /// immutable).
    fn request_parts<'b>(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        body: &'b Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(String, i64, convert::Picked<'_>, std::borrow::Cow<'b, [u8]>)> {
        let path = convert::string(py, "path", path)?;
        let now = convert::now(py, now)?;
        let mut picked = convert::Picked::new(&self.names);
        picked.read(py, headers)?;
        Ok((path, now, picked, convert::body(py, body)?))
    }

    /// The Python `Delivery` of a claimed core delivery whose event is `event`.
    fn delivery(&self, py: Python<'_>, d: CoreDelivery, event: Py<Event>) -> PyResult<Py<PyAny>> {
        let handlers = d.handlers.iter().map(|i| self.handlers[*self.inner.handler(*i)].clone_ref(py)).collect();
        let provider = self.inner.providers()[d.provider].name().to_owned();
        let token = AtomicU64::new(d.token.0);
        let (key, path, query, sync) = (d.key.clone(), d.path.clone(), d.query.clone(), d.sync);
        Ok(Py::new(py, Delivery { inner: d, event, provider, handlers, token, key, path, query, sync })?.into_any())
    }
}

/// A duration in whole milliseconds, saturating.
fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A verified, routed delivery waiting for a Python store to claim it (`Pipeline.begin_external`).
#[pyclass(frozen, module = "hookverify._native")]
pub struct PendingClaim {
    inner: Mutex<Option<CorePendingClaim>>,
    /// The verified event (the `Delivery`'s, once claimed).
    #[pyo3(get)]
    event: Py<Event>,
    /// The dedup key to claim (see `Delivery.key`).
    #[pyo3(get)]
    key: String,
    /// How long to hold the claim, in milliseconds.
    #[pyo3(get)]
    lease_ms: u64,
}

/// The core's 503 `overloaded` answer (with `Retry-After`) for a full handler queue of `limit`
/// deliveries, as `(status, headers, body, log)`.
#[pyfunction]
pub fn overloaded_decision(py: Python<'_>, limit: usize) -> PyResult<Py<PyAny>> {
    guard(py, || {
        let reason = format!("the handler queue is full ({limit} deliveries waiting); retry later");
        answer(py, Decision::from_error(&CoreError::Overloaded { reason }))
    })
}

/// `(status, headers, body)`: the answers that are never a rejection (`accepted`, `finish`).
fn decision(py: Python<'_>, d: Decision) -> PyResult<Py<PyAny>> {
    Ok((d.status, d.headers, d.body).into_pyobject(py)?.into_any().unbind())
}

/// `(status, headers, body, log)`: an answer that may reject the delivery, with its log line
/// ([`Decision::log`]) for the Python side to log.
fn answer(py: Python<'_>, d: Decision) -> PyResult<Py<PyAny>> {
    Ok((d.status, d.headers, d.body, d.log).into_pyobject(py)?.into_any().unbind())
}

/// Text made safe for one log line (the core's `log_safe`: control characters as escapes).
#[pyfunction]
pub fn log_safe(text: &Bound<'_, pyo3::types::PyString>) -> String {
    hookverify::log_safe(&text.to_string_lossy()).into_owned()
}

/// A verified, claimed delivery whose handlers the caller runs before `Pipeline.finish`.
#[pyclass(frozen, module = "hookverify._native")]
pub struct Delivery {
    inner: CoreDelivery,
    /// The verified event.
    #[pyo3(get)]
    event: Py<Event>,
    /// The name of the provider that matched.
    #[pyo3(get)]
    provider: String,
    /// The handlers to run, in order.
    #[pyo3(get)]
    handlers: Vec<Handler>,
    /// The claim's fencing token (`start` may replace it with the fresh claim's).
    token: AtomicU64,
    /// The namespaced dedup key, the request path (no query) and the query string.
    #[pyo3(get)]
    key: String,
    #[pyo3(get)]
    path: String,
    #[pyo3(get)]
    query: Option<String>,
    /// Whether the handlers must run before the answer (sync mode).
    #[pyo3(get)]
    sync: bool,
}

impl Delivery {
    /// The core delivery under its current token (`start` / `restarted` may have renewed it).
    fn current(&self) -> Cow<'_, CoreDelivery> {
        let token = self.token.load(Ordering::Acquire);
        if token == self.inner.token.0 {
            Cow::Borrowed(&self.inner)
        } else {
            Cow::Owned(CoreDelivery { token: Token(token), ..self.inner.clone() })
        }
    }

    /// What taking the claim again when the handlers start came to: `"run"` (the delivery now
    /// holds the fresh claim), `"done"`, `"taken"`, or `"unavailable"` (see `Pipeline.start`).
    fn started(&self, outcome: hookverify::Result<Claim>) -> &'static str {
        match outcome {
            Ok(Claim::Acquired(fresh)) => {
                self.token.store(fresh.0, Ordering::Release);
                "run"
            }
            Ok(Claim::Done) => "done",
            Ok(Claim::InProgress { .. }) => "taken",
            Err(_) => "unavailable",
        }
    }
}

#[pymethods]
impl Delivery {
    /// The claim's fencing token (increases per key; lets downstream writes reject stale workers).
    /// An async delivery gets a new, higher one when a worker starts its handlers.
    #[getter]
    fn token(&self) -> u64 {
        self.token.load(Ordering::Acquire)
    }
}

/// The indexes of the `patterns` whose handlers an event of `event_type` goes to, by the core
/// `Router`'s rule (`dispatch::select_routes`): the specific patterns that match, else the `*` ones,
/// else (when `unhandled`) the index `len(patterns)`.
#[pyfunction]
#[pyo3(signature = (patterns, event_type, unhandled=false))]
pub fn select_routes(py: Python<'_>, patterns: Vec<String>, event_type: &Bound<'_, PyAny>, unhandled: bool) -> PyResult<Vec<usize>> {
    guard(py, || {
        let event_type = convert::string(py, "event_type", event_type)?;
        Ok(hookverify::dispatch::select_routes(&patterns, unhandled, &event_type))
    })
}

/// Whether an event type matches a route pattern (`user.created`, `user.*`, `*`; `issues` takes `issues.opened`).
#[pyfunction]
pub fn type_matches(py: Python<'_>, pattern: &Bound<'_, PyAny>, event_type: &Bound<'_, PyAny>) -> PyResult<bool> {
    guard(py, || Ok(Pattern::parse(&convert::string(py, "pattern", pattern)?).matches(&convert::string(py, "event_type", event_type)?)))
}
