//! The [`Verifier`]: size cap, header parsing, replay window with an injected
//! clock, decode + full-length check, and a constant-time comparison of every
//! signature against every secret.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::Deserialize;
use subtle::ConditionallySelectable;

use crate::error::{quote, Error, Result};
use crate::event::{self, Event, EventRef};
use crate::headers::{single_value, Headers};
use arrayvec::ArrayVec;
use std::sync::{Arc, PoisonError, RwLock};

use crate::scheme::{
    parse_public_keys, parse_signature_header_into, token_matches, Encoding, HeaderSet, ParsedHeader, PublicKey, Scheme, Segment,
    DEFAULT_TOLERANCE_SECONDS, MAX_SIGNATURES,
};

mod asymmetric;
mod extended;
mod request;
use crate::secret::{Algorithm, KeyedMac, Keyring, Secret, Tag};
pub(crate) use asymmetric::message as signed_message;
pub use request::RequestTarget;
pub(crate) use request::{resolve_target, signed_params, SignedRequest};

/// Default body-size cap: 25 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// Latest timestamp accepted as plausible: 9999-12-31T23:59:59Z (a millisecond value is larger).
pub const MAX_TIMESTAMP: u64 = 253_402_300_799;

const BASE64URL: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::URL_SAFE, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));

/// The current unix time in seconds from the system clock.
///
/// Not available on `wasm32-unknown-unknown`; bindings there pass `now` explicitly.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// What a successful signature check established (borrowing the id from the request's headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<'h> {
    /// Index of the secret that matched, in the order they were given.
    pub key_index: usize,
    /// The signed timestamp, when the scheme has one.
    pub timestamp: Option<i64>,
    /// The signed message id header value, when the scheme has one.
    pub message_id: Option<&'h str>,
    /// Which header set carried the signature (0 = the scheme's own, then its aliases).
    pub header_set: usize,
}

/// What [`Verifier::check`] established before the result is built.
struct Checked<'s, 'h> {
    set_index: usize,
    set: &'s HeaderSet,
    message_id: Option<&'h str>,
    timestamp: Option<u64>,
    signatures: usize,
    /// How many secrets were tried (of the keyring this check loaded once).
    secrets: usize,
    /// The first matching key's index.
    matched: Option<usize>,
}

/// Verifies requests for one scheme against one or more live secrets.
///
/// The secrets can be replaced at runtime with [`Verifier::set_secrets`] (`&self`: safe while
/// other threads verify). Clones share the live secrets: rotating one rotates every clone, so a
/// clone kept aside rotates a verifier handed to a [`Receiver`](crate::Receiver) or the axum
/// integration.
#[derive(Debug, Clone)]
pub struct Verifier {
    scheme: Scheme,
    /// The live secrets; each verification takes the current keyring once (an `Arc` cloned under
    /// a read lock held for that clone only, so neither a verification nor a rotation waits for the
    /// other's work). Not `ArcSwap`: its thread-local debt list costs a `__tls_get_addr` call per
    /// load in a dlopen'd library (the Node addon, the Python extension), measured +3–7% per call.
    keyring: Arc<RwLock<Arc<Keyring>>>,
    tolerance: Option<u64>,
    max_body_bytes: usize,
    event_age: Option<EventAge>,
    /// The configured public keys (schemes with `public_key`), after the secrets in key-index order.
    public_keys: Arc<[PublicKey]>,
    /// Whether a check takes the extended path: the scheme's own flag, or public keys configured
    /// for a scheme that also takes HMAC signatures (so its secrets-only verifiers keep the hot path).
    extended: bool,
    /// The endpoint URL the sender calls, for schemes that sign `{url}` (a per-call URL wins).
    url: Option<Arc<str>>,
    /// The method the sender uses, for schemes that sign `{method}` (default `POST`; a per-call
    /// method wins).
    method: Option<Arc<str>>,
}

/// The bounds `max_event_age` puts on a verified event's envelope timestamp.
#[derive(Debug, Clone, Copy)]
struct EventAge {
    /// Oldest accepted, in seconds before `now`.
    max_age: u64,
    /// Furthest accepted in the future, in seconds after `now` (clock skew).
    max_ahead: u64,
}

/// Builds a [`Verifier`]; see [`Verifier::builder`].
#[derive(Debug)]
#[must_use]
pub struct VerifierBuilder {
    scheme: Scheme,
    secrets: Vec<Secret>,
    error: Option<Error>,
    tolerance: Option<u64>,
    skip_timestamp: bool,
    max_body_bytes: usize,
    max_event_age: Option<u64>,
    public_keys: Vec<String>,
    url: Option<String>,
    method: Option<String>,
}

impl VerifierBuilder {
    /// Adds a public key, for a scheme whose spec has `public_key` (Discord, SendGrid, Standard
    /// Webhooks `v1a`); parsed per [`PublicKey::parse`] at [`build`](Self::build). Public keys come
    /// after the secrets in `key_index` order.
    pub fn public_key(mut self, key: &str) -> Self {
        self.public_keys.push(key.to_owned());
        self
    }

