//! axum integration (feature `axum`): a handler that reads the raw body, runs
//! the [`Receiver`] pipeline and answers per its ack policy.
//!
//! ```no_run
//! use hookverify::axum::{Webhooks, Context};
//! use hookverify::{MemoryStore, Provider, Scheme, Verifier};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(Scheme::preset("github")?, ["my-secret"])?;
//! let hooks = Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default())?
//!     .on("issues.opened", |ctx: Context| async move {
//!         println!("issue opened: {}", ctx.event.id);
//!         Ok(())
//!     });
//! let app = axum::Router::new().route("/webhooks", hooks.into_method_router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! The route reads the body itself, with the cap and a deadline: a declared `Content-Length`
//! over the largest verifier cap is answered `413` (the core's `payload_too_large` JSON) before
//! any of the body is read, a chunked body is stopped at the first frame past the cap, and a
//! body not complete within [`DEFAULT_BODY_TIMEOUT`] (see [`Webhooks::body_timeout`]) is
//! answered `408`; each of these answers closes the connection. A header-read timeout is the
//! server's: `axum::serve` sets none, hyper's `http1::Builder::header_read_timeout` (with a
//! timer) does — `hookverify listen` serves that way.
//!
//! Every rejected delivery (401, 400, 413, 503, …) is logged once, as a `tracing` WARN event with
//! target `hookverify` whose message is [`Error::log_line`](crate::Error::log_line): code, status,
//! provider, and the detail the answer leaves out (how many secrets were tried, the store's
//! error). Any `tracing` subscriber shows them (`tracing_subscriber::fmt().init()`);
//! [`Webhooks::on_reject`] sends them elsewhere.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};

use crate::config::ReceiverConfig;
use crate::dedup::{Store, Token};
use crate::error::Result;
use crate::event::{Event, EventRef};
use crate::receiver::{Decision, Delivery, Mode, Provider, Receiver, Request, Scope, Step};

#[cfg(feature = "inbox")]
mod durable;
#[cfg(feature = "inbox")]
pub use durable::WorkerHandle;

/// What a handler receives.
#[derive(Debug, Clone)]
pub struct Context {
    /// The verified event.
    pub event: Event,
    /// The claim's fencing token: pass it to writes that must reject stale workers.
    pub token: Token,
    /// The provider that matched.
    pub provider: String,
    /// The request path (no query).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The raw body, exactly as received (shared, not copied).
    pub body: Bytes,
}

/// What the route did with a request, attached to its response as an extension (never sent):
/// what an access log needs beside the status. `hookverify serve` logs one line per delivery
/// from it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Outcome {
    /// The provider that matched the request (`None` when none did, or the request was refused
    /// before matching: outside `base_path`, body too large).
    pub provider: Option<String>,
    /// The delivery's event id and type, when handlers were started.
    pub event: Option<(String, String)>,
    /// For a rejected delivery, its log line ([`Decision::log`]: code, status, provider, detail;
    /// never a secret).
    pub rejected: Option<String>,
}

/// A handler's error: anything displayable. Failing releases the claim so the sender's retry runs it again.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

type BoxFuture = Pin<Box<dyn Future<Output = std::result::Result<(), HandlerError>> + Send>>;
type Handler = Arc<dyn Fn(Context) -> BoxFuture + Send + Sync>;
type RejectLog = Arc<dyn Fn(&str) + Send + Sync>;

/// The default [`Webhooks::on_reject`]: a `tracing` WARN event, target `hookverify`.
fn trace_reject(line: &str) {
    tracing::warn!(target: "hookverify", "{line}");
}

/// How long the route waits for a request's whole body, from the moment its handler starts,
/// unless [`Webhooks::body_timeout`] says otherwise.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Webhook endpoint for axum: providers, a store, and typed-event handlers.
pub struct Webhooks {
    receiver: Receiver<Handler>,
    store_may_block: bool,
    body_timeout: Option<Duration>,
    on_reject: RejectLog,
    /// Durable async mode: the inbox and its worker.
    #[cfg(feature = "inbox")]
    durable: Option<Arc<durable::DurableState>>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").field("receiver", &self.receiver).field("body_timeout", &self.body_timeout).finish()
    }
}

