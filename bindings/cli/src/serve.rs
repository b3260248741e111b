//! `hookverify serve --config hookverify.toml`: a config-driven receiver daemon.
//!
//! The file describes the endpoint (listen address, base path, mode, sync header, store), its
//! providers (scheme, secrets from a file or an environment variable, `max_event_age`) and the
//! functions (commands) run per provider + path + type. The receiver itself is the core's
//! [`ReceiverConfig`]: every answer (202, 200, 404, 500, 401, duplicates) is decided there; this
//! module reads the file, runs the commands and handles signals (SIGHUP re-reads the secrets,
//! SIGTERM drains and exits).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use hookverify::axum::{Context, HandlerError, Outcome, Webhooks, DEFAULT_BODY_TIMEOUT};
use hookverify::{MemoryStore, Pattern, ReceiverConfig, Verifier};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
use toml::Spanned;

use crate::listen::DEFAULT_HEADER_TIMEOUT_SECS;

/// A function's timeout unless its `timeout` says otherwise.
pub const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);
/// `listen` unless the file says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// Arguments of `hookverify serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The configuration file (TOML; see the README's "hookverify serve").
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Validate the configuration (including that every secret source can be read), then exit:
    /// 0 when valid, 2 with each problem as `file:line:column: key: problem`.
    #[arg(long)]
    check: bool,
}

/// The file, as written. Receiver-level keys are passed to the core's [`ReceiverConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    listen: Option<Spanned<String>>,
    #[serde(default)]
    store: Option<Spanned<String>>,
    #[serde(default)]
    base_path: Option<Spanned<String>>,
    #[serde(default)]
    mode: Option<Spanned<String>>,
    /// A header name, `{ name, value }` or `false`.
    #[serde(default)]
    sync_header: Option<Spanned<Value>>,
    #[serde(default)]
    unhandled_status: Option<Spanned<u16>>,
    #[serde(default)]
    lease_seconds: Option<Spanned<f64>>,
    #[serde(default)]
    retention_seconds: Option<Spanned<f64>>,
    #[serde(default)]
    namespace: Option<Spanned<String>>,
    #[serde(default)]
    max_body_bytes: Option<Spanned<usize>>,
    /// Seconds a connection may take to send its headers (default 10).
    #[serde(default)]
    header_timeout: Option<Spanned<u64>>,
    /// Seconds a request may take to send its body (default 30).
    #[serde(default)]
    body_timeout: Option<Spanned<u64>>,
    #[serde(default, rename = "provider")]
    providers: Vec<Spanned<ProviderEntry>>,
    #[serde(default, rename = "function")]
    functions: Vec<Spanned<FunctionEntry>>,
}

/// One `[[provider]]`. Secrets come only from `secrets_file` / `secrets_env`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntry {
    #[serde(default)]
    name: Option<Spanned<String>>,
    scheme: Spanned<Value>,
    #[serde(default)]
    secrets_file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    secrets_env: Option<Spanned<String>>,
    #[serde(default)]
    max_event_age: Option<Spanned<u64>>,
    #[serde(default)]
    tolerance_seconds: Option<Spanned<u64>>,
    #[serde(default)]
    max_body_bytes: Option<Spanned<usize>>,
    #[serde(default, rename = "match")]
    matcher: Option<Spanned<Value>>,
}

/// One `[[function]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionEntry {
    provider: Spanned<String>,
    path: Spanned<String>,
    #[serde(default)]
    types: Option<Spanned<Vec<String>>>,
    run: Spanned<Vec<String>>,
    /// Seconds (default 30).
    #[serde(default)]
    timeout: Option<Spanned<f64>>,
}

/// Where a provider's secrets come from (re-read on SIGHUP).
#[derive(Debug, Clone)]
struct SecretSource {
    file: Option<PathBuf>,
    env: Option<String>,
}