    /// Adds several public keys (rotation: old and new both live).
    pub fn public_keys<S: AsRef<str>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.public_keys.extend(keys.into_iter().map(|k| k.as_ref().to_owned()));
        self
    }

    /// The method the sender uses, for schemes that sign `{method}` (HubSpot v3; default `POST`).
    /// A method given per call ([`RequestTarget`]) takes its place.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// The endpoint URL the sender calls (as registered with it: scheme, host, port, path and
    /// query), for schemes that sign `{url}` (Square, Twilio, Trello, HubSpot v3). A URL given per
    /// call ([`RequestTarget`]) takes its place.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Adds a secret string, decoded per the scheme's `secret_encoding`. Order sets `key_index`.
    pub fn secret(mut self, secret: &str) -> Self {
        match self.scheme.parse_secret(secret) {
            Ok(s) => self.secrets.push(s),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Adds several secret strings (rotation: old and new both live).
    pub fn secrets<S: AsRef<str>>(mut self, secrets: impl IntoIterator<Item = S>) -> Self {
        for s in secrets {
            self = self.secret(s.as_ref());
        }
        self
    }

    /// Adds an already-built secret (raw key bytes).
    pub fn secret_key(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Overrides the scheme's replay window (seconds, symmetric).
    pub fn tolerance_seconds(mut self, seconds: u64) -> Self {
        self.tolerance = Some(seconds);
        self
    }

    /// Turns the replay-window check off. Replayed requests will verify. Test use only.
    pub fn dangerously_skip_timestamp_check(mut self) -> Self {
        self.skip_timestamp = true;
        self
    }

    /// Sets the body-size cap in bytes (checked before hashing).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Rejects events whose signed envelope timestamp is more than `seconds` old
    /// (`timestamp_too_old`), or further in the future than the replay window (the scheme's
    /// tolerance, 300 s when it signs no timestamp: `timestamp_too_new`). An event without a
    /// timestamp is `missing_field`. The replay window of senders that sign only the body
    /// (`{id, type, created_at, data}` and no timestamp header).
    ///
    /// Checked after the signature, by every call that parses the event: [`Verifier::verify`],
    /// [`Verifier::verify_at`], [`Verifier::verify_ref_at`], and the [`Receiver`](crate::Receiver)
    /// pipeline (so the axum integration too). [`Verifier::verify_signature_at`] parses no event
    /// and cannot check it.
    ///
    /// [`build`](Self::build) fails (`invalid_argument`) when the scheme's event timestamp is not
    /// covered by the signature (read from an unsigned header, e.g. Shopify's
    /// `X-Shopify-Triggered-At`) or the scheme maps none: an age anyone can rewrite bounds nothing.
    pub fn max_event_age(mut self, seconds: u64) -> Self {
        self.max_event_age = Some(seconds);
        self
    }

    /// The options every front end maps one to one ([`VerifierOptions`], Python's keywords), each
    /// `None` / `false` keeping what is set: [`tolerance_seconds`](Self::tolerance_seconds),
    /// [`max_body_bytes`](Self::max_body_bytes),
    /// [`dangerously_skip_timestamp_check`](Self::dangerously_skip_timestamp_check) and
    /// [`max_event_age`](Self::max_event_age).
    pub fn options(
        mut self,
        tolerance: Option<u64>,
        max_body_bytes: Option<usize>,
        skip_timestamp: bool,
        max_event_age: Option<u64>,
    ) -> Self {
        self.tolerance = tolerance.or(self.tolerance);
        self.max_body_bytes = max_body_bytes.unwrap_or(self.max_body_bytes);
        self.skip_timestamp |= skip_timestamp;
        self.max_event_age = max_event_age.or(self.max_event_age);
        self
    }

    /// Builds the verifier, computing each secret's HMAC key state once.
    pub fn build(self) -> Result<Verifier> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let public_keys: Arc<[PublicKey]> = parse_public_keys(self.scheme.spec(), &self.public_keys)?.into();
        if let Some(pk) = &self.scheme.spec().public_key {
            if public_keys.is_empty() && (pk.version.is_none() || self.secrets.is_empty()) {
                return Err(Error::InvalidSecret {
                    reason: format!(
                        "scheme {} needs at least one public key{}",
                        self.scheme.name(),
                        if pk.version.is_some() { " or secret" } else { "" }
                    ),
                });
            }
        }
        let keyring = keyring(&self.scheme, &self.secrets, !public_keys.is_empty())?;
        let tolerance = match (self.skip_timestamp, self.scheme.tolerance_seconds()) {
            (true, _) | (false, None) => None,
            (false, Some(default)) => Some(self.tolerance.unwrap_or(default)),
        };
        if self.tolerance.is_some() && !self.scheme.has_timestamp() {
            return Err(Error::InvalidArgument {
                reason: format!("scheme {} signs no timestamp, so a tolerance cannot apply", self.scheme.name()),
            });
        }
        let event_age = match self.max_event_age {
            None => None,
            Some(max_age) => {
                if let Some(reason) = self.scheme.event_age_unsupported() {
                    return Err(Error::InvalidArgument { reason });
                }
                Some(EventAge { max_age, max_ahead: tolerance.unwrap_or(DEFAULT_TOLERANCE_SECONDS) })
            }
        };
        let extended = self.scheme.extended() || !public_keys.is_empty();
        Ok(Verifier {
            scheme: self.scheme,
            keyring: Arc::new(RwLock::new(Arc::new(keyring))),
            tolerance,
            max_body_bytes: self.max_body_bytes,
            event_age,
            extended,
            public_keys,
            url: self.url.map(Arc::from),
            method: self.method.map(Arc::from),
        })
    }
}

/// Verifier options as one serde object (what bindings and the CLI deserialize).
/// `Debug` redacts the secrets.
///
/// `#[non_exhaustive]`: outside the crate, start from [`VerifierOptions::new`] and assign fields.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VerifierOptions {
    /// A preset name or a custom spec object.
    pub scheme: SchemeRef,
    /// One secret (alternative to `secrets`).
    #[serde(default)]
    pub secret: Option<String>,
    /// Several live secrets, in key-index order.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Replay window override in seconds.
    #[serde(default, alias = "toleranceSeconds", alias = "tolerance")]
    pub tolerance_seconds: Option<u64>,
    /// Body-size cap override in bytes.
    #[serde(default, alias = "maxBodyBytes")]
    pub max_body_bytes: Option<usize>,
    /// Disables the replay window. Named to be noticed in review.
    #[serde(default, alias = "dangerouslySkipTimestampCheck")]
    pub dangerously_skip_timestamp_check: bool,
    /// Oldest accepted event, in seconds, by its signed envelope timestamp; see
    /// [`VerifierBuilder::max_event_age`] (which calls honour it, which schemes refuse it).
    #[serde(default, alias = "maxEventAge")]
    pub max_event_age: Option<u64>,
    /// Public keys, for a scheme with `public_key` (see [`VerifierBuilder::public_key`]).
    #[serde(default, alias = "publicKeys")]
    pub public_keys: Vec<String>,
    /// The endpoint URL the sender calls, for schemes that sign `{url}`; see [`VerifierBuilder::url`].
    #[serde(default)]
    pub url: Option<String>,
    /// The method the sender uses, for schemes that sign `{method}`; see [`VerifierBuilder::method`].
    #[serde(default)]
    pub method: Option<String>,
}

