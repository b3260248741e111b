//! The event envelope: id, type, timestamp and data, read lazily from the body.
//!
//! Only the fields the scheme's mapping names are visited; the payload is kept
//! as raw JSON text until someone asks for it. Duplicate keys on the path to a
//! field are rejected, so two parsers cannot disagree about what was signed.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::headers::{single_value, Headers};
use crate::scheme::{FieldSource, Scheme};
use crate::verify::Verified;

/// A verified, parsed webhook event that owns its payload text.
///
/// [`Verifier::verify_at`](crate::Verifier::verify_at) returns this; when you still hold the body,
/// [`Verifier::verify_ref_at`](crate::Verifier::verify_ref_at) gives an [`EventRef`] that borrows
/// the payload from it instead of copying.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event id (also the default duplicate-suppression key).
    pub id: String,
    /// The event type, e.g. `user.created`, `issues.opened`.
    pub event_type: String,
    /// When the event happened (unix seconds), if the envelope or headers say.
    pub timestamp: Option<i64>,
    /// Index of the secret that verified the signature.
    pub key_index: usize,
    /// The payload's JSON text (already validated as part of the body), shared by clones.
    data: Arc<str>,
    /// Where the payload's JSON text sits in the body (`None` when the payload is absent).
    data_range: Option<Range<usize>>,
}

impl Event {
    /// The payload as JSON text, exactly as it appeared in the body.
    pub fn data_json(&self) -> &str {
        &self.data
    }

    /// Byte range of the payload's JSON text within the verified body, so a binding can
    /// hand the caller a slice of the body it already holds instead of a copy.
    pub fn data_range(&self) -> Option<Range<usize>> {
        self.data_range.clone()
    }

    /// The payload parsed into a `serde_json::Value` (parsed on each call).
    pub fn data(&self) -> Result<serde_json::Value> {
        self.data_as()
    }

    /// The payload deserialized into your own type.
    pub fn data_as<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T> {
        data_as(&self.data)
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.id == other.id
            && self.event_type == other.event_type
            && self.timestamp == other.timestamp
            && self.key_index == other.key_index
            && self.data == other.data
    }
}

/// A verified, parsed webhook event whose payload text borrows from the body: no copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef<'b> {
    /// The event id (also the default duplicate-suppression key).
    pub id: String,
    /// The event type, e.g. `user.created`, `issues.opened`.
    pub event_type: String,
    /// When the event happened (unix seconds), if the envelope or headers say.
    pub timestamp: Option<i64>,
    /// Index of the secret that verified the signature.
    pub key_index: usize,
    /// The payload's JSON text, a slice of the body (`null` when the payload is absent).
    data: &'b str,
    /// Where `data` sits in the body (`None` when the payload is absent).
    data_range: Option<Range<usize>>,
}

impl<'b> EventRef<'b> {
    /// The payload as JSON text: a slice of the verified body.
    pub fn data_json(&self) -> &'b str {
        self.data
    }

    /// Byte range of the payload's JSON text within the verified body.
    pub fn data_range(&self) -> Option<Range<usize>> {
        self.data_range.clone()
    }

    /// The payload deserialized into your own type (borrowing from the body where it can).
    pub fn data_as<T: serde::Deserialize<'b>>(&self) -> Result<T> {
        data_as(self.data)
    }

    /// Copies the payload text into an owned [`Event`].
    pub fn into_owned(self) -> Event {
        Event {
            id: self.id,
            event_type: self.event_type,
            timestamp: self.timestamp,
            key_index: self.key_index,
            data: Arc::from(self.data),
            data_range: self.data_range,
        }
    }

    /// Drops the payload, keeping where it sits in the body (no copy of it).
    pub fn into_meta(self) -> EventMeta {
        EventMeta {
            id: self.id,
            event_type: self.event_type,
            timestamp: self.timestamp,
            key_index: self.key_index,
            data_range: self.data_range,
        }
    }
}

