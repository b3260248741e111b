//! Case-insensitive header lookup over whatever the caller already has.
//!
//! The core never copies a request's headers: it asks a [`Headers`]
//! implementation for the few names a scheme needs. Implementations exist for
//! slices/vectors of name-value pairs (what bindings build), maps, and
//! `http::HeaderMap` (feature `http`).

use std::collections::{BTreeMap, HashMap};

use crate::error::{quote, Error, Result};

/// Longest header value the core will read (bytes). Longer values are malformed.
pub const MAX_HEADER_VALUE_BYTES: usize = 16 * 1024;

/// The result of looking a header up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// No header of that name.
    Missing,
    /// Exactly one value.
    One(&'a [u8]),
    /// The header appears this many times (ambiguous for security headers).
    Many(usize),
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
fn find<'a>(entries: impl Iterator<Item = (&'a str, &'a [u8])>, name: &str) -> Lookup<'a> {
    let mut found = Lookup::Missing;
    for (k, v) in entries {
        if names_equal(k.as_bytes(), name.as_bytes()) {
            found = match found {
                Lookup::Missing => Lookup::One(v),
                Lookup::One(_) => Lookup::Many(2),
                Lookup::Many(n) => Lookup::Many(n + 1),
            };
        }
    }
    found
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for [(K, V)] {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        find(self.iter().map(|(k, v)| (k.as_ref(), v.as_ref())), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(K, V)> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        find(self.iter().map(|(k, v)| (k.as_ref(), v.as_ref())), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> Headers for [(K, V); N] {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        find(self.iter().map(|(k, v)| (k.as_ref(), v.as_ref())), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, S> Headers for HashMap<K, V, S> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        // A map may hold "Foo" and "foo" as distinct keys: that is two instances.
        find(self.iter().map(|(k, v)| (k.as_ref(), v.as_ref())), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for BTreeMap<K, V> {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        // A map may hold "Foo" and "foo" as distinct keys: that is two instances.
        find(self.iter().map(|(k, v)| (k.as_ref(), v.as_ref())), name)
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

/// Reads one header as trimmed text: exactly one instance, no CR/LF/NUL, UTF-8, bounded length.
pub(crate) fn single_value<'a, H: Headers + ?Sized>(headers: &'a H, name: &str) -> Result<Option<&'a str>> {
    match headers.lookup(name) {
        Lookup::Missing => Ok(None),
        Lookup::Many(n) => Err(Error::malformed(name, format!("the header appears {n} times; exactly one is allowed"))),
        Lookup::One(raw) => clean_value(name, raw).map(Some),
    }
}

/// Validates and trims (RFC 9110 optional whitespace) one header value.
pub(crate) fn clean_value<'a>(name: &str, raw: &'a [u8]) -> Result<&'a str> {
    if raw.len() > MAX_HEADER_VALUE_BYTES {
        return Err(Error::malformed(name, format!("the value is {} bytes; the limit is {MAX_HEADER_VALUE_BYTES}", raw.len())));
    }
    if let Some(at) = memchr::memchr3(b'\r', b'\n', 0, raw) {
        return Err(Error::malformed(name, format!("the value contains a control byte 0x{:02x}", raw[at])));
    }
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = raw.iter().position(|b| !is_ows(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !is_ows(b)).map_or(start, |e| e + 1);
    std::str::from_utf8(&raw[start..end]).map_err(|_| Error::malformed(name, format!("the value is not valid UTF-8: {}", quote(raw))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_and_duplicates() {
        let h = vec![("X-Sig", "a"), ("x-sig", "b"), ("Other", "c")];
        assert_eq!(h.lookup("X-SIG"), Lookup::Many(2));
        assert_eq!(h.lookup("other"), Lookup::One(b"c"));
        assert_eq!(h.lookup("none"), Lookup::Missing);
        let mut m = HashMap::new();
        m.insert("Content-Type".to_string(), "json".to_string());
        assert_eq!(m.lookup("content-type"), Lookup::One(b"json"));
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
        assert_eq!(clean_value("h", b"  v1 \t").unwrap(), "v1");
        for bad in [&b"a\r\nb"[..], b"a\0", b"\xff\xfe"] {
            assert_eq!(clean_value("h", bad).unwrap_err().code(), crate::ErrorCode::MalformedHeader);
        }
        assert!(clean_value("h", &vec![b'a'; MAX_HEADER_VALUE_BYTES + 1]).is_err());
    }
}
