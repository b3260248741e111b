//! Receiver options as one serde object (built by `packages/npm/lib/receiver.js`), shared by the
//! napi and wasm bindings (the wasm crate includes this file). Handlers stay in JS: the core's
//! `Receiver<u32>` holds each route's index into the JS handler list (the fallback comes last).

use std::time::Duration;

use hookverify::dedup::{Store, DEFAULT_LEASE, DEFAULT_RETENTION};
use hookverify::receiver::{Matcher, Mode, Provider, Receiver, Scope};
use hookverify::{Error, Result, VerifierOptions};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ReceiverOptions {
    providers: Vec<ProviderOptions>,
    #[serde(default)]
    routes: Vec<RouteOptions>,
    #[serde(default)]
    unhandled: bool,
    #[serde(default)]
    sync: bool,
    #[serde(default = "yes")]
    allow_sync_header: bool,
    unhandled_status: Option<u16>,
    lease_seconds: Option<f64>,
    retention_seconds: Option<f64>,
    namespace: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderOptions {
    name: String,
    verifier: VerifierOptions,
    #[serde(default, rename = "match")]
    matcher: MatchOptions,
}

/// `{}` signature header (default), `{always: true}`, `{header}` present, `{header, equals}`.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MatchOptions {
    #[serde(default)]
    always: bool,
    header: Option<String>,
    equals: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteOptions {
    pattern: String,
    provider: Option<String>,
    path: Option<String>,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidArgument { reason: reason.into() }
}

fn seconds(s: Option<f64>, default: Duration, what: &str) -> Result<Duration> {
    match s.map(Duration::try_from_secs_f64) {
        None => Ok(default),
        Some(Ok(d)) if !d.is_zero() => Ok(d),
        Some(_) => Err(invalid(format!("{what} must be a positive number of seconds"))),
    }
}

/// A built receiver and the lowercase header names JS packs values for (in this order).
pub(crate) fn build_receiver(options_json: &str, store: Box<dyn Store>) -> Result<(Receiver<u32>, Vec<String>)> {
    let o: ReceiverOptions = hookverify::options::from_json("receiver", options_json)?;
    let mut providers = Vec::with_capacity(o.providers.len());
    for p in o.providers {
        let matcher = match p.matcher {
            MatchOptions { always: true, header: None, equals: None } => Matcher::Always,
            MatchOptions { always: false, header: None, equals: None } => Matcher::SignatureHeader,
            MatchOptions { always: false, header: Some(h), equals: None } => Matcher::HeaderPresent(h),
            MatchOptions { always: false, header: Some(h), equals: Some(v) } => Matcher::HeaderEquals(h, v),
            _ => return Err(invalid(format!("provider {:?}: match is 'always', {{header}} or {{header, equals}}", p.name))),
        };
        providers.push(Provider::new(&p.name, p.verifier.build()?).matching(matcher));
    }
    let mut r = Receiver::new(providers, store)?;
    for (i, route) in o.routes.iter().enumerate() {
        r.on_scoped(&route.pattern, Scope { provider: route.provider.clone(), path: route.path.clone() }, i as u32);
    }
    if o.unhandled {
        r.unhandled(o.routes.len() as u32);
    }
    r.mode(if o.sync { Mode::Sync } else { Mode::Async }).allow_sync_header(o.allow_sync_header);
    r.lease_and_retention(
        seconds(o.lease_seconds, DEFAULT_LEASE, "leaseSeconds")?,
        seconds(o.retention_seconds, DEFAULT_RETENTION, "retentionSeconds")?,
    );
    if let Some(status) = o.unhandled_status {
        if !(100..=599).contains(&status) {
            return Err(invalid("unhandledStatus must be an HTTP status (100-599)"));
        }
        r.unhandled_status(status);
    }
    if let Some(ns) = o.namespace {
        r.namespace(&ns);
    }
    let names = r.header_names().into_iter().map(|n| n.to_ascii_lowercase()).collect();
    Ok((r, names))
}
