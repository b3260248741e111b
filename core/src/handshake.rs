//! Handshakes: the challenges some senders send to prove an endpoint before (or between) their
//! deliveries, answered by the receiver pipeline before dedup and routing.
//!
//! A scheme spec lists the kinds its sender uses (`"handshakes": ["slack_url_verification"]`);
//! the receiver answers them, every runtime with the same bytes. Where the sender signs the
//! handshake (Slack, Zoom, Discord, Twitch) the signature is verified first, like any delivery,
//! and only a verified request is answered. Where it does not (Meta, Dropbox, Asana, Microsoft
//! Graph, Okta), answering proves reachability and nothing else; Meta's verify token is compared
//! in constant time with the provider's configured tokens. Echoed values are bounded
//! ([`MAX_ECHO_BYTES`]) and must be visible ASCII (or space); answers are `text/plain` or JSON,
//! always with `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`.
//! Facts and sources: `spec/schemes.md` (handshakes) and `tests/vectors/handshakes.json`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::headers::{single_value, Headers};
use crate::receiver::{Decision, Verdict};

/// The longest value a handshake answer echoes (challenge, token, secret), in bytes.
pub const MAX_ECHO_BYTES: usize = 2048;

/// One kind of handshake a sender performs. Spelled in a scheme spec in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandshakeKind {
    /// Slack Events API: a signed POST `{"type":"url_verification","challenge":C}` → 200 JSON
    /// `{"challenge":C}`.
    SlackUrlVerification,
    /// Zoom: a signed POST `{"event":"endpoint.url_validation","payload":{"plainToken":P}}` → 200
    /// JSON `{"encryptedToken": hex HMAC-SHA256(secret, P), "plainToken": P}`, keyed with the
    /// secret that verified the request.
    ZoomUrlValidation,
    /// Discord interactions: a verified POST `{"type":1,…}` (PING) → 200 JSON `{"type":1}`.
    DiscordPing,
    /// Twitch EventSub: a signed POST with `Twitch-Eventsub-Message-Type:
    /// webhook_callback_verification` and body `{"challenge":C,…}` → 200 `text/plain` C.
    TwitchCallbackVerification,
    /// Meta (WhatsApp, Facebook, Instagram): `GET ?hub.mode=subscribe&hub.challenge=C&hub.verify_token=T`
    /// → 200 `text/plain` C when T equals one of the provider's verify tokens, else 403.
    MetaSubscribe,
    /// Dropbox: `GET ?challenge=C` → 200 `text/plain` C.
    DropboxChallenge,
    /// Asana: a POST with `X-Hook-Secret: S` and no `X-Hook-Signature` → 200 with the response
    /// header `X-Hook-Secret: S` (the secret is not stored: configure it as the provider's secret).
    AsanaHookSecret,
    /// Microsoft Graph: a POST `?validationToken=T` (URL-encoded) → 200 `text/plain` with T decoded.
    GraphValidationToken,
    /// Okta event hooks: a GET with `X-Okta-Verification-Challenge: V` → 200 JSON `{"verification":V}`.
    OktaVerification,
}

impl HandshakeKind {
    /// Whether the sender signs this handshake (the receiver verifies it before answering).
    pub fn signed(self) -> bool {
        matches!(
            self,
            HandshakeKind::SlackUrlVerification
                | HandshakeKind::ZoomUrlValidation
                | HandshakeKind::DiscordPing
                | HandshakeKind::TwitchCallbackVerification
        )
    }

    /// The request headers this handshake reads (bindings pass only the headers the pipeline names).
    pub fn header_names(self) -> &'static [&'static str] {
        match self {
            HandshakeKind::TwitchCallbackVerification => &[TWITCH_TYPE],
            HandshakeKind::AsanaHookSecret => &[ASANA_SECRET, ASANA_SIGNATURE],
            HandshakeKind::OktaVerification => &[OKTA_CHALLENGE],
            _ => &[],
        }
    }
}

const TWITCH_TYPE: &str = "Twitch-Eventsub-Message-Type";
const ASANA_SECRET: &str = "X-Hook-Secret";
const ASANA_SIGNATURE: &str = "X-Hook-Signature";
const OKTA_CHALLENGE: &str = "X-Okta-Verification-Challenge";

