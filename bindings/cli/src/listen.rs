//! `hookverify listen`: a local receiver that prints each accepted event as one JSON line.

use std::process::ExitCode;

use clap::Args;
use hookverify::axum::{Context, Webhooks};
use hookverify::{MemoryStore, Mode, Provider, Verifier};
use serde_json::json;

use crate::common::{usage_error, SchemeArgs};

/// Arguments of `hookverify listen`.
#[derive(Args, Debug)]
pub struct ListenArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed to stderr).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    #[command(flatten)]
    scheme: SchemeArgs,
    /// A live secret; repeat for rotation.
    #[arg(long = "secret", required = true)]
    secrets: Vec<String>,
    /// Share duplicate suppression through Redis (`redis://host:port/db`) instead of memory.
    #[arg(long)]
    redis: Option<String>,
    /// Answer after handling (200) instead of on acceptance (202).
    #[arg(long)]
    sync: bool,
    /// Path to receive on.
    #[arg(long, default_value = "/")]
    path: String,
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
    let verifier = match Verifier::new(scheme.clone(), &args.secrets) {
        Ok(v) => v,
        Err(e) => return usage_error(&e.to_string()),
    };
    let providers = vec![Provider::new(scheme.name(), verifier)];
    let hooks = match &args.redis {
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
        .mode(if args.sync { Mode::Sync } else { Mode::Async });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        let app = axum::Router::new().route(&args.path, hooks.into_method_router());
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
            Ok(l) => l,
            Err(e) => return usage_error(&format!("cannot listen on 127.0.0.1:{}: {e}", args.port)),
        };
        let addr = listener.local_addr().expect("bound socket has an address");
        eprintln!("hookverify: listening on http://{addr}{} ({} mode)", args.path, if args.sync { "sync" } else { "async" });
        let shutdown = async {
            tokio::signal::ctrl_c().await.ok();
        };
        match axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage_error(&e.to_string()),
        }
    })
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
