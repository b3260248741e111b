//! The event envelope: id, type, timestamp and data, read lazily from the body.
//!
//! Only the fields the scheme's mapping names are visited; the payload is kept
//! as raw JSON text until someone asks for it. Duplicate keys on the path to a
//! field are rejected, so two parsers cannot disagree about what was signed.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::headers::{single_value, Headers};
use crate::scheme::{FieldSource, Scheme};
use crate::verify::Verified;

/// A verified, parsed webhook event.
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
    data: Box<RawValue>,
}

impl Event {
    /// The payload as JSON text, exactly as it appeared in the body.
    pub fn data_json(&self) -> &str {
        self.data.get()
    }

    /// The payload parsed into a `serde_json::Value` (parsed on each call).
    pub fn data(&self) -> Result<serde_json::Value> {
        self.data_as()
    }

    /// The payload deserialized into your own type.
    pub fn data_as<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T> {
        serde_json::from_str(self.data.get()).map_err(|e| Error::InvalidJson { reason: e.to_string() })
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.id == other.id
            && self.event_type == other.event_type
            && self.timestamp == other.timestamp
            && self.key_index == other.key_index
            && self.data.get() == other.data.get()
    }
}

/// A JSON document whose top-level object members are indexed once.
pub(crate) struct Document<'a> {
    root: &'a RawValue,
    top: Option<Vec<(Cow<'a, str>, &'a RawValue)>>,
}

impl<'a> Document<'a> {
    /// Validates the body as JSON (syntax only) without building values.
    pub(crate) fn parse(body: &'a [u8]) -> Result<Document<'a>> {
        check_depth(body)?;
        let root: &RawValue = serde_json::from_slice(body).map_err(|e| Error::InvalidJson { reason: e.to_string() })?;
        let top = members(root).ok().flatten();
        Ok(Document { root, top })
    }

    /// Resolves a JSON pointer to raw JSON, `None` when absent.
    pub(crate) fn pointer(&self, pointer: &str) -> Result<Option<&'a RawValue>> {
        if pointer.is_empty() {
            return Ok(Some(self.root));
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
fn check_depth(body: &[u8]) -> Result<()> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(Error::InvalidJson { reason: format!("nesting deeper than {MAX_JSON_DEPTH} levels") });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

fn unique<'a>(entries: &[(Cow<'a, str>, &'a RawValue)], key: &str) -> Result<Option<&'a RawValue>> {
    let mut hits = entries.iter().filter(|(k, _)| k == key);
    match (hits.next(), hits.next()) {
        (Some(_), Some(_)) => Err(Error::InvalidJson { reason: format!("duplicate key {key:?} in the envelope") }),
        (hit, _) => Ok(hit.map(|(_, v)| *v)),
    }
}

/// One step of a pointer: an object member or an array element.
fn child<'a>(value: &'a RawValue, token: &str) -> Result<Option<&'a RawValue>> {
    let text = value.get();
    if text.starts_with('{') {
        let entries = members(value)?.unwrap_or_default();
        unique(&entries, token)
    } else if text.starts_with('[') {
        let Ok(index) = token.parse::<usize>() else { return Ok(None) };
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| Error::InvalidJson { reason: e.to_string() })?;
        Ok(items.get(index).copied())
    } else {
        Ok(None)
    }
}

/// The members of a JSON object as (key, raw value), or `None` when it is not an object.
fn members(value: &RawValue) -> Result<Option<Vec<(Cow<'_, str>, &RawValue)>>> {
    if !value.get().starts_with('{') {
        return Ok(None);
    }
    let mut de = serde_json::Deserializer::from_str(value.get());
    de.deserialize_map(MembersVisitor)
        .map(Some)
        .map_err(|e| Error::InvalidJson { reason: e.to_string() })
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            out.push((key, map.next_value::<&RawValue>()?));
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
    Json(&'a RawValue),
    Text(Cow<'a, str>),
}

/// Resolves a field source against headers and the document; `None` when absent everywhere.
pub(crate) fn resolve<'a, H: Headers + ?Sized>(
    source: &FieldSource,
    headers: &'a H,
    doc: Option<&Document<'a>>,
) -> Result<Option<Cow<'a, str>>> {
    match resolve_raw(source, headers, doc)? {
        None => Ok(None),
        Some(Found::Text(t)) => Ok(Some(t)),
        Some(Found::Json(raw)) => Ok(json_scalar_text(raw)),
    }
}

