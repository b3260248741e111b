//! `Verifier`, and the `Event` / `Verified` results it returns.

use std::borrow::Cow;
use std::ops::Range;

use hookverify::{Secret, Verifier as CoreVerifier};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyList, PyString, PyTuple};

use crate::convert::{self, core, guard, invalid, Shared};

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
    #[pyo3(signature = (*, scheme, secret=None, secrets=None, tolerance=None, max_body_bytes=None, dangerously_skip_timestamp_check=None, max_event_age=None, url=None, method=None, public_keys=None))]
    #[pyo3(
        text_signature = "(*, scheme, secret=None, secrets=None, tolerance=None, max_body_bytes=None, dangerously_skip_timestamp_check=False, max_event_age=None, url=None, method=None, public_keys=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        scheme: &Bound<'_, PyAny>,
        secret: Option<&Bound<'_, PyAny>>,
        secrets: Option<&Bound<'_, PyAny>>,
        tolerance: Option<&Bound<'_, PyAny>>,
        max_body_bytes: Option<&Bound<'_, PyAny>>,
        dangerously_skip_timestamp_check: Option<&Bound<'_, PyAny>>,
        max_event_age: Option<&Bound<'_, PyAny>>,
        url: Option<&Bound<'_, PyAny>>,
        method: Option<&Bound<'_, PyAny>>,
        public_keys: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let scheme = convert::scheme(py, scheme)?;
            let names = convert::Names::new(scheme.header_names());
            let mut builder = CoreVerifier::builder(scheme.clone());
            let given = |o: Option<&Bound<'_, PyAny>>| o.is_some_and(|o| !o.is_none());
            if given(secret) && given(secrets) {
                return Err(invalid(py, "give either secret= or secrets=, not both"));
            }
            let list: Vec<Bound<'_, PyAny>> = match (secret, secrets) {
                (Some(s), _) if !s.is_none() => vec![s.clone()],
                (_, Some(l)) if !l.is_none() => secret_items(py, l)?,
                _ => Vec::new(),
            };
            for s in &list {
                builder = builder.secret_key(secret_of(py, &scheme, s)?);
            }
            let tolerance = convert::uint(py, "tolerance", tolerance)?;
            let max_body = convert::uint(py, "max_body_bytes", max_body_bytes)?;
            let max_body = max_body.map(usize::try_from).transpose().map_err(|_| invalid(py, "max_body_bytes is too large"))?;
            let skip = match dangerously_skip_timestamp_check {
                Some(flag) if flag.cast::<PyBool>().is_ok() => flag.is_truthy()?,
                Some(flag) if !flag.is_none() => return Err(invalid(py, "dangerously_skip_timestamp_check must be a bool")),
                _ => false,
            };
            let age = convert::uint(py, "max_event_age", max_event_age)?;
            builder = builder.options(tolerance, max_body, skip, age);
            if let Some(keys) = public_keys.filter(|k| !k.is_none()) {
                let keys: Vec<String> = keys
                    .extract()
                    .map_err(|_| invalid(py, "public_keys must be a list of strings (hex, whpk_…, base64 DER or PEM keys)"))?;
                builder = builder.public_keys(keys);
            }
            if let Some(url) = convert::opt_str(py, "url", url)? {
                builder = builder.url(url);
            }
            if let Some(method) = convert::opt_str(py, "method", method)? {
                builder = builder.method(method);
            }
            Ok(Verifier { inner: core(py, builder.build())?, names })
        })
    }

    /// Verifies the signature, then parses the event envelope. `url` / `method`: the URL the
    /// sender called and the method, for schemes that sign them.
    #[pyo3(signature = (body, headers, now=None, *, url=None, method=None))]
    fn verify(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        url: Option<&Bound<'_, PyAny>>,
        method: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Event> {
        guard(py, || {
            let now = convert::now(py, now)?;
            let (url, method) = (convert::opt_str(py, "url", url)?, convert::opt_str(py, "method", method)?);
            let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
            let mut picked = convert::Picked::new(&self.names);
            picked.read(py, headers)?;
            let obj = body;
            let body = convert::body(py, obj)?;
            let v = &self.inner;
            let event =
                core(py, convert::maybe_detach(py, body.len() > DETACH_ABOVE_BYTES, || v.verify_ref_with(&body, &picked, now, &target)))?;
            Ok(Event::over_body(event.into_meta(), obj, body))
        })
    }

    /// Checks only the signature and replay window (for bodies that are not JSON envelopes);
    /// `url` / `method` as for `verify`.
    #[pyo3(signature = (body, headers, now=None, *, url=None, method=None))]
    fn verify_signature(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        url: Option<&Bound<'_, PyAny>>,
        method: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Verified> {
        guard(py, || {
            let now = convert::now(py, now)?;
            let (url, method) = (convert::opt_str(py, "url", url)?, convert::opt_str(py, "method", method)?);
            let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
            let mut picked = convert::Picked::new(&self.names);
            picked.read(py, headers)?;
            let body = convert::body(py, body)?;
            let v = &self.inner;
            let verified =
                convert::maybe_detach(py, body.len() > DETACH_ABOVE_BYTES, || v.verify_signature_with(&body, &picked, now, &target));
            let r = core(py, verified)?;
            Ok(Verified { key_index: r.key_index, timestamp: r.timestamp, message_id: r.message_id.map(|m| picked.to_py_str(py, m)) })
        })
    }

    /// Replaces the live secrets (str, or raw key bytes) atomically: a verification uses the old
    /// set or the new one, never a mix. Validated as the constructor does; on error the old ones
    /// stay. Providers built on this verifier (and receivers using them) share the change.
    fn set_secrets(&self, py: Python<'_>, secrets: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let keys = secret_items(py, secrets)?.iter().map(|s| secret_of(py, self.inner.scheme(), s)).collect::<PyResult<Vec<_>>>()?;
            core(py, self.inner.set_secret_keys(&keys))
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

    /// The oldest accepted event in seconds, by its signed timestamp (None: no limit).
    #[getter]
    fn max_event_age(&self) -> Option<u64> {
        self.inner.max_event_age()
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

/// The items of a `secrets` argument: a list or tuple (a lone str is not a list of secrets).
fn secret_items<'py>(py: Python<'py>, list: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if list.cast::<PyList>().is_err() && list.cast::<PyTuple>().is_err() {
        return Err(invalid(py, "secrets must be a list of str"));
    }
    list.try_iter()?.collect()
}

/// One secret: a str decoded as `scheme` says (core `Scheme::parse_secret`), or raw key bytes;
/// what the constructor and `set_secrets` both take.
fn secret_of(py: Python<'_>, scheme: &hookverify::Scheme, s: &Bound<'_, PyAny>) -> PyResult<Secret> {
    if let Ok(text) = s.cast::<PyString>() {
        core(py, scheme.parse_secret(&text.to_cow()?))
    } else if let Ok(raw) = s.cast::<PyBytes>() {
        core(py, Secret::from_bytes(raw.as_bytes()))
    } else {
        Err(invalid(py, "each secret must be a str (or raw key bytes)"))
    }
}

/// Where an event's payload JSON text lives.
enum Payload {
    /// A slice of the caller's body (`bytes`, or a `str`'s UTF-8 form), held by reference: no copy.
    Shared(Shared),
    /// A slice of the binding's copy of a mutable body (`bytearray`, `memoryview`).
    Owned(Vec<u8>, Range<usize>),
    /// No payload in the envelope: its JSON is `null`.
    Null,
}

/// A verified, parsed webhook event.
///
/// The payload's JSON text is not copied out of the body: `data_json` builds its str on first
/// access and `data` parses it once; both are cached.
#[pyclass(frozen, freelist = 8, module = "hookverify._native")]
pub struct Event {
    id: String,
    event_type: String,
    timestamp: Option<i64>,
    key_index: usize,
    payload: Payload,
    data_json: PyOnceLock<Py<PyString>>,
    data: PyOnceLock<Py<PyAny>>,
}

impl Event {
    /// The event of `meta`, its payload read from `body` (what `convert::body` made of `obj`, the
    /// body it was parsed from) without copying it: a slice of the caller's immutable body, or of
    /// our copy of a mutable one.
    pub(crate) fn over_body(meta: hookverify::EventMeta, obj: &Bound<'_, PyAny>, body: Cow<'_, [u8]>) -> Event {
        let payload = match (meta.data_range(), body) {
            (None, _) => Payload::Null,
            // SAFETY: a borrowed body is the buffer of `obj`, an immutable bytes or str (see `convert::body`).
            (Some(r), Cow::Borrowed(b)) => Payload::Shared(unsafe { Shared::new(obj.clone().unbind(), &b[r]) }),
            (Some(r), Cow::Owned(b)) => Payload::Owned(b, r),
        };
        let hookverify::EventMeta { id, event_type, timestamp, key_index, .. } = meta;
        Event { id, event_type, timestamp, key_index, payload, data_json: PyOnceLock::new(), data: PyOnceLock::new() }
    }
}

#[pymethods]
impl Event {
    /// The event id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// The event type.
    #[getter]
    #[pyo3(name = "type")]
    fn event_type(&self) -> &str {
        &self.event_type
    }

    /// When the event happened (unix seconds), if known.
    #[getter]
    fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// Index of the secret that matched.
    #[getter]
    fn key_index(&self) -> usize {
        self.key_index
    }

    /// The payload as JSON text, exactly as received (built on first access, then cached).
    #[getter]
    fn data_json(&self, py: Python<'_>) -> PyResult<Py<PyString>> {
        let text = self.data_json.get_or_try_init(py, || {
            let raw = match &self.payload {
                Payload::Shared(s) => s.bytes(),
                Payload::Owned(body, range) => &body[range.clone()],
                Payload::Null => b"null",
            };
            // The core handed out this range as a str slice of the body; checked again all the same.
            let text = std::str::from_utf8(raw).map_err(|_| invalid(py, "event payload is not UTF-8"))?;
            PyResult::Ok(PyString::new(py, text).unbind())
        })?;
        Ok(text.clone_ref(py))
    }

    /// The payload parsed with `json.loads` on first access, then cached.
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let text = self.data_json(py)?;
        Ok(self.data.get_or_try_init(py, || convert::json_loads(py, text.bind(py)))?.clone_ref(py))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let e = self;
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
    /// (The header's own str object when the id is its whole value: no copy.)
    #[pyo3(get)]
    message_id: Option<Py<PyString>>,
}

#[pymethods]
impl Verified {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let id = match &self.message_id {
            Some(m) => m.bind(py).repr()?.to_string(),
            None => "None".into(),
        };
        let ts = self.timestamp.map_or("None".into(), |t| t.to_string());
        Ok(format!("Verified(key_index={}, timestamp={ts}, message_id={id})", self.key_index))
    }
}
