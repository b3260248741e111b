//! The two things that cross the boundary packed, shared by the napi and wasm
//! bindings (the wasm crate includes this file): header values in, a signature
//! check's result out. Each costs one string / one number instead of one JS
//! value per field, which is most of the per-call overhead at small bodies.

use hookverify::{Headers, Lookup, Verified, Verifier};

/// Header values as JS packs them, in the order of the verifier's header names:
/// per name one tag char, `\u{0}` absent, `\u{1}` + count char (duplicated),
/// `\u{2}` + two 15-bit length chars (UTF-16 units, high first) + the value.
/// One string crossing instead of one per header (see `lib/api.js` `#pack`).
pub(crate) struct Picked<'a> {
    names: &'a [String],
    values: Vec<Lookup<'a>>,
}

impl<'a> Picked<'a> {
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

impl Headers for Picked<'_> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        match self.names.iter().position(|n| n.eq_ignore_ascii_case(name)) {
            Some(i) => self.values[i],
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
