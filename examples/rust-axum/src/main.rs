//! `GITHUB_SECRET=… STRIPE_SECRET=… cargo run -p hookverify-example-axum` then point senders at
//! http://127.0.0.1:3000/webhooks (or use `hookverify sign` + curl).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let github = std::env::var("GITHUB_SECRET").unwrap_or_else(|_| "It's a Secret to Everybody".into());
    let stripe = std::env::var("STRIPE_SECRET").unwrap_or_else(|_| "whsec_demo".into());
    let app = hookverify_example_axum::app(&github, &[&stripe])?;
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    eprintln!("listening on http://{}/webhooks", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
