//! Parsers for the three signature-header layouts: `single`, `list`, `kv`.
//!
//! They only split text; decoding and length checks happen in `verify`, so
//! the rules for "what counts as a signature" live in one place per layout.

use arrayvec::ArrayVec;

use super::{SchemeSpec, SignatureFormat};
use crate::error::{quote, Error, Result};

/// Upper bound on signatures read from one header (bounded work on hostile input).
pub(crate) const MAX_SIGNATURES: usize = 32;

/// What a signature header holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ParsedHeader<'a> {
    /// Encoded signatures of the expected version, prefix removed.
    pub signatures: ArrayVec<&'a str, MAX_SIGNATURES>,
    /// The `t=` value of a kv header.
    pub timestamp: Option<&'a str>,
    /// Version labels seen that are not the expected one (for messages and diagnose; the first 8).
    pub other_versions: ArrayVec<&'a str, 8>,
}

/// Splits a (trimmed, validated) signature header value per the scheme's format.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn parse_signature_header<'a>(spec: &SchemeSpec, header: &str, value: &'a str) -> Result<ParsedHeader<'a>> {
    let mut out = ParsedHeader::default();
    parse_signature_header_into(spec, header, value, &mut out)?;
    Ok(out)
}

/// Like [`parse_signature_header`], filling `out` in place (the hot path: no large return copy).
pub(crate) fn parse_signature_header_into<'a>(spec: &SchemeSpec, header: &str, value: &'a str, out: &mut ParsedHeader<'a>) -> Result<()> {
    if value.is_empty() {
        return Err(Error::malformed(header, "the header is empty"));
    }
    match spec.signature_format {
        SignatureFormat::Single => parse_single(spec, header, value, out),
        SignatureFormat::List => parse_list(spec, header, value, out),
        SignatureFormat::Kv => parse_kv(spec, header, value, out),
        // Compared whole by `token_matches`, never split (the value is the secret itself).
        SignatureFormat::Token | SignatureFormat::Basic => Err(Error::malformed(header, "a token header has no signatures to parse")),
    }
}

/// `a == b` for the few-byte labels and prefixes of a signature header, compared inline: a
/// `memcmp` call costs more than the bytes it would compare.
#[inline]
fn label_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// `value` without `prefix` (often empty), or `None` when it does not start with it.
#[inline]
fn strip_label<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    match value.get(..prefix.len()) {
        Some(head) if label_eq(head, prefix) => Some(&value[prefix.len()..]),
        _ => None,
    }
}

/// The error for a value that looks like two header lines joined into one.
fn joined(header: &str, what: &str) -> Error {
    Error::malformed(header, format!("{what}: the header appears to be two headers joined with `,` (exactly one is allowed)"))
}

fn push_signature<'a>(out: &mut ParsedHeader<'a>, header: &str, sig: &'a str) -> Result<()> {
    out.signatures.try_push(sig).map_err(|_| Error::malformed(header, format!("more than {MAX_SIGNATURES} signatures")))
}

fn parse_single<'a>(spec: &SchemeSpec, header: &str, value: &'a str, out: &mut ParsedHeader<'a>) -> Result<()> {
    let sig = strip_label(value, &spec.prefix).ok_or_else(|| {
        Error::malformed(header, format!("expected the value to start with {:?}, found {}", spec.prefix, quote(value.as_bytes())))
    })?;
    if sig.is_empty() {
        return Err(Error::malformed(header, format!("no signature after {:?}", spec.prefix)));
    }
    // `try_push`: extra signature headers add to the same list.
    push_signature(out, header, sig)
}

/// `text` split at the first `byte` (an ASCII byte, so both sides are `str`s), found with memchr:
/// `str::split_once(char)` costs more than the few bytes of a signature entry.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    memchr::memchr(byte, text.as_bytes()).map(|i| (&text[..i], &text[i + 1..]))
}

/// The pieces of `text` between `byte`s, as `text.split(byte as char)` yields them (empty ones
/// included), each found with [`split_at_byte`].
fn split_on(text: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let piece = rest?;
        Some(match split_at_byte(piece, byte) {
            Some((head, tail)) => {
                rest = Some(tail);
                head
            }
            None => {
                rest = None;
                piece
            }
        })
    })
}

fn parse_list<'a>(spec: &SchemeSpec, header: &str, value: &'a str, out: &mut ParsedHeader<'a>) -> Result<()> {
    for entry in split_on(value, b' ') {
        if entry.is_empty() {
            return Err(Error::malformed(header, "empty entry (entries are separated by a single space)"));
        }
        let (version, sig) = split_at_byte(entry, b',').ok_or_else(|| {
            Error::malformed(header, format!("expected `<version>,<signature>` entries, found {}", quote(entry.as_bytes())))
        })?;
        // Exactly one comma per entry, whatever its version: a second one is what joining two
        // header lines with `, ` (a proxy, Fetch `Headers`) or `,` (WSGI) leaves behind.
        if memchr::memchr(b',', sig.as_bytes()).is_some() {
            return Err(joined(header, "an entry holds more than one comma"));
        }
        if label_eq(version, &spec.signature_version) {
            let sig = strip_label(sig, &spec.prefix).unwrap_or("");
            if sig.is_empty() {
                return Err(Error::malformed(header, format!("entry `{version},` has no signature")));
            }
            push_signature(out, header, sig)?;
        } else {
            let _ = out.other_versions.try_push(version);
        }
    }
    Ok(())
}

