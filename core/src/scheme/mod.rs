//! Schemes are data: a [`SchemeSpec`] (serde) says how a sender signs, and the
//! built-in presets are written in that same format (`core/presets/*.json`).
//!
//! A spec is compiled once into a [`Scheme`]: its signed-content template is
//! split into segments and every rule is validated, so verification never
//! re-reads the spec. The field reference is `spec/schemes.md`.

mod asym;
mod ext;
mod format;
pub(crate) mod request;

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secret::{Algorithm, SecretEncoding};

// `parse_signature_header` (by value) serves diagnose and tests; verify uses the in-place form.
pub(crate) use asym::parse_public_keys;
pub use asym::{PrivateKey, PublicKey, PublicKeyAlgorithm, PublicKeySpec};
pub(crate) use ext::{parse_event_time_as, parse_timestamp_as, token_digest, token_matches};
pub use ext::{rfc3339_utc, EventTimestampFormat, TimestampFormat};
#[allow(unused_imports)]
pub(crate) use format::{parse_signature_header, parse_signature_header_into, ParsedHeader, MAX_SIGNATURES};

/// Default replay window when a scheme signs a timestamp and names no tolerance.
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 300;

/// How signature bytes are written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Encoding {
    /// Hex digits (decoded case-insensitively).
    #[default]
    Hex,
    /// Standard base64 with padding.
    Base64,
    /// URL-safe base64, padding optional.
    Base64url,
}

/// How the signature header is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SignatureFormat {
    /// One signature: `<prefix><sig>`.
    #[default]
    Single,
    /// Space-separated `<version>,<sig>` entries (Standard Webhooks).
    List,
    /// `k=v` pairs separated by `kv_separator` (default `,`): `<timestamp_key>=<timestamp>` and
    /// `<version>=<sig>` (Stripe `t=…,v1=…`; Paddle `ts=…;h1=…`).
    Kv,
    /// No MAC: the header carries a shared token, compared in constant time with each configured
    /// secret (GitLab `X-Gitlab-Token`, Telegram). Nothing of the body is authenticated by it.
    Token,
    /// No MAC: `Authorization: Basic <base64(user:password)>`, the decoded `user:password` compared
    /// in constant time with each configured secret (Postmark).
    Basic,
}

impl SignatureFormat {
    /// Whether the header carries a shared token instead of a MAC (`token`, `basic`).
    pub fn is_token(self) -> bool {
        matches!(self, SignatureFormat::Token | SignatureFormat::Basic)
    }
}

/// Where one envelope field comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum FieldSource {
    /// A JSON pointer into the body (`/id`, `/data/object/id`; `""` is the whole body).
    Pointer(String),
    /// Alternatives: the first one present wins. (Before `Rule`: serde would read an array as a struct.)
    AnyOf(Vec<FieldSource>),
    /// A header, or a pointer spelled as an object; see [`FieldRule`].
    Rule(FieldRule),
}

/// Object form of a [`FieldSource`]: exactly one of `header` / `pointer` / `value`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FieldRule {
    /// Take the value from this header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Take the value from this JSON pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// A fixed value, for a field the sender does not send (Telegram's update type, Xero's
    /// intent-to-receive batch). Not read from the request, so nothing anyone can change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Append `.` + the string at this pointer when present (GitHub's `issues.opened`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix_pointer: Option<String>,
}

/// Where the event id, type, timestamp and data live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EventMapping {
    /// The event id (default `/id`; `null`: the sender sends none, and the id is `sha256:` and the
    /// hex SHA-256 of the body, which is also what identifies a delivery).
    #[serde(default = "EventMapping::default_id")]
    pub id: Option<FieldSource>,
    /// The event type (default `/type`).
    #[serde(rename = "type", default = "EventMapping::default_type")]
    pub event_type: Option<FieldSource>,
    /// When the event happened (default `/created_at`; `null` for none).
    #[serde(default = "EventMapping::default_timestamp")]
    pub timestamp: Option<FieldSource>,
    /// JSON pointer of the payload (default `/data`; `""` is the whole body).
    #[serde(default = "EventMapping::default_data")]
    pub data: String,
    /// How the event timestamp is written (default `auto`: unix seconds or RFC 3339).
    #[serde(default, skip_serializing_if = "EventTimestampFormat::is_auto")]
    pub timestamp_format: EventTimestampFormat,
}

impl EventMapping {
    fn default_id() -> Option<FieldSource> {
        Some(FieldSource::Pointer("/id".into()))
    }
    fn default_type() -> Option<FieldSource> {
        Some(FieldSource::Pointer("/type".into()))
    }
    fn default_timestamp() -> Option<FieldSource> {
        Some(FieldSource::Pointer("/created_at".into()))
    }
    fn default_data() -> String {
        "/data".into()
    }
}

impl Default for EventMapping {
    /// The common envelope `{"id", "type", "created_at", "data"}`.
    fn default() -> Self {
        EventMapping {
            id: Self::default_id(),
            event_type: Self::default_type(),
            timestamp: Self::default_timestamp(),
            data: Self::default_data(),
            timestamp_format: EventTimestampFormat::default(),
        }
    }
}

/// An alternative set of header names a sender may use (Svix's `svix-*` for Standard Webhooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HeaderAlias {
    /// Signature header of this set; its presence selects the set.
    pub signature_header: String,
    /// Timestamp header of this set.
    #[serde(default)]
    pub timestamp_header: Option<String>,
    /// Message-id header of this set.
    #[serde(default)]
    pub id_header: Option<String>,
}

impl HeaderAlias {
    /// A header set selected by `signature_header`, with no timestamp or id header.
    pub fn new(signature_header: impl Into<String>) -> HeaderAlias {
        HeaderAlias { signature_header: signature_header.into(), timestamp_header: None, id_header: None }
    }
}

