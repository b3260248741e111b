//! End-to-end bench server: `e2e-axum bare|hookverify PORT`. One tokio thread (like one Node
//! process or one gunicorn worker), Standard Webhooks on `POST /webhooks`.
//! - `bare`: the route takes the body as `Bytes` and answers 200 without checking anything.
//! - `hookverify`: `hookverify::axum::Webhooks` (verify + MemoryStore dedup + dispatch to a no-op
//!   `user.created` handler), sync mode so the handler runs before the answer.

use axum::body::Bytes;
use axum::routing::post;
use hookverify::axum::{Context, Webhooks};
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
        "hookverify" => {
            let verifier = Verifier::new(Scheme::preset("standard")?, [SECRET])?;
            let hooks = Webhooks::new(vec![Provider::new("standard", verifier)], MemoryStore::default())?.mode(Mode::Sync).on(
                "user.created",
                |ctx: Context| async move {
                    std::hint::black_box(&ctx.event.id);
                    Ok(())
                },
            );
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
