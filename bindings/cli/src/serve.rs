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
use hookverify::{ConfigError, InboxLocation, MemoryStore, Pattern, ReceiverConfig, RouteConfig, TomlConfig, Verifier};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

use crate::listen::DEFAULT_HEADER_TIMEOUT_SECS;

/// A function's timeout unless its `timeout` says otherwise.
pub const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);
/// With an inbox, how much longer than the longest function timeout a worker's lease on an event
/// is (unless `lease_seconds` says otherwise): a process that died running it loses it then.
pub const INBOX_LEASE_MARGIN: Duration = Duration::from_secs(30);
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

/// The keys of the file that are `serve`'s own; every other key is the core's [`ReceiverConfig`]
/// (read by [`TomlConfig::receiver`], which refuses a key it does not know).
pub(crate) const OWN_KEYS: &[&str] =
    &["listen", "store", "header_timeout", "body_timeout", "function", "operator", "provider.secrets_file", "provider.secrets_env"];
/// `[operator] listen` unless the file says otherwise: loopback only.
pub const DEFAULT_OPERATOR_LISTEN: &str = "127.0.0.1:8788";
/// The shortest operator token accepted (bytes).
pub const MIN_OPERATOR_TOKEN: usize = 16;

/// `serve`'s own keys, as written (the receiver's keys are left to the core).
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    listen: Option<String>,
    /// `"memory"` (default) or a `redis://` URL.
    #[serde(default)]
    store: Option<String>,
    /// Seconds a connection may take to send its headers (default 10).
    #[serde(default)]
    header_timeout: Option<u64>,
    /// Seconds a request may take to send its body (default 30).
    #[serde(default)]
    body_timeout: Option<u64>,
    /// Per `[[provider]]` (file order): where its secrets come from.
    #[serde(default, rename = "provider", alias = "providers")]
    providers: Vec<SecretSource>,
    #[serde(default, rename = "function")]
    functions: Vec<FunctionEntry>,
    #[serde(default)]
    operator: Option<OperatorEntry>,
}

/// `[operator]`: the message log page, its API and `/metrics`, on their own address.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorEntry {
    /// Default [`DEFAULT_OPERATOR_LISTEN`] (loopback).
    #[serde(default)]
    listen: Option<String>,
    /// The bearer token, from an environment variable ...
    #[serde(default)]
    token_env: Option<String>,
    /// ... or a file (its first line); never written in the config.
    #[serde(default)]
    token_file: Option<PathBuf>,
}

/// The operator address, ready: where, and its token.
struct OperatorPlan {
    listen: String,
    token: String,
}

/// One `[[function]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionEntry {
    provider: String,
    path: String,
    #[serde(default)]
    types: Option<Vec<String>>,
    run: Vec<String>,
    /// Seconds (default 30).
    #[serde(default)]
    timeout: Option<f64>,
}

/// Where a provider's secrets come from (re-read on SIGHUP): its `secrets_file` and `secrets_env`.
#[derive(Debug, Clone, Deserialize)]
struct SecretSource {
    #[serde(default)]
    secrets_file: Option<PathBuf>,
    #[serde(default)]
    secrets_env: Option<String>,
    /// The provider has `public_keys` (written in the config: they are public), so it may have no
    /// secret source at all (Discord, SendGrid).
    #[serde(skip)]
    keys_only: bool,
}

