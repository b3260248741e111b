//! Helpers shared by the CLI test files.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use serde_json::Value;

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

/// Starts `hookverify listen --port 0 --sync` with `args` (scheme, path) on loopback;
/// returns the child, the port it printed, and its stdout (one JSON line per event).
pub fn listen(args: &[&str], secret: &str) -> (Child, u16, BufReader<ChildStdout>) {
    let mut child = bin()
        .args(["listen", "--port", "0", "--secret", secret, "--sync"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    stderr.read_line(&mut banner).unwrap();
    let port = banner.split("127.0.0.1:").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, port, stdout)
}
