//! [`ReceiverConfig`]: every receiver option in one serde object, with its defaults as constants.
//!
//! Every front end builds its receiver from this one description: the Node (napi and wasm) and
//! Python packages pass their options object / keyword arguments straight through as JSON
//! ([`ReceiverConfig::from_json`], errors that never quote a value), Rust code fills it in or uses
//! the [`Receiver`] builder methods. Handlers stay in the host language: route `i` of
//! [`routes`](ReceiverConfig::routes) names handler `i`, and the `unhandled` handler (if any) is
//! the last index, `routes.len()`.
//!
//! Keys are snake_case; the camelCase spellings JS users write (`unhandledStatus`, `syncHeader`,
//! `basePath`, `leaseSeconds`, …) are accepted as aliases, and so are the Python keyword names of
//! earlier releases (`lease`, `retention`, `allow_sync_header`).
//!
//! ```
//! use hookverify::{MemoryStore, ReceiverConfig};
//!
//! let config = ReceiverConfig::from_json(r#"{
//!     "providers": [{"verifier": {"scheme": "github", "secret": "s"}}],
//!     "routes": [{"pattern": "push", "path": "git/push"}, {"pattern": "*"}],
//!     "mode": "sync",
//!     "syncHeader": "flex-sync-webhook",
//!     "base_path": "/flexdeploy/webhooks/v2"
//! }"#)?;
//! let receiver = config.build(Box::new(MemoryStore::default()))?;
//! assert_eq!(receiver.providers()[0].name(), "github", "the name defaults to the scheme's");
//! # Ok::<(), hookverify::Error>(())
//! ```

use std::time::Duration;

use serde::Deserialize;

use crate::dedup::Store;
use crate::error::{Error, ErrorCode, Result};
use crate::receiver::{Matcher, Mode, Provider, Receiver, Scope};
use crate::verify::{Verifier, VerifierOptions};

pub use crate::dedup::{DEFAULT_LEASE, DEFAULT_RETENTION};
pub use crate::verify::DEFAULT_MAX_BODY_BYTES;

/// Why a `postgres://` inbox cannot be opened by this build.
pub const POSTGRES_NOT_BUILT: &str =
    "`inbox` is a postgres:// URL, but this build has no PostgreSQL inbox backend: use an SQLite file path (inbox = \"inbox.db\")";

/// The request header that switches one delivery to sync mode, unless configured otherwise.
pub const DEFAULT_SYNC_HEADER: &str = "Hookverify-Sync";
/// The value the sync header must have (compared ASCII case-insensitively).
pub const DEFAULT_SYNC_VALUE: &str = "true";
/// The answer to an event type no handler takes, in async mode: 202 (accepted, nothing to run).
pub const DEFAULT_UNHANDLED_STATUS_ASYNC: u16 = 202;
/// The answer to an event type no handler takes, in sync mode: 200, an acknowledgement (senders'
/// setup and test events must not be retried).
pub const DEFAULT_UNHANDLED_STATUS_SYNC: u16 = 200;
/// The base path routes are relative to: the root (every path).
pub const DEFAULT_BASE_PATH: &str = "/";

/// Every receiver option. See the [module docs](self) for how bindings use it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReceiverConfig {
    /// The senders, in match order: the first whose match rule holds takes the request (in TOML,
    /// one `[[provider]]` table each).
    #[serde(alias = "provider")]
    pub providers: Vec<ProviderConfig>,
    /// Handler routes (handler `i` is route `i`).
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Whether a last handler takes event types no route takes (index `routes.len()`).
    #[serde(default)]
    pub unhandled: bool,
    /// `"async"` (default: 202 before the handlers run) or `"sync"` (handlers first).
    #[serde(default)]
    pub mode: ModeConfig,
    /// The header that switches one request to sync mode: a name (value [`DEFAULT_SYNC_VALUE`]),
    /// `{name, value}`, or `false` to disable it. Default [`DEFAULT_SYNC_HEADER`].
    #[serde(default, alias = "syncHeader")]
    pub sync_header: Option<SyncHeaderConfig>,
    /// `false` disables the sync header (the older spelling of `sync_header: false`).
    #[serde(default, alias = "allowSyncHeader")]
    pub allow_sync_header: Option<bool>,
    /// Routes' paths are relative to this; a request outside it is 404. Default [`DEFAULT_BASE_PATH`].
    #[serde(default, alias = "basePath")]
    pub base_path: Option<String>,
    /// The status for an event type no handler takes, in both modes (default
    /// [`DEFAULT_UNHANDLED_STATUS_ASYNC`] / [`DEFAULT_UNHANDLED_STATUS_SYNC`]).
    #[serde(default, alias = "unhandledStatus")]
    pub unhandled_status: Option<u16>,
    /// Claim lease in seconds (default [`DEFAULT_LEASE`]).
    #[serde(default, alias = "leaseSeconds", alias = "lease")]
    pub lease_seconds: Option<f64>,
    /// Done-marker retention in seconds (default [`DEFAULT_RETENTION`]).
    #[serde(default, alias = "retentionSeconds", alias = "retention")]
    pub retention_seconds: Option<f64>,
    /// Dedup namespace, when several receivers share one store (default none).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Body cap in bytes for every provider that sets none itself (default [`DEFAULT_MAX_BODY_BYTES`]).
    #[serde(default, alias = "maxBodyBytes")]
    pub max_body_bytes: Option<usize>,
    /// The inbox (durable async mode, issue 21): an SQLite file path (`inbox.db`) or a
    /// `postgres://` URL. Every delivery is then recorded, and accepted async events are
    /// committed there before the 202 and handled from it with retries ([`retry`](ReceiverConfig::retry)).
    /// Read by [`ReceiverConfig::inbox_location`]; `hookverify serve` resolves a relative path
    /// against the configuration file's directory.
    #[serde(default)]
    pub inbox: Option<String>,
    /// How an event handled from the inbox is retried (`[retry]` in TOML).
    #[serde(default)]
    pub retry: Option<RetryConfig>,
}

/// `[retry]`: how a failed event handled from the inbox is tried again.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts in all, the first included (default 5: `inbox::DEFAULT_MAX_ATTEMPTS`).
    #[serde(default, alias = "maxAttempts")]
    pub max_attempts: Option<u32>,
    /// Seconds before the second attempt, doubling after each failure (default 1).
    #[serde(default, alias = "initialBackoffSeconds")]
    pub initial_backoff_seconds: Option<f64>,
    /// The longest wait between two attempts, in seconds (default 3600).
    #[serde(default, alias = "maxBackoffSeconds")]
    pub max_backoff_seconds: Option<f64>,
}

/// Where [`ReceiverConfig::inbox`] points.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboxLocation {
    /// An SQLite file.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL server (`postgres://` or `postgresql://` URL).
    Postgres(String),
}