/// The data spec of a signature scheme. Field reference: `spec/schemes.md`.
///
/// `#[non_exhaustive]`: outside the crate, start from [`SchemeSpec::new`] (or
/// [`SchemeSpec::from_json`]) and assign fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SchemeSpec {
    /// Name shown in errors and reports.
    pub name: String,
    /// HMAC hash (default sha256).
    #[serde(default)]
    pub algorithm: Algorithm,
    /// Header carrying the signature(s).
    pub signature_header: String,
    /// Signature text encoding (default hex).
    #[serde(default)]
    pub encoding: Encoding,
    /// Literal text before each signature (`sha256=`, `v0=`; default empty).
    #[serde(default)]
    pub prefix: String,
    /// Header layout (default single).
    #[serde(default)]
    pub signature_format: SignatureFormat,
    /// What is signed: a template over `{id}`, `{timestamp}`, `{body}` (default `{body}`).
    #[serde(default = "SchemeSpec::default_signed_content")]
    pub signed_content: String,
    /// Header carrying the signed timestamp, if any (kv schemes use `t=` instead).
    #[serde(default)]
    pub timestamp_header: Option<String>,
    /// Header carrying the message id, if any.
    #[serde(default)]
    pub id_header: Option<String>,
    /// How secret strings become key bytes (default utf8).
    #[serde(default)]
    pub secret_encoding: SecretEncoding,
    /// Replay window in seconds; `null` = 300 when a timestamp is signed, else no timestamp.
    #[serde(default)]
    pub tolerance_seconds: Option<u64>,
    /// Where the envelope fields come from (default: the common envelope).
    #[serde(default)]
    pub event: EventMapping,
    /// Version label of list/kv signatures (default `v1`).
    #[serde(default = "SchemeSpec::default_version")]
    pub signature_version: String,
    /// Other header names the same sender may use, tried in order when the main one is absent.
    /// Every envelope and dedup field is then read from the set that verified, never another set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_aliases: Vec<HeaderAlias>,
    /// What identifies a delivery for duplicate suppression (default: the event id when the
    /// signature covers it, else a digest of the signed content; see [`Scheme::dedup_basis`]).
    /// Honoured as written: a header the signature does not cover makes a replayable key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_key: Option<FieldSource>,
    /// How the scheme's timestamp (header, `kv` field or body field) is written (default `unix`).
    #[serde(default, skip_serializing_if = "TimestampFormat::is_unix")]
    pub timestamp_format: TimestampFormat,
    /// Separator between the pairs of a `kv` header (default `,`; Paddle `;`).
    #[serde(default = "SchemeSpec::default_kv_separator", skip_serializing_if = "SchemeSpec::is_default_kv_separator")]
    pub kv_separator: char,
    /// Key of the timestamp pair of a `kv` header (default `t`; Paddle `ts`; empty: the header has
    /// no timestamp pair, only signatures, as PagerDuty's `v1=…,v1=…`).
    #[serde(default = "SchemeSpec::default_timestamp_key", skip_serializing_if = "SchemeSpec::is_default_timestamp_key")]
    pub timestamp_key: String,
    /// More headers that each carry one signature in the same layout (`single` only): DocuSign's
    /// `X-DocuSign-Signature-2…N`, Box's `BOX-SIGNATURE-SECONDARY`. Each is optional; every
    /// signature found is compared. At most 31.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_signature_headers: Vec<String>,
    /// JSON pointer of the signature in the body, instead of a header (Mailgun
    /// `/signature/signature`); `signature_header` is then `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_pointer: Option<String>,
    /// JSON pointer of the signed timestamp in the body (Mailgun `/signature/timestamp`, Linear
    /// `/webhookTimestamp`): signed when the template has `{timestamp}`, or `{body}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_pointer: Option<String>,
    /// JSON pointer of the `{token}` placeholder's value in the body (Mailgun `/signature/token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_pointer: Option<String>,
    /// Signatures made with a private key and verified with configured public keys (Discord's
    /// Ed25519, SendGrid's ECDSA P-256, Standard Webhooks `v1a`); see [`PublicKeySpec`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeySpec>,
    /// The handshakes this sender performs, answered by the receiver before dedup and routing
    /// (`slack_url_verification`, `meta_subscribe`, …; see [`crate::handshake::HandshakeKind`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handshakes: Vec<crate::handshake::HandshakeKind>,
    /// With `{url}`: also try the URL with its port removed and with the scheme's default port
    /// (`:443`, `:80`) added, as Twilio's official validators do (Twilio signs either spelling).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub url_port_variants: bool,
    /// With `{url}`: the query parameter that carries the hex SHA-256 of a body that is not form
    /// parameters (Twilio's `bodySHA256` for JSON bodies). When the URL carries it, `{form_params}`
    /// is empty and the body must hash to it; when it does not, the body is read as form parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hash_param: Option<String>,
}

impl SchemeSpec {
    fn default_kv_separator() -> char {
        ','
    }
    fn is_default_kv_separator(c: &char) -> bool {
        *c == ','
    }
    fn default_timestamp_key() -> String {
        "t".into()
    }
    fn is_default_timestamp_key(k: &str) -> bool {
        k == "t"
    }

    /// Whether the scheme reads anything from the body before verifying (a signature, timestamp
    /// or token pointer).
    pub fn reads_body_fields(&self) -> bool {
        self.signature_pointer.is_some() || self.timestamp_pointer.is_some() || self.token_pointer.is_some()
    }
    fn default_signed_content() -> String {
        "{body}".into()
    }
    fn default_version() -> String {
        "v1".into()
    }

    /// A spec named `name` whose signature is in `signature_header`, every other field at its
    /// default (sha256, hex, single, `{body}`, no timestamp or id header, utf8 secrets).
    pub fn new(name: impl Into<String>, signature_header: impl Into<String>) -> SchemeSpec {
        SchemeSpec {
            name: name.into(),
            algorithm: Algorithm::default(),
            signature_header: signature_header.into(),
            encoding: Encoding::default(),
            prefix: String::new(),
            signature_format: SignatureFormat::default(),
            signed_content: Self::default_signed_content(),
            timestamp_header: None,
            id_header: None,
            secret_encoding: SecretEncoding::default(),
            tolerance_seconds: None,
            event: EventMapping::default(),
            signature_version: Self::default_version(),
            header_aliases: Vec::new(),
            dedup_key: None,
            timestamp_format: TimestampFormat::default(),
            kv_separator: Self::default_kv_separator(),
            timestamp_key: Self::default_timestamp_key(),
            extra_signature_headers: Vec::new(),
            signature_pointer: None,
            timestamp_pointer: None,
            token_pointer: None,
            public_key: None,
            handshakes: Vec::new(),
            url_port_variants: false,
            body_hash_param: None,
        }
    }

    /// Parses a spec from JSON (any invalid field is an `invalid_scheme` error).
    pub fn from_json(json: &str) -> Result<SchemeSpec> {
        serde_json::from_str(json).map_err(|e| Error::InvalidScheme { reason: e.to_string() })
    }
}

