//! Case-insensitive header lookup over whatever the caller already has.
//!
//! The core never copies a request's headers: it asks a [`Headers`]
//! implementation for the few names a scheme needs. Implementations exist for
//! slices/vectors of name-value pairs (what bindings build), maps, and
//! `http::HeaderMap` (feature `http`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use crate::error::{quote, Error, Result};

/// Longest header value the core will read (bytes). Longer values are malformed.
pub const MAX_HEADER_VALUE_BYTES: usize = 16 * 1024;

/// The result of looking a header up.
///
/// Deliberately exhaustive: what a [`Headers`] implementation returns and the core matches on;
/// a new kind of answer changes what every implementation must report, so it must not compile
/// unnoticed behind a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// No header of that name.
    Missing,
    /// Exactly one value, as bytes (checked for UTF-8 when read as text).
    One(&'a [u8]),
    /// Exactly one value that is already text, so reading it skips the UTF-8 check.
    Text(&'a str),
    /// The header appears this many times (ambiguous for security headers).
    Many(usize),
}

impl<'a> Lookup<'a> {
    /// The single value's bytes, or `None` when the header is missing or repeated.
    pub fn value_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Lookup::One(raw) => Some(raw),
            Lookup::Text(text) => Some(text.as_bytes()),
            Lookup::Missing | Lookup::Many(_) => None,
        }
    }
}

/// A header value type the built-in [`Headers`] implementations accept: text types answer
/// [`Lookup::Text`], byte types [`Lookup::One`].
pub trait HeaderValue {
    /// This value as a single lookup hit.
    fn as_lookup(&self) -> Lookup<'_>;
}

macro_rules! header_values {
    ($variant:ident, $conv:ident: $($t:ty),* $(,)?) => {
        $(impl HeaderValue for $t {
            #[inline]
            fn as_lookup(&self) -> Lookup<'_> {
                Lookup::$variant(self.$conv())
            }
        })*
    };
}
header_values!(Text, as_ref: str, String, Box<str>, Rc<str>, Arc<str>, Cow<'_, str>);
header_values!(One, as_ref: [u8], Vec<u8>, Box<[u8]>, Rc<[u8]>, Arc<[u8]>, Cow<'_, [u8]>);

impl<const N: usize> HeaderValue for [u8; N] {
    #[inline]
    fn as_lookup(&self) -> Lookup<'_> {
        Lookup::One(self)
    }
}

impl<T: HeaderValue + ?Sized> HeaderValue for &T {
    #[inline]
    fn as_lookup(&self) -> Lookup<'_> {
        (**self).as_lookup()
    }
}

#[cfg(feature = "http")]
impl HeaderValue for http::HeaderValue {
    #[inline]
    fn as_lookup(&self) -> Lookup<'_> {
        Lookup::One(self.as_bytes())
    }
}

/// Read access to request headers with ASCII case-insensitive names.
pub trait Headers {
    /// Looks `name` up, ignoring ASCII case.
    fn lookup(&self, name: &str) -> Lookup<'_>;
}

/// ASCII case-insensitive name equality, rejecting most other names after two byte checks.
///
/// Names of equal length (`webhook-signature`, `webhook-timestamp`) mostly differ in their last
/// byte. OR-ing 0x20 folds ASCII case, so bytes equal ignoring case stay equal after folding and
/// a folded difference is a definite mismatch; a folded match is then confirmed exactly.
#[inline]
pub(crate) fn names_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.last().map(|x| x | 0x20) != b.last().map(|y| y | 0x20) {
        return false;
    }
    // Same spelling is the common case (HTTP/2 and most servers lowercase names): one memcmp.
    a == b || a.eq_ignore_ascii_case(b)
}

/// Counts the instances of `name` among (name, value) entries, keeping the value when there is one.
fn find<'a, V: HeaderValue + ?Sized + 'a>(entries: impl Iterator<Item = (&'a str, &'a V)>, name: &str) -> Lookup<'a> {
    let mut found = Lookup::Missing;
    for (k, v) in entries {
        if names_equal(k.as_bytes(), name.as_bytes()) {
            found = match found {
                Lookup::Missing => v.as_lookup(),
                Lookup::One(_) | Lookup::Text(_) => Lookup::Many(2),
                Lookup::Many(n) => Lookup::Many(n + 1),
            };
        }
    }
    found
}

impl<K: AsRef<str>, V: HeaderValue> Headers for [(K, V)] {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        find(self.iter().map(|(k, v)| (k.as_ref(), v)), name)
    }
}

impl<K: AsRef<str>, V: HeaderValue> Headers for Vec<(K, V)> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        self.as_slice().lookup(name)
    }
}

