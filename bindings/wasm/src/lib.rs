//! WebAssembly binding of the hookverify core (wasm-bindgen), for browsers,
//! workers and as the Node fallback. Same raw surface as the napi binding;
//! the public API is the shared JS in `packages/npm`.
//!
//! `now` always comes from JS: the core's system clock is not available on
//! wasm32. On this target a panic aborts (traps); the JS layer maps the trap
//! to `internal_error`.

use hookverify::scheme::preset_names;
use hookverify::{Algorithm, Error as CoreError, ErrorCode, Headers, Lookup, Scheme, Signer, Verifier, VerifierOptions};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

/// A JS `Error` carrying the core's `code` and `detailsJson`.
fn to_js(e: CoreError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let _ = Reflect::set(&err, &"code".into(), &e.code().as_str().into());
    let _ = Reflect::set(&err, &"detailsJson".into(), &e.details().to_string().into());
    err.into()
}

fn invalid(reason: impl Into<String>) -> JsValue {
    to_js(CoreError::InvalidArgument { reason: reason.into() })
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
    let scheme = Scheme::preset(name).map_err(to_js)?;
    serde_json::to_string(scheme.spec()).map_err(|e| to_js(CoreError::InternalError { reason: e.to_string() }))
}

/// Raw HMAC (the primitive under every scheme; for the Wycheproof tests).
#[wasm_bindgen]
pub fn hmac(algorithm: &str, key: &[u8], message: &[u8]) -> Result<Vec<u8>, JsValue> {
    let algorithm = match algorithm {
        "sha1" => Algorithm::Sha1,
        "sha256" => Algorithm::Sha256,
        "sha512" => Algorithm::Sha512,
        other => return Err(invalid(format!("unknown HMAC algorithm {other:?}"))),
    };
    Ok(hookverify::secret::hmac(algorithm, key, message))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SignOptions {
    scheme: hookverify::verify::SchemeRef,
    secret: String,
}

/// Headers a sender would send, flattened as `[name, value, name, value, ...]`.
/// `timestamp` is a number or undefined (f64: wasm-bindgen maps i64 to BigInt).
#[wasm_bindgen]
pub fn sign(options_json: &str, body: &[u8], id: Option<String>, timestamp: Option<f64>) -> Result<Vec<String>, JsValue> {
    let opts: SignOptions = serde_json::from_str(options_json).map_err(|e| invalid(format!("sign options: {e}")))?;
    let signer = Signer::new(opts.scheme.resolve().map_err(to_js)?, &opts.secret).map_err(to_js)?;
    let headers = signer.sign(body, id.as_deref(), timestamp.map(|t| t as i64)).map_err(to_js)?;
    Ok(headers.into_iter().flat_map(|(n, v)| [n, v]).collect())
}

/// One picked header value: text, absent, or a count of duplicates.
enum Value {
    Missing,
    One(String),
    Many(usize),
}

struct Picked<'a> {
    names: &'a [String],
    values: Vec<Value>,
}

impl Headers for Picked<'_> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        match self.names.iter().position(|n| n.eq_ignore_ascii_case(name)).and_then(|i| self.values.get(i)) {
            Some(Value::One(v)) => Lookup::One(v.as_bytes()),
            Some(Value::Many(n)) if *n >= 2 => Lookup::Many(*n),
            _ => Lookup::Missing,
        }
    }
}

/// A core verifier plus the header names JS passes values for.
#[wasm_bindgen]
pub struct RawVerifier {
    inner: Verifier,
    names: Vec<String>,
}

#[wasm_bindgen]
impl RawVerifier {
    /// Builds the verifier from the options JSON (core `VerifierOptions`).
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str, header_names: Vec<String>) -> Result<RawVerifier, JsValue> {
        let inner = VerifierOptions::from_json(options_json).and_then(|o| o.build()).map_err(to_js)?;
        Ok(RawVerifier { inner, names: header_names })
    }

    /// Checks the signature (and window) as of `now`: `{keyIndex, timestamp, messageId}`.
    #[wasm_bindgen(js_name = verifySignature)]
    pub fn verify_signature(&self, body: &[u8], values: Vec<JsValue>, now: f64) -> Result<Object, JsValue> {
        let headers = self.picked(values)?;
        let v = self.inner.verify_signature_at(&headers, body, now as i64).map_err(to_js)?;
        let out = Object::new();
        set(&out, "keyIndex", (v.key_index as f64).into());
        set(&out, "timestamp", v.timestamp.map_or(JsValue::NULL, |t| (t as f64).into()));
        set(&out, "messageId", v.message_id.map_or(JsValue::NULL, JsValue::from));
        Ok(out)
    }

    /// Checks the signature and parses the envelope as of `now`:
    /// `{id, type, timestamp, keyIndex, dataJson}`.
    pub fn verify(&self, body: &[u8], values: Vec<JsValue>, now: f64) -> Result<Object, JsValue> {
        let headers = self.picked(values)?;
        let e = self.inner.verify_at(&headers, body, now as i64).map_err(to_js)?;
        let out = Object::new();
        set(&out, "id", e.id.as_str().into());
        set(&out, "type", e.event_type.as_str().into());
        set(&out, "timestamp", e.timestamp.map_or(JsValue::NULL, |t| (t as f64).into()));
        set(&out, "keyIndex", (e.key_index as f64).into());
        set(&out, "dataJson", e.data_json().into());
        Ok(out)
    }

    fn picked(&self, values: Vec<JsValue>) -> Result<Picked<'_>, JsValue> {
        if values.len() != self.names.len() {
            return Err(invalid("internal: header values do not match header names"));
        }
        let values = values
            .into_iter()
            .map(|v| match v.as_string() {
                Some(s) => Value::One(s),
                None => v.as_f64().map_or(Value::Missing, |n| Value::Many(n as usize)),
            })
            .collect();
        Ok(Picked { names: &self.names, values })
    }
}

fn set(obj: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(obj, &key.into(), &value);
}