impl SecretSource {
    /// The secrets: the file's non-empty lines, then the variable's comma-separated values.
    /// An error names the key at fault and the source, never a value.
    fn load(&self) -> Result<Vec<String>, (&'static str, String)> {
        let mut secrets = Vec::new();
        if self.keys_only && self.secrets_file.is_none() && self.secrets_env.is_none() {
            return Ok(secrets);
        }
        if let Some(path) = &self.secrets_file {
            let text = std::fs::read_to_string(path).map_err(|e| ("secrets_file", format!("cannot read {}: {e}", path.display())))?;
            secrets.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
        }
        if let Some(var) = &self.secrets_env {
            let value = std::env::var(var).map_err(|_| ("secrets_env", format!("environment variable {var} is not set (or not UTF-8)")))?;
            secrets.extend(value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
        }
        if secrets.is_empty() {
            return Err(match (&self.secrets_file, &self.secrets_env) {
                (None, None) => ("secrets_file", "give secrets_file or secrets_env (secrets are never written in the config)".into()),
                (file, _) => {
                    let key = if file.is_some() { "secrets_file" } else { "secrets_env" };
                    (key, "no secret found (secrets_file: one per line; secrets_env: comma-separated)".into())
                }
            });
        }
        Ok(secrets)
    }

    /// The key the file uses for this source.
    fn key(&self) -> &'static str {
        if self.secrets_file.is_some() {
            "secrets_file"
        } else {
            "secrets_env"
        }
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
pub(crate) struct Plan {
    listen: String,
    store: String,
    /// The core's options, secrets and routes filled in.
    receiver: ReceiverConfig,
    header_timeout: Duration,
    body_timeout: Duration,
    /// Per provider (file order): its secret source.
    sources: Vec<SecretSource>,
    functions: Vec<Arc<Function>>,
    /// Route `i` runs function `routes[i]`.
    routes: Vec<usize>,
    operator: Option<OperatorPlan>,
}

/// The plan of the file at `path`, or its problems, each `file:line:column: key: problem`.
pub(crate) fn read_plan(path: &Path) -> Result<Plan, Vec<String>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{name}: cannot read: {e}")])?;
    let located = |e: ConfigError| format!("{name}:{e}");
    let file = TomlConfig::new(&text);
    let receiver = file.receiver(OWN_KEYS).map_err(|e| vec![located(e)])?;
    let own: File = file.deserialize(&[]).map_err(|e| vec![located(e)])?;
    let dir = TomlConfig::dir_of(path);
    let mut problems = Vec::new();
    match plan(&file, own, receiver, &dir, &mut problems) {
        Some(plan) if problems.is_empty() => Ok(plan),
        _ => Err(problems.into_iter().map(located).collect()),
    }
}

fn plan(file: &TomlConfig, own: File, mut receiver: ReceiverConfig, dir: &Path, problems: &mut Vec<ConfigError>) -> Option<Plan> {
    if receiver.providers.is_empty() {
        problems.push(file.error_at("provider", "at least one [[provider]] is needed"));
        return None;
    }
    for (key, set) in [("routes", !receiver.routes.is_empty()), ("unhandled", receiver.unhandled)] {
        if set {
            problems.push(file.error_at(key, "serve routes deliveries to its [[function]] tables"));
        }
    }
    // Secrets: read from their sources into the core's options, never from the file itself.
    let mut sources = Vec::new();
    for (i, (p, source)) in receiver.providers.iter_mut().zip(own.providers).enumerate() {
        let key = |k: &str| format!("provider[{i}].{k}");
        let Some(options) = p.verifier.as_mut() else {
            problems.push(file.error_at(&key("scheme"), "missing: every provider needs a scheme"));
            continue;
        };
        if options.secret.is_some() || !options.secrets.is_empty() {
            let k = if options.secret.is_some() { "secret" } else { "secrets" };
            problems.push(file.error_at(&key(k), "secrets are never written in the config: use secrets_file or secrets_env"));
            continue;
        }
        let source =
            SecretSource { secrets_file: source.secrets_file.map(|f| dir.join(f)), keys_only: !options.public_keys.is_empty(), ..source };
        match source.load() {
            Ok(secrets) => options.secrets = secrets,
            Err((k, problem)) => problems.push(file.error_at(&key(k), problem)),
        }
        sources.push(source);
    }
    if !problems.is_empty() {
        return None;
    }
    // The core checks the rest (scheme, names, base path, lease, …) and locates its problems.
    let names: Vec<String> = match file.build(&receiver, Box::new(MemoryStore::default())) {
        Ok(built) => built.providers().iter().map(|p| p.name().to_owned()).collect(),
        Err(e) => {
            // An unusable secret is the fault of its source.
            let source = (0..sources.len()).find(|i| e.key == format!("provider[{i}].secrets"));
            problems.push(match source {
                Some(i) => file.error_at(&format!("provider[{i}].{}", sources[i].key()), e.problem),
                None => e,
            });
            return None;
        }
    };
    // Functions: one route per type pattern (none: `*`).
    let mut routes = Vec::new();
    let mut functions = Vec::new();
    for (i, f) in own.functions.into_iter().enumerate() {
        let key = |k: &str| format!("function[{i}].{k}");
        if !names.contains(&f.provider) {
            let problem = format!("no provider is named {:?} (the providers are: {})", f.provider, names.join(", "));
            problems.push(file.error_at(&key("provider"), problem));
        }
        let Some((program, args)) = f.run.split_first() else {
            problems.push(file.error_at(&key("run"), "must name a command: [\"./script.sh\", \"arg\", …]"));
            continue;
        };
        let timeout = match f.timeout.map(Duration::try_from_secs_f64) {
            None => DEFAULT_FUNCTION_TIMEOUT,
            Some(Ok(d)) if !d.is_zero() => d,
            Some(_) => {
                problems.push(file.error_at(&key("timeout"), "must be a positive number of seconds"));
                continue;
            }
        };
        let types = f.types.unwrap_or_else(|| vec!["*".to_owned()]);
        if types.is_empty() {
            problems.push(file.error_at(&key("types"), "must list at least one pattern (leave it out for every type)"));
            continue;
        }
        // A relative command path is relative to the config file's directory (its working directory too).
        let program = PathBuf::from(program);
        let program = if program.is_relative() && program.components().count() > 1 { dir.join(program) } else { program };
        if program.components().count() > 1 && !is_executable(&program) {
            problems.push(file.error_at(&key("run"), format!("{} is not an executable file", program.display())));
            continue;
        }
        let path = f.path.trim_matches('/').to_owned();
        for t in &types {
            routes.push(functions.len());
            let route = json!({"pattern": t, "provider": f.provider, "path": path});
            receiver.routes.push(RouteConfig::deserialize(route).expect("a route of strings"));
        }
        functions.push(Arc::new(Function {
            label: format!("[{} {}]", f.provider, path),
            program,
            args: args.to_vec(),
            dir: dir.to_path_buf(),
            timeout,
            patterns: types.iter().map(|t| Pattern::parse(t)).collect(),
        }));
    }
    // The inbox: a relative path is relative to the config file; its lease outlasts every function.
    match receiver.inbox_location(dir) {
        Ok(None) => {}
        Ok(Some(location)) => {
            if let InboxLocation::Sqlite(path) = location {
                receiver.inbox = Some(path.display().to_string());
            }
            if receiver.lease_seconds.is_none() {
                let longest = functions.iter().map(|f| f.timeout).max().unwrap_or(DEFAULT_FUNCTION_TIMEOUT);
                receiver.lease_seconds = Some((longest + INBOX_LEASE_MARGIN).as_secs_f64());
            }
        }
        Err(e) => problems.push(file.error_at("inbox", e.to_string())),
    }
    let store = own.store.unwrap_or_else(|| "memory".to_owned());
    if store != "memory" && !store.starts_with("redis://") && !store.starts_with("rediss://") {
        problems.push(file.error_at("store", "must be \"memory\" or a redis:// URL"));
    }
    let mut seconds = |v: Option<u64>, key: &str, default: Duration| match v {
        None => default,
        Some(0) => {
            problems.push(file.error_at(key, "must be a positive number of seconds"));
            default
        }
        Some(s) => Duration::from_secs(s),
    };
    let header_timeout = seconds(own.header_timeout, "header_timeout", Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS));
    let body_timeout = seconds(own.body_timeout, "body_timeout", DEFAULT_BODY_TIMEOUT);
    let operator = own.operator.and_then(|o| operator_plan(file, o, dir, problems));
    Some(Plan {
        listen: own.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
        store,
        receiver,
        header_timeout,
        body_timeout,
        sources,
        functions,
        routes,
        operator,
    })
}

