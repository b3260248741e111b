//! Issue 16, item 13: `hookverify listen` prints one stderr line per rejected delivery — its code,
//! status, provider and the detail the HTTP answer leaves out (how many secrets were tried, the
//! Redis error) — and never a secret or the Redis password. Every server here is a real process on
//! a free loopback port (listen, and a password-protected redis-server), stopped by its pid.

mod common;

use std::time::Duration;

use common::{bin, redis, Daemon};

/// The GitHub case of tests/vectors/schemes.json (tcId 37), signed by GitHub's documented example
/// secret; the second pair is HMAC-SHA256 of BODY under ENV_SECRET computed with Python's hmac module.
const BODY: &[u8] = br#"{"action":"opened","issue":{"number":1}}"#;
const VECTOR_SIG: &str = "sha256=722e66b078e6397734acc83154280bccfddfadf1d6829a3e30e323e19caac82b";
const ENV_SECRET: &str = "QZenvS3cret-7f3a";
const ENV_SIG: &str = "sha256=8cadaa8dac15a346022e28467d2046047390fdbfb9036431b11d971fa2290dde";
const CANARY: &str = "QZlogCANARYsecond-5e2b";
const PASSWORD: &str = "QZredisCANARYpass-81c7";

/// A `listen` process (stderr line by line).
struct Listener(Daemon);

impl Listener {
    /// Starts `hookverify listen --port 0 --scheme github --sync --path /hooks` plus `args`, with `env`.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Listener {
        let mut cmd = bin();
        cmd.args(["listen", "--port", "0", "--scheme", "github", "--sync", "--path", "/hooks"]).args(args);
        cmd.envs(env.iter().copied());
        Listener(Daemon::start(cmd))
    }

    /// POSTs BODY signed with `signature`: the status and the response body.
    fn post(&self, signature: &str, id: &str) -> (u16, String) {
        let headers = [("X-Hub-Signature-256", signature), ("X-GitHub-Event", "issues"), ("X-GitHub-Delivery", id)];
        self.0.post("/hooks", &headers, BODY)
    }

    /// The next stderr line (waiting a little for it), or None.
    fn next_line(&self) -> Option<String> {
        self.0.stderr.recv_timeout(Duration::from_secs(5)).ok()
    }
}

fn assert_no_canary(text: &str) {
    for canary in [ENV_SECRET, CANARY, PASSWORD, "QZ"] {
        assert!(!text.contains(canary), "{canary} leaked: {text}");
    }
}

#[test]
fn a_401_is_one_stderr_line_saying_how_many_secrets_were_tried() {
    let server =
        Listener::start(&["--secret-env", "HV_LOG_S1", "--secret-env", "HV_LOG_S2"], &[("HV_LOG_S1", ENV_SECRET), ("HV_LOG_S2", CANARY)]);
    let (status, body) = server.post(VECTOR_SIG, "d-log-1");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("no_matching_signature") && !body.contains("secret(s)") && !body.contains("against"), "{body}");
    let line = server.next_line().expect("one line for the rejected delivery");
    assert!(line.starts_with("hookverify: rejected delivery: code=no_matching_signature status=401 provider=github: "), "{line}");
    assert!(line.contains("checked against 2 secret(s)"), "{line}");
    assert_no_canary(&line);
    // A delivery that is handled prints its event on stdout, and nothing on stderr.
    assert_eq!(server.post(ENV_SIG, "d-log-2").0, 200);
    assert_eq!(server.0.stderr.recv_timeout(Duration::from_millis(500)).ok(), None);
}

#[test]
fn a_503_prints_the_redis_error_but_never_the_password() {
    // listen checks Redis at start (listen_front.rs covers a refused start); a Redis that goes
    // away later makes each delivery 503, with the client's error in the log line.
    let (redis, port) = redis(&["--requirepass", PASSWORD]);
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{port}/0");
    let server = Listener::start(
        &["--secret-env", "HV_LOG_S1", "--redis-env", "HV_LOG_REDIS"],
        &[("HV_LOG_S1", ENV_SECRET), ("HV_LOG_REDIS", &url)],
    );
    let reachable = server.next_line().expect("the redis check's line");
    assert_eq!(reachable, format!("hookverify: redis at 127.0.0.1:{port}/0 is reachable"));
    assert_eq!(server.post(ENV_SIG, "d-log-3").0, 200);
    drop(redis);
    let (status, body) = server.post(ENV_SIG, "d-log-4");
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        r#"{"error":{"code":"store_unavailable","message":"dedup store unavailable: the delivery was not processed; retry later"}}"#
    );
    let line = server.next_line().expect("one line for the rejected delivery");
    assert!(
        line.starts_with(
            "hookverify: rejected delivery: code=store_unavailable status=503 provider=github: dedup store unavailable: redis: "
        ),
        "{line}"
    );
    assert!(line.contains("refused") && line.ends_with(" path=/hooks"), "{line}");
    assert_no_canary(&line);
}