/// One piece of the signed content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(Box<[u8]>),
    Id,
    Timestamp,
    Body,
    /// The body field at `token_pointer` (Mailgun).
    Token,
    /// The URL the sender called, given per call or configured (Square, Twilio, Trello, HubSpot v3).
    Url,
    /// The request method (HubSpot v3).
    Method,
    /// The form parameters of an `application/x-www-form-urlencoded` body, sorted by name, each
    /// name followed by its value (repeated values de-duplicated and sorted): Twilio.
    FormParams,
}

/// The header names of one set (main or alias).
#[derive(Debug, Clone)]
pub(crate) struct HeaderSet {
    pub signature: String,
    pub timestamp: Option<String>,
    pub id: Option<String>,
}

/// The envelope sources and dedup key as read for a request verified with one header set.
///
/// A header that is one of the scheme's signature, timestamp or id headers (of any set) stands
/// for that role and is read from the set that verified the request, so another set's headers are
/// never read: a delivery signed with `svix-*` headers plus an added, unsigned `webhook-id` takes
/// its id from `svix-id`. Computed once when the scheme is compiled.
#[derive(Debug, Clone)]
pub(crate) struct SetFields {
    /// `None`: the sender sends no event id (`event.id: null`).
    pub id: Option<FieldSource>,
    pub event_type: FieldSource,
    pub timestamp: Option<FieldSource>,
    /// The spec's explicit `dedup_key`, if any.
    pub dedup_key: Option<FieldSource>,
    /// Whether the event id is covered by the MAC (a body pointer, or this set's signed id header).
    pub id_signed: bool,
}

/// What a receiver's duplicate-suppression key is made of for a scheme (see `spec/schemes.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DedupBasis {
    /// The event id, which the signature covers (from the body, or the signed id header).
    SignedId,
    /// A SHA-256 digest of the provider name and the signed content without its timestamp
    /// ([`crate::dedup::content_key`]): the event id is not signed, so it cannot identify a delivery.
    Digest,
    /// The spec's explicit `dedup_key`; `signed` says whether the signature covers it (an unsigned
    /// key lets anyone holding a captured delivery replay it under a fresh key).
    Configured {
        /// Whether every alternative of the key is covered by the MAC.
        signed: bool,
    },
}

/// A validated, compiled scheme. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Scheme {
    inner: Arc<Compiled>,
    /// The preset alias this scheme was looked up by (`svix` for `standard`), if any.
    alias: Option<&'static str>,
}

#[derive(Debug)]
struct Compiled {
    spec: SchemeSpec,
    segments: Vec<Segment>,
    header_sets: Vec<HeaderSet>,
    /// Per header set (same order as `header_sets`).
    fields: Vec<SetFields>,
    signs_id: bool,
    signs_timestamp: bool,
    /// Whether the scheme reads a signed timestamp (header, `kv` pair or body field).
    has_timestamp: bool,
    /// `None`: the body is signed (every JSON pointer is covered); else the signed body fields.
    signed_pointers: Option<Vec<String>>,
    /// Whether the scheme uses an extension checked off the original path (see [`Scheme::extended`]).
    extended: bool,
    /// Whether the template names `{url}`, `{method}` or `{form_params}`.
    signs_request: bool,
}

/// What a scheme's MAC covers, for [`is_signed`].
pub(crate) struct Signed<'a> {
    pub signs_id: bool,
    pub signs_timestamp: bool,
    /// `None`: the whole body; else only these JSON pointers.
    pub pointers: Option<&'a [String]>,
}

const PRESET_SOURCES: &[(&str, &str)] = &[
    ("standard", include_str!("../../presets/standard.json")),
    ("stripe", include_str!("../../presets/stripe.json")),
    ("github", include_str!("../../presets/github.json")),
    ("github-sha1", include_str!("../../presets/github-sha1.json")),
    ("slack", include_str!("../../presets/slack.json")),
    ("shopify", include_str!("../../presets/shopify.json")),
    ("calendly", include_str!("../../presets/calendly.json")),
    ("intercom", include_str!("../../presets/intercom.json")),
    ("quickbooks", include_str!("../../presets/quickbooks.json")),
    ("razorpay", include_str!("../../presets/razorpay.json")),
    ("sentry", include_str!("../../presets/sentry.json")),
    ("typeform", include_str!("../../presets/typeform.json")),
    ("woocommerce", include_str!("../../presets/woocommerce.json")),
    ("paddle", include_str!("../../presets/paddle.json")),
    ("box", include_str!("../../presets/box.json")),
    ("docusign", include_str!("../../presets/docusign.json")),
    ("gitlab", include_str!("../../presets/gitlab.json")),
    ("telegram", include_str!("../../presets/telegram.json")),
    ("okta", include_str!("../../presets/okta.json")),
    ("lemonsqueezy", include_str!("../../presets/lemonsqueezy.json")),
    ("xero", include_str!("../../presets/xero.json")),
    ("zoom", include_str!("../../presets/zoom.json")),
    ("meta", include_str!("../../presets/meta.json")),
    ("linear", include_str!("../../presets/linear.json")),
    ("mailgun", include_str!("../../presets/mailgun.json")),
    ("zendesk", include_str!("../../presets/zendesk.json")),
    ("sanity", include_str!("../../presets/sanity.json")),
    ("twilio", include_str!("../../presets/twilio.json")),
    ("square", include_str!("../../presets/square.json")),
    ("hubspot", include_str!("../../presets/hubspot.json")),
    ("trello", include_str!("../../presets/trello.json")),
    ("discord", include_str!("../../presets/discord.json")),
    ("sendgrid", include_str!("../../presets/sendgrid.json")),
    ("pagerduty", include_str!("../../presets/pagerduty.json")),
    ("vercel", include_str!("../../presets/vercel.json")),
    ("bitbucket", include_str!("../../presets/bitbucket.json")),
    ("jira", include_str!("../../presets/jira.json")),
    ("twitch", include_str!("../../presets/twitch.json")),
    ("mollie", include_str!("../../presets/mollie.json")),
    ("cal", include_str!("../../presets/cal.json")),
    ("postmark", include_str!("../../presets/postmark.json")),
];

static PRESETS: LazyLock<Vec<Scheme>> = LazyLock::new(|| {
    PRESET_SOURCES
        .iter()
        .map(|(name, json)| {
            let spec = SchemeSpec::from_json(json).unwrap_or_else(|e| panic!("preset {name}: {e}"));
            Scheme::compile(spec).unwrap_or_else(|e| panic!("preset {name}: {e}"))
        })
        .collect()
});

