//! The core `Receiver` (sans-IO) for JS: `RawStore`, `RawReceiver` with `begin` / `accepted` /
//! `finish` / `release` (deliveries stay in Rust, JS holds a handle). Handlers stay in JS (see `raw.rs`).
//! When the store may block (Redis), `beginAsync` / `finishAsync` run on the binding's own store
//! threads (`store_threads.rs`), so neither the event loop nor the libuv threadpool waits on the
//! network.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hookverify::dedup::{
    claim_from_json, completion_from_json, CallerStore, MemoryStore, RedisStore, Store, DEFAULT_CAPACITY, DEFAULT_REDIS_PREFIX,
    DEFAULT_REDIS_TIMEOUT,
};
use hookverify::receiver::{Decision, Delivery, External, PendingClaim, Receiver, Request, Step};
use hookverify::{Error as CoreError, Headers};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::packed::{decision_fields, delivery_fields, Picked};
use crate::raw::{build_receiver, unknown_delivery};
use crate::{fault, guard, panic_error, store_threads};

/// A dedup store; one may back several receivers.
#[napi]
pub struct RawStore {
    inner: Arc<dyn Store>,
    /// How long a delivery may wait for a store thread before it answers 503 without calling the
    /// store (the store's own timeout: longer means the store is not keeping up).
    max_wait: Duration,
}

#[napi]
impl RawStore {
    /// An in-process store of about `capacity` keys (default: the core's `DEFAULT_CAPACITY`).
    #[napi(factory)]
    pub fn memory(capacity: Option<u32>) -> Self {
        let capacity = capacity.map_or(DEFAULT_CAPACITY, |c| c as usize);
        RawStore { inner: Arc::new(MemoryStore::new(capacity)), max_wait: Duration::MAX }
    }

    /// A Redis store (connects lazily: an unreachable server is `store_unavailable` on use, i.e. 503);
    /// prefix and timeout default to the core's `DEFAULT_REDIS_PREFIX` / `DEFAULT_REDIS_TIMEOUT`.
    #[napi(factory)]
    pub fn redis(env: Env, url: String, prefix: Option<String>, timeout_ms: Option<u32>) -> Result<Self> {
        let timeout = timeout_ms.map_or(DEFAULT_REDIS_TIMEOUT, |ms| Duration::from_millis(ms.max(1).into()));
        let prefix = prefix.as_deref().unwrap_or(DEFAULT_REDIS_PREFIX);
        let store = guard(&env, || RedisStore::with_options(&url, prefix, timeout))?;
        Ok(RawStore { inner: Arc::new(store), max_wait: timeout })
    }

    /// The store of a receiver whose store is JS code: the core never calls it; JS claims,
    /// completes and releases through `beginExternal`, `claimed`, `finishPlan` and `finished`.
    #[napi(factory)]
    pub fn external() -> Self {
        RawStore { inner: Arc::new(CallerStore), max_wait: Duration::MAX }
    }

    /// Whether calls may block on I/O (JS then uses the `*Async` methods).
    #[napi(getter)]
    pub fn may_block(&self) -> bool {
        self.inner.may_block()
    }
}

fn panicked(payload: Box<dyn std::any::Any + Send>) -> Decision {
    Decision::from_error(&panic_error(payload))
}

/// The pipeline of one endpoint, shared with the store-thread jobs. Claimed deliveries stay here,
/// keyed by a handle JS holds, until `finish` (or `release`, when JS dropped one unfinished): one
/// string of fields crosses per step instead of a wrapped object plus a call per field.
pub(crate) struct Shared {
    receiver: Receiver<usize>,
    pub(crate) names: Vec<String>,
    pending: Mutex<HashMap<u64, Delivery>>,
    /// Deliveries waiting for JS's store to claim them (`beginExternal` → `claimed`).
    claims: Mutex<HashMap<u64, PendingClaim>>,
    next: AtomicU64,
    /// See `RawStore::max_wait`.
    max_wait: Duration,
}

