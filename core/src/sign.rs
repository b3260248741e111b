//! The [`Signer`]: produces the headers a sender of any scheme would send.
//!
//! Used for test events, `hookverify sign`/`send`, and senders built on hookverify.
//! Our own tests never take its output as the expected value: vectors come from
//! an independent generator.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;

use crate::error::{Error, Result};
use crate::scheme::PrivateKey;
use crate::scheme::TimestampFormat;
use crate::scheme::{Encoding, FieldSource, Scheme, SignatureFormat};
use crate::secret::{KeyedMac, Secret};
use crate::verify::{
    mac_signed_content, resolve_target, signed_message, signed_params, Content, RequestTarget, SignedRequest, MAX_TIMESTAMP,
};

/// Signs message bodies for one scheme with one secret, or (public-key schemes) one private key.
#[derive(Clone)]
pub struct Signer {
    scheme: Scheme,
    key: SigningKey,
}

/// What a [`Signer`] signs with.
#[derive(Clone)]
enum SigningKey {
    /// A MAC key; for shared-token schemes (`token`, `basic`) also the secret itself, whose header is it.
    Mac { key: KeyedMac, token: Option<Secret> },
    /// A sender's private key (Discord, SendGrid, Standard Webhooks `v1a`).
    Private(PrivateKey),
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
        Signer { scheme, key: SigningKey::Mac { key, token } }
    }

    /// A signer for a public-key scheme (`public_key` in its spec) with the sender's private key,
    /// in a form [`PrivateKey::parse`] reads. For tests, the debugger and senders: a receiver only
    /// ever holds public keys. A scheme without `public_key` is `invalid_argument`.
    pub fn with_private_key(scheme: Scheme, private_key: &str) -> Result<Signer> {
        let Some(pk) = scheme.spec().public_key.as_ref() else {
            return Err(Error::InvalidArgument {
                reason: format!("scheme {} signs with a shared secret; it takes no private key", scheme.name()),
            });
        };
        let key = PrivateKey::parse(pk.algorithm, private_key)?;
        Ok(Signer { scheme, key: SigningKey::Private(key) })
    }

    /// The signer for exactly one of `secret` or `private_key` (the one rule every binding and
    /// the CLI apply to their options).
    pub fn from_keys(scheme: Scheme, secret: Option<&str>, private_key: Option<&str>) -> Result<Signer> {
        match (secret, private_key) {
            (Some(secret), None) => Signer::new(scheme, secret),
            (None, Some(key)) => Signer::with_private_key(scheme, key),
            (Some(_), Some(_)) => Err(Error::InvalidArgument { reason: "give a secret or a private key, not both".into() }),
            (None, None) => Err(Error::InvalidArgument {
                reason: match scheme.spec().public_key {
                    Some(_) => format!("scheme {} signs with a private key (or a secret): give one", scheme.name()),
                    None => format!("scheme {} signs with a secret: give one", scheme.name()),
                },
            }),
        }
    }

    /// The scheme this signer produces.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The headers (name, value) to send with `body`. `id` and `timestamp` are
    /// required when the scheme signs them. A scheme that signs the request URL or method needs
    /// [`Signer::sign_request`].
    pub fn sign(&self, body: &[u8], id: Option<&str>, timestamp: Option<i64>) -> Result<Vec<(String, String)>> {
        self.sign_request(body, id, timestamp, &RequestTarget::NONE)
    }

    /// [`Signer::sign`] for a delivery to `target`: the URL the sender calls and the method, for
    /// schemes that sign them (Square, HubSpot, Trello, Twilio: with Twilio, a form body's
    /// parameters are signed, or, when the URL carries `bodySHA256`, that hash, which must be
    /// the body's). The method defaults to `POST`; schemes that sign neither ignore `target`.
    pub fn sign_request(
        &self,
        body: &[u8],
        id: Option<&str>,
        timestamp: Option<i64>,
        target: &RequestTarget<'_>,
    ) -> Result<Vec<(String, String)>> {
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
        let private = match &self.key {
            SigningKey::Private(key) => Some(key),
            SigningKey::Mac { .. } => None,
        };
        if let (None, Some(pk)) = (private, spec.public_key.as_ref().filter(|pk| pk.version.is_none())) {
            // An HMAC under a "secret" would be a header no verifier of this scheme accepts.
            return Err(Error::InvalidArgument {
                reason: format!(
                    "scheme {} is signed with the sender's private key ({}): give a private key, not a secret",
                    spec.name,
                    pk.algorithm.as_str()
                ),
            });
        }
        if let SigningKey::Mac { token: Some(token), .. } = &self.key {
            return Ok(vec![(spec.signature_header.clone(), token_header(spec.signature_format, token)?)]);
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
        // The request line, by the verifier's rules (the same functions).
        let request = if self.scheme.signs_request() {
            let (url, method) = resolve_target(&self.scheme, target, None, None)?;
            let params = signed_params(&self.scheme, url, body).ok_or_else(|| Error::InvalidArgument {
                reason: format!("the URL's `{}` is not the SHA-256 (hex) of the body", spec.body_hash_param.as_deref().unwrap_or_default()),
            })?;
            Some(SignedRequest { url, method, params })
        } else {
            None
        };
        let content = Content { id, timestamp: ts_text.as_deref(), token: None, body, request: request.as_ref() };
        let (label, raw) = match &self.key {
            SigningKey::Mac { key, .. } => {
                (spec.signature_version.as_str(), mac_signed_content(key.clone(), self.scheme.segments(), &content).as_slice().to_vec())
            }
            SigningKey::Private(key) => {
                let label = spec.public_key.as_ref().and_then(|pk| pk.version.as_deref()).unwrap_or(spec.signature_version.as_str());
                (label, key.sign(&signed_message(self.scheme.segments(), &content)))
            }
        };
        let encoded = match spec.encoding {
            Encoding::Hex => hex::encode(&raw),
            Encoding::Base64 => STANDARD.encode(&raw),
            Encoding::Base64url => URL_SAFE.encode(&raw),
        };
        let signature = match spec.signature_format {
            SignatureFormat::List => format!("{label},{}{encoded}", spec.prefix),
            // No timestamp pair (PagerDuty): the signature pair alone.
            SignatureFormat::Kv if spec.timestamp_key.is_empty() => format!("{label}={}{encoded}", spec.prefix),
            SignatureFormat::Kv => format!(
                "{}={}{}{label}={}{encoded}",
                spec.timestamp_key,
                ts_text.as_deref().unwrap_or_default(),
                spec.kv_separator,
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

/// The header value of a shared-token scheme: the token, or `Basic <base64(token)>`.
fn token_header(format: SignatureFormat, token: &Secret) -> Result<String> {
    let token = token.expose_bytes();
    match format {
        SignatureFormat::Basic => Ok(format!("Basic {}", STANDARD.encode(token))),
        _ => String::from_utf8(token.to_vec()).map_err(|_| Error::InvalidArgument { reason: "a header token must be UTF-8 text".into() }),
    }
}

/// A unix-seconds timestamp written the way the scheme's senders write it.
fn format_timestamp(format: TimestampFormat, t: i64) -> String {
    match format {
        TimestampFormat::UnixMs => format!("{t}000"),
        // In range (checked by the caller), so the conversion cannot fail.
        TimestampFormat::Rfc3339 => {
            crate::scheme::rfc3339_utc(t.saturating_mul(1000), false).unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
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
