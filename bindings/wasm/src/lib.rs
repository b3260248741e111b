//! WebAssembly binding of the hookverify core (wasm-bindgen), for browsers,
//! workers and as the Node fallback. Same raw surface as the napi binding;
//! the public API is the shared JS in `packages/npm`.
//!
//! `now` always comes from JS: the core's system clock is not available on
//! wasm32. On this target a panic aborts (traps); the JS layer maps the trap
//! to `internal_error`.

use hookverify::scheme::preset_names;
use hookverify::{Algorithm, Error as CoreError, ErrorCode, Verifier};
use js_sys::Reflect;

#[path = "../../node/src/diag.rs"]
mod diag;
#[path = "../../node/src/packed.rs"]
mod packed;
#[path = "../../node/src/raw.rs"]
mod raw;
use packed::{event_fields, header_plan, pack, Picked};
use wasm_bindgen::prelude::*;

/// The receiving pipeline: `RawStore`, `RawReceiver`, `routerMatches`.
mod pipeline;

/// A JS `Error` carrying the core's `code` and `detailsJson`.
fn to_js(e: CoreError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let _ = Reflect::set(&err, &"code".into(), &e.code().as_str().into());
    let _ = Reflect::set(&err, &"detailsJson".into(), &e.details_json_camel_case().into());
    err.into()
}

/// Armed by `panicForTests("next")`: the next call into the core panics (traps).
#[cfg(feature = "test-hooks")]
static FAULT_NEXT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Panics (traps, on wasm32) when the test-only fault switch is armed; nothing at all without the
/// `test-hooks` feature.
#[inline(always)]
pub(crate) fn fault() {
    #[cfg(feature = "test-hooks")]
    {
        use std::sync::atomic::Ordering::Relaxed;
        if FAULT_NEXT.load(Relaxed) && FAULT_NEXT.swap(false, Relaxed) {
            panic!("deliberate panic (HOOKVERIFY_TEST_PANIC fault switch)");
        }
    }
}

/// Test-only fault switch (built only with the `test-hooks` feature, which the published package
/// leaves out), called only by the JS layer when the tests enabled it (`HOOKVERIFY_TEST_PANIC=1` on
/// Node, `globalThis.HOOKVERIFY_TEST_PANIC = '1'` elsewhere): `"now"` panics at once, `"next"` arms
/// a panic in the next call into the core.
#[cfg(feature = "test-hooks")]
#[wasm_bindgen(js_name = panicForTests)]
pub fn panic_for_tests(kind: &str) -> bool {
    match kind {
        "now" => panic!("deliberate panic for the FFI-boundary test"),
        "next" => {
            FAULT_NEXT.store(true, std::sync::atomic::Ordering::Relaxed);
            true
        }
        _ => false,
    }
}

/// The crate version (the npm package checks it equals its own).
#[wasm_bindgen]
pub fn version() -> String {
    hookverify::VERSION.into()
}

/// Every stable error code, from the core's table.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect()
}

/// Names of the built-in scheme presets.
#[wasm_bindgen(js_name = presetNamesList)]
pub fn preset_names_list() -> Vec<String> {
    preset_names().into_iter().map(str::to_owned).collect()
}

/// A preset's spec as JSON (the JS side reads the header names it needs from it).
#[wasm_bindgen(js_name = presetSpecJson)]
pub fn preset_spec_json(name: &str) -> Result<String, JsValue> {
    raw::preset_spec_json(name).map_err(to_js)
}

/// Raw HMAC (the primitive under every scheme; for the Wycheproof tests).
#[wasm_bindgen]
pub fn hmac(algorithm: &str, key: &[u8], message: &[u8]) -> Result<Vec<u8>, JsValue> {
    let algorithm = Algorithm::from_name(algorithm).map_err(to_js)?;
    Ok(hookverify::secret::hmac(algorithm, key, message))
}

