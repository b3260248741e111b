//! The two things that cross the boundary packed, shared by the napi and wasm
//! bindings (the wasm crate includes this file): header values in, a signature
//! check's result out. Each costs one string / one number instead of one JS
//! value per field, which is most of the per-call overhead at small bodies.

use std::ops::Range;

use hookverify::receiver::{Decision, Delivery, Receiver};
use hookverify::{EventRef, Headers, Lookup, Verified, Verifier};

/// The values JS picked for the verifier's header names, in the order of those names: from the
/// packed string ([`Picked::unpack`]) or, in the napi fast calls, one argument each (`V` an array).
pub(crate) struct Picked<'a, V = Vec<Lookup<'a>>> {
    names: &'a [String],
    values: V,
}

impl<'a, V: AsRef<[Lookup<'a>]>> Picked<'a, V> {
    /// `values[i]` is the value of `names[i]` (extra values are never looked up).
    #[allow(dead_code)] // the wasm crate, which includes this file, only unpacks
    pub(crate) fn new(names: &'a [String], values: V) -> Picked<'a, V> {
        Picked { names, values }
    }
}

impl<'a> Picked<'a> {
    /// Header values as JS packs them, in the order of the verifier's header names:
    /// per name one tag char, `\u{0}` absent, `\u{1}` + count char (duplicated),
    /// `\u{2}` + two 15-bit length chars (UTF-16 units, high first) + the value.
    /// One string crossing instead of one per header (see `lib/api.js` `#pack`).
    pub(crate) fn unpack(names: &'a [String], packed: &'a str) -> hookverify::Result<Picked<'a>> {
        Self::unpack_opt(names, packed).ok_or_else(|| hookverify::Error::InternalError { reason: "badly packed header values".into() })
    }

    fn unpack_opt(names: &'a [String], packed: &'a str) -> Option<Picked<'a>> {
        let mut values = Vec::with_capacity(names.len());
        let mut rest = packed;
        let next = |rest: &mut &'a str| -> Option<u32> {
            let c = rest.chars().next()?;
            *rest = &rest[c.len_utf8()..];
            Some(c as u32)
        };
        for _ in names {
            values.push(match next(&mut rest)? {
                0 => Lookup::Missing,
                1 => Lookup::Many(next(&mut rest)? as usize),
                2 => {
                    let units = (next(&mut rest)? << 15 | next(&mut rest)?) as usize;
                    // ASCII (the usual case): one byte per UTF-16 unit. Otherwise walk the chars.
                    let end = match rest.as_bytes().get(..units) {
                        Some(head) if head.is_ascii() => units,
                        _ => {
                            let (mut seen, mut end) = (0, 0);
                            for c in rest.chars() {
                                if seen == units {
                                    break;
                                }
                                seen += c.len_utf16();
                                end += c.len_utf8();
                            }
                            end
                        }
                    };
                    let (value, tail) = rest.split_at(end);
                    rest = tail;
                    Lookup::Text(value)
                }
                _ => return None,
            });
        }
        rest.is_empty().then_some(Picked { names, values })
    }
}

impl<'a, V: AsRef<[Lookup<'a>]>> Headers for Picked<'a, V> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        match self.names.iter().position(|n| n.eq_ignore_ascii_case(name)) {
            Some(i) => self.values.as_ref()[i],
            None => Lookup::Missing,
        }
    }
}

/// Packs a signature check's result into one number: `(timestamp + 1) * 2^14 + header_set * 2^7 + key_index`
/// (timestamp + 1 = 0: none). Exact in an f64: timestamps are below 2^38, indexes below 2^7.
pub(crate) fn pack(v: &Verified) -> f64 {
    let ts = v.timestamp.map_or(0.0, |t| t as f64 + 1.0);
    ts * 16384.0 + (v.header_set as f64) * 128.0 + v.key_index as f64
}

/// The most secrets and header sets a packed result can carry.
pub(crate) const MAX_INDEX: usize = 127;

/// The lowercase header names a verifier reads (the core's `Scheme::header_names`), in the order JS
/// packs their values, and per header set the index of its id header among them (-1: none).
pub(crate) fn header_plan(v: &Verifier) -> (Vec<String>, Vec<i32>) {
    let names: Vec<String> = v.scheme().header_names().into_iter().map(str::to_ascii_lowercase).collect();
    let spec = v.scheme().spec();
    let sets = std::iter::once(&spec.id_header).chain(spec.header_aliases.iter().map(|a| &a.id_header));
    let at = |id: &String| names.iter().position(|n| n.eq_ignore_ascii_case(id)).map_or(-1, |i| i as i32);
    let ids = sets.map(|id| id.as_ref().map_or(-1, at)).collect();
    (names, ids)
}

/// Results crossing back as one string of fields (one string instead of an array of JS values,
/// each of which costs a napi / wasm-bindgen call): per field its length in UTF-16 units as
/// decimal digits, `:`, then its text; `-` alone is `null`. Numbers cross as decimal text.
/// Read field by field by `lib/api.js` (`readText` / `readNum`).
///
/// Built as bytes: every write is either a `&str`'s bytes ([`Fields::text`]) or ASCII (digits,
/// `-`, `:`), so the buffer is always UTF-8 and [`Fields::finish`] converts it without a scan.
/// The buffer comes from a per-thread spare that [`recycle`] refills (the napi fast calls hand
/// their result string back once V8 copied it), so a steady stream of calls allocates none.
#[derive(Default)]
pub(crate) struct Fields(Vec<u8>);