impl InboxLocation {
    /// Where `inbox` (the [`ReceiverConfig::inbox`] value: a file path or a `postgres://` URL)
    /// points; a relative file path is taken relative to `base_dir`. An empty value is
    /// `invalid_argument`.
    pub fn parse(inbox: &str, base_dir: &std::path::Path) -> Result<InboxLocation> {
        if inbox.trim().is_empty() {
            return Err(invalid("`inbox` must be a file path or a postgres:// URL"));
        }
        if inbox.starts_with("postgres://") || inbox.starts_with("postgresql://") {
            return Ok(InboxLocation::Postgres(inbox.to_owned()));
        }
        Ok(InboxLocation::Sqlite(base_dir.join(inbox)))
    }

    /// The inbox here, opened (an SQLite file is created when missing; a PostgreSQL database gets
    /// its schema). A backend whose feature (`inbox-sqlite`, `inbox-postgres`) is not in this
    /// build is `invalid_argument`.
    #[cfg(feature = "inbox")]
    pub fn open(&self) -> Result<std::sync::Arc<dyn crate::inbox::Inbox>> {
        match self {
            #[cfg(feature = "inbox-sqlite")]
            InboxLocation::Sqlite(path) => Ok(std::sync::Arc::new(crate::inbox::SqliteInbox::open(path)?)),
            #[cfg(not(feature = "inbox-sqlite"))]
            InboxLocation::Sqlite(_) => Err(invalid("an SQLite inbox needs hookverify's `inbox-sqlite` feature")),
            #[cfg(feature = "inbox-postgres")]
            InboxLocation::Postgres(url) => {
                Ok(std::sync::Arc::new(crate::inbox::PostgresInbox::connect(url, crate::inbox::InboxOptions::default())?))
            }
            #[cfg(not(feature = "inbox-postgres"))]
            InboxLocation::Postgres(_) => Err(invalid(POSTGRES_NOT_BUILT)),
        }
    }

    /// [`open`](InboxLocation::open) for reading a log (`hookverify inbox`, the Node and Python
    /// `Inbox`): never creates one — a missing SQLite file is `inbox_unavailable`, not an empty log.
    #[cfg(feature = "inbox")]
    pub fn open_existing(&self) -> Result<std::sync::Arc<dyn crate::inbox::Inbox>> {
        if let InboxLocation::Sqlite(file) = self {
            if !file.exists() {
                return Err(Error::InboxUnavailable { reason: format!("no inbox at {} (serve creates it)", file.display()) });
            }
        }
        self.open()
    }
}

/// One sender on the endpoint: `{name, match, verifier: {scheme, secret, …}}`, or the same with
/// the verifier options inline, `{name, match, scheme, secret, …}` (what JS users write).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderConfig {
    /// The provider's name (routes, logs, metrics and dedup keys use it). Default: the preset's
    /// name as written (an alias stays itself: `clerk`, not `standard`; see
    /// [`Scheme::label`](crate::Scheme::label)) or a custom spec's `name` — the one rule every
    /// binding follows.
    pub name: Option<String>,
    /// Its verifier (scheme, secrets, window, body cap). A binding that builds verifiers itself
    /// (Python's `Verifier` objects) leaves it out and passes them to [`ReceiverConfig::build_with`].
    pub verifier: Option<VerifierOptions>,
    /// How its requests are recognised (default: its signature header is present).
    pub matcher: MatchRule,
    /// `verify_tokens` (or `verifyTokens`): what a `meta_subscribe` handshake's
    /// `hub.verify_token` must equal (default none: such a handshake is refused).
    pub verify_tokens: Vec<crate::secret::Secret>,
}

impl<'de> Deserialize<'de> for ProviderConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)
            .map_err(|_| D::Error::custom("a provider must be an object like {name, scheme, secret}"))?;
        let name = match map.remove("name") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(_) => return Err(D::Error::custom("name: invalid type, expected a string")),
        };
        let matcher = match map.remove("match") {
            None | Some(serde_json::Value::Null) => MatchRule::default(),
            Some(m) => MatchRule::deserialize(m).map_err(|_| D::Error::custom(MATCH_PROBLEM))?,
        };
        let verify_tokens = match map.remove("verify_tokens").or_else(|| map.remove("verifyTokens")) {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(v) => {
                let tokens: Vec<String> =
                    serde_json::from_value(v).map_err(|_| D::Error::custom("verify_tokens: invalid type, expected a list of strings"))?;
                tokens
                    .iter()
                    .map(|t| crate::secret::Secret::from_utf8(t))
                    .collect::<Result<Vec<_>>>()
                    .map_err(|_| D::Error::custom("verify_tokens: a token is empty or only whitespace"))?
            }
        };
        let verifier = match map.remove("verifier") {
            Some(_) if !map.is_empty() => {
                return Err(D::Error::custom("give the verifier options either inline or as verifier, not both"));
            }
            Some(v) => Some(crate::options::from_value(v).map_err(|e| D::Error::custom(format!("verifier.{e}")))?),
            None if map.is_empty() => None,
            None => Some(crate::options::from_value(serde_json::Value::Object(map)).map_err(D::Error::custom)?),
        };
        Ok(ProviderConfig { name, verifier, matcher, verify_tokens })
    }
}

const MATCH_PROBLEM: &str = "match: must be signature, always, {header} or {header, equals}";

/// A provider's match rule: `"signature"` (default), `"always"` (or `"*"`), `{"header": name}`
/// (present), `{"header": name, "equals": value}` or `[name, value]` (equal).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchRule(pub Matcher);

impl<'de> Deserialize<'de> for MatchRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Header {
            header: String,
            #[serde(default)]
            equals: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Pair(String, String),
            Header(Header),
        }
        let problem = MATCH_PROBLEM;
        let raw = Raw::deserialize(d).map_err(|_| serde::de::Error::custom(problem))?;
        Ok(MatchRule(match raw {
            Raw::Word(w) if w == "signature" => Matcher::SignatureHeader,
            Raw::Word(w) if w == "always" || w == "*" => Matcher::Always,
            Raw::Word(_) => return Err(serde::de::Error::custom(problem)),
            Raw::Pair(h, v) | Raw::Header(Header { header: h, equals: Some(v) }) => Matcher::HeaderEquals(h, v),
            Raw::Header(Header { header, equals: None }) => Matcher::HeaderPresent(header),
        }))
    }
}

/// One handler route: an event-type pattern, optionally limited to a provider and a path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RouteConfig {
    /// `user.created`, `user.*`, or `*` (a fallback: see [`crate::dispatch`]).
    #[serde(alias = "type")]
    pub pattern: String,
    /// Only this provider's events.
    #[serde(default)]
    pub provider: Option<String>,
    /// Only requests to this path, relative to the base path (query ignored; leading and trailing
    /// `/` do not matter).
    #[serde(default)]
    pub path: Option<String>,
}

/// `"async"` or `"sync"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ModeConfig {
    /// See [`Mode::Async`].
    #[default]
    Async,
    /// See [`Mode::Sync`].
    Sync,
}

