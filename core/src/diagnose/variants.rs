//! Candidate bodies: what the sender may have signed instead of the bytes given.
//!
//! A fixed, ordered list (byte-level changes first, then JSON re-serializations),
//! deduplicated, so the search is bounded and its result the same in every build.

use super::json::{self, Style, PHP_ASCII, PY_ASCII, RAW};
use super::HintCode;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One candidate body and what it says about the sender.
pub(crate) struct BodyVariant {
    pub code: HintCode,
    /// Completes "the body …": how this variant differs from the bytes given.
    pub label: &'static str,
    pub body: Vec<u8>,
}

const fn style(indent: usize, item_sep: &'static str, key_sep: &'static str, escape_slash: bool, escape_above: u32, sort_keys: bool) -> Style {
    Style { indent, item_sep, key_sep, escape_slash, escape_above, sort_keys }
}

/// JSON serializations senders and frameworks commonly produce, most likely first.
const JSON_FORMS: &[(&str, Style)] = &[
    ("compact JSON, as JavaScript's JSON.stringify(value) writes it", style(0, ",", ":", false, RAW, false)),
    ("JSON indented by 2 spaces, as JSON.stringify(value, null, 2) writes it", style(2, ",", ":", false, RAW, false)),
    ("JSON indented by 4 spaces", style(4, ",", ":", false, RAW, false)),
    ("JSON as Python's json.dumps(value) writes it (\", \" and \": \" separators, non-ASCII as \\uXXXX)", style(0, ", ", ": ", false, PY_ASCII, false)),
    ("JSON as Python's json.dumps(value, ensure_ascii=False) writes it", style(0, ", ", ": ", false, RAW, false)),
    ("JSON as PHP's json_encode($value) writes it (\"/\" as \"\\/\", non-ASCII as \\uXXXX)", style(0, ",", ":", true, PHP_ASCII, false)),
    ("JSON as PHP's json_encode($value, JSON_PRETTY_PRINT) writes it", style(4, ",", ":", true, PHP_ASCII, false)),
    ("JSON as Python's json.dumps(value, indent=2) writes it", style(2, ",", ":", false, PY_ASCII, false)),
    ("JSON as Python's json.dumps(value, indent=4) writes it", style(4, ",", ":", false, PY_ASCII, false)),
    ("compact JSON with non-ASCII as \\uXXXX, as Python's json.dumps(value, separators=(\",\", \":\")) writes it", style(0, ",", ":", false, PY_ASCII, false)),
    ("compact JSON with its keys sorted", style(0, ",", ":", false, RAW, true)),
    ("JSON as Python's json.dumps(value, sort_keys=True) writes it", style(0, ", ", ": ", false, PY_ASCII, true)),
    ("JSON indented by 2 spaces with its keys sorted", style(2, ",", ":", false, RAW, true)),
];

/// Every candidate body, in search order, without duplicates or the original.
pub(crate) fn body_variants(body: &[u8]) -> Vec<BodyVariant> {
    let mut out: Vec<BodyVariant> = Vec::new();
    let mut push = |code, label, candidate: Vec<u8>| {
        if candidate != body && !out.iter().any(|v| v.body == candidate) {
            out.push(BodyVariant { code, label, body: candidate });
        }
    };
    let lines = HintCode::BodyLineEndings;
    if contains(body, b"\r\n") {
        push(lines, "with its CRLF line endings changed to LF", replace(body, b"\r\n", b"\n"));
    } else if body.contains(&b'\n') {
        push(lines, "with its LF line endings changed to CRLF", replace(body, b"\n", b"\r\n"));
    }
    match body.strip_prefix(BOM) {
        Some(rest) => push(lines, "without its UTF-8 byte-order mark", rest.to_vec()),
        None => push(lines, "with a UTF-8 byte-order mark added", [BOM, body].concat()),
    }
    if let Some(rest) = body.strip_suffix(b"\r\n").or_else(|| body.strip_suffix(b"\n")) {
        push(lines, "without its trailing newline", rest.to_vec());
    } else {
        push(lines, "with a trailing newline added", [body, b"\n"].concat());
    }
    if body.iter().any(|&b| b >= 0x80) {
        if let Some(latin1) = std::str::from_utf8(body).ok().and_then(to_latin1) {
            push(HintCode::BodyCharset, "encoded as Latin-1 (ISO-8859-1) instead of UTF-8", latin1);
        }
        let utf8: String = body.iter().map(|&b| char::from(b)).collect();
        push(HintCode::BodyCharset, "decoded as Latin-1 (ISO-8859-1) and re-encoded as UTF-8", utf8.into_bytes());
    }
    if let Some(value) = json::parse(body) {
        for (label, style) in JSON_FORMS {
            push(HintCode::BodyReserialized, label, json::write(&value, style));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 16);
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

/// The text as Latin-1 bytes, when every character fits.
fn to_latin1(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(body: &[u8]) -> Vec<&'static str> {
        body_variants(body).iter().map(|v| v.label).collect()
    }

    #[test]
    fn byte_variants_each_way() {
        let v = body_variants(b"a\r\nb\r\n");
        assert_eq!(v[0].body, b"a\nb\n");
        assert_eq!(v[2].body, b"a\r\nb");
        assert!(labels(b"\xEF\xBB\xBFx").contains(&"without its UTF-8 byte-order mark"));
        let latin = body_variants(b"caf\xe9");
        assert!(latin.iter().any(|v| v.body == "café".as_bytes()));
        let utf = body_variants("café".as_bytes());
        assert!(utf.iter().any(|v| v.body == b"caf\xe9"));
    }

    #[test]
    fn json_forms_are_deduplicated() {
        let v = body_variants(br#"{"a":1}"#);
        let bodies: Vec<&[u8]> = v.iter().map(|v| v.body.as_slice()).collect();
        assert!(bodies.contains(&&b"{\"a\": 1}"[..]));
        assert!(bodies.contains(&&b"{\n  \"a\": 1\n}"[..]));
        assert!(!bodies.contains(&&br#"{"a":1}"#[..]), "the original is not a variant");
        assert!(v.len() < 3 + 4 + 3, "duplicates removed: {}", v.len());
    }
}