/// Other names of built-in presets, `(alias, preset)`: senders that use another preset's scheme
/// exactly (Svix, Clerk, Resend, OpenAI, Replicate and Brex send Standard Webhooks; WhatsApp,
/// Facebook and Instagram send Meta's). Each resolves to its preset wherever a preset name is
/// accepted; see [`Scheme::label`].
const PRESET_ALIASES: &[(&str, &str)] = &[
    ("svix", "standard"),
    ("clerk", "standard"),
    ("resend", "standard"),
    ("openai", "standard"),
    ("replicate", "standard"),
    ("brex", "standard"),
    ("whatsapp", "meta"),
    ("facebook", "meta"),
    ("instagram", "meta"),
];

/// Names of the built-in presets, in documentation order (aliases not included: see
/// [`preset_aliases`]).
pub fn preset_names() -> Vec<&'static str> {
    PRESET_SOURCES.iter().map(|(n, _)| *n).collect()
}

/// The preset aliases as `(alias, preset)` pairs, in documentation order.
pub fn preset_aliases() -> &'static [(&'static str, &'static str)] {
    PRESET_ALIASES
}

impl Scheme {
    /// A built-in preset by name (see [`preset_names`]) or alias (see [`preset_aliases`]): the one
    /// lookup behind every preset name a binding, the CLI or a config file accepts. An alias gives
    /// its preset's scheme (same spec, same [`name`](Scheme::name)), remembering the alias as its
    /// [`label`](Scheme::label).
    pub fn preset(name: &str) -> Result<Scheme> {
        let find = |n: &str| PRESETS.iter().find(|s| s.name() == n).cloned();
        if let Some(scheme) = find(name) {
            return Ok(scheme);
        }
        match PRESET_ALIASES.iter().find(|(alias, _)| *alias == name) {
            Some((alias, target)) => {
                let mut scheme = find(target).expect("every alias names a preset");
                scheme.alias = Some(alias);
                Ok(scheme)
            }
            None => {
                let aliases: Vec<&str> = PRESET_ALIASES.iter().map(|(alias, _)| *alias).collect();
                let known = format!("{} (aliases: {})", preset_names().join(", "), aliases.join(", "));
                Err(Error::UnknownScheme { name: name.to_owned(), known })
            }
        }
    }

    /// All built-in presets.
    pub fn presets() -> Vec<Scheme> {
        PRESETS.clone()
    }

    /// Compiles a custom spec given as JSON.
    pub fn from_json(json: &str) -> Result<Scheme> {
        Scheme::compile(SchemeSpec::from_json(json)?)
    }

    /// Resolves a preset name, or a JSON spec when the text starts with `{`.
    pub fn resolve(name_or_json: &str) -> Result<Scheme> {
        if name_or_json.trim_start().starts_with('{') {
            Scheme::from_json(name_or_json)
        } else {
            Scheme::preset(name_or_json)
        }
    }