impl Shared {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Delivery>> {
        // Every update is one insert/remove: a poisoned map is still consistent.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, HashMap<u64, PendingClaim>> {
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn begin(&self, path: &str, headers: &str, body: &[u8], now: i64) -> Step {
        let headers = match Picked::unpack(&self.names, headers) {
            Ok(h) => h,
            Err(e) => return Step::Respond(Decision::from_error(&e)),
        };
        self.begin_with(path, &headers, body, now)
    }

    pub(crate) fn begin_with(&self, path: &str, headers: &dyn Headers, body: &[u8], now: i64) -> Step {
        catch_unwind(AssertUnwindSafe(|| {
            fault();
            // Only POST requests come this way; JS sends every other method to `begin_method`.
            self.receiver.begin(Request { method: "POST", path, headers, body, now })
        }))
        .unwrap_or_else(|p| Step::Respond(panicked(p)))
    }

    /// Fields (see `packed::Fields`): `status, body, log | null, name, value, …` to answer now, or for a
    /// delivery to run `0, handle, id, type, timestamp | null, keyIndex, dataStart, dataEnd,
    /// provider, token, path, query | null, sync (0/1), handler, …` (dataStart -1: no payload; the
    /// range is in the body's bytes).
    pub(crate) fn outcome(&self, step: Step) -> String {
        match step {
            Step::Respond(d) => decision_fields(&d),
            Step::Run(d) => {
                let handle = self.next.fetch_add(1, Ordering::Relaxed);
                let out = delivery_fields(handle, &d, &self.receiver);
                self.pending().insert(handle, d);
                out
            }
        }
    }

    /// `finish` of the delivery JS holds `handle` of (removed from the pending map first).
    pub(crate) fn finish_handle(&self, env: &Env, handle: f64, ok: bool) -> Result<String> {
        let d = guard(env, || self.pending().remove(&(handle as u64)).ok_or_else(unknown_delivery))?;
        Ok(decision_fields(&self.finish(&d, ok)))
    }

    fn finish(&self, d: &Delivery, ok: bool) -> Decision {
        catch_unwind(AssertUnwindSafe(|| {
            fault();
            self.receiver.finish(d, ok)
        }))
        .unwrap_or_else(panicked)
    }
}

/// The receiving pipeline of one endpoint; `id` reaches it from the fast calls.
#[napi]
pub struct RawReceiver {
    shared: Arc<Shared>,
    id: u32,
}

impl Drop for RawReceiver {
    fn drop(&mut self) {
        crate::fast::unregister(self.id);
    }
}

#[napi]
impl RawReceiver {
    /// Builds the receiver from its options JSON (see `raw.rs`) and a store.
    #[napi(constructor)]
    pub fn new(env: Env, options_json: String, store: &RawStore) -> Result<Self> {
        let (receiver, names) = guard(&env, || build_receiver(&options_json, Box::new(store.inner.clone())))?;
        let shared = Arc::new(Shared {
            receiver,
            names,
            pending: Mutex::default(),
            claims: Mutex::default(),
            next: AtomicU64::new(1),
            max_wait: store.max_wait,
        });
        let id = crate::fast::register_receiver(shared.clone());
        Ok(RawReceiver { shared, id })
    }

    /// The id `beginFast` / `finishFast` take; -1 when they cannot (more header names than they
    /// take values for).
    #[napi(getter)]
    pub fn fast_id(&self) -> i64 {
        crate::fast::usable_id(self.id, &self.shared.names)
    }

    /// The lowercase header names to pack values for, in order.
    #[napi(getter)]
    pub fn header_names(&self) -> Vec<String> {
        self.shared.names.clone()
    }

    /// The largest body any provider accepts.
    #[napi(getter)]
    pub fn max_body_bytes(&self) -> f64 {
        self.shared.receiver.max_body_bytes() as f64
    }

    /// The core's 413 for a body known to be at least `length` bytes (declared, or read so far),
    /// as decision fields; `null` when within the cap.
    #[napi]
    pub fn too_large(&self, length: f64) -> Option<String> {
        self.shared.receiver.too_large(length as u64).map(|d| decision_fields(&d))
    }

    /// Replaces the live secrets (a JSON array of strings) of the provider named `provider`,
    /// atomically (core `Receiver::set_secrets`).
    /// The receiver's metrics snapshot (core `Snapshot::to_json_camel_case`).
    #[napi]
    pub fn metrics_json(&self) -> String {
        self.shared.receiver.metrics().snapshot().to_json_camel_case()
    }

