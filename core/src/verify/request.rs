//! The comparison for schemes whose signed content names `{url}`, `{method}` or `{form_params}`
//! (Square, Twilio, Trello, HubSpot v3). Reached only through the extended path's one flag test.

use std::borrow::Cow;

use arrayvec::ArrayVec;

use super::{compare, Content, Verifier};
use crate::error::{Error, Result};
use crate::scheme::request::{form_params, query_param, url_variants};
use crate::scheme::MAX_SIGNATURES;
use crate::secret::{Keyring, Tag};

/// The request line of one delivery, for schemes that sign it: the URL the sender called and the
/// method. Give it per call ([`Verifier::verify_signature_with`], [`Verifier::verify_ref_with`]).
///
/// `url` is the URL exactly as the sender called it, scheme, host, port, path and query included:
/// the endpoint URL registered with the sender, or the request URL rebuilt by the integration
/// (behind a proxy, from `X-Forwarded-Proto`/`X-Forwarded-Host` only when those headers come from
/// a proxy you run). `None` falls back to the verifier's configured URL
/// ([`VerifierBuilder::url`](super::VerifierBuilder::url)); `method` `None` falls back to the configured
/// method ([`VerifierBuilder::method`](super::VerifierBuilder::method)), else `POST`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestTarget<'a> {
    /// The URL the sender called.
    pub url: Option<&'a str>,
    /// The HTTP method (`POST`), compared as given.
    pub method: Option<&'a str>,
}

impl<'a> RequestTarget<'a> {
    /// No URL or method given (the verifier's configured URL, `POST`).
    pub const NONE: RequestTarget<'static> = RequestTarget { url: None, method: None };

    /// A target with this URL and method (each optional).
    pub fn new(url: Option<&'a str>, method: Option<&'a str>) -> RequestTarget<'a> {
        RequestTarget { url, method }
    }
}

/// The values of `{url}`, `{method}` and `{form_params}` for one spelling of the URL.
pub(crate) struct SignedRequest<'a> {
    pub url: &'a str,
    pub method: &'a str,
    pub params: Cow<'a, [u8]>,
}

/// The default method when none is given: webhooks are POSTs.
const DEFAULT_METHOD: &str = "POST";

/// Every tag against every key for each spelling of the URL (the one given first); the first
/// matching key's index. An unknown URL is `invalid_argument` (a configuration error: nothing was
/// compared).
pub(super) fn compare_request(
    v: &Verifier,
    target: &RequestTarget<'_>,
    keyring: &Keyring,
    tags: &ArrayVec<Tag, MAX_SIGNATURES>,
    content: Content<'_>,
) -> Result<Option<usize>> {
    each_request(v, target, content, |content| Ok(compare(keyring, v.scheme.segments(), tags, content)))
}

/// Runs `check` on the content with each spelling of the URL (the one given first) until one
/// matches; the matching key's index. One place for the URL, method, body-hash and form-parameter
/// rules, shared by the HMAC comparison and the public-key one.
pub(super) fn each_request(
    v: &Verifier,
    target: &RequestTarget<'_>,
    content: Content<'_>,
    mut check: impl FnMut(&Content<'_>) -> Result<Option<usize>>,
) -> Result<Option<usize>> {
    let (url, method) = resolve_target(&v.scheme, target, v.url.as_deref(), v.method.as_deref())?;
    let Some(params) = signed_params(&v.scheme, url, content.body) else { return Ok(None) };
    for spelling in url_variants(url, v.scheme.spec().url_port_variants) {
        let request = SignedRequest { url: &spelling, method, params: Cow::Borrowed(&params) };
        let content = Content { request: Some(&request), ..content };
        if let Some(i) = check(&content)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The URL and method of one delivery: the given ones, else the configured ones (`configured_url`,
/// `configured_method`), the method defaulting to `POST`. A scheme that signs the URL needs one
/// (`invalid_argument`). One rule for the verifier and the [`Signer`](crate::Signer).
pub(crate) fn resolve_target<'a>(
    scheme: &crate::Scheme,
    target: &RequestTarget<'a>,
    configured_url: Option<&'a str>,
    configured_method: Option<&'a str>,
) -> Result<(&'a str, &'a str)> {
    let url = match target.url.or(configured_url) {
        Some(u) if !u.is_empty() => u,
        _ if scheme.signs_url() => {
            return Err(Error::InvalidArgument {
                reason: format!(
                    "scheme {} signs the URL the sender called: pass `url` on the verify call (or configure the endpoint `url`)",
                    scheme.name()
                ),
            })
        }
        _ => "",
    };
    let method = target.method.or(configured_method).filter(|m| !m.is_empty()).unwrap_or(DEFAULT_METHOD);
    Ok((url, method))
}

/// The value of `{form_params}` for `body` sent to `url`: Twilio's sorted `key+value` pairs of a
/// form body, or nothing when the URL carries the body's SHA-256 (`body_hash_param`, Twilio's JSON
/// bodies). `None` when that hash is not the body's (nothing can match).
pub(crate) fn signed_params<'a>(scheme: &crate::Scheme, url: &str, body: &[u8]) -> Option<Cow<'a, [u8]>> {
    match scheme.spec().body_hash_param.as_deref().and_then(|p| query_param(url, p)) {
        Some(expected) => {
            let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
            constant_time_eq::constant_time_eq(actual.as_bytes(), expected.to_ascii_lowercase().as_bytes()).then_some(Cow::Borrowed(&[]))
        }
        None if scheme.segments().contains(&crate::scheme::Segment::FormParams) => Some(Cow::Owned(form_params(body))),
        None => Some(Cow::Borrowed(&[])),
    }
}
