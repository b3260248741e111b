//! `hookverify verify`: one line of JSON, exit 0 valid / 1 invalid / 2 usage.

use std::process::ExitCode;

use clap::Args;
use hookverify::{ErrorCode, Verifier};
use serde_json::json;

use crate::common::{RequestArgs, SchemeArgs, SecretArgs, EXIT_USAGE};

/// Arguments of `hookverify verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    scheme: SchemeArgs,
    /// Live secrets; the matching one's index is reported.
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    request: RequestArgs,
    /// Replay window in seconds (schemes with a timestamp).
    #[arg(long)]
    tolerance: Option<u64>,
}

fn invalid(code: ErrorCode, message: &str, exit: u8) -> ExitCode {
    println!("{}", json!({ "valid": false, "code": code.as_str(), "message": message }));
    ExitCode::from(exit)
}

pub fn run(args: VerifyArgs) -> ExitCode {
    let scheme = match args.scheme.resolve() {
        Ok(s) => s,
        Err(e) => return invalid(e.code(), &e.to_string(), EXIT_USAGE),
    };
    let (headers, body) = match args.request.load() {
        Ok(loaded) => loaded,
        Err(e) => return invalid(ErrorCode::InvalidArgument, &e, EXIT_USAGE),
    };
    let secrets = match args.secrets.load() {
        Ok(s) => s,
        Err(e) => return invalid(ErrorCode::InvalidArgument, &e, EXIT_USAGE),
    };
    let mut builder = Verifier::builder(scheme).secrets(&secrets);
    if let Some(t) = args.tolerance {
        builder = builder.tolerance_seconds(t);
    }
    let verifier = match builder.build() {
        Ok(v) => v,
        Err(e) => return invalid(e.code(), &e.to_string(), EXIT_USAGE),
    };
    let now = args.request.now();
    let verified = match verifier.verify_signature_at(&headers, &body, now) {
        Ok(v) => v,
        Err(e) => return invalid(e.code(), &e.to_string(), 1),
    };
    // The signature is valid; a body that is not a JSON envelope still verifies (event: null).
    let event =
        verifier.verify_at(&headers, &body, now).ok().map(|e| json!({ "id": e.id, "type": e.event_type, "timestamp": e.timestamp }));
    println!("{}", json!({ "valid": true, "key_index": verified.key_index, "event": event }));
    ExitCode::SUCCESS
}
