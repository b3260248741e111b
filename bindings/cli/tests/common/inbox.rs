//! Helpers of the inbox tests (`serve_inbox.rs`, `inbox_cli.rs`, `serve_kill.rs`): a directory with
//! a durable `serve` config and a function script whose behaviour the body chooses, a `serve`
//! process on a loopback port (killed by its own pid), GitHub deliveries signed here by the
//! `hmac` crate, and the inbox file read back through the core's `SqliteInbox`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hookverify::inbox::{Inbox, Record, SqliteInbox, State};

use crate::common::{bin, hmac_sha256_hex, Daemon};

pub const SECRET: &str = "gh-inbox-secret";

/// The function: records each run (out/<id>.runs, one line each) and its pid; then, by the body:
/// `fail-always` exits 3, `fail-twice` exits 3 on its first two runs, `hang-first` sleeps 30 s on
/// its first run (its pid in out/<id>.pid), `slow` sleeps 1 s; else exits 0 after touching
/// out/<id>.done.
pub const SCRIPT: &str = r#"#!/bin/sh
mkdir -p out
id="$HOOKVERIFY_EVENT_ID"
body="$(cat)"
echo run >> "out/$id.runs"
runs="$(wc -l < "out/$id.runs")"
case "$body" in
  *fail-always*) echo "failing on purpose" >&2; exit 3 ;;
  *fail-twice*) if [ "$runs" -le 2 ]; then echo "failing run $runs" >&2; exit 3; fi ;;
  *hang-first*) if [ "$runs" -eq 1 ]; then echo $$ > "out/$id.pid"; sleep 30; fi ;;
  *slow*) sleep 1 ;;
esac
if [ -e "out/$id.done" ]; then echo "ran after done" > "out/$id.twice"; fi
touch "out/$id.done"
"#;

/// The config: the issue's inbox keys as written, then `extra` (more top-level keys, before the
/// tables), a GitHub provider and the function on path `hooks`.
pub fn config(extra: &str) -> String {
    format!(
        r#"listen = "127.0.0.1:0"
{extra}
inbox = "inbox.db"                  # or "postgres://user@127.0.0.1/hookverify"
[retry]
max_attempts = 5
initial_backoff_seconds = 1

[[provider]]
name = "github"
scheme = "github"
secrets_file = "github.secrets"

[[function]]
provider = "github"
path = "hooks"
run = ["./fn.sh"]
timeout = 40
"#
    )
}

/// A fresh directory holding `config`, the secret and the function.
pub fn setup(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hv-inbox-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hookverify.toml"), config).unwrap();
    std::fs::write(dir.join("github.secrets"), format!("{SECRET}\n")).unwrap();
    let path = dir.join("fn.sh");
    std::fs::write(&path, SCRIPT).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `hookverify serve --config <dir>/hookverify.toml`.
pub fn serve(dir: &Path) -> Daemon {
    let mut cmd = bin();
    cmd.args(["serve", "--config"]).arg(dir.join("hookverify.toml"));
    Daemon::start(cmd)
}

/// A GitHub delivery `id` of `body`, signed here: the headers.
pub fn github(id: &str, body: &str) -> Vec<(String, String)> {
    vec![
        ("X-GitHub-Event".into(), "push".into()),
        ("X-GitHub-Delivery".into(), id.into()),
        ("X-Hub-Signature-256".into(), format!("sha256={}", hmac_sha256_hex(SECRET, body.as_bytes()))),
        ("Content-Type".into(), "application/json".into()),
    ]
}

/// POSTs event `id` with `body` to `/hooks`: (status, answer).
pub fn deliver(d: &Daemon, id: &str, body: &str) -> (u16, String) {
    d.post("/hooks", &github(id, body), body.as_bytes())
}

/// The inbox file of `dir`, opened by the core.
pub fn inbox(dir: &Path) -> SqliteInbox {
    SqliteInbox::open(dir.join("inbox.db")).unwrap()
}

/// Waits (up to `secs`) until event `id`'s record is in `state`: the record.
pub fn wait_state(dir: &Path, id: &str, state: State, secs: u64) -> Record {
    let inbox = inbox(dir);
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let r = inbox.show(id).unwrap();
        if let Some(r) = r.filter(|r| r.summary.state == state) {
            return r;
        }
        assert!(Instant::now() < deadline, "{id} never became {state:?}: {:?}", inbox.show(id).unwrap().map(|r| r.summary));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many times the function ran for `id`.
pub fn runs(dir: &Path, id: &str) -> usize {
    std::fs::read_to_string(dir.join("out").join(format!("{id}.runs"))).map_or(0, |t| t.lines().count())
}

/// SIGKILLs the process `pid` (one this test started, or a function its daemon started).
pub fn kill9(pid: u32) {
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
}

/// One POST of GitHub event `id` with `body` to `/hooks` that survives the receiver or its
/// database being away (waiting at most `timeout` for the answer): (status, head lowercased,
/// body), or `None` when the connection failed (refused, reset, cut).
pub fn try_post(port: u16, id: &str, body: &str, timeout: Duration) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    let mut head = format!("POST /hooks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in github(id, body) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    Some((head.split(' ').nth(1)?.parse().ok()?, head.to_ascii_lowercase(), body.to_owned()))
}
