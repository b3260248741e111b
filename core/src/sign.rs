//! The [`Signer`]: produces the headers a sender of any scheme would send.
//!
//! Used for test events, `hookverify sign`/`send`, and senders built on hookverify.
//! Our own tests never take its output as the expected value: vectors come from
//! an independent generator.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;

use crate::error::{Error, Result};
use crate::scheme::TimestampFormat;
use crate::scheme::{Encoding, FieldSource, Scheme, SignatureFormat};
use crate::secret::{KeyedMac, Secret};
use crate::verify::{mac_signed_content, Content, MAX_TIMESTAMP};

/// Signs message bodies for one scheme with one secret.
#[derive(Clone)]
pub struct Signer {
    scheme: Scheme,
    key: KeyedMac,
    /// The secret itself, kept only for shared-token schemes (`token`, `basic`), whose header is it.
    token: Option<Secret>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("scheme", &self.scheme.name()).field("secret", &"[REDACTED]").finish()
    }
}

impl Signer {
    /// A signer whose secret string is decoded per the scheme's `secret_encoding`.
    pub fn new(scheme: Scheme, secret: &str) -> Result<Signer> {
        let secret = Secret::parse(secret, scheme.spec().secret_encoding)?;
        Ok(Signer::with_key(scheme, &secret))
    }

    /// A signer from raw key bytes.
    pub fn with_key(scheme: Scheme, secret: &Secret) -> Signer {
        let key = KeyedMac::new(scheme.spec().algorithm, secret.expose_bytes());
        let token = scheme.spec().signature_format.is_token().then(|| secret.clone());
        Signer { scheme, key, token }
    }

    /// The scheme this signer produces.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The headers (name, value) to send with `body`. `id` and `timestamp` are
    /// required when the scheme signs them.
    pub fn sign(&self, body: &[u8], id: Option<&str>, timestamp: Option<i64>) -> Result<Vec<(String, String)>> {
        let spec = self.scheme.spec();
        if self.scheme.signs_id() && id.map_or(true, str::is_empty) {
            return Err(Error::InvalidArgument { reason: format!("scheme {} signs a message id; pass `id`", spec.name) });
        }
        if let Some(id) = id {
            if id.bytes().any(|b| b.is_ascii_control()) {
                return Err(Error::InvalidArgument { reason: "`id` must not contain control characters".into() });
            }
        }
        if spec.signature_pointer.is_some() {
            return Err(Error::InvalidArgument {
                reason: format!("scheme {} carries its signature in the body; it cannot be signed as headers", spec.name),
            });
        }
        if let Some(pk) = spec.public_key.as_ref().filter(|pk| pk.version.is_none()) {
            // An HMAC under a "secret" would be a header no verifier of this scheme accepts.
            return Err(Error::InvalidArgument {
                reason: format!(
                    "scheme {} is signed with the sender's private key ({}); hookverify signs HMAC and token schemes only",
                    spec.name,
                    pk.algorithm.as_str()
                ),
            });
        }
        // The signer has no request URL or method to sign: refuse rather than sign the body alone,
        // which no verifier of the scheme would accept.
        if self.scheme.signs_request() {
            return Err(Error::InvalidArgument {
                reason: format!("scheme {} signs the request URL or method; `sign` cannot sign it yet", spec.name),
            });
        }
        if spec.signature_format.is_token() {
            return Ok(vec![(spec.signature_header.clone(), self.token_header()?)]);
        }
        // A timestamp in the body (Linear) is part of the body the caller passes.
        let header_timestamp = self.scheme.has_timestamp() && spec.timestamp_pointer.is_none();
        let ts_text = match (header_timestamp, timestamp) {
            (false, _) => None,
            (true, None) => {
                return Err(Error::InvalidArgument { reason: format!("scheme {} signs a timestamp; pass `timestamp`", spec.name) })
            }
            (true, Some(t)) if t < 0 || t as u64 > MAX_TIMESTAMP => {
                return Err(Error::InvalidArgument { reason: format!("timestamp {t} is not unix seconds") })
            }
            (true, Some(t)) => Some(format_timestamp(spec.timestamp_format, t)),
        };
        let content = Content { id, timestamp: ts_text.as_deref(), token: None, body, request: None };
        let tag = mac_signed_content(self.key.clone(), self.scheme.segments(), &content);
        let encoded = match spec.encoding {
            Encoding::Hex => hex::encode(tag.as_slice()),
            Encoding::Base64 => STANDARD.encode(tag.as_slice()),
            Encoding::Base64url => URL_SAFE.encode(tag.as_slice()),
        };
        let signature = match spec.signature_format {
            SignatureFormat::List => format!("{},{}{encoded}", spec.signature_version, spec.prefix),
            // No timestamp pair (PagerDuty): the signature pair alone.
            SignatureFormat::Kv if spec.timestamp_key.is_empty() => {
                format!("{}={}{encoded}", spec.signature_version, spec.prefix)
            }
            SignatureFormat::Kv => format!(
                "{}={}{}{}={}{encoded}",
                spec.timestamp_key,
                ts_text.as_deref().unwrap_or_default(),
                spec.kv_separator,
                spec.signature_version,
                spec.prefix
            ),
            _ => format!("{}{encoded}", spec.prefix),
        };
        let mut headers = Vec::with_capacity(3);
        if let (Some(name), Some(id)) = (&spec.id_header, id) {
            headers.push((name.clone(), id.to_owned()));
        }
        if let (Some(name), Some(ts)) = (&spec.timestamp_header, &ts_text) {
            headers.push((name.clone(), ts.clone()));
        }
        headers.push((spec.signature_header.clone(), signature));
        Ok(headers)
    }

