//! `hookverify._native`: a thin pyo3 translation of the hookverify core.
//!
//! Python values become core types in `convert` (a `bytes` body is borrowed, only the scheme's
//! header names are read from the mapping); results become small frozen classes; every error
//! becomes `hookverify.HookverifyError` with the core's code. No verification logic lives here.

mod convert;
mod diagnose;
mod inbox;
mod pipeline;
mod verifier;

use hookverify::{ErrorCode, Scheme, Secret, Signer};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use convert::{core, guard, invalid};

/// `hookverify.sign(...)`: the headers a sender of `scheme` would attach to `body` (sent to
/// `url` with `method`, for schemes that sign them), signed with `secret` or `private_key`.
#[pyfunction]
#[pyo3(signature = (*, scheme, body, secret=None, private_key=None, id=None, timestamp=None, url=None, method=None))]
#[allow(clippy::too_many_arguments)]
fn sign<'py>(
    py: Python<'py>,
    scheme: &Bound<'py, PyAny>,
    body: &Bound<'py, PyAny>,
    secret: Option<&Bound<'py, PyAny>>,
    private_key: Option<&Bound<'py, PyAny>>,
    id: Option<&Bound<'py, PyAny>>,
    timestamp: Option<&Bound<'py, PyAny>>,
    url: Option<&Bound<'py, PyAny>>,
    method: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    guard(py, || {
        let scheme: Scheme = convert::scheme(py, scheme)?;
        let private_key = convert::opt_str(py, "private_key", private_key)?;
        let secret = secret.filter(|s| !s.is_none());
        let signer = match secret.map(|s| s.cast::<PyBytes>()) {
            // Raw key bytes; with a private key too, the core's "not both" error.
            Some(Ok(b)) if private_key.is_none() => Signer::with_key(scheme.clone(), &core(py, Secret::from_bytes(b.as_bytes()))?),
            Some(Ok(_)) => core(py, Signer::from_keys(scheme.clone(), Some(""), private_key.as_deref()))?,
            Some(Err(_)) if secret.is_some_and(|s| s.cast::<PyString>().is_err()) => {
                return Err(invalid(py, "secret must be a str (or raw key bytes)"))
            }
            _ => {
                let secret = convert::opt_str(py, "secret", secret)?;
                core(py, Signer::from_keys(scheme.clone(), secret.as_deref(), private_key.as_deref()))?
            }
        };
        let id = convert::opt_str(py, "id", id)?;
        let ts = match convert::uint(py, "timestamp", timestamp)? {
            Some(t) => Some(i64::try_from(t).map_err(|_| invalid(py, "timestamp is out of range"))?),
            None => scheme.has_timestamp().then(hookverify::unix_now),
        };
        let url = convert::opt_str(py, "url", url)?;
        let method = convert::opt_str(py, "method", method)?;
        let body = convert::body(py, body)?;
        let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
        let headers = core(py, signer.sign_request(&body, id.as_deref(), ts, &target))?;
        let out = PyDict::new(py);
        for (name, value) in headers {
            out.set_item(name, value)?;
        }
        Ok(out)
    })
}

/// Panics inside the FFI guard; the test suite checks it surfaces as `internal_error`.
/// Built only with the `test-hooks` feature (never in the published wheel).
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    guard(py, || panic!("deliberate panic for the FFI-boundary test"))
}

/// Test-only fault switch (built only with the `test-hooks` feature): makes the next guarded call
/// panic `"entry"` (as it starts) or `"detached"` (in its next section without the GIL). A no-op
/// returning False unless `HOOKVERIFY_TEST_PANIC=1` was set when the module was imported.
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _panic_next_call_for_tests(at: &str) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    let at = match at {
        "entry" => convert::FAULT_AT_ENTRY,
        "detached" => convert::FAULT_DETACHED,
        _ => return false,
    };
    if !convert::hooks::FAULTS_ENABLED.load(Relaxed) {
        return false;
    }
    convert::hooks::FAULT_NEXT.store(at, Relaxed);
    true
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    #[cfg(feature = "test-hooks")]
    {
        let faults = std::env::var_os("HOOKVERIFY_TEST_PANIC").is_some_and(|v| v == "1");
        convert::hooks::FAULTS_ENABLED.store(faults, std::sync::atomic::Ordering::Relaxed);
        // Plain attributes, not `add_function`: they stay out of `__all__` (and so out of the
        // stub, which describes the published module).
        m.setattr("_panic_for_tests", wrap_pyfunction!(_panic_for_tests, m)?)?;
        m.setattr("_panic_next_call_for_tests", wrap_pyfunction!(_panic_next_call_for_tests, m)?)?;
    }
    m.add("__version__", hookverify::VERSION)?;
    m.add("ERROR_CODES", PyTuple::new(py, ErrorCode::ALL.iter().map(|c| c.as_str()))?)?;
    m.add("HINT_CODES", PyTuple::new(py, hookverify::diagnose::HintCode::ALL.iter().map(|c| c.as_str()))?)?;
    m.add("SCHEMES", PyTuple::new(py, hookverify::scheme::preset_names())?)?;
    m.add("DEFAULT_MAX_BODY_BYTES", hookverify::verify::DEFAULT_MAX_BODY_BYTES)?;
    m.add("DEFAULT_CAPACITY", hookverify::dedup::DEFAULT_CAPACITY)?;
    m.add("DEFAULT_REDIS_PREFIX", hookverify::dedup::DEFAULT_REDIS_PREFIX)?;
    m.add("DEFAULT_REDIS_TIMEOUT", hookverify::dedup::DEFAULT_REDIS_TIMEOUT.as_secs_f64())?;
    m.add("DETACH_ABOVE_BYTES", verifier::DETACH_ABOVE_BYTES)?;
    m.add_class::<verifier::Verifier>()?;
    m.add_class::<verifier::Event>()?;
    m.add_class::<verifier::Verified>()?;
    m.add_class::<pipeline::Pipeline>()?;
    m.add_class::<pipeline::Delivery>()?;
    m.add_class::<pipeline::Store>()?;
    m.add_class::<pipeline::PendingClaim>()?;
    m.add_class::<inbox::Inbox>()?;
    m.add_function(wrap_pyfunction!(pipeline::type_matches, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::select_routes, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::overloaded_decision, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::log_safe, m)?)?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(diagnose::diagnose, m)?)?;
    Ok(())
}
