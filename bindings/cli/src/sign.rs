//! `hookverify sign`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hookverify::{unix_now, RequestTarget};

use crate::common::{read_body, usage_error, SchemeArgs, SigningSecretArgs};

/// Arguments of `hookverify sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    #[command(flatten)]
    scheme: SchemeArgs,
    #[command(flatten)]
    secret: SigningSecretArgs,
    /// Message id (schemes that sign one); a random `msg_…` id when omitted.
    #[arg(long)]
    id: Option<String>,
    /// Event type, sent in a header for schemes that carry it there (GitHub, Shopify).
    #[arg(long = "type", value_name = "TYPE")]
    event_type: Option<String>,
    /// Unix seconds to sign (schemes with a timestamp); now when omitted.
    #[arg(long)]
    timestamp: Option<i64>,
    /// Read the body from this file instead of stdin.
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// The URL the sender calls (schemes that sign it: square, twilio, trello, hubspot). For
    /// twilio, a `bodySHA256` query parameter in it must be the SHA-256 (hex) of the body.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The request method (schemes that sign it: hubspot; default POST).
    #[arg(long, value_name = "M")]
    method: Option<String>,
}

/// A random message id like senders generate (`msg_` + 24 hex digits).
pub fn random_id() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("msg_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

pub fn run(args: SignArgs) -> ExitCode {
    let scheme = match args.scheme.resolve() {
        Ok(s) => s,
        Err(e) => return usage_error(&e.to_string()),
    };
    let body = match read_body(args.body_file.as_ref()) {
        Ok(b) => b,
        Err(e) => return usage_error(&e),
    };
    let signer = match args.secret.signer(scheme) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let id = args.id.or_else(|| signer.scheme().signs_id().then(random_id));
    let timestamp = args.timestamp.unwrap_or_else(unix_now);
    match signer.sign_request(&body, id.as_deref(), Some(timestamp), &RequestTarget::new(args.url.as_deref(), args.method.as_deref())) {
        Ok(mut headers) => {
            for (name, value) in signer.envelope_headers(id.as_deref(), args.event_type.as_deref()) {
                if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                    headers.push((name, value));
                }
            }
            for (name, value) in headers {
                println!("{name}: {value}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(&e.to_string()),
    }
}