/// `[operator]`'s listen address and token (read from its source; never from the file itself).
fn operator_plan(file: &TomlConfig, o: OperatorEntry, dir: &Path, problems: &mut Vec<ConfigError>) -> Option<OperatorPlan> {
    let token = match (&o.token_env, &o.token_file) {
        (Some(var), None) => {
            std::env::var(var).map_err(|_| ("operator.token_env", format!("environment variable {var} is not set (or not UTF-8)")))
        }
        (None, Some(path)) => {
            let path = dir.join(path);
            std::fs::read_to_string(&path)
                .map(|t| t.lines().next().unwrap_or("").to_owned())
                .map_err(|e| ("operator.token_file", format!("cannot read {}: {e}", path.display())))
        }
        _ => Err(("operator", "give token_env or token_file (one of them; the token is never written in the config)".to_owned())),
    };
    match token.map(|t| t.trim().to_owned()) {
        Ok(t) if t.len() >= MIN_OPERATOR_TOKEN => {
            Some(OperatorPlan { listen: o.listen.unwrap_or_else(|| DEFAULT_OPERATOR_LISTEN.to_owned()), token: t })
        }
        Ok(_) => {
            let key = if o.token_env.is_some() { "operator.token_env" } else { "operator.token_file" };
            problems.push(file.error_at(key, format!("the token must be at least {MIN_OPERATOR_TOKEN} bytes")));
            None
        }
        Err((key, problem)) => {
            problems.push(file.error_at(key, problem));
            None
        }
    }
}