    /// Validates and compiles a spec.
    pub fn compile(spec: SchemeSpec) -> Result<Scheme> {
        let invalid = |reason: String| Error::InvalidScheme { reason };
        if spec.name.trim().is_empty() {
            return Err(invalid("`name` must not be empty".into()));
        }
        match &spec.signature_pointer {
            Some(p) => {
                check_pointer(p)?;
                if !spec.signature_header.is_empty() || !spec.header_aliases.is_empty() || !spec.extra_signature_headers.is_empty() {
                    return Err(invalid(
                        "a scheme with `signature_pointer` reads its signature from the body: set `signature_header` to \"\" and name no aliases or extra signature headers".into(),
                    ));
                }
                if spec.signature_format != SignatureFormat::Single {
                    return Err(invalid("a signature read from the body (`signature_pointer`) needs `signature_format` single".into()));
                }
            }
            None => check_header_name("signature_header", &spec.signature_header)?,
        }
        for (field, value) in [("timestamp_header", &spec.timestamp_header), ("id_header", &spec.id_header)] {
            if let Some(h) = value {
                check_header_name(field, h)?;
            }
        }
        for p in [&spec.timestamp_pointer, &spec.token_pointer].into_iter().flatten() {
            check_pointer(p)?;
        }
        let segments = parse_template(&spec.signed_content)?;
        let signs_id = segments.contains(&Segment::Id);
        let signs_timestamp = segments.contains(&Segment::Timestamp);
        let signs_body = segments.contains(&Segment::Body);
        let signs_token = segments.contains(&Segment::Token);
        let signs_request = request::check(&spec, &segments)?;
        // `{form_params}` carries the whole body (as parameters, or through `body_hash_param`).
        let signs_body = signs_body || segments.contains(&Segment::FormParams);
        let kv = spec.signature_format == SignatureFormat::Kv;
        // A `kv` header with an empty `timestamp_key` carries signatures only (PagerDuty).
        let kv_timestamp = kv && !spec.timestamp_key.is_empty();
        if spec.signature_format.is_token() {
            ext::check_token_scheme(&spec)?;
        }
        if kv && spec.timestamp_header.is_some() {
            return Err(invalid("a `kv` scheme carries its timestamp as `t=`; set `timestamp_header` to null".into()));
        }
        if spec.timestamp_pointer.is_some() && (kv_timestamp || spec.timestamp_header.is_some()) {
            return Err(invalid("name one timestamp source: `timestamp_pointer`, `timestamp_header` or a `kv` header".into()));
        }
        let has_timestamp = kv_timestamp || spec.timestamp_header.is_some() || spec.timestamp_pointer.is_some();
        // A body field is covered by the MAC when the body is, or when the template names it.
        let timestamp_signed = signs_timestamp || (spec.timestamp_pointer.is_some() && signs_body);
        if signs_timestamp && !has_timestamp {
            return Err(invalid("`signed_content` uses {timestamp} but the scheme has no `timestamp_header`".into()));
        }
        if signs_id && spec.id_header.is_none() {
            return Err(invalid("`signed_content` uses {id} but the scheme has no `id_header`".into()));
        }
        if signs_token != spec.token_pointer.is_some() {
            return Err(invalid("`signed_content` uses {token} exactly when the scheme has a `token_pointer`".into()));
        }
        if spec.tolerance_seconds.is_some() && !has_timestamp {
            return Err(invalid("`tolerance_seconds` is set but the scheme has no timestamp".into()));
        }
        if has_timestamp && !timestamp_signed {
            return Err(invalid(
                "the scheme reads a timestamp that `signed_content` does not sign; an unsigned timestamp gives no replay protection".into(),
            ));
        }
        if !(signs_body || (signs_timestamp && signs_token)) {
            return Err(invalid(
                "`signed_content` must contain {body}, or (a sender that signs only a timestamp and a one-time token, as Mailgun) {timestamp} and {token}".into(),
            ));
        }
        if matches!(spec.signature_format, SignatureFormat::List | SignatureFormat::Kv) && spec.signature_version.is_empty() {
            return Err(invalid("`signature_version` must not be empty for list/kv formats".into()));
        }
        if spec.signature_version.contains([',', '=', ' ', spec.kv_separator]) {
            return Err(invalid("`signature_version` must not contain ',', '=', spaces or the kv separator".into()));
        }
        ext::check_kv(&spec)?;
        asym::check_public_key_spec(&spec)?;
        if kv && spec.signature_version == spec.timestamp_key {
            return Err(invalid(format!(
                "a `kv` scheme uses `{0}=` for the timestamp; `signature_version` cannot be {0:?}",
                spec.timestamp_key
            )));
        }
        check_prefix(&spec)?;
        for src in [&spec.event.id, &spec.event.event_type, &spec.event.timestamp, &spec.dedup_key].into_iter().flatten() {
            check_source(src)?;
        }
        if spec.event.event_type.is_none() {
            return Err(invalid("`event.type` must say where the type comes from".into()));
        }
        check_pointer(&spec.event.data)?;
        let mut header_sets = vec![HeaderSet {
            signature: spec.signature_header.clone(),
            timestamp: spec.timestamp_header.clone(),
            id: spec.id_header.clone(),
        }];
        let own = [Some(&spec.signature_header), spec.timestamp_header.as_ref(), spec.id_header.as_ref()];
        check_distinct(own.into_iter().flatten().chain(&spec.extra_signature_headers))?;
        ext::check_extra_headers(&spec)?;
        for alias in &spec.header_aliases {
            check_header_name("header_aliases.signature_header", &alias.signature_header)?;
            if alias.timestamp_header.is_some() != spec.timestamp_header.is_some() || alias.id_header.is_some() != spec.id_header.is_some()
            {
                return Err(invalid("each header alias must name the same kinds of headers as the scheme".into()));
            }
            check_distinct(
                [Some(&alias.signature_header), alias.timestamp_header.as_ref(), alias.id_header.as_ref()].into_iter().flatten(),
            )?;
            header_sets.push(HeaderSet {
                signature: alias.signature_header.clone(),
                timestamp: alias.timestamp_header.clone(),
                id: alias.id_header.clone(),
            });
        }
        // Without {body}, only the body fields the template names are signed.
        let signed_pointers: Option<Vec<String>> =
            (!signs_body).then(|| [&spec.timestamp_pointer, &spec.token_pointer].into_iter().flatten().cloned().collect());
        let signed = Signed { signs_id, signs_timestamp, pointers: signed_pointers.as_deref() };
        let fields: Vec<SetFields> = header_sets.iter().map(|own| set_fields(&spec, &header_sets, own, &signed)).collect();
        if !signs_body && !fields.iter().zip(&header_sets).all(|(f, own)| f.dedup_key.as_ref().is_some_and(|k| is_signed(k, own, &signed)))
        {
            return Err(invalid(
                "`signed_content` has no {body}, so the body is not authenticated: set `dedup_key` to a signed body field (the {token} or {timestamp} pointer)".into(),
            ));
        }
        Ok(Scheme {
            alias: None,
            inner: Arc::new(Compiled {
                extended: spec.signature_format.is_token()
                    || spec.reads_body_fields()
                    || !spec.extra_signature_headers.is_empty()
                    || !spec.timestamp_format.is_unix()
                    || signs_request
                    // Only public-key signatures: never the HMAC path. (A scheme that also takes
                    // HMAC signatures, `public_key.version`, leaves it only when a verifier holds
                    // public keys: `Verifier::extended`.)
                    || spec.public_key.as_ref().is_some_and(|pk| pk.version.is_none()),
                signs_request,
                spec,
                segments,
                header_sets,
                fields,
                signs_id,
                signs_timestamp,
                has_timestamp,
                signed_pointers,
            }),
        })
    }

    /// The scheme's name: the spec's `name` (for a preset looked up by an alias, the preset's).
    pub fn name(&self) -> &str {
        &self.inner.spec.name
    }

    /// The name this scheme was asked for: the alias when it was looked up by one (`svix`), else
    /// [`name`](Scheme::name). A provider's name defaults to it, so `clerk` and `resend` on one
    /// endpoint are two providers, each with its own metrics label and dedup keys.
    pub fn label(&self) -> &str {
        self.alias.unwrap_or(&self.inner.spec.name)
    }

    /// The alias this scheme was looked up by (`svix`), if it was looked up by one.
    pub fn alias(&self) -> Option<&str> {
        self.alias
    }

    /// The spec this scheme was compiled from.
    pub fn spec(&self) -> &SchemeSpec {
        &self.inner.spec
    }

    /// The replay window, or `None` when the scheme signs no timestamp.
    pub fn tolerance_seconds(&self) -> Option<u64> {
        self.has_timestamp().then(|| self.inner.spec.tolerance_seconds.unwrap_or(DEFAULT_TOLERANCE_SECONDS))
    }

    /// A secret string as this scheme's senders print it, decoded per its `secret_encoding`
    /// (what [`VerifierBuilder::secret`](crate::verify::VerifierBuilder::secret) and
    /// [`Verifier::set_secrets`](crate::Verifier::set_secrets) do with each string).
    pub fn parse_secret(&self, secret: &str) -> Result<crate::secret::Secret> {
        crate::secret::Secret::parse(secret, self.inner.spec.secret_encoding)
    }

    /// Whether the scheme reads a signed timestamp (a header, a `kv` pair, or a body field).
    pub fn has_timestamp(&self) -> bool {
        self.inner.has_timestamp
    }

    /// Whether the scheme uses a feature the verifier checks off its original path: a shared token,
    /// body fields, extra signature headers, or a timestamp that is not unix seconds.
    pub(crate) fn extended(&self) -> bool {
        self.inner.extended
    }

    /// Whether the signed content includes the request URL (`{url}`): a verifier then needs the
    /// URL the sender called, per call or configured.
    pub fn signs_url(&self) -> bool {
        self.inner.segments.contains(&Segment::Url)
    }

    /// Whether the signed content includes `{url}`, `{method}` or `{form_params}`.
    pub(crate) fn signs_request(&self) -> bool {
        self.inner.signs_request
    }

    /// Whether the template names `{timestamp}` (the timestamp text is MACed as written).
    pub(crate) fn signs_timestamp_text(&self) -> bool {
        self.inner.signs_timestamp
    }

