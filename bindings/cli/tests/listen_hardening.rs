//! `hookverify listen` against hostile clients (header and body timeouts, the body cap and its
//! 413), and secrets / Redis URLs read from environment variables and files instead of argv.
//! Every server here is a real process on a free loopback port, stopped by its pid.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{bin, redis, run_with_stdin, Daemon};
use hookverify::{Decision, Error};
use serde_json::Value;

/// The GitHub case of tests/vectors/schemes.json (tcId 37), signed by GitHub's documented example
/// secret; its signature comes from the vectors, not from hookverify.
const BODY: &[u8] = br#"{"action":"opened","issue":{"number":1}}"#;
const VECTOR_SECRET: &str = "It's a Secret to Everybody";
const VECTOR_SIG: &str = "sha256=722e66b078e6397734acc83154280bccfddfadf1d6829a3e30e323e19caac82b";
/// HMAC-SHA256 of BODY under "QZenvS3cret-7f3a" and "QZfileS3cret-9c1d", computed with Python's hmac module.
const ENV_SECRET: &str = "QZenvS3cret-7f3a";
const ENV_SIG: &str = "sha256=8cadaa8dac15a346022e28467d2046047390fdbfb9036431b11d971fa2290dde";
const FILE_SECRET: &str = "QZfileS3cret-9c1d";
const FILE_SIG: &str = "sha256=b35d28d1b9fef5e2a2d4bbffef516c42748e94778bf5354f88426157203de0f2";

/// A scratch directory for this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hv-listen-hardening-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `hookverify listen --port 0 --scheme github --sync --path /hooks` plus `args`, with `env`.
fn listen(args: &[&str], env: &[(&str, &str)]) -> Daemon {
    let mut cmd = bin();
    cmd.args(["listen", "--port", "0", "--scheme", "github", "--sync", "--path", "/hooks"]).args(args).envs(env.iter().copied());
    Daemon::start(cmd)
}

/// What came back on one connection: the bytes read until the server closed it (or `wait` passed),
/// whether it was closed, and when.
struct Answer {
    raw: Vec<u8>,
    closed: bool,
    elapsed: Duration,
}

impl Answer {
    fn status(&self) -> Option<u16> {
        let text = String::from_utf8_lossy(&self.raw);
        text.split(' ').nth(1)?.parse().ok()
    }

    fn head(&self) -> String {
        let text = String::from_utf8_lossy(&self.raw);
        text.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase()
    }

    fn body(&self) -> String {
        let text = String::from_utf8_lossy(&self.raw);
        text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
    }
}

/// Writes `request` (possibly incomplete) and reads until the server closes the connection or
/// `wait` passes. A reset after the answer counts as closed, keeping what was read.
fn exchange(port: u16, request: &[u8], wait: Duration) -> Answer {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = wait.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Answer { raw, closed: false, elapsed: start.elapsed() };
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Answer { raw, closed: true, elapsed: start.elapsed() },
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return Answer { raw, closed: false, elapsed: start.elapsed() }
            }
            Err(_) => return Answer { raw, closed: true, elapsed: start.elapsed() },
        }
    }
}

/// A POST of BODY with the vector's GitHub headers and `signature`.
fn delivery(signature: &str, delivery_id: &str) -> Vec<u8> {
    let mut req = format!(
        "POST /hooks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\
         X-Hub-Signature-256: {signature}\r\nX-GitHub-Event: issues\r\nX-GitHub-Delivery: {delivery_id}\r\n\r\n",
        BODY.len()
    )
    .into_bytes();
    req.extend_from_slice(BODY);
    req
}

