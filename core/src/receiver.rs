//! The one path every delivery takes, and the HTTP answer it earns.
//!
//! ```text
//! request ─ provider match ─ verify (size cap, signature, window) ─ envelope
//!         ─ route (provider + path + type) ─ dedup claim ─ [binding runs handlers]
//!         ─ complete | release ─ Decision {status, headers, body}
//! ```
//!
//! The [`Receiver`] is sans-IO: [`Receiver::begin`] either answers at once
//! ([`Step::Respond`]) or hands back a [`Delivery`] naming the handlers to
//! run; the binding runs them in its own runtime (sync or async) and calls
//! [`Receiver::finish`]. Ack policy:
//!
//! | outcome | status |
//! |---|---|
//! | bad/missing signature, stale timestamp | 401 |
//! | malformed envelope | 400 |
//! | body over the cap | 413 |
//! | duplicate already done (handler not run) | 200 |
//! | duplicate still in progress | 409 + `Retry-After` |
//! | store unreachable | 503 + `Retry-After` |
//! | path outside `base_path` (before any verification) | 404 `not_found` |
//! | no handler for the type (and no `*`) | 202 async / 200 sync (`unhandled_status` overrides both) |
//! | async mode, claimed and handed off | 202 |
//! | sync mode, handlers succeeded | 200 |
//! | sync mode, a handler failed (claim released) | 500 `handler_failed` |

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::config::{DEFAULT_SYNC_HEADER, DEFAULT_SYNC_VALUE, DEFAULT_UNHANDLED_STATUS_ASYNC, DEFAULT_UNHANDLED_STATUS_SYNC};
use crate::dedup::{content_key, Claim, Completion, Store, Token, DEFAULT_LEASE, DEFAULT_RETENTION};
use crate::dispatch::Router;
use crate::error::{Error, Result};
use crate::event::EventMeta;
use crate::headers::{single_value, Headers, Lookup};
use crate::metrics::{Metrics, Outcome, RunOutcome};
// std's Instant on native targets; `performance.now()` on wasm32, where std's panics.
use crate::verify::Verifier;
use web_time::Instant;

/// Request header a sender (or test) can set to ask for sync handling of one delivery, unless the
/// receiver names another ([`Receiver::sync_header`]); the same as [`DEFAULT_SYNC_HEADER`].
pub const SYNC_HEADER: &str = DEFAULT_SYNC_HEADER;

/// When the receiver answers.
///
/// `#[non_exhaustive]`, like every public enum a new variant may join: a `match` outside the
/// crate needs a wildcard arm.
///
/// ```compile_fail,E0004
/// fn sync(mode: hookverify::Mode) -> bool {
///     match mode {
///         hookverify::Mode::Async => false,
///         hookverify::Mode::Sync => true,
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// 202 once verified, claimed and handed off; handlers run after the answer.
    #[default]
    Async,
    /// Run handlers first: 200 on success, 500 on failure (claim released), 200 when none matched
    /// (an acknowledgement: senders' setup and test events must not be retried).
    Sync,
}

/// How a provider recognises its requests on a shared endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Matcher {
    /// One of the scheme's signature headers (or aliases) is present (the default). A scheme whose
    /// signature is in the body (`mailgun`) has no such header and matches every request.
    #[default]
    SignatureHeader,
    /// This header is present.
    HeaderPresent(String),
    /// This header has exactly this value.
    HeaderEquals(String, String),
    /// Every request (use last, as a catch-all).
    Always,
}

/// One sender on an endpoint: a name, a verifier, and how to recognise it.
#[derive(Clone)]
pub struct Provider {
    name: String,
    verifier: Verifier,
    matcher: Matcher,
    /// Tokens a `meta_subscribe` handshake's `hub.verify_token` must equal (one of them).
    verify_tokens: Vec<crate::secret::Secret>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("verifier", &self.verifier)
            .field("matcher", &self.matcher)
            .field("verify_tokens", &format_args!("[REDACTED; {}]", self.verify_tokens.len()))
            .finish()
    }
}

impl Provider {
    /// A provider recognised by its scheme's signature header.
    pub fn new(name: &str, verifier: Verifier) -> Provider {
        Provider { name: name.to_owned(), verifier, matcher: Matcher::SignatureHeader, verify_tokens: Vec::new() }
    }

    /// The verify tokens a Meta-style subscription handshake (`meta_subscribe`) must present as
    /// `hub.verify_token` (compared in constant time; several allow a rotation). Without any, such
    /// a handshake is refused with `handshake_rejected`.
    pub fn verify_tokens(mut self, tokens: Vec<crate::secret::Secret>) -> Provider {
        self.verify_tokens = tokens;
        self
    }

    /// Replaces the match rule.
    pub fn matching(mut self, matcher: Matcher) -> Provider {
        self.matcher = matcher;
        self
    }

    /// The provider's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The provider's verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn matches<H: Headers + ?Sized>(&self, headers: &H) -> bool {
        let present = |name: &str| !matches!(headers.lookup(name), Lookup::Missing);
        match &self.matcher {
            // A scheme whose signature is in the body (mailgun) has no header to look for: it takes
            // every request, as `Always` does (list it after the header-matched providers).
            Matcher::SignatureHeader => {
                self.verifier.scheme().header_sets().iter().any(|s| s.signature.is_empty() || present(&s.signature))
            }
            Matcher::HeaderPresent(name) => present(name),
            Matcher::HeaderEquals(name, value) => {
                matches!(single_value(headers, name), Ok(Some(v)) if v == value)
            }
            Matcher::Always => true,
        }
    }
}

/// Which requests a route takes, besides its type pattern.
///
/// `#[non_exhaustive]`: build it as `Scope::default().provider("github").path("git/push")`; a
/// struct literal does not compile outside the crate, so a new field is not a breaking change:
///
/// ```compile_fail,E0639
/// let scope = hookverify::Scope { provider: None, path: None };
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scope {
    /// Only this provider's events (by name).
    pub provider: Option<String>,
    /// Only requests to this path (query string ignored).
    pub path: Option<String>,
}

impl Scope {
    /// Only this provider's events (by name).
    pub fn provider(mut self, name: impl Into<String>) -> Scope {
        self.provider = Some(name.into());
        self
    }