impl<K: AsRef<str>, V: HeaderValue, const N: usize> Headers for [(K, V); N] {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        self.as_slice().lookup(name)
    }
}

impl<K: AsRef<str>, V: HeaderValue, S> Headers for HashMap<K, V, S> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        // A map may hold "Foo" and "foo" as distinct keys: that is two instances.
        find(self.iter().map(|(k, v)| (k.as_ref(), v)), name)
    }
}

impl<K: AsRef<str>, V: HeaderValue> Headers for BTreeMap<K, V> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        // A map may hold "Foo" and "foo" as distinct keys: that is two instances.
        find(self.iter().map(|(k, v)| (k.as_ref(), v)), name)
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        (**self).lookup(name)
    }
}

#[cfg(feature = "http")]
impl Headers for http::HeaderMap {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        let mut values = self.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => Lookup::Missing,
            (Some(v), None) => Lookup::One(v.as_bytes()),
            (Some(_), Some(_)) => Lookup::Many(2 + values.count()),
        }
    }
}

/// Reads one header as trimmed text: exactly one instance, bounded length, and only visible
/// ASCII, SP and HTAB (see [`value_problem`]).
pub(crate) fn single_value<'a, H: Headers + ?Sized>(headers: &'a H, name: &str) -> Result<Option<&'a str>> {
    match headers.lookup(name) {
        Lookup::Missing => Ok(None),
        Lookup::Many(n) => Err(Error::malformed(name, format!("the header appears {n} times; exactly one is allowed"))),
        Lookup::One(raw) => {
            let (start, end) = check_value(name, raw)?;
            // Every byte is ASCII (checked), so this cannot fail.
            std::str::from_utf8(&raw[start..end]).map(Some).map_err(|_| Error::malformed(name, "the value is not ASCII"))
        }
        Lookup::Text(text) => {
            let (start, end) = check_value(name, text.as_bytes())?;
            // Every byte is ASCII (checked), so both ends are char boundaries.
            Ok(Some(&text[start..end]))
        }
    }
}

/// Why a header value is unusable before its text is looked at.
pub(crate) enum ValueProblem {
    /// Longer than [`MAX_HEADER_VALUE_BYTES`] (its length).
    TooLong(usize),
    /// Holds a control byte other than HTAB: CR, LF, NUL, DEL, … (the first one).
    Control(u8),
    /// Holds a byte over 0x7F (the first one).
    NonAscii(u8),
}

/// Whether every byte is visible ASCII, SP or HTAB: RFC 9110 field-vchar without obs-text.
///
/// The same rule whatever a runtime hands the core: Rust's HTTP stack gives the raw bytes, Node
/// and Python's servers text decoded as Latin-1, a Fetch `Headers` text decoded as UTF-8. A value
/// with a byte over 0x7F would read differently in each, so it is malformed in all of them.
#[inline]
fn is_field_text(raw: &[u8]) -> bool {
    // No early exit, so the loop vectorizes (it replaces a memchr3 for CR/LF/NUL and the UTF-8 check).
    raw.iter().fold(true, |ok, &b| ok & ((b.wrapping_sub(0x20) < 0x5f) | (b == b'\t')))
}

/// The first [`ValueProblem`] of a raw header value, if any.
pub(crate) fn value_problem(raw: &[u8]) -> Option<ValueProblem> {
    if raw.len() > MAX_HEADER_VALUE_BYTES {
        return Some(ValueProblem::TooLong(raw.len()));
    }
    if is_field_text(raw) {
        return None;
    }
    let bad = *raw.iter().find(|&&b| !(b == b'\t' || (0x20..0x7f).contains(&b)))?;
    Some(if bad >= 0x80 { ValueProblem::NonAscii(bad) } else { ValueProblem::Control(bad) })
}