/// A scheme given by preset name or as a spec.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SchemeRef {
    /// A preset name.
    Name(String),
    /// A custom spec (kept as JSON so a bad spec reports `invalid_scheme` with the real reason).
    Spec(serde_json::Value),
}

impl VerifierOptions {
    /// Options for `scheme` with nothing else set (add `secret` or `secrets` before use):
    /// `let mut o = VerifierOptions::new(SchemeRef::Name("github".into())); o.secret = Some(s);`.
    pub fn new(scheme: SchemeRef) -> VerifierOptions {
        VerifierOptions {
            scheme,
            secret: None,
            secrets: Vec::new(),
            tolerance_seconds: None,
            max_body_bytes: None,
            dangerously_skip_timestamp_check: false,
            max_event_age: None,
            public_keys: Vec::new(),
            url: None,
            method: None,
        }
    }
}

impl<'de> Deserialize<'de> for SchemeRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(name) => Ok(SchemeRef::Name(name)),
            spec @ serde_json::Value::Object(_) => Ok(SchemeRef::Spec(spec)),
            _ => Err(serde::de::Error::custom("must be a preset name or a scheme spec object")),
        }
    }
}

impl SchemeRef {
    /// Resolves to a compiled scheme.
    pub fn resolve(&self) -> Result<Scheme> {
        match self {
            SchemeRef::Name(name) => Scheme::preset(name),
            SchemeRef::Spec(spec) => {
                let spec: crate::scheme::SchemeSpec =
                    serde_json::from_value(spec.clone()).map_err(|e| Error::InvalidScheme { reason: e.to_string() })?;
                Scheme::compile(spec)
            }
        }
    }
}

impl std::fmt::Debug for VerifierOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = usize::from(self.secret.is_some()) + self.secrets.len();
        f.debug_struct("VerifierOptions")
            .field("scheme", &self.scheme)
            .field("secrets", &format_args!("[REDACTED; {count}]"))
            .field("tolerance_seconds", &self.tolerance_seconds)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("dangerously_skip_timestamp_check", &self.dangerously_skip_timestamp_check)
            .field("max_event_age", &self.max_event_age)
            .field("public_keys", &self.public_keys.len())
            .field("url", &self.url)
            .field("method", &self.method)
            .finish()
    }
}

impl VerifierOptions {
    /// Parses options from JSON text.
    pub fn from_json(json: &str) -> Result<VerifierOptions> {
        crate::options::from_json("verifier", json)
    }

    /// Builds the verifier these options describe.
    pub fn build(&self) -> Result<Verifier> {
        let scheme = self.scheme.resolve()?;
        if self.secret.is_some() && !self.secrets.is_empty() {
            return Err(Error::InvalidArgument { reason: "give either `secret` or `secrets`, not both".into() });
        }
        let mut builder = Verifier::builder(scheme)
            .secrets(self.secret.iter().chain(&self.secrets))
            .options(self.tolerance_seconds, self.max_body_bytes, self.dangerously_skip_timestamp_check, self.max_event_age)
            .public_keys(&self.public_keys);
        if let Some(url) = &self.url {
            builder = builder.url(url.as_str());
        }
        if let Some(method) = &self.method {
            builder = builder.method(method.as_str());
        }
        builder.build()
    }
}