/// The sync header: a name, `{name, value}`, or `false` (disabled).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncHeaderConfig {
    /// This header with this value switches a request to sync mode.
    Header {
        /// Header name.
        name: String,
        /// Value (ASCII case-insensitive).
        value: String,
    },
    /// No header switches the mode.
    Disabled,
}

impl<'de> Deserialize<'de> for SyncHeaderConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Named {
            name: String,
            #[serde(default)]
            value: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Name(String),
            Named(Named),
        }
        let problem = "sync_header must be a header name, {name, value} or false";
        Ok(match Raw::deserialize(d).map_err(|_| serde::de::Error::custom(problem))? {
            Raw::Flag(false) => SyncHeaderConfig::Disabled,
            Raw::Flag(true) => SyncHeaderConfig::Header { name: DEFAULT_SYNC_HEADER.into(), value: DEFAULT_SYNC_VALUE.into() },
            Raw::Name(name) | Raw::Named(Named { name, value: None }) => {
                SyncHeaderConfig::Header { name, value: DEFAULT_SYNC_VALUE.into() }
            }
            Raw::Named(Named { name, value: Some(value) }) => SyncHeaderConfig::Header { name, value },
        })
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidArgument { reason: format!("receiver options: {}", reason.into()) }
}

fn seconds(s: Option<f64>, default: Duration, what: &str) -> Result<Duration> {
    match s.map(Duration::try_from_secs_f64) {
        None => Ok(default),
        Some(Ok(d)) if !d.is_zero() => Ok(d),
        Some(_) => Err(invalid(format!("`{what}` must be a positive number of seconds"))),
    }
}

/// The key of provider `i`'s options that its verifier error `e` is about.
fn verifier_key(i: usize, p: &ProviderConfig, e: &Error) -> String {
    let reason = e.to_string();
    let key = match e.code() {
        ErrorCode::UnknownScheme | ErrorCode::InvalidScheme => "scheme",
        ErrorCode::InvalidSecret if p.verifier.as_ref().is_some_and(|v| v.secret.is_some()) => "secret",
        ErrorCode::InvalidSecret => "secrets",
        _ if p.verifier.is_none() => "scheme",
        _ if reason.contains("max_event_age") => "max_event_age",
        _ if reason.contains("tolerance") => "tolerance_seconds",
        _ if reason.contains("not both") => "secret",
        _ => return format!("providers[{i}]"),
    };
    format!("providers[{i}].{key}")
}

/// The retry policy's numbers: (max attempts, initial backoff, max backoff).
type RetryNumbers = (Option<u32>, Option<Duration>, Option<Duration>);

/// The retry policy's numbers, checked; an error with the key it is about.
fn retry_numbers(retry: Option<&RetryConfig>) -> std::result::Result<RetryNumbers, (&'static str, Error)> {
    let Some(r) = retry else { return Ok((None, None, None)) };
    if r.max_attempts == Some(0) {
        return Err(("retry.max_attempts", invalid("`retry.max_attempts` must be at least 1")));
    }
    let secs = |v: Option<f64>, key: &'static str| match v.map(Duration::try_from_secs_f64) {
        None => Ok(None),
        Some(Ok(d)) if !d.is_zero() => Ok(Some(d)),
        Some(_) => Err((key, invalid(format!("`{key}` must be a positive number of seconds")))),
    };
    Ok((
        r.max_attempts,
        secs(r.initial_backoff_seconds, "retry.initial_backoff_seconds")?,
        secs(r.max_backoff_seconds, "retry.max_backoff_seconds")?,
    ))
}

impl ReceiverConfig {
    /// Where the [`inbox`](ReceiverConfig::inbox) is: `None` without one; a relative file path is
    /// taken relative to `base_dir`. An empty value is `invalid_argument`.
    pub fn inbox_location(&self, base_dir: &std::path::Path) -> Result<Option<InboxLocation>> {
        self.inbox.as_deref().map(|inbox| InboxLocation::parse(inbox, base_dir)).transpose()
    }

    /// The inbox at [`inbox_location`](ReceiverConfig::inbox_location) (relative paths against
    /// `base_dir`), opened (an SQLite file is created when missing; a PostgreSQL database gets its
    /// schema); `None` without one. A backend whose feature (`inbox-sqlite`, `inbox-postgres`) is
    /// not in this build is `invalid_argument`.
    #[cfg(feature = "inbox")]
    pub fn open_inbox(&self, base_dir: &std::path::Path) -> Result<Option<std::sync::Arc<dyn crate::inbox::Inbox>>> {
        self.inbox_location(base_dir)?.map(|location| location.open()).transpose()
    }

    /// How events are handled from the inbox: the [`retry`](ReceiverConfig::retry) policy (its
    /// defaults: `inbox::DEFAULT_MAX_ATTEMPTS`, `DEFAULT_INITIAL_BACKOFF`, `DEFAULT_MAX_BACKOFF`),
    /// the lease `lease_seconds` (else the default claim lease).
    #[cfg(feature = "inbox")]
    pub fn durable(&self) -> Result<crate::inbox::Durable> {
        let (max, initial, max_backoff) = retry_numbers(self.retry.as_ref()).map_err(|(_, e)| e)?;
        let mut retry = crate::inbox::Retry::default();
        retry.max_attempts = max.unwrap_or(retry.max_attempts);
        retry.initial_backoff = initial.unwrap_or(retry.initial_backoff);
        retry.max_backoff = max_backoff.unwrap_or(retry.max_backoff);
        let lease = seconds(self.lease_seconds, DEFAULT_LEASE, "lease_seconds")?;
        Ok(crate::inbox::Durable::new(retry).lease(lease))
    }

    /// Parses the options from JSON text (errors name the key, never quote a value).
    pub fn from_json(json: &str) -> Result<ReceiverConfig> {
        crate::options::from_json("receiver", json)
    }

    /// The receiver these options describe, on `store`; route `i`'s handler is `i`, the
    /// unhandled handler `routes.len()`. Every provider needs its `verifier` options.
    pub fn build(&self, store: Box<dyn Store>) -> Result<Receiver<usize>> {
        self.no_inbox()?;
        self.build_keyed(store, |i, p| self.own_verifier(i, p)).map_err(|(_, e)| e)
    }

    /// [`build`](ReceiverConfig::build) for a front end that runs the inbox itself (the axum
    /// `Webhooks::from_config`, `hookverify serve`).
    #[cfg(feature = "axum")]
    pub(crate) fn build_with_inbox(&self, store: Box<dyn Store>) -> Result<Receiver<usize>> {
        self.build_keyed(store, |i, p| self.own_verifier(i, p)).map_err(|(_, e)| e)
    }