    /// What the MAC covers.
    fn signed(&self) -> Signed<'_> {
        Signed {
            signs_id: self.inner.signs_id,
            signs_timestamp: self.inner.signs_timestamp,
            pointers: self.inner.signed_pointers.as_deref(),
        }
    }

    /// Whether the scheme signs a message id.
    pub fn signs_id(&self) -> bool {
        self.inner.signs_id
    }

    /// Every header name the scheme may read (signature, timestamp, id, aliases, envelope
    /// and dedup-key headers), deduplicated case-insensitively, in first-use order.
    /// Bindings use it to pass only these headers across the FFI boundary.
    pub fn header_names(&self) -> Vec<&str> {
        fn source_headers<'a>(src: &'a FieldSource, out: &mut Vec<&'a str>) {
            match src {
                FieldSource::Pointer(_) => {}
                FieldSource::Rule(rule) => out.extend(rule.header.as_deref()),
                FieldSource::AnyOf(list) => list.iter().for_each(|s| source_headers(s, out)),
            }
        }
        let spec = &self.inner.spec;
        let mut names: Vec<&str> = Vec::new();
        for set in &self.inner.header_sets {
            // Empty for a signature read from the body (`signature_pointer`).
            names.extend(Some(set.signature.as_str()).filter(|s| !s.is_empty()));
            names.extend(set.timestamp.as_deref());
            names.extend(set.id.as_deref());
        }
        names.extend(spec.extra_signature_headers.iter().map(String::as_str));
        for src in [&spec.event.id, &spec.event.event_type, &spec.event.timestamp, &spec.dedup_key].into_iter().flatten() {
            source_headers(src, &mut names);
        }
        unique_names(names)
    }

    /// What the receiver's dedup key is made of (for a request verified with the main header set;
    /// every alias set gives the same answer, each read from its own headers).
    pub fn dedup_basis(&self) -> DedupBasis {
        let fields = self.fields(0);
        match &fields.dedup_key {
            Some(key) => DedupBasis::Configured { signed: is_signed(key, &self.inner.header_sets[0], &self.signed()) },
            None if fields.id_signed => DedupBasis::SignedId,
            None => DedupBasis::Digest,
        }
    }

    /// Why [`Verifier`](crate::Verifier)'s `max_event_age` cannot apply to this scheme, if it
    /// cannot: the event mapping names no timestamp, or reads it (in some header set) from text
    /// the signature does not cover, so anyone holding a captured delivery could date it anew.
    pub(crate) fn event_age_unsupported(&self) -> Option<String> {
        let name = self.name();
        let Some(source) = &self.inner.spec.event.timestamp else {
            return Some(format!(
                "scheme {name} maps no event timestamp (`event.timestamp` is null), so max_event_age has nothing to check"
            ));
        };
        // Read as each header set reads it. An absent value falls back to the verified header
        // timestamp (`Verified::timestamp`), which the template signs whenever the scheme reads one
        // (checked by compile).
        let c = &self.inner;
        let covered = self.signed();
        let signed = |(own, fields): (&HeaderSet, &SetFields)| fields.timestamp.as_ref().is_some_and(|t| is_signed(t, own, &covered));
        if c.header_sets.iter().zip(&c.fields).all(signed) {
            return None;
        }
        Some(format!(
            "scheme {name} reads the event timestamp from {} and the signature does not cover it, so max_event_age cannot \
             rely on it (anyone holding a captured delivery could give it a fresh date); map `event.timestamp` to a signed \
             source: a JSON pointer into the body, or the signed timestamp header",
            crate::event::describe(source)
        ))
    }

    /// The envelope sources for a request verified with header set `set` (0 = the scheme's own).
    pub(crate) fn fields(&self, set: usize) -> &SetFields {
        let all = &self.inner.fields;
        all.get(set).unwrap_or(&all[0])
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.inner.segments
    }

    pub(crate) fn header_sets(&self) -> &[HeaderSet] {
        &self.inner.header_sets
    }
}

/// The envelope sources of `spec` as read for a request verified with the header set `own`.
fn set_fields(spec: &SchemeSpec, sets: &[HeaderSet], own: &HeaderSet, signed: &Signed<'_>) -> SetFields {
    let map = |src: &FieldSource| for_set(src, sets, own);
    let id = spec.event.id.as_ref().map(map);
    // No id (`event.id: null`): the id is the body digest, which identifies a delivery only as the
    // digest basis does (not as a signed id).
    let id_signed = id.as_ref().is_some_and(|id| is_signed(id, own, signed));
    SetFields {
        id,
        event_type: spec.event.event_type.as_ref().map(map).expect("compile() requires a type mapping"),
        timestamp: spec.event.timestamp.as_ref().map(map),
        dedup_key: spec.dedup_key.as_ref().map(map),
        id_signed,
    }
}

/// `src` with every header that plays a role in some header set (signature, timestamp, id)
/// replaced by the header of that role in `own`; repeated alternatives are dropped.
fn for_set(src: &FieldSource, sets: &[HeaderSet], own: &HeaderSet) -> FieldSource {
    match src {
        FieldSource::Pointer(p) => FieldSource::Pointer(p.clone()),
        FieldSource::AnyOf(list) => {
            let mut out: Vec<FieldSource> = Vec::with_capacity(list.len());
            for mapped in list.iter().map(|s| for_set(s, sets, own)) {
                if !out.contains(&mapped) {
                    out.push(mapped);
                }
            }
            FieldSource::AnyOf(out)
        }
        FieldSource::Rule(rule) => {
            let mut rule = rule.clone();
            if let Some(header) = &rule.header {
                rule.header = Some(role_header(header, sets, own).to_owned());
            }
            FieldSource::Rule(rule)
        }
    }
}

/// The header of `own` that plays the role `header` plays in any set, or `header` itself.
fn role_header<'a>(header: &'a str, sets: &'a [HeaderSet], own: &'a HeaderSet) -> &'a str {
    let is = |name: Option<&String>| name.is_some_and(|n| n.eq_ignore_ascii_case(header));
    for set in sets {
        if is(Some(&set.signature)) {
            return &own.signature;
        }
        // Every set names the same kinds of headers (checked by compile), so own's is present.
        if is(set.timestamp.as_ref()) {
            return own.timestamp.as_deref().unwrap_or(header);
        }
        if is(set.id.as_ref()) {
            return own.id.as_deref().unwrap_or(header);
        }
    }
    header
}

