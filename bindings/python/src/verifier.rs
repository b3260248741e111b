//! `Verifier`, and the `Event` / `Verified` results it returns.

use hookverify::{Secret, Verifier as CoreVerifier};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyList, PyString, PyTuple};

use crate::convert::{self, core, guard, invalid};

/// Bodies above this are hashed with the GIL released; smaller ones are faster without the round trip.
pub const DETACH_ABOVE_BYTES: usize = 64 * 1024;

/// Verifies webhook requests of one scheme against one or more live secrets.
#[pyclass(frozen, module = "hookverify._native")]
pub struct Verifier {
    pub(crate) inner: CoreVerifier,
    /// The lowercased header names the scheme reads; nothing else is taken from the mapping.
    names: convert::Names,
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(signature = (*, scheme, secret=None, secrets=None, tolerance=None, max_body_bytes=None, dangerously_skip_timestamp_check=None))]
    #[pyo3(text_signature = "(*, scheme, secret=None, secrets=None, tolerance=None, max_body_bytes=None, dangerously_skip_timestamp_check=False)")]
    fn new(
        py: Python<'_>,
        scheme: &Bound<'_, PyAny>,
        secret: Option<&Bound<'_, PyAny>>,
        secrets: Option<&Bound<'_, PyAny>>,
        tolerance: Option<&Bound<'_, PyAny>>,
        max_body_bytes: Option<&Bound<'_, PyAny>>,
        dangerously_skip_timestamp_check: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let scheme = convert::scheme(py, scheme)?;
            let names = convert::Names::new(scheme.header_names());
            let mut builder = CoreVerifier::builder(scheme);
            let given = |o: Option<&Bound<'_, PyAny>>| o.is_some_and(|o| !o.is_none());
            if given(secret) && given(secrets) {
                return Err(invalid(py, "give either secret= or secrets=, not both"));
            }
            let list: Vec<Bound<'_, PyAny>> = match (secret, secrets) {
                (Some(s), _) if !s.is_none() => vec![s.clone()],
                (_, Some(l)) if l.cast::<PyList>().is_ok() || l.cast::<PyTuple>().is_ok() => {
                    l.try_iter()?.collect::<PyResult<_>>()?
                }
                (_, Some(l)) if !l.is_none() => return Err(invalid(py, "secrets must be a list of str")),
                _ => Vec::new(),
            };
            for s in &list {
                builder = if let Ok(text) = s.cast::<PyString>() {
                    builder.secret(&text.to_cow()?)
                } else if let Ok(raw) = s.cast::<PyBytes>() {
                    builder.secret_key(core(py, Secret::from_bytes(raw.as_bytes()))?)
                } else {
                    return Err(invalid(py, "each secret must be a str (or raw key bytes)"));
                };
            }
            if let Some(t) = convert::uint(py, "tolerance", tolerance)? {
                builder = builder.tolerance_seconds(t);
            }
            if let Some(m) = convert::uint(py, "max_body_bytes", max_body_bytes)? {
                let m = usize::try_from(m).map_err(|_| invalid(py, "max_body_bytes is too large"))?;
                builder = builder.max_body_bytes(m);
            }
            match dangerously_skip_timestamp_check {
                Some(flag) if flag.cast::<PyBool>().is_ok() && flag.is_truthy()? => {
                    builder = builder.dangerously_skip_timestamp_check();
                }
                Some(flag) if flag.cast::<PyBool>().is_ok() => {}
                Some(flag) if !flag.is_none() => return Err(invalid(py, "dangerously_skip_timestamp_check must be a bool")),
                _ => {}
            }
            Ok(Verifier { inner: core(py, builder.build())?, names })
        })
    }

    /// Verifies the signature, then parses the event envelope.
    #[pyo3(signature = (body, headers, now=None))]
    fn verify(&self, py: Python<'_>, body: &Bound<'_, PyAny>, headers: &Bound<'_, PyAny>, now: Option<&Bound<'_, PyAny>>) -> PyResult<Event> {
        guard(py, || {
            let now = convert::now(py, now)?;
            let headers = convert::pick(py, headers, &self.names)?;
            let body = convert::body(py, body)?;
            let v = &self.inner;
            let event = convert::maybe_detach(py, body.len() > DETACH_ABOVE_BYTES, || v.verify_at(&headers, &body, now));
            Ok(Event::from(core(py, event)?))
        })
    }

    /// Checks only the signature and replay window (for bodies that are not JSON envelopes).
    #[pyo3(signature = (body, headers, now=None))]
    fn verify_signature(&self, py: Python<'_>, body: &Bound<'_, PyAny>, headers: &Bound<'_, PyAny>, now: Option<&Bound<'_, PyAny>>) -> PyResult<Verified> {
        guard(py, || {
            let now = convert::now(py, now)?;
            let headers = convert::pick(py, headers, &self.names)?;
            let body = convert::body(py, body)?;
            let v = &self.inner;
            let verified = convert::maybe_detach(py, body.len() > DETACH_ABOVE_BYTES, || v.verify_signature_at(&headers, &body, now));
            let r = core(py, verified)?;
            Ok(Verified { key_index: r.key_index, timestamp: r.timestamp, message_id: r.message_id.map(str::to_owned) })
        })
    }

    /// The scheme's name.
    #[getter]
    fn scheme(&self) -> &str {
        self.inner.scheme().name()
    }

    /// The effective replay window in seconds (None: no timestamp, or the check is disabled).
    #[getter]
    fn tolerance(&self) -> Option<u64> {
        self.inner.tolerance_seconds()
    }

    /// The body-size cap in bytes.
    #[getter]
    fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes()
    }

    /// How many live secrets are configured.
    #[getter]
    fn secret_count(&self) -> usize {
        self.inner.secret_count()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let name = PyString::new(py, self.inner.scheme().name()).repr()?;
        Ok(format!("Verifier(scheme={name}, secrets=[REDACTED x{}])", self.inner.secret_count()))
    }
}

