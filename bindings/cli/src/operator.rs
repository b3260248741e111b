//! The operator address of `hookverify serve` (issue 21, parts 4 and 5): the message log page,
//! its JSON API (list, details, replay) and `/metrics`, on their own listener — loopback by
//! default — and behind a bearer token from the configuration.
//!
//! Routes:
//! - `GET /` — the page: one self-contained HTML document (no external request: its
//!   Content-Security-Policy forbids any), which asks for the token and keeps it in the tab's
//!   `sessionStorage`. It holds no data itself.
//! - `GET /metrics` — the receiver's metrics, Prometheus text format.
//! - `GET /api/deliveries?status=&provider=&limit=` — recorded deliveries, newest first.
//! - `GET /api/deliveries/{id}` — one delivery (record id or event id): headers (credentials
//!   redacted), body, verdict, every attempt.
//! - `POST /api/deliveries/{id}/replay` — runs its functions again now, bypassing dedup.
//!
//! Every route but the page needs `Authorization: Bearer <token>`, compared in constant time; a
//! missing or wrong token is 401 and the token is never echoed or logged. A header, not a cookie,
//! carries it, so another site cannot make the browser send it (no CSRF).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hookverify::inbox::{Filter, Inbox, State as RecordState, Summary};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Runs the functions of the record or event named by the key again (the daemon's
/// [`Webhooks::replay`](hookverify::axum::Webhooks::replay)): `Ok(None)` when they all succeeded,
/// `Ok(Some(error))` when one failed, `Err` when it cannot be replayed (no such accepted event, in
/// progress, inbox down).
pub(crate) type ReplayFn = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send>> + Send + Sync>;

/// Everything the operator routes read.
#[derive(Clone)]
pub(crate) struct Operator {
    /// SHA-256 of the token: compared in constant time, the token itself not kept.
    token_digest: [u8; 32],
    inbox: Option<Arc<dyn Inbox>>,
    metrics: Arc<dyn Fn() -> String + Send + Sync>,
    replay: Option<ReplayFn>,
}

impl Operator {
    /// The operator routes over `inbox` (none: the log routes answer 404 `no_inbox`), the
    /// receiver's metrics text, and the daemon's replay.
    pub(crate) fn new(
        token: &str,
        inbox: Option<Arc<dyn Inbox>>,
        metrics: Arc<dyn Fn() -> String + Send + Sync>,
        replay: Option<ReplayFn>,
    ) -> Operator {
        Operator { token_digest: Sha256::digest(token.as_bytes()).into(), inbox, metrics, replay }
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) else {
            return false;
        };
        // Equal-length digests, compared without an early exit.
        let digest: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
        digest.iter().zip(self.token_digest.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// The operator app.
pub(crate) fn router(operator: Operator) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/metrics", get(metrics))
        .route("/api/deliveries", get(list))
        .route("/api/deliveries/{id}", get(show))
        .route("/api/deliveries/{id}/replay", post(replay))
        .with_state(operator)
}

const PAGE: &str = include_str!("operator.html");

async fn page() -> Response {
    let mut response = PAGE.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // Only this document's own inline script and style, and requests to this origin: the page
    // cannot load or send anything elsewhere.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (status, axum::Json(serde_json::json!({ "error": { "code": code, "message": message } }))).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "unauthorized", "this route needs Authorization: Bearer <the operator token>")
}

fn json<T: Serialize>(value: &T) -> Response {
    let mut r = axum::Json(value).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn no_inbox() -> Response {
    error(StatusCode::NOT_FOUND, "no_inbox", "no inbox is configured (set `inbox` in the config)")
}

/// Runs a blocking inbox call off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> hookverify::Result<T> + Send + 'static) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error(StatusCode::SERVICE_UNAVAILABLE, e.code().as_str(), &e.to_string())),
        Err(_) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the inbox call failed")),
    }
}

async fn metrics(State(op): State<Operator>, headers: HeaderMap) -> Response {
    if !op.authorized(&headers) {
        return unauthorized();
    }
    let mut r = (op.metrics)().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    r
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    provider: Option<String>,
    limit: Option<u32>,
}

async fn list(State(op): State<Operator>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    if !op.authorized(&headers) {
        return unauthorized();
    }
    let Some(inbox) = op.inbox.clone() else {
        return no_inbox();
    };
    let mut filter = Filter::new();
    if let Some(status) = q.status.as_deref().filter(|s| !s.is_empty()) {
        match RecordState::parse_status(status) {
            Ok(s) => filter = filter.state(s),
            Err(e) => return error(StatusCode::BAD_REQUEST, e.code().as_str(), &e.to_string()),
        }
    }
    if let Some(p) = q.provider.as_deref().filter(|s| !s.is_empty()) {
        filter = filter.provider(p);
    }
    if let Some(limit) = q.limit {
        filter = filter.limit(limit.clamp(1, 1000));
    }
    match blocking(move || inbox.list(&filter)).await {
        Ok(rows) => json(&serde_json::json!({ "deliveries": rows.iter().map(summary_json).collect::<Vec<_>>() })),
        Err(r) => r,
    }
}

fn summary_json(s: &Summary) -> serde_json::Value {
    serde_json::to_value(s).unwrap_or_default()
}

async fn show(State(op): State<Operator>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !op.authorized(&headers) {
        return unauthorized();
    }
    let Some(inbox) = op.inbox.clone() else {
        return no_inbox();
    };
    match blocking(move || inbox.show(&id)).await {
        Ok(Some(record)) => json(&hookverify::inbox::record_json(&record)),
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", "no delivery has that record id or event id"),
        Err(r) => r,
    }
}

async fn replay(State(op): State<Operator>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !op.authorized(&headers) {
        return unauthorized();
    }
    let Some(replay) = op.replay.clone() else {
        return error(StatusCode::NOT_FOUND, "no_inbox", "replay needs an inbox (set `inbox` in the config)");
    };
    // The path names a record id or an event id, as `show` does.
    match replay(id.clone()).await {
        Ok(None) => json(&serde_json::json!({ "id": id, "ok": true })),
        Ok(Some(failure)) => json(&serde_json::json!({ "id": id, "ok": false, "error": failure })),
        Err(message) => error(StatusCode::CONFLICT, "not_replayable", &message),
    }
}