/// The JSON of a 413, checked to be exactly the core's answer for `payload_too_large`.
fn assert_payload_too_large(answer: &Answer, size: usize, limit: usize) {
    assert_eq!(answer.status(), Some(413), "{:?}", String::from_utf8_lossy(&answer.raw));
    assert!(answer.head().contains("content-type: application/json"), "{}", answer.head());
    assert!(answer.head().contains("connection: close"), "{}", answer.head());
    let body: Value = serde_json::from_str(&answer.body()).unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    let expected = Decision::from_error(&Error::PayloadTooLarge { size, limit });
    assert_eq!(answer.body(), expected.body);
}

#[test]
fn slowloris_connections_are_closed_at_the_header_timeout() {
    let server = listen(&["--secret", VECTOR_SECRET, "--header-timeout", "1"], &[]);
    // A partial request head, then silence.
    let partial = exchange(server.port, b"POST /hooks HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", Duration::from_secs(5));
    assert!(partial.closed, "a partial header must not hold the connection: {:?}", String::from_utf8_lossy(&partial.raw));
    assert!(partial.elapsed < Duration::from_millis(3000), "{:?}", partial.elapsed);
    // A connection that sends nothing at all is closed too.
    let idle = exchange(server.port, b"", Duration::from_secs(5));
    assert!(idle.closed && idle.elapsed < Duration::from_millis(3000), "{:?}", idle.elapsed);
    // Still serving.
    let ok = exchange(server.port, &delivery(VECTOR_SIG, "slowloris-after"), Duration::from_secs(10));
    assert_eq!(ok.status(), Some(200), "{}", ok.body());
}

#[test]
fn a_declared_length_over_the_cap_is_refused_before_the_body() {
    let server = listen(&["--secret", VECTOR_SECRET], &[]);
    let limit = hookverify::verify::DEFAULT_MAX_BODY_BYTES;
    let head =
        format!("POST /hooks HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nX-Hub-Signature-256: {VECTOR_SIG}\r\n\r\n", limit + 1);
    // No body at all: the answer must not wait for it.
    let answer = exchange(server.port, head.as_bytes(), Duration::from_secs(5));
    assert!(answer.elapsed < Duration::from_millis(1500), "{:?}", answer.elapsed);
    assert_payload_too_large(&answer, limit + 1, limit);
    assert!(answer.closed, "the connection is closed instead of waiting for 25 MiB");
}

#[test]
fn a_chunked_body_over_the_cap_is_stopped_with_the_json_413() {
    let server = listen(&["--secret", VECTOR_SECRET, "--max-body-bytes", "1024"], &[]);
    let head = format!(
        "POST /hooks HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nX-Hub-Signature-256: {VECTOR_SIG}\r\n\
         X-GitHub-Event: issues\r\nX-GitHub-Delivery: chunked-1\r\n\r\n"
    );
    // 600 + 600 bytes, and the body is never finished: the answer comes at the second chunk.
    let mut req = head.clone().into_bytes();
    for _ in 0..2 {
        req.extend_from_slice(format!("258\r\n{}\r\n", " ".repeat(600)).as_bytes());
    }
    let answer = exchange(server.port, &req, Duration::from_secs(5));
    assert!(answer.elapsed < Duration::from_millis(1500), "{:?}", answer.elapsed);
    assert_payload_too_large(&answer, 1200, 1024);
    // Exactly at the cap is not too large (the signature does not match this body: 401).
    let mut req = head.into_bytes();
    req.extend_from_slice(format!("400\r\n{}\r\n0\r\n\r\n", " ".repeat(1024)).as_bytes());
    let answer = exchange(server.port, &req, Duration::from_secs(5));
    assert_eq!(answer.status(), Some(401), "{}", answer.body());
}

#[test]
fn a_body_that_stalls_is_answered_408_at_the_body_timeout() {
    let server = listen(&["--secret", VECTOR_SECRET, "--body-timeout", "1"], &[]);
    let head = format!(
        "POST /hooks HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nX-Hub-Signature-256: {VECTOR_SIG}\r\n\r\n{}",
        BODY.len(),
        "{\"action\""
    );
    let answer = exchange(server.port, head.as_bytes(), Duration::from_secs(6));
    assert_eq!(answer.status(), Some(408), "{:?}", String::from_utf8_lossy(&answer.raw));
    assert!(answer.closed && answer.elapsed < Duration::from_millis(3000), "{:?}", answer.elapsed);
}