/// A verified, parsed webhook event.
///
/// Holds the core's event as it came (no copy of the payload); `data_json` and `data` build their
/// Python objects on first access and cache them.
#[pyclass(frozen, freelist = 8, module = "hookverify._native")]
pub struct Event {
    inner: hookverify::Event,
    data_json: PyOnceLock<Py<PyString>>,
    data: PyOnceLock<Py<PyAny>>,
}

impl From<hookverify::Event> for Event {
    fn from(inner: hookverify::Event) -> Event {
        Event { inner, data_json: PyOnceLock::new(), data: PyOnceLock::new() }
    }
}

#[pymethods]
impl Event {
    /// The event id.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }

    /// The event type.
    #[getter]
    #[pyo3(name = "type")]
    fn event_type(&self) -> &str {
        &self.inner.event_type
    }

    /// When the event happened (unix seconds), if known.
    #[getter]
    fn timestamp(&self) -> Option<i64> {
        self.inner.timestamp
    }

    /// Index of the secret that matched.
    #[getter]
    fn key_index(&self) -> usize {
        self.inner.key_index
    }

    /// The payload as JSON text, exactly as received (built on first access, then cached).
    #[getter]
    fn data_json(&self, py: Python<'_>) -> Py<PyString> {
        self.data_json.get_or_init(py, || PyString::new(py, self.inner.data_json()).unbind()).clone_ref(py)
    }

    /// The payload parsed with `json.loads` on first access, then cached.
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let text = self.data_json(py);
        Ok(self.data.get_or_try_init(py, || convert::json_loads(py, text.bind(py)))?.clone_ref(py))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let e = &self.inner;
        let (id, ty) = (PyString::new(py, &e.id).repr()?, PyString::new(py, &e.event_type).repr()?);
        let ts = e.timestamp.map_or("None".into(), |t| t.to_string());
        Ok(format!("Event(id={id}, type={ty}, timestamp={ts}, key_index={})", e.key_index))
    }
}

/// What a signature-only check established.
#[pyclass(frozen, freelist = 8, module = "hookverify._native")]
pub struct Verified {
    /// Index of the secret that matched.
    #[pyo3(get)]
    key_index: usize,
    /// The signed timestamp, when the scheme has one.
    #[pyo3(get)]
    timestamp: Option<i64>,
    /// The signed message id, when the scheme has one.
    #[pyo3(get)]
    message_id: Option<String>,
}

#[pymethods]
impl Verified {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let id = match &self.message_id {
            Some(m) => PyString::new(py, m).repr()?.to_string(),
            None => "None".into(),
        };
        let ts = self.timestamp.map_or("None".into(), |t| t.to_string());
        Ok(format!("Verified(key_index={}, timestamp={ts}, message_id={id})", self.key_index))
    }
}