impl Verifier {
    /// Starts building a verifier for `scheme`; add at least one secret.
    pub fn builder(scheme: Scheme) -> VerifierBuilder {
        VerifierBuilder {
            scheme,
            secrets: Vec::new(),
            error: None,
            tolerance: None,
            skip_timestamp: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_event_age: None,
            public_keys: Vec::new(),
            url: None,
            method: None,
        }
    }

    /// A verifier for `scheme` with these secret strings and default options.
    pub fn new<S: AsRef<str>>(scheme: Scheme, secrets: impl IntoIterator<Item = S>) -> Result<Verifier> {
        Verifier::builder(scheme).secrets(secrets).build()
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The effective replay window (`None`: the scheme has no timestamp, or the check was disabled).
    pub fn tolerance_seconds(&self) -> Option<u64> {
        self.tolerance
    }

    /// The body-size cap in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The oldest accepted event in seconds (`None`: no limit); see [`VerifierBuilder::max_event_age`].
    pub fn max_event_age(&self) -> Option<u64> {
        self.event_age.map(|a| a.max_age)
    }

    /// The configured endpoint URL (see [`VerifierBuilder::url`]).
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Number of live secrets.
    pub fn secret_count(&self) -> usize {
        self.live_keyring().len()
    }

    /// Replaces the live secrets, atomically: each verification uses either the old set or the
    /// new one, never a mix; a verification waits at most for the pointer swap, never for a rotation's validation. Secret strings are validated exactly as
    /// at construction (decoded per the scheme's `secret_encoding`, at least one); on error the
    /// old secrets stay live. Give old and new together to overlap a rotation, then the new alone.
    /// Clones of this verifier (a receiver's provider) share the change.
    pub fn set_secrets<S: AsRef<str>>(&self, secrets: impl IntoIterator<Item = S>) -> Result<()> {
        let secrets = secrets.into_iter().map(|s| self.scheme.parse_secret(s.as_ref())).collect::<Result<Vec<_>>>()?;
        self.set_secret_keys(&secrets)
    }

    /// [`Verifier::set_secrets`] with already-built secrets (raw key bytes).
    pub fn set_secret_keys(&self, secrets: &[Secret]) -> Result<()> {
        let next = self.keyring_for(secrets)?;
        self.install(next);
        Ok(())
    }

    /// The keyring `secrets` would make (validated as at construction), to [`install`](Self::install) later.
    pub(crate) fn keyring_for(&self, secrets: &[Secret]) -> Result<Keyring> {
        keyring(&self.scheme, secrets, !self.public_keys.is_empty())
    }

    /// The fingerprints of the configured public keys, in key-index order (after the secrets).
    pub fn public_key_fingerprints(&self) -> Vec<&str> {
        self.public_keys.iter().map(PublicKey::fingerprint).collect()
    }

    /// Makes `keyring` the live secrets.
    pub(crate) fn install(&self, keyring: Keyring) {
        let next = Arc::new(keyring);
        // The old keyring is dropped after the lock is released (by its last user).
        let _old = std::mem::replace(&mut *self.keyring.write().unwrap_or_else(PoisonError::into_inner), next);
    }

    /// The live keyring: one snapshot, unaffected by a later rotation.
    fn live_keyring(&self) -> Arc<Keyring> {
        // Nothing panics while the lock is held (a clone, a pointer swap): a poisoned lock still
        // holds a whole keyring.
        Arc::clone(&self.keyring.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Verifies the signature and parses the event envelope, at the system clock's time
    /// (then checks the event's age, when [`max_event_age`](VerifierBuilder::max_event_age) is set).
    pub fn verify<H: Headers + ?Sized>(&self, body: &[u8], headers: &H) -> Result<Event> {
        self.verify_at(body, headers, unix_now())
    }

    /// Verifies the signature and parses the event envelope as of `now` (unix seconds).
    pub fn verify_at<H: Headers + ?Sized>(&self, body: &[u8], headers: &H, now: i64) -> Result<Event> {
        self.verify_ref_at(body, headers, now).map(EventRef::into_owned)
    }

    /// Like [`Verifier::verify_at`], but the event's payload text borrows from `body` (no copy).
    pub fn verify_ref_at<'b, H: Headers + ?Sized>(&self, body: &'b [u8], headers: &H, now: i64) -> Result<EventRef<'b>> {
        self.verify_ref_with(body, headers, now, &RequestTarget::NONE)
    }

    /// [`Verifier::verify_ref_at`] for a request whose URL or method the scheme signs: `target`
    /// gives the URL the sender called and the method (each falling back to the configured
    /// endpoint URL and to `POST`).
    pub fn verify_ref_with<'b, H: Headers + ?Sized>(
        &self,
        body: &'b [u8],
        headers: &H,
        now: i64,
        target: &RequestTarget<'_>,
    ) -> Result<EventRef<'b>> {
        let verified = self.verify_signature_with(body, headers, now, target)?;
        let event = event::parse(&self.scheme, headers, body, &verified)?;
        if self.event_age.is_some() {
            self.check_event_age(&event, &verified, now)?;
        }
        Ok(event)
    }

    /// Parses the envelope of a request this verifier verified and the scheme's explicit dedup
    /// key, then checks the event's age, as [`Verifier::verify_ref_at`] does: the receiver
    /// pipeline's way to the event.
    pub(crate) fn parse_event_with_key<'b, H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &'b [u8],
        verified: &Verified,
        now: i64,
    ) -> Result<(EventRef<'b>, Option<String>)> {
        let parsed = event::parse_with_key(&self.scheme, headers, body, verified, true)?;
        if self.event_age.is_some() {
            self.check_event_age(&parsed.0, verified, now)?;
        }
        Ok(parsed)
    }

    /// The `max_event_age` rule, for every path that returns an event: its timestamp (which
    /// `Scheme::event_age_unsupported` made sure the signature covers) must exist and be within
    /// the bounds. Nothing to check when the option is unset.
    #[cold]
    fn check_event_age(&self, event: &EventRef<'_>, verified: &Verified, now: i64) -> Result<()> {
        let Some(age) = self.event_age else { return Ok(()) };
        let Some(ts) = event.timestamp else {
            let source = self.scheme.fields(verified.header_set).timestamp.as_ref().map_or_else(String::new, event::describe);
            return Err(Error::MissingField { field: "timestamp".into(), source_desc: source });
        };
        check_age(i128::from(ts), now, age.max_age, age.max_ahead)
    }

    /// HMAC-SHA256 of `message` under live secret `key_index` (the one that verified a request),
    /// for a handshake whose answer is keyed (Zoom); `None` when the scheme's keys are not
    /// HMAC-SHA256 keys or the index is gone (a rotation in between).
    pub(crate) fn handshake_mac(&self, key_index: usize, message: &[u8]) -> Option<Vec<u8>> {
        let keyring = self.live_keyring();
        if keyring.algorithm() != crate::secret::Algorithm::Sha256 {
            return None;
        }
        let mut mac = keyring.keys().get(key_index)?.clone();
        mac.update(message);
        Some(mac.finish().as_slice().to_vec())
    }

    /// Checks only the signature (and window) as of `now`: for bodies that are not JSON envelopes.
    /// The event's age (`max_event_age`) is not checked: no event is parsed.
    pub fn verify_signature_at<'h, H: Headers + ?Sized>(&self, body: &[u8], headers: &'h H, now: i64) -> Result<Verified<'h>> {
        self.verify_signature_with(body, headers, now, &RequestTarget::NONE)
    }

    /// [`Verifier::verify_signature_at`] with the request's URL and method (see
    /// [`Verifier::verify_ref_with`]); schemes that sign neither ignore `target`.
    pub fn verify_signature_with<'h, H: Headers + ?Sized>(
        &self,
        body: &[u8],
        headers: &'h H,
        now: i64,
        target: &RequestTarget<'_>,
    ) -> Result<Verified<'h>> {
        let checked = self.check(headers, body, now, target)?;
        match checked.matched {
            Some(key_index) => Ok(Verified {
                key_index,
                timestamp: checked.timestamp.map(|ts| ts as i64),
                message_id: checked.message_id,
                header_set: checked.set_index,
            }),
            None => Err(Error::NoMatchingSignature {
                header: checked.set.signature.clone(),
                signatures: checked.signatures,
                secrets: checked.secrets,
            }),
        }
    }

    /// The signature check of [`Verifier::verify_signature_at`] up to and including the
    /// constant-time comparison, without building its result: whether a key matched.
    ///
    /// For the dudect measurement in `ct/` only (its "equal" class would otherwise also time
    /// building `Ok` against building the public `NoMatchingSignature` error). Not API.
    #[doc(hidden)]
    pub fn ct_signature_matches_at<H: Headers + ?Sized>(&self, body: &[u8], headers: &H, now: i64) -> bool {
        matches!(self.check(headers, body, now, &RequestTarget::NONE), Ok(Checked { matched: Some(_), .. }))
    }

    /// Size cap, header parsing, replay window, decoding, and the comparison.
    fn check<'s, 'h, H: Headers + ?Sized>(
        &'s self,
        headers: &'h H,
        body: &[u8],
        now: i64,
        target: &RequestTarget<'_>,
    ) -> Result<Checked<'s, 'h>> {
        if body.len() > self.max_body_bytes {
            return Err(Error::PayloadTooLarge { size: body.len(), limit: self.max_body_bytes });
        }
        if self.extended {
            return extended::check(self, headers, body, now, target);
        }
        let (set_index, set, sig_value) = self.find_signature_header(headers)?;
        let mut parsed = ParsedHeader::default();
        parse_signature_header_into(self.scheme.spec(), &set.signature, sig_value, &mut parsed)?;
        let message_id = match &set.id {
            Some(name) => Some(required(headers, name)?),
            None => None,
        };
        let timestamp = self.read_timestamp(headers, set, &parsed)?;
        if let (Some(tolerance), Some((ts, _))) = (self.tolerance, timestamp) {
            check_window(ts, now, tolerance)?;
        }
        // One snapshot of the live secrets for the whole check (a concurrent rotation swaps it).
        let keyring = self.live_keyring();
        let mut tags = ArrayVec::new();
        self.decode_signatures(&keyring, &set.signature, &parsed, &mut tags)?;
        let content = Content { id: message_id, timestamp: timestamp.map(|(_, text)| text), token: None, body, request: None };
        let matched = compare(&keyring, self.scheme.segments(), &tags, &content);
        Ok(Checked {
            set_index,
            set,
            message_id,
            timestamp: timestamp.map(|(ts, _)| ts),
            signatures: tags.len(),
            secrets: keyring.len(),
            matched,
        })
    }

    /// A shared-token scheme: the header value is compared with every configured token.
    /// Lookup errors are re-worded so that no part of the presented value (perhaps the token with a
    /// typo) reaches an error, a log or a response.
    #[cold]
    fn check_token<'s, 'h, H: Headers + ?Sized>(&'s self, headers: &'h H) -> Result<Checked<'s, 'h>> {
        let (set_index, set, value) = self.find_signature_header(headers).map_err(|e| match e {
            Error::MalformedHeader { header, .. } => Error::malformed(
                &header,
                "the value is unusable (repeated, longer than 16 KiB, or not visible ASCII); a token header is never quoted",
            ),
            other => other,
        })?;
        let keyring = self.live_keyring();
        let matched = token_matches(&keyring, self.scheme.spec().signature_format, &set.signature, value)?;
        Ok(Checked { set_index, set, message_id: None, timestamp: None, signatures: 1, secrets: keyring.len(), matched })
    }

    /// The first header set whose signature header is present.
    fn find_signature_header<'h, H: Headers + ?Sized>(&self, headers: &'h H) -> Result<(usize, &HeaderSet, &'h str)> {
        for (i, set) in self.scheme.header_sets().iter().enumerate() {
            if let Some(value) = single_value(headers, &set.signature)? {
                return Ok((i, set, value));
            }
        }
        Err(Error::MissingHeader { header: self.scheme.spec().signature_header.clone() })
    }

    fn read_timestamp<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        set: &HeaderSet,
        parsed: &ParsedHeader<'a>,
    ) -> Result<Option<(u64, &'a str)>> {
        if !self.scheme.has_timestamp() {
            return Ok(None);
        }
        let (source, text) = match (&set.timestamp, parsed.timestamp) {
            (Some(name), _) => (name.as_str(), required(headers, name)?),
            (None, Some(t)) => (set.signature.as_str(), t),
            (None, None) => {
                return Err(Error::malformed(&set.signature, "no `t=` timestamp in the header"));
            }
        };
        // Unix seconds here: other formats take the extended path (`Scheme::extended`).
        Ok(Some((parse_timestamp(source, text)?, text)))
    }

    /// Decodes into `tags` (filled in place: the buffer is too big to return by value cheaply).
    fn decode_signatures(
        &self,
        keyring: &Keyring,
        header: &str,
        parsed: &ParsedHeader<'_>,
        tags: &mut ArrayVec<Tag, MAX_SIGNATURES>,
    ) -> Result<()> {
        let algorithm = keyring.algorithm();
        let mut first_problem = None;
        for sig in &parsed.signatures {
            match decode_signature(self.scheme.spec().encoding, algorithm, sig) {
                Ok(tag) => tags.push(tag),
                Err(reason) => {
                    first_problem.get_or_insert(reason);
                }
            }
        }
        if tags.is_empty() {
            return Err(match first_problem {
                Some(reason) => Error::malformed(header, reason),
                None => Error::NoMatchingSignature { header: header.to_owned(), signatures: 0, secrets: keyring.len() },
            });
        }
        Ok(())
    }
}