    /// Headers that carry envelope fields for schemes whose event id or type
    /// live in headers (GitHub's `X-GitHub-Delivery`/`X-GitHub-Event`, Shopify's
    /// `X-Shopify-Webhook-Id`/`X-Shopify-Topic`). Signature headers are not included.
    /// For a type built as `header.suffix` (GitHub), the header gets the part before the first `.`.
    pub fn envelope_headers(&self, id: Option<&str>, event_type: Option<&str>) -> Vec<(String, String)> {
        let event = &self.scheme.spec().event;
        let mut out = Vec::new();
        for (source, value) in [(&event.id, id), (&event.event_type, event_type)] {
            let (Some(source), Some(value)) = (source, value) else { continue };
            if let Some((header, has_suffix)) = first_header(source) {
                let value = if has_suffix { value.split('.').next().unwrap_or(value) } else { value };
                out.push((header.to_owned(), value.to_owned()));
            }
        }
        out
    }
}

impl Signer {
    /// The header value of a shared-token scheme: the token, or `Basic <base64(token)>`.
    fn token_header(&self) -> Result<String> {
        let token = self.token.as_ref().map(Secret::expose_bytes).unwrap_or_default();
        match self.scheme.spec().signature_format {
            SignatureFormat::Basic => Ok(format!("Basic {}", STANDARD.encode(token))),
            _ => {
                String::from_utf8(token.to_vec()).map_err(|_| Error::InvalidArgument { reason: "a header token must be UTF-8 text".into() })
            }
        }
    }
}

/// A unix-seconds timestamp written the way the scheme's senders write it.
fn format_timestamp(format: TimestampFormat, t: i64) -> String {
    match format {
        TimestampFormat::UnixMs => format!("{t}000"),
        TimestampFormat::Rfc3339 => {
            // In range (checked by the caller), so the conversion cannot fail.
            let d = time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", d.year(), u8::from(d.month()), d.day(), d.hour(), d.minute(), d.second())
        }
        _ => t.to_string(),
    }
}

/// The first header a field source reads, and whether it appends a body suffix.
fn first_header(source: &FieldSource) -> Option<(&str, bool)> {
    match source {
        FieldSource::Pointer(_) => None,
        FieldSource::Rule(rule) => rule.header.as_deref().map(|h| (h, rule.suffix_pointer.is_some())),
        FieldSource::AnyOf(list) => list.iter().find_map(first_header),
    }
}