fn boxed<F, Fut>(handler: F) -> Handler
where
    F: Fn(Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
{
    Arc::new(move |ctx| Box::pin(handler(ctx)))
}

impl Webhooks {
    /// An endpoint for these providers (priority order) with a dedup store.
    pub fn new(providers: Vec<Provider>, store: impl Store + 'static) -> Result<Webhooks> {
        let store_may_block = store.may_block();
        Ok(Webhooks {
            receiver: Receiver::new(providers, Box::new(store))?,
            store_may_block,
            body_timeout: Some(DEFAULT_BODY_TIMEOUT),
            on_reject: Arc::new(trace_reject),
            #[cfg(feature = "inbox")]
            durable: None,
        })
    }

    /// The endpoint `config` describes, on `store`: route `i`'s handler is `handler(i)`, the
    /// unhandled one (if `config.unhandled`) `handler(config.routes.len())`. With `config.inbox`
    /// (feature `inbox-sqlite`) it is durable: [`Webhooks::inbox`] with the inbox opened and
    /// [`ReceiverConfig::durable`].
    pub fn from_config<F, Fut>(
        config: &ReceiverConfig,
        store: impl Store + 'static,
        mut handler: impl FnMut(usize) -> F,
    ) -> Result<Webhooks>
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        let store_may_block = store.may_block();
        let hooks = Webhooks {
            receiver: config.build_with_inbox(Box::new(store))?.map_handlers(|i| boxed(handler(i))),
            store_may_block,
            body_timeout: Some(DEFAULT_BODY_TIMEOUT),
            on_reject: Arc::new(trace_reject),
            #[cfg(feature = "inbox")]
            durable: None,
        };
        // `inbox`: durable mode (a relative path is relative to the working directory here).
        #[cfg(feature = "inbox")]
        if let Some(inbox) = config.open_inbox(std::path::Path::new("."))? {
            return Ok(hooks.inbox(inbox, config.durable()?));
        }
        #[cfg(not(feature = "inbox"))]
        if config.inbox.is_some() {
            return Err(crate::Error::InvalidArgument { reason: "`inbox` needs the inbox-sqlite feature".into() });
        }
        Ok(hooks)
    }

    /// Adds an async handler for an event-type pattern (`user.created`, `user.*`, `*`).
    pub fn on<F, Fut>(mut self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        self.receiver.on(pattern, boxed(handler));
        self
    }

    /// Adds a handler limited to one provider and/or path.
    pub fn on_scoped<F, Fut>(mut self, pattern: &str, scope: Scope, handler: F) -> Self
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        self.receiver.on_scoped(pattern, scope, boxed(handler));
        self
    }

    /// The handler for event types nothing else takes.
    pub fn unhandled<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        self.receiver.unhandled(boxed(handler));
        self
    }

    /// Sync (200/500 after handlers) or async (202 before) by default.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.receiver.mode(mode);
        self
    }

    /// The status for an event type no handler takes (default 202 async, 200 sync); see
    /// [`Receiver::unhandled_status`].
    pub fn unhandled_status(mut self, status: u16) -> Self {
        self.receiver.unhandled_status(status);
        self
    }

    /// The header that switches one request to sync mode (default `Hookverify-Sync: true`); see
    /// [`Receiver::sync_header`].
    pub fn sync_header(mut self, name: &str, value: &str) -> Self {
        self.receiver.sync_header(name, value);
        self
    }

    /// Routes' paths are relative to `base_path`, and a request outside it is 404; see
    /// [`Receiver::base_path`]. Under `Router::nest` the request's original URI is matched, so
    /// set this to the full mount path.
    pub fn base_path(mut self, base_path: &str) -> Self {
        self.receiver.base_path(base_path);
        self
    }

    /// How long the route waits for the whole body ([`DEFAULT_BODY_TIMEOUT`]; `None`: no deadline).
    /// A body that is late is answered `408 Request Timeout` (empty body) and the connection is
    /// closed. The deadline needs tokio's time driver (`#[tokio::main]` and `enable_all()` turn it on).
    pub fn body_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Where the log line of each rejected delivery goes ([`Decision::log`]: code, status,
    /// provider, detail; never a secret). The default is a `tracing` WARN event with target
    /// `hookverify`; `hookverify listen` prints them on stderr.
    pub fn on_reject(mut self, log: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_reject = Arc::new(log);
        self
    }

    /// The answer for `decision`, its log line (if it rejects the delivery) sent to `on_reject`.
    /// `provider`: the index of the provider that matched, if one did (for the [`Outcome`]).
    fn respond(&self, decision: Decision, provider: Option<usize>) -> Response {
        let rejected = decision.log.clone();
        if let Some(line) = &rejected {
            (self.on_reject)(line);
        }
        let mut response = into_response(decision);
        let provider = provider.map(|i| self.receiver.providers()[i].name().to_owned());
        response.extensions_mut().insert(Outcome { provider, rejected, event: None });
        response
    }

    /// Durable mode (feature `inbox-sqlite`): every delivery is recorded in `inbox`, an accepted
    /// async event is committed there before it is answered `202` — the inbox's unique dedup key
    /// is then the dedup, across restarts and across processes sharing the inbox — and its handlers
    /// run from the inbox in a worker loop, retried per `durable.retry` and dead-lettered after
    /// the last attempt; events a dead process left leased are run again once their lease
    /// expires. Sync deliveries still run in the request (claimed in the store) and are recorded
    /// with their attempt. The worker starts with [`into_method_router`](Webhooks::into_method_router)
    /// inside a tokio runtime (or with the first request); [`worker`](Webhooks::worker) stops it.
    #[cfg(feature = "inbox")]
    pub fn inbox(mut self, inbox: Arc<dyn crate::inbox::Inbox>, durable: crate::inbox::Durable) -> Self {
        self.durable = Some(Arc::new(durable::DurableState::new(inbox, durable)));
        self
    }

    /// The underlying receiver, for its other settings.
    pub fn receiver_mut(&mut self) -> &mut Receiver<Handler> {
        &mut self.receiver
    }

    /// A route running the pipeline for every method: deliveries are `POST`; a `GET` reaches the
    /// core for the handshakes a provider's scheme declares (Meta, Dropbox, Okta), and any other
    /// request is answered 405 `method_not_allowed` by the core. It reads the body itself: the limit is the largest
    /// verifier cap (a declared `Content-Length` over it is refused before reading), within the
    /// [`body_timeout`](Webhooks::body_timeout).
    pub fn into_method_router<S: Clone + Send + Sync + 'static>(self) -> MethodRouter<S> {
        Arc::new(self).method_router()
    }

    /// [`into_method_router`](Webhooks::into_method_router) for a receiver kept shared, so the
    /// caller can still read its [`metrics`](Receiver::metrics), [`inbox`](Webhooks::inbox_of) and
    /// [`replay`](Webhooks::replay) (an operator page beside the receiver).
    pub fn method_router<S: Clone + Send + Sync + 'static>(self: &Arc<Self>) -> MethodRouter<S> {
        #[cfg(feature = "inbox")]
        self.start_worker();
        any(handle).with_state(Arc::clone(self))
    }

    /// The underlying receiver (its metrics, providers, limits).
    pub fn receiver(&self) -> &Receiver<Handler> {
        &self.receiver
    }

    /// The inbox given to [`inbox`](Webhooks::inbox), if any.
    #[cfg(feature = "inbox")]
    pub fn inbox_of(&self) -> Option<Arc<dyn crate::inbox::Inbox>> {
        self.durable.as_ref().map(|d| Arc::clone(&d.inbox))
    }

    /// Reads `body` within the cap and the deadline, or the answer that refuses it.
    async fn read_body(&self, body: Body) -> std::result::Result<Bytes, Response> {
        let limit = self.receiver.max_body_bytes();
        let read = read_capped(body, limit);
        let outcome = match self.body_timeout {
            Some(deadline) => tokio::time::timeout(deadline, read).await.unwrap_or(Err(BodyError::Late)),
            None => read.await,
        };
        outcome.map_err(|e| {
            let mut response = match e {
                BodyError::TooLarge(size) => match self.receiver.too_large(size as u64) {
                    Some(decision) => self.respond(decision, None),
                    None => internal_error(), // cannot happen: `size` is over the same limit
                },
                BodyError::Late => StatusCode::REQUEST_TIMEOUT.into_response(),
                BodyError::Failed => StatusCode::BAD_REQUEST.into_response(),
            };
            // The rest of the body is never read: close instead of draining it.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        })
    }

    /// Runs one `POST` request through the pipeline (usable from your own handler); see
    /// [`handle_method`](Webhooks::handle_method) for the route's own, any-method entry.
    pub async fn handle(self: Arc<Self>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        self.handle_method(&axum::http::Method::POST, uri, headers, body).await
    }

    /// Runs one request of any method through the pipeline (what the route calls): the core
    /// answers the handshakes a `GET` may carry and 405 to other non-`POST` requests.
    pub async fn handle_method(self: Arc<Self>, method: &axum::http::Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let method_text = method.as_str().to_owned();
        let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
        let now = crate::verify::unix_now();
        #[cfg(feature = "inbox")]
        if self.durable.is_some() {
            return self.handle_durable(&method_text, path, headers, body, now).await;
        }
        let step = if self.store_may_block {
            let this = self.clone();
            let (method, path, headers, body) = (method_text.clone(), path.clone(), headers.clone(), body.clone());
            match tokio::task::spawn_blocking(move || this.begin(&method, &path, &headers, &body, now)).await {
                Ok(step) => step,
                Err(_) => return internal_error(),
            }
        } else {
            self.begin(&method_text, &path, &headers, &body, now)
        };
        let delivery = match step {
            (Step::Respond(decision), provider) => return self.respond(decision, provider),
            (Step::Run(delivery), _) => delivery,
        };
        // The handlers' event: its payload copied out of the body once, shared by every handler.
        let Ok(event) = delivery.event.with_body(&body).map(EventRef::into_owned) else {
            // Cannot happen (this is the body the delivery was parsed from); never leave the claim held.
            self.finish(delivery, false).await;
            return internal_error();
        };
        let outcome = Outcome {
            provider: Some(self.receiver.providers()[delivery.provider].name().to_owned()),
            event: Some((event.id.clone(), event.event_type.clone())),
            rejected: None,
        };
        let mut response = if delivery.sync {
            let ok = self.run_handlers(&delivery, &event, &body).await;
            into_response(self.finish(delivery, ok).await)
        } else {
            let answer = self.receiver.accepted(&delivery);
            tokio::spawn(async move {
                let ok = self.run_handlers(&delivery, &event, &body).await;
                self.finish(delivery, ok).await;
            });
            into_response(answer)
        };
        response.extensions_mut().insert(outcome);
        response
    }

    fn begin(&self, method: &str, path: &str, headers: &HeaderMap, body: &[u8], now: i64) -> (Step, Option<usize>) {
        self.receiver.begin_matched(Request { method, path, headers, body, now })
    }

    /// Runs every matched handler in order; a panic counts as a failure.
    async fn run_handlers(&self, delivery: &Delivery, event: &Event, body: &Bytes) -> bool {
        self.run_handlers_result(delivery, event, body).await.is_ok()
    }

    /// [`run_handlers`](Webhooks::run_handlers), the first failure's text as its error.
    async fn run_handlers_result(&self, delivery: &Delivery, event: &Event, body: &Bytes) -> std::result::Result<(), String> {
        for index in &delivery.handlers {
            let ctx = Context {
                event: event.clone(),
                token: delivery.token,
                provider: self.receiver.providers()[delivery.provider].name().to_owned(),
                path: delivery.path.clone(),
                query: delivery.query.clone(),
                body: body.clone(),
            };
            let fut = (self.receiver.handler(*index))(ctx);
            // Polled in place (no task hop per handler); a panic inside it is a failure.
            match (CatchUnwind { inner: fut }).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e.to_string()),
                Err(()) => return Err("the handler panicked".into()),
            }
        }
        Ok(())
    }

    async fn finish(self: &Arc<Self>, delivery: Delivery, ok: bool) -> Decision {
        if self.store_may_block {
            let this = self.clone();
            tokio::task::spawn_blocking(move || this.receiver.finish(&delivery, ok)).await.unwrap_or_else(|_| {
                Decision::from_error(&crate::Error::InternalError { reason: "finishing a delivery: the task panicked".into() })
            })
        } else {
            self.receiver.finish(&delivery, ok)
        }
    }
}

