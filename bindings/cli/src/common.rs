//! Argument pieces shared by the subcommands.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hookverify::Scheme;

/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;

/// How the scheme is chosen: a preset name or a custom spec.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct SchemeArgs {
    /// A built-in scheme: standard, stripe, github, github-sha1, slack, shopify.
    #[arg(long)]
    pub scheme: Option<String>,
    /// A custom scheme spec as JSON (see spec/schemes.md).
    #[arg(long, value_name = "JSON")]
    pub scheme_json: Option<String>,
    /// A file holding a custom scheme spec as JSON.
    #[arg(long, value_name = "FILE")]
    pub scheme_file: Option<PathBuf>,
}

impl SchemeArgs {
    /// Resolves the chosen scheme.
    pub fn resolve(&self) -> hookverify::Result<Scheme> {
        if let Some(name) = &self.scheme {
            return Scheme::preset(name);
        }
        if let Some(json) = &self.scheme_json {
            return Scheme::from_json(json);
        }
        let path = self.scheme_file.as_ref().expect("clap requires one scheme option");
        let json = std::fs::read_to_string(path).map_err(|e| hookverify::Error::InvalidArgument {
            reason: format!("cannot read {}: {e}", path.display()),
        })?;
        Scheme::from_json(&json)
    }
}

/// The request to check: headers, body, and "now" (shared by `verify` and `diagnose`).
#[derive(Args, Debug)]
pub struct RequestArgs {
    /// A request header, `Name: value`; repeat for each.
    #[arg(short = 'H', long = "header", value_name = "'Name: value'")]
    pub headers: Vec<String>,
    /// Check as of this unix time (seconds) instead of the system clock.
    #[arg(long)]
    pub now: Option<i64>,
    /// Read the body from this file instead of stdin.
    #[arg(long)]
    pub body_file: Option<PathBuf>,
}

/// Header (name, value) pairs in the order given.
pub type Headers = Vec<(String, String)>;

impl RequestArgs {
    /// Parses the headers and reads the body (a usage error as text otherwise).
    pub fn load(&self) -> Result<(Headers, Vec<u8>), String> {
        let headers = self.headers.iter().map(|h| parse_header(h)).collect::<Result<Vec<_>, _>>()?;
        Ok((headers, read_body(self.body_file.as_ref())?))
    }

    /// The injected time, or the system clock's.
    pub fn now(&self) -> i64 {
        self.now.unwrap_or_else(hookverify::unix_now)
    }
}

/// Reads the body from a file, or from stdin when no file is given.
pub fn read_body(file: Option<&PathBuf>) -> Result<Vec<u8>, String> {
    match file {
        Some(path) => std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display())),
        None => {
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body).map_err(|e| format!("cannot read stdin: {e}"))?;
            Ok(body)
        }
    }
}

/// Parses `Name: value` (curl's -H syntax).
pub fn parse_header(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw.split_once(':').ok_or_else(|| format!("header {raw:?} is not `Name: value`"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("header {raw:?} has no name"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// Prints a usage/config error and returns the usage exit code.
pub fn usage_error(message: &str) -> ExitCode {
    eprintln!("hookverify: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// `hookverify schemes [NAME]`.
pub fn schemes(name: Option<&str>) -> ExitCode {
    match name {
        None => {
            for scheme in Scheme::presets() {
                println!("{}", scheme.name());
            }
            ExitCode::SUCCESS
        }
        Some(name) => match Scheme::preset(name) {
            Ok(s) => {
                println!("{}", serde_json::to_string_pretty(s.spec()).expect("specs serialize"));
                ExitCode::SUCCESS
            }
            Err(e) => usage_error(&e.to_string()),
        },
    }
}
