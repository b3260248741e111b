//! Test support: a real redis-server on a free loopback port, stopped by pid.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
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