impl SecretSource {
    /// The secrets: the file's non-empty lines, then the variable's comma-separated values.
    /// Errors name the source, never a value.
    fn load(&self) -> Result<Vec<String>, String> {
        let mut secrets = Vec::new();
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            secrets.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
        }
        if let Some(var) = &self.env {
            let value = std::env::var(var).map_err(|_| format!("environment variable {var} is not set (or not UTF-8)"))?;
            secrets.extend(value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
        }
        if secrets.is_empty() {
            return Err("no secret found (secrets_file: one per line; secrets_env: comma-separated)".into());
        }
        Ok(secrets)
    }
}

/// A function, ready to run.
#[derive(Debug)]
struct Function {
    /// `[provider path]`, the prefix of its output lines in the log.
    label: String,
    program: PathBuf,
    args: Vec<String>,
    dir: PathBuf,
    timeout: Duration,
    /// The function's own type patterns, to run it once when several of them match.
    patterns: Vec<Pattern>,
}

/// Everything the daemon needs, from a valid file.
struct Plan {
    listen: String,
    store: String,
    receiver: ReceiverConfig,
    /// Whether the file sets `unhandled_status` (else sync answers 404 when no function matched).
    unhandled_status_set: bool,
    header_timeout: Duration,
    body_timeout: Duration,
    /// Per provider (file order): its secret source.
    sources: Vec<SecretSource>,
    functions: Vec<Arc<Function>>,
    /// Route `i` runs function `routes[i]`.
    routes: Vec<usize>,
}

/// Problems found in the file, each `file:line:column: key: problem`.
struct Problems {
    file: String,
    text: String,
    list: Vec<String>,
}

impl Problems {
    fn at(&mut self, span: std::ops::Range<usize>, key: &str, problem: impl std::fmt::Display) {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.list.push(format!("{}:{line}:{column}: {key}: {problem}", self.file));
    }

    /// The key written at `span`'s line (`mode = …` → `mode`), for errors toml reports by position.
    fn key_at(&self, span: &std::ops::Range<usize>) -> String {
        let start = span.start.min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = self.text[line_start..].lines().next().unwrap_or("");
        match line.split_once('=') {
            Some((key, _)) if !key.trim().is_empty() && !key.contains('[') => key.trim().to_owned(),
            _ => line.trim().trim_start_matches('[').trim_end_matches(']').to_owned(),
        }
    }
}

/// serde's message without the value it quotes (`invalid type: string "…", expected u64` →
/// `invalid type, expected u64`): a mistyped key may hold a secret.
fn problem_text(message: &str) -> String {
    for kind in ["invalid type", "invalid value", "unknown variant", "invalid length"] {
        if message.starts_with(kind) {
            return match message.rsplit_once(", expected ") {
                Some((_, expected)) => format!("{kind}, expected {expected}"),
                None => kind.to_owned(),
            };
        }
    }
    message.to_owned()
}

fn read_plan(path: &Path) -> Result<Plan, Vec<String>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{file}: cannot read: {e}")])?;
    let mut problems = Problems { file, text: text.clone(), list: Vec::new() };
    let parsed: File = match toml::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let key = problems.key_at(&span);
            problems.at(span, &key, problem_text(e.message().trim()));
            return Err(problems.list);
        }
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let plan = plan(&parsed, &dir, &mut problems);
    match plan {
        Some(plan) if problems.list.is_empty() => Ok(plan),
        _ => Err(problems.list),
    }
}