/// Polls a boxed handler future, turning a panic during any poll into `Err(())`.
struct CatchUnwind {
    inner: BoxFuture,
}

impl Future for CatchUnwind {
    type Output = std::result::Result<std::result::Result<(), HandlerError>, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let inner = &mut self.inner;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(result)) => std::task::Poll::Ready(Ok(result)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(Err(())),
        }
    }
}

async fn handle(State(hooks): State<Arc<Webhooks>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    // Under `Router::nest` the URI is the nested remainder: routes and `base_path` match the
    // request's original path instead, so they mean the same mounted or not.
    let uri = match parts.extensions.get::<OriginalUri>() {
        Some(OriginalUri(original)) => original.clone(),
        None => parts.uri,
    };
    match hooks.read_body(body).await {
        Ok(body) => hooks.handle_method(&parts.method, uri, parts.headers, body).await,
        Err(refused) => {
            #[cfg(feature = "inbox")]
            if hooks.durable.is_some() {
                hooks.record_unread(&uri, &parts.headers, refused.status().as_u16()).await;
            }
            refused
        }
    }
}

/// Why a body was not read.
enum BodyError {
    /// Over the cap: the declared length, or the bytes received when reading stopped.
    TooLarge(usize),
    /// Not complete within the deadline.
    Late,
    /// The connection failed while reading.
    Failed,
}

