//! The per-request calls (`verifySignatureFast`, `verifyFast`, `beginFast`, `finishFast`) as free
//! functions over an object id, with each picked header value as its own argument.
//!
//! Why not methods taking `&self` and one packed string: napi-rs registers every `&self` borrow in a
//! global mutex-guarded map and allocates each `String` argument, which was about a third of
//! `verifySignature` at 1 KiB. Here an id indexes a thread-local table (objects are per JS thread,
//! like the napi env), and the path and header values are copied into one reused scratch buffer.
//! They are plain napi callbacks, not `#[napi]` functions (see "The napi glue" below).

// napi-derive registers exports only under `cfg(not(test))`, so in the (test-less) test build the
// exported functions and everything only they reach look dead; the normal build still checks it.
#![cfg_attr(test, allow(dead_code))]

use std::cell::RefCell;
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use hookverify::{Lookup, Verifier};
use napi::bindgen_prelude::*;
use napi::{sys, JsError};
use napi_derive::napi;

use crate::packed::{event_fields, pack, recycle, Picked};
use crate::pipeline::Shared;
use crate::{guard, invalid, panic_error, shield, throw};

/// The most header values the fast calls take (JS uses the packed-string methods beyond).
const MAX_VALUES: usize = 8;

/// What an object's `fastId` getter answers: its `id`, or -1 when the fast calls cannot serve it
/// (it reads more header names than they take values for).
pub(crate) fn usable_id(id: u32, names: &[String]) -> i64 {
    if names.len() <= MAX_VALUES {
        id.into()
    } else {
        -1
    }
}

/// A verifier and the lowercase header names JS picks values for, in order.
pub(crate) struct VerifierState {
    pub(crate) inner: Verifier,
    pub(crate) names: Vec<String>,
}

enum Live {
    Verifier(Arc<VerifierState>),
    Receiver(Arc<Shared>),
}

