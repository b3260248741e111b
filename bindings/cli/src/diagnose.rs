//! `hookverify diagnose`: why a delivery does (not) verify. Exit 0 valid, 1 invalid, 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hookverify::diagnose::{diagnose_keys, Report};
use hookverify::ErrorCode;
use serde_json::json;

use crate::common::{RequestArgs, SchemeArgs, SecretArgs, EXIT_USAGE};

/// The scheme, optional here: detected from the headers when none is named.
#[derive(Args, Debug)]
#[group(required = false, multiple = false)]
pub struct OptionalScheme {
    /// A built-in scheme; detected from the headers when no scheme option is given.
    #[arg(long)]
    scheme: Option<String>,
    /// A custom scheme spec as JSON (see spec/schemes.md).
    #[arg(long, value_name = "JSON")]
    scheme_json: Option<String>,
    /// A file holding a custom scheme spec as JSON.
    #[arg(long, value_name = "FILE")]
    scheme_file: Option<PathBuf>,
}

/// Arguments of `hookverify diagnose`.
#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    scheme: OptionalScheme,
    /// Secrets to try; the matching one's index is reported.
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    request: RequestArgs,
    /// Print the report as one line of JSON.
    #[arg(long)]
    json: bool,
}

fn usage(json: bool, code: ErrorCode, message: &str) -> ExitCode {
    if json {
        println!("{}", json!({ "valid": false, "code": code.as_str(), "message": message }));
    } else {
        eprintln!("hookverify: {message}");
    }
    ExitCode::from(EXIT_USAGE)
}

pub fn run(args: DiagnoseArgs) -> ExitCode {
    let OptionalScheme { scheme, scheme_json, scheme_file } = args.scheme;
    let scheme = if scheme.is_none() && scheme_json.is_none() && scheme_file.is_none() {
        None
    } else {
        match (SchemeArgs { scheme, scheme_json, scheme_file }).resolve() {
            Ok(s) => Some(s),
            Err(e) => return usage(args.json, e.code(), &e.to_string()),
        }
    };
    let (headers, body) = match args.request.load() {
        Ok(loaded) => loaded,
        Err(e) => return usage(args.json, ErrorCode::InvalidArgument, &e),
    };
    let secrets = match args.secrets.load() {
        Ok(s) => s,
        Err(e) => return usage(args.json, ErrorCode::InvalidArgument, &e),
    };
    let public_keys = args.secrets.public_keys();
    let report = diagnose_keys(&body, &headers, &secrets, public_keys, scheme.as_ref(), args.request.now(), &args.request.target());
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", human(&report));
    }
    if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The report for a terminal: verdict, checks with ✓/✗, hints with their fix.
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    let scheme = match (&report.scheme, report.detected) {
        (Some(name), true) => format!("scheme {name}, detected"),
        (Some(name), false) => format!("scheme {name}"),
        (None, _) => "no scheme".to_owned(),
    };
    let verdict = match report.key_index {
        Some(i) if report.valid => format!("VALID ({scheme}, secret {i})"),
        _ => format!("INVALID ({scheme})"),
    };
    out.push_str(&verdict);
    out.push('\n');
    let width = report.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &report.checks {
        out.push_str(&format!("  {} {:width$}  {}\n", if c.ok { "✓" } else { "✗" }, c.name, c.detail));
    }
    if let Some(e) = &report.event {
        let ts = e.timestamp.map_or_else(|| "none".to_owned(), |t| t.to_string());
        out.push_str(&format!("event: id {}, type {}, timestamp {ts}\n", e.id, e.event_type));
    }
    if !report.hints.is_empty() {
        out.push_str("hints:\n");
        for h in &report.hints {
            out.push_str(&format!("  → {}: {}\n", h.code, h.message));
        }
    } else if !report.valid && report.scheme.is_some() {
        out.push_str("no hint: no candidate variant reproduced a signature on the request\n");
    }
    out
}
