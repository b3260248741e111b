//! Helpers shared by the CLI test files.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
