//! Diagnosis of the schemes the verifier decides alone, those that sign the request URL (and
//! method) and those with public-key signatures: the verifier's verdict, and when it fails, which
//! obvious other spelling of the URL (`wrong_url`) or of the body verifies, a body without the
//! signed form parameters (`form_params_missing`), or a public key that is not the signer's
//! (`wrong_public_key`). Bounded: at most [`MAX_ATTEMPTS`] verifications.

use super::variants::body_variants;
use super::{Check, EventSummary, Hint, HintCode, Report, MAX_VARIANT_BODY_BYTES};
use crate::error::ErrorCode;
use crate::headers::{single_value, Headers};
use crate::scheme::request::{query_param, split_port};
use crate::scheme::Scheme;
use crate::verify::{RequestTarget, Verifier};

/// Other spellings of `url` a receiver commonly gets wrong, each with what differs. At most 6.
pub(crate) fn url_alternatives(url: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |candidate: String, why: String| {
        if candidate != url && !out.iter().any(|(c, _)| *c == candidate) {
            out.push((candidate, why));
        }
    };
    if let Some(parts) = split_port(url) {
        let rest = &url[parts.scheme.len() + 3..];
        let (other, note) = if parts.scheme == "https" {
            (
                "http",
                "the sender called https; a proxy that terminates TLS hands the receiver http (rebuild the URL from X-Forwarded-Proto)",
            )
        } else {
            (
                "https",
                "the sender called https, the receiver verified with http (a proxy terminated TLS: rebuild the URL from X-Forwarded-Proto)",
            )
        };
        let flipped = format!("{other}://{rest}");
        push(flipped, note.into());
        match parts.port {
            Some(port) => push(
                format!("{}{}", &url[..parts.host_end], &url[parts.authority_end..]),
                format!("the sender's URL has no port; the receiver's has :{port} (the port the server listens on, behind a proxy)"),
            ),
            None => push(
                format!("{}:{}{}", &url[..parts.host_end], parts.default_port, &url[parts.authority_end..]),
                format!("the sender's URL spells the default port :{}", parts.default_port),
            ),
        }
    }
    let (before_fragment, _) = url.split_once('#').unwrap_or((url, ""));
    if let Some((path, _)) = before_fragment.split_once('?') {
        push(path.to_owned(), "the sender's URL has no query string".into());
    }
    let (path, query) = match before_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (before_fragment, None),
    };
    let toggled = match path.strip_suffix('/') {
        Some(p) => p.to_owned(),
        None => format!("{path}/"),
    };
    let with_query = match query {
        Some(q) => format!("{toggled}?{q}"),
        None => toggled,
    };
    push(with_query, "the path differs by a trailing slash".into());
    out
}

/// The proxy headers diagnose reads to explain a rewritten URL (never to verify). Bindings that
/// pick headers by name pass these too.
pub const PROXY_HEADERS: &[&str] = &[
    "x-forwarded-proto",
    "x-forwarded-host",
    "host",
    "x-forwarded-prefix",
    "x-original-url",
    "x-original-uri",
    "x-forwarded-uri",
    "x-envoy-original-path",
];

/// Most verifications one diagnosis runs after the verdict (URL and body candidates together).
const MAX_ATTEMPTS: usize = 48;

