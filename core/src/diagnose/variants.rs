//! Candidate bodies: what the sender may have signed instead of the bytes given.
//!
//! A fixed, ordered list (byte-level changes first, then JSON re-serializations),
//! deduplicated, so the search is bounded and its result the same in every build. Candidates
//! are made one at a time and each is bounded in size, so memory does not grow with them.

use sha2::{Digest, Sha256};

use super::json::{self, Json, Style, PHP_ASCII, PY_ASCII, RAW};
use super::{HintCode, MAX_VARIANT_BYTES};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One candidate body and what it says about the sender.
pub(crate) struct BodyVariant {
    pub code: HintCode,
    /// Completes "the body …": how this variant differs from the bytes given.
    pub label: &'static str,
    pub body: Vec<u8>,
}

const fn style(
    indent: usize,
    item_sep: &'static str,
    key_sep: &'static str,
    escape_slash: bool,
    escape_above: u32,
    sort_keys: bool,
) -> Style {
    Style { indent, item_sep, key_sep, escape_slash, escape_above, sort_keys }
}

/// JSON serializations senders and frameworks commonly produce, most likely first.
const JSON_FORMS: &[(&str, Style)] = &[
    ("compact JSON, as JavaScript's JSON.stringify(value) writes it", style(0, ",", ":", false, RAW, false)),
    ("JSON indented by 2 spaces, as JSON.stringify(value, null, 2) writes it", style(2, ",", ":", false, RAW, false)),
    ("JSON indented by 4 spaces", style(4, ",", ":", false, RAW, false)),
    (
        "JSON as Python's json.dumps(value) writes it (\", \" and \": \" separators, non-ASCII as \\uXXXX)",
        style(0, ", ", ": ", false, PY_ASCII, false),
    ),
    ("JSON as Python's json.dumps(value, ensure_ascii=False) writes it", style(0, ", ", ": ", false, RAW, false)),
    ("JSON as PHP's json_encode($value) writes it (\"/\" as \"\\/\", non-ASCII as \\uXXXX)", style(0, ",", ":", true, PHP_ASCII, false)),
    ("JSON as PHP's json_encode($value, JSON_PRETTY_PRINT) writes it", style(4, ",", ":", true, PHP_ASCII, false)),
    ("JSON as Python's json.dumps(value, indent=2) writes it", style(2, ",", ":", false, PY_ASCII, false)),
    ("JSON as Python's json.dumps(value, indent=4) writes it", style(4, ",", ":", false, PY_ASCII, false)),
    (
        "compact JSON with non-ASCII as \\uXXXX, as Python's json.dumps(value, separators=(\",\", \":\")) writes it",
        style(0, ",", ":", false, PY_ASCII, false),
    ),
    ("compact JSON with its keys sorted", style(0, ",", ":", false, RAW, true)),
    ("JSON as Python's json.dumps(value, sort_keys=True) writes it", style(0, ", ", ": ", false, PY_ASCII, true)),
    ("JSON indented by 2 spaces with its keys sorted", style(2, ",", ":", false, RAW, true)),
];

/// How one candidate is made from the body, in search order.
#[derive(Clone, Copy)]
enum Recipe {
    CrlfToLf,
    LfToCrlf,
    StripBom,
    AddBom,
    StripNewline,
    AddNewline,
    AddCrlf,
    ToLatin1,
    FromLatin1,
    /// An index into [`JSON_FORMS`].
    Json(usize),
}

/// Every candidate body, in search order, without duplicates or the original, made one at a
/// time as the search asks for it: at most one candidate (at most [`MAX_VARIANT_BYTES`]) is held
/// at once, and a search that stops early makes no more. Duplicates are recognised by their
/// SHA-256 digest. [`BodyVariants::oversized`] counts JSON forms dropped for their size.
pub(crate) fn body_variants(body: &[u8]) -> BodyVariants<'_> {
    let mut recipes = Vec::with_capacity(8 + JSON_FORMS.len());
    if contains(body, b"\r\n") {
        recipes.push(Recipe::CrlfToLf);
    } else if body.contains(&b'\n') {
        recipes.push(Recipe::LfToCrlf);
    }
    recipes.push(if body.starts_with(BOM) { Recipe::StripBom } else { Recipe::AddBom });
    if body.ends_with(b"\n") {
        recipes.push(Recipe::StripNewline);
    } else {
        recipes.extend([Recipe::AddNewline, Recipe::AddCrlf]);
    }
    if body.iter().any(|&b| b >= 0x80) {
        recipes.extend([Recipe::ToLatin1, Recipe::FromLatin1]);
    }
    recipes.extend((0..JSON_FORMS.len()).map(Recipe::Json));
    BodyVariants { body, recipes: recipes.into_iter(), json: None, seen: Vec::new(), oversized: 0 }
}

/// The candidates of [`body_variants`], made lazily.
pub(crate) struct BodyVariants<'a> {
    body: &'a [u8],
    recipes: std::vec::IntoIter<Recipe>,
    /// The body parsed as JSON, on first need (`Some(None)`: not JSON).
    json: Option<Option<Json>>,
    /// Digests of the candidates already given.
    seen: Vec<[u8; 32]>,
    oversized: usize,
}

