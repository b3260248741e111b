//! Node.js binding of the hookverify core (napi-rs). Thin by design: it turns
//! JS values into core types and core errors into JS errors; the public API
//! (argument checks, header lookup, `Event`) is the shared JS in `packages/npm`.
//!
//! Raw surface, identical to the wasm binding's:
//! `version()`, `errorCodes()`, `presetNames()`, `presetSpecJson(name)`,
//! `hmac(alg, key, msg)`, `sign(optionsJson, body, id, ts)` and
//! `RawVerifier(optionsJson)` with `headerNames` / `idHeaders` (what JS packs values for) and
//! `verify` / `verifySignature`, `diagnose(optionsJson, body, now)` (the report as JSON) and
//! `hintTable()`.
//! Failures throw an `Error` carrying `code` and `detailsJson`.
//! The receiving pipeline (`RawStore`, `RawReceiver`) is in `pipeline.rs`; `routerMatches` is the `Router`'s.

use std::panic::{catch_unwind, AssertUnwindSafe};

use hookverify::scheme::preset_names;
use hookverify::{Algorithm, Error as CoreError, ErrorCode};
use napi::bindgen_prelude::*;
use napi_derive::napi;

mod diag;
mod fast;
mod inbox;
mod packed;
mod pipeline;
mod raw;
mod store_threads;
use fast::VerifierState;
use packed::{event_fields, header_plan, pack, Picked};
use std::sync::Arc;

/// Throws the core error as a JS `Error` with `code` and `detailsJson`, then tells napi it is pending.
fn throw(env: &Env, e: CoreError) -> napi::Error {
    let build = || -> Result<()> {
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
        obj.set_named_property("code", e.code().as_str())?;
        obj.set_named_property("detailsJson", e.details_json_camel_case())?;
        env.throw(obj)
    };
    match build() {
        Ok(()) => napi::Error::from_status(Status::PendingException),
        Err(other) => other,
    }
}

/// The deliberate-panic switch of the panic-safety tests. Compiled only with the `test-hooks`
/// feature (scripts/build-npm.sh's in-tree build); the published addon has neither the switch nor
/// `panicForTests`.
#[cfg(feature = "test-hooks")]
mod hooks {
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Whether the switch works: only when `HOOKVERIFY_TEST_PANIC=1` was set when the addon loaded.
    pub(crate) static FAULTS_ENABLED: AtomicBool = AtomicBool::new(false);
    /// Armed by `panicForTests("next")`: the next guarded call panics inside its guard.
    pub(crate) static FAULT_NEXT: AtomicBool = AtomicBool::new(false);

    #[napi_derive::module_init]
    fn init() {
        FAULTS_ENABLED.store(std::env::var("HOOKVERIFY_TEST_PANIC").as_deref() == Ok("1"), Ordering::Relaxed);
    }

    /// Panics when the switch is armed (one relaxed load; never armed outside tests).
    pub(crate) fn fault() {
        if FAULT_NEXT.load(Ordering::Relaxed) && FAULT_NEXT.swap(false, Ordering::Relaxed) {
            panic!("deliberate panic (HOOKVERIFY_TEST_PANIC fault switch)");
        }
    }
}

/// Panics when the test-only fault switch is armed; nothing at all without the `test-hooks` feature.
#[inline(always)]
pub(crate) fn fault() {
    #[cfg(feature = "test-hooks")]
    hooks::fault();
}

/// The `internal_error` a caught panic becomes (the payload text says what panicked; it never holds input).
pub(crate) fn panic_error(payload: Box<dyn std::any::Any + Send>) -> CoreError {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    CoreError::InternalError { reason: format!("a panic was caught at the Node boundary: {what}") }
}

/// Runs `f`, turning a core error or a panic into a thrown JS error (nothing unwinds across FFI).
fn guard<T>(env: &Env, f: impl FnOnce() -> hookverify::Result<T>) -> Result<T> {
    shield(env, || {
        fault();
        f()
    })
}