/// Binds the operator address and serves the operator app on it (until aborted).
async fn operator_listener(o: &OperatorPlan, hooks: &Arc<Webhooks>) -> Result<tokio::task::JoinHandle<()>, ExitCode> {
    let listener = tokio::net::TcpListener::bind(&o.listen).await.map_err(|e| {
        log(&format!("hookverify: cannot listen on {} (operator): {e}", o.listen));
        ExitCode::from(2)
    })?;
    let addr = listener.local_addr().expect("bound socket has an address");
    let metrics_of = Arc::clone(hooks);
    let metrics: Arc<dyn Fn() -> String + Send + Sync> = Arc::new(move || metrics_of.receiver().metrics().prometheus());
    let inbox = hooks.inbox_of();
    let replay: Option<crate::operator::ReplayFn> = inbox.as_ref().map(|_| {
        let h = Arc::clone(hooks);
        let f: crate::operator::ReplayFn = Arc::new(move |key: String| {
            let h = Arc::clone(&h);
            Box::pin(async move { h.replay(&key).await.map_err(|e| e.to_string()) })
        });
        f
    });
    let app = crate::operator::router(crate::operator::Operator::new(&o.token, inbox, metrics, replay));
    let scope = if addr.ip().is_loopback() { "loopback only" } else { "NOT loopback: reachable from the network" };
    log(&format!("hookverify: operator page and /metrics on http://{addr}/ ({scope}; bearer token required)"));
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            log(&format!("hookverify: operator address failed: {e}"));
        }
    }))
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
    if plan.receiver.unhandled_status.is_none() {
        // FlexDeploy's sync semantics: 404 when no function matched (async keeps its 202).
        hooks.receiver_mut().unhandled_status_sync(404);
    }
    let worker = hooks.worker();
    // Clones share the live secrets: rotating these rotates the receiver's.
    let verifiers: Vec<(String, Verifier)> =
        hooks.receiver_mut().providers().iter().map(|p| (p.name().to_owned(), p.verifier().clone())).collect();
    let hooks = hooks.body_timeout(Some(plan.body_timeout)).on_reject(|_| {
        // Logged with the delivery's line (the access-log middleware below).
    });
    let base = plan.receiver.base_path.clone().unwrap_or_else(|| "/".into());
    let hooks = Arc::new(hooks);
    let app = axum::Router::new().fallback_service(hooks.method_router()).layer(axum::middleware::from_fn(log_delivery));
    let operator = match &plan.operator {
        Some(o) => match operator_listener(o, &hooks).await {
            Ok(served) => Some(served),
            Err(code) => return code,
        },
        None => None,
    };
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
    let inbox = plan.receiver.inbox.as_deref().map(|i| format!(", inbox {i}")).unwrap_or_default();
    log(&format!(
        "hookverify: serving on http://{addr}{base} ({} mode{inbox})",
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
    if let Some(task) = operator {
        task.abort();
    }
    // The inbox worker leases nothing more and finishes the events it runs (the rest stay
    // committed: the next start runs them).
    if let Some(worker) = worker {
        worker.stop().await;
    }
    // Every connection is closed; async deliveries' functions may still run (each within its
    // timeout): wait for every task, then exit.
    let metrics = tokio::runtime::Handle::current().metrics();
    while metrics.num_alive_tasks() > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    log("hookverify: stopped");
    ExitCode::SUCCESS
}

pub(crate) fn webhooks(plan: &Plan) -> Result<(Webhooks, Option<String>), String> {
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
            Err((_, e)) => {
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
