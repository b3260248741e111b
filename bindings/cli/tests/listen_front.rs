//! Issue 18, item 4: `hookverify listen` is a thin front of the receiver `serve` runs (the core's
//! `ReceiverConfig`): every path is accepted and named in its delivery's log line, rejected
//! deliveries are logged with their code, `--redis` is checked (PING) at start, and
//! `--max-event-age` reaches the provider. Real processes over loopback (listen, redis-server),
//! stopped by their pid; signatures by the hmac/sha2 crates, never by hookverify.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{bin, free_port, hmac_sha256_hex, redis, Daemon};

const SECRET: &str = "QZfrontS3cret-3e8a";
const PASSWORD: &str = "QZfrontREDISpass-6d21";
const REFLEX: &str = r#"{"name":"reflex","signature_header":"X-Reflex-Signature"}"#;

/// A running `listen`: its port, its stdout (events) and stderr (log) lines, and its banner.
struct Listener(Daemon);

impl std::ops::Deref for Listener {
    type Target = Daemon;
    fn deref(&self) -> &Daemon {
        &self.0
    }
}

impl Listener {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Listener {
        let mut cmd = bin();
        cmd.args(["listen", "--port", "0"]).args(args).envs(env.iter().copied());
        Listener(Daemon::start(cmd))
    }

    /// A GitHub delivery with id `id`, signed with `secret` (its body holds the id too: GitHub
    /// does not sign the delivery id, so the body identifies a delivery).
    fn github(&self, target: &str, secret: &str, id: &str) -> (u16, String) {
        let body = format!(r#"{{"action":"opened","issue":{{"number":1}},"delivery":"{id}"}}"#);
        let body = body.as_bytes();
        let headers = [
            ("X-Hub-Signature-256", format!("sha256={}", hmac_sha256_hex(secret, body))),
            ("X-GitHub-Event", "issues".to_owned()),
            ("X-GitHub-Delivery", id.to_owned()),
        ];
        self.post(target, &headers, body)
    }

    fn log_line(&self) -> String {
        self.stderr.recv_timeout(Duration::from_secs(5)).expect("a line on stderr")
    }
}

#[test]
fn any_path_is_accepted_and_each_delivery_names_its_path() {
    // `--path` defaults to `/`; the banner says so.
    let server = Listener::start(&["--scheme", "github", "--secret", SECRET, "--sync"], &[]);
    assert!(server.banner.contains(&format!("127.0.0.1:{}/ (sync mode; any path is accepted)", server.port)), "{}", server.banner);
    drop(server);

    // With `--path /hooks`, other paths are still answered (they used to be 404).
    let server = Listener::start(&["--scheme", "github", "--secret", SECRET, "--sync", "--path", "/hooks"], &[]);
    for (i, target) in ["/hooks", "/", "/other/deep?x=1"].into_iter().enumerate() {
        let (status, body) = server.github(target, SECRET, &format!("d-path-{i}"));
        assert_eq!(status, 200, "{target}: {body}");
        let event = server.event();
        assert_eq!(event["path"], target.split('?').next().unwrap(), "{event}");
        assert_eq!(event["id"], format!("d-path-{i}"));
        assert_eq!(event["provider"], "github");
    }
    // A rejected delivery: its code on stderr, with the path it came on (and no secret).
    let (status, body) = server.github("/elsewhere", "wrong-secret", "d-path-bad");
    assert_eq!(status, 401, "{body}");
    let line = server.log_line();
    assert!(line.starts_with("hookverify: rejected delivery: code=no_matching_signature status=401 provider=github: "), "{line}");
    assert!(line.ends_with(" path=/elsewhere"), "{line}");
    assert!(!line.contains(SECRET), "{line}");
    // A duplicate is answered, not logged as a rejection.
    let (status, body) = server.github("/again", SECRET, "d-path-0");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("duplicate"), "{body}");
    assert!(server.stderr.recv_timeout(Duration::from_millis(300)).is_err(), "a duplicate is not a rejection");
}

