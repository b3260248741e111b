//! `hookverify listen`: a local receiver that prints each accepted event as one JSON line.

use std::io::Write as _;
use std::pin::pin;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use hookverify::axum::{Context, HandlerError, Outcome, DEFAULT_BODY_TIMEOUT};
use hookverify::verify::DEFAULT_MAX_BODY_BYTES;
use hookverify::ReceiverConfig;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::json;

use crate::common::{usage_error, RedisArgs, SchemeArgs, SecretArgs};
use crate::serve::log;

/// Default of `--header-timeout`, in seconds.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;

/// Arguments of `hookverify listen`.
#[derive(Args, Debug)]
pub struct ListenArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed to stderr).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    #[command(flatten)]
    scheme: SchemeArgs,
    /// Live secrets (rotation: give several).
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    redis: RedisArgs,
    /// Answer after handling (200) instead of on acceptance (202).
    #[arg(long)]
    sync: bool,
    /// The path the banner shows (where to point the sender). Every path is accepted; each
    /// delivery's log line names the one it came on.
    #[arg(long, default_value = "/")]
    path: String,
    /// Largest body accepted; a larger one is answered 413 `payload_too_large` (a declared
    /// Content-Length before any of the body is read) and its connection closed.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Seconds a connection may take to send a request's headers (and may sit idle between
    /// requests) before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_HEADER_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a request may take to send its whole body; a late one is answered 408 and its
    /// connection closed.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_BODY_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Endpoint name for duplicate suppression, when several listeners share one `--redis` store
    /// (the dedup key is namespace|provider|id; it never holds the path).
    #[arg(long)]
    namespace: Option<String>,
    /// Reject an event whose signed timestamp is more than this many seconds old (or ahead):
    /// `timestamp_too_old` / `timestamp_too_new`; for schemes that sign the time in the body.
    #[arg(long, value_name = "SECONDS")]
    max_event_age: Option<u64>,
    /// A token a Meta-style `GET ?hub.mode=subscribe` handshake's `hub.verify_token` must equal
    /// (repeatable: any of them; for a scheme that declares `meta_subscribe`).
    #[arg(long = "verify-token", value_name = "TOKEN")]
    verify_tokens: Vec<String>,
    /// The URL the sender calls, exactly as registered with it (schemes that sign it: square,
    /// twilio, trello, hubspot). Behind a tunnel or proxy this is the public URL, not 127.0.0.1.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The method the sender uses (schemes that sign it: hubspot; default POST).
    #[arg(long, value_name = "M")]
    method: Option<String>,
}

pub fn run(args: ListenArgs) -> ExitCode {
    let scheme = match args.scheme.resolve() {
        Ok(s) => s,
        Err(e) => return usage_error(&e.to_string()),
    };
    let (secrets, redis) = match (args.secrets.load(), args.redis.load()) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => return usage_error(&e),
    };
    // The same receiver `serve` runs, from the core's config: one provider, one `*` route (every
    // path: `--path` is only where the banner says to send).
    let mut provider = json!({
        "name": scheme.label(),
        "scheme": match &args.scheme.scheme { Some(preset) => json!(preset), None => json!(scheme.spec()) },
        "secrets": secrets,
        "max_body_bytes": args.max_body_bytes,
    });
    if let Some(url) = &args.url {
        provider["url"] = json!(url);
    }
    if let Some(method) = &args.method {
        provider["method"] = json!(method);
    }
    if let Some(age) = args.max_event_age {
        provider["max_event_age"] = json!(age);
    }
    if !args.secrets.public_keys().is_empty() {
        provider["public_keys"] = json!(args.secrets.public_keys());
    }
    if !args.verify_tokens.is_empty() {
        provider["verify_tokens"] = json!(args.verify_tokens);
    }
    let mut config = json!({
        "providers": [provider],
        "routes": [{"pattern": "*"}],
        "mode": if args.sync { "sync" } else { "async" },
    });
    if let Some(namespace) = &args.namespace {
        config["namespace"] = json!(namespace);
    }
    let built = ReceiverConfig::from_json(&config.to_string())
        .map_err(|e| e.to_string())
        .and_then(|config| crate::serve::receiver(&config, redis.as_deref(), |_| print_event));
    let (hooks, redis_note) = match built {
        Ok(h) => h,
        Err(e) => return usage_error(&e),
    };
    // Rejected deliveries are logged by the middleware below, with their path.
    let hooks = hooks.body_timeout(Some(Duration::from_secs(args.body_timeout))).on_reject(|_| {});
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        let app = axum::Router::new().fallback_service(hooks.into_method_router()).layer(axum::middleware::from_fn(log_rejected));
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
            Ok(l) => l,
            Err(e) => return usage_error(&format!("cannot listen on 127.0.0.1:{}: {e}", args.port)),
        };
        let addr = listener.local_addr().expect("bound socket has an address");
        log(&format!(
            "hookverify: listening on http://{addr}{} ({} mode; any path is accepted)",
            args.path,
            if args.sync { "sync" } else { "async" }
        ));
        if let Some(note) = redis_note {
            log(&note);
        }
        serve(listener, app, Duration::from_secs(args.header_timeout), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        ExitCode::SUCCESS
    })
}

/// One stderr line per rejected delivery: the core's line (code, status, provider and the
/// detail the answer leaves out), then the path it came on (escaped: the sender chose it).
async fn log_rejected(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(line) = response.extensions().get::<Outcome>().and_then(|o| o.rejected.as_deref()) {
        log(&format!("hookverify: {line} path={}", hookverify::log_safe(&path)));
    }
    response
}

/// Serves HTTP/1.1 until `shutdown` completes (Ctrl-C for `listen`, SIGTERM for `serve`), then
/// stops accepting and lets open requests finish. Unlike `axum::serve`, each
/// connection has a header-read timeout (hyper's, which also bounds idle keep-alive time), so
/// connections that never finish their headers cannot pile up (slowloris).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait for connections to close (as
                    // axum::serve does); a failed handshake is just skipped.
                    if !matches!(e.kind(), std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset) {
                        eprintln!("hookverify: accept failed: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's own failure (reset, header timeout) concerns only that connection.
            let _ = connection.await;
        });
    }
    graceful.shutdown().await;
}

/// The handler: one JSON line per accepted event on stdout, with the path it came on.
async fn print_event(ctx: Context) -> Result<(), HandlerError> {
    let e = &ctx.event;
    let data: serde_json::Value = e.data().unwrap_or(serde_json::Value::Null);
    let line = json!({
        "id": e.id, "type": e.event_type, "timestamp": e.timestamp, "key_index": e.key_index,
        "provider": ctx.provider, "path": ctx.path, "token": ctx.token.0, "data": data,
    });
    let mut out = std::io::stdout().lock();
    // One line per event, flushed so a pipe reader sees it at once.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    Ok(())
}