/// A verified event's envelope fields and where its payload sits in the body, without the payload
/// text: what a receiver [`Delivery`](crate::receiver::Delivery) carries, so a delivery never
/// copies the body. The caller still holds the body; [`EventMeta::with_body`] reads the payload
/// from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta {
    /// The event id (also the default duplicate-suppression key).
    pub id: String,
    /// The event type, e.g. `user.created`, `issues.opened`.
    pub event_type: String,
    /// When the event happened (unix seconds), if the envelope or headers say.
    pub timestamp: Option<i64>,
    /// Index of the secret that verified the signature.
    pub key_index: usize,
    /// Where the payload's JSON text sits in the body (`None` when the payload is absent).
    data_range: Option<Range<usize>>,
}

impl EventMeta {
    /// Byte range of the payload's JSON text within the verified body (`None`: absent, i.e. `null`).
    pub fn data_range(&self) -> Option<Range<usize>> {
        self.data_range.clone()
    }

    /// The event with its payload borrowed from `body`, which must be the body this event was
    /// parsed from. A body too short for the payload's range, or not UTF-8 there, is
    /// `invalid_argument` (it cannot be that body); any other body gives a wrong payload.
    pub fn with_body<'b>(&self, body: &'b [u8]) -> Result<EventRef<'b>> {
        let data = match &self.data_range {
            None => "null",
            Some(r) => body.get(r.clone()).and_then(|b| std::str::from_utf8(b).ok()).ok_or_else(|| Error::InvalidArgument {
                reason: "this is not the body the event was parsed from (its payload range does not fit)".into(),
            })?,
        };
        Ok(EventRef {
            id: self.id.clone(),
            event_type: self.event_type.clone(),
            timestamp: self.timestamp,
            key_index: self.key_index,
            data,
            data_range: self.data_range.clone(),
        })
    }
}

impl From<EventRef<'_>> for Event {
    fn from(event: EventRef<'_>) -> Event {
        event.into_owned()
    }
}

fn data_as<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::InvalidJson { reason: e.to_string() })
}

/// A JSON document whose top-level object members are indexed once.
///
/// Values are JSON text slices of the body: serde_json checks the syntax of
/// the whole body in the single pass that indexes the top level, and nothing
/// below the top level is visited unless a pointer asks for it.
pub(crate) struct Document<'a> {
    root: &'a str,
    top: Option<Vec<(Cow<'a, str>, &'a str)>>,
}

fn json_error(e: serde_json::Error) -> Error {
    Error::InvalidJson { reason: e.to_string() }
}

impl<'a> Document<'a> {
    /// Validates the body as JSON and indexes its top-level members, in one pass.
    pub(crate) fn parse(body: &'a [u8]) -> Result<Document<'a>> {
        check_depth(body)?;
        let text = std::str::from_utf8(body).map_err(|e| Error::InvalidJson { reason: format!("the body is not UTF-8: {e}") })?;
        let root = text.trim_matches([' ', '\t', '\n', '\r']);
        if root.starts_with('{') {
            let mut de = serde_json::Deserializer::from_str(root);
            let top = de.deserialize_map(MembersVisitor).map_err(json_error)?;
            de.end().map_err(json_error)?;
            Ok(Document { root, top: Some(top) })
        } else {
            let raw: &RawValue = serde_json::from_str(root).map_err(json_error)?;
            Ok(Document { root: raw.get(), top: None })
        }
    }

    /// Resolves a JSON pointer to its JSON text, `None` when absent.
    pub(crate) fn pointer(&self, pointer: &str) -> Result<Option<&'a str>> {
        if pointer.is_empty() {
            return Ok(Some(self.root));
        }
        // The envelope's usual fields ("/type", "/data") are one plain member of the indexed top
        // level: no token iterator or unescape for them.
        if let (Some(entries), Some(name)) = (&self.top, pointer.strip_prefix('/')) {
            if !name.bytes().any(|b| b == b'/' || b == b'~') {
                return unique(entries, name);
            }
        }
        let mut tokens = pointer.split('/').skip(1).map(unescape);
        let first = tokens.next().unwrap_or_default();
        let mut current = match &self.top {
            Some(entries) => match unique(entries, &first)? {
                Some(v) => v,
                None => return Ok(None),
            },
            None => match child(self.root, &first)? {
                Some(v) => v,
                None => return Ok(None),
            },
        };
        for token in tokens {
            current = match child(current, &token)? {
                Some(v) => v,
                None => return Ok(None),
            };
        }
        Ok(Some(current))
    }
}