impl BodyVariants<'_> {
    /// How many JSON forms were dropped because they would be over [`MAX_VARIANT_BYTES`].
    pub(crate) fn oversized(&self) -> usize {
        self.oversized
    }

    fn make(&mut self, recipe: Recipe) -> Option<(HintCode, &'static str, Vec<u8>)> {
        let body = self.body;
        let lines = HintCode::BodyLineEndings;
        Some(match recipe {
            Recipe::CrlfToLf => (lines, "with its CRLF line endings changed to LF", replace(body, b"\r\n", b"\n")),
            Recipe::LfToCrlf => (lines, "with its LF line endings changed to CRLF", replace(body, b"\n", b"\r\n")),
            Recipe::StripBom => (lines, "without its UTF-8 byte-order mark", body[BOM.len()..].to_vec()),
            Recipe::AddBom => (lines, "with a UTF-8 byte-order mark added", [BOM, body].concat()),
            Recipe::StripNewline => {
                let rest = body.strip_suffix(b"\r\n").or_else(|| body.strip_suffix(b"\n"))?;
                (lines, "without its trailing newline", rest.to_vec())
            }
            Recipe::AddNewline => (lines, "with a trailing newline added", [body, b"\n"].concat()),
            Recipe::AddCrlf => (
                lines,
                "with a trailing CRLF added (the sender signs its final CRLF, as SendGrid does; it was stripped)",
                [body, b"\r\n"].concat(),
            ),
            Recipe::ToLatin1 => {
                let latin1 = std::str::from_utf8(body).ok().and_then(to_latin1)?;
                (HintCode::BodyCharset, "encoded as Latin-1 (ISO-8859-1) instead of UTF-8", latin1)
            }
            Recipe::FromLatin1 => {
                let utf8: String = body.iter().map(|&b| char::from(b)).collect();
                (HintCode::BodyCharset, "decoded as Latin-1 (ISO-8859-1) and re-encoded as UTF-8", utf8.into_bytes())
            }
            Recipe::Json(i) => {
                let value = self.json.get_or_insert_with(|| json::parse(body)).as_ref()?;
                let (label, style) = &JSON_FORMS[i];
                match json::write(value, style, MAX_VARIANT_BYTES) {
                    Some(text) => (HintCode::BodyReserialized, *label, text),
                    None => {
                        self.oversized += 1;
                        return None;
                    }
                }
            }
        })
    }
}

impl Iterator for BodyVariants<'_> {
    type Item = BodyVariant;

    fn next(&mut self) -> Option<BodyVariant> {
        while let Some(recipe) = self.recipes.next() {
            let Some((code, label, candidate)) = self.make(recipe) else { continue };
            if candidate == self.body {
                continue;
            }
            let digest: [u8; 32] = Sha256::digest(&candidate).into();
            if self.seen.contains(&digest) {
                continue;
            }
            self.seen.push(digest);
            return Some(BodyVariant { code, label, body: candidate });
        }
        None
    }
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

    fn all(body: &[u8]) -> Vec<BodyVariant> {
        body_variants(body).collect()
    }

    fn labels(body: &[u8]) -> Vec<&'static str> {
        body_variants(body).map(|v| v.label).collect()
    }

    #[test]
    fn byte_variants_each_way() {
        let v = all(b"a\r\nb\r\n");
        assert_eq!(v[0].body, b"a\nb\n");
        assert_eq!(v[2].body, b"a\r\nb");
        assert!(labels(b"\xEF\xBB\xBFx").contains(&"without its UTF-8 byte-order mark"));
        let latin = all(b"caf\xe9");
        assert!(latin.iter().any(|v| v.body == "café".as_bytes()));
        let utf = all("café".as_bytes());
        assert!(utf.iter().any(|v| v.body == b"caf\xe9"));
    }

    #[test]
    fn json_forms_are_deduplicated() {
        let v = all(br#"{"a":1}"#);
        let bodies: Vec<&[u8]> = v.iter().map(|v| v.body.as_slice()).collect();
        assert!(bodies.contains(&&b"{\"a\": 1}"[..]));
        assert!(bodies.contains(&&b"{\n  \"a\": 1\n}"[..]));
        assert!(!bodies.contains(&&br#"{"a":1}"#[..]), "the original is not a variant");
        assert!(v.len() < 3 + 4 + 3, "duplicates removed: {}", v.len());
    }

    #[test]
    fn json_forms_are_made_lazily_and_capped() {
        // 4,093 one-item arrays nested 127 deep (~1 MiB): indented by 4 spaces that is ~266 MB.
        let unit = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        let body = format!("[{}]", vec![unit; 4093].join(","));
        assert!(body.len() <= super::super::MAX_VARIANT_BODY_BYTES);
        let mut variants = body_variants(body.as_bytes());
        let mut largest = 0;
        let mut count = 0;
        for v in variants.by_ref() {
            largest = largest.max(v.body.len());
            count += 1;
        }
        assert!(largest <= MAX_VARIANT_BYTES, "{largest}");
        // The indented forms (2 and 4 spaces, plain/Python/PHP) are over the cap; the one-line ones are not.
        assert!(variants.oversized() >= 2, "{}", variants.oversized());
        assert!(count >= 3, "BOM, newline and Python separators remain: {count}");
        // A search that stops at the first candidate never makes the JSON forms.
        let mut first = body_variants(body.as_bytes());
        assert_eq!(first.next().map(|v| v.label), Some("with a UTF-8 byte-order mark added"));
        assert!(first.json.is_none());
    }
}
