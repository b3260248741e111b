//! The core `Receiver` (sans-IO) for JS on wasm: same surface as the napi binding's
//! `pipeline.rs` minus Redis (no sockets here) and the `*Async` variants (nothing blocks).
//! The memory store's clock is `Date.now()`: wasm32 has no system clock.

use std::sync::Arc;

use hookverify::dedup::{MemoryStore, Store};
use hookverify::receiver::{Decision, Delivery, Receiver, Request, Step};
use hookverify::{Error as CoreError, Router};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

#[path = "../../node/src/config.rs"]
mod config;
use crate::packed::Picked;
use crate::{fault, to_js};

/// A dedup store; one may back several receivers.
#[wasm_bindgen]
pub struct RawStore {
    inner: Arc<dyn Store>,
}

#[wasm_bindgen]
impl RawStore {
    /// An in-process store of about `capacity` keys, on the JS clock.
    pub fn memory(capacity: u32) -> RawStore {
        let clock = || js_sys::Date::now() as u64;
        RawStore { inner: Arc::new(MemoryStore::with_clock(capacity as usize, Arc::new(clock))) }
    }

    /// Whether calls may block on I/O (never, on wasm).
    #[wasm_bindgen(getter, js_name = mayBlock)]
    pub fn may_block(&self) -> bool {
        self.inner.may_block()
    }
}

/// `{status, headers: [name, value, …], body}`.
fn decision(d: Decision) -> JsValue {
    let o = Object::new();
    let headers: Array = d.headers.into_iter().flat_map(|(n, v)| [JsValue::from(n), JsValue::from(v)]).collect();
    let _ = Reflect::set(&o, &"status".into(), &d.status.into());
    let _ = Reflect::set(&o, &"headers".into(), &headers);
    let _ = Reflect::set(&o, &"body".into(), &d.body.into());
    o.into()
}

/// A verified, claimed delivery: run `handlers` (indexes into the JS list), then `finish` it.
#[wasm_bindgen]
pub struct RawDelivery {
    inner: Delivery,
    provider: String,
    handlers: Vec<u32>,
}

#[wasm_bindgen]
impl RawDelivery {
    /// `[id, type, timestamp | null, keyIndex, dataJson]`, like `RawVerifier.verify`.
    pub fn event(&self) -> Array {
        let e = &self.inner.event;
        let ts = e.timestamp.map_or(JsValue::NULL, |t| (t as f64).into());
        Array::of5(&e.id.as_str().into(), &e.event_type.as_str().into(), &ts, &(e.key_index as f64).into(), &e.data_json().into())
    }

    /// `[provider, handlers, token, path, query | null, sync]`.
    pub fn info(&self) -> Array {
        let d = &self.inner;
        let handlers: Array = self.handlers.iter().map(|i| JsValue::from(*i)).collect();
        let query = d.query.as_deref().map_or(JsValue::NULL, JsValue::from);
        let out = Array::of5(&self.provider.as_str().into(), &handlers, &(d.token.0 as f64).into(), &d.path.as_str().into(), &query);
        out.push(&d.sync.into());
        out
    }
}

/// The receiving pipeline of one endpoint.
#[wasm_bindgen]
pub struct RawReceiver {
    receiver: Receiver<u32>,
    names: Vec<String>,
}

#[wasm_bindgen]
impl RawReceiver {
    /// Builds the receiver from its options JSON (see `config.rs`) and a store.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str, store: &RawStore) -> Result<RawReceiver, JsValue> {
        let (receiver, names) = config::build_receiver(options_json, Box::new(store.inner.clone())).map_err(to_js)?;
        Ok(RawReceiver { receiver, names })
    }

    /// The lowercase header names to pack values for, in order.
    #[wasm_bindgen(getter, js_name = headerNames)]
    pub fn header_names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The largest body any provider accepts.
    #[wasm_bindgen(getter, js_name = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.receiver.providers().iter().map(|p| p.verifier().max_body_bytes()).max().unwrap_or(0) as f64
    }

    /// Runs the pipeline up to the handlers: a decision object or a `RawDelivery`.
    pub fn begin(&self, path: &str, headers: &str, body: &[u8], now: f64) -> Result<JsValue, JsValue> {
        fault();
        let headers = Picked::unpack(&self.names, headers)
            .ok_or_else(|| to_js(CoreError::InternalError { reason: "badly packed header values".into() }))?;
        Ok(match self.receiver.begin(Request { path, headers: &headers, body, now: now as i64 }) {
            Step::Respond(d) => decision(d),
            Step::Run(d) => {
                let provider = self.receiver.providers()[d.provider].name().to_owned();
                let handlers = d.handlers.iter().map(|i| *self.receiver.handler(*i)).collect();
                RawDelivery { inner: d, provider, handlers }.into()
            }
        })
    }

    /// The immediate 202 for an async delivery.
    pub fn accepted(&self, delivery: &RawDelivery) -> JsValue {
        decision(self.receiver.accepted(&delivery.inner))
    }

    /// Completes (handlers succeeded) or releases the claim; the answer for sync deliveries.
    pub fn finish(&self, delivery: &RawDelivery, ok: bool) -> JsValue {
        fault();
        decision(self.receiver.finish(&delivery.inner, ok))
    }
}

/// The core `Router` alone: event-type patterns to JS handler indexes.
#[wasm_bindgen]
pub struct RawRouter {
    inner: Router<u32>,
}

#[wasm_bindgen]
impl RawRouter {
    #[wasm_bindgen(constructor)]
    pub fn new() -> RawRouter {
        RawRouter { inner: Router::new() }
    }
    /// Adds handler `index` for `pattern` (`user.created`, `user.*`, `*`).
    pub fn on(&mut self, pattern: &str, index: u32) {
        self.inner.on(pattern, index);
    }
    /// Sets the fallback handler index.
    pub fn unhandled(&mut self, index: u32) {
        self.inner.unhandled(index);
    }
    /// Handler indexes for `event_type`, in registration order.
    pub fn matches(&self, event_type: &str) -> Vec<u32> {
        self.inner.matches(event_type).into_iter().copied().collect()
    }
}
