//! A real PostgreSQL server for tests: its own data directory in a temp dir, listening on a free
//! loopback port (its unix socket in that dir too), stopped by pid at the end.
//!
//! The data directory is a copy of a template made once by `initdb` (kept in cargo's
//! `CARGO_TARGET_TMPDIR`, so later runs skip `initdb`), with a superuser `hookverify` whose
//! password is [`PASSWORD`] (scram-sha-256 over TCP). `initdb` and `postgres` refuse to run as
//! root: when the tests are root, both run as the `postgres` OS user, which owns the temp dir.
//! The server runs under a small `sh` watchdog that holds our end of a pipe: when this process
//! ends in any way (a panic, a signal), the pipe closes and the watchdog stops the server by pid,
//! so no server outlives its test run.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The superuser's password: tests check it never shows in an error or a `Debug`.
pub const PASSWORD: &str = "pg-pass-7c1e9d-never-logged";
/// The superuser.
pub const USER: &str = "hookverify";

/// The directory holding `initdb`, `postgres`: `PG_BIN_DIR` when set, else `initdb`'s on PATH,
/// else the newest `/usr/lib/postgresql/*/bin` (Debian installs there without putting it on
/// PATH): the search scripts/lib/tools.sh makes for `make deps`.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("postgres").is_file() {
                return Some(dir);
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| bin_dir().expect("PostgreSQL must be installed (make deps installs it: scripts/deps-apt.sh, apt `postgresql`)"))
}

/// `(uid, gid)` to run the server as: the `postgres` OS user when we are root, else `None` (we
/// run it ourselves).
fn run_as() -> Option<(u32, u32)> {
    static AS: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    *AS.get_or_init(|| {
        if std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(1) != 0 {
            return None;
        }
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
        let line = passwd.lines().find(|l| l.starts_with("postgres:")).expect("root runs the server as the `postgres` user: none exists");
        let fields: Vec<&str> = line.split(':').collect();
        Some((fields[2].parse().unwrap(), fields[3].parse().unwrap()))
    })
}

fn command(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    if let Some((uid, gid)) = run_as() {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

fn chown_tree(path: &Path) {
    if let Some((uid, gid)) = run_as() {
        let status = Command::new("chown").arg("-R").arg(format!("{uid}:{gid}")).arg(path).status().unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
}

/// The template data directory, made by `initdb` once (per target dir and PostgreSQL install).
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let version = bin().parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hookverify-pg-template-{version}-v1"));
        if dir.join("data/PG_VERSION").is_file() {
            return dir;
        }
        // Made under a private name, then renamed: concurrent test binaries never see half of one.
        let work = PathBuf::from(format!("{}.{}", dir.display(), std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("pwfile"), PASSWORD).unwrap();
        chown_tree(&work);
        let out = command(&bin().join("initdb"))
            .arg("-D")
            .arg(work.join("data"))
            .args(["-U", USER, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            .arg(format!("--pwfile={}", work.join("pwfile").display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::remove_file(work.join("pwfile")).unwrap();
        if std::fs::rename(&work, &dir).is_err() {
            // Another test binary made it first.
            let _ = std::fs::remove_dir_all(&work);
        }
        dir
    })
}

/// A PostgreSQL server we started (and only we stop).
pub struct PgServer {
    dir: PathBuf,
    /// Its loopback TCP port.
    pub port: u16,
    running: Option<Running>,
}

struct Running {
    watchdog: Child,
    /// Our end of the watchdog's pipe: closing it stops the server.
    pipe: Option<ChildStdin>,
    /// The postmaster's pid.
    pid: u32,
}

impl PgServer {
    /// A fresh server (an empty database `postgres`) on a free loopback port, ready for connections.
    pub fn start() -> PgServer {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!("hookverify-pg-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("cp").arg("-a").arg(template().join("data")).arg(dir.join("data")).status().unwrap();
        assert!(status.success(), "copying the template data directory");
        chown_tree(&dir);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = PgServer { dir, port, running: None };
        server.restart();
        server
    }

    /// `postgres://hookverify:PASSWORD@127.0.0.1:PORT/postgres` (`connect_timeout` 2 s).
    pub fn url(&self) -> String {
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{}/postgres?connect_timeout=2", self.port)
    }

    /// The URL of database `name` on this server.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{name}?connect_timeout=2", self.port)
    }

    /// A plain client (the test's own view of the database, not the inbox under test).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).unwrap()
    }

    /// A plain client of database `name`.
    pub fn client_of(&self, name: &str) -> postgres::Client {
        postgres::Client::connect(&self.url_of(name), postgres::NoTls).unwrap()
    }

    /// Creates database `name` (empty); its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.client().batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        self.url_of(name)
    }

    /// The postmaster's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.pid)
    }

    /// (Re)starts the server on the same port and data directory (its data kept) and waits until
    /// it accepts connections.
    pub fn restart(&mut self) {
        assert!(self.running.is_none(), "already running");
        // The watchdog starts the server, prints its pid, and stops it (fast shutdown: SIGINT, by
        // pid) once its stdin closes: our `stop`, or this process ending however it ends.
        let script = r#"
            "$1" -D "$2/data" -p "$3" -k "$2" -c listen_addresses=127.0.0.1 -c max_connections=150 \
                -c shared_buffers=16MB -c fsync=off -c full_page_writes=off >"$2/server.log" 2>&1 &
            pg=$!
            echo "$pg"
            cat >/dev/null
            kill -INT "$pg" 2>/dev/null
            wait "$pg"
        "#;
        let mut watchdog = command(Path::new("/bin/sh"))
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(bin().join("postgres"))
            .arg(&self.dir)
            .arg(self.port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh");
        let mut line = String::new();
        BufReader::new(watchdog.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let pid: u32 = line.trim().parse().expect("the watchdog prints the server's pid");
        self.running = Some(Running { pipe: watchdog.stdin.take(), watchdog, pid });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if postgres::Client::connect(&self.url(), postgres::NoTls).is_ok() {
                return;
            }
            if let Some(status) = self.running.as_mut().unwrap().watchdog.try_wait().unwrap() {
                panic!("postgres exited ({status}): {}", self.log());
            }
            assert!(Instant::now() < deadline, "postgres did not start on port {}: {}", self.port, self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Stops the server: fast shutdown (SIGINT by pid: every connection is closed, committed data
    /// is kept), and waits for it to exit.
    pub fn stop(&mut self) {
        self.stop_with(None);
    }

    /// Stops the server as a crash would: SIGQUIT by pid, PostgreSQL's immediate shutdown (no
    /// checkpoint; the next start recovers from the WAL).
    pub fn crash(&mut self) {
        self.stop_with(Some("-QUIT"));
    }

    fn stop_with(&mut self, signal: Option<&str>) {
        let Some(mut running) = self.running.take() else { return };
        if let Some(signal) = signal {
            let _ = Command::new("kill").arg(signal).arg(running.pid.to_string()).status();
        }
        drop(running.pipe.take()); // the watchdog sends SIGINT (harmless after an earlier signal)
        let deadline = Instant::now() + Duration::from_secs(30);
        while running.watchdog.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = Command::new("kill").arg("-KILL").arg(running.pid.to_string()).status();
                let _ = running.watchdog.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // The port is free again once the postmaster is gone.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{}", running.pid)).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