/// Validates one header value (bounded length, visible ASCII + SP/HTAB only) and returns its range
/// without RFC 9110 optional whitespace at either end.
fn check_value(name: &str, raw: &[u8]) -> Result<(usize, usize)> {
    match value_problem(raw) {
        Some(ValueProblem::TooLong(len)) => {
            return Err(Error::malformed(name, format!("the value is {len} bytes; the limit is {MAX_HEADER_VALUE_BYTES}")));
        }
        Some(ValueProblem::Control(b)) => {
            return Err(Error::malformed(name, format!("the value contains a control byte 0x{b:02x}")));
        }
        Some(ValueProblem::NonAscii(b)) => {
            return Err(Error::malformed(
                name,
                format!("the value contains a non-ASCII byte 0x{b:02x} (header values must be visible ASCII): {}", quote(raw)),
            ));
        }
        None => {}
    }
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = raw.iter().position(|b| !is_ows(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !is_ows(b)).map_or(start, |e| e + 1);
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_and_duplicates() {
        let h = vec![("X-Sig", "a"), ("x-sig", "b"), ("Other", "c")];
        assert_eq!(h.lookup("X-SIG"), Lookup::Many(2));
        assert_eq!(h.lookup("other"), Lookup::Text("c"));
        assert_eq!(h.lookup("none"), Lookup::Missing);
        let mut m = HashMap::new();
        m.insert("Content-Type".to_string(), "json".to_string());
        assert_eq!(m.lookup("content-type"), Lookup::Text("json"));
    }

    #[test]
    fn name_equality_folds_ascii_case_only() {
        for (a, b, eq) in [
            ("webhook-signature", "Webhook-Signature", true),
            ("webhook-signature", "webhook-timestamp", false),
            ("X-Hub-Signature-256", "x-hub-signature-256", true),
            ("x-a^b", "x-a~b", false),
            ("x-a@b", "x-a`b", false),
            ("abcdefgh^", "ABCDEFGH~", false),
            ("abcdefgh_", "ABCDEFGH_", true),
            ("k", "K", true),
            ("", "", true),
            ("a", "ab", false),
            ("caf\u{e9}", "CAF\u{c9}", false),
        ] {
            assert_eq!(names_equal(a.as_bytes(), b.as_bytes()), eq, "{a} vs {b}");
            assert_eq!(names_equal(a.as_bytes(), b.as_bytes()), a.eq_ignore_ascii_case(b), "{a} vs {b}");
        }
    }

    #[test]
    fn values_are_trimmed_and_checked() {
        // The same checks whether the value arrives as bytes or as text.
        let as_bytes = |v: &[u8]| single_value(&[("h", v.to_vec())], "h").map(|o| o.map(str::to_owned));
        let as_text = |v: &str| single_value(&[("h", v.to_owned())], "h").map(|o| o.map(str::to_owned));
        assert_eq!(as_bytes(b"  v1 \t").unwrap().as_deref(), Some("v1"));
        assert_eq!(as_text("  v1 \t").unwrap().as_deref(), Some("v1"));
        // Non-ASCII text is malformed whether it arrives as UTF-8 text or as bytes (a Latin-1
        // decoding of the same bytes is non-ASCII text too).
        assert_eq!(as_text(" caf\u{e9} ").unwrap_err().code(), crate::ErrorCode::MalformedHeader);
        assert_eq!(as_text("v1,\u{ff}\u{fe}").unwrap_err().code(), crate::ErrorCode::MalformedHeader);
        assert_eq!(as_bytes(b"caf\xc3\xa9").unwrap_err().code(), crate::ErrorCode::MalformedHeader);
        assert_eq!(as_bytes(b"~ !\t").unwrap().as_deref(), Some("~ !"));
        assert_eq!(as_text(" \t ").unwrap().as_deref(), Some(""));
        for bad in ["a\r\nb", "a\0", "a\nb", "a\rb", "a\x7fb", "a\x1bb"] {
            assert_eq!(as_text(bad).unwrap_err().code(), crate::ErrorCode::MalformedHeader, "{bad:?}");
        }
        for bad in [&b"a\r\nb"[..], b"a\0", b"\xff\xfe"] {
            assert_eq!(as_bytes(bad).unwrap_err().code(), crate::ErrorCode::MalformedHeader);
        }
        assert!(as_bytes(&vec![b'a'; MAX_HEADER_VALUE_BYTES + 1]).is_err());
        assert!(as_text(&"a".repeat(MAX_HEADER_VALUE_BYTES + 1)).is_err());
        assert!(as_text(&"a".repeat(MAX_HEADER_VALUE_BYTES)).is_ok());
    }

    #[test]
    fn text_types_skip_utf8_checks_and_byte_types_do_not() {
        assert_eq!([("h", "v")].lookup("h"), Lookup::Text("v"));
        assert_eq!([("h", String::from("v"))].lookup("H"), Lookup::Text("v"));
        assert_eq!([("h", Cow::Borrowed("v"))].lookup("h"), Lookup::Text("v"));
        assert_eq!([("h", &b"v"[..])].lookup("h"), Lookup::One(b"v"));
        assert_eq!([("h", *b"v")].lookup("h"), Lookup::One(b"v"));
        assert_eq!([("h", vec![b'v'])].lookup("h"), Lookup::One(b"v"));
        assert_eq!([("h", "a"), ("H", "b")].lookup("h"), Lookup::Many(2));
        assert_eq!(Lookup::Text("v").value_bytes(), Some(&b"v"[..]));
        assert_eq!(Lookup::Many(3).value_bytes(), None);
    }
}
