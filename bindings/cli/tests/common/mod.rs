//! Helpers shared by the CLI test files: the binary, the vectors, independent HMAC signatures,
//! daemons (`listen`, `serve`, redis-server) started on a free loopback port and stopped by their
//! own pid, and a plain HTTP/1.1 POST.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The `hookverify` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hookverify"))
}

/// tests/vectors at the repository root.
pub fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// Runs `cmd` with `stdin` as its input and collects its output.
pub fn run_with_stdin(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A usage error exits before reading stdin: a closed pipe is not a test failure.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// A vector case's body: `body` (UTF-8 text) or `body_hex`.
pub fn body_of(t: &Value) -> Vec<u8> {
    match t.get("body") {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        _ => hex::decode(t["body_hex"].as_str().unwrap()).unwrap(),
    }
}

/// Hex HMAC-SHA256 of `body` under `secret`, by the `hmac` and `sha2` crates (never hookverify's
/// signer): GitHub's `sha256=<hex>` without the prefix, or a body-signed sender's signature.
pub fn hmac_sha256_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A child process this test started; killed and reaped (by its own pid) when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of a child's pipe, read on a thread until the pipe closes.
pub fn lines(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A loopback port nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// POSTs `body` to `target` (path and query, as sent on the request line) on 127.0.0.1:`port`,
/// with `headers`, on one connection closed after the answer: the status and the response body.
pub fn post<K: AsRef<str>, V: AsRef<str>>(port: u16, target: &str, headers: &[(K, V)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut head = format!("POST {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{}: {}\r\n", k.as_ref(), v.as_ref()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status: {raw:?}"));
    (status, raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned())
}

/// A daemon (`listen` or `serve`) this test started: the port its start banner (its first line
/// on stderr, `… http://127.0.0.1:PORT/…`) names, and its stdout and stderr, line by line.
pub struct Daemon {
    pub child: Killed,
    pub port: u16,
    pub banner: String,
    pub stdout: Receiver<String>,
    pub stderr: Receiver<String>,
}

impl Daemon {
    /// Spawns `cmd` with its stdout and stderr piped and waits (20 s at most) for its banner;
    /// panics with what it printed instead when it did not start.
    pub fn start(mut cmd: Command) -> Daemon {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let mut child = Killed(child);
        let banner = stderr.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
        let port = banner.split("127.0.0.1:").nth(1).and_then(|r| r.split('/').next()).and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.0.kill();
            let status = child.0.wait().unwrap();
            let rest: Vec<String> = stderr.try_iter().collect();
            panic!("the daemon did not start ({status}): {banner}\n{}", rest.join("\n"));
        };
        Daemon { child, port, banner, stdout, stderr }
    }

    /// [`post`] to this daemon.
    pub fn post<K: AsRef<str>, V: AsRef<str>>(&self, target: &str, headers: &[(K, V)], body: &[u8]) -> (u16, String) {
        post(self.port, target, headers, body)
    }

    /// The next line on its stdout (an event, for `listen`), parsed; waits 5 s at most.
    pub fn event(&self) -> Value {
        let line = self.stdout.recv_timeout(Duration::from_secs(5)).expect("an event line on stdout");
        serde_json::from_str(&line).unwrap()
    }

    /// Kills it; the lines it printed on stdout that were not read yet.
    pub fn stop(&mut self) -> Vec<String> {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
        self.stdout.iter().collect()
    }
}

/// Starts `hookverify listen --port 0 --secret <secret> --sync` plus `args` (scheme, path).
pub fn listen(args: &[&str], secret: &str) -> Daemon {
    let mut cmd = bin();
    cmd.args(["listen", "--port", "0", "--secret", secret, "--sync"]).args(args);
    Daemon::start(cmd)
}

/// redis-server on a free loopback port with `args` (e.g. `--requirepass`), no persistence: the
/// process (stopped by its pid when dropped) and the port.
pub fn redis(args: &[&str]) -> (Killed, u16) {
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed");
    let server = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    (server, port)
}
