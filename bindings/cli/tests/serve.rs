//! `hookverify serve --config hookverify.toml` (issue 18 part 2): the issue's example config, run
//! as written by a real daemon process on a loopback port, with real HTTP deliveries whose
//! signatures are computed here (the `hmac`/`sha2` crates), and real functions (shell scripts that
//! record their stdin and environment). Every daemon is stopped by its own pid.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{bin, hmac_sha256_hex, post, redis, Killed};

/// The issue's example, verbatim except `listen` (port 0: the daemon prints the bound address).
const EXAMPLE: &str = r#"listen = "127.0.0.1:8787"
base_path = "/flexdeploy/webhooks/v2"
mode = "async"                      # 202 before functions run; "sync": 200 / 404 / 500
sync_header = "flex-sync-webhook"   # a request with this header = "true" is handled synchronously
store = "memory"                    # or "redis://127.0.0.1:6379/0"

[[provider]]                        # tried in this order; the first whose match rule holds wins
name = "github"
scheme = "github"
secrets_file = "github.secrets"     # one secret per line; re-read on SIGHUP (rotation without restart)

[[provider]]
name = "reflex"
scheme = { name = "reflex", signature_header = "X-Reflex-Signature" }
secrets_env = "REFLEX_SECRETS"      # comma-separated
max_event_age = 300

[[function]]                        # selected by provider AND path (relative to base_path; query ignored)
provider = "github"
path = "git/push"
run = ["./on-push.sh", "push"]      # raw body on stdin; HOOKVERIFY_EVENT_ID, _EVENT_TYPE, _PROVIDER, _PATH, _QUERY in env; exit 0 = success

[[function]]
provider = "reflex"
path = "reflex"
types = ["deployment.*"]            # optional type patterns
run = ["./on-deploy.sh"]
"#;

const GITHUB_SECRET: &str = "gh-secret-one";
const GITHUB_SECRET_2: &str = "gh-secret-two";
const REFLEX_SECRET: &str = "reflex-secret-0123456789";
const BASE: &str = "/flexdeploy/webhooks/v2";

/// Records stdin, env and arguments under out/<event id>.*; prints a line (to the daemon's log);
/// a body holding "fail-once" fails its first run, "slow" sleeps 2 s first.
const SCRIPT: &str = r#"#!/bin/sh
mkdir -p out
id="$HOOKVERIFY_EVENT_ID"
cat > "out/$id.body"
env | grep '^HOOKVERIFY_' | sort > "out/$id.env"
echo "$*" > "out/$id.args"
echo run >> "out/$id.runs"
echo "hello from $0 for $id"
if grep -q slow "out/$id.body"; then touch "out/$id.started"; sleep 2; fi
if grep -q fail-once "out/$id.body" && [ "$(wc -l < "out/$id.runs")" -eq 1 ]; then echo "failing on purpose" >&2; exit 3; fi
touch "out/$id.done"
"#;