/// The values a template's placeholders stand for.
#[derive(Clone, Copy)]
pub(crate) struct Content<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    /// The `{token}` body field (Mailgun).
    pub token: Option<&'a str>,
    pub body: &'a [u8],
    /// `{url}`, `{method}`, `{form_params}` (`None` for schemes that sign none of them).
    pub request: Option<&'a request::SignedRequest<'a>>,
}

/// Every tag against every key, with no early exit; returns the first matching key's index.
fn compare(keyring: &Keyring, segments: &[Segment], tags: &[Tag], content: &Content<'_>) -> Option<usize> {
    let mut found = subtle::Choice::from(0);
    let mut index = 0u32;
    for (i, key) in keyring.keys().iter().enumerate() {
        let expected = mac_signed_content(key.clone(), segments, content);
        let mut this_key = subtle::Choice::from(0);
        for tag in tags {
            // Word-wise constant-time compare (no early exit), then folded without branches.
            this_key |= subtle::Choice::from(u8::from(constant_time_eq::constant_time_eq(expected.as_slice(), tag.as_slice())));
        }
        // Keep the first matching index without branching on secret-dependent data.
        let take = this_key & !found;
        index.conditional_assign(&(i as u32), take);
        found |= this_key;
    }
    bool::from(found).then_some(index as usize)
}