/// `guard` without the test fault switch (for steps that have their own, like a receiver's `begin`).
pub(crate) fn shield<T>(env: &Env, f: impl FnOnce() -> hookverify::Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(throw(env, e)),
        Err(payload) => Err(throw(env, panic_error(payload))),
    }
}

/// Test-only fault switch (built only with the `test-hooks` feature). Unless
/// `HOOKVERIFY_TEST_PANIC=1` was set when the addon loaded it does nothing and returns false.
/// Enabled: `"now"` panics inside the guard at once (thrown as `internal_error`); `"next"` arms the
/// switch so the next guarded call into the core panics (any entry point, the receiver's
/// begin/finish included) and returns true.
#[cfg(feature = "test-hooks")]
#[napi(js_name = "panicForTests")]
pub fn panic_for_tests(env: Env, kind: String) -> Result<bool> {
    use std::sync::atomic::Ordering;
    if !hooks::FAULTS_ENABLED.load(Ordering::Relaxed) {
        return Ok(false);
    }
    match kind.as_str() {
        "now" => guard(&env, || -> hookverify::Result<bool> { panic!("deliberate panic for the FFI-boundary test") }),
        "next" => {
            hooks::FAULT_NEXT.store(true, Ordering::Relaxed);
            Ok(true)
        }
        _ => Ok(false),
    }
}

pub(crate) fn invalid(reason: impl Into<String>) -> CoreError {
    CoreError::InvalidArgument { reason: reason.into() }
}

/// The crate version (the npm package checks it equals its own).
#[napi]
pub fn version() -> &'static str {
    hookverify::VERSION
}

/// Every stable error code, from the core's table.
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

/// The core's answer (decision fields, see `packed::Fields`) for a failure of the JS glue itself:
/// `code` one of the reason-only codes (`Error::with_reason`; any other is `internal_error`).
#[napi]
pub fn error_decision(code: String, reason: String) -> String {
    raw::error_decision(&code, reason)
}

/// The JS `Router`'s match: the indexes of its handlers for `event_type` (core `select_routes`:
/// route `i` is `patterns[i]`; the unhandled one, when there is one, `patterns.len()`).
#[napi]
pub fn router_matches(patterns: Vec<String>, unhandled: bool, event_type: String) -> Vec<u32> {
    hookverify::dispatch::select_routes(&patterns, unhandled, &event_type).into_iter().map(|i| i as u32).collect()
}

/// Names of the built-in scheme presets.
#[napi]
pub fn preset_names_list() -> Vec<&'static str> {
    preset_names()
}

/// A preset's spec as JSON (the JS side reads the header names it needs from it).
#[napi]
pub fn preset_spec_json(env: Env, name: String) -> Result<String> {
    guard(&env, || raw::preset_spec_json(&name))
}

/// Raw HMAC (the primitive under every scheme; for the Wycheproof tests).
#[napi]
pub fn hmac(env: Env, algorithm: String, key: &[u8], message: &[u8]) -> Result<Uint8Array> {
    let algorithm = Algorithm::from_name(&algorithm).map_err(|e| throw(&env, e))?;
    guard(&env, || Ok(hookverify::secret::hmac(algorithm, key, message))).map(Uint8Array::from)
}

/// Headers a sender would send, flattened as `[name, value, name, value, ...]`.
#[napi]
pub fn sign(
    env: Env,
    options_json: String,
    body: Either<&[u8], String>,
    id: Option<String>,
    timestamp: Option<i64>,
) -> Result<Vec<String>> {
    guard(&env, || raw::sign(&options_json, bytes(&body), id.as_deref(), timestamp))
}

/// Why a delivery does (not) verify: the core's report as JSON (see `diag.rs`).
#[napi]
pub fn diagnose(env: Env, options_json: String, body: Either<&[u8], String>, now: i64) -> Result<String> {
    guard(&env, || diag::diagnose_json(&options_json, bytes(&body), now))
}

