//! The core `Receiver` (sans-IO) for JS on wasm: same surface as the napi binding's
//! `pipeline.rs` (deliveries stay in Rust, JS holds a handle) minus Redis (no sockets here) and the `*Async` variants (nothing blocks).
//! The memory store's clock is `Date.now()`: wasm32 has no system clock.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use hookverify::dedup::{claim_from_json, completion_from_json, CallerStore, MemoryStore, Store, DEFAULT_CAPACITY};
use hookverify::receiver::{Decision, Delivery, External, PendingClaim, Receiver, Request, Step};
use wasm_bindgen::prelude::*;

use crate::packed::{decision_fields, delivery_fields, Picked};
use crate::raw;
use crate::{fault, to_js};

/// A dedup store; one may back several receivers.
#[wasm_bindgen]
pub struct RawStore {
    inner: Arc<dyn Store>,
}

#[wasm_bindgen]
impl RawStore {
    /// An in-process store of about `capacity` keys (default: the core's `DEFAULT_CAPACITY`), on the JS clock.
    pub fn memory(capacity: Option<u32>) -> RawStore {
        let clock = || js_sys::Date::now() as u64;
        let capacity = capacity.map_or(DEFAULT_CAPACITY, |c| c as usize);
        RawStore { inner: Arc::new(MemoryStore::with_clock(capacity, Arc::new(clock))) }
    }

    /// The store of a receiver whose store is JS code (see the napi binding's `external`).
    pub fn external() -> RawStore {
        RawStore { inner: Arc::new(CallerStore) }
    }

    /// Whether calls may block on I/O (never on wasm, except a JS store's, which JS calls itself).
    #[wasm_bindgen(getter, js_name = mayBlock)]
    pub fn may_block(&self) -> bool {
        self.inner.may_block()
    }
}

/// The core's answer (decision fields) for a failure of the JS glue itself (see the napi binding).
#[wasm_bindgen(js_name = errorDecision)]
pub fn error_decision(code: &str, reason: String) -> String {
    raw::error_decision(code, reason)
}

fn unknown_delivery() -> JsValue {
    to_js(raw::unknown_delivery())
}

/// The receiving pipeline of one endpoint. Claimed deliveries stay here, keyed by a handle JS holds,
/// until `finish` (or `release`, when JS dropped one unfinished).
#[wasm_bindgen]
pub struct RawReceiver {
    receiver: Receiver<usize>,
    names: Vec<String>,
    pending: RefCell<HashMap<u32, Delivery>>,
    /// Deliveries waiting for JS's store to claim them (`beginExternal` → `claimed`).
    claims: RefCell<HashMap<u32, PendingClaim>>,
    next: Cell<u32>,
}