/// The keyring of `secrets` for `scheme`: the one validation of a verifier's secrets, at
/// construction and on rotation (at least one secret; each already decoded by
/// [`Scheme::parse_secret`] or built from raw bytes).
fn keyring(scheme: &Scheme, secrets: &[Secret], has_public_keys: bool) -> Result<Keyring> {
    if scheme.spec().public_key.as_ref().is_some_and(|pk| pk.version.is_none()) && !secrets.is_empty() {
        return Err(Error::InvalidArgument {
            reason: format!("scheme {} is verified with public keys only: give `public_keys`, not secrets", scheme.name()),
        });
    }
    if secrets.is_empty() && has_public_keys {
        return Ok(Keyring::empty(scheme.spec().algorithm));
    }
    if scheme.spec().signature_format.is_token() {
        return Keyring::tokens(secrets);
    }
    Keyring::new(scheme.spec().algorithm, secrets)
}

/// Feeds the signed content (template segments) into a keyed MAC without concatenating.
pub(crate) fn mac_signed_content(mut mac: KeyedMac, segments: &[Segment], content: &Content<'_>) -> crate::secret::Tag {
    for segment in segments {
        match segment {
            Segment::Literal(bytes) => mac.update(bytes),
            Segment::Id => mac.update(content.id.unwrap_or_default().as_bytes()),
            Segment::Timestamp => mac.update(content.timestamp.unwrap_or_default().as_bytes()),
            Segment::Body => mac.update(content.body),
            Segment::Token => mac.update(content.token.unwrap_or_default().as_bytes()),
            Segment::Url => mac.update(content.request.map_or(&[][..], |r| r.url.as_bytes())),
            Segment::Method => mac.update(content.request.map_or(&[][..], |r| r.method.as_bytes())),
            Segment::FormParams => mac.update(content.request.map_or(&[][..], |r| &r.params[..])),
        }
    }
    mac.finish()
}

