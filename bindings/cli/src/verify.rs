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
    /// Reject events older than this, by their signed envelope timestamp (`created_at`, RFC 3339
    /// or unix seconds): the replay window of senders that sign only the body. The body must then
    /// be a JSON envelope with a timestamp.
    #[arg(long, value_name = "SECONDS")]
    max_event_age: Option<u64>,
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
    let mut builder = Verifier::builder(scheme).secrets(&secrets).public_keys(args.secrets.public_keys());
    if let Some(t) = args.tolerance {
        builder = builder.tolerance_seconds(t);
    }
    if let Some(age) = args.max_event_age {
        builder = builder.max_event_age(age);
    }
    let verifier = match builder.build() {
        Ok(v) => v,
        Err(e) => return invalid(e.code(), &e.to_string(), EXIT_USAGE),
    };
    let now = args.request.now();
    let target = args.request.target();
    let verified = match verifier.verify_signature_with(&body, &headers, now, &target) {
        Ok(v) => v,
        // A scheme that signs the URL, and no `--url`: a usage error, not a bad delivery.
        Err(e) if e.code() == ErrorCode::InvalidArgument => return invalid(e.code(), &e.to_string(), EXIT_USAGE),
        Err(e) => return invalid(e.code(), &e.to_string(), 1),
    };
    // The signature is valid; a body that is not a JSON envelope still verifies (event: null),
    // unless the event's age must be checked: then the envelope and its timestamp are required.
    let event = match verifier.verify_ref_with(&body, &headers, now, &target) {
        Ok(e) => Some(json!({ "id": e.id, "type": e.event_type, "timestamp": e.timestamp })),
        Err(e) if verifier.max_event_age().is_some() => return invalid(e.code(), &e.to_string(), 1),
        Err(_) => None,
    };
    println!("{}", json!({ "valid": true, "key_index": verified.key_index, "event": event }));
    ExitCode::SUCCESS
}