/// Headers a sender would send, flattened as `[name, value, name, value, ...]`.
/// `timestamp` is a number or undefined (f64: wasm-bindgen maps i64 to BigInt).
#[wasm_bindgen]
pub fn sign(options_json: &str, body: &[u8], id: Option<String>, timestamp: Option<f64>) -> Result<Vec<String>, JsValue> {
    fault();
    raw::sign(options_json, body, id.as_deref(), timestamp.map(|t| t as i64)).map_err(to_js)
}

/// Why a delivery does (not) verify: the core's report as JSON. `now` is unix seconds (f64, see `sign`).
#[wasm_bindgen]
pub fn diagnose(options_json: &str, body: &[u8], now: f64) -> Result<String, JsValue> {
    fault();
    diag::diagnose_json(options_json, body, now as i64).map_err(to_js)
}

/// Every diagnose hint code and its fix: `[code, fix, ...]`.
#[wasm_bindgen(js_name = hintTable)]
pub fn hint_table() -> Vec<String> {
    diag::hint_table()
}

/// A core verifier plus the header names JS passes values for.
#[wasm_bindgen]
pub struct RawVerifier {
    inner: Verifier,
    names: Vec<String>,
    ids: Vec<i32>,
}

#[wasm_bindgen]
impl RawVerifier {
    /// Builds the verifier from the options JSON (core `VerifierOptions`).
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> Result<RawVerifier, JsValue> {
        fault();
        let inner = raw::build_verifier(options_json).map_err(to_js)?;
        let (names, ids) = header_plan(&inner);
        Ok(RawVerifier { inner, names, ids })
    }

    /// The lowercase header names JS packs values for, in order (the core's `Scheme::header_names`).
    #[wasm_bindgen(getter, js_name = headerNames)]
    pub fn header_names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// Per header set, the index of its id header in `headerNames` (-1: none).
    #[wasm_bindgen(getter, js_name = idHeaders)]
    pub fn id_headers(&self) -> Vec<i32> {
        self.ids.clone()
    }

    /// The largest body this verifier accepts (front ends stop reading past it).
    #[wasm_bindgen(getter, js_name = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.inner.max_body_bytes() as f64
    }

    /// Checks the signature (and window) as of `now`; returns the packed result (see `packed::pack`).
    #[wasm_bindgen(js_name = verifySignature)]
    /// `url` and `method`: the URL the sender called and the method, for schemes that sign them.
    pub fn verify_signature(
        &self,
        body: &[u8],
        headers: &str,
        now: f64,
        url: Option<String>,
        method: Option<String>,
    ) -> Result<f64, JsValue> {
        fault();
        let headers = Picked::unpack(&self.names, headers).map_err(to_js)?;
        let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
        self.inner.verify_signature_with(body, &headers, now as i64, &target).map(|v| pack(&v)).map_err(to_js)
    }

    /// Checks the signature and parses the envelope as of `now`: fields (see `packed::Fields`)
    /// `id, type, timestamp | null, keyIndex, dataStart, dataEnd`. The payload is not copied out:
    /// JS reads it from the body it holds, bytes `dataStart..dataEnd` (-1: no payload, i.e. `null`).
    /// `url` and `method` as for `verifySignature`.
    pub fn verify(&self, body: &[u8], headers: &str, now: f64, url: Option<String>, method: Option<String>) -> Result<String, JsValue> {
        fault();
        let headers = Picked::unpack(&self.names, headers).map_err(to_js)?;
        let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
        self.inner.verify_ref_with(body, &headers, now as i64, &target).map(|e| event_fields(&e)).map_err(to_js)
    }

    /// Replaces the live secrets (a JSON array of strings) atomically, validated as at
    /// construction; on error the old ones stay (core `Verifier::set_secrets`).
    #[wasm_bindgen(js_name = setSecrets)]
    pub fn set_secrets(&self, secrets_json: &str) -> Result<(), JsValue> {
        fault();
        raw::set_secrets(&self.inner, secrets_json).map_err(to_js)
    }
}
