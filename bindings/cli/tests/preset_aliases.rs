//! Preset aliases in the CLI: `hookverify schemes` lists them (name first), `schemes ALIAS` prints
//! the preset's spec, `verify --scheme ALIAS` verifies as the preset. Expected verdicts come from
//! tests/vectors/presets.json (SDK tests and Python-computed vectors).

mod common;

use common::{bin, run_with_stdin, vectors};
use serde_json::Value;

#[test]
fn schemes_lists_aliases_and_prints_their_preset() {
    let out = bin().arg("schemes").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for (alias, preset) in hookverify::scheme::preset_aliases() {
        let line = format!("{alias}  alias of {preset}");
        assert!(text.lines().any(|l| l == line), "missing {line:?}");
        let spec = bin().args(["schemes", alias]).output().unwrap();
        assert!(spec.status.success(), "{alias}");
        let printed: Value = serde_json::from_slice(&spec.stdout).unwrap();
        let canonical: Value = serde_json::from_slice(&bin().args(["schemes", preset]).output().unwrap().stdout).unwrap();
        assert_eq!(printed, canonical, "{alias}");
    }
    // Every line starts with a name `hookverify schemes NAME` accepts.
    for line in text.lines() {
        let name = line.split_whitespace().next().unwrap();
        assert!(bin().args(["schemes", name]).output().unwrap().status.success(), "{line}");
    }
}

#[test]
fn verify_accepts_an_alias() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(vectors().join("presets.json")).unwrap()).unwrap();
    for (alias, preset) in [("whatsapp", "meta"), ("clerk", "standard")] {
        for t in doc["tests"].as_array().unwrap().iter().filter(|t| t["preset"] == preset) {
            let id = t["id"].as_str().unwrap();
            let mut cmd = bin();
            cmd.args(["verify", "--scheme", alias, "--now", &t["now"].to_string()]);
            if let Some(secret) = t["secret"].as_str() {
                cmd.arg(format!("--secret={secret}"));
            }
            for key in t["public_keys"].as_array().into_iter().flatten() {
                cmd.arg(format!("--public-key={}", key.as_str().unwrap()));
            }
            for (k, v) in t["headers"].as_object().unwrap() {
                cmd.args(["-H", &format!("{k}: {}", v.as_str().unwrap())]);
            }
            let out = run_with_stdin(cmd, t["body"].as_str().unwrap().as_bytes());
            let want = if t["expected"]["valid"] == true { 0 } else { 1 };
            assert_eq!(out.status.code(), Some(want), "{alias} {id}: {}", String::from_utf8_lossy(&out.stdout));
        }
    }
}