/// Deepest nesting of arrays/objects accepted (the same limit every runtime's JSON parser can meet).
pub const MAX_JSON_DEPTH: usize = 128;

/// Rejects bodies nested deeper than [`MAX_JSON_DEPTH`] before any parser recurses into them.
///
/// Nesting deeper than the limit takes more opening brackets than the limit, so a body with no
/// more `[`/`{` bytes than that (strings included: an upper bound) passes after one counting pass
/// that vectorizes. Otherwise the exact walk jumps between the bytes that matter (quotes,
/// brackets, backslashes in strings) with memchr, so long strings cost almost nothing.
fn check_depth(body: &[u8]) -> Result<()> {
    if openers_at_most(body, MAX_JSON_DEPTH) {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr3(b'"', b'[', b'{', &body[i..]).map(|o| o + i) {
        // Closing brackets between i and off lower the depth.
        depth = depth.saturating_sub(body[i..off].iter().filter(|&&b| b == b']' || b == b'}').count());
        match body[off] {
            b'"' => {
                // Skip the string: find the closing quote that is not escaped.
                let mut j = off + 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &body[j..]) {
                        Some(o) if body[j + o] == b'\\' => j += o + 2,
                        Some(o) => {
                            j += o + 1;
                            break;
                        }
                        None => return Ok(()), // unterminated: the parser reports it
                    }
                    if j >= body.len() {
                        return Ok(());
                    }
                }
                i = j;
            }
            _ => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(Error::InvalidJson { reason: format!("nesting deeper than {MAX_JSON_DEPTH} levels") });
                }
                i = off + 1;
            }
        }
    }
    Ok(())
}

/// Whether `body` holds at most `limit` `[` and `{` bytes (stops counting once past it).
fn openers_at_most(body: &[u8], limit: usize) -> bool {
    let mut seen = 0usize;
    // A byte counter per chunk of at most 255 bytes cannot overflow, and a u8 sum vectorizes to
    // one compare and one add per 16 bytes; 240 (a multiple of the vector width) leaves no
    // byte-at-a-time tail inside each chunk.
    for chunk in body.chunks(240) {
        seen += usize::from(chunk.iter().fold(0u8, |n, &b| n.wrapping_add(u8::from((b | 0x20) == b'{'))));
        if seen > limit {
            return false;
        }
    }
    true
}

fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

fn unique<'a>(entries: &[(Cow<'a, str>, &'a str)], key: &str) -> Result<Option<&'a str>> {
    let mut hits = entries.iter().filter(|(k, _)| k == key);
    match (hits.next(), hits.next()) {
        (Some(_), Some(_)) => Err(Error::InvalidJson { reason: format!("duplicate key {key:?} in the envelope") }),
        (hit, _) => Ok(hit.map(|(_, v)| *v)),
    }
}

/// One step of a pointer: an object member or an array element.
fn child<'a>(text: &'a str, token: &str) -> Result<Option<&'a str>> {
    if text.starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        let entries = de.deserialize_map(MembersVisitor).map_err(json_error)?;
        unique(&entries, token)
    } else if text.starts_with('[') {
        let Ok(index) = token.parse::<usize>() else { return Ok(None) };
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(json_error)?;
        Ok(items.get(index).map(|v| v.get()))
    } else {
        Ok(None)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(Cow<'de, str>, &'de str)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        // Envelopes have a handful of top-level members: one allocation covers them.
        let mut out = Vec::with_capacity(8);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            out.push((key, map.next_value::<&RawValue>()?.get()));
        }
        Ok(out)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<Self::Value, A::Error> {
        Err(de::Error::custom("expected an object"))
    }
}

/// Deserializes a key borrowing from the input when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A resolved field value before typing.
enum Found<'a> {
    Json(&'a str),
    Text(Cow<'a, str>),
}

impl<'a> Found<'a> {
    /// The value as text: header text as-is, a JSON string or integer as its text, else `None`.
    fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Found::Text(t) => Some(t),
            Found::Json(raw) => json_scalar_text(raw),
        }
    }
}

