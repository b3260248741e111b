//! End-to-end bench server: `e2e-axum bare|hookverify|async PORT` or `e2e-axum inbox PORT FILE`.
//! One tokio thread (like one Node process or one gunicorn worker), Standard Webhooks on
//! `POST /webhooks`.
//! - `bare`: the route takes the body as `Bytes` and answers 200 without checking anything.
//! - `hookverify`: `hookverify::axum::Webhooks` (verify + MemoryStore dedup + dispatch to a no-op
//!   `user.created` handler), sync mode so the handler runs before the answer.
//! - `async`: the same in async mode (202, then the handler), in memory: the inbox bench's baseline.
//! - `inbox`: `async` with the SQLite inbox at FILE (bench/e2e/inbox.py): each event is committed
//!   before the 202, leased to this process, its handler run, then marked done.

use axum::body::Bytes;
use axum::routing::post;
use hookverify::axum::{Context, Webhooks};
use hookverify::inbox::{Durable, Retry, SqliteInbox};
use hookverify::{MemoryStore, Mode, Provider, Scheme, Verifier};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (mode, port) = (args.get(1).map(String::as_str).unwrap_or("bare"), args.get(2).map(String::as_str).unwrap_or("3000"));
    let app = match mode {
        "bare" => axum::Router::new().route(
            "/webhooks",
            post(|body: Bytes| async move {
                std::hint::black_box(body.len());
                ""
            }),
        ),
        "hookverify" | "async" | "inbox" => {
            let verifier = Verifier::new(Scheme::preset("standard")?, [SECRET])?;
            let mode_ = if mode == "hookverify" { Mode::Sync } else { Mode::Async };
            let hooks = Webhooks::new(vec![Provider::new("standard", verifier)], MemoryStore::default())?.mode(mode_);
            let hooks = match (mode, args.get(3)) {
                ("inbox", Some(file)) => hooks.inbox(std::sync::Arc::new(SqliteInbox::open(file)?), Durable::new(Retry::default())),
                ("inbox", None) => return Err("e2e-axum inbox PORT FILE: the inbox file is missing".into()),
                _ => hooks,
            };
            let hooks = hooks.on("user.created", |ctx: Context| async move {
                std::hint::black_box(&ctx.event.id);
                Ok(())
            });
            axum::Router::new().route("/webhooks", hooks.into_method_router())
        }
        other => return Err(format!("unknown mode {other}").into()),
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
        eprintln!("e2e-axum {mode} on {}", listener.local_addr()?);
        axum::serve(listener, app).await
    })?;
    Ok(())
}