/// Reads a whole body of at most `limit` bytes. A body that declares more (`Content-Length`) is
/// refused before any of it is read; one that sends more (chunked) is refused at the first frame
/// past the cap. A body that arrives in one frame is returned without a copy.
async fn read_capped(mut body: Body, limit: usize) -> std::result::Result<Bytes, BodyError> {
    let declared = body.size_hint().lower();
    if declared > limit as u64 {
        return Err(BodyError::TooLarge(usize::try_from(declared).unwrap_or(usize::MAX)));
    }
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut len = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(data) = frame.map_err(|_| BodyError::Failed)?.into_data() else {
            continue; // trailers
        };
        len = len.saturating_add(data.len());
        if len > limit {
            return Err(BodyError::TooLarge(len));
        }
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            held => {
                if let Some(held) = held {
                    joined.extend_from_slice(&held);
                }
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(joined)))
}

fn internal_error() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// Turns a core decision into an axum response.
pub fn into_response(decision: Decision) -> Response {
    let mut response = Response::new(Body::from(decision.body));
    *response.status_mut() = StatusCode::from_u16(decision.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in decision.headers {
        let value = match value {
            Cow::Borrowed(v) => HeaderValue::from_str(v),
            Cow::Owned(v) => HeaderValue::try_from(v),
        };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), value) {
            response.headers_mut().insert(n, v);
        }
    }
    response
}