    /// `inbox` and `retry` are refused by the receivers that do not run an inbox (the Node, wasm
    /// and Python ones), rather than accepted and ignored.
    fn no_inbox(&self) -> Result<()> {
        for (key, set) in [("inbox", self.inbox.is_some()), ("retry", self.retry.is_some())] {
            if set {
                return Err(invalid(format!(
                    "`{key}`: the durable inbox runs in `hookverify serve` and the Rust axum receiver \
                     (`Webhooks::from_config`); this receiver has none"
                )));
            }
        }
        Ok(())
    }

    /// Provider `i`'s verifier, from its own `verifier` options.
    fn own_verifier(&self, i: usize, p: &ProviderConfig) -> Result<Verifier> {
        match &p.verifier {
            Some(options) => self.verifier(options),
            None => Err(invalid(format!("`providers[{i}]` needs `verifier` options (scheme, secret)"))),
        }
    }

    /// [`build`](ReceiverConfig::build) with each provider's verifier made by `verifier(index,
    /// provider)` (bindings that hold verifier objects of their own).
    pub fn build_with(
        &self,
        store: Box<dyn Store>,
        verifier: impl FnMut(usize, &ProviderConfig) -> Result<Verifier>,
    ) -> Result<Receiver<usize>> {
        self.no_inbox()?;
        self.build_keyed(store, verifier).map_err(|(_, e)| e)
    }

    /// [`build_with`](ReceiverConfig::build_with), its error paired with the key path it is about
    /// (`base_path`, `providers[1].name`, `providers[0].scheme`), so a file can name its line.
    fn build_keyed(
        &self,
        store: Box<dyn Store>,
        mut verifier: impl FnMut(usize, &ProviderConfig) -> Result<Verifier>,
    ) -> std::result::Result<Receiver<usize>, (String, Error)> {
        fn at(key: &'static str) -> impl Fn(Error) -> (String, Error) {
            move |e| (key.to_owned(), e)
        }
        let mut providers = Vec::with_capacity(self.providers.len());
        for (i, p) in self.providers.iter().enumerate() {
            let v = verifier(i, p).map_err(|e| (verifier_key(i, p, &e), e))?;
            let key = format!("providers[{i}].name");
            let name = match &p.name {
                Some(name) if name.is_empty() => return Err((key, invalid(format!("`providers[{i}].name` must not be empty")))),
                Some(name) => name.clone(),
                None => v.scheme().label().to_owned(),
            };
            if providers.iter().any(|q: &Provider| q.name() == name) {
                return Err((key, invalid(format!("two providers are named {name:?}; give each a distinct `name`"))));
            }
            providers.push(Provider::new(&name, v).matching(p.matcher.0.clone()).verify_tokens(p.verify_tokens.clone()));
        }
        let mut r = Receiver::new(providers, store).map_err(at("providers"))?;
        for (i, route) in self.routes.iter().enumerate() {
            r.on_scoped(&route.pattern, Scope { provider: route.provider.clone(), path: route.path.clone() }, i);
        }
        if self.unhandled {
            r.unhandled(self.routes.len());
        }
        r.mode(match self.mode {
            ModeConfig::Async => Mode::Async,
            ModeConfig::Sync => Mode::Sync,
        });
        match (&self.sync_header, self.allow_sync_header) {
            (_, Some(false)) | (Some(SyncHeaderConfig::Disabled), _) => {
                r.allow_sync_header(false);
            }
            (Some(SyncHeaderConfig::Header { name, value }), _) => {
                r.sync_header(name, value);
            }
            (None, _) => {}
        }
        if let Some(base) = &self.base_path {
            if !base.starts_with('/') {
                return Err(("base_path".into(), invalid("`base_path` must start with '/'")));
            }
            r.base_path(base);
        }
        r.lease_and_retention(
            seconds(self.lease_seconds, DEFAULT_LEASE, "lease_seconds").map_err(at("lease_seconds"))?,
            seconds(self.retention_seconds, DEFAULT_RETENTION, "retention_seconds").map_err(at("retention_seconds"))?,
        );
        if let Some(status) = self.unhandled_status {
            if !(100..=599).contains(&status) {
                return Err(("unhandled_status".into(), invalid("`unhandled_status` must be an HTTP status (100-599)")));
            }
            r.unhandled_status(status);
        }
        if let Some(ns) = &self.namespace {
            r.namespace(ns);
        }
        retry_numbers(self.retry.as_ref()).map_err(|(key, e)| (key.to_owned(), e))?;
        if let Some(inbox) = &self.inbox {
            InboxLocation::parse(inbox, std::path::Path::new(".")).map_err(|e| ("inbox".to_owned(), e))?;
        }
        Ok(r)
    }

    /// A provider's verifier, with the receiver's body cap when it sets none.
    fn verifier(&self, options: &VerifierOptions) -> Result<Verifier> {
        match (self.max_body_bytes, options.max_body_bytes) {
            (Some(cap), None) => {
                let mut options = options.clone();
                options.max_body_bytes = Some(cap);
                options.build()
            }
            _ => options.build(),
        }
    }
}

#[cfg(feature = "toml")]
pub use toml_file::{ConfigError, TomlConfig};

/// Receiver options from a TOML file (feature `toml`), with errors that name the line, column and
/// key path and never quote the value written there.
#[cfg(feature = "toml")]
mod toml_file {
    use std::fmt;
    use std::ops::Range;

    use serde::de::DeserializeOwned;
    use toml::de::{DeTable, DeValue};

    use super::ReceiverConfig;
    use crate::dedup::Store;
    use crate::error::{Error, ErrorCode};
    use crate::receiver::Receiver;

