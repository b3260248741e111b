//! Argument pieces shared by the subcommands.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use hookverify::Scheme;

/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;

/// How the scheme is chosen: a preset name or a custom spec.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct SchemeArgs {
    /// A built-in scheme (`hookverify schemes` lists them): standard, stripe, github, slack, razorpay, ...
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
        let json = std::fs::read_to_string(path)
            .map_err(|e| hookverify::Error::InvalidArgument { reason: format!("cannot read {}: {e}", path.display()) })?;
        Scheme::from_json(&json)
    }
}

/// Live secrets from argv, environment variables and files, in any mix (at least one).
///
/// Key indexes count the `--secret` values first, then `--secret-env`, then `--secret-file`,
/// each in the order given. A secret read from a variable or a file loses one trailing line
/// ending (`\n` or `\r\n`) and nothing else; an empty or whitespace-only result is a usage error.
#[derive(Args, Debug)]
#[group(required = true, multiple = true)]
pub struct SecretArgs {
    /// A live secret; repeat for rotation. Other local users can read a process's arguments:
    /// prefer --secret-env or --secret-file.
    #[arg(long = "secret", value_name = "SECRET")]
    secret: Vec<String>,
    /// Read a secret from this environment variable; repeatable.
    #[arg(long = "secret-env", value_name = "NAME")]
    secret_env: Vec<String>,
    /// Read a secret from this file (its whole content, less one trailing newline); repeatable.
    #[arg(long = "secret-file", value_name = "PATH")]
    secret_file: Vec<PathBuf>,
    /// A public key, for a scheme with public-key signatures (discord: the application's hex
    /// Ed25519 key; sendgrid: the base64 DER or PEM verification key; standard: a `whpk_` key for
    /// `v1a` signatures); repeatable. Key indexes count them after the secrets.
    #[arg(long = "public-key", value_name = "KEY")]
    public_key: Vec<String>,
}

impl SecretArgs {
    /// The `--public-key` values, in the order given.
    pub fn public_keys(&self) -> &[String] {
        &self.public_key
    }

    /// Every secret, in key-index order (a usage error that names the variable or file otherwise).
    pub fn load(&self) -> Result<Vec<String>, String> {
        let mut out = self.secret.clone();
        for name in &self.secret_env {
            out.push(from_env(name, "secret")?);
        }
        for path in &self.secret_file {
            out.push(from_file(path, "secret")?);
        }
        Ok(out)
    }
}

/// The one signing key of `sign` and `send`: a secret, or (public-key schemes: discord, sendgrid,
/// standard `v1a`) a private key; from argv, an environment variable or a file.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct SigningSecretArgs {
    /// The signing secret. Other local users can read a process's arguments: prefer
    /// --secret-env or --secret-file.
    #[arg(long = "secret", value_name = "SECRET")]
    secret: Option<String>,
    /// Read the signing secret from this environment variable.
    #[arg(long = "secret-env", value_name = "NAME")]
    secret_env: Option<String>,
    /// Read the signing secret from this file (its whole content, less one trailing newline).
    #[arg(long = "secret-file", value_name = "PATH")]
    secret_file: Option<PathBuf>,
    /// The sender's private key, for a public-key scheme (Ed25519: PKCS#8 PEM, `whsk_` + base64,
    /// or the 32-byte seed as hex; P-256: PKCS#8 PEM or base64 DER). For tests: prefer
    /// --private-key-env or --private-key-file.
    #[arg(long = "private-key", value_name = "KEY")]
    private_key: Option<String>,
    /// Read the private key from this environment variable.
    #[arg(long = "private-key-env", value_name = "NAME")]
    private_key_env: Option<String>,
    /// Read the private key from this file (a PEM file as written by openssl).
    #[arg(long = "private-key-file", value_name = "PATH")]
    private_key_file: Option<PathBuf>,
}

/// A signing key as given: a secret or a private key.
pub enum SigningKeyText {
    /// A shared secret.
    Secret(String),
    /// A sender's private key.
    Private(String),
}

impl SigningSecretArgs {
    /// The key (a usage error that names the variable or file otherwise).
    pub fn load(&self) -> Result<SigningKeyText, String> {
        use SigningKeyText::{Private, Secret};
        if let Some(secret) = &self.secret {
            return Ok(Secret(secret.clone()));
        }
        if let Some(name) = &self.secret_env {
            return from_env(name, "secret").map(Secret);
        }
        if let Some(path) = &self.secret_file {
            return from_file(path, "secret").map(Secret);
        }
        if let Some(key) = &self.private_key {
            return Ok(Private(key.clone()));
        }
        if let Some(name) = &self.private_key_env {
            return from_env(name, "private key").map(Private);
        }
        match &self.private_key_file {
            Some(path) => from_file(path, "private key").map(Private),
            None => Err("no secret or private key given".to_owned()),
        }
    }

