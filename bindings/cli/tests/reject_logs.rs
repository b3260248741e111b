//! Issue 16, item 13: `hookverify listen` prints one stderr line per rejected delivery — its code,
//! status, provider and the detail the HTTP answer leaves out (how many secrets were tried, the
//! Redis error) — and never a secret or the Redis password. Every server here is a real process on
//! a free loopback port (listen, and a password-protected redis-server), stopped by its pid.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::bin;

/// The GitHub case of tests/vectors/schemes.json (tcId 37), signed by GitHub's documented example
/// secret; the second pair is HMAC-SHA256 of BODY under ENV_SECRET computed with Python's hmac module.
const BODY: &[u8] = br#"{"action":"opened","issue":{"number":1}}"#;
const VECTOR_SIG: &str = "sha256=722e66b078e6397734acc83154280bccfddfadf1d6829a3e30e323e19caac82b";
const ENV_SECRET: &str = "QZenvS3cret-7f3a";
const ENV_SIG: &str = "sha256=8cadaa8dac15a346022e28467d2046047390fdbfb9036431b11d971fa2290dde";
const CANARY: &str = "QZlogCANARYsecond-5e2b";
const PASSWORD: &str = "QZredisCANARYpass-81c7";

/// A child process we started, killed by its own pid when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `listen` process and its stderr, line by line.
struct Listener {
    _child: Killed,
    port: u16,
    lines: Receiver<String>,
}

impl Listener {
    /// Starts `hookverify listen --port 0 --scheme github --sync --path /hooks` plus `args`, with `env`.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Listener {
        let mut cmd = bin();
        cmd.args(["listen", "--port", "0", "--scheme", "github", "--sync", "--path", "/hooks"]).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let child = Killed(child);
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let banner = lines.recv_timeout(Duration::from_secs(20)).expect("listen printed its banner");
        let port = banner.split("127.0.0.1:").nth(1).and_then(|r| r.split('/').next()).and_then(|p| p.parse().ok());
        let port = port.unwrap_or_else(|| panic!("listen did not start: {banner}"));
        Listener { _child: child, port, lines }
    }

    /// POSTs BODY signed with `signature`: the status and the response body.
    fn post(&self, signature: &str, id: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let head = format!(
            "POST /hooks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\
             X-Hub-Signature-256: {signature}\r\nX-GitHub-Event: issues\r\nX-GitHub-Delivery: {id}\r\n\r\n",
            BODY.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(BODY).unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
        (status, raw.split_once("\r\n\r\n").unwrap().1.to_owned())
    }

    /// The next stderr line (waiting a little for it), or None.
    fn next_line(&self) -> Option<String> {
        self.lines.recv_timeout(Duration::from_secs(5)).ok()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// redis-server with `--requirepass PASSWORD` on a free loopback port.
fn locked_redis() -> (Killed, u16) {
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", PASSWORD])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed");
    let server = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    (server, port)
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
    assert_eq!(server.lines.recv_timeout(Duration::from_millis(500)).ok(), None);
}

#[test]
fn a_503_prints_the_redis_error_but_never_the_password() {
    // listen checks Redis at start (listen_front.rs covers a refused start); a Redis that goes
    // away later makes each delivery 503, with the client's error in the log line.
    let (redis, port) = locked_redis();
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