/// What an unsigned handshake needs besides the request: the provider's configured verify tokens.
pub(crate) struct Unsigned<'a> {
    pub(crate) method: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) verify_tokens: &'a [crate::secret::Secret],
}

/// The answer to an unsigned handshake of `kind`, when the request is one; `None` when it is not
/// (the pipeline goes on). An error when it is one but fails its check (nothing is echoed).
pub(crate) fn answer_unsigned<H: Headers + ?Sized>(kind: HandshakeKind, req: &Unsigned<'_>, headers: &H) -> Option<Result<Decision>> {
    match kind {
        HandshakeKind::MetaSubscribe if req.method == "GET" => {
            let (mut mode, mut challenge, mut token) = (None, None, None);
            for (k, v) in query_pairs(req.query?) {
                let slot = match &*k {
                    "hub.mode" => &mut mode,
                    "hub.challenge" => &mut challenge,
                    "hub.verify_token" => &mut token,
                    _ => continue,
                };
                if slot.is_some() {
                    return Some(Err(rejected("a hub.* query parameter is repeated")));
                }
                *slot = Some(v);
            }
            if mode.as_deref() != Some("subscribe") {
                return None;
            }
            let (Some(challenge), Some(token)) = (challenge, token) else {
                return Some(Err(rejected("hub.mode=subscribe without hub.challenge and hub.verify_token")));
            };
            Some(token_matches(&token, req.verify_tokens).and_then(|()| echo(&challenge)).map(text))
        }
        HandshakeKind::DropboxChallenge if req.method == "GET" => {
            let challenge = single_query(req.query?, "challenge")?;
            Some(challenge.and_then(|c| echo(&c)).map(text))
        }
        HandshakeKind::GraphValidationToken if req.method == "POST" => {
            let token = single_query(req.query?, "validationToken")?;
            Some(token.and_then(|t| echo(&t)).map(text))
        }
        HandshakeKind::OktaVerification if req.method == "GET" => {
            let value = header(headers, OKTA_CHALLENGE)?;
            Some(value.and_then(|v| echo(&v)).map(|v| json(&serde_json::json!({ "verification": v }))))
        }
        HandshakeKind::AsanaHookSecret if req.method == "POST" => {
            let secret = header(headers, ASANA_SECRET)?;
            // A delivery carries a signature; only the handshake has the secret alone.
            if header(headers, ASANA_SIGNATURE).is_some() {
                return None;
            }
            Some(secret.and_then(|s| echo(&s)).map(|s| {
                let mut d = json(&serde_json::json!({ "ok": true }));
                d.headers.push((Cow::Borrowed(ASANA_SECRET), Cow::Owned(s)));
                d
            }))
        }
        _ => None,
    }
}

/// The answer to a signed handshake of `kind` in a verified request, when it is one. `mac` is
/// HMAC-SHA256 under the secret that verified the request (Zoom's reply), `None` when the scheme
/// has no such secret.
pub(crate) fn answer_signed<H: Headers + ?Sized>(
    kind: HandshakeKind,
    headers: &H,
    body: &[u8],
    mac: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
) -> Option<Result<Decision>> {
    match kind {
        HandshakeKind::SlackUrlVerification => {
            // Cheap pre-filter: only a body naming the type is parsed here.
            memchr::memmem::find(body, b"url_verification")?;
            let v: serde_json::Value = serde_json::from_slice(body).ok()?;
            if v.get("type")?.as_str()? != "url_verification" {
                return None;
            }
            Some(challenge_field(&v, "/challenge").map(|c| json(&serde_json::json!({ "challenge": c }))))
        }
        HandshakeKind::ZoomUrlValidation => {
            memchr::memmem::find(body, b"endpoint.url_validation")?;
            let v: serde_json::Value = serde_json::from_slice(body).ok()?;
            if v.get("event")?.as_str()? != "endpoint.url_validation" {
                return None;
            }
            Some(challenge_field(&v, "/payload/plainToken").and_then(|plain| {
                let tag = mac(plain.as_bytes()).ok_or_else(|| rejected("zoom's reply needs an HMAC-SHA256 secret"))?;
                Ok(json(&serde_json::json!({ "plainToken": plain, "encryptedToken": hex::encode(tag) })))
            }))
        }
        HandshakeKind::DiscordPing => {
            // Every interaction has a `type`: read only it (no tree of the body is built).
            #[derive(Deserialize)]
            struct Interaction {
                #[serde(rename = "type")]
                kind: Option<u64>,
            }
            let i: Interaction = serde_json::from_slice(body).ok()?;
            (i.kind? == 1).then(|| Ok(json(&serde_json::json!({ "type": 1 }))))
        }
        HandshakeKind::TwitchCallbackVerification => {
            if header(headers, TWITCH_TYPE)?.ok()? != "webhook_callback_verification" {
                return None;
            }
            let v: serde_json::Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(_) => return Some(Err(rejected("the verification body is not JSON"))),
            };
            Some(challenge_field(&v, "/challenge").map(text))
        }
        _ => None,
    }
}

