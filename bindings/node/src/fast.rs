//! The per-request calls (`verifySignatureFast`, `verifyFast`, `beginFast`, `finishFast`) as free
//! functions over an object id, with each picked header value as its own argument.
//!
//! Why not methods taking `&self` and one packed string: napi-rs registers every `&self` borrow in a
//! global mutex-guarded map and allocates each `String` argument, which was about a third of
//! `verifySignature` at 1 KiB. Here an id indexes a thread-local table (objects are per JS thread,
//! like the napi env), and header values are copied into one reused scratch buffer.

// napi-derive registers exports only under `cfg(not(test))`, so in the (test-less) test build the
// exported functions and everything only they reach look dead; the normal build still checks it.
#![cfg_attr(test, allow(dead_code))]

use std::cell::RefCell;
use std::sync::Arc;

use hookverify::{Lookup, Verifier};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::packed::{event_fields, pack, Picked};
use crate::pipeline::Shared;
use crate::{guard, invalid, shield};

/// The most header values the fast calls take (JS uses the packed-string methods beyond).
const MAX_VALUES: usize = 8;

/// What an object's `fastId` getter answers: its `id`, or -1 when the fast calls cannot serve it
/// (it reads more header names than they take values for).
pub(crate) fn usable_id(id: u32, names: &[String]) -> i64 {
    if names.len() <= MAX_VALUES { id.into() } else { -1 }
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

/// Copies the values' text into `buf` (UTF-8; V8 writes lone surrogates as U+FFFD, as everywhere else).
fn read_slots(env: &Env, args: &[Unknown<'_>], buf: &mut Vec<u8>) -> hookverify::Result<[Slot; MAX_VALUES]> {
    let mut slots = [Slot::Missing; MAX_VALUES];
    buf.clear();
    for (slot, arg) in slots.iter_mut().zip(args) {
        *slot = match arg.get_type() {
            Ok(ValueType::String) => {
                let start = buf.len();
                read_utf8(env.raw(), arg.raw(), buf)?;
                Slot::At(start, buf.len())
            }
            Ok(ValueType::Number) => {
                let mut n = 0.0;
                // SAFETY: a number value of this call's env.
                unsafe { sys::napi_get_value_double(env.raw(), arg.raw(), &mut n) };
                Slot::Many(n as usize)
            }
            Ok(ValueType::Undefined | ValueType::Null) => Slot::Missing,
            _ => return Err(invalid("header values must be strings")),
        };
    }
    Ok(slots)
}

/// Appends a JS string's UTF-8 to `buf`: one copy into spare capacity, a second only when it did not fit.
fn read_utf8(env: sys::napi_env, value: sys::napi_value, buf: &mut Vec<u8>) -> hookverify::Result<()> {
    let failed = || hookverify::Error::InternalError { reason: "reading a header value failed".into() };
    buf.reserve(256);
    let mut exact = None;
    loop {
        let room = buf.capacity() - buf.len();
        let mut written = 0usize;
        // SAFETY: writes at most `room` bytes (NUL included) into the spare capacity of `buf`.
        let status = unsafe {
            sys::napi_get_value_string_utf8(env, value, buf.as_mut_ptr().add(buf.len()).cast(), room, &mut written)
        };
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

/// Runs `f` over the header values `args` (as many as `names`) read into the scratch buffer.
fn with_slots<T>(env: &Env, names: &[String], args: &[Unknown<'_>], f: impl FnOnce(&Slots<'_>) -> hookverify::Result<T>) -> hookverify::Result<T> {
    if names.len() > MAX_VALUES {
        return Err(invalid("too many header names for the fast call"));
    }
    SCRATCH.with(|s| {
        let mut buf = std::mem::take(&mut *s.borrow_mut());
        let out = read_slots(env, &args[..names.len()], &mut buf).and_then(|slots| {
            let mut values = [Lookup::Missing; MAX_VALUES];
            for (v, slot) in values.iter_mut().zip(slots) {
                *v = match slot {
                    Slot::Missing => Lookup::Missing,
                    Slot::Many(n) => Lookup::Many(n),
                    Slot::At(a, b) => Lookup::One(&buf[a..b]),
                };
            }
            f(&Picked::new(names, values))
        });
        *s.borrow_mut() = buf;
        out
    })
}

/// `RawVerifier.verifySignature` for verifier `id`, the values of its `headerNames` as `h0…h7`.
#[napi(js_name = "verifySignatureFast")]
#[allow(clippy::too_many_arguments)]
pub fn verify_signature_fast(
    env: Env, id: u32, body: &[u8], now: f64,
    h0: Unknown, h1: Unknown, h2: Unknown, h3: Unknown, h4: Unknown, h5: Unknown, h6: Unknown, h7: Unknown,
) -> Result<f64> {
    guard(&env, || {
        let v = verifier(id)?;
        with_slots(&env, &v.names, &[h0, h1, h2, h3, h4, h5, h6, h7], |h| v.inner.verify_signature_at(h, body, now as i64).map(|r| pack(&r)))
    })
}

/// `RawVerifier.verify` for verifier `id`, the values of its `headerNames` as `h0…h7`.
#[napi(js_name = "verifyFast")]
#[allow(clippy::too_many_arguments)]
pub fn verify_fast(
    env: Env, id: u32, body: &[u8], now: f64,
    h0: Unknown, h1: Unknown, h2: Unknown, h3: Unknown, h4: Unknown, h5: Unknown, h6: Unknown, h7: Unknown,
) -> Result<String> {
    guard(&env, || {
        let v = verifier(id)?;
        with_slots(&env, &v.names, &[h0, h1, h2, h3, h4, h5, h6, h7], |h| v.inner.verify_ref_at(h, body, now as i64).map(|e| event_fields(&e)))
    })
}

/// `RawReceiver.begin` for receiver `id` (stores that never block), values of its `headerNames` as `h0…h7`.
#[napi(js_name = "beginFast")]
#[allow(clippy::too_many_arguments)]
pub fn begin_fast(
    env: Env, id: u32, path: String, body: &[u8], now: f64,
    h0: Unknown, h1: Unknown, h2: Unknown, h3: Unknown, h4: Unknown, h5: Unknown, h6: Unknown, h7: Unknown,
) -> Result<String> {
    // `begin_with` catches a panic itself and answers 500, as `begin` does.
    let r = shield(&env, || receiver(id))?;
    let step = shield(&env, || with_slots(&env, &r.names, &[h0, h1, h2, h3, h4, h5, h6, h7], |h| Ok(r.begin_with(&path, h, body, now as i64))))?;
    Ok(r.outcome(step))
}

/// `RawReceiver.finish` for receiver `id`.
#[napi(js_name = "finishFast")]
pub fn finish_fast(env: Env, id: u32, handle: f64, ok: bool) -> Result<String> {
    let r = shield(&env, || receiver(id))?;
    r.finish_handle(&env, handle, ok)
}