fn plan(file: &File, dir: &Path, problems: &mut Problems) -> Option<Plan> {
    if file.providers.is_empty() {
        problems.at(0..0, "provider", "at least one [[provider]] is needed");
        return None;
    }
    // Providers: the core's options per provider, secrets read from their sources.
    let mut providers = Vec::new();
    let mut sources = Vec::new();
    let mut names = Vec::new();
    for (i, entry) in file.providers.iter().enumerate() {
        let p = entry.get_ref();
        let key = |k: &str| format!("provider[{i}].{k}");
        let source = SecretSource {
            file: p.secrets_file.as_ref().map(|f| dir.join(f.get_ref())),
            env: p.secrets_env.as_ref().map(|e| e.get_ref().clone()),
        };
        let secrets = match (&p.secrets_file, &p.secrets_env) {
            (None, None) => {
                problems.at(
                    entry.span(),
                    &key("secrets_file"),
                    "give secrets_file or secrets_env (secrets are never written in the config)",
                );
                continue;
            }
            (file_key, env_key) => match source.load() {
                Ok(s) => s,
                Err(e) => {
                    let (span, k) = match (file_key, env_key) {
                        (Some(f), _) if source.file.as_ref().is_some_and(|f| !f.exists()) || env_key.is_none() => {
                            (f.span(), "secrets_file")
                        }
                        (_, Some(v)) => (v.span(), "secrets_env"),
                        (Some(f), None) => (f.span(), "secrets_file"),
                        (None, None) => unreachable!("handled above"),
                    };
                    problems.at(span, &key(k), e);
                    continue;
                }
            },
        };
        let mut options = serde_json::Map::new();
        options.insert("scheme".into(), p.scheme.get_ref().clone());
        options.insert("secrets".into(), json!(secrets));
        if let Some(v) = &p.max_event_age {
            options.insert("max_event_age".into(), json!(v.get_ref()));
        }
        if let Some(v) = &p.tolerance_seconds {
            options.insert("tolerance_seconds".into(), json!(v.get_ref()));
        }
        if let Some(v) = &p.max_body_bytes {
            options.insert("max_body_bytes".into(), json!(v.get_ref()));
        }
        // The provider alone first, so a problem is reported at its own line.
        let verifier = hookverify::VerifierOptions::from_json(&Value::Object(options.clone()).to_string()).and_then(|o| o.build());
        let verifier = match verifier {
            Ok(v) => v,
            Err(e) => {
                let reason = e.to_string();
                let (span, k) = if reason.contains("max_event_age") && p.max_event_age.is_some() {
                    (p.max_event_age.as_ref().map(Spanned::span).unwrap_or(entry.span()), "max_event_age")
                } else if matches!(e.code(), hookverify::ErrorCode::InvalidSecret) {
                    match (&p.secrets_file, &p.secrets_env) {
                        (Some(f), _) => (f.span(), "secrets_file"),
                        (_, Some(v)) => (v.span(), "secrets_env"),
                        _ => (entry.span(), "scheme"),
                    }
                } else {
                    (p.scheme.span(), "scheme")
                };
                problems.at(span, &key(k), reason);
                continue;
            }
        };
        let name = p.name.as_ref().map_or_else(|| verifier.scheme().spec().name.clone(), |n| n.get_ref().clone());
        if let Some(n) = &p.name {
            options.insert("name".into(), json!(n.get_ref()));
        }
        if let Some(m) = &p.matcher {
            options.insert("match".into(), m.get_ref().clone());
        }
        names.push(name);
        sources.push(source);
        providers.push(Value::Object(options));
    }
    // A repeated name is the core's to report (below), at the second provider's line.
    let repeated = (0..names.len()).find(|&i| names[..i].contains(&names[i]));
    // Functions: one route per type pattern (none: `*`).
    let mut routes = Vec::new();
    let mut route_json = Vec::new();
    let mut functions = Vec::new();
    for (i, entry) in file.functions.iter().enumerate() {
        let f = entry.get_ref();
        let key = |k: &str| format!("function[{i}].{k}");
        if !names.iter().any(|n| n == f.provider.get_ref()) && problems.list.is_empty() && repeated.is_none() {
            problems.at(
                f.provider.span(),
                &key("provider"),
                format!("no provider is named {:?} (the providers are: {})", f.provider.get_ref(), names.join(", ")),
            );
        }
        let Some((program, args)) = f.run.get_ref().split_first() else {
            problems.at(f.run.span(), &key("run"), "must name a command: [\"./script.sh\", \"arg\", …]");
            continue;
        };
        let timeout = match f.timeout.as_ref().map(|t| (t.span(), Duration::try_from_secs_f64(*t.get_ref()))) {
            None => DEFAULT_FUNCTION_TIMEOUT,
            Some((_, Ok(d))) if !d.is_zero() => d,
            Some((span, _)) => {
                problems.at(span, &key("timeout"), "must be a positive number of seconds");
                continue;
            }
        };
        let types = f.types.as_ref().map_or_else(|| vec!["*".to_owned()], |t| t.get_ref().clone());
        if types.is_empty() {
            problems.at(
                f.types.as_ref().map_or(entry.span(), Spanned::span),
                &key("types"),
                "must list at least one pattern (leave it out for every type)",
            );
            continue;
        }
        // A relative command path is relative to the config file's directory (its working directory too).
        let program = PathBuf::from(program);
        let program = if program.is_relative() && program.components().count() > 1 { dir.join(program) } else { program };
        if program.components().count() > 1 && !is_executable(&program) {
            problems.at(f.run.span(), &key("run"), format!("{} is not an executable file", program.display()));
            continue;
        }
        let path = f.path.get_ref().trim_matches('/').to_owned();
        for t in &types {
            routes.push(functions.len());
            route_json.push(json!({"pattern": t, "provider": f.provider.get_ref(), "path": path}));
        }
        functions.push(Arc::new(Function {
            label: format!("[{} {}]", f.provider.get_ref(), path),
            program,
            args: args.to_vec(),
            dir: dir.to_path_buf(),
            timeout,
            patterns: types.iter().map(|t| Pattern::parse(t)).collect(),
        }));
    }
    if !problems.list.is_empty() {
        return None;
    }
    let mut receiver = serde_json::Map::new();
    receiver.insert("providers".into(), Value::Array(providers));
    receiver.insert("routes".into(), Value::Array(route_json));
    fn entry<T: serde::Serialize>(v: &Option<Spanned<T>>) -> Option<(std::ops::Range<usize>, Value)> {
        v.as_ref().map(|v| (v.span(), json!(v.get_ref())))
    }
    let top = [
        ("base_path", entry(&file.base_path)),
        ("mode", entry(&file.mode)),
        ("sync_header", entry(&file.sync_header)),
        ("unhandled_status", entry(&file.unhandled_status)),
        ("lease_seconds", entry(&file.lease_seconds)),
        ("retention_seconds", entry(&file.retention_seconds)),
        ("namespace", entry(&file.namespace)),
        ("max_body_bytes", entry(&file.max_body_bytes)),
    ];
    for (k, v) in &top {
        if let Some((_, v)) = v {
            receiver.insert((*k).into(), v.clone());
        }
    }
    // The core validates the rest; its message names the key, which names the line here.
    let built =
        ReceiverConfig::from_json(&Value::Object(receiver).to_string()).and_then(|c| c.build(Box::new(MemoryStore::default())).map(|_| c));
    let receiver = match built {
        Ok(c) => c,
        Err(e) => {
            let reason = e.to_string();
            let (key, span) = top
                .iter()
                .find(|(k, v)| v.is_some() && reason.contains(k))
                .map(|(k, v)| ((*k).to_owned(), v.as_ref().map_or(0..0, |(span, _)| span.clone())))
                .or_else(|| {
                    let i = (0..file.providers.len()).find(|i| reason.contains(&format!("providers[{i}]"))).or(repeated)?;
                    Some((format!("provider[{i}]"), file.providers[i].span()))
                })
                .unwrap_or_else(|| ("provider".to_owned(), file.providers[0].span()));
            problems.at(span, &key, reason);
            return None;
        }
    };
    let store = file.store.as_ref().map_or_else(|| "memory".to_owned(), |s| s.get_ref().clone());
    if store != "memory" && !store.starts_with("redis://") && !store.starts_with("rediss://") {
        let span = file.store.as_ref().map_or(0..0, Spanned::span);
        problems.at(span, "store", "must be \"memory\" or a redis:// URL");
        return None;
    }
    let seconds = |v: &Option<Spanned<u64>>, key: &str, default: Duration, problems: &mut Problems| match v {
        None => Some(default),
        Some(s) if *s.get_ref() > 0 => Some(Duration::from_secs(*s.get_ref())),
        Some(s) => {
            problems.at(s.span(), key, "must be a positive number of seconds");
            None
        }
    };
    let header_timeout = seconds(&file.header_timeout, "header_timeout", Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS), problems)?;
    let body_timeout = seconds(&file.body_timeout, "body_timeout", DEFAULT_BODY_TIMEOUT, problems)?;
    Some(Plan {
        listen: file.listen.as_ref().map_or_else(|| DEFAULT_LISTEN.to_owned(), |l| l.get_ref().clone()),
        store,
        receiver,
        unhandled_status_set: file.unhandled_status.is_some(),
        header_timeout,
        body_timeout,
        sources,
        functions,
        routes,
    })
}

