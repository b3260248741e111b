//! Python values in, core values out (and back): body bytes, headers, arguments, errors.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use hookverify::{Error, Headers, Lookup, Scheme};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyMemoryView, PyString, PyTuple, PyType};

static ERROR_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Whether the fault switch works at all: only when `HOOKVERIFY_TEST_PANIC=1` was set at import.
pub static FAULTS_ENABLED: AtomicBool = AtomicBool::new(false);
/// Where the next guarded call panics (test-only): 0 nowhere, [`FAULT_AT_ENTRY`], [`FAULT_DETACHED`].
pub static FAULT_NEXT: AtomicU8 = AtomicU8::new(0);
/// Panic as the guarded call starts.
pub const FAULT_AT_ENTRY: u8 = 1;
/// Panic inside the section that runs without the GIL (the next one that does).
pub const FAULT_DETACHED: u8 = 2;

fn fault(at: u8) {
    // One relaxed load on the hot path; the switch is never armed outside the test suite.
    if FAULT_NEXT.load(Ordering::Relaxed) == at && FAULT_NEXT.compare_exchange(at, 0, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
        panic!("deliberate panic (HOOKVERIFY_TEST_PANIC fault switch)");
    }
}

/// Runs `f` without the GIL when `release` (big bodies, store I/O), else inline.
pub fn maybe_detach<T: Send>(py: Python<'_>, release: bool, f: impl FnOnce() -> T + Send) -> T {
    let f = || {
        fault(FAULT_DETACHED);
        f()
    };
    if release {
        py.detach(f)
    } else {
        f()
    }
}

/// Runs `f`, turning a panic into an `internal_error` so nothing unwinds into Python.
/// Every entry point that reaches the core goes through here.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let f = || {
        fault(FAULT_AT_ENTRY);
        f()
    };
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(to_py_err(py, &Error::InternalError { reason: format!("a panic was caught at the Python boundary: {what}") }))
    })
}

/// The core error as a `hookverify.HookverifyError(code, message, details)`.
pub fn to_py_err(py: Python<'_>, e: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = ERROR_TYPE.import(py, "hookverify._errors", "HookverifyError")?;
        let details = json_loads(py, &e.details().to_string())?;
        Ok(PyErr::from_value(class.call1((e.code().as_str(), e.to_string(), details))?))
    };
    build().unwrap_or_else(|err| err)
}

/// An `invalid_argument` error.
pub fn invalid(py: Python<'_>, reason: impl Into<String>) -> PyErr {
    to_py_err(py, &Error::InvalidArgument { reason: reason.into() })
}

/// Maps a core result into Python.
pub fn core<T>(py: Python<'_>, r: hookverify::Result<T>) -> PyResult<T> {
    r.map_err(|e| to_py_err(py, &e))
}

/// `json.loads(text)`.
pub fn json_loads(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(JSON_LOADS.import(py, "json", "loads")?.call1((text,))?.unbind())
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// A preset name (or JSON text) or a spec mapping, compiled.
pub fn scheme(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Scheme> {
    if let Ok(s) = obj.cast::<PyString>() {
        return core(py, Scheme::resolve(&s.to_cow()?));
    }
    if obj.cast::<PyDict>().is_ok() || obj.hasattr("keys")? {
        let dict = PyDict::new(py);
        dict.update(obj.cast().map_err(|_| invalid(py, "scheme mapping is not a mapping"))?)?;
        let json = JSON_DUMPS.import(py, "json", "dumps")?.call1((dict,));
        let json = json.map_err(|e| invalid(py, format!("scheme spec is not JSON-serializable: {e}")))?;
        return core(py, Scheme::from_json(&json.cast::<PyString>()?.to_cow()?));
    }
    Err(invalid(py, format!("scheme must be a preset name (str) or a spec dict, got {}", type_name(obj))))
}

/// The raw body: `bytes` is borrowed; `bytearray`/`memoryview` are copied (they may change under us); `str` is UTF-8.
pub fn body<'a>(py: Python<'_>, obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow().map_err(|_| invalid(py, "body str is not encodable as UTF-8 (lone surrogate)"))?;
        return Ok(match text {
            Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
            Cow::Owned(t) => Cow::Owned(t.into_bytes()),
        });
    }
    if obj.cast::<PyMemoryView>().is_ok() {
        let bytes = obj.call_method0("tobytes")?;
        return Ok(Cow::Owned(bytes.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    let hint = if obj.cast::<PyDict>().is_ok() || obj.cast::<PyList>().is_ok() {
        ": the signature covers the exact bytes received, so pass the raw body, e.g. request.get_data(), not request.json"
    } else {
        ""
    };
    Err(invalid(py, format!("body must be bytes, bytearray, memoryview or str, got {}{hint}", type_name(obj))))
}

/// An optional non-negative integer argument.
pub fn uint(py: Python<'_>, name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) if o.cast::<PyInt>().is_ok() && o.cast::<PyBool>().is_err() => {
            o.extract::<u64>().map(Some).map_err(|_| invalid(py, format!("{name} must be a non-negative int")))
        }
        Some(o) => Err(invalid(py, format!("{name} must be an int, got {}", type_name(o)))),
    }
}

/// `now` as unix seconds; `None` reads the system clock.
pub fn now(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
    match obj {
        Some(o) if !o.is_none() => {
            if o.cast::<PyInt>().is_err() || o.cast::<PyBool>().is_ok() {
                return Err(invalid(py, format!("now must be an int (unix seconds) or None, got {}", type_name(o))));
            }
            o.extract::<i64>().map_err(|_| invalid(py, "now is out of range for unix seconds"))
        }
        _ => Ok(hookverify::unix_now()),
    }
}

/// A required `str` argument.
pub fn string(py: Python<'_>, name: &str, o: &Bound<'_, PyAny>) -> PyResult<String> {
    match o.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow().map_err(|_| invalid(py, format!("{name} is not valid UTF-8 (lone surrogate)")))?.into_owned()),
        Err(_) => Err(invalid(py, format!("{name} must be a str, got {}", type_name(o)))),
    }
}