thread_local! {
    /// Objects the fast calls can reach, by id (`None`: freed). Ids are reused after a drop.
    static LIVE: RefCell<Vec<Option<Live>>> = const { RefCell::new(Vec::new()) };
    /// Header values of the current call, back to back (kept to avoid an allocation per call).
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn register(live: Live) -> u32 {
    LIVE.with(|t| {
        let mut t = t.borrow_mut();
        let id = t.iter().position(Option::is_none).unwrap_or_else(|| {
            t.push(None);
            t.len() - 1
        });
        t[id] = Some(live);
        id as u32
    })
}

pub(crate) fn register_verifier(v: Arc<VerifierState>) -> u32 {
    register(Live::Verifier(v))
}

pub(crate) fn register_receiver(r: Arc<Shared>) -> u32 {
    register(Live::Receiver(r))
}

/// Forgets an id (from the owning napi object's `Drop`, which runs on the JS thread).
pub(crate) fn unregister(id: u32) {
    // During thread teardown the table may be gone already: nothing left to free then.
    let _ = LIVE.try_with(|t| {
        if let Some(slot) = t.borrow_mut().get_mut(id as usize) {
            *slot = None;
        }
    });
}

fn verifier(id: u32) -> hookverify::Result<Arc<VerifierState>> {
    LIVE.with(|t| match t.borrow().get(id as usize) {
        Some(Some(Live::Verifier(v))) => Ok(v.clone()),
        _ => Err(invalid("unknown verifier")),
    })
}

fn receiver(id: u32) -> hookverify::Result<Arc<Shared>> {
    LIVE.with(|t| match t.borrow().get(id as usize) {
        Some(Some(Live::Receiver(r))) => Ok(r.clone()),
        _ => Err(invalid("unknown receiver")),
    })
}

/// Header values as JS passes them (a string, undefined: absent, or a count: sent several times),
/// one argument per header name.
type Slots<'a> = Picked<'a, [Lookup<'a>; MAX_VALUES]>;

/// Where one value sits in the scratch buffer.
#[derive(Clone, Copy)]
enum Slot {
    Missing,
    Many(usize),
    At(usize, usize),
}

/// Appends the values' text to `buf` (UTF-8; V8 writes lone surrogates as U+FFFD, as everywhere else).
fn read_slots(env: sys::napi_env, args: &[sys::napi_value], buf: &mut Vec<u8>) -> hookverify::Result<[Slot; MAX_VALUES]> {
    let mut slots = [Slot::Missing; MAX_VALUES];
    for (slot, &arg) in slots.iter_mut().zip(args) {
        let mut kind = sys::ValueType::napi_undefined;
        // SAFETY: a value of this call's env.
        if unsafe { sys::napi_typeof(env, arg, &mut kind) } != sys::Status::napi_ok {
            return Err(invalid("header values must be strings"));
        }
        *slot = match kind {
            sys::ValueType::napi_string => {
                let start = buf.len();
                read_utf8(env, arg, buf)?;
                Slot::At(start, buf.len())
            }
            sys::ValueType::napi_number => {
                let mut n = 0.0;
                // SAFETY: a number value of this call's env.
                unsafe { sys::napi_get_value_double(env, arg, &mut n) };
                Slot::Many(n as usize)
            }
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => Slot::Missing,
            _ => return Err(invalid("header values must be strings")),
        };
    }
    Ok(slots)
}

/// Appends a JS string's UTF-8 to `buf`: one copy into spare capacity, a second only when it did not fit.
fn read_utf8(env: sys::napi_env, value: sys::napi_value, buf: &mut Vec<u8>) -> hookverify::Result<()> {
    let failed = || hookverify::Error::InternalError { reason: "reading a string argument failed".into() };
    buf.reserve(256);
    let mut exact = None;
    loop {
        let room = buf.capacity() - buf.len();
        let mut written = 0usize;
        // SAFETY: writes at most `room` bytes (NUL included) into the spare capacity of `buf`.
        let status = unsafe { sys::napi_get_value_string_utf8(env, value, buf.as_mut_ptr().add(buf.len()).cast(), room, &mut written) };
        if status != sys::Status::napi_ok {
            return Err(failed());
        }
        if written + 1 < room || exact == Some(written) {
            // SAFETY: napi wrote `written` initialised bytes there.
            unsafe { buf.set_len(buf.len() + written) };
            return Ok(());
        }
        if exact.is_some() {
            return Err(failed());
        }
        // Possibly truncated: ask for the exact length and make room for it (and the NUL).
        let mut len = 0usize;
        // SAFETY: a null buffer only reports the length.
        if unsafe { sys::napi_get_value_string_utf8(env, value, std::ptr::null_mut(), 0, &mut len) } != sys::Status::napi_ok {
            return Err(failed());
        }
        buf.reserve(len + 1);
        exact = Some(len);
    }
}

/// Runs `f` over the text of `path` (when given; `""` otherwise) and the header values `args` (as
/// many as `names`), all read into the scratch buffer.
fn with_slots<T>(
    env: sys::napi_env,
    path: Option<sys::napi_value>,
    names: &[String],
    args: &[sys::napi_value],
    f: impl FnOnce(&str, &Slots<'_>) -> hookverify::Result<T>,
) -> hookverify::Result<T> {
    if names.len() > MAX_VALUES {
        return Err(invalid("too many header names for the fast call"));
    }
    SCRATCH.with(|s| {
        let mut buf = std::mem::take(&mut *s.borrow_mut());
        buf.clear();
        let read = match path {
            Some(p) => string_kind(env, p, "path").and_then(|()| read_utf8(env, p, &mut buf)),
            None => Ok(()),
        };
        let path_end = buf.len();
        let out = read.and_then(|()| read_slots(env, &args[..names.len()], &mut buf)).and_then(|slots| {
            // napi wrote UTF-8 (lone surrogates as U+FFFD), each argument whole: one check of the
            // buffer covers the path and every value, which then reach the core as text (it need
            // not check each again). Were it ever to fail, each piece is checked on its own.
            let all = std::str::from_utf8(&buf).ok();
            let path = match all.and_then(|t| t.get(..path_end)) {
                Some(p) => p,
                None => std::str::from_utf8(&buf[..path_end]).map_err(|_| invalid("path is not UTF-8"))?,
            };
            let mut values = [Lookup::Missing; MAX_VALUES];
            for (v, slot) in values.iter_mut().zip(slots) {
                *v = match slot {
                    Slot::Missing => Lookup::Missing,
                    Slot::Many(n) => Lookup::Many(n),
                    Slot::At(a, b) => match all.and_then(|t| t.get(a..b)) {
                        Some(text) => Lookup::Text(text),
                        None => Lookup::One(&buf[a..b]),
                    },
                };
            }
            f(path, &Picked::new(names, values))
        });
        *s.borrow_mut() = buf;
        out
    })
}

// The napi glue. These are plain napi callbacks instead of `#[napi]` functions: for every call with
// arguments the generated glue allocates (and frees) a borrow-tracking scope and a vector for it,
// and converts a `String` argument into a fresh allocation; here the arguments are read straight
// into the scratch buffer and the result string's buffer is reused (`packed::recycle`).

/// The callback's answer: `f`'s value, or null with the error thrown. A panic is caught and thrown
/// as `internal_error` (nothing unwinds into V8).
fn answer(env: sys::napi_env, f: impl FnOnce(&Env) -> Result<sys::napi_value>) -> sys::napi_value {
    let e = Env::from_raw(env);
    let thrown = match catch_unwind(AssertUnwindSafe(|| f(&e))) {
        Ok(Ok(value)) => return value,
        Ok(Err(err)) => err,
        Err(payload) => throw(&e, panic_error(payload)),
    };
    if thrown.status != Status::PendingException {
        // SAFETY: on the JS thread, inside this env's callback.
        unsafe { JsError::from(thrown).throw_into(env) };
    }
    std::ptr::null_mut()
}

/// The call's first `N` arguments (napi fills in `undefined` for missing ones).
fn args<const N: usize>(env: sys::napi_env, info: sys::napi_callback_info) -> Result<[sys::napi_value; N]> {
    let mut argv = [std::ptr::null_mut(); N];
    let mut argc = N;
    // SAFETY: `argv` has room for `argc` values.
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), std::ptr::null_mut(), std::ptr::null_mut()) };
    napi::check_status!(status, "reading the arguments failed")?;
    Ok(argv)
}