/// Other URLs the request's proxy headers say the sender called: `X-Forwarded-Proto`,
/// `X-Forwarded-Host` (or `Host`), `X-Forwarded-Prefix`, and the original path of
/// `X-Original-URL`/`X-Original-URI`/`X-Forwarded-Uri`/`X-Envoy-Original-Path`, each alone and all
/// together. Headers are only read here, to explain; the verifier never trusts them.
pub(crate) fn proxy_alternatives<H: Headers + ?Sized>(url: &str, headers: &H) -> Vec<(String, String)> {
    let Some(parts) = split_port(url) else { return Vec::new() };
    let header = |name: &str| single_value(headers, name).ok().flatten().map(str::trim).filter(|v| !v.is_empty());
    let proto = header("x-forwarded-proto").map(|p| p.split(',').next().unwrap_or(p).trim().to_ascii_lowercase());
    let proto = proto.filter(|p| (p == "http" || p == "https") && p != parts.scheme);
    let authority = &url[parts.scheme.len() + 3..parts.authority_end];
    let host = header("x-forwarded-host")
        .map(|h| (h.split(',').next().unwrap_or(h).trim(), "X-Forwarded-Host"))
        .or_else(|| header("host").map(|h| (h, "Host")))
        .filter(|(h, _)| !h.eq_ignore_ascii_case(authority) && !h.contains(['/', '?', '#', ' ', '@']));
    let rest = &url[parts.authority_end..];
    let prefix = header("x-forwarded-prefix").map(|p| p.trim_end_matches('/')).filter(|p| p.starts_with('/') && !rest.starts_with(p));
    let original =
        PROXY_HEADERS[4..].iter().copied().find_map(|name| header(name).filter(|p| p.starts_with('/') && *p != rest).map(|p| (p, name)));
    let build = |proto: Option<&str>, host: Option<&str>, path: Option<String>| {
        format!("{}://{}{}", proto.unwrap_or(parts.scheme), host.unwrap_or(authority), path.unwrap_or_else(|| rest.to_owned()))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |candidate: String, why: String| {
        if candidate != url && !out.iter().any(|(c, _)| *c == candidate) {
            out.push((candidate, why));
        }
    };
    let path = original.map(|(p, _)| p.to_owned()).or_else(|| prefix.map(|p| format!("{p}{rest}")));
    if let Some(p) = &proto {
        push(build(Some(p), None, None), format!("the request's X-Forwarded-Proto says the sender called {p}: a proxy terminated TLS"));
    }
    if let Some((h, name)) = host {
        push(build(None, Some(h), None), format!("the request's {name} header names the host the sender called: a proxy rewrote it"));
    }
    if let Some(p) = &path {
        let name = original.map_or("X-Forwarded-Prefix", |(_, n)| n);
        push(
            build(None, None, Some(p.clone())),
            format!("the request's {name} header gives the path the sender called: a proxy rewrote it"),
        );
    }
    if [proto.is_some(), host.is_some(), path.is_some()].iter().filter(|b| **b).count() > 1 {
        push(
            build(proto.as_deref(), host.map(|(h, _)| h), path),
            "the request's proxy headers (X-Forwarded-*) rebuild the URL the sender called".into(),
        );
    }
    out
}

/// The URL with its query parameters in other orders (every order up to 4 parameters, else
/// sorted and reversed): the sender's order is part of what it signed.
fn query_orders(url: &str) -> Vec<(String, String)> {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let Some((path, query)) = before_fragment.split_once('?') else { return Vec::new() };
    let pairs: Vec<&str> = query.split('&').collect();
    if pairs.len() < 2 {
        return Vec::new();
    }
    let mut orders: Vec<Vec<&str>> = Vec::new();
    if pairs.len() <= 4 {
        permutations(&pairs, &mut Vec::new(), &mut orders);
    } else {
        let mut sorted = pairs.clone();
        sorted.sort_unstable();
        let reversed: Vec<&str> = pairs.iter().rev().copied().collect();
        orders.extend([sorted, reversed]);
    }
    orders
        .into_iter()
        .filter(|o| *o != pairs)
        .map(|o| {
            let mut u = format!("{path}?{}", o.join("&"));
            if let Some(f) = fragment {
                u.push('#');
                u.push_str(f);
            }
            (u, "the sender's query string has its parameters in another order (a proxy or framework reordered them)".to_owned())
        })
        .collect()
}

fn permutations<'a>(rest: &[&'a str], prefix: &mut Vec<&'a str>, out: &mut Vec<Vec<&'a str>>) {
    if rest.is_empty() {
        out.push(prefix.clone());
        return;
    }
    for i in 0..rest.len() {
        let mut others = rest.to_vec();
        let item = others.remove(i);
        prefix.push(item);
        permutations(&others, prefix, out);
        prefix.pop();
    }
}