/// Every diagnose hint code and its fix: `[code, fix, ...]`.
#[napi]
pub fn hint_table() -> Vec<String> {
    diag::hint_table()
}

/// A core verifier plus the header names JS passes values for; `id` reaches it from the fast calls.
#[napi]
pub struct RawVerifier {
    state: Arc<VerifierState>,
    ids: Vec<i32>,
    id: u32,
}

impl Drop for RawVerifier {
    fn drop(&mut self) {
        fast::unregister(self.id);
    }
}

#[napi]
impl RawVerifier {
    /// Builds the verifier from the options JSON (core `VerifierOptions`).
    #[napi(constructor)]
    pub fn new(env: Env, options_json: String) -> Result<Self> {
        let inner = guard(&env, || raw::build_verifier(&options_json))?;
        let (names, ids) = header_plan(&inner);
        let state = Arc::new(VerifierState { inner, names });
        let id = fast::register_verifier(state.clone());
        Ok(RawVerifier { state, ids, id })
    }

    /// The lowercase header names JS packs values for, in order (the core's `Scheme::header_names`).
    #[napi(getter)]
    pub fn header_names(&self) -> Vec<String> {
        self.state.names.clone()
    }

    /// The id the fast calls (`verifySignatureFast`, `verifyFast`) take; -1 when they cannot
    /// (more header names than they take values for).
    #[napi(getter)]
    pub fn fast_id(&self) -> i64 {
        fast::usable_id(self.id, &self.state.names)
    }

    /// Per header set, the index of its id header in `headerNames` (-1: none).
    #[napi(getter)]
    pub fn id_headers(&self) -> Vec<i32> {
        self.ids.clone()
    }

    /// The largest body this verifier accepts (front ends stop reading past it).
    #[napi(getter)]
    pub fn max_body_bytes(&self) -> f64 {
        self.state.inner.max_body_bytes() as f64
    }

    /// Checks the signature (and window) as of `now`; returns the packed result (see `pack`).
    #[napi]
    /// `url` and `method`: the URL the sender called and the method, for schemes that sign them.
    pub fn verify_signature(
        &self,
        env: Env,
        body: Either<&[u8], String>,
        headers: String,
        now: i64,
        url: Option<String>,
        method: Option<String>,
    ) -> Result<f64> {
        guard(&env, || {
            let headers = Picked::unpack(&self.state.names, &headers)?;
            let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
            self.state.inner.verify_signature_with(bytes(&body), &headers, now, &target).map(|v| pack(&v))
        })
    }

    /// Checks the signature and parses the envelope as of `now`: fields (see `packed::Fields`)
    /// `id, type, timestamp | null, keyIndex, dataStart, dataEnd`. The payload is not copied out:
    /// JS reads it from the body it holds, bytes `dataStart..dataEnd` (-1: no payload, i.e. `null`).
    #[napi]
    /// `url` and `method` as for `verify_signature`.
    pub fn verify(
        &self,
        env: Env,
        body: Either<&[u8], String>,
        headers: String,
        now: i64,
        url: Option<String>,
        method: Option<String>,
    ) -> Result<String> {
        guard(&env, || {
            let headers = Picked::unpack(&self.state.names, &headers)?;
            let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
            self.state.inner.verify_ref_with(bytes(&body), &headers, now, &target).map(|e| event_fields(&e))
        })
    }

    /// Replaces the live secrets (a JSON array of strings) atomically, validated as at
    /// construction; on error the old ones stay (core `Verifier::set_secrets`).
    #[napi]
    pub fn set_secrets(&self, env: Env, secrets_json: String) -> Result<()> {
        guard(&env, || raw::set_secrets(&self.state.inner, &secrets_json))
    }
}

fn bytes<'a>(body: &'a Either<&[u8], String>) -> &'a [u8] {
    match body {
        Either::A(b) => b,
        Either::B(s) => s.as_bytes(),
    }
}
