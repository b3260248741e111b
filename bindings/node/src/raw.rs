//! The raw surface's rules, shared by the napi and wasm bindings (the wasm crate includes this
//! file): options JSON in, core objects and packed fields out. Each binding only adds its own
//! error conversion. Every option and its rule is the core's (`VerifierOptions`, `ReceiverConfig`);
//! handlers stay in JS: the core's `Receiver<usize>` holds each route's index into the JS handler list.

use hookverify::dedup::Store;
use hookverify::receiver::Decision;
use hookverify::{Error, ErrorCode, Receiver, ReceiverConfig, Result, Scheme, Signer, Verifier, VerifierOptions};

use crate::packed::{decision_fields, MAX_INDEX};

/// A verifier from its options JSON (core `VerifierOptions`).
pub(crate) fn build_verifier(options_json: &str) -> Result<Verifier> {
    let v = VerifierOptions::from_json(options_json)?.build()?;
    check_limits(v.secret_count(), &v)?;
    Ok(v)
}

/// Replaces the live secrets with a JSON array of strings, atomically, validated as at
/// construction; on error the old ones stay (core `Verifier::set_secrets`).
pub(crate) fn set_secrets(v: &Verifier, secrets_json: &str) -> Result<()> {
    let secrets = secrets_of(secrets_json)?;
    check_limits(secrets.len(), v)?;
    v.set_secrets(&secrets)
}

/// What a packed verify result can index: at construction and on rotation alike.
fn check_limits(secrets: usize, v: &Verifier) -> Result<()> {
    if secrets > MAX_INDEX || v.scheme().spec().header_aliases.len() >= MAX_INDEX {
        return Err(Error::InvalidArgument { reason: format!("at most {MAX_INDEX} secrets and header sets") });
    }
    Ok(())
}

/// The secrets of a `setSecrets` call, from JSON: a list of strings (errors never quote a value).
pub(crate) fn secrets_of(json: &str) -> Result<Vec<String>> {
    hookverify::options::from_json("setSecrets", json)
}

/// The error for a delivery handle that names no pending delivery.
pub(crate) fn unknown_delivery() -> Error {
    Error::InvalidArgument { reason: "unknown or already finished delivery".into() }
}

/// A built receiver and the lowercase header names JS packs values for (in this order).
pub(crate) fn build_receiver(options_json: &str, store: Box<dyn Store>) -> Result<(Receiver<usize>, Vec<String>)> {
    let r = ReceiverConfig::from_json(options_json)?.build(store)?;
    let names = r.header_names().into_iter().map(|n| n.to_ascii_lowercase()).collect();
    Ok((r, names))
}

/// Signing options: a scheme (preset name or spec), a secret or a private key, and the request
/// URL and method for schemes that sign them.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SignOptions {
    scheme: hookverify::verify::SchemeRef,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    private_key: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    method: Option<String>,
}

/// Headers a sender would send, flattened as `[name, value, name, value, ...]`.
pub(crate) fn sign(options_json: &str, body: &[u8], id: Option<&str>, timestamp: Option<i64>) -> Result<Vec<String>> {
    let opts: SignOptions = hookverify::options::from_json("sign", options_json)?;
    let signer = Signer::from_keys(opts.scheme.resolve()?, opts.secret.as_deref(), opts.private_key.as_deref())?;
    let target = hookverify::RequestTarget::new(opts.url.as_deref(), opts.method.as_deref());
    Ok(signer.sign_request(body, id, timestamp, &target)?.into_iter().flat_map(|(n, v)| [n, v]).collect())
}

/// A preset's spec as JSON (the JS side reads the header names it needs from it).
pub(crate) fn preset_spec_json(name: &str) -> Result<String> {
    serde_json::to_string(Scheme::preset(name)?.spec()).map_err(|e| Error::InternalError { reason: e.to_string() })
}

/// The core's answer (decision fields, see `packed::Fields`) for a failure of the JS glue itself:
/// `code` one of the reason-only codes (`Error::with_reason`; any other is `internal_error`).
pub(crate) fn error_decision(code: &str, reason: String) -> String {
    let code = ErrorCode::from_str_code(code).unwrap_or(ErrorCode::InternalError);
    let err = Error::with_reason(code, reason.clone()).unwrap_or(Error::InternalError { reason });
    decision_fields(&Decision::from_error(&err))
}