    /// Only requests to this path (query string ignored).
    pub fn path(mut self, path: impl Into<String>) -> Scope {
        self.path = Some(path.into());
        self
    }
}

/// An incoming request, borrowed from the host framework.
///
/// Deliberately exhaustive (built with a struct literal): every front end fills in every field,
/// so a new input must fail to compile in each of them rather than take a silent default.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a, H: ?Sized> {
    /// The HTTP method, as the client sent it (`POST`; `GET` for some handshakes). A request that
    /// is not `POST` is answered 405 `method_not_allowed` unless it is a handshake a provider's
    /// scheme declares.
    pub method: &'a str,
    /// The request target: path, optionally with `?query`.
    pub path: &'a str,
    /// The request headers.
    pub headers: &'a H,
    /// The raw body, exactly as received.
    pub body: &'a [u8],
    /// Unix seconds "now" (injected so tests are deterministic).
    pub now: i64,
}

/// A response header name or value: mostly fixed text, so no allocation for it.
pub type HeaderText = Cow<'static, str>;

/// The HTTP answer: status, headers, body (JSON, or `text/plain` for some handshake answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// HTTP status code.
    pub status: u16,
    /// Response headers: `Content-Type` first (`application/json`; `text/plain; charset=utf-8`
    /// for a handshake that echoes text), then any extra ones (`Retry-After`,
    /// `X-Content-Type-Options`, …). Front ends send every one.
    pub headers: Vec<(HeaderText, HeaderText)>,
    /// Response body, of the `Content-Type`.
    pub body: String,
    /// For an answer that rejects the delivery (an error stopped it): the operator's one-line
    /// record of why, [`Error::log_line`], which front ends log; `None` for every other answer.
    /// The body carries only what the sender may learn; this carries the rest (never a secret).
    pub log: Option<String>,
    /// What the answer says of the delivery (the inbox records it), so that no one parses the
    /// body back.
    pub verdict: Verdict,
}

/// What an answer says of its delivery: [`Decision::verdict`], the `verdict` an inbox records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Taken: handled (sync), accepted to run (async), or a handshake answered.
    Accepted,
    /// Taken before (done, or still in progress): not run again.
    Duplicate,
    /// Verified, but no handler takes its event type.
    Unhandled,
    /// Refused, or its handlers failed (`handler_failed`): the error's code.
    Refused(crate::ErrorCode),
}

impl Verdict {
    /// `accepted`, `duplicate`, `unhandled`, or the error code.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Duplicate => "duplicate",
            Verdict::Unhandled => "unhandled",
            Verdict::Refused(code) => code.as_str(),
        }
    }
}

impl Decision {
    fn new(status: u16, verdict: Verdict, mut body: serde_json::Value) -> Decision {
        // Sorted keys whatever serde_json features a build unifies (the CLI turns on
        // `preserve_order`), so every runtime answers with the same bytes.
        body.sort_all_objects();
        Decision::json_text(status, verdict, body.to_string())
    }

    fn json_text(status: u16, verdict: Verdict, body: String) -> Decision {
        Decision { status, headers: vec![(Cow::Borrowed("Content-Type"), Cow::Borrowed("application/json"))], body, log: None, verdict }
    }

    fn retry_after(mut self, after: Duration) -> Decision {
        let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        self.headers.push((Cow::Borrowed("Retry-After"), Cow::Owned(secs.max(1).to_string())));
        self
    }

    /// The answer for an error that stopped a delivery (status from the code table), with the
    /// error's [`public_message`](Error::public_message): what a sender may learn. Its
    /// [`log`](Decision::log) is the error's [`log_line`](Error::log_line) (no provider).
    pub fn from_error(err: &Error) -> Decision {
        Decision::rejected(err, None)
    }

    /// [`from_error`](Decision::from_error) for a delivery of a known provider, named in the log line.
    pub fn rejected(err: &Error, provider: Option<&str>) -> Decision {
        let mut d = Decision::new(
            err.code().http_status(),
            Verdict::Refused(err.code()),
            json!({ "error": { "code": err.code().as_str(), "message": err.public_message() } }),
        );
        d.log = Some(err.log_line(provider));
        if err.code() == crate::ErrorCode::MethodNotAllowed {
            d.headers.push((Cow::Borrowed("Allow"), Cow::Borrowed("POST")));
        }
        if matches!(err.code(), crate::ErrorCode::StoreUnavailable | crate::ErrorCode::InboxUnavailable | crate::ErrorCode::Overloaded) {
            d.retry_after(Duration::from_secs(5))
        } else {
            d
        }
    }
}