    /// The signer for `scheme` with the key given.
    pub fn signer(&self, scheme: hookverify::Scheme) -> Result<hookverify::Signer, String> {
        let key = self.load()?;
        let (secret, private) = match &key {
            SigningKeyText::Secret(s) => (Some(s.as_str()), None),
            SigningKeyText::Private(k) => (None, Some(k.as_str())),
        };
        hookverify::Signer::from_keys(scheme, secret, private).map_err(|e| e.to_string())
    }
}

/// The Redis URL of `listen` (it may carry a password): from argv, an environment variable or a file.
#[derive(Args, Debug)]
#[group(required = false, multiple = false)]
pub struct RedisArgs {
    /// Share duplicate suppression through Redis (`redis://[:password@]host:port/db`) instead of
    /// memory. Other local users can read a process's arguments: a URL with a password belongs
    /// in --redis-env or --redis-file.
    #[arg(long = "redis", value_name = "URL")]
    redis: Option<String>,
    /// Read the Redis URL from this environment variable.
    #[arg(long = "redis-env", value_name = "NAME")]
    redis_env: Option<String>,
    /// Read the Redis URL from this file (its whole content, less one trailing newline).
    #[arg(long = "redis-file", value_name = "PATH")]
    redis_file: Option<PathBuf>,
}

impl RedisArgs {
    /// The Redis URL, if one was given (a usage error that names the variable or file otherwise).
    pub fn load(&self) -> Result<Option<String>, String> {
        match (&self.redis, &self.redis_env, &self.redis_file) {
            (Some(url), _, _) => Ok(Some(url.clone())),
            (_, Some(name), _) => from_env(name, "Redis URL").map(Some),
            (_, _, Some(path)) => from_file(path, "Redis URL").map(Some),
            (None, None, None) => Ok(None),
        }
    }
}

/// A secret value from the environment variable `name`. Errors name the variable, never the value.
fn from_env(name: &str, what: &str) -> Result<String, String> {
    let value = match std::env::var(name) {
        Ok(v) => v,
        Err(std::env::VarError::NotPresent) => return Err(format!("environment variable {name} (for the {what}) is not set")),
        Err(std::env::VarError::NotUnicode(_)) => return Err(format!("environment variable {name} (for the {what}) is not valid UTF-8")),
    };
    non_blank(value, &format!("environment variable {name}"), what)
}

/// The largest secret or Redis URL file read (a secret is tens of bytes; this stops `/dev/zero`).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// A secret value from the file at `path`. Errors name the file, never its content.
fn from_file(path: &Path, what: &str) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read {} (for the {what}): {e}", path.display());
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_SECRET_FILE_BYTES + 1).read_to_end(&mut bytes)).map_err(cannot)?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(format!("file {} (for the {what}) is over {MAX_SECRET_FILE_BYTES} bytes", path.display()));
    }
    let value = String::from_utf8(bytes).map_err(|_| format!("file {} (for the {what}) is not valid UTF-8", path.display()))?;
    non_blank(value, &format!("file {}", path.display()), what)
}

/// `value` less one trailing line ending; refused when nothing but whitespace is left.
fn non_blank(mut value: String, source: &str, what: &str) -> Result<String, String> {
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    if value.trim().is_empty() {
        return Err(format!("{source} holds an empty or whitespace-only {what}"));
    }
    Ok(value)
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
    /// The URL the sender called, exactly as registered with it (schemes that sign it: square,
    /// twilio, trello, hubspot).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The request method (schemes that sign it: hubspot; default POST).
    #[arg(long, value_name = "M")]
    pub method: Option<String>,
}

/// Header (name, value) pairs in the order given.
pub type Headers = Vec<(String, String)>;

impl RequestArgs {
    /// Parses the headers and reads the body (a usage error as text otherwise).
    pub fn load(&self) -> Result<(Headers, Vec<u8>), String> {
        let headers = self.headers.iter().map(|h| parse_header(h)).collect::<Result<Vec<_>, _>>()?;
        Ok((headers, read_body(self.body_file.as_ref())?))
    }

    /// The URL and method given (`--url`, `--method`).
    pub fn target(&self) -> hookverify::RequestTarget<'_> {
        hookverify::RequestTarget::new(self.url.as_deref(), self.method.as_deref())
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
            // Name first, as every line: `svix  alias of standard`.
            for (alias, preset) in hookverify::scheme::preset_aliases() {
                println!("{alias}  alias of {preset}");
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