    /// The receiver's metrics in the Prometheus text format.
    #[napi]
    pub fn prometheus(&self) -> String {
        self.shared.receiver.metrics().prometheus()
    }

    #[napi]
    pub fn set_secrets(&self, env: Env, provider: String, secrets_json: String) -> Result<()> {
        guard(&env, || self.shared.receiver.set_secrets(&provider, crate::raw::secrets_of(&secrets_json)?))
    }

    /// A request whose method is not POST: the core's answer (a handshake a scheme declares, e.g.
    /// Meta's `GET ?hub.mode=subscribe`, or 405 `method_not_allowed`), as `begin`'s answer fields.
    /// Such a request is never a delivery to run: the pipeline answers before any claim.
    #[napi]
    pub fn begin_method(&self, method: String, path: String, headers: String, body: &[u8], now: i64) -> String {
        let shared = &self.shared;
        let decision = catch_unwind(AssertUnwindSafe(|| {
            fault();
            let external = match Picked::unpack(&shared.names, &headers) {
                Ok(h) => shared.receiver.begin_external(Request { method: &method, path: &path, headers: &h, body, now }),
                Err(e) => External::Respond(Decision::from_error(&e)),
            };
            match external {
                External::Respond(d) => d,
                // Unreachable: a request that is not POST is answered before any claim.
                External::Claim(_) => {
                    Decision::from_error(&CoreError::InternalError { reason: "a non-POST request reached a claim".into() })
                }
            }
        }))
        .unwrap_or_else(panicked);
        decision_fields(&decision)
    }

    /// Runs the pipeline up to the handlers, on this thread (non-blocking stores); see `Shared::outcome`.
    #[napi]
    pub fn begin(&self, path: String, headers: String, body: &[u8], now: i64) -> String {
        self.shared.outcome(self.shared.begin(&path, &headers, body, now))
    }

    /// `begin` on a store thread (stores that may block; see `store_threads.rs`). Answers 503
    /// `store_unavailable` without claiming when too many deliveries already wait for one, or
    /// when this one waited longer than the store's timeout.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn begin_async<'env>(&self, env: &'env Env, path: String, headers: String, body: Uint8Array, now: i64) -> Result<Object<'env>> {
        let (deferred, promise) = env.create_deferred::<String, Resolver>()?;
        let Some(waiting) = store_threads::admit() else {
            deferred.resolve(Box::new(|_| Ok(busy("too many deliveries are waiting for the store"))));
            return Ok(promise);
        };
        let shared = self.shared.clone();
        let queued = Instant::now();
        store_threads::spawn(move || {
            drop(waiting);
            let step = if queued.elapsed() > shared.max_wait { None } else { Some(shared.begin(&path, &headers, &body, now)) };
            // Resolved on the JS thread, where the body's reference is dropped too.
            deferred.resolve(Box::new(move |_env| {
                drop(body);
                Ok(match step {
                    Some(step) => shared.outcome(step),
                    None => busy("this delivery waited longer than the store's timeout for a store thread"),
                })
            }));
        });
        Ok(promise)
    }

    /// The immediate 202 for an async delivery.
    #[napi]
    pub fn accepted(&self, env: Env, handle: f64) -> Result<String> {
        let d = guard(&env, || {
            self.shared.pending().get(&(handle as u64)).map(|d| self.shared.receiver.accepted(d)).ok_or_else(unknown_delivery)
        })?;
        Ok(decision_fields(&d))
    }

    /// Completes (handlers succeeded) or releases the claim; the answer for sync deliveries.
    #[napi]
    pub fn finish(&self, env: Env, handle: f64, ok: bool) -> Result<String> {
        self.shared.finish_handle(&env, handle, ok)
    }

