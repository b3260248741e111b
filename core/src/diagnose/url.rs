//! Diagnosis of schemes that sign the request URL (and method): the verifier's verdict, and when
//! it fails, which obvious other spelling of the URL verifies (a `wrong_url` hint).

use super::{opaque, Check, Hint, HintCode, Report};
use crate::headers::Headers;
use crate::scheme::request::split_port;
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

/// The checks for a scheme that signs `{url}`, `{method}` or `{form_params}`.
pub(super) fn diagnose<H: Headers + ?Sized, S: AsRef<str>>(
    report: &mut Report,
    scheme: &Scheme,
    body: &[u8],
    headers: &H,
    secrets: &[S],
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
    opaque(report, scheme, body, headers, secrets, now, target);
    let Some(url) = target.url.filter(|_| !report.valid && scheme.signs_url()) else { return };
    let secret_strs: Vec<&str> = secrets.iter().map(AsRef::as_ref).collect();
    let Ok(verifier) = Verifier::new(scheme.clone(), &secret_strs) else { return };
    for (candidate, why) in url_alternatives(url) {
        let alt = RequestTarget::new(Some(&candidate), target.method);
        if verifier.verify_signature_with(body, headers, now, &alt).is_ok() {
            report.hints.push(Hint {
                code: HintCode::WrongUrl,
                message: format!("the signature verifies with the URL {candidate:?} instead of {url:?}: {why}."),
            });
            return;
        }
    }
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
