//! Python values in, core values out (and back): body bytes, headers, arguments, errors.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use hookverify::{Error, Headers, Lookup, Scheme};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyMemoryView, PyString, PyTuple, PyType};
use pyo3::Borrowed;
use pyo3::PyTypeInfo;

static ERROR_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The deliberate-panic switch of the panic-safety tests. Compiled only with the `test-hooks`
/// feature (scripts/build-python.sh's in-tree build); the published wheel has none of it.
#[cfg(feature = "test-hooks")]
pub mod hooks {
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

    /// Whether the fault switch works at all: only when `HOOKVERIFY_TEST_PANIC=1` was set at import.
    pub static FAULTS_ENABLED: AtomicBool = AtomicBool::new(false);
    /// Where the next guarded call panics: 0 nowhere, [`FAULT_AT_ENTRY`], [`FAULT_DETACHED`].
    pub static FAULT_NEXT: AtomicU8 = AtomicU8::new(0);

    pub(super) fn fault(at: u8) {
        // One relaxed load; the switch is never armed outside the test suite.
        if FAULT_NEXT.load(Ordering::Relaxed) == at && FAULT_NEXT.compare_exchange(at, 0, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            panic!("deliberate panic (HOOKVERIFY_TEST_PANIC fault switch)");
        }
    }
}
/// Panic as the guarded call starts.
pub const FAULT_AT_ENTRY: u8 = 1;
/// Panic inside the section that runs without the GIL (the next one that does).
pub const FAULT_DETACHED: u8 = 2;