fn resolve_raw<'a, H: Headers + ?Sized>(
    source: &FieldSource,
    headers: &'a H,
    doc: Option<&Document<'a>>,
) -> Result<Option<Found<'a>>> {
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
            let base = match (&rule.header, &rule.pointer) {
                (Some(h), _) => single_value(headers, h)?.filter(|v| !v.is_empty()).map(|v| Found::Text(Cow::Borrowed(v))),
                (None, Some(p)) => pointer_value(doc, p)?,
                (None, None) => None,
            };
            let Some(base) = base else { return Ok(None) };
            let Some(suffix_ptr) = &rule.suffix_pointer else { return Ok(Some(base)) };
            let suffix = pointer_value(doc, suffix_ptr)?.and_then(|f| match f {
                Found::Json(raw) => json_scalar_text(raw).map(Cow::into_owned),
                Found::Text(t) => Some(t.into_owned()),
            });
            let base_text = match base {
                Found::Text(t) => t,
                Found::Json(raw) => match json_scalar_text(raw) {
                    Some(t) => t,
                    None => return Ok(None),
                },
            };
            Ok(Some(Found::Text(match suffix {
                Some(s) if !s.is_empty() => Cow::Owned(format!("{base_text}.{s}")),
                _ => base_text,
            })))
        }
    }
}

fn pointer_value<'a>(doc: Option<&Document<'a>>, pointer: &str) -> Result<Option<Found<'a>>> {
    let Some(doc) = doc else { return Ok(None) };
    Ok(doc.pointer(pointer)?.filter(|raw| raw.get() != "null").map(Found::Json))
}

/// A JSON string or integer as text; other JSON kinds are not usable as ids/types.
fn json_scalar_text(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    if text.starts_with('"') {
        let s: Cow<'_, str> = serde_json::from_str(text).ok()?;
        Some(s)
    } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !text.is_empty() {
        Some(Cow::Borrowed(text))
    } else {
        None
    }
}

/// Unix seconds from a number, a digit string, or an RFC 3339 date-time.
fn parse_event_time(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

fn describe(source: &FieldSource) -> String {
    match source {
        FieldSource::Pointer(p) => format!("JSON pointer {p:?}"),
        FieldSource::Rule(r) => match (&r.header, &r.pointer) {
            (Some(h), _) => format!("header {h}"),
            (_, Some(p)) => format!("JSON pointer {p:?}"),
            _ => "nothing".into(),
        },
        FieldSource::AnyOf(list) => list.iter().map(describe).collect::<Vec<_>>().join(", then "),
    }
}

/// Parses the envelope of a verified body per the scheme's event mapping.
pub(crate) fn parse<H: Headers + ?Sized>(scheme: &Scheme, headers: &H, body: &[u8], verified: &Verified) -> Result<Event> {
    parse_with_key(scheme, headers, body, verified, None).map(|(event, _)| event)
}

/// Parses the envelope and, from the same document, resolves `key_source` (a dedup key).
pub(crate) fn parse_with_key<H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    verified: &Verified,
    key_source: Option<&FieldSource>,
) -> Result<(Event, Option<String>)> {
    let doc = Document::parse(body)?;
    let mapping = &scheme.spec().event;
    let field = |name: &str, source: &Option<FieldSource>| -> Result<String> {
        let source = source.as_ref().expect("compile() requires id and type mappings");
        match resolve(source, headers, Some(&doc))? {
            Some(v) if !v.is_empty() => Ok(v.into_owned()),
            _ => Err(Error::MissingField { field: name.to_owned(), source_desc: describe(source) }),
        }
    };
    let id = field("id", &mapping.id)?;
    let event_type = field("type", &mapping.event_type)?;
    let timestamp = match &mapping.timestamp {
        None => None,
        Some(source) => match resolve(source, headers, Some(&doc))? {
            None => verified.timestamp,
            Some(text) => Some(parse_event_time(&text).ok_or_else(|| Error::InvalidJson {
                reason: format!("the event timestamp at {} is neither unix seconds nor RFC 3339", describe(source)),
            })?),
        },
    };
    let data = match doc.pointer(&mapping.data)? {
        Some(raw) => raw.to_owned(),
        None => RawValue::from_string("null".into()).expect("null is JSON"),
    };
    let key = match key_source {
        Some(source) => resolve(source, headers, Some(&doc))?.map(Cow::into_owned),
        None => None,
    };
    Ok((Event { id, event_type, timestamp, key_index: verified.key_index, data }, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_walk_objects_and_arrays() {
        let doc = Document::parse(br#"{"a":{"b":[10,{"c~/d":"x"}]},"e\u0041":1}"#).unwrap();
        assert_eq!(doc.pointer("/a/b/0").unwrap().unwrap().get(), "10");
        assert_eq!(doc.pointer("/a/b/1/c~0~1d").unwrap().unwrap().get(), "\"x\"");
        assert_eq!(doc.pointer("/eA").unwrap().unwrap().get(), "1");
        assert!(doc.pointer("/a/zz").unwrap().is_none());
        assert!(doc.pointer("/a/b/9").unwrap().is_none());
        assert!(doc.pointer("").unwrap().unwrap().get().starts_with("{\"a\""));
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
    }

    #[test]
    fn event_times() {
        assert_eq!(parse_event_time("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_event_time("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_event_time("2023-11-14T23:13:20+01:00"), Some(1_700_000_000));
        assert_eq!(parse_event_time("yesterday"), None);
    }
}
