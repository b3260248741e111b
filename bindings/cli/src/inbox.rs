//! `hookverify inbox list|show|replay --config FILE`: the operator's view of a `serve` config's
//! inbox (issue 21, part 3). The inbox is the one the config names (`inbox = "inbox.db"`, relative
//! to the config file); `replay` runs the config's functions as `serve` does, through the core's
//! [`Webhooks::replay`](hookverify::axum::Webhooks::replay).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use hookverify::inbox::{record_json, Filter, Inbox, State, Summary};
use hookverify::InboxLocation;

use crate::serve::log;

/// `hookverify inbox ...`.
#[derive(Subcommand, Debug)]
pub enum InboxCommand {
    /// Recorded deliveries, newest first: id, received (UTC), state, verdict, status, provider,
    /// event id and type, attempts.
    List(ListArgs),
    /// One delivery in full (by record id or event id): headers (credentials redacted), body,
    /// verdict and every handler attempt.
    Show(ShowArgs),
    /// Runs an accepted event's functions again now, bypassing dedup, recorded as a new attempt.
    /// Exit 0 when they succeeded, 1 when they failed.
    Replay(ReplayArgs),
}

/// `--config FILE`.
#[derive(Args, Debug)]
pub struct ConfigArg {
    /// The `serve` configuration file whose `inbox` to open.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// Arguments of `inbox list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Only deliveries in this state.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(State::ALL.map(State::as_str)))]
    status: Option<String>,
    /// Only deliveries of this provider.
    #[arg(long, value_name = "P")]
    provider: Option<String>,
    /// At most this many (default 100).
    #[arg(long)]
    limit: Option<u32>,
    /// One JSON array instead of text lines.
    #[arg(long)]
    json: bool,
}

/// Arguments of `inbox show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// A record id, or an event id.
    id: String,
    /// JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `inbox replay`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// A record id, or an event id.
    id: String,
}

pub fn run(command: InboxCommand) -> ExitCode {
    let result = match command {
        InboxCommand::List(args) => list(args),
        InboxCommand::Show(args) => show(args),
        InboxCommand::Replay(args) => replay(args),
    };
    result.unwrap_or_else(|(code, message)| {
        log(&format!("hookverify: {message}"));
        ExitCode::from(code)
    })
}

type Failure = (u8, String);

/// Where the inbox the config at `path` names is (2: a config problem, the config naming none).
fn location(path: &Path) -> Result<InboxLocation, Failure> {
    InboxLocation::of_config_file(path).map_err(|e| match e {
        hookverify::Error::InvalidArgument { reason } => (2, reason),
        e => (2, e.to_string()),
    })
}

/// The inbox the config at `path` names (2: a config problem; 1: it cannot be opened).
fn open(path: &Path) -> Result<Arc<dyn Inbox>, Failure> {
    let location = location(path)?;
    // Reading a log never creates one: a missing file is an error, not an empty log.
    location.open_existing().map_err(|e| (1, e.to_string()))
}

fn list(args: ListArgs) -> Result<ExitCode, Failure> {
    let inbox = open(&args.config.config)?;
    let mut filter = Filter::new();
    if let Some(state) = args.status.as_deref().and_then(State::from_name) {
        filter = filter.state(state);
    }
    if let Some(p) = &args.provider {
        filter = filter.provider(p);
    }
    if let Some(n) = args.limit {
        filter = filter.limit(n);
    }
    let rows = inbox.list(&filter).map_err(|e| (1, e.to_string()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    for r in &rows {
        println!("{}", line(r));
    }
    Ok(ExitCode::SUCCESS)
}

/// One text line of a summary (the sender's texts escaped: no forged lines).
fn line(r: &Summary) -> String {
    let safe = |s: &Option<String>| s.as_deref().map_or_else(|| "-".to_owned(), |v| hookverify::log_safe(v).into_owned());
    format!(
        "{:<6} {} {:<9} {:<22} {} {:<10} {} {} attempts={}",
        r.id,
        utc(r.received_at_ms),
        r.state.as_str(),
        hookverify::log_safe(&r.verdict),
        r.status,
        safe(&r.provider),
        safe(&r.event_id),
        safe(&r.event_type),
        r.attempts
    )
}

fn show(args: ShowArgs) -> Result<ExitCode, Failure> {
    let inbox = open(&args.config.config)?;
    let Some(r) = inbox.show(&args.id).map_err(|e| (1, e.to_string()))? else {
        return Err((1, format!("no record or event {:?} in the inbox", hookverify::log_safe(&args.id))));
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&record_json(&r)).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", line(&r.summary));
    println!(
        "path: {}{}",
        hookverify::log_safe(&r.summary.path),
        r.query.as_deref().map(|q| format!("?{}", hookverify::log_safe(q))).unwrap_or_default()
    );
    println!("headers:");
    for (k, v) in &r.headers {
        println!("  {}: {}", hookverify::log_safe(k), hookverify::log_safe(v));
    }
    let truncated = if r.body_truncated { format!(" (first {} of {} bytes)", r.body.len(), r.body_size) } else { String::new() };
    match std::str::from_utf8(&r.body) {
        Ok(text) => println!("body{truncated}:\n{text}"),
        Err(_) => println!("body (hex){truncated}:\n{}", hex::encode(&r.body)),
    }
    println!("attempts:");
    for a in &r.attempts {
        let end = a.ended_at_ms.map_or_else(|| "never ended (the process died, or still running)".to_owned(), utc);
        let outcome = match a.ok {
            Some(true) => "ok".to_owned(),
            Some(false) => format!("failed: {}", hookverify::log_safe(a.error.as_deref().unwrap_or(""))),
            None => "-".to_owned(),
        };
        println!("  #{} started {} ended {end} {outcome}", a.number, utc(a.started_at_ms));
    }
    Ok(ExitCode::SUCCESS)
}

fn replay(args: ReplayArgs) -> Result<ExitCode, Failure> {
    // A config without an inbox is told so as `list` and `show` tell it; the functions to run come
    // from the whole config (serve's plan).
    location(&args.config.config)?;
    let plan = crate::serve::read_plan(&args.config.config).map_err(|problems| (2, problems.join("\n")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        let (hooks, _) = crate::serve::webhooks(&plan).map_err(|e| (1, e))?;
        let hooks = Arc::new(hooks);
        match hooks.replay(&args.id).await {
            Ok(None) => {
                log(&format!("hookverify: replayed {}: done", hookverify::log_safe(&args.id)));
                Ok(ExitCode::SUCCESS)
            }
            Ok(Some(error)) => {
                log(&format!("hookverify: replayed {}: failed: {}", hookverify::log_safe(&args.id), hookverify::log_safe(&error)));
                Ok(ExitCode::from(1))
            }
            Err(e) => Err((1, e.to_string())),
        }
    })
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC); the number itself outside years 1..=9999.
fn utc(ms: i64) -> String {
    hookverify::rfc3339_utc(ms, true).unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_unix_milliseconds() {
        // Reference values from `date -u -d @SECONDS` (GNU coreutils).
        assert_eq!(super::utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::utc(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