/// Panics when the test-only fault switch is armed for `at`; nothing at all without `test-hooks`.
#[inline(always)]
fn fault(#[allow(unused_variables)] at: u8) {
    #[cfg(feature = "test-hooks")]
    hooks::fault(at);
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
        let details = json_loads(py, e.details().to_string())?;
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
pub fn json_loads<'py>(py: Python<'py>, text: impl IntoPyObject<'py>) -> PyResult<Py<PyAny>> {
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
///
/// A borrowed body is always the buffer of `obj` itself, an immutable `bytes` or `str` (its UTF-8
/// form): whoever holds a reference to `obj` may keep pointing into it (see [`Shared`]).
pub fn body<'a>(py: Python<'_>, obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Some(b) = exactly_or_sub::<PyBytes>(obj) {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        if let Some(text) = utf8_in_place(s) {
            return Ok(Cow::Borrowed(text));
        }
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

/// The header names a scheme (or pipeline) reads, lowercased: the form [`Picked`] compares against.
pub struct Names {
    names: Vec<String>,
    /// Per name, its length and ASCII-lowercased first and last bytes: a scan of these small keys
    /// finds the candidate before one case-folding compare confirms it.
    keys: Vec<u32>,
    /// Bit `n` set when some name is `n` bytes long (names of 64+ bytes set bit 63): most request
    /// headers are skipped on their length alone.
    lengths: u64,
}

impl Names {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Names {
        let mut out = Names { names: Vec::new(), keys: Vec::new(), lengths: 0 };
        for n in names {
            let n = n.to_ascii_lowercase();
            if !out.names.contains(&n) {
                out.lengths |= Self::bit(n.len());
                out.keys.push(Self::key(n.as_bytes()));
                out.names.push(n);
            }
        }
        out
    }

    fn bit(len: usize) -> u64 {
        1 << len.min(63)
    }

    fn key(name: &[u8]) -> u32 {
        match (name.first(), name.last()) {
            (Some(a), Some(z)) => {
                (name.len().min(0xffff) as u32) << 16 | (a.to_ascii_lowercase() as u32) << 8 | z.to_ascii_lowercase() as u32
            }
            _ => 0,
        }
    }

    fn may_match(&self, len: usize) -> bool {
        self.lengths & Self::bit(len) != 0
    }

    fn position(&self, name: &[u8]) -> Option<usize> {
        let key = Self::key(name);
        // Most names arrive lowercased (the core's spelling for most schemes, HTTP/2 and ASGI
        // headers): a plain compare settles them; other spellings take the case-folding one.
        (0..self.keys.len())
            .find(|&i| self.keys[i] == key && (self.names[i].as_bytes() == name || self.names[i].as_bytes().eq_ignore_ascii_case(name)))
    }
}

/// Bytes borrowed from an immutable Python object: `len` bytes at `ptr`, inside `owner` (a `str`'s
/// UTF-8 form or a `bytes` buffer). Header values, and an event's payload within its body.
pub struct Shared {
    /// Held for its strong reference: it owns the bytes at `ptr`.
    _owner: Py<PyAny>,
    ptr: *const u8,
    len: usize,
    /// The bytes are a `str`'s UTF-8 form (valid UTF-8: the core need not check it again).
    utf8: bool,
}

// SAFETY: `ptr` points into the buffer of `owner`, an immutable str (its UTF-8 form, which CPython
// keeps until the object is freed) or bytes object; the strong reference keeps it alive and
// unchanged wherever the `Shared` goes, including sections that run without the GIL.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// # Safety
    /// `bytes` must lie in the buffer of `owner`, which must be an immutable `bytes` object or the
    /// UTF-8 form of a `str` (what [`body`] borrows and [`utf8_in_place`] returns).
    pub unsafe fn new(owner: Py<PyAny>, bytes: &[u8]) -> Shared {
        Shared { _owner: owner, ptr: bytes.as_ptr(), len: bytes.len(), utf8: false }
    }

    /// # Safety
    /// `text` must be the UTF-8 form of the `str` `owner` (what [`utf8_in_place`] returns), which
    /// CPython only produces for strings without lone surrogates: valid UTF-8.
    pub unsafe fn new_text(owner: Py<PyAny>, text: &[u8]) -> Shared {
        Shared { _owner: owner, ptr: text.as_ptr(), len: text.len(), utf8: true }
    }

    /// This value as the core's single-value lookup: text when it came from a `str`.
    fn as_lookup(&self) -> Lookup<'_> {
        if self.utf8 {
            // SAFETY: `new_text`'s contract: the UTF-8 form of a str is valid UTF-8.
            Lookup::Text(unsafe { std::str::from_utf8_unchecked(self.bytes()) })
        } else {
            Lookup::One(self.bytes())
        }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: see the `Send` impl: the buffer lives as long as `owner`, which `self` holds.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The `str` this is the whole UTF-8 form of, when `text` is exactly these bytes (same place).
    fn str_if_whole<'py>(&self, py: Python<'py>, text: &str) -> Option<&Bound<'py, PyString>> {
        let whole = self.utf8 && self.ptr == text.as_ptr() && self.len == text.len();
        // Exactly str: a subclass instance must not come back out as the result's plain str.
        whole.then(|| self._owner.bind(py).cast_exact::<PyString>().ok()).flatten()
    }
}

/// Per scheme header name: how many instances the request has, and the first one's value.
#[derive(Default)]
struct Slot {
    count: usize,
    first: Option<Shared>,
}

/// Slots kept inline (no allocation per call); pipelines and diagnose with more names spill the rest.
const INLINE_SLOTS: usize = 8;

/// The few headers a scheme reads, picked out of a Python mapping or list of pairs.
/// Values are borrowed from the Python objects (held by strong reference), never copied.
pub struct Picked<'n> {
    names: &'n Names,
    inline: [Slot; INLINE_SLOTS],
    spill: Vec<Slot>,
}

impl Picked<'_> {
    fn slot(&self, i: usize) -> &Slot {
        if i < INLINE_SLOTS {
            &self.inline[i]
        } else {
            &self.spill[i - INLINE_SLOTS]
        }
    }

    fn slot_mut(&mut self, i: usize) -> &mut Slot {
        if i < INLINE_SLOTS {
            &mut self.inline[i]
        } else {
            &mut self.spill[i - INLINE_SLOTS]
        }
    }
}

impl Headers for Picked<'_> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        let Some(slot) = self.names.position(name.as_bytes()).map(|i| self.slot(i)) else { return Lookup::Missing };
        match (slot.count, &slot.first) {
            (1, Some(v)) => v.as_lookup(),
            (0, _) | (_, None) => Lookup::Missing,
            (n, _) => Lookup::Many(n),
        }
    }
}