    /// A problem in a configuration file: where it is (1-based line and column, the key path as
    /// the file writes it, e.g. `provider[1].max_event_age`) and what it is. Never the value.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub struct ConfigError {
        /// 1-based line of the key (or of the syntax error).
        pub line: usize,
        /// 1-based column, in characters.
        pub column: usize,
        /// The key path (`mode`, `provider[0].scheme`); empty when no key can be named.
        pub key: String,
        /// What is wrong, without the value.
        pub problem: String,
    }

    impl ConfigError {
        /// The stable error code: always [`ErrorCode::InvalidArgument`].
        pub fn code(&self) -> ErrorCode {
            ErrorCode::InvalidArgument
        }
    }

    impl fmt::Display for ConfigError {
        /// `line:column: key: problem` (a caller prefixes the file name).
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.key.as_str() {
                "" => write!(f, "{}:{}: {}", self.line, self.column, self.problem),
                key => write!(f, "{}:{}: {key}: {}", self.line, self.column, self.problem),
            }
        }
    }

    impl std::error::Error for ConfigError {}

    impl From<ConfigError> for Error {
        fn from(e: ConfigError) -> Error {
            Error::InvalidArgument { reason: format!("receiver options: line {e}") }
        }
    }

    /// A TOML configuration file's text (what `hookverify serve --config` reads): the receiver's
    /// options ([`receiver`](TomlConfig::receiver)), the host program's own keys
    /// ([`deserialize`](TomlConfig::deserialize)), and every problem located at its key
    /// ([`error_at`](TomlConfig::error_at), [`build`](TomlConfig::build)).
    ///
    /// ```
    /// use hookverify::{MemoryStore, TomlConfig};
    ///
    /// let text = "listen = \"127.0.0.1:8787\"\nmode = \"sync\"\n\n[[provider]]\nscheme = \"github\"\nsecrets_env = \"GH\"\n";
    /// let file = TomlConfig::new(text);
    /// // `listen` and `provider.secrets_env` are the host's keys, skipped here.
    /// let mut config = file.receiver(&["listen", "provider.secrets_env"])?;
    /// config.providers[0].verifier.as_mut().unwrap().secrets = vec!["from the environment".into()];
    /// file.build(&config, Box::new(MemoryStore::default()))?;
    ///
    /// let err = TomlConfig::new("mode = \"fast\"\n").receiver(&[]).unwrap_err();
    /// assert_eq!((err.line, err.column, err.key.as_str()), (1, 1, "mode"));
    /// assert_eq!(err.to_string(), "1:1: mode: unknown variant, expected `async` or `sync`");
    /// # Ok::<(), hookverify::ConfigError>(())
    /// ```
    #[derive(Debug, Clone, Copy)]
    pub struct TomlConfig<'a> {
        text: &'a str,
    }

    impl ReceiverConfig {
        /// Parses the options from TOML text: the keys of [`ReceiverConfig`], the providers as
        /// `[[provider]]` tables. See [`TomlConfig`] for a file that holds other keys too.
        pub fn from_toml(text: &str) -> Result<ReceiverConfig, ConfigError> {
            TomlConfig::new(text).receiver(&[])
        }
    }

    impl super::InboxLocation {
        /// The inbox a receiver's configuration file names (`inbox = "inbox.db"` or a
        /// `postgres://` URL; a relative path is taken relative to the file's directory): how
        /// `hookverify inbox --config FILE` and the Node and Python `openInbox({ config })` /
        /// `open_inbox(config=...)` find what `hookverify serve --config FILE` writes. Only the
        /// `inbox` key is read: the rest of the file is the daemon's to check (`serve --check`).
        /// A file that cannot be read or parsed, or that names no inbox, is `invalid_argument`
        /// with the file's name and, for a problem in it, its line and column.
        pub fn of_config_file(path: &std::path::Path) -> Result<super::InboxLocation, Error> {
            #[derive(serde::Deserialize)]
            struct InboxKey {
                inbox: Option<String>,
            }
            let name = path.display();
            let bad = |reason: String| Error::InvalidArgument { reason };
            let text = std::fs::read_to_string(path).map_err(|e| bad(format!("{name}: cannot read: {e}")))?;
            let file = TomlConfig::new(&text);
            let key: InboxKey = file.deserialize(&[]).map_err(|e| bad(format!("{name}:{e}")))?;
            let Some(inbox) = key.inbox else {
                return Err(bad(format!("{name}: no inbox: set inbox = \"inbox.db\"")));
            };
            // Refused as `serve --check` refuses it, located in the file.
            super::InboxLocation::parse(&inbox, &TomlConfig::dir_of(path)).map_err(|e| bad(format!("{name}:{}", file.located("inbox", e))))
        }
    }

    impl<'a> TomlConfig<'a> {
        /// The file's text.
        pub fn new(text: &'a str) -> TomlConfig<'a> {
            TomlConfig { text }
        }

        /// The receiver's options: every key of the file except `host_keys`, the keys the program
        /// reading the file handles itself (`listen`, or `provider.secrets_file` for that key of
        /// every provider). Any other key the receiver does not know is an error.
        pub fn receiver(&self, host_keys: &[&str]) -> Result<ReceiverConfig, ConfigError> {
            self.deserialize(host_keys).map_err(|mut e| {
                if e.problem.starts_with("unknown field") && !host_keys.is_empty() {
                    let own = host_keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                    e.problem = format!("{}, or one the program reads itself: {own}", e.problem);
                }
                e
            })
        }

        /// Deserializes `T` from the file without the `skip` keys (paths as in
        /// [`receiver`](TomlConfig::receiver)); a host reads its own keys with it (a `T` that
        /// ignores unknown fields leaves the receiver's keys to [`receiver`](TomlConfig::receiver)).
        pub fn deserialize<T: DeserializeOwned>(&self, skip: &[&str]) -> Result<T, ConfigError> {
            let mut root = DeTable::parse(self.text).map_err(|e| self.syntax_error(&e))?;
            for key in skip {
                remove(root.get_mut(), &key.split('.').collect::<Vec<_>>());
            }
            serde_path_to_error::deserialize(toml::de::Deserializer::from(root)).map_err(|e| {
                let path = e.path().to_string();
                self.data_error(if path == "." { "" } else { &path }, e.inner())
            })
        }

        /// The receiver `config` (read from this file) describes, on `store`, as
        /// [`ReceiverConfig::build`]; a problem is located at the key it is about.
        pub fn build(&self, config: &ReceiverConfig, store: Box<dyn Store>) -> Result<Receiver<usize>, ConfigError> {
            config.build_keyed(store, |i, p| config.own_verifier(i, p)).map_err(|(key, e)| self.located(&key, e))
        }

        /// The core's refusal `e` of the value at `key`, located there: the reason alone (the key
        /// is named already), without "invalid argument: receiver options:".
        pub fn located(&self, key: &str, e: Error) -> ConfigError {
            let problem = match e {
                Error::InvalidArgument { reason } => reason.strip_prefix("receiver options: ").unwrap_or(&reason).to_owned(),
                e => e.to_string(),
            };
            self.error_at(key, problem)
        }

        /// The directory a config file's relative paths (`inbox`, `secrets_file`, ...) are taken
        /// against: the file's own, canonical when it can be resolved.
        pub fn dir_of(path: &std::path::Path) -> std::path::PathBuf {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
        }

        /// `problem`, located at `key` (`function[1].run`; `providers` and `provider` are one
        /// key): at the key as written, or, where the file does not write it, at the nearest
        /// enclosing key or table. `problem` must not quote a value from the file.
        pub fn error_at(&self, key: &str, problem: impl fmt::Display) -> ConfigError {
            let found = self.locate(key);
            self.at(found.span.start, found.written, problem.to_string())
        }

        fn at(&self, offset: usize, key: String, problem: String) -> ConfigError {
            let before = &self.text[..floor_char_boundary(self.text, offset)];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ConfigError { line, column, key, problem }
        }

        /// Where `key` is written: as deep as the file goes.
        fn locate(&self, key: &str) -> Found {
            let (root, _) = DeTable::parse_recoverable(self.text);
            let mut found = Found { span: root.span().start..root.span().start, written: String::new(), complete: true };
            let mut value: Option<&DeValue<'_>> = None;
            let root = root.get_ref();
            let segments = segments(key);
            for (depth, segment) in segments.iter().enumerate() {
                let next = match (segment, value) {
                    (Segment::Key(k), None) => entry(root, k),
                    (Segment::Key(k), Some(DeValue::Table(t))) => entry(t, k),
                    (Segment::Index(i), Some(DeValue::Array(a))) => a.get(*i).map(|v| (v.span(), *segment, v.get_ref())),
                    _ => None,
                };
                let Some((span, written, v)) = next else {
                    // The rest of the path as asked (keys the file does not write).
                    found.complete = false;
                    segments[depth..].iter().for_each(|s| s.write(&mut found.written));
                    break;
                };
                written.write(&mut found.written);
                found.span = span;
                value = Some(v);
            }
            found
        }

        fn syntax_error(&self, e: &toml::de::Error) -> ConfigError {
            let span = e.span().unwrap_or(0..0);
            // The last key that starts before the error (parsed as far as it goes).
            let (root, _) = DeTable::parse_recoverable(self.text);
            let mut best: Option<(usize, String)> = None;
            last_key_before(root.get_ref(), span.start, "", &mut best);
            // toml's syntax messages are fixed texts (`invalid basic string`): no input in them.
            let key = best.map(|(_, k)| k).unwrap_or_default();
            self.at(span.start, key, e.message().trim().to_owned())
        }

        fn data_error(&self, path: &str, e: &toml::de::Error) -> ConfigError {
            let message = e.message().trim();
            let problem = crate::options::data_problem(message);
            // The key the problem is about: an unknown key's name, or the path a provider's
            // options put before their message (`max_event_age: invalid type, …`).
            let (inner, problem) = match (unknown_field(message), message.split_once(": ")) {
                (Some(name), _) => (Some(name), problem),
                (None, Some((p, rest))) if is_path(p) => (Some(p), crate::options::data_problem(rest)),
                _ => (None, problem),
            };
            let key = match inner {
                Some(k) if path.is_empty() => k.to_owned(),
                Some(k) if path == k || path.ends_with(&format!(".{k}")) => path.to_owned(),
                Some(k) => format!("{path}.{k}"),
                None => path.to_owned(),
            };
            let found = self.locate(&key);
            let offset = match e.span() {
                Some(span) if !found.complete => span.start,
                _ => found.span.start,
            };
            self.at(offset, found.written, problem)
        }
    }

    /// A key located in the file.
    struct Found {
        span: Range<usize>,
        written: String,
        complete: bool,
    }

    #[derive(Clone, Copy)]
    enum Segment<'k> {
        Key(&'k str),
        Index(usize),
    }

    impl Segment<'_> {
        /// Appends this segment to a path (`a`, `.b`, `[1]`).
        fn write(&self, path: &mut String) {
            match self {
                Segment::Key(k) if path.is_empty() => path.push_str(k),
                Segment::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
    }

    /// `provider[1].scheme` → `provider`, `[1]`, `scheme` (serde_path_to_error's notation).
    fn segments(key: &str) -> Vec<Segment<'_>> {
        let mut out = Vec::new();
        for part in key.split('.').filter(|p| !p.is_empty()) {
            let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
            if !name.is_empty() {
                out.push(Segment::Key(name));
            }
            while let Some((index, after)) = rest.split_once(']') {
                match index.parse() {
                    Ok(i) => out.push(Segment::Index(i)),
                    Err(_) => return out,
                }
                rest = after.strip_prefix('[').unwrap_or(after);
            }
        }
        out
    }

    fn is_path(p: &str) -> bool {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
    }

    /// The name in `unknown field `name`, expected …` (with or without the backticks).
    fn unknown_field(message: &str) -> Option<&str> {
        let rest = message.strip_prefix("unknown field ")?;
        let name = rest.split([',', ' ']).next()?.trim_matches('`');
        is_path(name).then_some(name)
    }

    /// `table[key]` (or its other spelling): the key's span, the key as written, the value.
    fn entry<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<(Range<usize>, Segment<'t>, &'t DeValue<'i>)> {
        spellings(key).find_map(|k| table.get_key_value(k)).map(|(k, v)| (k.span(), Segment::Key(k.get_ref()), v.get_ref()))
    }

    /// A key and its other spelling: the TOML table `[[provider]]` fills `providers`.
    fn spellings(key: &str) -> impl Iterator<Item = &str> {
        let other = match key {
            "providers" => Some("provider"),
            "provider" => Some("providers"),
            _ => None,
        };
        std::iter::once(key).chain(other)
    }

    /// Removes `path` from `table` (through every element of an array of tables).
    fn remove(table: &mut DeTable<'_>, path: &[&str]) {
        let Some((first, rest)) = path.split_first() else { return };
        for k in spellings(first) {
            if rest.is_empty() {
                table.remove(k);
                continue;
            }
            match table.get_mut(k).map(|v| v.get_mut()) {
                Some(DeValue::Table(t)) => remove(t, rest),
                Some(DeValue::Array(a)) => {
                    for v in a.iter_mut() {
                        if let DeValue::Table(t) = v.get_mut() {
                            remove(t, rest);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The path of the key written last before `offset`.
    fn last_key_before(table: &DeTable<'_>, offset: usize, prefix: &str, best: &mut Option<(usize, String)>) {
        for (k, v) in table.iter() {
            let path = if prefix.is_empty() { k.get_ref().to_string() } else { format!("{prefix}.{}", k.get_ref()) };
            if k.span().start <= offset && best.as_ref().map_or(true, |(start, _)| k.span().start >= *start) {
                *best = Some((k.span().start, path.clone()));
            }
            match v.get_ref() {
                DeValue::Table(t) => last_key_before(t, offset, &path, best),
                DeValue::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        if let DeValue::Table(t) = v.get_ref() {
                            last_key_before(t, offset, &format!("{path}[{i}]"), best);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn floor_char_boundary(text: &str, offset: usize) -> usize {
        let mut i = offset.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn build(json: &str) -> Result<Receiver<usize>> {
        ReceiverConfig::from_json(json)?.build(Box::new(MemoryStore::default()))
    }

    #[test]
    fn receivers_without_an_inbox_refuse_inbox_and_retry() {
        let base = r#""providers":[{"verifier":{"scheme":"github","secret":"s"}}]"#;
        for extra in [r#""inbox":"inbox.db""#, r#""retry":{"max_attempts":3}"#] {
            let r = reason(&format!("{{{base},{extra}}}"));
            assert!(r.contains("durable inbox runs in `hookverify serve`"), "{r}");
        }
        assert!(build(&format!("{{{base}}}")).is_ok());
    }

    fn reason(json: &str) -> String {
        match build(json).unwrap_err() {
            Error::InvalidArgument { reason } => reason,
            other => panic!("{other:?}"),
        }
    }

    const GH: &str = r#"{"verifier":{"scheme":"github","secret":"s"}}"#;

    #[test]
    fn names_default_to_the_scheme_name_preset_or_custom() {
        let custom = r#"{"verifier":{"scheme":{"name":"reflex","signature_header":"X-Reflex-Signature"},"secret":"s"}}"#;
        let r = build(&format!(r#"{{"providers":[{GH},{custom}]}}"#)).unwrap();
        assert_eq!(r.providers().iter().map(|p| p.name()).collect::<Vec<_>>(), ["github", "reflex"]);
        assert!(reason(&format!(r#"{{"providers":[{GH},{GH}]}}"#)).contains("two providers are named \"github\""));
    }

    #[test]
    fn camel_case_and_older_python_spellings_are_accepted() {
        for json in [
            format!(
                r#"{{"providers":[{GH}],"unhandledStatus":204,"leaseSeconds":5,"retentionSeconds":9,"basePath":"/a","syncHeader":"X-S","maxBodyBytes":10}}"#
            ),
            format!(
                r#"{{"providers":[{GH}],"unhandled_status":204,"lease":5,"retention":9,"base_path":"/a","sync_header":{{"name":"X-S"}},"max_body_bytes":10}}"#
            ),
        ] {
            let r = build(&json).unwrap();
            assert_eq!(r.max_body_bytes(), 10);
            assert!(r.header_names().iter().any(|n| n == "X-S"), "{:?}", r.header_names());
        }
    }

    #[test]
    fn match_rules_and_sync_header_forms() {
        let rule =
            |m: &str| ReceiverConfig::from_json(&format!(r#"{{"providers":[{{"match":{m}}}]}}"#)).map(|c| c.providers[0].matcher.0.clone());
        assert_eq!(rule(r#""signature""#).unwrap(), Matcher::SignatureHeader);
        assert_eq!(rule(r#""always""#).unwrap(), Matcher::Always);
        assert_eq!(rule(r#""*""#).unwrap(), Matcher::Always);
        assert_eq!(rule(r#"{"header":"X-A"}"#).unwrap(), Matcher::HeaderPresent("X-A".into()));
        assert_eq!(rule(r#"{"header":"X-A","equals":"b"}"#).unwrap(), Matcher::HeaderEquals("X-A".into(), "b".into()));
        assert_eq!(rule(r#"["X-A","b"]"#).unwrap(), Matcher::HeaderEquals("X-A".into(), "b".into()));
        let err = rule(r#""CANARY""#).unwrap_err().to_string();
        assert!(err.contains("`providers[0]`: match: must be") && !err.contains("CANARY"), "{err}");
        let r = build(&format!(r#"{{"providers":[{GH}],"sync_header":false}}"#)).unwrap();
        assert!(!r.header_names().iter().any(|n| n.eq_ignore_ascii_case(DEFAULT_SYNC_HEADER)));
        let r = build(&format!(r#"{{"providers":[{GH}],"allowSyncHeader":false}}"#)).unwrap();
        assert!(!r.header_names().iter().any(|n| n.eq_ignore_ascii_case(DEFAULT_SYNC_HEADER)));
    }

    #[test]
    fn verifier_options_inline_or_nested() {
        let inline = r#"{"providers":[{"scheme":"stripe","secrets":["whsec_a"],"toleranceSeconds":60,"match":"always"}]}"#;
        let r = build(inline).unwrap();
        assert_eq!((r.providers()[0].name(), r.providers()[0].verifier().tolerance_seconds()), ("stripe", Some(60)));
        let r = reason(r#"{"providers":[{"scheme":"stripe","secrets":"CANARY"}]}"#);
        assert_eq!(r, "receiver options: `providers[0]`: secrets: invalid type, expected a sequence");
        let r = reason(r#"{"providers":[{"scheme":"stripe","secret":"CANARY","secert":"CANARY"}]}"#);
        assert!(r.contains("unknown field secert") && !r.contains("CANARY"), "{r}");
        let r = reason(r#"{"providers":[{"verifier":{"scheme":"stripe","secret":7}}]}"#);
        assert_eq!(r, "receiver options: `providers[0]`: verifier.secret: invalid type, expected a string");
        assert!(reason(r#"{"providers":[{"verifier":{"scheme":"stripe"},"secret":"x"}]}"#).contains("not both"));
    }

    #[test]
    fn bad_values_are_typed_errors_without_the_value() {
        assert!(reason(&format!(r#"{{"providers":[{GH}],"unhandledStatus":99}}"#)).contains("unhandled_status"));
        assert!(reason(&format!(r#"{{"providers":[{GH}],"lease":0}}"#)).contains("lease_seconds"));
        assert!(reason(&format!(r#"{{"providers":[{GH}],"base_path":"CANARY"}}"#)).contains("base_path"));
        assert!(reason(r#"{"providers":[]}"#).contains("at least one provider"));
        assert!(reason(r#"{"providers":[{}]}"#).contains("needs `verifier`"));
        let r = reason(&format!(r#"{{"providers":[{GH}],"mode":"CANARY"}}"#));
        assert!(r.contains("`mode`: unknown variant") && !r.contains("CANARY"), "{r}");
        assert!(reason(&format!(r#"{{"providers":[{GH}],"oops":1}}"#)).contains("unknown field `oops`"));
    }
}

#[cfg(all(test, feature = "toml"))]
mod toml_tests {
    use super::*;
    use crate::MemoryStore;

    /// The issue's serve example without its comments and functions; `listen`, `store` and the
    /// secret sources are the host's keys.
    const FILE: &str = r#"listen = "127.0.0.1:8787"
base_path = "/flexdeploy/webhooks/v2"
mode = "async"
sync_header = "flex-sync-webhook"
store = "memory"

[[provider]]
name = "github"
scheme = "github"
secrets_file = "github.secrets"

[[provider]]
name = "reflex"
scheme = { name = "reflex", signature_header = "X-Reflex-Signature" }
secrets_env = "REFLEX_SECRETS"
max_event_age = 300
"#;
    const HOST: &[&str] = &["listen", "store", "provider.secrets_file", "provider.secrets_env"];

    fn error(text: &str) -> ConfigError {
        let file = TomlConfig::new(text);
        let result = file.receiver(HOST).and_then(|mut c| {
            for p in &mut c.providers {
                p.verifier.as_mut().unwrap().secrets = vec!["s3cret".into()];
            }
            file.build(&c, Box::new(MemoryStore::default()))
        });
        let Err(err) = result else { panic!("no error") };
        assert!(!err.to_string().contains("CANARY"), "a value was quoted: {err}");
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        err
    }

    fn place(err: &ConfigError) -> (usize, usize, &str) {
        (err.line, err.column, err.key.as_str())
    }

    #[test]
    fn the_serve_example_deserializes_into_the_core_types() {
        let c = TomlConfig::new(FILE).receiver(HOST).unwrap();
        assert_eq!(c.base_path.as_deref(), Some("/flexdeploy/webhooks/v2"));
        assert_eq!(c.sync_header, Some(SyncHeaderConfig::Header { name: "flex-sync-webhook".into(), value: "true".into() }));
        assert_eq!(c.providers.len(), 2);
        assert_eq!(c.providers[1].name.as_deref(), Some("reflex"));
        assert_eq!(c.providers[1].verifier.as_ref().unwrap().max_event_age, Some(300));
        // Without naming the host's keys, they are unknown to the receiver.
        let err = ReceiverConfig::from_toml(FILE).unwrap_err();
        assert_eq!(place(&err), (1, 1, "listen"), "{err}");
        assert!(err.problem.starts_with("unknown field `listen`, expected one of"), "{err}");
    }

    #[test]
    fn errors_name_line_column_and_key_never_the_value() {
        let e = error(&FILE.replace(r#"mode = "async""#, r#"mode = "CANARY""#));
        assert_eq!(place(&e), (3, 1, "mode"));
        assert_eq!(e.problem, "unknown variant, expected `async` or `sync`");
        assert_eq!(place(&error(&FILE.replace(r#"mode = "async""#, "mode = 5"))), (3, 1, "mode"));
        let e = error(&FILE.replace("max_event_age = 300", "max_event_agee = 300"));
        assert_eq!(place(&e), (16, 1, "provider[1].max_event_agee"), "{e}");
        assert!(e.problem.ends_with("or one the program reads itself: `listen`, `store`, `provider.secrets_file`, `provider.secrets_env`"));
        let e = error(&FILE.replace("max_event_age = 300", r#"max_event_age = "CANARY""#));
        assert_eq!((place(&e), e.problem.as_str()), ((16, 1, "provider[1].max_event_age"), "invalid type, expected u64"));
        let e = error(&FILE.replace("max_event_age = 300", r#"secrets = "CANARY""#));
        assert_eq!(place(&e), (16, 1, "provider[1].secrets"), "{e}");
        let e = error(&FILE.replace(r#"scheme = "github""#, r#"scheme = 1"#));
        assert_eq!(place(&e), (9, 1, "provider[0].scheme"), "{e}");
        let e = error(&FILE.replace(r#"name = "github""#, r#"name = ["CANARY"]"#));
        assert_eq!(place(&e), (8, 1, "provider[0].name"), "{e}");
        let e = error(&FILE.replace("max_event_age = 300", r#"match = "CANARY""#));
        assert_eq!((place(&e), e.problem.as_str()), ((16, 1, "provider[1].match"), MATCH_PROBLEM.trim_start_matches("match: ")));
        // Syntax: the key being written, the position of the error, toml's fixed text.
        let e = error(&FILE.replace(r#"mode = "async""#, r#"mode = "CANARY"#));
        assert_eq!((e.line, e.key.as_str()), (3, "mode"), "{e}");
        let e = error("lease_seconds = CANARY\n");
        assert_eq!((e.line, e.key.as_str()), (1, "lease_seconds"), "{e}");
    }

    #[test]
    fn the_receivers_own_checks_are_located_too() {
        let e = error(&FILE.replace(r#"base_path = "/flexdeploy/webhooks/v2""#, r#"base_path = "CANARY""#));
        assert_eq!(place(&e), (2, 1, "base_path"));
        assert_eq!(e.problem, "`base_path` must start with '/'");
        let e = error(&FILE.replace(r#"name = "reflex""#, r#"name = "github""#));
        assert_eq!(place(&e), (13, 1, "provider[1].name"));
        assert!(e.problem.contains(r#"two providers are named "github""#), "{e}");
        let e = error(&FILE.replace(r#"scheme = "github""#, r#"scheme = "githubb""#));
        assert_eq!(place(&e), (9, 1, "provider[0].scheme"), "{e}");
        let e = error(&FILE.replace("max_event_age = 300", "tolerance_seconds = 300"));
        assert_eq!(place(&e), (16, 1, "provider[1].tolerance_seconds"), "{e}");
        let e = error(&format!("unhandled_status = 99\n{FILE}"));
        assert_eq!(place(&e), (1, 1, "unhandled_status"), "{e}");
        let e = error(&format!("lease_seconds = -1.0\n{FILE}"));
        assert_eq!(place(&e), (1, 1, "lease_seconds"), "{e}");
        let e = error(&format!("inbox = \" \"\n{FILE}"));
        assert_eq!((place(&e), e.problem.as_str()), ((1, 1, "inbox"), "`inbox` must be a file path or a postgres:// URL"));
        // A key the file does not write: at the nearest enclosing table, named as asked.
        let file = TomlConfig::new(FILE);
        let e = file.error_at("providers[1].secrets", "no secret");
        assert_eq!(place(&e), (12, 1, "provider[1].secrets"), "at its [[provider]] header, as the file spells it: {e}");
        assert_eq!(place(&file.error_at("provider[1].secrets_env", "unset")), (15, 1, "provider[1].secrets_env"));
        assert_eq!(place(&file.error_at("function[0].run", "x")), (1, 1, "function[0].run"));
        let e: Error = file.error_at("mode", "bad").into();
        assert_eq!(e.to_string(), "invalid argument: receiver options: line 3:1: mode: bad");
    }

    #[test]
    fn the_inbox_of_a_config_file_is_relative_to_the_file() {
        let dir = std::env::temp_dir().join(format!("hookverify-config-inbox-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text).unwrap();
            dir.join(name)
        };
        // Only `inbox` is read: serve's own keys and its functions are not this reader's to check.
        let file = write("serve.toml", &format!("inbox = \"data/inbox.db\"\n{FILE}[[function]]\nrun = [\"x\"]\n"));
        assert_eq!(InboxLocation::of_config_file(&file).unwrap(), InboxLocation::Sqlite(dir.join("data/inbox.db")));
        let file = write("pg.toml", "inbox = \"postgres://hv@127.0.0.1/hv\"\n");
        assert_eq!(InboxLocation::of_config_file(&file).unwrap(), InboxLocation::Postgres("postgres://hv@127.0.0.1/hv".into()));
        let reason = |path: &std::path::Path| match InboxLocation::of_config_file(path) {
            Err(Error::InvalidArgument { reason }) => reason,
            other => panic!("{other:?}"),
        };
        let name = |n: &str| dir.join(n).display().to_string();
        assert_eq!(reason(&write("none.toml", FILE)), format!("{}: no inbox: set inbox = \"inbox.db\"", name("none.toml")));
        assert!(reason(&dir.join("absent.toml")).starts_with(&format!("{}: cannot read: ", name("absent.toml"))));
        let r = reason(&write("typed.toml", "mode = \"async\"\ninbox = 7\n"));
        assert!(r.starts_with(&format!("{}:2:1: inbox: invalid type", name("typed.toml"))), "{r}");
        let r = reason(&write("empty.toml", "inbox = \" \"\n"));
        // The message `serve --check` gives for it.
        assert_eq!(r, format!("{}:1:1: inbox: `inbox` must be a file path or a postgres:// URL", name("empty.toml")));
        let r = reason(&write("syntax.toml", "inbox = \"a.db\n"));
        assert!(r.starts_with(&format!("{}:1:", name("syntax.toml"))), "{r}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