#[test]
fn redis_is_checked_at_start_and_said_reachable_without_the_password() {
    let (_redis, port) = redis(&["--requirepass", PASSWORD]);
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{port}/0");
    let server = Listener::start(
        &["--scheme", "github", "--secret", SECRET, "--sync", "--redis-env", "HV_FRONT_REDIS"],
        &[("HV_FRONT_REDIS", &url)],
    );
    let line = server.log_line();
    assert_eq!(line, format!("hookverify: redis at 127.0.0.1:{port}/0 is reachable"));
    // The store is the one checked: a delivery is claimed there, its replay is a duplicate.
    assert_eq!(server.github("/", SECRET, "d-redis-1").0, 200);
    let (status, body) = server.github("/", SECRET, "d-redis-1");
    assert!(status == 200 && body.contains("duplicate"), "{status} {body}");
}

#[test]
fn an_unreachable_redis_stops_the_start_with_a_clear_message() {
    let (_redis, port) = redis(&["--requirepass", PASSWORD]);
    let closed = free_port();
    let dir = std::env::temp_dir().join(format!("hv-listen-front-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("redis-url");
    let argv = |url: String| (vec!["--redis".to_owned(), url], None);
    let cases = [
        // A closed port, the URL given on argv.
        (argv(format!("redis://:{PASSWORD}@127.0.0.1:{closed}/0")), format!("{closed}/0"), "refused"),
        // The right server, the wrong password (from a file).
        (
            (
                vec!["--redis-file".to_owned(), file.to_str().unwrap().to_owned()],
                Some(format!("redis://:{PASSWORD}x@127.0.0.1:{port}/3\n")),
            ),
            format!("{port}/3"),
            "AuthenticationFailed",
        ),
        // No password at all: connecting works, the PING is refused (before, the first delivery was).
        (argv(format!("redis://127.0.0.1:{port}")), format!("{port}/0"), "NOAUTH"),
    ];
    for ((args, contents), address, detail) in cases {
        if let Some(c) = contents {
            std::fs::write(&file, c).unwrap();
        }
        let started = Instant::now();
        let out = bin().args(["listen", "--port", "0", "--scheme", "github", "--secret", SECRET]).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(10), "the check is bounded by the store's deadline");
        let expected = format!("hookverify: redis at 127.0.0.1:{address} is not reachable: dedup store unavailable: redis: ");
        assert!(stderr.starts_with(&expected), "{stderr}");
        assert!(stderr.contains(detail), "{detail}: {stderr}");
        assert!(!stderr.contains("listening on") && !stderr.contains(PASSWORD) && !stderr.contains("QZ"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn max_event_age_reaches_the_provider() {
    let server = Listener::start(&["--scheme-json", REFLEX, "--secret", SECRET, "--sync", "--max-event-age", "300"], &[]);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let deliver = |id: &str, created_at: u64| {
        let body = format!(r#"{{"id":"{id}","type":"deployment.created","created_at":{created_at},"data":{{}}}}"#);
        server.post("/reflex", &[("X-Reflex-Signature", hmac_sha256_hex(SECRET, body.as_bytes()))], body.as_bytes())
    };
    let (status, body) = deliver("evt_fresh", now);
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.event()["id"], "evt_fresh");
    let (status, body) = deliver("evt_old", 1_577_836_800);
    assert!(body.contains("timestamp_too_old"), "{status} {body}");
    let line = server.log_line();
    assert!(line.contains("code=timestamp_too_old") && line.ends_with(" path=/reflex"), "{line}");
}

#[test]
fn serve_shares_the_start_check() {
    // `serve` builds its receiver with the same function as `listen`: the same PING at start.
    let closed = free_port();
    let dir = std::env::temp_dir().join(format!("hv-listen-front-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("hookverify.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nstore = \"redis://:{PASSWORD}@127.0.0.1:{closed}/2\"\n\n\
             [[provider]]\nscheme = \"github\"\nsecrets_env = \"HV_FRONT_SERVE\"\n"
        ),
    )
    .unwrap();
    let out = bin().args(["serve", "--config", config.to_str().unwrap()]).env("HV_FRONT_SERVE", SECRET).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with(&format!("hookverify: redis at 127.0.0.1:{closed}/2 is not reachable: ")), "{stderr}");
    assert!(stderr.contains("refused") && !stderr.contains("serving on") && !stderr.contains("QZ"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}