/// Resolves a field source against headers and the document; `None` when absent everywhere.
pub(crate) fn resolve<'a, H: Headers + ?Sized>(
    source: &FieldSource,
    headers: &'a H,
    doc: Option<&Document<'a>>,
) -> Result<Option<Cow<'a, str>>> {
    Ok(resolve_raw(source, headers, doc)?.and_then(Found::into_text))
}

fn resolve_raw<'a, H: Headers + ?Sized>(source: &FieldSource, headers: &'a H, doc: Option<&Document<'a>>) -> Result<Option<Found<'a>>> {
    match source {
        FieldSource::Pointer(p) => pointer_value(doc, p),
        FieldSource::AnyOf(list) => {
            for s in list {
                if let Some(found) = resolve_raw(s, headers, doc)? {
                    return Ok(Some(found));
                }
            }
            Ok(None)
        }
        FieldSource::Rule(rule) => {
            let base = match (&rule.header, &rule.pointer, &rule.value) {
                (Some(h), _, _) => single_value(headers, h)?.filter(|v| !v.is_empty()).map(|v| Found::Text(Cow::Borrowed(v))),
                (None, Some(p), _) => pointer_value(doc, p)?,
                (None, None, Some(v)) => Some(Found::Text(Cow::Owned(v.clone()))),
                (None, None, None) => None,
            };
            let Some(base) = base else { return Ok(None) };
            let Some(suffix_ptr) = &rule.suffix_pointer else { return Ok(Some(base)) };
            let suffix = pointer_value(doc, suffix_ptr)?.and_then(Found::into_text);
            let Some(base_text) = base.into_text() else { return Ok(None) };
            Ok(Some(Found::Text(match suffix {
                Some(s) if !s.is_empty() => Cow::Owned(format!("{base_text}.{s}")),
                _ => base_text,
            })))
        }
    }
}

fn pointer_value<'a>(doc: Option<&Document<'a>>, pointer: &str) -> Result<Option<Found<'a>>> {
    let Some(doc) = doc else { return Ok(None) };
    Ok(doc.pointer(pointer)?.filter(|raw| *raw != "null").map(Found::Json))
}

/// A JSON string or integer as text (a body field a scheme reads before verifying).
pub(crate) fn field_text(text: &str) -> Option<Cow<'_, str>> {
    json_scalar_text(text)
}

/// A JSON string or integer as text; other JSON kinds are not usable as ids/types.
fn json_scalar_text(text: &str) -> Option<Cow<'_, str>> {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        // `text` is a value of a document the parser accepted: without escapes, a JSON string is
        // exactly its text between the quotes (no allocation; serde's Cow always owns).
        if !inner.contains('\\') {
            return Some(Cow::Borrowed(inner));
        }
        let s: String = serde_json::from_str(text).ok()?;
        Some(Cow::Owned(s))
    } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !text.is_empty() {
        Some(Cow::Borrowed(text))
    } else {
        None
    }
}

/// Unix seconds from a number, a digit string, or an RFC 3339 date-time (the `auto` format).
#[cfg(test)]
fn parse_event_time(text: &str) -> Option<i64> {
    crate::scheme::parse_event_time_as(crate::scheme::EventTimestampFormat::Auto, text)
}

/// Where a field source looks, for messages (`JSON pointer "/id"`, `header X-Id`).
pub(crate) fn describe(source: &FieldSource) -> String {
    match source {
        FieldSource::Pointer(p) => format!("JSON pointer {p:?}"),
        FieldSource::Rule(r) => match (&r.header, &r.pointer, &r.value) {
            (Some(h), _, _) => format!("header {h}"),
            (_, Some(p), _) => format!("JSON pointer {p:?}"),
            (_, _, Some(v)) => format!("the fixed value {v:?}"),
            _ => "nothing".into(),
        },
        FieldSource::AnyOf(list) => list.iter().map(describe).collect::<Vec<_>>().join(", then "),
    }
}