impl<'n> Picked<'n> {
    /// `text` (a value the core read from these headers) as a Python str: the header's own str
    /// object when `text` is all of it (no copy, the common case), else a new one.
    pub fn to_py_str(&self, py: Python<'_>, text: &str) -> Py<PyString> {
        let mut firsts = self.inline.iter().chain(&self.spill).filter_map(|s| s.first.as_ref());
        match firsts.find_map(|v| v.str_if_whole(py, text)) {
            Some(s) => s.clone().unbind(),
            None => PyString::new(py, text).unbind(),
        }
    }

    /// Nothing picked yet; [`Picked::read`] fills it in place (the struct is a few hundred bytes).
    pub fn new(names: &'n Names) -> Picked<'n> {
        let spill = (INLINE_SLOTS..names.names.len()).map(|_| Slot::default()).collect();
        Picked { names, inline: Default::default(), spill }
    }

    /// Reads only the scheme's header names (ASCII case-insensitive) from a Mapping or (name, value) pairs.
    pub fn read(&mut self, py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Some(d) = exactly_or_sub::<PyDict>(obj) {
            let (mut pos, mut key, mut value) = (0, std::ptr::null_mut(), std::ptr::null_mut());
            // SAFETY: the GIL is held and `d` is a live dict. PyDict_Next hands out borrowed
            // references that stay valid until the dict changes; nothing here runs Python code
            // before a reference is used, and `offer` takes a strong reference to every value it
            // keeps before it calls into Python (the rare encode() path).
            while unsafe { ffi::PyDict_Next(d.as_ptr(), &mut pos, &mut key, &mut value) } != 0 {
                let (k, v) = unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, value)) };
                self.offer(py, &k, &v)?;
            }
        } else if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
            for item in obj.try_iter()? {
                let item = item?;
                let (k, v) = pair(&item).ok_or_else(|| invalid(py, "headers list items must be (name, value) pairs"))?;
                self.offer(py, &k, &v)?;
            }
        } else if let Some(environ) = werkzeug_environ(py, obj)? {
            // Flask's `request.headers`: its items() builds every header name in Python; the WSGI
            // environ it wraps is a dict, read the same way here (or by items() if it looks unusual).
            if !self.read_environ(py, &environ)? {
                self.clear();
                self.read_items(py, obj)?;
            }
        } else if obj.hasattr("items")? && obj.cast::<PyString>().is_err() {
            self.read_items(py, obj)?;
        } else {
            // A body where the headers go: most likely the (headers, body) order of hookverify 0.1.0.
            let body_like = obj.cast::<PyBytes>().is_ok()
                || obj.cast::<PyByteArray>().is_ok()
                || obj.cast::<PyMemoryView>().is_ok()
                || obj.cast::<PyString>().is_ok();
            let hint = if body_like { " (arguments are body, then headers)" } else { "" };
            return Err(invalid(py, format!("headers must be a Mapping or a list of (name, value) pairs, got {}{hint}", type_name(obj))));
        }
        Ok(())
    }

    /// Any Mapping (werkzeug/starlette headers, multidicts): items() yields every instance.
    fn read_items(&mut self, py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        for item in obj.call_method0("items")?.try_iter()? {
            let item = item?;
            let (k, v) = pair(&item).ok_or_else(|| invalid(py, "headers.items() must yield (name, value) pairs"))?;
            self.offer(py, &k, &v)?;
        }
        Ok(())
    }

    /// What werkzeug's `EnvironHeaders.__iter__` yields, read from the environ dict: `HTTP_X_Y` is
    /// header `X-Y` (`_` read as `-`; `HTTP_CONTENT_TYPE`/`_LENGTH` skipped), non-empty
    /// `CONTENT_TYPE`/`CONTENT_LENGTH` are `Content-Type`/`Content-Length`. False (some slots may
    /// be filled) when a key is not an ASCII str or a wanted value is not a str: the caller then
    /// clears and asks items(), so anything unusual behaves exactly as werkzeug's own iteration.
    fn read_environ(&mut self, py: Python<'_>, environ: &Bound<'_, PyDict>) -> PyResult<bool> {
        let mut buf = [0u8; 64];
        let (mut pos, mut key, mut value) = (0, std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: as in `read`: borrowed references from a live dict, used before any Python code
        // runs; `offer_value` takes a strong reference to a value before it may call into Python.
        while unsafe { ffi::PyDict_Next(environ.as_ptr(), &mut pos, &mut key, &mut value) } != 0 {
            let (k, v) = unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, value)) };
            let Ok(k) = k.cast::<PyString>() else { return Ok(false) };
            let Some(text) = utf8_in_place(&k) else { return Ok(false) };
            let name: &[u8] = if let Some(rest) = text.strip_prefix(b"HTTP_") {
                if !rest.is_ascii() || rest.len() > buf.len() {
                    return Ok(false);
                }
                if !self.names.may_match(rest.len()) || rest == b"CONTENT_TYPE" || rest == b"CONTENT_LENGTH" {
                    continue;
                }
                for (out, b) in buf.iter_mut().zip(rest) {
                    *out = if *b == b'_' { b'-' } else { *b };
                }
                &buf[..rest.len()]
            } else if text == b"CONTENT_TYPE" || text == b"CONTENT_LENGTH" {
                match v.cast::<PyString>() {
                    // SAFETY: `s` is a live str.
                    Ok(s) if unsafe { ffi::PyUnicode_GetLength(s.as_ptr()) } == 0 => continue,
                    Ok(_) => {}
                    Err(_) => return Ok(false),
                }
                if text == b"CONTENT_TYPE" {
                    b"content-type"
                } else {
                    b"content-length"
                }
            } else {
                continue;
            };
            let Some(index) = self.names.position(name) else { continue };
            if v.cast::<PyString>().is_err() {
                return Ok(false);
            }
            self.offer_value(py, index, &v)?;
        }
        Ok(true)
    }

    fn clear(&mut self) {
        self.inline.iter_mut().chain(self.spill.iter_mut()).for_each(|s| *s = Slot::default());
    }
}