#[wasm_bindgen]
impl RawReceiver {
    /// Builds the receiver from its options JSON (see `raw.rs`) and a store.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str, store: &RawStore) -> Result<RawReceiver, JsValue> {
        let (receiver, names) = raw::build_receiver(options_json, Box::new(store.inner.clone())).map_err(to_js)?;
        Ok(RawReceiver { receiver, names, pending: RefCell::default(), claims: RefCell::default(), next: Cell::new(1) })
    }

    /// The lowercase header names to pack values for, in order.
    #[wasm_bindgen(getter, js_name = headerNames)]
    pub fn header_names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The largest body any provider accepts.
    #[wasm_bindgen(getter, js_name = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.receiver.max_body_bytes() as f64
    }

    /// The core's 413 for a body known to be at least `length` bytes (declared, or read so far),
    /// as decision fields; `null` when within the cap.
    #[wasm_bindgen(js_name = tooLarge)]
    pub fn too_large(&self, length: f64) -> Option<String> {
        self.receiver.too_large(length as u64).map(|d| decision_fields(&d))
    }

    /// The receiver's metrics snapshot (core `Snapshot::to_json_camel_case`).
    #[wasm_bindgen(js_name = metricsJson)]
    pub fn metrics_json(&self) -> String {
        self.receiver.metrics().snapshot().to_json_camel_case()
    }

    /// The receiver's metrics in the Prometheus text format.
    pub fn prometheus(&self) -> String {
        self.receiver.metrics().prometheus()
    }

    /// Replaces the live secrets (a JSON array of strings) of the provider named `provider`,
    /// atomically (core `Receiver::set_secrets`).
    #[wasm_bindgen(js_name = setSecrets)]
    pub fn set_secrets(&self, provider: &str, secrets_json: &str) -> Result<(), JsValue> {
        fault();
        self.receiver.set_secrets(provider, raw::secrets_of(secrets_json).map_err(to_js)?).map_err(to_js)
    }

    /// Runs the pipeline up to the handlers: fields (see `packed::Fields`) `status, body, log | null, name,
    /// value, …` to answer now, or for a delivery to run `0, handle, id, type, timestamp | null,
    /// keyIndex, dataStart, dataEnd, provider, token, path, query | null, sync (0/1), handler, …`
    /// (as the napi binding's `begin`).
    pub fn begin(&self, path: &str, headers: &str, body: &[u8], now: f64) -> Result<String, JsValue> {
        fault();
        let headers = Picked::unpack(&self.names, headers).map_err(to_js)?;
        // Only POST requests come this way; JS sends every other method to `beginMethod`.
        Ok(self.outcome(self.receiver.begin(Request { method: "POST", path, headers: &headers, body, now: now as i64 })))
    }

    /// A request whose method is not POST: the core's answer fields (a handshake a scheme declares,
    /// or 405 `method_not_allowed`), as the napi binding's `beginMethod`. Never a delivery to run.
    #[wasm_bindgen(js_name = beginMethod)]
    pub fn begin_method(&self, method: &str, path: &str, headers: &str, body: &[u8], now: f64) -> Result<String, JsValue> {
        fault();
        let headers = Picked::unpack(&self.names, headers).map_err(to_js)?;
        Ok(match self.receiver.begin_external(Request { method, path, headers: &headers, body, now: now as i64 }) {
            External::Respond(d) => decision_fields(&d),
            // Unreachable: a request that is not POST is answered before any claim.
            External::Claim(_) => decision_fields(&Decision::from_error(&hookverify::Error::InternalError {
                reason: "a non-POST request reached a claim".into(),
            })),
        })
    }

    fn handle(&self) -> u32 {
        let handle = self.next.get();
        self.next.set(handle.wrapping_add(1).max(1));
        handle
    }

    /// `begin`'s fields for a step (a claimed delivery is kept under a new handle).
    fn outcome(&self, step: Step) -> String {
        match step {
            Step::Respond(d) => decision_fields(&d),
            Step::Run(d) => {
                let handle = self.handle();
                let out = delivery_fields(u64::from(handle), &d, &self.receiver);
                self.pending.borrow_mut().insert(handle, d);
                out
            }
        }
    }

    /// For a store that is JS code: the pipeline up to the claim (as the napi binding's `beginExternal`).
    #[wasm_bindgen(js_name = beginExternal)]
    pub fn begin_external(&self, path: &str, headers: &str, body: &[u8], now: f64) -> Result<String, JsValue> {
        fault();
        let headers = Picked::unpack(&self.names, headers).map_err(to_js)?;
        Ok(match self.receiver.begin_external(Request { method: "POST", path, headers: &headers, body, now: now as i64 }) {
            External::Respond(d) => serde_json::json!({ "fields": decision_fields(&d) }).to_string(),
            External::Claim(pending) => {
                let handle = self.handle();
                let out = serde_json::json!({ "handle": handle, "key": pending.key(), "leaseMs": pending.lease().as_millis() as u64 });
                self.claims.borrow_mut().insert(handle, pending);
                out.to_string()
            }
        })
    }

    /// The step once JS's store answered the claim (as the napi binding's `claimed`).
    pub fn claimed(&self, handle: u32, claim_json: &str) -> Result<String, JsValue> {
        let pending = self.claims.borrow_mut().remove(&handle).ok_or_else(unknown_delivery)?;
        fault();
        Ok(self.outcome(self.receiver.claimed(pending, claim_from_json(claim_json))))
    }

    /// What finishing asks of JS's store (as the napi binding's `finishPlan`).
    #[wasm_bindgen(js_name = finishPlan)]
    pub fn finish_plan(&self, handle: u32) -> Result<String, JsValue> {
        let pending = self.pending.borrow();
        let d = pending.get(&handle).ok_or_else(unknown_delivery)?;
        let retention = self.receiver.retention().as_millis() as u64;
        Ok(serde_json::json!({ "key": d.key, "token": d.token.0.to_string(), "retentionMs": retention }).to_string())
    }

    /// The answer once JS's store completed or released the delivery (as the napi binding's `finished`).
    pub fn finished(&self, handle: u32, completion_json: Option<String>) -> Result<String, JsValue> {
        let d = self.pending.borrow_mut().remove(&handle).ok_or_else(unknown_delivery)?;
        fault();
        Ok(decision_fields(&self.receiver.finished(&d, completion_json.as_deref().map(completion_from_json))))
    }

    /// The immediate 202 for an async delivery.
    pub fn accepted(&self, handle: u32) -> Result<String, JsValue> {
        let pending = self.pending.borrow();
        let d = pending.get(&handle).ok_or_else(unknown_delivery)?;
        Ok(decision_fields(&self.receiver.accepted(d)))
    }

    /// Completes (handlers succeeded) or releases the claim; the answer for sync deliveries.
    pub fn finish(&self, handle: u32, ok: bool) -> Result<String, JsValue> {
        let d = self.pending.borrow_mut().remove(&handle).ok_or_else(unknown_delivery)?;
        fault();
        Ok(decision_fields(&self.receiver.finish(&d, ok)))
    }

    /// Forgets a delivery JS dropped without finishing it (its claim expires after the lease).
    pub fn release(&self, handle: u32) {
        self.pending.borrow_mut().remove(&handle);
        self.claims.borrow_mut().remove(&handle);
    }
}

/// The JS `Router`'s match (see the napi binding's `routerMatches`).
#[wasm_bindgen(js_name = routerMatches)]
pub fn router_matches(patterns: Vec<String>, unhandled: bool, event_type: &str) -> Vec<u32> {
    hookverify::dispatch::select_routes(&patterns, unhandled, event_type).into_iter().map(|i| i as u32).collect()
}