fn required<'a, H: Headers + ?Sized>(headers: &'a H, name: &str) -> Result<&'a str> {
    match single_value(headers, name)? {
        Some("") => Err(Error::malformed(name, "the header is empty")),
        Some(v) => Ok(v),
        None => Err(Error::MissingHeader { header: name.to_owned() }),
    }
}

/// Parses a canonical unix-seconds timestamp: ASCII digits only, plausible range.
pub(crate) fn parse_timestamp(source: &str, text: &str) -> Result<u64> {
    // The common case in one pass: 1 to 12 digits (MAX_TIMESTAMP has 12), in range.
    if (1..=12).contains(&text.len()) {
        let value = text.bytes().try_fold(0u64, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0')));
        if let Some(ts) = value.filter(|&ts| ts <= MAX_TIMESTAMP) {
            return Ok(ts);
        }
    }
    let bad = |reason: String| Error::MalformedTimestamp { header: source.to_owned(), reason };
    if text.is_empty() {
        return Err(bad("the timestamp is empty".into()));
    }
    if text.contains(',') {
        // Two timestamp header lines joined into one (`1700000000, 1700000000`): not one header.
        return Err(Error::malformed(
            source,
            "the value holds a comma: the header appears to be two headers joined with `,` (exactly one is allowed)",
        ));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("expected unix seconds as decimal digits, found {}", quote(text.as_bytes()))));
    }
    match text.parse::<u64>() {
        Ok(ts) if ts <= MAX_TIMESTAMP => Ok(ts),
        _ if text.len() >= 13 && text.len() <= 16 => {
            Err(bad(format!("{text} is past year 9999; it looks like milliseconds, the sender must send seconds")))
        }
        _ => Err(bad(format!("{} is not a plausible unix time in seconds", quote(text.as_bytes())))),
    }
}

/// The replay window: `|now - ts| <= tolerance`.
fn check_window(ts: u64, now: i64, tolerance: u64) -> Result<()> {
    check_age(i128::from(ts), now, tolerance, tolerance)
}

/// The one time rule (the replay window, and `max_event_age`): `ts` at most `max_age` seconds
/// before `now` (else `timestamp_too_old`) and at most `max_ahead` after it (else
/// `timestamp_too_new`), both inclusive. The error's `tolerance_seconds` is the bound crossed.
fn check_age(ts: i128, now: i64, max_age: u64, max_ahead: u64) -> Result<()> {
    let skew = i128::from(now) - ts;
    let clamp = |v: i128| u64::try_from(v).unwrap_or(u64::MAX);
    if skew > i128::from(max_age) {
        Err(Error::TimestampTooOld { skew_seconds: clamp(skew), tolerance_seconds: max_age })
    } else if -skew > i128::from(max_ahead) {
        Err(Error::TimestampTooNew { skew_seconds: clamp(-skew), tolerance_seconds: max_ahead })
    } else {
        Ok(())
    }
}