/// Parses the envelope of a verified body per the scheme's event mapping.
pub(crate) fn parse<'b, H: Headers + ?Sized>(scheme: &Scheme, headers: &H, body: &'b [u8], verified: &Verified) -> Result<EventRef<'b>> {
    parse_with_key(scheme, headers, body, verified, false).map(|(event, _)| event)
}

/// Parses the envelope and, from the same document, resolves the scheme's explicit `dedup_key`
/// when `with_key` (`None`: no explicit key, or it is absent from this request).
///
/// Every field is read as for the header set that verified the request (`verified.header_set`):
/// another set's headers are never read (see `SetFields`).
pub(crate) fn parse_with_key<'b, H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &H,
    body: &'b [u8],
    verified: &Verified,
    with_key: bool,
) -> Result<(EventRef<'b>, Option<String>)> {
    let doc = Document::parse(body)?;
    let fields = scheme.fields(verified.header_set);
    let field = |name: &str, source: &FieldSource| -> Result<String> {
        match resolve(source, headers, Some(&doc))? {
            Some(v) if !v.is_empty() => Ok(v.into_owned()),
            _ => Err(Error::MissingField { field: name.to_owned(), source_desc: describe(source) }),
        }
    };
    let id = match &fields.id {
        Some(source) => field("id", source)?,
        // The sender sends no event id (`event.id: null`): the body's digest names the event.
        None => body_digest(body),
    };
    let event_type = field("type", &fields.event_type)?;
    let format = scheme.spec().event.timestamp_format;
    let timestamp = match &fields.timestamp {
        None => None,
        Some(source) => match resolve(source, headers, Some(&doc))? {
            None => verified.timestamp,
            Some(text) => Some(crate::scheme::parse_event_time_as(format, &text).ok_or_else(|| Error::InvalidJson {
                reason: format!(
                    "the event timestamp at {} is not {} (a millisecond value needs `event.timestamp_format: \"unix_ms\"`)",
                    describe(source),
                    match format {
                        crate::scheme::EventTimestampFormat::UnixMs => "unix milliseconds",
                        crate::scheme::EventTimestampFormat::Unix => "unix seconds",
                        crate::scheme::EventTimestampFormat::Rfc3339 => "RFC 3339",
                        _ => "unix seconds or RFC 3339",
                    }
                ),
            })?),
        },
    };
    let found = doc.pointer(&scheme.spec().event.data)?;
    // Every slice of the document points into `body`; its offset is plain address arithmetic.
    let data_range = found.map(|text| {
        let start = text.as_ptr() as usize - body.as_ptr() as usize;
        start..start + text.len()
    });
    let data = found.unwrap_or("null");
    let key = match &fields.dedup_key {
        Some(source) if with_key => resolve(source, headers, Some(&doc))?.filter(|k| !k.is_empty()).map(Cow::into_owned),
        _ => None,
    };
    Ok((EventRef { id, event_type, timestamp, key_index: verified.key_index, data, data_range }, key))
}