/// Whether the MAC covers every value `src` can resolve to: the body (a pointer), or `own`'s id or
/// timestamp header when the template signs it. Any other header is sender-unsigned text.
fn is_signed(src: &FieldSource, own: &HeaderSet, signed: &Signed<'_>) -> bool {
    let signed_header = |h: &str| {
        let is = |name: &Option<String>| name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(h));
        (signed.signs_id && is(&own.id)) || (signed.signs_timestamp && is(&own.timestamp))
    };
    let signed_pointer = |p: &str| signed.pointers.map_or(true, |list| list.iter().any(|q| q == p));
    match src {
        FieldSource::Pointer(p) => signed_pointer(p),
        FieldSource::Rule(rule) => match (&rule.header, &rule.pointer) {
            (Some(h), _) => signed_header(h) && rule.suffix_pointer.as_deref().map_or(true, signed_pointer),
            (None, Some(p)) => signed_pointer(p) && rule.suffix_pointer.as_deref().map_or(true, signed_pointer),
            (None, None) => true,
        },
        FieldSource::AnyOf(list) => list.iter().all(|s| is_signed(s, own, signed)),
    }
}

/// Header names without case-insensitive repeats, in first-use order.
pub(crate) fn unique_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if !seen.iter().any(|s| s.eq_ignore_ascii_case(n)) {
            seen.push(n);
        }
    }
    seen
}

/// A prefix the header parsers can find again: printable ASCII, no edge whitespace,
/// and not the separator of its format (a space in `list`, a comma in `kv`).
fn check_prefix(spec: &SchemeSpec) -> Result<()> {
    let p = &spec.prefix;
    let separator = match spec.signature_format {
        SignatureFormat::Single | SignatureFormat::Token | SignatureFormat::Basic => None,
        SignatureFormat::List => Some(' '),
        SignatureFormat::Kv => Some(spec.kv_separator),
    };
    let printable = p.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if !printable || p.trim() != p || separator.is_some_and(|sep| p.contains(sep)) {
        return Err(Error::InvalidScheme {
            reason: format!(
                "`prefix` {p:?} cannot be read back from the header: use printable ASCII with no edge spaces and no format separator"
            ),
        });
    }
    Ok(())
}

/// The signature, timestamp and id headers of one set must be different headers.
fn check_distinct<'a>(names: impl Iterator<Item = &'a String>) -> Result<()> {
    let names: Vec<&String> = names.collect();
    for (i, a) in names.iter().enumerate() {
        if names[i + 1..].iter().any(|b| a.eq_ignore_ascii_case(b)) {
            return Err(Error::InvalidScheme { reason: format!("header {a} is used for two purposes in one header set") });
        }
    }
    Ok(())
}

fn check_header_name(field: &str, name: &str) -> Result<()> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(Error::InvalidScheme { reason: format!("`{field}` is not a valid HTTP header name: {name:?}") });
    }
    Ok(())
}

fn check_pointer(pointer: &str) -> Result<()> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(Error::InvalidScheme { reason: format!("JSON pointer {pointer:?} must be empty or start with '/'") });
    }
    Ok(())
}

fn check_source(src: &FieldSource) -> Result<()> {
    match src {
        FieldSource::Pointer(p) => check_pointer(p),
        FieldSource::Rule(rule) => {
            match (&rule.header, &rule.pointer, &rule.value) {
                (Some(h), None, None) => check_header_name("event header", h)?,
                (None, Some(p), None) => check_pointer(p)?,
                (None, None, Some(v)) if !v.is_empty() => {}
                _ => {
                    return Err(Error::InvalidScheme {
                        reason: "an event field rule needs exactly one of `header`, `pointer` or a non-empty `value`".into(),
                    })
                }
            }
            rule.suffix_pointer.as_deref().map_or(Ok(()), check_pointer)
        }
        FieldSource::AnyOf(list) if list.is_empty() => {
            Err(Error::InvalidScheme { reason: "an event field alternative list is empty".into() })
        }
        FieldSource::AnyOf(list) => list.iter().try_for_each(check_source),
    }
}