/// Decodes one signature and insists on the algorithm's full tag length.
pub(crate) fn decode_signature(encoding: Encoding, algorithm: Algorithm, sig: &str) -> std::result::Result<Tag, String> {
    let want = algorithm.tag_len();
    let wrong_length = |got: usize| {
        format!(
            "the signature is {got} bytes; HMAC-{} signatures are {want} bytes (truncated tags are rejected)",
            algorithm.as_str().to_uppercase(),
        )
    };
    let mut tag = Tag::empty();
    let buf = tag.buffer();
    let len = match encoding {
        Encoding::Hex => {
            if sig.len() != want * 2 {
                return Err(if sig.len() % 2 == 0 {
                    wrong_length(sig.len() / 2)
                } else {
                    format!("expected {} hex digits, found {}", want * 2, sig.len())
                });
            }
            hex::decode_to_slice(sig, &mut buf[..want]).map_err(|_| format!("expected hex digits, found {}", quote(sig.as_bytes())))?;
            want
        }
        Encoding::Base64 | Encoding::Base64url => {
            let engine: &GeneralPurpose = if encoding == Encoding::Base64 { &STANDARD } else { &BASE64URL };
            let name = if encoding == Encoding::Base64 { "padded base64" } else { "base64url" };
            // A longer signature cannot fit the 64-byte buffer: report its decoded size instead.
            if sig.len() > 88 {
                return Err(wrong_length(sig.len() * 3 / 4));
            }
            engine.decode_slice(sig, &mut buf[..]).map_err(|_| format!("expected {name}, found {}", quote(sig.as_bytes())))?
        }
    };
    if len != want {
        return Err(wrong_length(len));
    }
    tag.set_len(len);
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn timestamps_must_be_canonical_seconds() {
        assert_eq!(parse_timestamp("t", "1700000000").unwrap(), 1_700_000_000);
        for bad in ["", "-1", "+1", "1.5", "abc", " 1", "1700000000000", "99999999999999999999999"] {
            assert_eq!(parse_timestamp("t", bad).unwrap_err().code(), ErrorCode::MalformedTimestamp, "{bad}");
        }
        assert!(parse_timestamp("t", "1700000000000").unwrap_err().to_string().contains("milliseconds"));
    }

    #[test]
    fn window_is_symmetric_and_inclusive() {
        assert!(check_window(1000, 1300, 300).is_ok());
        assert!(check_window(1000, 700, 300).is_ok());
        assert_eq!(check_window(1000, 1301, 300).unwrap_err().code(), ErrorCode::TimestampTooOld);
        assert_eq!(check_window(1000, 699, 300).unwrap_err().code(), ErrorCode::TimestampTooNew);
        assert_eq!(check_window(0, i64::MIN, 300).unwrap_err().code(), ErrorCode::TimestampTooNew);
        assert_eq!(check_window(MAX_TIMESTAMP, i64::MAX, 300).unwrap_err().code(), ErrorCode::TimestampTooOld);
    }

    #[test]
    fn truncated_and_overlong_tags_are_rejected() {
        assert!(decode_signature(Encoding::Hex, Algorithm::Sha256, &"ab".repeat(16)).is_err());
        assert!(decode_signature(Encoding::Hex, Algorithm::Sha256, &"ab".repeat(33)).is_err());
        assert!(decode_signature(Encoding::Hex, Algorithm::Sha256, &"AB".repeat(32)).is_ok());
    }

    #[test]
    fn tolerance_requires_a_timestamped_scheme() {
        let err = Verifier::builder(Scheme::preset("github").unwrap()).secret("s").tolerance_seconds(5).build();
        assert_eq!(err.unwrap_err().code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn options_from_json() {
        let v = VerifierOptions::from_json(r#"{"scheme":"stripe","secrets":["a","b"],"toleranceSeconds":60}"#).unwrap().build().unwrap();
        assert_eq!(v.tolerance_seconds(), Some(60));
        assert_eq!(v.secret_count(), 2);
        let v = VerifierOptions::from_json(
            r#"{"scheme":{"name":"g","signature_header":"X-Sig"},"secret":"a","dangerously_skip_timestamp_check":true}"#,
        )
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(v.tolerance_seconds(), None);
        assert_eq!(
            VerifierOptions::from_json(r#"{"scheme":"stripe","secret":"a","oops":1}"#).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
        let bad_spec =
            VerifierOptions::from_json(r#"{"scheme":{"name":"x","signature_header":"S","encoding":"hexx"},"secret":"a"}"#).unwrap().build();
        let err = bad_spec.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidScheme);
        assert!(err.to_string().contains("hexx"), "{err}");
        let no_secret = VerifierOptions::from_json(r#"{"scheme":"stripe"}"#).unwrap().build();
        assert_eq!(no_secret.unwrap_err().code(), ErrorCode::InvalidSecret);
    }

    #[test]
    fn verify_ref_at_borrows_the_payload_and_agrees_with_verify_at() {
        let scheme = || Scheme::preset("standard").unwrap();
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"type":"t.x","timestamp":"2023-11-14T22:13:20Z","data":{"k":"caf\u00e9 é"}}"#.as_bytes();
        let headers = crate::Signer::new(scheme(), secret).unwrap().sign(body, Some("msg_1"), Some(1_700_000_000)).unwrap();
        let v = Verifier::new(scheme(), [secret]).unwrap();
        let borrowed = v.verify_ref_at(body, &headers, 1_700_000_000).unwrap();
        let range = borrowed.data_range().unwrap();
        assert_eq!(borrowed.data_json().as_ptr(), body[range.clone()].as_ptr(), "the payload is a slice of the body");
        assert_eq!(borrowed.data_json().as_bytes(), &body[range]);
        let owned = v.verify_at(body, &headers, 1_700_000_000).unwrap();
        assert_eq!(Event::from(borrowed.clone()), owned);
        assert_eq!((borrowed.id.as_str(), borrowed.event_type.as_str(), borrowed.timestamp), ("msg_1", "t.x", Some(1_700_000_000)));
        assert_eq!(borrowed.data_as::<serde_json::Value>().unwrap()["k"], "caf\u{e9} \u{e9}");
        let sig = v.verify_signature_at(body, &headers, 1_700_000_000).unwrap();
        assert_eq!(sig.message_id, Some("msg_1"));
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let v = Verifier::new(Scheme::preset("github").unwrap(), ["topsecretvalue"]).unwrap();
        assert!(!format!("{v:?}").contains("topsecretvalue"));
    }
}
