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
use crate::error::{Error, Result};
use crate::receiver::{Matcher, Mode, Provider, Receiver, Scope};
use crate::verify::{Verifier, VerifierOptions};

pub use crate::dedup::{DEFAULT_LEASE, DEFAULT_RETENTION};
pub use crate::verify::DEFAULT_MAX_BODY_BYTES;

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
    /// The senders, in match order: the first whose match rule holds takes the request.
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
}

/// One sender on the endpoint: `{name, match, verifier: {scheme, secret, …}}`, or the same with
/// the verifier options inline, `{name, match, scheme, secret, …}` (what JS users write).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderConfig {
    /// The provider's name (routes and logs use it). Default: the scheme's name, a preset's name
    /// or a custom spec's `name` — the one rule every binding follows.
    pub name: Option<String>,
    /// Its verifier (scheme, secrets, window, body cap). A binding that builds verifiers itself
    /// (Python's `Verifier` objects) leaves it out and passes them to [`ReceiverConfig::build_with`].
    pub verifier: Option<VerifierOptions>,
    /// How its requests are recognised (default: its signature header is present).
    pub matcher: MatchRule,
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
        let verifier = match map.remove("verifier") {
            Some(_) if !map.is_empty() => {
                return Err(D::Error::custom("give the verifier options either inline or as verifier, not both"));
            }
            Some(v) => Some(crate::options::from_value(v).map_err(|e| D::Error::custom(format!("verifier.{e}")))?),
            None if map.is_empty() => None,
            None => Some(crate::options::from_value(serde_json::Value::Object(map)).map_err(D::Error::custom)?),
        };
        Ok(ProviderConfig { name, verifier, matcher })
    }
}

const MATCH_PROBLEM: &str = "match must be signature, always, {header} or {header, equals}";

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

impl ReceiverConfig {
    /// Parses the options from JSON text (errors name the key, never quote a value).
    pub fn from_json(json: &str) -> Result<ReceiverConfig> {
        crate::options::from_json("receiver", json)
    }

    /// The receiver these options describe, on `store`; route `i`'s handler is `i`, the
    /// unhandled handler `routes.len()`. Every provider needs its `verifier` options.
    pub fn build(&self, store: Box<dyn Store>) -> Result<Receiver<usize>> {
        self.build_with(store, |i, p| match &p.verifier {
            Some(options) => self.verifier(options),
            None => Err(invalid(format!("`providers[{i}]` needs `verifier` options (scheme, secret)"))),
        })
    }

    /// [`build`](ReceiverConfig::build) with each provider's verifier made by `verifier(index,
    /// provider)` (bindings that hold verifier objects of their own).
    pub fn build_with(
        &self,
        store: Box<dyn Store>,
        mut verifier: impl FnMut(usize, &ProviderConfig) -> Result<Verifier>,
    ) -> Result<Receiver<usize>> {
        let mut providers = Vec::with_capacity(self.providers.len());
        for (i, p) in self.providers.iter().enumerate() {
            let v = verifier(i, p)?;
            let name = match &p.name {
                Some(name) if name.is_empty() => return Err(invalid(format!("`providers[{i}].name` must not be empty"))),
                Some(name) => name.clone(),
                None => v.scheme().spec().name.clone(),
            };
            if providers.iter().any(|q: &Provider| q.name() == name) {
                return Err(invalid(format!("two providers are named {name:?}; give each a distinct `name`")));
            }
            providers.push(Provider::new(&name, v).matching(p.matcher.0.clone()));
        }
        let mut r = Receiver::new(providers, store)?;
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
                return Err(invalid("`base_path` must start with '/'"));
            }
            r.base_path(base);
        }
        r.lease_and_retention(
            seconds(self.lease_seconds, DEFAULT_LEASE, "lease_seconds")?,
            seconds(self.retention_seconds, DEFAULT_RETENTION, "retention_seconds")?,
        );
        if let Some(status) = self.unhandled_status {
            if !(100..=599).contains(&status) {
                return Err(invalid("`unhandled_status` must be an HTTP status (100-599)"));
            }
            r.unhandled_status(status);
        }
        if let Some(ns) = &self.namespace {
            r.namespace(ns);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn build(json: &str) -> Result<Receiver<usize>> {
        ReceiverConfig::from_json(json)?.build(Box::new(MemoryStore::default()))
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
        assert!(err.contains("`providers[0]`: match must be") && !err.contains("CANARY"), "{err}");
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
