//! One endpoint for two senders: GitHub and Stripe on `/webhooks`.

use hookverify::axum::{Context, Webhooks};
use hookverify::{MemoryStore, Provider, Result, Scheme, Verifier};

/// The app: secrets come from the caller (env vars in `main`).
pub fn app(github_secret: &str, stripe_secrets: &[&str]) -> Result<axum::Router> {
    let github = Verifier::new(Scheme::preset("github")?, [github_secret])?;
    let stripe = Verifier::new(Scheme::preset("stripe")?, stripe_secrets)?;
    let hooks = Webhooks::new(vec![Provider::new("github", github), Provider::new("stripe", stripe)], MemoryStore::default())?
        .on("issues.opened", |ctx: Context| async move {
            println!("[{}] issue opened (delivery {}, token {})", ctx.provider, ctx.event.id, ctx.token.0);
            Ok(())
        })
        .on("invoice.*", |ctx: Context| async move {
            println!("[{}] {} {}", ctx.provider, ctx.event.event_type, ctx.event.data_json());
            Ok(())
        })
        .unhandled(|ctx: Context| async move {
            println!("[{}] ignored {}", ctx.provider, ctx.event.event_type);
            Ok(())
        });
    Ok(axum::Router::new().route("/webhooks", hooks.into_method_router()))
}