/// `sha256:` and the lowercase hex SHA-256 of the body: the id of an event whose sender sends none.
pub(crate) fn body_digest(body: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_scalars_borrow_unless_escaped() {
        assert!(matches!(json_scalar_text(r#""evt_1""#), Some(Cow::Borrowed("evt_1"))));
        assert!(matches!(json_scalar_text(r#""""#), Some(Cow::Borrowed(""))));
        assert_eq!(json_scalar_text(r#""a\"b\u00e9\\""#).as_deref(), Some("a\"b\u{e9}\\"));
        assert!(matches!(json_scalar_text(r#""\u0041""#), Some(Cow::Owned(s)) if s == "A"));
        assert_eq!(json_scalar_text("-12").as_deref(), Some("-12"));
        assert_eq!(json_scalar_text("1.5"), None);
        assert_eq!(json_scalar_text("true"), None);
    }

    #[test]
    fn pointers_walk_objects_and_arrays() {
        let doc = Document::parse(br#"{"a":{"b":[10,{"c~/d":"x"}]},"e\u0041":1,"f~/g":2,"":3}"#).unwrap();
        assert_eq!(doc.pointer("/a/b/0").unwrap().unwrap(), "10");
        // Top-level members, plain (the one-token path) and escaped.
        assert_eq!(doc.pointer("/a").unwrap().unwrap(), r#"{"b":[10,{"c~/d":"x"}]}"#);
        assert_eq!(doc.pointer("/f~0~1g").unwrap().unwrap(), "2");
        assert_eq!(doc.pointer("/").unwrap().unwrap(), "3");
        assert!(doc.pointer("/f~/g").unwrap().is_none());
        assert_eq!(doc.pointer("/a/b/1/c~0~1d").unwrap().unwrap(), "\"x\"");
        assert_eq!(doc.pointer("/eA").unwrap().unwrap(), "1");
        assert!(doc.pointer("/a/zz").unwrap().is_none());
        assert!(doc.pointer("/a/b/9").unwrap().is_none());
        assert!(doc.pointer("").unwrap().unwrap().starts_with("{\"a\""));
    }

    #[test]
    fn data_range_points_into_the_body() {
        let body = br#"  {"id":"e","type":"t","data":{"x":[1,2]}}"#;
        let scheme = Scheme::from_json(r#"{"name":"g","signature_header":"S"}"#).unwrap();
        let verified = Verified { key_index: 0, timestamp: None, message_id: None, header_set: 0 };
        let event = parse(&scheme, &Vec::<(String, String)>::new(), body, &verified).unwrap();
        let range = event.data_range().unwrap();
        assert_eq!(&body[range], br#"{"x":[1,2]}"#);
        assert_eq!(event.data_json(), r#"{"x":[1,2]}"#);
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let doc = Document::parse(br#"{"id":"a","id":"b"}"#).unwrap();
        assert_eq!(doc.pointer("/id").unwrap_err().code(), crate::ErrorCode::InvalidJson);
    }

    #[test]
    fn invalid_and_deep_json_is_an_error_not_a_crash() {
        assert!(Document::parse(b"{").is_err());
        assert!(Document::parse(b"\xff").is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(Document::parse(deep.as_bytes()).err().unwrap().code(), crate::ErrorCode::InvalidJson);
        let deep_obj = format!("{{\"id\":\"x\",\"type\":\"t\",\"data\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(Document::parse(deep_obj.as_bytes()).is_err());
        // Brackets inside strings (escaped quotes included) do not count.
        let in_string = format!(r#"{{"id":"\"{}","type":"t"}}"#, "[".repeat(10_000));
        assert!(Document::parse(in_string.as_bytes()).is_ok());
        let at_limit = format!("{}{}", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH));
        assert!(Document::parse(at_limit.as_bytes()).is_ok());
        let over = format!("{}{}", "[".repeat(MAX_JSON_DEPTH + 1), "]".repeat(MAX_JSON_DEPTH + 1));
        assert!(Document::parse(over.as_bytes()).is_err());
        // Siblings do not accumulate depth.
        let wide = format!("[{}]", vec!["[[1]]"; 1000].join(","));
        assert!(Document::parse(wide.as_bytes()).is_ok());
    }

    #[test]
    fn opener_count_is_an_upper_bound_on_depth() {
        assert!(openers_at_most(b"", 0));
        assert!(openers_at_most(br#"{"a":[1,{"b":"[{"}]}"#, 5));
        assert!(!openers_at_most(br#"{"a":[1,{"b":"[{"}]}"#, 4));
        // Counted across chunks, stopping early once over.
        let mut body = vec![b' '; 3000];
        for i in [0, 1023, 1024, 2047, 2999] {
            body[i] = b'[';
        }
        assert!(openers_at_most(&body, 5));
        assert!(!openers_at_most(&body, 4));
        // Only `[` and `{` count: not closing brackets or other bytes.
        assert!(openers_at_most(b"]};K", 0));
    }

    #[test]
    fn event_times() {
        assert_eq!(parse_event_time("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_event_time("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_event_time("2023-11-14T23:13:20+01:00"), Some(1_700_000_000));
        assert_eq!(parse_event_time("yesterday"), None);
    }
}