/// Twilio's JSON bodies: the URL with the body's SHA-256 in the scheme's `body_hash_param`, when
/// the URL lacks it (a proxy or the receiver dropped the query).
fn body_hash_alternative(scheme: &Scheme, url: &str, body: &[u8]) -> Option<(String, String)> {
    let param = scheme.spec().body_hash_param.as_deref()?;
    if query_param(url, param).is_some() || !matches!(body.trim_ascii_start().first(), Some(b'{' | b'[')) {
        return None;
    }
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
    let sep = if url.contains('?') { '&' } else { '?' };
    Some((
        format!("{url}{sep}{param}={digest}"),
        format!("the sender signs a JSON body through the URL's `{param}` query parameter (the body's SHA-256), which the URL given lacks"),
    ))
}

/// The checks for a scheme the verifier decides alone: one that signs `{url}`, `{method}` or
/// `{form_params}`, or one with public-key signatures.
#[allow(clippy::too_many_arguments)]
pub(super) fn diagnose<H: Headers + ?Sized, S: AsRef<str>, P: AsRef<str>>(
    report: &mut Report,
    scheme: &Scheme,
    body: &[u8],
    headers: &H,
    secrets: &[S],
    public_keys: &[P],
    now: i64,
    target: &RequestTarget<'_>,
) {
    if scheme.signs_url() {
        match target.url {
            Some(url) => report.checks.push(Check::pass("url", format!("verified with the URL {url:?}"))),
            None => report.checks.push(Check::fail(
                "url",
                format!("scheme {} signs the URL the sender called: give it (`--url`, the verify call's `url`)", scheme.name()),
            )),
        }
    }
    let what = if scheme.spec().signature_format.is_token() { "token" } else { "signature" };
    let built = Verifier::builder(scheme.clone())
        .secrets(secrets.iter().map(AsRef::as_ref))
        .public_keys(public_keys.iter().map(AsRef::as_ref))
        .build();
    let verifier = match built {
        Ok(v) => v,
        Err(e) => {
            report.checks.push(Check::fail("keys", format!("{}: {e}", e.code())));
            return;
        }
    };
    if scheme.spec().public_key.is_some() && !public_keys.is_empty() {
        let prints = verifier.public_key_fingerprints().join(", ");
        report.checks.push(Check::pass("public_keys", format!("{} public key(s), fingerprints {prints}", public_keys.len())));
    }
    let failure = match verifier.verify_signature_with(body, headers, now, target) {
        Ok(verified) => {
            report.valid = true;
            report.key_index = Some(verified.key_index);
            let detail = match verified.key_index.checked_sub(secrets.len()) {
                None => format!("matches configured secret {}", verified.key_index),
                Some(i) => format!("matches public key {i} (fingerprint {})", verifier.public_key_fingerprints().get(i).unwrap_or(&"?")),
            };
            report.checks.push(Check::pass(what, detail));
            report.checks.push(match crate::event::parse(scheme, headers, body, &verified) {
                Ok(e) => {
                    report.event = Some(EventSummary { id: e.id, event_type: e.event_type, timestamp: e.timestamp });
                    Check::pass("event", format!("id and type read per the {} envelope", scheme.name()))
                }
                Err(e) => Check::fail("event", format!("{}: {e}", e.code())),
            });
            return;
        }
        Err(e) => e,
    };
    report.checks.push(Check::fail(what, format!("{}: {failure}", failure.code())));
    if failure.code() != ErrorCode::NoMatchingSignature {
        report.checks.push(Check::pass(
            "hint_search",
            format!("nothing to search: the delivery fails with {}, not a signature mismatch", failure.code()),
        ));
        return;
    }
    let mut attempts = 0;
    let hint = search(scheme, &verifier, body, headers, public_keys.len(), now, target, &mut attempts);
    let mut detail = format!("{} verification(s) of other URL spellings and bodies", attempts.min(MAX_ATTEMPTS));
    let skipped = body.len() > MAX_VARIANT_BODY_BYTES;
    if skipped {
        detail
            .push_str(&format!("; body variants skipped: the body is {} bytes, over the {MAX_VARIANT_BODY_BYTES}-byte limit", body.len()));
    }
    let exhausted = attempts > MAX_ATTEMPTS;
    if exhausted {
        detail.push_str(&format!("; stopped at the limit of {MAX_ATTEMPTS} verifications"));
    }
    report.checks.push(if hint.is_none() && (skipped || exhausted) {
        Check::fail("hint_search", detail)
    } else {
        Check::pass("hint_search", detail)
    });
    report.hints.extend(hint);
}

