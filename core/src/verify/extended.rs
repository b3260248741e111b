//! The check of schemes that use the engine extensions of issue 19 (shared tokens, body fields,
//! extra signature headers, declared timestamp formats), apart from [`Verifier::check`]'s path so
//! the original schemes pay one flag test for them.
//!
//! Body fields (Mailgun's `signature.{timestamp,token,signature}`, Linear's `webhookTimestamp`)
//! are unauthenticated input: the body is parsed once, after the size cap, with the envelope
//! parser (nesting capped at [`MAX_JSON_DEPTH`](crate::event::MAX_JSON_DEPTH), duplicate keys on a
//! pointer's path rejected), and only the few named pointers are visited.

use std::borrow::Cow;

use arrayvec::ArrayVec;

use super::{check_window, compare, Checked, Content, Verifier};
use crate::error::{Error, Result};
use crate::event::{field_text, Document};
use crate::headers::{single_value, Headers};
use crate::scheme::{parse_signature_header_into, parse_timestamp_as, ParsedHeader};

/// A body field the scheme names, as text (`missing_field` when absent or not a string/integer).
fn field<'a>(doc: Option<&Document<'a>>, name: &str, pointer: &str) -> Result<Cow<'a, str>> {
    let found = match doc {
        Some(doc) => doc.pointer(pointer)?,
        None => None,
    };
    match found.and_then(field_text) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(Error::MissingField { field: name.to_owned(), source_desc: format!("JSON pointer {pointer:?}") }),
    }
}

/// [`Verifier::check`] for a scheme using the extensions (see [`Scheme::extended`]), after the size cap.
#[cold]
#[inline(never)]
pub(super) fn check<'s, 'h, H: Headers + ?Sized>(
    v: &'s Verifier,
    headers: &'h H,
    body: &[u8],
    now: i64,
    target: &super::RequestTarget<'_>,
) -> Result<Checked<'s, 'h>> {
    let spec = v.scheme.spec();
    if spec.signature_format.is_token() {
        return v.check_token(headers);
    }
    let parsed_body;
    let doc = if spec.reads_body_fields() {
        parsed_body = Document::parse(body)?;
        Some(&parsed_body)
    } else {
        None
    };
    let main = &v.scheme.header_sets()[0];
    let (set_index, set, sig_text): (usize, _, Cow<'_, str>) = match &spec.signature_pointer {
        Some(p) => (0, main, field(doc, "signature", p)?),
        None => {
            let (i, set, value) = v.find_signature_header(headers)?;
            (i, set, Cow::Borrowed(value))
        }
    };
    let sig_source = spec.signature_pointer.as_deref().map_or(set.signature.as_str(), |p| p);
    let mut parsed = ParsedHeader::default();
    parse_signature_header_into(spec, sig_source, &sig_text, &mut parsed)?;
    for name in &spec.extra_signature_headers {
        if let Some(value) = single_value(headers, name)? {
            parse_signature_header_into(spec, name, value, &mut parsed)?;
        }
    }
    let message_id = match &set.id {
        Some(name) => Some(super::required(headers, name)?),
        None => None,
    };
    let ts_text: Option<Cow<'_, str>> = match (&spec.timestamp_pointer, &set.timestamp) {
        (Some(p), _) => Some(field(doc, "timestamp", p)?),
        (None, Some(name)) => Some(Cow::Borrowed(super::required(headers, name)?)),
        (None, None) => parsed.timestamp.map(Cow::Borrowed),
    };
    let ts_source = spec.timestamp_pointer.as_deref().or(set.timestamp.as_deref()).unwrap_or(&set.signature);
    let timestamp = match &ts_text {
        Some(text) => Some(parse_timestamp_as(spec.timestamp_format, ts_source, text)?),
        None => None,
    };
    if let (Some(tolerance), Some(ts)) = (v.tolerance, timestamp) {
        check_window(ts, now, tolerance)?;
    }
    let token = match &spec.token_pointer {
        Some(p) => Some(field(doc, "token", p)?),
        None => None,
    };
    let keyring = v.live_keyring();
    let content = Content {
        id: message_id,
        timestamp: ts_text.as_deref().filter(|_| v.scheme.signs_timestamp_text()),
        token: token.as_deref(),
        body,
        request: None,
    };
    if spec.public_key.is_some() {
        // The same signed content (URL spellings included, for a scheme that signs the request)
        // feeds the HMAC entries and the public keys.
        let mut counts = None;
        let matched = if v.scheme.signs_request() {
            super::request::each_request(v, target, content, |content| {
                let out = super::asymmetric::compare_all(v, &keyring, sig_source, &sig_text, &parsed, content)?;
                counts = Some((out.signatures, out.keys));
                Ok(out.matched)
            })?
        } else {
            let out = super::asymmetric::compare_all(v, &keyring, sig_source, &sig_text, &parsed, &content)?;
            counts = Some((out.signatures, out.keys));
            out.matched
        };
        // No comparison ran (a body hash in the URL that the body does not match): the counts of
        // what the header carried.
        let (signatures, secrets) = counts.unwrap_or((parsed.signatures.len(), keyring.len() + v.public_keys.len()));
        return Ok(Checked { set_index, set, message_id, timestamp, signatures, secrets, matched });
    }
    let mut tags = ArrayVec::new();
    v.decode_signatures(&keyring, sig_source, &parsed, &mut tags)?;
    let matched = if v.scheme.signs_request() {
        super::request::compare_request(v, target, &keyring, &tags, content)?
    } else {
        compare(&keyring, v.scheme.segments(), &tags, &content)
    };
    Ok(Checked { set_index, set, message_id, timestamp, signatures: tags.len(), secrets: keyring.len(), matched })
}
