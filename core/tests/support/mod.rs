//! Test support: a real redis-server on a free loopback port, stopped by pid; an axum app served on
//! loopback and a plain HTTP/1.1 POST to it.
#![allow(dead_code)]

#[cfg(feature = "inbox-postgres")]
pub mod postgres;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server child process we started (and only we stop).
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    extra: Vec<String>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RedisServer {
    /// Starts redis-server without persistence on a free port and waits until it answers PING.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// `start` with extra redis-server arguments (kept for restarts), e.g. `["--enable-debug-command", "yes"]`.
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let mut server = RedisServer { child: None, port: free_port(), extra: extra.iter().map(|s| s.to_string()).collect() };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// (Re)starts the server on the same port; data starts empty.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (make test installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.command("PING").map(|r| r.starts_with("+PONG")).unwrap_or(false) {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Sends one inline command and returns the first reply line (test helper, not the store under test).
    pub fn command(&self, cmd: &str) -> std::io::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.write_all(format!("{cmd}\r\n").as_bytes())?;
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line)?;
        Ok(line)
    }

    /// The text of one `INFO` section.
    pub fn info(&self, section: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.write_all(format!("INFO {section}\r\n").as_bytes()).unwrap();
        let mut reader = BufReader::new(s);
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let len: usize = header.trim_start_matches('$').trim().parse().unwrap();
        let mut body = vec![0u8; len + 2];
        std::io::Read::read_exact(&mut reader, &mut body).unwrap();
        String::from_utf8(body).unwrap()
    }

    /// Round trips served so far: calls of EVAL + EVALSHA (commands run inside scripts are not round trips).
    pub fn script_calls(&self) -> u64 {
        let stats = self.info("commandstats");
        ["cmdstat_evalsha:", "cmdstat_eval:"]
            .iter()
            .filter_map(|prefix| stats.lines().find_map(|l| l.strip_prefix(prefix)))
            .map(|rest| rest.split(',').find_map(|kv| kv.strip_prefix("calls=")).unwrap().parse::<u64>().unwrap())
            .sum()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// GitHub's preset with an explicit `dedup_key` of its (unsigned) `X-GitHub-Delivery` header.
///
/// The preset itself identifies a delivery by a digest of the signed body, so one signed body is
/// one delivery whatever its delivery id. Tests of the store and the ack policy that make many
/// distinct deliveries of one signed vector vary the delivery id instead, which needs this
/// (documented, unsigned) explicit key.
pub fn github_keyed_by_delivery_id() -> hookverify::Scheme {
    let mut spec = serde_json::to_value(hookverify::Scheme::preset("github").unwrap().spec()).unwrap();
    spec["dedup_key"] = serde_json::json!({"header": "X-GitHub-Delivery"});
    hookverify::Scheme::from_json(&spec.to_string()).unwrap()
}

/// A valid GitHub delivery of tests/vectors/schemes.json (its signature from the independent
/// generator), without its `X-GitHub-Delivery` header: tests vary that header to make distinct
/// deliveries, with the scheme of [`github_keyed_by_delivery_id`].
pub struct GithubCase {
    pub secret: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// The first valid GitHub case with an event, from the vectors.
pub fn github_case() -> GithubCase {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/schemes.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let t = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scheme"] == "github" && t["result"] == "valid" && t["event"].is_object())
        .expect("a valid github case");
    GithubCase {
        secret: t["secrets"][t["key_index"].as_u64().unwrap() as usize].as_str().unwrap().to_owned(),
        body: t["body"].as_str().unwrap().as_bytes().to_vec(),
        headers: t["headers"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("X-GitHub-Delivery"))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect(),
    }
}

/// POSTs `body` to `target` (path and query) on 127.0.0.1:`port` over HTTP/1.1, one connection
/// closed after the answer: the status, the head (status line and headers) and the body.
pub fn post(port: u16, target: &str, headers: &[(String, String)], body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("POST {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// Serves `app` on a free loopback port, on a task of the current tokio runtime: the port.
#[cfg(feature = "axum")]
pub async fn serve(app: axum::Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}