fn arg_err(what: &str) -> hookverify::Error {
    invalid(format!("{what} has the wrong type"))
}

fn string_kind(env: sys::napi_env, v: sys::napi_value, what: &str) -> hookverify::Result<()> {
    let mut kind = sys::ValueType::napi_undefined;
    // SAFETY: a value of this call's env.
    let status = unsafe { sys::napi_typeof(env, v, &mut kind) };
    if status == sys::Status::napi_ok && kind == sys::ValueType::napi_string {
        Ok(())
    } else {
        Err(arg_err(what))
    }
}

/// A number or boolean argument, read by the napi getter `get` calls (`napi_get_value_uint32`,
/// `_double`, `_bool`), which fails for a value of another type: then `what` has the wrong type.
fn arg<T: Default>(what: &str, get: impl FnOnce(&mut T) -> sys::napi_status) -> hookverify::Result<T> {
    let mut out = T::default();
    if get(&mut out) == sys::Status::napi_ok {
        Ok(out)
    } else {
        Err(arg_err(what))
    }
}

fn u32_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> hookverify::Result<u32> {
    // SAFETY: a value of this call's env (the getter checks its type).
    arg(what, |n| unsafe { sys::napi_get_value_uint32(env, v, n) })
}

fn f64_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> hookverify::Result<f64> {
    // SAFETY: as in `u32_arg`.
    arg(what, |n| unsafe { sys::napi_get_value_double(env, v, n) })
}

fn bool_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> hookverify::Result<bool> {
    // SAFETY: as in `u32_arg`.
    arg(what, |b| unsafe { sys::napi_get_value_bool(env, v, b) })
}

/// The bytes of a Uint8Array (a Buffer is one) argument.
///
/// The slice borrows the array's backing store for the rest of the callback: no JS runs before the
/// callback returns (the core and the napi reads in between call none), so nothing can detach or
/// resize it meanwhile; the slice lives no longer than the callback's `Env`.
fn bytes_arg(env: &Env, v: sys::napi_value) -> hookverify::Result<&[u8]> {
    let mut kind = sys::TypedarrayType::int8_array;
    let (mut len, mut data, mut buffer, mut offset) = (0usize, std::ptr::null_mut(), std::ptr::null_mut(), 0usize);
    // SAFETY: a value of this call's env; fails for anything but a typed array.
    let status = unsafe { sys::napi_get_typedarray_info(env.raw(), v, &mut kind, &mut len, &mut data, &mut buffer, &mut offset) };
    if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array {
        return Err(invalid("the body must be a Uint8Array"));
    }
    if len == 0 || data.is_null() {
        return Ok(&[]);
    }
    // SAFETY: `data` points at the array's first element (offset applied) and `len` bytes follow,
    // alive and unchanged while the callback runs (see above).
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
}

/// A JS string of `s` (its buffer then goes back to `packed::recycle` for the next result).
fn js_string(env: sys::napi_env, s: String) -> Result<sys::napi_value> {
    let mut out = std::ptr::null_mut();
    // SAFETY: `s` is `len` valid bytes; V8 copies them. ASCII is also Latin-1, which V8 copies as is
    // (no UTF-8 decoding).
    let status = unsafe {
        if s.is_ascii() {
            sys::napi_create_string_latin1(env, s.as_ptr().cast(), s.len() as isize, &mut out)
        } else {
            sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut out)
        }
    };
    recycle(s);
    napi::check_status!(status, "creating the result string failed")?;
    Ok(out)
}