/// An optional `str` argument.
pub fn opt_str(py: Python<'_>, name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match obj {
        Some(o) if !o.is_none() => string(py, name, o).map(Some),
        _ => Ok(None),
    }
}

/// A list or tuple of `str` (a lone `str` is refused: it is not a list of secrets).
pub fn str_list(py: Python<'_>, name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if obj.cast::<PyList>().is_err() && obj.cast::<PyTuple>().is_err() {
        return Err(invalid(py, format!("{name} must be a list of str, got {}", type_name(obj))));
    }
    obj.try_iter()?.map(|item| string(py, &format!("each of {name}"), &item?)).collect()
}

/// Header names lowercased, the form [`pick`] compares against.
pub fn lowercase(names: Vec<&str>) -> Vec<String> {
    names.into_iter().map(str::to_ascii_lowercase).collect()
}

/// The few headers a scheme reads, picked out of a Python mapping or list of pairs.
pub struct Picked<'n> {
    names: &'n [String],
    found: Vec<(usize, Vec<u8>)>,
}

impl Headers for Picked<'_> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        let Some(want) = self.names.iter().position(|n| n.eq_ignore_ascii_case(name)) else { return Lookup::Missing };
        let mut hits = self.found.iter().filter(|(i, _)| *i == want);
        match (hits.next(), hits.count()) {
            (None, _) => Lookup::Missing,
            (Some((_, v)), 0) => Lookup::One(v),
            (Some(_), more) => Lookup::Many(more + 1),
        }
    }
}

/// Reads only the scheme's header names (ASCII case-insensitive) from a Mapping or (name, value) pairs.
pub fn pick<'n>(py: Python<'_>, obj: &Bound<'_, PyAny>, names: &'n [String]) -> PyResult<Picked<'n>> {
    let mut picked = Picked { names, found: Vec::with_capacity(4) };
    if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            picked.offer(py, &k, &v)?;
        }
    } else if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        for item in obj.try_iter()? {
            let item = item?;
            let (k, v) = pair(&item).ok_or_else(|| invalid(py, "headers list items must be (name, value) pairs"))?;
            picked.offer(py, &k, &v)?;
        }
    } else if obj.hasattr("items")? && obj.cast::<PyString>().is_err() {
        // Any Mapping (werkzeug/starlette headers, multidicts): items() yields every instance.
        for item in obj.call_method0("items")?.try_iter()? {
            let item = item?;
            let (k, v) = pair(&item).ok_or_else(|| invalid(py, "headers.items() must yield (name, value) pairs"))?;
            picked.offer(py, &k, &v)?;
        }
    } else {
        return Err(invalid(py, format!("headers must be a Mapping or a list of (name, value) pairs, got {}", type_name(obj))));
    }
    Ok(picked)
}

fn pair<'py>(item: &Bound<'py, PyAny>) -> Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(t) = item.cast::<PyTuple>() {
        return (t.len() == 2).then(|| Some((t.get_item(0).ok()?, t.get_item(1).ok()?))).flatten();
    }
    let l = item.cast::<PyList>().ok()?;
    (l.len() == 2).then(|| Some((l.get_item(0).ok()?, l.get_item(1).ok()?))).flatten()
}

impl Picked<'_> {
    fn offer(&mut self, py: Python<'_>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let Some(index) = self.index_of(py, key)? else { return Ok(()) };
        let bytes = if let Ok(s) = value.cast::<PyString>() {
            match s.to_cow() {
                Ok(t) => t.into_owned().into_bytes(),
                // A lone surrogate becomes the invalid UTF-8 it stands for; the core reports it (malformed_header).
                Err(_) => s.call_method1("encode", ("utf-8", "surrogatepass"))?.cast::<PyBytes>()?.as_bytes().to_vec(),
            }
        } else if let Ok(b) = value.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else {
            let name = &self.names[index];
            return Err(invalid(py, format!("header {name} must be a str or bytes value, got {}", type_name(value))));
        };
        self.found.push((index, bytes));
        Ok(())
    }

    fn index_of(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
        if let Ok(s) = key.cast::<PyString>() {
            // Compared in place, character by character: most request headers are not the
            // scheme's, and the limited API of Python 3.9 has no borrowed UTF-8 view of a str.
            // SAFETY: `s` is a live str; indices stay below its length.
            let len = unsafe { ffi::PyUnicode_GetLength(s.as_ptr()) };
            return Ok(self.names.iter().position(|n| {
                n.len() as isize == len
                    && n.bytes().enumerate().all(|(i, want)| {
                        let c = unsafe { ffi::PyUnicode_ReadChar(s.as_ptr(), i as ffi::Py_ssize_t) };
                        c < 128 && (c as u8).to_ascii_lowercase() == want
                    })
            }));
        }
        if let Ok(b) = key.cast::<PyBytes>() {
            return Ok(self.names.iter().position(|n| n.as_bytes().eq_ignore_ascii_case(b.as_bytes())));
        }
        Err(invalid(py, format!("header names must be str or bytes, got {}", type_name(key))))
    }
}