/// `werkzeug.datastructures.EnvironHeaders` (exactly that type: a subclass may iterate otherwise),
/// looked up once werkzeug has been imported by someone else; never imported from here.
static ENVIRON_HEADERS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The environ dict behind a werkzeug `EnvironHeaders`, or None for any other object.
fn werkzeug_environ<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyDict>>> {
    let ty = match ENVIRON_HEADERS.get(py) {
        Some(ty) => ty.bind(py),
        None => {
            let name = pyo3::intern!(py, "werkzeug.datastructures");
            // SAFETY: the GIL is held; returns a new reference, or NULL (not imported, or an error).
            let module = unsafe { ffi::PyImport_GetModule(name.as_ptr()) };
            if module.is_null() {
                // SAFETY: the GIL is held; a failed lookup must not leave an exception set.
                unsafe { ffi::PyErr_Clear() };
                return Ok(None);
            }
            // SAFETY: a new (owned) reference returned just above.
            let module = unsafe { Bound::from_owned_ptr(py, module) };
            let Ok(ty) = module.getattr("EnvironHeaders").and_then(|t| Ok(t.cast_into::<PyType>()?)) else { return Ok(None) };
            ENVIRON_HEADERS.get_or_init(py, || ty.unbind()).bind(py)
        }
    };
    if !obj.get_type().is(ty) {
        return Ok(None);
    }
    Ok(obj.getattr(pyo3::intern!(py, "environ"))?.cast_into_exact::<PyDict>().ok())
}

fn pair<'py>(item: &Bound<'py, PyAny>) -> Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(t) = item.cast::<PyTuple>() {
        return (t.len() == 2).then(|| Some((t.get_item(0).ok()?, t.get_item(1).ok()?))).flatten();
    }
    let l = item.cast::<PyList>().ok()?;
    (l.len() == 2).then(|| Some((l.get_item(0).ok()?, l.get_item(1).ok()?))).flatten()
}

/// `obj` as a `T` or subclass instance. The exact type is checked first, inline: under the limited
/// API the subclass check is a call into CPython, and hot paths mostly see exact str/bytes/dict.
fn exactly_or_sub<'a, 'py, T: PyTypeInfo>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, T>> {
    obj.cast_exact::<T>().or_else(|_| obj.cast::<T>()).ok()
}