#[test]
fn timeouts_and_cap_flags_are_validated() {
    for bad in [["--header-timeout", "0"], ["--body-timeout", "0"], ["--max-body-bytes", "-1"]] {
        let out = bin().args(["listen", "--port", "0", "--scheme", "github", "--secret", "s"]).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

/// `verify` of the vector delivery with `secret_args`, and `env`.
fn verify(secret_args: &[&str], env: &[(&str, &str)], signature: &str) -> (Option<i32>, String, String) {
    let mut cmd = bin();
    cmd.args(["verify", "--scheme", "github"]).args(secret_args);
    cmd.args(["-H", &format!("X-Hub-Signature-256: {signature}"), "-H", "X-GitHub-Event: issues", "-H", "X-GitHub-Delivery: d-1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run_with_stdin(cmd, BODY);
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn verify_reads_secrets_from_env_and_files() {
    let dir = scratch("verify");
    let file = dir.join("secret");
    // One trailing newline (as `echo` writes it) is not part of the secret.
    std::fs::write(&file, format!("{FILE_SECRET}\n")).unwrap();
    let file = file.to_str().unwrap();
    let env = [("HV_TEST_SECRET", ENV_SECRET)];

    let (code, out, _) = verify(&["--secret-env", "HV_TEST_SECRET"], &env, ENV_SIG);
    assert_eq!(code, Some(0), "{out}");
    let (code, out, _) = verify(&["--secret-file", file], &[], FILE_SIG);
    assert_eq!(code, Some(0), "{out}");
    // Combined, in key-index order: --secret values, then --secret-env, then --secret-file.
    let all = ["--secret-file", file, "--secret-env", "HV_TEST_SECRET", "--secret", "wrong"];
    for (sig, index) in [(ENV_SIG, 1), (FILE_SIG, 2)] {
        let (code, out, _) = verify(&all, &env, sig);
        let json: Value = serde_json::from_str(&out).unwrap();
        assert_eq!((code, json["key_index"].as_u64()), (Some(0), Some(index)), "{out}");
    }
    // A secret with CRLF loses the CRLF; other whitespace is kept (so it does not match here).
    std::fs::write(dir.join("crlf"), format!("{FILE_SECRET}\r\n")).unwrap();
    assert_eq!(verify(&["--secret-file", dir.join("crlf").to_str().unwrap()], &[], FILE_SIG).0, Some(0));
    std::fs::write(dir.join("spaced"), format!("{FILE_SECRET} \n")).unwrap();
    assert_eq!(verify(&["--secret-file", dir.join("spaced").to_str().unwrap()], &[], FILE_SIG).0, Some(1));
    // No secret given at all: clap's usage error.
    assert_eq!(verify(&[], &[], FILE_SIG).0, Some(2));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn unusable_secret_sources_exit_2_naming_the_source_not_the_value() {
    let dir = scratch("bad");
    std::fs::write(dir.join("blank"), " \t\n").unwrap();
    std::fs::write(dir.join("empty"), "").unwrap();
    std::fs::write(dir.join("binary"), b"\xff\xfeQZbin").unwrap();
    std::fs::write(dir.join("huge"), "QZbin".repeat(20_000)).unwrap();
    let path = |n: &str| dir.join(n).to_str().unwrap().to_owned();
    // (arguments, environment, what the message must name)
    type Case<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, String);
    let cases: Vec<Case> = vec![
        (vec!["--secret-env".into(), "HV_UNSET_VAR_QZ".into()], vec![], "HV_UNSET_VAR_QZ".into()),
        (vec!["--secret-env".into(), "HV_BLANK".into()], vec![("HV_BLANK", "  \n")], "HV_BLANK".into()),
        (vec!["--secret-env".into(), "HV_EMPTY".into()], vec![("HV_EMPTY", "")], "HV_EMPTY".into()),
        (vec!["--secret-file".into(), path("blank")], vec![], path("blank")),
        (vec!["--secret-file".into(), path("empty")], vec![], path("empty")),
        (vec!["--secret-file".into(), path("binary")], vec![], path("binary")),
        (vec!["--secret-file".into(), path("missing")], vec![], path("missing")),
        (vec!["--secret-file".into(), path("huge")], vec![], path("huge")),
        (vec!["--secret-file".into(), "/dev/zero".into()], vec![], "/dev/zero".into()),
    ];
    for (args, env, names) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = verify(&args, &env, ENV_SIG);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        let all = format!("{out}{err}");
        assert!(all.contains(&names), "{args:?}: the message names the source: {all}");
        assert!(!all.contains("QZbin"), "{all}");
        // The same for every other subcommand that takes secrets (sign and send take one).
        for sub in [&["diagnose"][..], &["sign"], &["send", "http://127.0.0.1:9/"], &["listen", "--port", "0"]] {
            let mut cmd = bin();
            cmd.args(sub).args(["--scheme", "github"]).args(&args);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            let out = run_with_stdin(cmd, BODY);
            let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.code(), Some(2), "{sub:?} {args:?}: {all}");
            assert!(all.contains(&names), "{sub:?} {args:?}: {all}");
        }
    }
    // Never the value: a present but unusable Redis URL file is named, its content is not printed.
    std::fs::write(dir.join("redis"), "not a url QZredisPASS\n").unwrap();
    let out =
        bin().args(["listen", "--port", "0", "--scheme", "github", "--secret", "s", "--redis-file", &path("redis")]).output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("QZredisPASS"), "{all}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sign_and_send_take_their_secret_from_env_or_file() {
    let dir = scratch("sign");
    std::fs::write(dir.join("secret"), format!("{FILE_SECRET}\n")).unwrap();
    for (args, env, sig) in [
        (vec!["--secret-env", "HV_SIGN_SECRET"], vec![("HV_SIGN_SECRET", ENV_SECRET)], ENV_SIG),
        (vec!["--secret-file", dir.join("secret").to_str().unwrap()], vec![], FILE_SIG),
    ] {
        let mut cmd = bin();
        cmd.args(["sign", "--scheme", "github"]).args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = run_with_stdin(cmd, BODY);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(&format!("X-Hub-Signature-256: {sig}")), "{args:?}: {text}");
    }
    // Exactly one signing secret.
    let out = bin().args(["sign", "--scheme", "github", "--secret", "a", "--secret-env", "HOME"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(dir).ok();
}

fn cmdline(pid: u32) -> String {
    String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap()).replace('\0', " ")
}

#[test]
fn listen_keeps_secrets_and_the_redis_password_out_of_its_command_line() {
    let dir = scratch("listen");
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, format!("{FILE_SECRET}\n")).unwrap();
    let password = "QZredisPASS-41c7";
    let (redis, port) = redis(&["--requirepass", password]);
    let redis_url = format!("redis://:{password}@127.0.0.1:{port}/0");
    let redis_file = dir.join("redis");
    std::fs::write(&redis_file, format!("{redis_url}\n")).unwrap();

    for redis_args in [vec!["--redis-env", "HV_REDIS_URL"], vec!["--redis-file", redis_file.to_str().unwrap()]] {
        let mut args = vec!["--secret-env", "HV_LISTEN_SECRET", "--secret-file", secret_file.to_str().unwrap()];
        args.extend(&redis_args);
        let server = listen(&args, &[("HV_LISTEN_SECRET", ENV_SECRET), ("HV_REDIS_URL", &redis_url)]);
        let line = cmdline(server.child.0.id());
        assert!(line.contains("listen"), "{line}");
        for secret in [ENV_SECRET, FILE_SECRET, password] {
            assert!(!line.contains(secret), "{secret} in /proc/<pid>/cmdline: {line}");
        }
        // Both secrets verify, and the claim goes through the password-protected Redis.
        let tag = redis_args[0];
        for (sig, id) in [(ENV_SIG, format!("{tag}-env")), (FILE_SIG, format!("{tag}-file"))] {
            let answer = exchange(server.port, &delivery(sig, &id), Duration::from_secs(10));
            assert_eq!(answer.status(), Some(200), "{}", answer.body());
            let again = exchange(server.port, &delivery(sig, &id), Duration::from_secs(10));
            assert!(again.body().contains("duplicate"), "the second delivery is a duplicate (Redis holds the claim): {}", again.body());
        }
    }
    // A wrong password in the file: Redis refuses the start-up PING, so listen exits at once
    // (it used to start and answer 503 to every delivery), and never prints the URL.
    std::fs::write(&redis_file, format!("redis://:wrong-QZpass@127.0.0.1:{port}/0\n")).unwrap();
    let out = bin()
        .args(["listen", "--port", "0", "--scheme", "github", "--secret", VECTOR_SECRET, "--redis-file", redis_file.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("redis at 127.0.0.1:{port}/0 is not reachable")), "{stderr}");
    assert!(!stderr.contains("wrong-QZpass") && !stderr.contains("listening on"), "{stderr}");
    drop(redis);
    std::fs::remove_dir_all(dir).ok();
}

/// 4,093 arrays nested 127 deep, in one array: 1,047,809 bytes (adversarial review, item 12).
fn deep_body() -> String {
    let unit = format!("{}1{}", "[".repeat(127), "]".repeat(127));
    format!("[{}]", vec![unit; 4093].join(","))
}

/// Peak RSS in KiB of a command, from GNU time's `-v` report, and the command's output.
fn max_rss_kib(args: &[&str]) -> (u64, std::process::Output) {
    let out = std::process::Command::new("/usr/bin/time").arg("-v").arg(env!("CARGO_BIN_EXE_hookverify")).args(args).output().unwrap();
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    let kib = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .unwrap_or_else(|| panic!("no GNU time report: {report}"))
        .trim()
        .parse()
        .unwrap();
    (kib, out)
}

#[test]
fn diagnose_of_a_deeply_nested_1_mib_body_stays_small() {
    let dir = scratch("deep");
    let file = dir.join("deep1m.json");
    let body = deep_body();
    assert_eq!(body.len(), 1_047_809);
    std::fs::write(&file, &body).unwrap();
    let sig = format!("X-Hub-Signature-256: sha256={}", "0".repeat(64));
    let mut args = vec!["diagnose", "--json", "-H", &sig, "--body-file", file.to_str().unwrap()];
    for s in ["--secret", "s1", "--secret", "s2", "--secret", "s3", "--secret", "s4"] {
        args.push(s);
    }
    let (kib, out) = max_rss_kib(&args);
    // 745 MB before the variants were made lazily and capped.
    assert!(kib < 200 * 1024, "peak RSS {kib} KiB");
    // The same verdict as before: invalid (exit 1), scheme detected, no hint, signature not matched.
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["scheme"], "github");
    assert_eq!(report["hints"], Value::Array(vec![]), "{report}");
    let checks = report["checks"].as_array().unwrap();
    let check = |name: &str| checks.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("{name}: {report}")).clone();
    assert_eq!(check("signature")["ok"], false);
    let search = check("hint_search")["detail"].as_str().unwrap().to_owned();
    assert!(search.contains("no candidate matched"), "{search}");
    assert!(search.contains("JSON re-serialization(s) skipped"), "the report says what was not tried: {search}");
    std::fs::remove_dir_all(dir).ok();
}