fn parse_kv<'a>(spec: &SchemeSpec, header: &str, value: &'a str, out: &mut ParsedHeader<'a>) -> Result<()> {
    // An ASCII separator (checked by compile), so byte splitting keeps `str` boundaries.
    let separator = spec.kv_separator as u8;
    for pair in split_on(value, separator) {
        let (key, val) = split_at_byte(pair, b'=').ok_or_else(|| {
            Error::malformed(header, format!("expected comma-separated `key=value` pairs, found {}", quote(pair.as_bytes())))
        })?;
        if key.is_empty() {
            return Err(Error::malformed(header, "a pair has an empty key"));
        }
        // Keys hold no whitespace: `, ` between pairs is what joining two header lines leaves
        // behind, and ` t` would otherwise pass as an unknown key beside the real `t`.
        if key.bytes().any(|b| b == b' ' || b == b'\t') {
            return Err(joined(header, "a key holds whitespace"));
        }
        if label_eq(key, &spec.timestamp_key) {
            if out.timestamp.is_some() {
                return Err(Error::malformed(header, format!("`{key}=` appears more than once (ambiguous timestamp)")));
            }
            out.timestamp = Some(val);
        } else if label_eq(key, &spec.signature_version) {
            let sig = strip_label(val, &spec.prefix).unwrap_or("");
            if sig.is_empty() {
                return Err(Error::malformed(header, format!("`{key}=` has no signature")));
            }
            push_signature(out, header, sig)?;
        } else {
            let _ = out.other_versions.try_push(key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Scheme;

    fn spec(name: &str) -> SchemeSpec {
        Scheme::preset(name).unwrap().spec().clone()
    }

    #[test]
    fn kv_collects_every_v1_and_ignores_v0() {
        let p = parse_signature_header(&spec("stripe"), "Stripe-Signature", "t=1,v1=aa,v0=bb,v1=cc").unwrap();
        assert_eq!(p.timestamp, Some("1"));
        assert_eq!(p.signatures.as_slice(), ["aa", "cc"]);
        assert_eq!(p.other_versions.as_slice(), ["v0"]);
    }

    #[test]
    fn kv_rejects_duplicate_t_and_bare_keys() {
        let s = spec("stripe");
        for bad in
            ["t=1,t=2,v1=aa", "t,v1=aa", ",,", "t=1,v1=", "=x,t=1", "t=1,v1=aa, v1=bb", "t=1,v1=aa, t=2,v1=bb", "t=1,\tv1=aa", "t =1,v1=aa"]
        {
            assert!(parse_signature_header(&s, "Stripe-Signature", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_splits_on_single_spaces() {
        let s = spec("standard");
        let p = parse_signature_header(&s, "webhook-signature", "v1,aaa= v2,bbb= v1,ccc=").unwrap();
        assert_eq!(p.signatures.as_slice(), ["aaa=", "ccc="]);
        assert_eq!(p.other_versions.as_slice(), ["v2"]);
        let many = vec!["v1,x"; MAX_SIGNATURES + 1].join(" ");
        assert!(parse_signature_header(&s, "webhook-signature", &many).is_err());
        assert!(parse_signature_header(&s, "webhook-signature", "v1,a  v1,b").is_err());
        assert!(parse_signature_header(&s, "webhook-signature", "v1,a ").is_err());
        assert!(parse_signature_header(&s, "webhook-signature", " v1,a").is_err());
        // One comma per entry: a second is what joined header lines leave (`v1,a, v1,b`, `v1,a,v1,b`).
        for joined in ["v1,a,b v1,c", "v1,a, v1,c", "v2,a, v1,c", "v1,a,v1,c", "v1,c v1a,x,"] {
            let err = parse_signature_header(&s, "webhook-signature", joined).unwrap_err();
            assert!(err.to_string().contains("joined"), "{joined}: {err}");
        }
        assert!(parse_signature_header(&s, "webhook-signature", "v1,").is_err());
        assert!(parse_signature_header(&s, "webhook-signature", "v1a").is_err());
    }

    #[test]
    fn single_requires_prefix() {
        let s = spec("github");
        assert_eq!(parse_signature_header(&s, "h", "sha256=ab").unwrap().signatures.as_slice(), ["ab"]);
        assert!(parse_signature_header(&s, "h", "sha256=").is_err());
        assert!(parse_signature_header(&s, "h", "SHA256=ab").is_err());
        assert!(parse_signature_header(&s, "h", "ab").is_err());
    }
}