/// The first explanation the verifier confirms (or, last, an observation): the URL, the body,
/// missing form parameters, another public key.
#[allow(clippy::too_many_arguments)]
fn search<H: Headers + ?Sized>(
    scheme: &Scheme,
    verifier: &Verifier,
    body: &[u8],
    headers: &H,
    public_keys: usize,
    now: i64,
    target: &RequestTarget<'_>,
    attempts: &mut usize,
) -> Option<Hint> {
    let mut verifies = |body: &[u8], target: &RequestTarget<'_>| {
        *attempts += 1;
        *attempts <= MAX_ATTEMPTS && verifier.verify_signature_with(body, headers, now, target).is_ok()
    };
    // The URL: proxy headers first (they say what happened), then the common respellings.
    if let Some(url) = target.url.filter(|_| scheme.signs_url()) {
        let candidates = proxy_alternatives(url, headers)
            .into_iter()
            .chain(body_hash_alternative(scheme, url, body))
            .chain(url_alternatives(url))
            .chain(query_orders(url));
        for (candidate, why) in candidates {
            if verifies(body, &RequestTarget::new(Some(&candidate), target.method)) {
                return Some(Hint {
                    code: HintCode::WrongUrl,
                    message: format!("the signature verifies with the URL {candidate:?} instead of {url:?}: {why}."),
                });
            }
        }
    }
    // The body: line endings (a stripped final CRLF), BOM, charset, JSON re-encoded.
    if body.len() <= MAX_VARIANT_BODY_BYTES {
        for variant in body_variants(body) {
            if verifies(&variant.body, target) {
                return Some(Hint {
                    code: variant.code,
                    message: format!("the signature verifies with the body {}: verify the raw bytes as received.", variant.label),
                });
            }
        }
    }
    let spec = scheme.spec();
    let signs_form = scheme.segments().contains(&crate::scheme::Segment::FormParams);
    let hashed = spec.body_hash_param.as_deref().is_some_and(|p| target.url.and_then(|u| query_param(u, p)).is_some());
    if signs_form && !hashed && crate::scheme::request::form_params(body).is_empty() {
        return Some(Hint {
            code: HintCode::FormParamsMissing,
            message: format!(
                "the body has no form parameters, but {} signs the POST parameters: pass the raw form body (a framework that parsed the form consumed it), or for a JSON body the URL with its `bodySHA256`.",
                scheme.name()
            ),
        });
    }
    if spec.public_key.is_some() && public_keys > 0 && *attempts <= MAX_ATTEMPTS {
        let prints = verifier.public_key_fingerprints().join(", ");
        return Some(Hint {
            code: HintCode::WrongPublicKey,
            message: format!(
                "no configured public key (fingerprints {prints}) verifies the signature, and no change to the body{} explains it: the delivery was signed with another key (another application or endpoint, or a rotated key).",
                if scheme.signs_url() { " or URL" } else { "" }
            ),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_cover_scheme_port_query_and_slash() {
        let alts: Vec<String> = url_alternatives("https://h.example/p?x=1").into_iter().map(|(c, _)| c).collect();
        assert_eq!(alts, ["http://h.example/p?x=1", "https://h.example:443/p?x=1", "https://h.example/p", "https://h.example/p/?x=1"]);
        let alts: Vec<String> = url_alternatives("http://h:8080/").into_iter().map(|(c, _)| c).collect();
        assert_eq!(alts, ["https://h:8080/", "http://h/", "http://h:8080"]);
    }
}