/// Whether `path` is a file someone may execute (a command given by name is looked up on `PATH`
/// when it runs, not here).
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One line on the log (stderr) of `serve` and `listen`; a closed stderr is not a reason to fail
/// (not `eprintln!`, whose panic would drop the answer).
pub(crate) fn log(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn run(args: ServeArgs) -> ExitCode {
    let plan = match read_plan(&args.config) {
        Ok(plan) => plan,
        Err(problems) => {
            for p in problems {
                log(&format!("hookverify: {p}"));
            }
            return ExitCode::from(2);
        }
    };
    if args.check {
        log(&format!(
            "hookverify: {} is valid ({} providers, {} functions)",
            args.config.display(),
            plan.sources.len(),
            plan.functions.len()
        ));
        return ExitCode::SUCCESS;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(daemon(plan))
}

async fn daemon(plan: Plan) -> ExitCode {
    let (mut hooks, store_note) = match webhooks(&plan) {
        Ok(h) => h,
        Err(e) => {
            log(&format!("hookverify: {e}"));
            return ExitCode::from(2);
        }
    };
    if !plan.unhandled_status_set {
        // FlexDeploy's sync semantics: 404 when no function matched (async keeps its 202).
        hooks.receiver_mut().unhandled_status_sync(404);
    }
    // Clones share the live secrets: rotating these rotates the receiver's.
    let verifiers: Vec<(String, Verifier)> =
        hooks.receiver_mut().providers().iter().map(|p| (p.name().to_owned(), p.verifier().clone())).collect();
    let hooks = hooks.body_timeout(Some(plan.body_timeout)).on_reject(|_| {
        // Logged with the delivery's line (the access-log middleware below).
    });
    let base = plan.receiver.base_path.clone().unwrap_or_else(|| "/".into());
    let app = axum::Router::new().fallback_service(hooks.into_method_router()).layer(axum::middleware::from_fn(log_delivery));
    let (mut hup, mut term, mut int) = match (
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()),
    ) {
        (Ok(h), Ok(t), Ok(i)) => (h, t, i),
        _ => {
            log("hookverify: cannot install signal handlers");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(&plan.listen).await {
        Ok(l) => l,
        Err(e) => {
            log(&format!("hookverify: cannot listen on {}: {e}", plan.listen));
            return ExitCode::from(2);
        }
    };
    let addr = listener.local_addr().expect("bound socket has an address");
    let mode = plan.receiver.mode;
    log(&format!(
        "hookverify: serving on http://{addr}{base} ({} mode)",
        if mode == hookverify::ModeConfig::Sync { "sync" } else { "async" }
    ));
    if let Some(note) = store_note {
        log(&note);
    }
    let sources = plan.sources.clone();
    let shutdown = async move {
        loop {
            tokio::select! {
                _ = hup.recv() => reload(&sources, &verifiers),
                _ = term.recv() => break,
                _ = int.recv() => break,
            }
        }
        log("hookverify: stopping: no new connections; draining in-flight deliveries and functions");
    };
    crate::listen::serve(listener, app, plan.header_timeout, shutdown).await;
    // Every connection is closed; async deliveries' functions may still run (each within its
    // timeout): wait for every task, then exit.
    let metrics = tokio::runtime::Handle::current().metrics();
    while metrics.num_alive_tasks() > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    log("hookverify: stopped");
    ExitCode::SUCCESS
}

fn webhooks(plan: &Plan) -> Result<(Webhooks, Option<String>), String> {
    let functions: Arc<[Arc<Function>]> = plan.functions.clone().into();
    let routes: Arc<[usize]> = plan.routes.clone().into();
    let redis = (plan.store != "memory").then_some(plan.store.as_str());
    // The patterns of the routes before route `i` that belong to the same function.
    receiver(&plan.receiver, redis, |route| {
        let functions = functions.clone();
        let routes = routes.clone();
        move |ctx: Context| {
            let index = routes[route];
            let function = functions[index].clone();
            // A function whose several patterns match runs once: at its first specific pattern
            // that matches (`*` runs only when no specific pattern matched at all).
            let earlier = routes[..route].iter().filter(|&&r| r == index).count();
            let skip = function.patterns[..earlier].iter().any(|p| !matches!(p, Pattern::Any) && p.matches(&ctx.event.event_type));
            async move {
                if skip {
                    return Ok(());
                }
                run_function(&function, ctx).await
            }
        }
    })
}

/// The receiver `serve` and `listen` both run: the core's [`ReceiverConfig`] on an in-memory
/// store, or on Redis at `redis` (a URL that may hold a password), whose connection is checked
/// with a `PING` first (within the store's deadline) so an unreachable server stops the start
/// instead of answering 503 to every delivery. Route `i` is handled by `handler(i)`.
///
/// Returns the endpoint and, with Redis, the line to log once the server is up (the address,
/// never the password); an error is a message for the log, without the URL.
pub(crate) fn receiver<F, Fut>(
    config: &ReceiverConfig,
    redis: Option<&str>,
    handler: impl FnMut(usize) -> F,
) -> Result<(Webhooks, Option<String>), String>
where
    F: Fn(Context) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    let Some(url) = redis else {
        return Webhooks::from_config(config, MemoryStore::default(), handler).map(|h| (h, None)).map_err(|e| e.to_string());
    };
    let store = hookverify::dedup::RedisStore::open(url).map_err(|e| e.to_string())?;
    let address = store.address();
    store.ping().map_err(|e| format!("redis at {address} is not reachable: {e}"))?;
    let hooks = Webhooks::from_config(config, store, handler).map_err(|e| e.to_string())?;
    Ok((hooks, Some(format!("hookverify: redis at {address} is reachable"))))
}

/// SIGHUP: re-reads every provider's secrets; installs them only when all could be read and
/// validated (each provider's swap is atomic; in-flight verifications use the old or new set).
fn reload(sources: &[SecretSource], verifiers: &[(String, Verifier)]) {
    let mut loaded = Vec::with_capacity(sources.len());
    for (source, (name, _)) in sources.iter().zip(verifiers) {
        match source.load() {
            Ok(s) => loaded.push(s),
            Err(e) => {
                log(&format!("hookverify: SIGHUP: provider {name}: {e}; secrets unchanged"));
                return;
            }
        }
    }
    // Validate every provider's new set before installing any.
    for ((name, verifier), secrets) in verifiers.iter().zip(&loaded) {
        if let Err(e) = secrets.iter().try_for_each(|s| verifier.scheme().parse_secret(s).map(drop)) {
            log(&format!("hookverify: SIGHUP: provider {name}: {e}; secrets unchanged"));
            return;
        }
    }
    for ((name, verifier), secrets) in verifiers.iter().zip(&loaded) {
        match verifier.set_secrets(secrets) {
            Ok(()) => log(&format!("hookverify: SIGHUP: provider {name}: {} secrets live", secrets.len())),
            Err(e) => log(&format!("hookverify: SIGHUP: provider {name}: {e}; secrets unchanged")),
        }
    }
}

/// One structured line per delivery: status, path (no query), provider, event, and for a
/// rejected one its code and the core's log line (never a secret).
async fn log_delivery(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let outcome = response.extensions().get::<Outcome>().cloned().unwrap_or_default();
    let code = outcome
        .rejected
        .as_deref()
        .and_then(|l| l.split("code=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned);
    let mut line = json!({
        "delivery": if outcome.rejected.is_some() { "rejected" } else { "answered" },
        "status": response.status().as_u16(),
        "path": path,
    });
    if let Some(p) = outcome.provider {
        line["provider"] = json!(p);
    }
    if let Some((id, t)) = outcome.event {
        line["id"] = json!(id);
        line["type"] = json!(t);
    }
    if let Some(c) = code {
        line["code"] = json!(c);
    }
    if let Some(detail) = outcome.rejected {
        line["detail"] = json!(detail);
    }
    log(&format!("hookverify: {line}"));
    response
}

/// Runs one function: the raw body on stdin, the event in its environment, its output to the
/// log (prefixed), killed at its timeout. Success is exit status 0.
async fn run_function(f: &Function, ctx: Context) -> Result<(), HandlerError> {
    let mut command = tokio::process::Command::new(&f.program);
    command
        .args(&f.args)
        .current_dir(&f.dir)
        .env("HOOKVERIFY_EVENT_ID", &ctx.event.id)
        .env("HOOKVERIFY_EVENT_TYPE", &ctx.event.event_type)
        .env("HOOKVERIFY_PROVIDER", &ctx.provider)
        .env("HOOKVERIFY_PATH", &ctx.path)
        .env("HOOKVERIFY_QUERY", ctx.query.as_deref().unwrap_or(""))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a timeout kills what it started too, and a terminal's Ctrl-C
        // reaches only the daemon, which drains (lets the function finish).
        .process_group(0)
        .kill_on_drop(true);
    // The event id is the sender's text: escaped so it cannot forge a log line.
    let label = format!("{} {}", f.label, hookverify::log_safe(&ctx.event.id));
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            log(&format!("{} cannot start {}: {e}", f.label, f.program.display()));
            return Err(e.into());
        }
    };
    let stdin = child.stdin.take();
    let body = ctx.body.clone();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A function that does not read its stdin is not a failure (broken pipe ignored).
            let _ = stdin.write_all(&body).await;
        }
    };
    let prefix = f.label.clone();
    let forward = |pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| {
        let prefix = prefix.clone();
        async move {
            if let Some(pipe) = pipe {
                let mut lines = tokio::io::BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    log(&format!("{prefix} {line}"));
                }
            }
        }
    };
    let out = forward(child.stdout.take().map(|p| Box::new(p) as _));
    let err = forward(child.stderr.take().map(|p| Box::new(p) as _));
    let waited = async {
        let (_, _, _, status) = tokio::join!(feed, out, err, child.wait());
        status
    };
    let status = tokio::time::timeout(f.timeout, waited).await;
    match status {
        Ok(Ok(status)) if status.success() => {
            log(&format!("{label}: ok"));
            Ok(())
        }
        Ok(Ok(status)) => {
            log(&format!("{label}: failed ({status})"));
            Err(format!("function failed: {status}").into())
        }
        Ok(Err(e)) => {
            log(&format!("{label}: failed: {e}"));
            Err(e.into())
        }
        Err(_) => {
            if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) {
                let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
            }
            let _ = child.kill().await;
            log(&format!("{label}: timed out after {:?}; killed", f.timeout));
            Err("function timed out".into())
        }
    }
}
