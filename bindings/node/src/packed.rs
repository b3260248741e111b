//! The two things that cross the boundary packed, shared by the napi and wasm
//! bindings (the wasm crate includes this file): header values in, a signature
//! check's result out. Each costs one string / one number instead of one JS
//! value per field, which is most of the per-call overhead at small bodies.

use hookverify::receiver::{Decision, Delivery};
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
    pub(crate) fn unpack(names: &'a [String], packed: &'a str) -> Option<Picked<'a>> {
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
                    Lookup::One(value.as_bytes())
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
/// Read by `lib/api.js` `fields`.
#[derive(Default)]
pub(crate) struct Fields(String);

impl Fields {
    pub(crate) fn with_capacity(n: usize) -> Fields {
        Fields(String::with_capacity(n))
    }

    /// A text field.
    pub(crate) fn text(&mut self, s: &str) -> &mut Fields {
        let units = if s.is_ascii() { s.len() } else { s.encode_utf16().count() };
        self.digits(units as u64, false);
        self.0.push(':');
        self.0.push_str(s);
        self
    }

    /// A number field (decimal; integers below 2^53 are exact). Written by hand: `core::fmt` and a
    /// temporary string per number were a visible part of a receiver step.
    pub(crate) fn num(&mut self, n: impl Into<i128>) -> &mut Fields {
        let n: i128 = n.into();
        let (neg, abs) = (n < 0, n.unsigned_abs().min(u64::MAX as u128) as u64);
        let len = decimal_len(abs) + usize::from(neg);
        self.digits(len as u64, false);
        self.0.push(':');
        self.digits(abs, neg);
        self
    }

    fn digits(&mut self, mut n: u64, neg: bool) {
        let mut buf = [0u8; 21];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if neg {
            i -= 1;
            buf[i] = b'-';
        }
        // ASCII digits (and '-'): pushed as chars, no UTF-8 check of the buffer.
        self.0.extend(buf[i..].iter().map(|&b| char::from(b)));
    }

    pub(crate) fn null(&mut self) -> &mut Fields {
        self.0.push('-');
        self
    }

    pub(crate) fn finish(self) -> String {
        self.0
    }
}

fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// An event as fields `id, type, timestamp | null, keyIndex, dataStart, dataEnd`.
pub(crate) fn event_fields(e: &EventRef<'_>) -> String {
    let (start, end) = e.data_range().map_or((-1, -1), |r| (r.start as i64, r.end as i64));
    let mut out = Fields::with_capacity(48 + e.id.len() + e.event_type.len());
    out.text(&e.id).text(&e.event_type);
    match e.timestamp {
        Some(t) => out.num(t),
        None => out.null(),
    };
    out.num(e.key_index as u64).num(start).num(end);
    out.finish()
}

/// A claimed delivery as fields `0, handle, id, type, timestamp | null, keyIndex, dataStart,
/// dataEnd, provider, token, path, query | null, sync (0/1), handler, …` (`RawReceiver.begin`).
pub(crate) fn delivery_fields(handle: u64, d: &Delivery, provider: &str, handlers: impl Iterator<Item = u32>) -> String {
    let e = &d.event;
    let (start, end) = e.data_range().map_or((-1, -1), |r| (r.start as i64, r.end as i64));
    let mut out = Fields::with_capacity(96 + e.id.len() + e.event_type.len() + d.path.len());
    out.num(0).num(handle).text(&e.id).text(&e.event_type);
    match e.timestamp {
        Some(t) => out.num(t),
        None => out.null(),
    };
    out.num(e.key_index as u64).num(start).num(end).text(provider).num(d.token.0).text(&d.path);
    match &d.query {
        Some(q) => out.text(q),
        None => out.null(),
    };
    out.num(u8::from(d.sync));
    for h in handlers {
        out.num(h);
    }
    out.finish()
}

/// A decision as fields `status, body, name, value, …`.
pub(crate) fn decision_fields(d: &Decision) -> String {
    let mut out = Fields::with_capacity(16 + d.body.len() + 32 * d.headers.len());
    out.num(d.status).text(&d.body);
    for (n, v) in &d.headers {
        out.text(n).text(v);
    }
    out.finish()
}