fn js_number(env: sys::napi_env, n: f64) -> Result<sys::napi_value> {
    let mut out = std::ptr::null_mut();
    // SAFETY: creates a number in this call's env.
    napi::check_status!(unsafe { sys::napi_create_double(env, n, &mut out) }, "creating the result failed")?;
    Ok(out)
}

/// A verifier fast call `(id, body, now, h0…h7)`: `verify` over verifier `id`'s header values, its
/// result made a JS value by `to_js`.
fn verifier_call<T>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    verify: impl FnOnce(&Verifier, &Slots<'_>, &[u8], i64) -> hookverify::Result<T>,
    to_js: impl FnOnce(sys::napi_env, T) -> Result<sys::napi_value>,
) -> sys::napi_value {
    answer(env, |e| {
        let a = args::<11>(env, info)?;
        let r = guard(e, || {
            let (id, body, now) = (u32_arg(env, a[0], "id")?, bytes_arg(e, a[1])?, f64_arg(env, a[2], "now")?);
            let v = verifier(id)?;
            with_slots(env, None, &v.names, &a[3..], |_, h| verify(&v.inner, h, body, now as i64))
        })?;
        to_js(env, r)
    })
}

/// `verifySignatureFast(id, body, now, h0…h7)`: `RawVerifier.verifySignature` for verifier `id`,
/// the values of its `headerNames` as `h0…h7`; the packed result (see `packed::pack`).
unsafe extern "C" fn verify_signature_fast_c_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    verifier_call(env, info, |v, h, body, now| v.verify_signature_at(body, h, now).map(|r| pack(&r)), js_number)
}

/// `verifyFast(id, body, now, h0…h7)`: `RawVerifier.verify` for verifier `id`, the values of its
/// `headerNames` as `h0…h7`; the event's fields (see `packed::event_fields`).
unsafe extern "C" fn verify_fast_c_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    verifier_call(env, info, |v, h, body, now| v.verify_ref_at(body, h, now).map(|e| event_fields(&e)), js_string)
}

/// `beginFast(id, path, body, now, h0…h7)`: `RawReceiver.begin` for receiver `id` (stores that
/// never block), the values of its `headerNames` as `h0…h7`; see `Shared::outcome`.
unsafe extern "C" fn begin_fast_c_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    answer(env, |e| {
        let a = args::<12>(env, info)?;
        // `begin_with` catches a panic itself and answers 500, as `begin` does.
        let step = shield(e, || {
            let r = receiver(u32_arg(env, a[0], "id")?)?;
            let (body, now) = (bytes_arg(e, a[2])?, f64_arg(env, a[3], "now")?);
            with_slots(env, Some(a[1]), &r.names, &a[4..], |path, h| Ok(r.outcome(r.begin_with(path, h, body, now as i64))))
        })?;
        js_string(env, step)
    })
}

/// `finishFast(id, handle, ok)`: `RawReceiver.finish` for receiver `id`.
unsafe extern "C" fn finish_fast_c_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    answer(env, |e| {
        let a = args::<3>(env, info)?;
        let (r, handle, ok) =
            shield(e, || Ok((receiver(u32_arg(env, a[0], "id")?)?, f64_arg(env, a[1], "handle")?, bool_arg(env, a[2], "ok")?)))?;
        js_string(env, r.finish_handle(e, handle, ok)?)
    })
}

/// Adds the fast calls to the addon's exports.
#[napi(module_exports)]
pub fn fast_exports(exports: Object, env: Env) -> Result<()> {
    type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;
    let calls: [(&CStr, Callback); 4] = [
        (c"verifySignatureFast", verify_signature_fast_c_callback),
        (c"verifyFast", verify_fast_c_callback),
        (c"beginFast", begin_fast_c_callback),
        (c"finishFast", finish_fast_c_callback),
    ];
    for (name, cb) in calls {
        let mut f = std::ptr::null_mut();
        // SAFETY: creates a function in this env and sets it on the exports object napi handed us.
        unsafe {
            napi::check_status!(sys::napi_create_function(
                env.raw(),
                name.as_ptr(),
                name.count_bytes() as isize,
                Some(cb),
                std::ptr::null_mut(),
                &mut f
            ))?;
            napi::check_status!(sys::napi_set_named_property(env.raw(), exports.raw(), name.as_ptr(), f))?;
        }
    }
    Ok(())
}