/// The UTF-8 form of `s` without a copy (CPython keeps it with the object: for ASCII, the str's own
/// data), or None for a lone surrogate (error cleared).
fn utf8_in_place<'a>(s: &'a Bound<'_, PyString>) -> Option<&'a [u8]> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str; the returned buffer belongs to it and lives while it does.
    // (`PyUnicode_AsUTF8AndSize` is in the stable ABI from 3.10, the wheel's floor.)
    let ptr = unsafe { ffi::PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len) };
    if ptr.is_null() {
        // SAFETY: the GIL is held (we hold a Bound); drops the UnicodeEncodeError just raised.
        unsafe { ffi::PyErr_Clear() };
        return None;
    }
    // SAFETY: CPython guarantees `len` bytes at `ptr`, owned by `s`.
    Some(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) })
}

impl Picked<'_> {
    fn offer(&mut self, py: Python<'_>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let Some(index) = self.index_of(py, key)? else { return Ok(()) };
        self.offer_value(py, index, value)
    }

    /// Counts one instance of name `index`, keeping the first value (a str or bytes, borrowed).
    fn offer_value(&mut self, py: Python<'_>, index: usize, value: &Bound<'_, PyAny>) -> PyResult<()> {
        // Each branch takes its strong reference (the one the slot keeps) before anything in it may
        // run Python code: `value` may be a borrowed reference out of a dict.
        let value = if let Some(s) = exactly_or_sub::<PyString>(value) {
            match utf8_in_place(s) {
                // SAFETY: `text` is the UTF-8 form of `s`.
                Some(text) => unsafe { Shared::new_text(s.clone().into_any().unbind(), text) },
                // A lone surrogate becomes the invalid UTF-8 it stands for; the core reports it (malformed_header).
                None => {
                    let s = s.clone();
                    let b = s.call_method1("encode", ("utf-8", "surrogatepass"))?.cast_into::<PyBytes>()?;
                    // SAFETY: the buffer of the bytes object `b`.
                    unsafe { Shared::new(b.clone().into_any().unbind(), b.as_bytes()) }
                }
            }
        } else if let Some(b) = exactly_or_sub::<PyBytes>(value) {
            // SAFETY: the buffer of the bytes object `b`.
            unsafe { Shared::new(b.clone().into_any().unbind(), b.as_bytes()) }
        } else {
            let value = value.clone();
            let name = &self.names.names[index];
            return Err(invalid(py, format!("header {name} must be a str or bytes value, got {}", type_name(&value))));
        };
        let slot = self.slot_mut(index);
        slot.count += 1;
        if slot.first.is_none() {
            slot.first = Some(value);
        }
        Ok(())
    }

    fn index_of(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
        if let Some(s) = exactly_or_sub::<PyString>(key) {
            // Most request headers are not the scheme's: the length rules them out before any text
            // is compared. (An ASCII str's UTF-8 form is its own data: one call, no copy.)
            if let Some(text) = utf8_in_place(s) {
                return Ok(if self.names.may_match(text.len()) { self.names.position(text) } else { None });
            }
            // SAFETY: `s` is a live str.
            let len = unsafe { ffi::PyUnicode_GetLength(s.as_ptr()) };
            if len < 0 || !self.names.may_match(len as usize) {
                return Ok(None);
            }
            // Character by character (lone surrogates, or no borrowed UTF-8 view on this platform).
            return Ok(self.names.names.iter().position(|n| {
                n.len() as isize == len
                    && n.bytes().enumerate().all(|(i, want)| {
                        // SAFETY: `s` is a live str; indices stay below its length.
                        let c = unsafe { ffi::PyUnicode_ReadChar(s.as_ptr(), i as ffi::Py_ssize_t) };
                        c < 128 && (c as u8).to_ascii_lowercase() == want
                    })
            }));
        }
        if let Some(b) = exactly_or_sub::<PyBytes>(key) {
            return Ok(self.names.position(b.as_bytes()));
        }
        Err(invalid(py, format!("header names must be str or bytes, got {}", type_name(key))))
    }
}