thread_local! {
    /// A result buffer handed back by [`recycle`], reused by the next [`Fields::with_capacity`].
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Gives a finished result's buffer back for the next [`Fields`] on this thread.
#[allow(dead_code)] // the wasm crate, which includes this file, hands its strings to wasm-bindgen
pub(crate) fn recycle(s: String) {
    let mut buf = s.into_bytes();
    buf.clear();
    let _ = SPARE.try_with(|spare| spare.set(buf));
}

impl Fields {
    pub(crate) fn with_capacity(n: usize) -> Fields {
        let mut buf = SPARE.try_with(|spare| spare.take()).unwrap_or_default();
        buf.reserve(n);
        Fields(buf)
    }

    /// A text field.
    pub(crate) fn text(&mut self, s: &str) -> &mut Fields {
        let units = if s.is_ascii() { s.len() } else { s.encode_utf16().count() };
        self.0.extend_from_slice(itoa::Buffer::new().format(units).as_bytes());
        self.0.push(b':');
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// A number field (decimal; integers below 2^53 are exact; clamped to ±`u64::MAX`). Formatted
    /// by `itoa` on the stack: `core::fmt` and a temporary string per number were a visible part of
    /// a receiver step.
    pub(crate) fn num(&mut self, n: impl Into<i128>) -> &mut Fields {
        let n: i128 = n.into();
        let mut buf = itoa::Buffer::new();
        let digits = match (i64::try_from(n), u64::try_from(n)) {
            (Ok(i), _) => buf.format(i),
            (_, Ok(u)) => buf.format(u),
            _ => buf.format(n.clamp(-(u64::MAX as i128), u64::MAX as i128)),
        };
        self.text(digits)
    }

    pub(crate) fn null(&mut self) -> &mut Fields {
        self.0.push(b'-');
        self
    }

    pub(crate) fn finish(self) -> String {
        // SAFETY: only whole `&str`s and ASCII bytes were appended (see the type's docs), so the
        // bytes are UTF-8.
        unsafe { String::from_utf8_unchecked(self.0) }
    }
}

impl Fields {
    /// An event's fields `id, type, timestamp | null, keyIndex, dataStart, dataEnd` (-1, -1: no
    /// payload), read back by `lib/api.js` `readEvent`.
    fn event(&mut self, id: &str, event_type: &str, timestamp: Option<i64>, key_index: usize, data: Option<Range<usize>>) -> &mut Fields {
        let (start, end) = data.map_or((-1, -1), |r| (r.start as i64, r.end as i64));
        self.text(id).text(event_type);
        match timestamp {
            Some(t) => self.num(t),
            None => self.null(),
        };
        self.num(key_index as u64).num(start).num(end)
    }
}

/// An event as its fields (see `Fields::event`).
pub(crate) fn event_fields(e: &EventRef<'_>) -> String {
    let mut out = Fields::with_capacity(48 + e.id.len() + e.event_type.len());
    out.event(&e.id, &e.event_type, e.timestamp, e.key_index, e.data_range());
    out.finish()
}

/// A delivery `r` claimed as fields `0, handle, id, type, timestamp | null, keyIndex, dataStart,
/// dataEnd, provider, token, path, query | null, sync (0/1), handler, …` (`RawReceiver.begin`;
/// each handler is its index into the JS handler list).
pub(crate) fn delivery_fields(handle: u64, d: &Delivery, r: &Receiver<usize>) -> String {
    let e = &d.event;
    let mut out = Fields::with_capacity(96 + e.id.len() + e.event_type.len() + d.path.len());
    out.num(0).num(handle).event(&e.id, &e.event_type, e.timestamp, e.key_index, e.data_range());
    out.text(r.providers()[d.provider].name()).num(d.token.0).text(&d.path);
    match &d.query {
        Some(q) => out.text(q),
        None => out.null(),
    };
    out.num(u8::from(d.sync));
    for i in &d.handlers {
        out.num(*r.handler(*i) as u32);
    }
    out.finish()
}

/// A decision as fields `status, body, log | null, name, value, …`.
pub(crate) fn decision_fields(d: &Decision) -> String {
    let mut out = Fields::with_capacity(16 + d.body.len() + 32 * d.headers.len());
    out.num(d.status).text(&d.body);
    // The operator's line for a rejected delivery (`Decision::log`), for JS to log.
    match &d.log {
        Some(line) => out.text(line),
        None => out.null(),
    };
    for (n, v) in &d.headers {
        out.text(n).text(v);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The format as `lib/api.js` `readText` / `readNum` read it, written the obvious way.
    fn field(text: &str) -> String {
        format!("{}:{text}", text.encode_utf16().count())
    }

    #[test]
    fn numbers_and_texts_are_length_prefixed_decimal() {
        let nums: [i128; 12] = [0, 7, 9, 10, 99, 1234567890, -1, -10, 1 << 53, i64::MIN.into(), u64::MAX.into(), i128::MAX];
        let texts = ["", "a", "msg_2x", "é😀", &"x".repeat(12345)];
        for round in 0..2 {
            let mut out = Fields::with_capacity(if round == 0 { 0 } else { 1000 });
            let mut want = String::new();
            for &n in &nums {
                out.num(n);
                want += &field(&n.clamp(-(u64::MAX as i128), u64::MAX as i128).to_string());
            }
            for t in texts {
                out.text(t).null();
                want += &field(t);
                want.push('-');
            }
            let got = out.finish();
            assert_eq!(got, want);
            // The buffer comes back for the next result, emptied.
            recycle(got);
        }
    }
}