/// A fresh directory with the config, github.secrets and the two scripts.
fn setup(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hv-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hookverify.toml"), config).unwrap();
    std::fs::write(dir.join("github.secrets"), format!("{GITHUB_SECRET}\n")).unwrap();
    for script in ["on-push.sh", "on-deploy.sh"] {
        let path = dir.join(script);
        std::fs::write(&path, SCRIPT).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// A running `serve`: the process, its port, its log (stderr) lines, everything it logged so far
/// and its directory (shared between threads, hence the locks).
struct Daemon {
    child: Killed,
    port: u16,
    stderr: Mutex<Receiver<String>>,
    log: Mutex<String>,
    dir: PathBuf,
}

impl Daemon {
    fn start(dir: &Path) -> Daemon {
        let text = std::fs::read_to_string(dir.join("hookverify.toml")).unwrap();
        std::fs::write(dir.join("hookverify.toml"), text.replace("127.0.0.1:8787", "127.0.0.1:0")).unwrap();
        let mut cmd = bin();
        cmd.args(["serve", "--config"]).arg(dir.join("hookverify.toml")).env("REFLEX_SECRETS", REFLEX_SECRET);
        let common::Daemon { child, port, banner, stderr, .. } = common::Daemon::start(cmd);
        let log = Mutex::new(format!("{banner}\n"));
        Daemon { child, port, stderr: Mutex::new(stderr), log, dir: dir.to_path_buf() }
    }

    /// POSTs `body` to `path` with `headers`; returns (status, body).
    fn post(&self, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
        post(self.port, path, headers, body)
    }

    fn github(&self, path: &str, id: &str, body: &str, secret: &str, extra: &[(&str, String)]) -> (u16, String) {
        let mut headers = vec![
            ("X-GitHub-Event", "push".to_owned()),
            ("X-GitHub-Delivery", id.to_owned()),
            ("X-Hub-Signature-256", format!("sha256={}", hmac_sha256_hex(secret, body.as_bytes()))),
            ("Content-Type", "application/json".to_owned()),
        ];
        headers.extend(extra.iter().cloned());
        self.post(path, &headers, body.as_bytes())
    }

    fn reflex(&self, path: &str, id: &str, event_type: &str, extra: &[(&str, String)]) -> (u16, String) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let created = String::from_utf8(
            std::process::Command::new("date").args(["-u", "-d", &format!("@{now}"), "+%Y-%m-%dT%H:%M:%SZ"]).output().unwrap().stdout,
        )
        .unwrap();
        let body = format!(r#"{{"id":"{id}","type":"{event_type}","created_at":"{}","data":{{"env":"prod"}}}}"#, created.trim());
        let mut headers = vec![("X-Reflex-Signature", hmac_sha256_hex(REFLEX_SECRET, body.as_bytes()))];
        headers.extend(extra.iter().cloned());
        self.post(path, &headers, body.as_bytes())
    }

    fn out(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join("out").join(name)).ok()
    }

    /// Waits up to 10 s for out/<name>.
    fn wait_out(&self, name: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(text) = self.out(name) {
                return text;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "out/{name} never written; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        let mut log = self.log.lock().unwrap();
        for line in self.stderr.lock().unwrap().try_iter() {
            log.push_str(&line);
            log.push('\n');
        }
        log.clone()
    }

    /// Waits up to 10 s for the log to contain `needle`.
    fn wait_log(&self, needle: &str) {
        let start = Instant::now();
        while !self.log().contains(needle) {
            assert!(start.elapsed() < Duration::from_secs(10), "log never had {needle:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill").args([sig, &self.child.0.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }
}

fn sync() -> Vec<(&'static str, String)> {
    vec![("flex-sync-webhook", "true".to_owned())]
}

/// `serve --check` on the config in `dir`, with REFLEX_SECRETS and `env` set: (exit code, stderr).
fn check(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = bin()
        .args(["serve", "--check", "--config"])
        .arg(dir.join("hookverify.toml"))
        .env("REFLEX_SECRETS", REFLEX_SECRET)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn check_accepts_the_issue_example_as_written() {
    let dir = setup("check-ok", EXAMPLE);
    let (code, err) = check(&dir, &[]);
    assert_eq!(code, Some(0), "{err}");
    // The secret sources are part of the check: without the variable, the file's line 15 is named.
    let out = bin().args(["serve", "--check", "--config"]).arg(dir.join("hookverify.toml")).env_remove("REFLEX_SECRETS").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("hookverify.toml:15:") && err.contains("secrets_env") && err.contains("REFLEX_SECRETS"), "{err}");
}

#[test]
fn check_names_file_line_and_key_of_a_broken_config() {
    let cases = [
        (EXAMPLE.replace(r#"mode = "async""#, r#"mode = "fast""#), ":3:", "mode"),
        (EXAMPLE.replace("max_event_age = 300", "max_event_agee = 300"), ":16:", "max_event_agee"),
        (EXAMPLE.replace(r#"path = "reflex""#, r#"path = 7"#), ":25:", "path"),
        (EXAMPLE.replace(r#"provider = "reflex""#, r#"provider = "reflx""#), ":24:", "function[1].provider"),
        (EXAMPLE.replace(r#"scheme = "github""#, r#"scheme = "githubb""#), ":9:", "provider[0].scheme"),
        (EXAMPLE.replace(r#"run = ["./on-deploy.sh"]"#, "run = []"), ":27:", "function[1].run"),
        (EXAMPLE.replace(r#"mode = "async""#, "mode = 5"), ":3:", "mode"),
        (EXAMPLE.replace(r#"store = "memory""#, r#"store = "mongo""#), ":5:", "store"),
        (EXAMPLE.replace(r#"base_path = "/flexdeploy/webhooks/v2""#, r#"base_path = "flex""#), ":2:", "base_path"),
        (EXAMPLE.replace(r#"name = "reflex""#, r#"name = "github""#), ":13:", "provider[1].name: two providers are named"),
        (EXAMPLE.replace(r#"run = ["./on-deploy.sh"]"#, "run = [\"./on-deploy.sh\"]\ntimeout = 0"), ":28:", "function[1].timeout"),
        (EXAMPLE.replace(r#"run = ["./on-deploy.sh"]"#, r#"run = ["./missing.sh"]"#), ":27:", "function[1].run"),
        (EXAMPLE.replace(r#"mode = "async""#, r#"mode = "async"#), ":3:", "mode"),
        // A secret written in the config is refused, and never echoed.
        (EXAMPLE.replace("max_event_age = 300", "secret = \"CANARY-SECRET\""), ":16:", "secret"),
    ];
    for (i, (config, line, key)) in cases.iter().enumerate() {
        let (code, err) = check(&setup(&format!("check-bad-{i}"), config), &[]);
        assert_eq!(code, Some(2), "case {i}: {err}");
        assert!(err.contains(&format!("hookverify.toml{line}")), "case {i}: no {line}: {err}");
        assert!(err.contains(key), "case {i}: key {key} not named: {err}");
        assert!(!err.contains("CANARY"), "case {i}: a value was echoed: {err}");
    }
}

#[test]
fn check_takes_every_receiver_key_of_the_core_as_written() {
    // serve restates none of the receiver's options: keys it has no code for reach the core.
    let config = EXAMPLE
        .replace(
            r#"store = "memory""#,
            "store = \"memory\"\nlease_seconds = 5\nretention_seconds = 60.5\nnamespace = \"flex\"\nmax_body_bytes = 4096\n\
             unhandled_status = 204\nallow_sync_header = true",
        )
        .replace("max_event_age = 300", "max_event_age = 300\nmatch = { header = \"X-Reflex-Signature\" }\nmax_body_bytes = 1024");
    let (code, err) = check(&setup("check-core-keys", &config), &[]);
    assert_eq!(code, Some(0), "{err}");
    // A mistyped key: named with the keys the core knows and serve's own.
    let (code, err) = check(&setup("check-typo", &EXAMPLE.replace("listen =", "lissen =")), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("hookverify.toml:1:1: lissen: unknown field `lissen`") && err.contains("`listen`"), "{err}");
}

#[test]
fn check_names_the_source_of_an_unusable_secret_without_it() {
    // Standard Webhooks secrets are `whsec_` + base64: this one cannot be decoded.
    let config = format!("{EXAMPLE}\n[[provider]]\nscheme = \"standard\"\nsecrets_env = \"HV_STD_SECRETS\"\n");
    let (code, err) = check(&setup("check-bad-secret", &config), &[("HV_STD_SECRETS", "whsec_CANARY!!!")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("hookverify.toml:31:1: provider[2].secrets_env: invalid secret"), "{err}");
    assert!(!err.contains("CANARY"), "{err}");
}

#[test]
fn async_202_then_the_function_runs_with_body_env_and_query() {
    let d = Daemon::start(&setup("async", EXAMPLE));
    let body = r#"{"ref":"refs/heads/main","n":1}"#;
    let (status, answer) = d.github(&format!("{BASE}/git/push?branch=main&x=1"), "gh-1", body, GITHUB_SECRET, &[]);
    assert_eq!(status, 202, "{answer}");
    d.wait_out("gh-1.done");
    assert_eq!(d.out("gh-1.body").unwrap(), body, "the raw body on stdin");
    let env = d.out("gh-1.env").unwrap();
    for want in [
        "HOOKVERIFY_EVENT_ID=gh-1",
        "HOOKVERIFY_EVENT_TYPE=push",
        "HOOKVERIFY_PROVIDER=github",
        &format!("HOOKVERIFY_PATH={BASE}/git/push"),
        "HOOKVERIFY_QUERY=branch=main&x=1",
    ] {
        assert!(env.lines().any(|l| l == want), "{want} missing from:\n{env}");
    }
    assert_eq!(d.out("gh-1.args").unwrap().trim(), "push");
    // Its output reaches the daemon's log, prefixed; one structured line for the delivery.
    d.wait_log("[github git/push] hello from");
    d.wait_log(r#""status":202"#);
    let log = d.log();
    assert!(log.contains(r#""provider":"github""#) && log.contains(&format!(r#""path":"{BASE}/git/push""#)), "{log}");
    assert!(!log.contains(GITHUB_SECRET) && !log.contains(REFLEX_SECRET), "{log}");
}

#[test]
fn sync_header_200_404_500_and_retry() {
    let d = Daemon::start(&setup("sync", EXAMPLE));
    // Sync header: 200 once the function succeeded (its output is already there).
    let (status, answer) = d.github(&format!("{BASE}/git/push"), "gh-s1", r#"{"n":1}"#, GITHUB_SECRET, &sync());
    assert_eq!(status, 200, "{answer}");
    assert!(d.out("gh-s1.done").is_some(), "answered before the function finished");
    // A duplicate: answered by the core (200, duplicate), not run again.
    let (status, answer) = d.github(&format!("{BASE}/git/push"), "gh-s1", r#"{"n":1}"#, GITHUB_SECRET, &sync());
    assert_eq!((status, answer.contains(r#""duplicate":true"#)), (200, true), "{answer}");
    assert_eq!(d.out("gh-s1.runs").unwrap().lines().count(), 1);
    // No function for this path (the query never takes part in matching): 404 in sync.
    let (status, answer) = d.github(&format!("{BASE}/git/other?path=git/push"), "gh-s2", r#"{"n":2}"#, GITHUB_SECRET, &sync());
    assert_eq!(status, 404, "{answer}");
    // Every delivery's log line names the provider that matched, unhandled and duplicates too.
    d.wait_log(&format!(r#"{{"delivery":"answered","status":404,"path":"{BASE}/git/other","provider":"github"}}"#));
    assert!(
        d.log().contains(&format!(r#"{{"delivery":"answered","status":200,"path":"{BASE}/git/push","provider":"github"}}"#)),
        "{}",
        d.log()
    );
    // The query string does not stop a match either.
    let (status, _) = d.github(&format!("{BASE}/git/push?path=x"), "gh-s3", r#"{"n":3}"#, GITHUB_SECRET, &sync());
    assert_eq!(status, 200);
    // Reflex: type pattern deployment.* matches, another type has no function (404).
    let (status, answer) = d.reflex(&format!("{BASE}/reflex"), "rf-1", "deployment.created", &sync());
    assert_eq!(status, 200, "{answer}");
    assert!(d.out("rf-1.env").unwrap().contains("HOOKVERIFY_PROVIDER=reflex"));
    let (status, _) = d.reflex(&format!("{BASE}/reflex"), "rf-2", "invoice.paid", &sync());
    assert_eq!(status, 404);
    assert!(d.out("rf-2.runs").is_none(), "no function may run for an unmatched type");
    // A failing function: 500, the claim released, so the sender's retry runs it again (200).
    let body = r#"{"n":"fail-once"}"#;
    let (status, answer) = d.github(&format!("{BASE}/git/push"), "gh-f", body, GITHUB_SECRET, &sync());
    assert_eq!(status, 500, "{answer}");
    d.wait_log("failing on purpose");
    let (status, answer) = d.github(&format!("{BASE}/git/push"), "gh-f", body, GITHUB_SECRET, &sync());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(d.out("gh-f.runs").unwrap().lines().count(), 2);
    // Outside base_path: 404, nothing run.
    let (status, answer) = d.github("/elsewhere/git/push", "gh-o", r#"{"n":4}"#, GITHUB_SECRET, &sync());
    assert_eq!(status, 404, "{answer}");
    assert!(d.out("gh-o.runs").is_none());
    // A bad signature: 401 and a rejected line with its code, never the secret.
    let (status, _) = d.github(&format!("{BASE}/git/push"), "gh-b", r#"{"n":5}"#, "wrong", &sync());
    assert_eq!(status, 401);
    d.wait_log(r#""code":"no_matching_signature""#);
    assert!(!d.log().contains(GITHUB_SECRET));
}

#[test]
fn sync_mode_in_the_file_answers_after_the_functions() {
    let d = Daemon::start(&setup("mode-sync", &EXAMPLE.replace(r#"mode = "async""#, r#"mode = "sync""#)));
    let (status, _) = d.github(&format!("{BASE}/git/push"), "gh-m1", r#"{"n":1}"#, GITHUB_SECRET, &[]);
    assert_eq!(status, 200);
    assert!(d.out("gh-m1.done").is_some());
    let (status, _) = d.github(&format!("{BASE}/nothing"), "gh-m2", r#"{"n":2}"#, GITHUB_SECRET, &[]);
    assert_eq!(status, 404);
}

#[test]
fn sighup_rereads_the_secrets_file() {
    let dir = setup("sighup", EXAMPLE);
    let d = Daemon::start(&dir);
    let path = format!("{BASE}/git/push");
    assert_eq!(d.github(&path, "gh-h1", r#"{"n":1}"#, GITHUB_SECRET, &sync()).0, 200);
    assert_eq!(d.github(&path, "gh-h2", r#"{"n":2}"#, GITHUB_SECRET_2, &sync()).0, 401);
    // A sync delivery in flight (its function sleeps) while the secrets are swapped is not dropped.
    let d = Arc::new(d);
    let in_flight = {
        let (d, path) = (d.clone(), path.clone());
        std::thread::spawn(move || d.github(&path, "gh-h0", r#"{"n":"slow"}"#, GITHUB_SECRET, &sync()))
    };
    d.wait_out("gh-h0.started");
    std::fs::write(dir.join("github.secrets"), format!("{GITHUB_SECRET_2}\n")).unwrap();
    d.signal("-HUP");
    d.wait_log("SIGHUP: provider github: 1 secrets live");
    let (status, answer) = in_flight.join().unwrap();
    assert_eq!(status, 200, "in-flight delivery: {answer}");
    assert_eq!(d.github(&path, "gh-h3", r#"{"n":3}"#, GITHUB_SECRET_2, &sync()).0, 200, "new secret accepted");
    assert_eq!(d.github(&path, "gh-h4", r#"{"n":4}"#, GITHUB_SECRET, &sync()).0, 401, "old secret refused");
    // The other provider still verifies (its secrets were re-read from the environment).
    assert_eq!(d.reflex(&format!("{BASE}/reflex"), "rf-h", "deployment.done", &sync()).0, 200);
    // A broken file on SIGHUP keeps the live secrets.
    std::fs::write(dir.join("github.secrets"), "\n\n").unwrap();
    d.signal("-HUP");
    d.wait_log("secrets unchanged");
    assert_eq!(d.github(&path, "gh-h5", r#"{"n":5}"#, GITHUB_SECRET_2, &sync()).0, 200);
    assert!(!d.log().contains(GITHUB_SECRET_2), "{}", d.log());
}

#[test]
fn sigterm_drains_a_running_function_then_exits_0() {
    let mut d = Daemon::start(&setup("sigterm", EXAMPLE));
    let (status, _) = d.github(&format!("{BASE}/git/push"), "gh-t", r#"{"n":"slow"}"#, GITHUB_SECRET, &[]);
    assert_eq!(status, 202);
    d.wait_out("gh-t.started");
    assert!(d.out("gh-t.done").is_none());
    d.signal("-TERM");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = d.child.0.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "serve did not exit; log:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{}", d.log());
    assert!(d.out("gh-t.done").is_some(), "exited before the function completed; log:\n{}", d.log());
    // No new connections once stopping.
    assert!(TcpStream::connect(("127.0.0.1", d.port)).is_err());
}

#[test]
fn a_function_past_its_timeout_is_killed_and_fails() {
    let config = EXAMPLE.replace(r#"run = ["./on-push.sh", "push"]"#, "run = [\"./on-push.sh\", \"push\"]\ntimeout = 0.5");
    let d = Daemon::start(&setup("timeout", &config));
    let start = Instant::now();
    let (status, answer) = d.github(&format!("{BASE}/git/push"), "gh-x", r#"{"n":"slow"}"#, GITHUB_SECRET, &sync());
    assert_eq!(status, 500, "{answer}");
    assert!(start.elapsed() < Duration::from_millis(1900), "answered after {:?}", start.elapsed());
    d.wait_log("gh-x: timed out");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(d.out("gh-x.done").is_none(), "the function went on after its timeout");
}

#[test]
fn a_redis_store_remembers_deliveries_across_restarts() {
    let (_redis, port) = redis(&[]);
    let config = EXAMPLE.replace(r#"store = "memory""#, &format!(r#"store = "redis://127.0.0.1:{port}/0""#));
    let dir = setup("redis", &config);
    let path = format!("{BASE}/git/push");
    {
        let mut d = Daemon::start(&dir);
        assert_eq!(d.github(&path, "gh-r", r#"{"n":1}"#, GITHUB_SECRET, &sync()).0, 200);
        d.signal("-TERM");
        assert_eq!(d.child.0.wait().unwrap().code(), Some(0));
    }
    let d = Daemon::start(&dir);
    let (status, answer) = d.github(&path, "gh-r", r#"{"n":1}"#, GITHUB_SECRET, &sync());
    assert_eq!((status, answer.contains(r#""duplicate":true"#)), (200, true), "{answer}");
    assert_eq!(d.out("gh-r.runs").unwrap().lines().count(), 1, "a duplicate must not run again");
}

#[test]
fn a_sender_chosen_event_id_cannot_forge_a_log_line() {
    let d = Daemon::start(&setup("forge", EXAMPLE));
    // The JSON escape \n: the event id holds a line break.
    let (status, answer) = d.reflex(&format!("{BASE}/reflex"), "evil\\nFORGED", "deployment.created", &sync());
    assert_eq!(status, 200, "{answer}");
    d.wait_log(r#""status":200"#);
    let log = d.log();
    assert!(!log.lines().any(|l| l.starts_with("FORGED")), "{log}");
}
