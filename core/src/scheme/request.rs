//! The request line in the signed content: `{url}`, `{method}` and Twilio's `{form_params}`.
//!
//! The URL is the one the sender called, exactly as it called it (scheme, userinfo, host, port,
//! path and query, byte for byte): it is given per call or configured on the verifier, never
//! rebuilt here. Only the port may be respelled, and only for schemes that say so
//! (`url_port_variants`, Twilio): without a port, and with the scheme's default port.

use arrayvec::ArrayVec;

use super::{SchemeSpec, Segment};
use crate::error::{Error, Result};

/// Validates the request fields of `spec`; returns whether the template names any of them.
pub(crate) fn check(spec: &SchemeSpec, segments: &[Segment]) -> Result<bool> {
    let invalid = |reason: &str| Err(Error::InvalidScheme { reason: reason.into() });
    let url = segments.contains(&Segment::Url);
    let form = segments.contains(&Segment::FormParams);
    if (spec.url_port_variants || spec.body_hash_param.is_some()) && !url {
        return invalid("`url_port_variants` and `body_hash_param` apply to a `signed_content` with {url}");
    }
    if form && segments.contains(&Segment::Body) {
        return invalid("`signed_content` names the body twice: use {form_params} or {body}, not both");
    }
    if spec.body_hash_param.is_some() && !form {
        return invalid("`body_hash_param` stands in for the form parameters: `signed_content` needs {form_params}");
    }
    if let Some(p) = &spec.body_hash_param {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return invalid("`body_hash_param` must be a query parameter name (letters, digits, `_`, `-`)");
        }
    }
    Ok(url || form || segments.contains(&Segment::Method))
}

/// The spellings of `url` to try: the URL as given, then (with `port_variants`) without its port
/// and with the default port of its scheme added, each once. A URL that is not `http(s)://`
/// authority-form is only tried as given.
pub(crate) fn url_variants(url: &str, port_variants: bool) -> ArrayVec<std::borrow::Cow<'_, str>, 3> {
    use std::borrow::Cow;
    let mut out: ArrayVec<Cow<'_, str>, 3> = ArrayVec::new();
    out.push(Cow::Borrowed(url));
    if !port_variants {
        return out;
    }
    let Some(parts) = split_port(url) else { return out };
    let without = format!("{}{}", &url[..parts.host_end], &url[parts.authority_end..]);
    let with = match parts.port {
        Some(_) => None,
        None => Some(format!("{}:{}{}", &url[..parts.host_end], parts.default_port, &url[parts.authority_end..])),
    };
    for v in [Some(without), with].into_iter().flatten() {
        if !out.iter().any(|o| *o == v) {
            out.push(Cow::Owned(v));
        }
    }
    out
}

/// Where the host and port of an `http(s)://` URL are.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    /// The URL's scheme, lowercased as written (`http` or `https`).
    pub scheme: &'static str,
    /// End of the host (start of `:port`, or of the path).
    pub host_end: usize,
    /// End of the authority (start of the path, query or fragment).
    pub authority_end: usize,
    /// The port as written, if any.
    pub port: Option<&'a str>,
    /// 443 or 80.
    pub default_port: u16,
}

/// Splits an `http://` or `https://` URL's authority (`userinfo@host:port`), by its bytes.
pub(crate) fn split_port(url: &str) -> Option<UrlParts<'_>> {
    let lower = url.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let (scheme, start, default_port) = if lower.starts_with("https://") {
        ("https", 8, 443)
    } else if lower.starts_with("http://") {
        ("http", 7, 80)
    } else {
        return None;
    };
    let rest = &url[start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let hostport = &authority[host_start..];
    // An IPv6 literal `[…]` holds colons of its own.
    let after_host = if hostport.starts_with('[') { hostport.find(']').map_or(hostport.len(), |i| i + 1) } else { 0 };
    let (host_len, port) = match hostport[after_host..].rfind(':') {
        Some(i) => (after_host + i, Some(&hostport[after_host + i + 1..])),
        None => (hostport.len(), None),
    };
    if host_len == 0 {
        return None;
    }
    Some(UrlParts {
        scheme,
        host_end: start + host_start + host_len,
        authority_end: start + authority_len,
        port: port.filter(|p| !p.is_empty()),
        default_port,
    })
}

/// The value of query parameter `name` in `url` (raw, not percent-decoded), the first if repeated.
pub(crate) fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// Twilio's canonical form parameters: the `application/x-www-form-urlencoded` body decoded,
/// names sorted, each name followed by each of its values (de-duplicated and sorted), all joined
/// without separators. Sorting is by Unicode code point (twilio-python; twilio-node sorts UTF-16
/// units, which differs only for characters outside the BMP).
pub(crate) fn form_params(body: &[u8]) -> Vec<u8> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = Vec::with_capacity(body.len());
    for (k, v) in &pairs {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_variants_follow_twilio() {
        let v = url_variants("https://mycompany.com/myapp.php?foo=1&bar=2", true);
        assert_eq!(v.as_slice(), ["https://mycompany.com/myapp.php?foo=1&bar=2", "https://mycompany.com:443/myapp.php?foo=1&bar=2"]);
        let v = url_variants("http://user:pass@mycompany.com:1234/x", true);
        assert_eq!(v.as_slice(), ["http://user:pass@mycompany.com:1234/x", "http://user:pass@mycompany.com/x"]);
        let v = url_variants("https://[::1]:8443?a=1", true);
        assert_eq!(v.as_slice(), ["https://[::1]:8443?a=1", "https://[::1]?a=1"]);
        let v = url_variants("https://[::1]/", true);
        assert_eq!(v.as_slice(), ["https://[::1]/", "https://[::1]:443/"]);
        assert_eq!(url_variants("https://h/x", false).len(), 1);
        assert_eq!(url_variants("urn:x", true).len(), 1);
        assert_eq!(url_variants("https://", true).len(), 1);
    }

    #[test]
    fn form_params_sort_and_dedup() {
        assert_eq!(form_params(b"b=2&a=%2B1&b=1&b=2"), b"a+1b1b2");
        assert_eq!(form_params(b""), b"");
        assert_eq!(query_param("https://h/p?x=1&bodySHA256=ab#f", "bodySHA256"), Some("ab"));
        assert_eq!(query_param("https://h/p?x=1", "bodySHA256"), None);
    }
}