fn parse_template(template: &str) -> Result<Vec<Segment>> {
    let mut segments = Vec::new();
    let mut rest = template;
    let mut literal = String::new();
    while let Some(open) = rest.find('{') {
        literal.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| Error::InvalidScheme { reason: format!("`signed_content` has an unclosed '{{': {template:?}") })?;
        let segment = match &rest[open + 1..close] {
            "id" => Segment::Id,
            "timestamp" => Segment::Timestamp,
            "body" => Segment::Body,
            "token" => Segment::Token,
            "url" => Segment::Url,
            "method" => Segment::Method,
            "form_params" => Segment::FormParams,
            other => {
                return Err(Error::InvalidScheme {
                    reason: format!(
                        "`signed_content` placeholder {{{other}}} is unknown; use {{id}}, {{timestamp}}, {{body}}, {{token}}, {{url}}, {{method}}, {{form_params}}"
                    ),
                })
            }
        };
        if !literal.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut literal).into_bytes().into_boxed_slice()));
        }
        if segments.contains(&segment) {
            return Err(Error::InvalidScheme { reason: "`signed_content` repeats a placeholder".into() });
        }
        segments.push(segment);
        rest = &rest[close + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal.into_bytes().into_boxed_slice()));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_compiles_and_round_trips_through_json() {
        for scheme in Scheme::presets() {
            let json = serde_json::to_string(scheme.spec()).unwrap();
            let again = Scheme::from_json(&json).unwrap();
            assert_eq!(again.spec(), scheme.spec());
        }
        let first = ["standard", "stripe", "github", "github-sha1", "slack", "shopify"];
        let added = ["calendly", "intercom", "quickbooks", "razorpay", "sentry", "typeform", "woocommerce"];
        let engine = [
            "paddle",
            "box",
            "docusign",
            "gitlab",
            "telegram",
            "okta",
            "lemonsqueezy",
            "xero",
            "zoom",
            "meta",
            "linear",
            "mailgun",
            "zendesk",
            "sanity",
        ];
        // Public-key signatures (issue 19, item 3).
        let public_key = ["discord", "sendgrid"];
        let request = ["twilio", "square", "hubspot", "trello"];
        // The catalog's second slice (issue 19, item 6).
        let catalog = ["pagerduty", "vercel", "bitbucket", "jira", "twitch", "mollie", "cal", "postmark"];
        assert_eq!(preset_names(), [&first[..], &added[..], &engine[..], &request[..], &public_key[..], &catalog[..]].concat());
    }

    #[test]
    fn minimal_custom_spec_takes_documented_defaults() {
        let s = Scheme::from_json(r#"{"name":"generic","signature_header":"X-Webhook-Signature"}"#).unwrap();
        let spec = s.spec();
        assert_eq!(spec.algorithm, Algorithm::Sha256);
        assert_eq!(spec.encoding, Encoding::Hex);
        assert_eq!(spec.prefix, "");
        assert_eq!(spec.signature_format, SignatureFormat::Single);
        assert_eq!(spec.signed_content, "{body}");
        assert_eq!(spec.secret_encoding, SecretEncoding::Utf8);
        assert_eq!(s.tolerance_seconds(), None);
        assert_eq!(spec.event, EventMapping::default());
    }

    #[test]
    fn invalid_specs_are_rejected_with_invalid_scheme() {
        let cases = [
            r#"{"name":"x"}"#,
            r#"{"name":"x","signature_header":"Bad Header"}"#,
            r#"{"name":"x","signature_header":"S","signed_content":"{timestamp}.{body}"}"#,
            r#"{"name":"x","signature_header":"S","signed_content":"{id}"}"#,
            r#"{"name":"x","signature_header":"S","signed_content":"{nope}{body}"}"#,
            r#"{"name":"x","signature_header":"S","tolerance_seconds":10}"#,
            r#"{"name":"x","signature_header":"S","algorithm":"md5"}"#,
            r#"{"name":"x","signature_header":"S","signature_heder":"typo"}"#,
            r#"{"name":"x","signature_header":"S","timestamp_header":"T"}"#,
            r#"{"name":"x","signature_header":"S","signed_content":"{timestamp}.{body}","timestamp_header":"s"}"#,
            r#"{"name":"x","signature_header":"S","prefix":" v0="}"#,
            r#"{"name":"x","signature_header":"S","prefix":"a\u0000"}"#,
            r#"{"name":"x","signature_header":"S","signature_format":"list","prefix":"a b"}"#,
            r#"{"name":"x","signature_header":"S","signature_format":"kv","signed_content":"{timestamp}.{body}","prefix":"a,"}"#,
            r#"{"name":"x","signature_header":"S","signature_format":"kv","signed_content":"{timestamp}.{body}","signature_version":"t"}"#,
            r#"{"name":"x","signature_header":"S","event":{"id":{"header":"A","pointer":"/b"}}}"#,
            r#"{"name":"x","signature_header":"S","event":{"id":"no-slash"}}"#,
            "not json",
        ];
        for case in cases {
            let err = Scheme::from_json(case).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidScheme, "{case}: {err}");
        }
    }

    #[test]
    fn header_names_cover_every_header_read() {
        let std = Scheme::preset("standard").unwrap();
        assert_eq!(
            std.header_names(),
            ["webhook-signature", "webhook-timestamp", "webhook-id", "svix-signature", "svix-timestamp", "svix-id"]
        );
        let gh = Scheme::preset("github").unwrap();
        assert_eq!(gh.header_names(), ["X-Hub-Signature-256", "X-GitHub-Delivery", "X-GitHub-Event"]);
    }

    #[test]
    fn each_header_set_reads_only_its_own_headers() {
        let header = |h: &str| FieldSource::Rule(FieldRule { header: Some(h.into()), pointer: None, value: None, suffix_pointer: None });
        let std = Scheme::preset("standard").unwrap();
        let webhook = std.fields(0);
        assert_eq!(webhook.id, Some(FieldSource::AnyOf(vec![header("webhook-id"), FieldSource::Pointer("/id".into())])));
        assert_eq!(
            webhook.timestamp,
            Some(FieldSource::AnyOf(vec![FieldSource::Pointer("/timestamp".into()), header("webhook-timestamp")]))
        );
        let svix = std.fields(1);
        assert_eq!(svix.id, Some(FieldSource::AnyOf(vec![header("svix-id"), FieldSource::Pointer("/id".into())])));
        assert_eq!(svix.timestamp, Some(FieldSource::AnyOf(vec![FieldSource::Pointer("/timestamp".into()), header("svix-timestamp")])));
        assert!(webhook.id_signed && svix.id_signed);
        // Headers that play no role in a header set are read as written.
        let gh = Scheme::preset("github").unwrap();
        assert_eq!(gh.fields(0).id, Some(header("X-GitHub-Delivery")));
        assert!(!gh.fields(0).id_signed, "X-GitHub-Delivery is not signed");
    }

    #[test]
    fn signed_sources() {
        let set = HeaderSet { signature: "S".into(), timestamp: Some("T".into()), id: Some("I".into()) };
        let header = |h: &str| {
            FieldSource::Rule(FieldRule { header: Some(h.into()), pointer: None, value: None, suffix_pointer: Some("/a".into()) })
        };
        let with = |signs_id, signs_timestamp| Signed { signs_id, signs_timestamp, pointers: None };
        assert!(is_signed(&FieldSource::Pointer("/id".into()), &set, &with(false, false)));
        assert!(is_signed(&header("i"), &set, &with(true, false)));
        assert!(!is_signed(&header("I"), &set, &with(false, true)), "an id header outside the template is unsigned");
        assert!(is_signed(&header("T"), &set, &with(false, true)));
        assert!(!is_signed(&header("X"), &set, &with(true, true)));
        let any = |v: Vec<FieldSource>| FieldSource::AnyOf(v);
        assert!(
            !is_signed(&any(vec![FieldSource::Pointer("/id".into()), header("X")]), &set, &with(true, true)),
            "any unsigned alternative"
        );
        assert!(is_signed(&any(vec![header("I"), FieldSource::Pointer("/id".into())]), &set, &with(true, false)));
        // A template without {body} (Mailgun) signs only the body fields it names.
        let only = ["/signature/token".to_owned()];
        let mailgun = Signed { signs_id: false, signs_timestamp: true, pointers: Some(&only) };
        assert!(is_signed(&FieldSource::Pointer("/signature/token".into()), &set, &mailgun));
        assert!(!is_signed(&FieldSource::Pointer("/event-data/id".into()), &set, &mailgun));
    }

    #[test]
    fn unknown_preset_lists_known_names() {
        let err = Scheme::preset("paypal").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::UnknownScheme);
        assert!(err.to_string().contains("github"));
    }

    #[test]
    fn template_segments() {
        assert_eq!(
            parse_template("v0:{timestamp}:{body}").unwrap(),
            vec![Segment::Literal(b"v0:".to_vec().into()), Segment::Timestamp, Segment::Literal(b":".to_vec().into()), Segment::Body]
        );
    }
}