fn rejected(reason: &str) -> Error {
    Error::HandshakeRejected { reason: reason.to_owned() }
}

/// A string at `pointer`, checked as an echo.
fn challenge_field(v: &serde_json::Value, pointer: &str) -> Result<String> {
    let s =
        v.pointer(pointer).and_then(serde_json::Value::as_str).ok_or_else(|| rejected("the challenge field is missing or not a string"))?;
    echo(s)
}

/// `value` when it may be echoed: 1 to [`MAX_ECHO_BYTES`] bytes of visible ASCII or space.
fn echo(value: &str) -> Result<String> {
    if value.is_empty() || value.len() > MAX_ECHO_BYTES {
        return Err(Error::HandshakeRejected { reason: format!("the challenge must be 1 to {MAX_ECHO_BYTES} bytes") });
    }
    if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(rejected("the challenge must be visible ASCII"));
    }
    Ok(value.to_owned())
}

/// A single-valued header: `None` when absent, an error when unusable (repeated, not text).
fn header<'h, H: Headers + ?Sized>(headers: &'h H, name: &str) -> Option<Result<Cow<'h, str>>> {
    match single_value(headers, name) {
        Ok(Some(v)) => Some(Ok(Cow::Borrowed(v))),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

fn query_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    // Bounded: a query has at most as many pairs as bytes, and the path is capped by the server.
    form_urlencoded::parse(query.as_bytes())
}

/// The decoded value of the query parameter `name`: `None` when absent, an error when repeated.
fn single_query<'q>(query: &'q str, name: &str) -> Option<Result<Cow<'q, str>>> {
    let mut found = None;
    for (k, v) in query_pairs(query) {
        if k == name {
            if found.is_some() {
                return Some(Err(rejected("the challenge parameter is repeated")));
            }
            found = Some(v);
        }
    }
    found.map(Ok)
}

/// Whether `token` equals one of `tokens`, in constant time (over SHA-256 digests, so the
/// lengths do not leak either); every configured token is compared.
fn token_matches(token: &str, tokens: &[crate::secret::Secret]) -> Result<()> {
    use sha2::{Digest, Sha256};
    if tokens.is_empty() {
        return Err(rejected("no verify token is configured for this provider"));
    }
    let got = Sha256::digest(token.as_bytes());
    let mut ok = subtle::Choice::from(0);
    for t in tokens {
        ok |= Sha256::digest(t.expose_bytes()).as_slice().ct_eq(got.as_slice());
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(rejected("hub.verify_token matches no configured verify token"))
    }
}

fn safe_headers(content_type: &'static str) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    vec![
        (Cow::Borrowed("Content-Type"), Cow::Borrowed(content_type)),
        (Cow::Borrowed("X-Content-Type-Options"), Cow::Borrowed("nosniff")),
        (Cow::Borrowed("Cache-Control"), Cow::Borrowed("no-store")),
    ]
}

fn text(body: String) -> Decision {
    Decision { status: 200, headers: safe_headers("text/plain; charset=utf-8"), body, log: None, verdict: Verdict::Accepted }
}

fn json(value: &serde_json::Value) -> Decision {
    let mut value = value.clone();
    value.sort_all_objects();
    Decision { status: 200, headers: safe_headers("application/json"), body: value.to_string(), log: None, verdict: Verdict::Accepted }
}
