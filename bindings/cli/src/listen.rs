//! `hookverify listen`: a local receiver that prints each accepted event as one JSON line.

use std::io::Write as _;
use std::pin::pin;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use hookverify::axum::{Context, Webhooks, DEFAULT_BODY_TIMEOUT};
use hookverify::verify::DEFAULT_MAX_BODY_BYTES;
use hookverify::{MemoryStore, Mode, Provider, Verifier};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::json;

use crate::common::{usage_error, RedisArgs, SchemeArgs, SecretArgs};

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
    /// Path to receive on.
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
    let verifier = match Verifier::builder(scheme.clone()).secrets(&secrets).max_body_bytes(args.max_body_bytes).build() {
        Ok(v) => v,
        Err(e) => return usage_error(&e.to_string()),
    };
    let providers = vec![Provider::new(scheme.name(), verifier)];
    let hooks = match &redis {
        Some(url) => hookverify::dedup::RedisStore::open(url).and_then(|store| Webhooks::new(providers, store)),
        None => Webhooks::new(providers, MemoryStore::default()),
    };
    let mut hooks = match hooks {
        Ok(h) => h,
        Err(e) => return usage_error(&e.to_string()),
    };
    if let Some(namespace) = &args.namespace {
        hooks.receiver_mut().namespace(namespace);
    }
    let hooks = hooks
        .on("*", |ctx: Context| async move {
            print_event(&ctx);
            Ok(())
        })
        .mode(if args.sync { Mode::Sync } else { Mode::Async })
        .body_timeout(Some(Duration::from_secs(args.body_timeout)))
        // One line per rejected delivery: code, status and the detail the answer leaves out.
        .on_reject(|line| {
            // Not eprintln!: a closed stderr must not turn into a panic that drops the answer.
            let _ = writeln!(std::io::stderr(), "hookverify: {line}");
        });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        let app = axum::Router::new().route(&args.path, hooks.into_method_router());
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
            Ok(l) => l,
            Err(e) => return usage_error(&format!("cannot listen on 127.0.0.1:{}: {e}", args.port)),
        };
        let addr = listener.local_addr().expect("bound socket has an address");
        eprintln!("hookverify: listening on http://{addr}{} ({} mode)", args.path, if args.sync { "sync" } else { "async" });
        serve(listener, app, Duration::from_secs(args.header_timeout), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        ExitCode::SUCCESS
    })
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

fn print_event(ctx: &Context) {
    use std::io::Write;
    let e = &ctx.event;
    let data: serde_json::Value = e.data().unwrap_or(serde_json::Value::Null);
    let line = json!({
        "id": e.id, "type": e.event_type, "timestamp": e.timestamp, "key_index": e.key_index,
        "provider": ctx.provider, "token": ctx.token.0, "data": data,
    });
    let mut out = std::io::stdout().lock();
    // One line per event, flushed so a pipe reader sees it at once.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
