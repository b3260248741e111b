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
    let spec = v.scheme.spec();
    let url = match target.url.or(v.url.as_deref()) {
        Some(u) if !u.is_empty() => u,
        _ if v.scheme.signs_url() => {
            return Err(Error::InvalidArgument {
                reason: format!(
                    "scheme {} signs the URL the sender called: pass `url` on the verify call (or configure the endpoint `url`)",
                    v.scheme.name()
                ),
            })
        }
        _ => "",
    };
    let method = target.method.or(v.method.as_deref()).filter(|m| !m.is_empty()).unwrap_or(DEFAULT_METHOD);
    // Twilio's JSON bodies: the URL carries the body's SHA-256 and the parameters are empty.
    let params: Cow<'_, [u8]> = match spec.body_hash_param.as_deref().and_then(|p| query_param(url, p)) {
        Some(expected) => {
            let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content.body));
            if !constant_time_eq::constant_time_eq(actual.as_bytes(), expected.to_ascii_lowercase().as_bytes()) {
                return Ok(None);
            }
            Cow::Borrowed(&[])
        }
        None if v.scheme.segments().contains(&crate::scheme::Segment::FormParams) => Cow::Owned(form_params(content.body)),
        None => Cow::Borrowed(&[]),
    };
    for spelling in url_variants(url, spec.url_port_variants) {
        let request = SignedRequest { url: &spelling, method, params: Cow::Borrowed(&params) };
        let content = Content { request: Some(&request), ..content };
        if let Some(i) = check(&content)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}