    /// `finish` on a store thread (stores that may block).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn finish_async<'env>(&self, env: &'env Env, handle: f64, ok: bool) -> Result<Object<'env>> {
        let delivery = guard(env, || self.shared.pending().remove(&(handle as u64)).ok_or_else(unknown_delivery))?;
        let (deferred, promise) = env.create_deferred::<String, Resolver>()?;
        let shared = self.shared.clone();
        store_threads::spawn(move || {
            let answer = decision_fields(&shared.finish(&delivery, ok));
            deferred.resolve(Box::new(move |_env| Ok(answer)));
        });
        Ok(promise)
    }

    /// Forgets a delivery JS dropped without finishing it (its claim expires after the lease).
    #[napi]
    pub fn release(&self, handle: f64) {
        self.shared.pending().remove(&(handle as u64));
        self.shared.claims().remove(&(handle as u64));
    }

    /// For a store that is JS code: the pipeline up to the claim. JSON `{"fields": …}` (the answer,
    /// as `begin` gives it) or `{"handle", "key", "leaseMs"}`: claim `key` in the store, then `claimed`.
    #[napi]
    pub fn begin_external(&self, path: String, headers: String, body: &[u8], now: i64) -> String {
        let shared = &self.shared;
        let external = catch_unwind(AssertUnwindSafe(|| {
            fault();
            match Picked::unpack(&shared.names, &headers) {
                Ok(h) => shared.receiver.begin_external(Request { method: "POST", path: &path, headers: &h, body, now }),
                Err(e) => External::Respond(Decision::from_error(&e)),
            }
        }))
        .unwrap_or_else(|p| External::Respond(panicked(p)));
        match external {
            External::Respond(d) => serde_json::json!({ "fields": decision_fields(&d) }).to_string(),
            External::Claim(pending) => {
                let handle = shared.next.fetch_add(1, Ordering::Relaxed);
                let out = serde_json::json!({ "handle": handle, "key": pending.key(), "leaseMs": pending.lease().as_millis() as u64 });
                shared.claims().insert(handle, pending);
                out.to_string()
            }
        }
    }

    /// The step once JS's store answered the claim of `beginExternal`'s `handle` (`claim_json`: see
    /// the core's `claim_from_json`): what `begin` returns.
    #[napi]
    pub fn claimed(&self, env: Env, handle: f64, claim_json: String) -> Result<String> {
        let pending = guard(&env, || self.shared.claims().remove(&(handle as u64)).ok_or_else(unknown_delivery))?;
        let step = catch_unwind(AssertUnwindSafe(|| self.shared.receiver.claimed(pending, claim_from_json(&claim_json))))
            .unwrap_or_else(|p| Step::Respond(panicked(p)));
        Ok(self.shared.outcome(step))
    }

    /// What finishing the delivery `handle` asks of JS's store: JSON `{"key", "token", "retentionMs"}`
    /// (`token` a decimal string: it may exceed 2^53).
    #[napi]
    pub fn finish_plan(&self, env: Env, handle: f64) -> Result<String> {
        let retention = self.shared.receiver.retention().as_millis() as u64;
        guard(&env, || {
            let pending = self.shared.pending();
            let d = pending.get(&(handle as u64)).ok_or_else(unknown_delivery)?;
            Ok(serde_json::json!({ "key": d.key, "token": d.token.0.to_string(), "retentionMs": retention }).to_string())
        })
    }

    /// The answer once JS's store completed (`completion_json`: see the core's
    /// `completion_from_json`) or released (`null`) the delivery `handle`.
    #[napi]
    pub fn finished(&self, env: Env, handle: f64, completion_json: Option<String>) -> Result<String> {
        let d = guard(&env, || self.shared.pending().remove(&(handle as u64)).ok_or_else(unknown_delivery))?;
        let completion = completion_json.as_deref().map(completion_from_json);
        let decision = catch_unwind(AssertUnwindSafe(|| self.shared.receiver.finished(&d, completion))).unwrap_or_else(panicked);
        Ok(decision_fields(&decision))
    }
}

/// What a store thread hands back to the JS thread: it builds the promise's value there.
type Resolver = Box<dyn FnOnce(Env) -> Result<String> + Send>;

/// The 503 `store_unavailable` (with `Retry-After`) of a delivery refused before any claim.
fn busy(why: &str) -> String {
    decision_fields(&Decision::from_error(&CoreError::StoreUnavailable { reason: why.into() }))
}