/// `{"id":…,"ok":true}`, the answer to every handled delivery, written directly on this
/// per-request path (no `serde_json::Value`). Keys in sorted order, as `json!` prints them without
/// serde_json's `preserve_order` (the bindings' builds; tests/node/suite.mjs pins these bytes).
fn ok_body(id: &str) -> String {
    let mut out = Vec::with_capacity(id.len() + 24);
    out.extend_from_slice(br#"{"id":"#);
    // Writing a str into a Vec cannot fail, and JSON text is UTF-8.
    let _ = serde_json::to_writer(&mut out, id);
    out.extend_from_slice(br#","ok":true}"#);
    String::from_utf8(out).unwrap_or_default()
}

/// A verified, claimed delivery whose handlers the binding must run.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The parsed event: id, type, timestamp, key index, and where the payload sits in the body
    /// passed to [`Receiver::begin`] (read it with [`EventMeta::with_body`]; the delivery holds
    /// no copy of the body).
    pub event: EventMeta,
    /// Index of the provider that matched.
    pub provider: usize,
    /// Indexes of the routes whose handlers to run, in order (see [`Receiver::handler`]).
    pub handlers: Vec<usize>,
    /// The fencing token of the claim (pass it to the handlers).
    pub token: Token,
    /// The dedup key: `<namespace>|<provider>|<id>`, where `<id>` is the scheme's explicit
    /// `dedup_key`, else the event id when the signature covers it, else
    /// [`content_key`] (`sha256:…`) of the signed content.
    pub key: String,
    /// The request path without its query.
    pub path: String,
    /// The query string (without `?`), available to handlers.
    pub query: Option<String>,
    /// Whether this delivery is handled synchronously.
    pub sync: bool,
    /// When the request reached the receiver (a monotonic clock: `std::time::Instant`, or
    /// `performance.now()` on wasm32): where the metrics' latencies start.
    pub started: Instant,
}

/// What [`Receiver::begin_external`] decided: answer now, or claim in the caller's store first.
///
/// Deliberately exhaustive, as [`Step`] is: a new kind of outcome must fail to compile in each caller.
#[derive(Debug)]
pub enum External {
    /// Answer now; nothing to claim or run.
    Respond(Decision),
    /// Verified and routed: claim [`PendingClaim::key`] in the caller's store, then call
    /// [`Receiver::claimed`] with the outcome.
    Claim(PendingClaim),
}

/// A verified, routed delivery waiting for the caller's store to claim it.
#[derive(Debug)]
pub struct PendingClaim {
    lease: Duration,
    /// The delivery [`Receiver::claimed`] hands back to run (its token set by the claim).
    delivery: Delivery,
}

impl PendingClaim {
    /// The dedup key to claim (see [`Delivery::key`]).
    pub fn key(&self) -> &str {
        &self.delivery.key
    }

    /// How long to hold the claim ([`Receiver::lease`]).
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Whether the delivery is handled synchronously (the receiver's mode, or the sync header).
    pub fn sync(&self) -> bool {
        self.delivery.sync
    }

    /// The parsed event (id, type, ...), e.g. to log it before claiming.
    pub fn event(&self) -> &EventMeta {
        &self.delivery.event
    }
}

/// `try_begin`'s outcome: an answer, or a delivery to claim (token not yet known).
enum Prepared {
    Respond(Decision),
    Claim(Delivery),
}

/// What `begin` decided.
///
/// Deliberately exhaustive: a front end must act on every step (answer, or run then finish), so
/// a new kind of step must fail to compile in each front end rather than fall through a wildcard.
#[derive(Debug)]
pub enum Step {
    /// Answer now; nothing to run.
    Respond(Decision),
    /// Run these handlers, then call [`Receiver::finish`].
    Run(Delivery),
}

#[derive(Debug, Clone)]
struct Route<H> {
    scope: Scope,
    handler: H,
}

/// The receiving pipeline for one endpoint (one or several providers).
pub struct Receiver<H> {
    providers: Vec<Provider>,
    router: Router<usize>,
    routes: Vec<Route<H>>,
    fallback: Option<usize>,
    store: Box<dyn Store>,
    mode: Mode,
    /// The header (name, value) that switches one request to sync mode; `None`: disabled.
    sync_header: Option<(String, String)>,
    /// Routes' paths are relative to this (`/a/b`, no trailing slash; empty: the root).
    base_path: String,
    unhandled_status: Option<u16>,
    /// Overrides `unhandled_status` for sync deliveries.
    unhandled_status_sync: Option<u16>,
    lease: Duration,
    retention: Duration,
    namespace: Option<String>,
    metrics: Arc<Metrics>,
}

impl<H> std::fmt::Debug for Receiver<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("providers", &self.providers.iter().map(|p| p.name()).collect::<Vec<_>>())
            .field("routes", &self.routes.len())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl<H> Receiver<H> {
    /// A receiver for these providers (priority order), with a store.
    pub fn new(providers: Vec<Provider>, store: Box<dyn Store>) -> Result<Receiver<H>> {
        if providers.is_empty() {
            return Err(Error::InvalidArgument { reason: "a receiver needs at least one provider".into() });
        }
        let metrics = Arc::new(Metrics::new(providers.iter().map(Provider::name)));
        Ok(Receiver {
            providers,
            router: Router::new(),
            routes: Vec::new(),
            fallback: None,
            store,
            mode: Mode::Async,
            sync_header: Some((DEFAULT_SYNC_HEADER.to_owned(), DEFAULT_SYNC_VALUE.to_owned())),
            base_path: String::new(),
            unhandled_status: None,
            unhandled_status_sync: None,
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
            namespace: None,
            metrics,
        })
    }

    /// Adds a handler for an event-type pattern (`user.created`, `user.*`, `*`), any provider or path.
    pub fn on(&mut self, pattern: &str, handler: H) -> &mut Self {
        self.on_scoped(pattern, Scope::default(), handler)
    }

    /// Adds a handler limited to a provider and/or path.
    pub fn on_scoped(&mut self, pattern: &str, scope: Scope, handler: H) -> &mut Self {
        self.router.on(pattern, self.routes.len());
        self.routes.push(Route { scope, handler });
        self
    }

    /// The handler run when no route matches.
    pub fn unhandled(&mut self, handler: H) -> &mut Self {
        self.fallback = Some(self.routes.len());
        self.routes.push(Route { scope: Scope::default(), handler });
        self
    }

    /// Sets the default mode.
    pub fn mode(&mut self, mode: Mode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Whether the sync header (default `Hookverify-Sync: true`) may switch one request to sync
    /// mode (default true). `false` disables it; `true` restores the default header if it was off.
    pub fn allow_sync_header(&mut self, allow: bool) -> &mut Self {
        if !allow {
            self.sync_header = None;
        } else if self.sync_header.is_none() {
            self.sync_header = Some((DEFAULT_SYNC_HEADER.to_owned(), DEFAULT_SYNC_VALUE.to_owned()));
        }
        self
    }

    /// The header that switches one request to sync mode when it has this value (compared
    /// ASCII case-insensitively), e.g. FlexDeploy's `flex-sync-webhook: true`.
    pub fn sync_header(&mut self, name: &str, value: &str) -> &mut Self {
        self.sync_header = Some((name.to_owned(), value.to_owned()));
        self
    }

    /// Routes' paths are relative to `base_path` (`/flexdeploy/webhooks/v2`), and a request outside
    /// it is answered 404 `not_found` before any verification. Default: `/` (every path).
    pub fn base_path(&mut self, base_path: &str) -> &mut Self {
        self.base_path = base_path.trim_end_matches('/').to_owned();
        if !self.base_path.is_empty() && !self.base_path.starts_with('/') {
            self.base_path.insert(0, '/');
        }
        self
    }

    /// Status for an event type no handler takes (default 202 async, 200 sync).
    pub fn unhandled_status(&mut self, status: u16) -> &mut Self {
        self.unhandled_status = Some(status);
        self
    }

    /// Status for an event type no handler takes in a sync delivery only (wins over
    /// [`unhandled_status`](Receiver::unhandled_status) for those): `hookverify serve` answers 404
    /// in sync, "no function matched", and keeps async's 202.
    pub fn unhandled_status_sync(&mut self, status: u16) -> &mut Self {
        self.unhandled_status_sync = Some(status);
        self
    }

    /// The same receiver with every handler replaced by `f(handler)` (route order kept): a
    /// binding builds a `Receiver<usize>` from a [`ReceiverConfig`](crate::ReceiverConfig) and
    /// turns the indexes into its own callables.
    pub fn map_handlers<H2>(self, mut f: impl FnMut(H) -> H2) -> Receiver<H2> {
        Receiver {
            providers: self.providers,
            router: self.router,
            routes: self.routes.into_iter().map(|r| Route { scope: r.scope, handler: f(r.handler) }).collect(),
            fallback: self.fallback,
            store: self.store,
            mode: self.mode,
            sync_header: self.sync_header,
            base_path: self.base_path,
            unhandled_status: self.unhandled_status,
            unhandled_status_sync: self.unhandled_status_sync,
            lease: self.lease,
            retention: self.retention,
            namespace: self.namespace,
            metrics: self.metrics,
        }
    }

    /// Claim lease (default 60 s) and done-marker retention (default 4 days).
    pub fn lease_and_retention(&mut self, lease: Duration, retention: Duration) -> &mut Self {
        self.lease = lease;
        self.retention = retention;
        self
    }

    /// Dedup namespace: a name for this endpoint, needed only when several receivers share one
    /// store and must not see each other's deliveries as duplicates (default: none).
    ///
    /// The dedup key is `<namespace>|<provider>|<id>`; it never depends on the request path, so
    /// however a framework lets the URL be spelled (`/webhooks`, `/WEBHOOKS`, `/webhooks/`, a
    /// sub-path of a mount), one delivery is one key.
    pub fn namespace(&mut self, namespace: &str) -> &mut Self {
        self.namespace = Some(namespace.to_owned());
        self
    }

    /// The providers, in priority order.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// Replaces the live secrets of the provider named `provider` (of each, should several share
    /// the name) atomically, as [`Verifier::set_secrets`] does: deliveries being verified finish
    /// with the old secrets, later ones use the new. Every secret is validated for every such
    /// provider before any is replaced; on error the old secrets stay live. An unknown name is
    /// `invalid_argument`.
    pub fn set_secrets<S: AsRef<str>>(&self, provider: &str, secrets: impl IntoIterator<Item = S>) -> Result<()> {
        let secrets: Vec<S> = secrets.into_iter().collect();
        let mut next = Vec::new();
        for p in self.providers.iter().filter(|p| p.name == provider) {
            let scheme = p.verifier.scheme();
            let keys = secrets.iter().map(|s| scheme.parse_secret(s.as_ref())).collect::<Result<Vec<_>>>()?;
            next.push((p, p.verifier.keyring_for(&keys)?));
        }
        if next.is_empty() {
            let names: Vec<&str> = self.providers.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::InvalidArgument {
                reason: format!("no provider has that name (it is not repeated here); the providers are: {}", names.join(", ")),
            });
        }
        for (p, keyring) in next {
            p.verifier.install(keyring);
        }
        Ok(())
    }

    /// Every header name the pipeline may read: each provider's scheme headers,
    /// match-rule headers, and the sync header. Bindings pass only these across FFI.
    pub fn header_names(&self) -> Vec<String> {
        let mut names: Vec<&str> = Vec::new();
        for p in &self.providers {
            names.extend(p.verifier.scheme().header_names());
            if let Matcher::HeaderPresent(h) | Matcher::HeaderEquals(h, _) = &p.matcher {
                names.push(h);
            }
            for kind in &p.verifier.scheme().spec().handshakes {
                names.extend(kind.header_names());
            }
        }
        if let Some((name, _)) = &self.sync_header {
            names.push(name);
        }
        crate::scheme::unique_names(names).into_iter().map(str::to_owned).collect()
    }

    /// The largest body any provider accepts: front ends refuse a longer declared body (or stop
    /// reading one) with [`Receiver::too_large`].
    pub fn max_body_bytes(&self) -> usize {
        self.providers.iter().map(|p| p.verifier.max_body_bytes()).max().unwrap_or(0)
    }

    /// The 413 `payload_too_large` answer for a body known to be at least `length` bytes (a declared
    /// `Content-Length`, or what was read before the stream was cut off), or `None` when `length`
    /// is within [`max_body_bytes`](Receiver::max_body_bytes). Every front end's early 413 is this
    /// one answer, whose message names only the limit.
    pub fn too_large(&self, length: u64) -> Option<Decision> {
        let limit = self.max_body_bytes();
        let size = usize::try_from(length).unwrap_or(usize::MAX);
        (size > limit).then(|| {
            self.metrics.record(None, Outcome::Rejected, Some(crate::ErrorCode::PayloadTooLarge), Duration::ZERO);
            Decision::from_error(&Error::PayloadTooLarge { size, limit })
        })
    }

    /// The handler of route `index` (from [`Delivery::handlers`]).
    pub fn handler(&self, index: usize) -> &H {
        &self.routes[index].handler
    }

    /// Runs the pipeline up to the handlers. An answer that rejects the delivery carries its log
    /// line in [`Decision::log`] (with the provider, once one matched).
    pub fn begin<Hd: Headers + ?Sized>(&self, req: Request<'_, Hd>) -> Step {
        self.begin_matched(req).0
    }

    /// [`begin`](Receiver::begin), and the index of the provider that matched the request (`None`
    /// when none did): what an access log names for every answer, duplicates and unhandled types
    /// included.
    pub fn begin_matched<Hd: Headers + ?Sized>(&self, req: Request<'_, Hd>) -> (Step, Option<usize>) {
        let (external, matched) = self.begin_external_matched(req);
        let step = match external {
            External::Respond(decision) => Step::Respond(decision),
            External::Claim(pending) => self.claim_own(pending),
        };
        (step, matched)
    }

    /// [`begin`](Receiver::begin) for a caller whose dedup store is its own (an async database
    /// client, a store written in JS or Python): everything up to the claim, which is left to the
    /// caller, and the receiver's own store is not used. Claim [`PendingClaim::key`] for
    /// [`PendingClaim::lease`] in that store, with the [`Store`] trait's semantics (a fencing token
    /// that increases per claim, a done marker kept for the retention), then hand the outcome to
    /// [`claimed`](Receiver::claimed); finish with [`finish_op`](Receiver::finish_op) and
    /// [`finished`](Receiver::finished).
    pub fn begin_external<Hd: Headers + ?Sized>(&self, req: Request<'_, Hd>) -> External {
        self.begin_external_matched(req).0
    }

    /// `begin_external`, and the index of the provider that matched (see `begin_matched`).
    fn begin_external_matched<Hd: Headers + ?Sized>(&self, req: Request<'_, Hd>) -> (External, Option<usize>) {
        let started = Instant::now();
        let mut matched = None;
        let external = match self.try_begin(req, &mut matched, started) {
            Ok(Prepared::Respond(decision)) => {
                self.metrics.record(matched, Outcome::Unhandled, None, started.elapsed());
                External::Respond(decision)
            }
            Ok(Prepared::Claim(delivery)) => External::Claim(PendingClaim { lease: self.lease, delivery }),
            Err(err) => {
                self.metrics.record(matched, Outcome::Rejected, Some(err.code()), started.elapsed());
                External::Respond(Decision::rejected(&err, matched.map(|i| self.providers[i].name.as_str())))
            }
        };
        (external, matched)
    }

    /// The step for a claim the caller made after [`begin_external`](Receiver::begin_external):
    /// run the handlers (acquired: the delivery carries the claim's token), 200 (a duplicate
    /// already done), 409 + `Retry-After` (in progress elsewhere), or the store's error as the
    /// rejection it is (`store_unavailable`: 503 + `Retry-After`).
    pub fn claimed(&self, pending: PendingClaim, claim: Result<Claim>) -> Step {
        let PendingClaim { mut delivery, .. } = pending;
        let (outcome, code) = match &claim {
            Ok(Claim::Acquired(token)) => {
                delivery.token = *token;
                return Step::Run(delivery);
            }
            Ok(Claim::Done | Claim::InProgress { .. }) => (Outcome::Duplicate, None),
            Err(err) => (Outcome::Rejected, Some(err.code())),
        };
        self.metrics.record(Some(delivery.provider), outcome, code, delivery.started.elapsed());
        Step::Respond(match claim {
            Ok(Claim::InProgress { retry_after }) => Decision::new(
                409,
                Verdict::Duplicate,
                json!({ "ok": false, "id": delivery.event.id, "duplicate": true, "in_progress": true }),
            )
            .retry_after(retry_after),
            Err(err) => Decision::rejected(&err, Some(self.providers[delivery.provider].name.as_str())),
            Ok(_) => Decision::new(200, Verdict::Duplicate, json!({ "ok": true, "id": delivery.event.id, "duplicate": true })),
        })
    }

    /// `begin`; sets `matched` to the provider's index once one matched the request.
    fn try_begin<Hd: Headers + ?Sized>(&self, req: Request<'_, Hd>, matched: &mut Option<usize>, started: Instant) -> Result<Prepared> {
        let (path, query) = match req.path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (req.path, None),
        };
        let Some(relative) = self.relative(path) else {
            return Err(Error::NotFound { base_path: if self.base_path.is_empty() { "/".into() } else { self.base_path.clone() } });
        };
        // Unsigned handshakes (Meta, Dropbox, Graph, Okta, Asana) carry no signature header: they
        // are recognised before any provider is matched by its signature.
        for (i, p) in self.providers.iter().enumerate() {
            let hs = crate::handshake::Unsigned { method: req.method, query, verify_tokens: &p.verify_tokens };
            for kind in p.verifier.scheme().spec().handshakes.iter().filter(|k| !k.signed()) {
                if let Some(answer) = crate::handshake::answer_unsigned(*kind, &hs, req.headers) {
                    *matched = Some(i);
                    return answer.map(Prepared::Respond);
                }
            }
        }
        if req.method != "POST" {
            let method: String = req.method.chars().filter(|c| c.is_ascii_graphic()).take(16).collect();
            return Err(Error::MethodNotAllowed { method });
        }
        let Some(provider_index) = self.providers.iter().position(|p| p.matches(req.headers)) else {
            let expected: Vec<&str> = self.providers.iter().map(|p| p.verifier.scheme().spec().signature_header.as_str()).collect();
            return Err(match expected[..] {
                [one] => Error::MissingHeader { header: one.to_owned() },
                _ => Error::NoProviderMatched { expected: expected.join(" or ") },
            });
        };
        *matched = Some(provider_index);
        let provider = &self.providers[provider_index];
        let verifier = &provider.verifier;
        let verified = verifier.verify_signature_at(req.body, req.headers, req.now)?;
        let scheme = verifier.scheme();
        // Signed handshakes (Slack, Zoom, Discord, Twitch): answered once verified, never routed.
        for kind in scheme.spec().handshakes.iter().filter(|k| k.signed()) {
            let mac = |m: &[u8]| verifier.handshake_mac(verified.key_index, m);
            if let Some(answer) = crate::handshake::answer_signed(*kind, req.headers, req.body, &mac) {
                return answer.map(Prepared::Respond);
            }
        }
        let (event, explicit_key) = verifier.parse_event_with_key(req.headers, req.body, &verified, req.now)?;
        let sync = self.mode == Mode::Sync
            || self
                .sync_header
                .as_ref()
                .is_some_and(|(name, want)| matches!(single_value(req.headers, name), Ok(Some(v)) if v.eq_ignore_ascii_case(want)));

        let handlers = self.route(&event.event_type, &provider.name, relative);
        if handlers.is_empty() {
            let default = if sync { DEFAULT_UNHANDLED_STATUS_SYNC } else { DEFAULT_UNHANDLED_STATUS_ASYNC };
            let status = self.unhandled_status_sync.filter(|_| sync).or(self.unhandled_status).unwrap_or(default);
            return Ok(Prepared::Respond(Decision::new(
                status,
                Verdict::Unhandled,
                json!({ "ok": status < 300, "id": event.id, "type": event.event_type, "handled": false }),
            )));
        }
        // Never the path: a framework routes many spellings of one URL to the same handler.
        let namespace = self.namespace.as_deref().unwrap_or("");
        let digest;
        let id = match &explicit_key {
            Some(k) => k.as_str(),
            None if scheme.fields(verified.header_set).id_signed => event.id.as_str(),
            // The event id is sender-unsigned text: identify the delivery by what was signed.
            None => {
                digest = content_key(&provider.name, verified.message_id.filter(|_| scheme.signs_id()), req.body);
                digest.as_str()
            }
        };
        let key = {
            let mut k = String::with_capacity(namespace.len() + provider.name.len() + id.len() + 2);
            for part in [namespace, "|", &provider.name, "|", id] {
                k.push_str(part);
            }
            k
        };
        // The claim is the caller's (`begin_matched` asks this receiver's store): its token is set then.
        Ok(Prepared::Claim(Delivery {
            event: event.into_meta(),
            provider: provider_index,
            handlers,
            token: Token(0),
            key,
            path: path.to_owned(),
            query: query.map(str::to_owned),
            sync,
            started,
        }))
    }

    /// `path` relative to the base path, without leading or trailing `/`; `None` when outside it.
    fn relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        let rest = path.strip_prefix(self.base_path.as_str())?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None; // `/hooksx` is not under `/hooks`
        }
        Some(rest.trim_matches('/'))
    }

    /// The routes for an event: specific patterns in scope, else `*` in scope, else the fallback.
    fn route(&self, event_type: &str, provider: &str, relative: &str) -> Vec<usize> {
        let in_scope = |i: &usize| {
            let scope = &self.routes[*i].scope;
            scope.provider.as_deref().map_or(true, |p| p == provider)
                && scope.path.as_deref().map_or(true, |p| p.trim_matches('/') == relative)
        };
        // The receiver's router has no fallback of its own (`self.fallback` is).
        let found: Vec<usize> = self.router.select(event_type, in_scope).copied().collect();
        if found.is_empty() {
            self.fallback.into_iter().collect()
        } else {
            found
        }
    }

    /// The immediate answer for an async delivery (202), before its handlers run.
    pub fn accepted(&self, delivery: &Delivery) -> Decision {
        self.metrics.record(Some(delivery.provider), Outcome::Accepted, None, delivery.started.elapsed());
        Decision::new(202, Verdict::Accepted, json!({ "ok": true, "id": delivery.event.id, "accepted": true }))
    }

    /// Records the handlers' outcome: complete on success, release on failure.
    /// Returns the answer for sync deliveries (async ones were answered by [`Receiver::accepted`]).
    pub fn finish(&self, delivery: &Delivery, handlers_succeeded: bool) -> Decision {
        if !handlers_succeeded {
            // Best effort: if the store is down the lease expires on its own.
            let _ = self.store.release(&delivery.key, delivery.token);
            return self.finished(delivery, None);
        }
        let completion = self.store.complete(&delivery.key, delivery.token, self.retention);
        self.finished(delivery, Some(completion))
    }

    /// The answer for a delivery the caller finished in its own store (after
    /// [`begin_external`](Receiver::begin_external)): `None` when the handlers failed and the claim
    /// was released (best effort: `release(key, token)`; an error there only lets the lease
    /// expire), else the outcome of `complete(key, token, retention)` with
    /// [`retention`](Receiver::retention). [`finish`](Receiver::finish) is this over the receiver's
    /// own store.
    pub fn finished(&self, delivery: &Delivery, completion: Option<Result<Completion>>) -> Decision {
        let id = &delivery.event.id;
        let elapsed = delivery.started.elapsed();
        let provider = Some(delivery.provider);
        match (delivery.sync, completion.is_some()) {
            (true, true) => self.metrics.record(provider, Outcome::Handled, None, elapsed),
            (true, false) => self.metrics.record(provider, Outcome::Failed, Some(crate::ErrorCode::HandlerFailed), elapsed),
            (false, done) => self.metrics.record_run(provider, if done { RunOutcome::Done } else { RunOutcome::Failed }, elapsed),
        }
        let Some(completion) = completion else {
            let failed = Error::HandlerFailed;
            return Decision::new(
                failed.code().http_status(),
                Verdict::Refused(failed.code()),
                json!({ "ok": false, "id": id, "error": { "code": failed.code().as_str(), "message": failed.public_message() } }),
            );
        };
        let mut decision = Decision::json_text(200, Verdict::Accepted, ok_body(id));
        match completion {
            Ok(Completion::Recorded) => {}
            // The handler ran: answering 2xx is true. Without a done marker a later
            // duplicate may run it again, which the fencing token lets downstream detect.
            Ok(Completion::LeaseLost) => decision.headers.push((Cow::Borrowed("Hookverify-Warning"), Cow::Borrowed("lease-lost"))),
            Err(_) => decision.headers.push((Cow::Borrowed("Hookverify-Warning"), Cow::Borrowed("completion-not-recorded"))),
        }
        decision
    }

    /// The counters and latency histograms of every delivery this receiver answered, and of the
    /// handler runs that ended after an answer (see [`crate::metrics`]).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The delivery to run for an event its inbox leased ([`Inbox::lease_due`](crate::inbox::Inbox::lease_due)):
    /// the stored request parsed again with its provider's scheme — not verified again, it was
    /// verified before it was committed — and routed as it would be now. The event id and type
    /// are the recorded ones; the token is the attempt number (it grows with each attempt, so
    /// handlers may fence on it); the key is `inbox:<record id>`. An error when the provider is no
    /// longer configured or the stored body no longer parses (the attempt fails with it).
    #[cfg(feature = "inbox")]
    pub fn resume(&self, job: &crate::inbox::Job) -> Result<Delivery> {
        let name = job.provider.as_deref().unwrap_or("");
        let Some(index) = self.providers.iter().position(|p| p.name == name) else {
            return Err(Error::InvalidArgument { reason: format!("inbox: provider {name:?} is not configured any more") });
        };
        let scheme = self.providers[index].verifier.scheme();
        // The header set that verified it is not recorded: the first whose fields parse.
        let mut parsed = Err(Error::InvalidArgument { reason: "inbox: the scheme has no header set".into() });
        for header_set in 0..scheme.header_sets().len().max(1) {
            let verified = crate::verify::Verified { key_index: 0, timestamp: None, message_id: None, header_set };
            parsed = crate::event::parse_with_key(scheme, &job.headers, &job.body, &verified, false);
            if parsed.is_ok() {
                break;
            }
        }
        let mut event = parsed?.0.into_meta();
        if let Some(id) = &job.event_id {
            event.id.clone_from(id);
        }
        if let Some(t) = &job.event_type {
            event.event_type.clone_from(t);
        }
        let relative = self.relative(&job.path).unwrap_or("");
        let handlers = self.route(&event.event_type, name, relative);
        Ok(Delivery {
            event,
            provider: index,
            handlers,
            token: Token(u64::from(job.attempt)),
            key: format!("inbox:{}", job.id),
            path: job.path.clone(),
            query: job.query.clone(),
            sync: false,
            started: Instant::now(),
        })
    }

    /// [`begin_external`](Receiver::begin_external) and the index of the provider that matched.
    #[cfg(all(feature = "inbox", feature = "axum"))]
    pub(crate) fn begin_external_with_match<Hd: Headers + ?Sized>(&self, req: Request<'_, Hd>) -> (External, Option<usize>) {
        self.begin_external_matched(req)
    }

    /// Claims `pending` in this receiver's own store: the step [`begin`](Receiver::begin) takes.
    pub(crate) fn claim_own(&self, pending: PendingClaim) -> Step {
        let claim = self.store.claim(pending.key(), self.lease);
        self.claimed(pending, claim)
    }

    /// How long a claim is held before it expires (the `lease`): what a caller's own store is
    /// asked to hold a claim for.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// How long a done marker is kept (the `retention`): what a caller's own store is asked to
    /// keep one for in `complete`.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// Takes an accepted delivery's claim again, with a full lease, when a worker starts its
    /// handlers after it waited in a queue: the claim held under `token` (the delivery's, or the
    /// one an earlier reclaim returned) is released — a release that finds another token changes
    /// nothing — and the key claimed afresh, so the lease covers the handlers' work and not the
    /// wait. [`Claim::Acquired`] carries the new, higher fencing token to finish under;
    /// [`Claim::Done`] / [`Claim::InProgress`]: another copy completed or holds it.
    pub fn reclaim(&self, delivery: &Delivery, token: Token) -> Result<Claim> {
        self.store.release(&delivery.key, token)?;
        self.store.claim(&delivery.key, self.lease)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::MemoryStore;
    use crate::{Scheme, Signer};

    #[test]
    fn ok_body_is_the_json_of_ok_and_id() {
        assert_eq!(ok_body("evt_1"), r#"{"id":"evt_1","ok":true}"#);
        // The json! bodies come out with sorted keys too, even where `preserve_order` is on.
        let d = Decision::new(200, Verdict::Duplicate, json!({ "ok": true, "id": "e", "duplicate": true }));
        assert_eq!(d.body, r#"{"duplicate":true,"id":"e","ok":true}"#);
        for id in ["evt_1", "", "quote\"back\\slash", "ctl\u{1}\n\t", "caf\u{e9} \u{1F600}", "</script>"] {
            let parsed: serde_json::Value = serde_json::from_str(&ok_body(id)).unwrap();
            assert_eq!(parsed, json!({ "ok": true, "id": id }), "{id:?}");
        }
    }

    const NOW: i64 = 1_700_000_000;

    fn github_receiver() -> Receiver<&'static str> {
        let v = Verifier::new(Scheme::preset("github").unwrap(), ["s"]).unwrap();
        Receiver::new(vec![Provider::new("github", v)], Box::new(MemoryStore::default())).unwrap()
    }

    fn github_request(body: &[u8], delivery: &str) -> Vec<(String, String)> {
        // Signatures here only exercise routing/ack policy; the signature math is
        // checked against independent vectors in tests/vectors.rs.
        let signer = Signer::new(Scheme::preset("github").unwrap(), "s").unwrap();
        let mut h = signer.sign(body, None, None).unwrap();
        h.push(("X-GitHub-Event".into(), "issues".into()));
        h.push(("X-GitHub-Delivery".into(), delivery.into()));
        h
    }

    fn begin(r: &Receiver<&'static str>, h: &Vec<(String, String)>, body: &[u8]) -> Step {
        r.begin(Request { method: "POST", path: "/hooks?x=1", headers: h, body, now: NOW })
    }

    #[test]
    fn sync_success_then_duplicate_is_200_without_running() {
        let mut r = github_receiver();
        r.on("issues", "h1").on("issues.opened", "h2").on("push", "never").mode(Mode::Sync);
        let body = br#"{"action":"opened"}"#;
        let h = github_request(body, "d-1");
        let Step::Run(d) = begin(&r, &h, body) else { panic!() };
        assert_eq!(d.handlers.iter().map(|i| *r.handler(*i)).collect::<Vec<_>>(), ["h1", "h2"]);
        assert_eq!(d.query.as_deref(), Some("x=1"));
        // A concurrent duplicate while the first runs: 409 with Retry-After.
        let Step::Respond(busy) = begin(&r, &h, body) else { panic!() };
        assert_eq!(busy.status, 409);
        assert!(busy.headers.iter().any(|(k, v)| k == "Retry-After" && v == "60"));
        assert_eq!(r.finish(&d, true).status, 200);
        let Step::Respond(dup) = begin(&r, &h, body) else { panic!() };
        assert_eq!(dup.status, 200);
        assert!(dup.body.contains("\"duplicate\":true"));
    }

    #[test]
    fn delivery_reads_its_payload_from_the_body_without_a_copy() {
        let mut r = github_receiver();
        r.on("issues", "h").mode(Mode::Sync);
        let body = br#"{"action":"opened","issue":{"n":1}}"#;
        let h = github_request(body, "d-body");
        let Step::Run(d) = begin(&r, &h, body) else { panic!() };
        let range = d.event.data_range().expect("github's payload is the whole body");
        let event = d.event.with_body(body).unwrap();
        assert_eq!(event.data_json().as_ptr(), body[range].as_ptr(), "a slice of the caller's body");
        assert_eq!((event.id.as_str(), event.event_type.as_str()), ("d-body", "issues.opened"));
        assert_eq!(event.clone().into_owned().data_json(), event.data_json());
        // A body that cannot be the one it was parsed from is refused, not sliced out of bounds.
        let err = d.event.with_body(b"{}").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument);
        assert_eq!(r.finish(&d, true).status, 200);
    }

    #[test]
    fn failed_handler_releases_so_retry_runs() {
        let mut r = github_receiver();
        r.on("*", "h").mode(Mode::Sync);
        let body = br#"{"action":"closed"}"#;
        let h = github_request(body, "d-2");
        let Step::Run(d) = begin(&r, &h, body) else { panic!() };
        assert_eq!(r.finish(&d, false).status, 500);
        let Step::Run(retry) = begin(&r, &h, body) else { panic!("retry must run") };
        assert!(retry.token > d.token);
        assert_eq!(r.finish(&retry, true).status, 200);
    }

    /// The verdict an answer carries is the one its body tells the sender (what the inbox parsed
    /// back before the answer carried it): the error's code, a duplicate, unhandled, or accepted.
    #[test]
    fn every_answer_carries_the_verdict_its_body_tells() {
        fn told(d: &Decision) -> String {
            let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
            match (body.pointer("/error/code"), body.get("duplicate"), body.get("handled")) {
                (Some(code), _, _) => code.as_str().unwrap().to_owned(),
                (None, Some(_), _) => "duplicate".into(),
                (None, None, Some(_)) => "unhandled".into(),
                _ => "accepted".into(),
            }
        }
        let mut r = github_receiver();
        r.on("issues", "h").on("*", "h").mode(Mode::Sync);
        let body = br#"{"action":"opened"}"#;
        let h = github_request(body, "d-verdict");
        let mut answers = Vec::new();
        let Step::Run(d) = begin(&r, &h, body) else { panic!() };
        let Step::Respond(busy) = begin(&r, &h, body) else { panic!() };
        answers.extend([busy, r.finish(&d, false)]); // in progress; handler_failed
        let Step::Run(d) = begin(&r, &h, body) else { panic!() };
        answers.push(r.finish(&d, true));
        let Step::Respond(dup) = begin(&r, &h, body) else { panic!() };
        answers.push(dup);
        let Step::Respond(bad) = begin(&r, &h, br#"{"action":"tampered"}"#) else { panic!() };
        answers.push(bad);
        let mut unrouted = github_receiver();
        unrouted.on("push", "h");
        let Step::Respond(unhandled) = begin(&unrouted, &github_request(body, "d-other"), body) else { panic!() };
        answers.push(unhandled);
        let mut async_r = github_receiver();
        async_r.on("*", "h");
        let Step::Run(d) = begin(&async_r, &github_request(body, "d-async"), body) else { panic!() };
        answers.extend([async_r.accepted(&d), Decision::from_error(&Error::Overloaded { reason: "full".into() })]);
        let verdicts: Vec<&str> = answers.iter().map(|d| d.verdict.as_str()).collect();
        assert_eq!(
            verdicts,
            ["duplicate", "handler_failed", "accepted", "duplicate", "no_matching_signature", "unhandled", "accepted", "overloaded"]
        );
        for d in &answers {
            assert_eq!(d.verdict.as_str(), told(d), "{}", d.body);
        }
    }

    #[test]
    fn statuses_for_errors_and_unhandled() {
        let mut r = github_receiver();
        r.on("push", "h");
        let body = br#"{"action":"opened"}"#;
        let h = github_request(body, "d-3");
        let Step::Respond(d) = begin(&r, &h, body) else { panic!() };
        assert_eq!(d.status, 202, "async default acks unhandled types");
        let mut sync_h = h.clone();
        sync_h.push((SYNC_HEADER.into(), "true".into()));
        let Step::Respond(d) = begin(&r, &sync_h, body) else { panic!() };
        assert_eq!(d.status, 200, "sync: no handler matched is acknowledged");
        let Step::Respond(d) = begin(&r, &h, br#"{"action":"tampered"}"#) else { panic!() };
        assert_eq!(d.status, 401);
        assert!(d.body.contains("no_matching_signature"));
        let nojson = b"not json";
        let Step::Respond(d) = begin(&r, &github_request(nojson, "d-4"), nojson) else { panic!() };
        assert_eq!(d.status, 400);
        let Step::Respond(d) = begin(&r, &vec![], body) else { panic!() };
        assert_eq!(d.status, 401);
        assert!(d.body.contains("missing_header"));
    }

    #[test]
    fn multi_provider_routes_by_provider_and_path() {
        let gh = Verifier::new(Scheme::preset("github").unwrap(), ["s"]).unwrap();
        let stripe = Verifier::new(Scheme::preset("stripe").unwrap(), ["whsec_x"]).unwrap();
        let mut r: Receiver<&str> =
            Receiver::new(vec![Provider::new("stripe", stripe), Provider::new("github", gh)], Box::new(MemoryStore::default())).unwrap();
        r.on_scoped("*", Scope { provider: Some("github".into()), path: Some("/hooks".into()) }, "gh-hooks");
        r.on_scoped("*", Scope { provider: Some("stripe".into()), path: None }, "stripe-any");
        r.mode(Mode::Sync);
        let body = br#"{"action":"opened"}"#;
        let h = github_request(body, "d-5");
        let Step::Run(d) = begin(&r, &h, body) else { panic!() };
        assert_eq!(r.providers()[d.provider].name(), "github");
        assert_eq!(d.handlers.iter().map(|i| *r.handler(*i)).collect::<Vec<_>>(), ["gh-hooks"]);
        let Step::Respond(d) = r.begin(Request { method: "POST", path: "/other", headers: &h, body, now: NOW }) else { panic!() };
        assert_eq!(d.status, 200, "github route is bound to /hooks: unhandled, acknowledged in sync mode");
        let sbody = br#"{"id":"evt_1","type":"invoice.paid","created":1700000000,"data":{}}"#;
        let sh = Signer::new(Scheme::preset("stripe").unwrap(), "whsec_x").unwrap().sign(sbody, None, Some(NOW)).unwrap();
        let Step::Run(d) = r.begin(Request { method: "POST", path: "/other", headers: &sh, body: sbody, now: NOW }) else { panic!() };
        assert_eq!(r.providers()[d.provider].name(), "stripe");
        assert_eq!(d.key, "|stripe|evt_1", "the key never holds the path");
    }
}
