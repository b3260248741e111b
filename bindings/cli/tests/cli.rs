//! End-to-end tests of the `hookverify` binary against the shared vectors.

mod common;

use common::{bin, body_of, listen, run_with_stdin, vectors};

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn one_json_line(out: &Output) -> Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "exactly one line of JSON: {text:?}");
    serde_json::from_str(text.trim_end()).unwrap()
}

#[test]
fn verify_runs_every_schemes_json_case() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(vectors().join("schemes.json")).unwrap()).unwrap();
    let customs = doc["custom_schemes"].as_object().unwrap();
    for t in doc["tests"].as_array().unwrap() {
        let id = format!("tcId {} {}", t["tcId"], t["comment"]);
        let mut cmd = bin();
        cmd.arg("verify");
        let name = t["scheme"].as_str().unwrap();
        match customs.get(name) {
            Some(spec) => cmd.args(["--scheme-json", &spec.to_string()]),
            None => cmd.args(["--scheme", name]),
        };
        for s in t["secrets"].as_array().unwrap() {
            cmd.arg(format!("--secret={}", s.as_str().unwrap()));
        }
        for (k, v) in t["headers"].as_object().unwrap() {
            cmd.args(["-H", &format!("{k}: {}", v.as_str().unwrap())]);
        }
        cmd.args(["--now", &t["now"].to_string()]);
        if let Some(tol) = t["tolerance_seconds"].as_u64() {
            cmd.args(["--tolerance", &tol.to_string()]);
        }
        let out = run_with_stdin(cmd, &body_of(t));
        let json = one_json_line(&out);
        if t["result"] == "valid" {
            assert_eq!(out.status.code(), Some(0), "{id}: {json}");
            assert_eq!(json["valid"], true);
            assert_eq!(json["key_index"], t["key_index"], "{id}");
            match &t["event"] {
                Value::Null => assert_eq!(json["event"], Value::Null, "{id}"),
                want => {
                    assert_eq!(json["event"]["id"], want["id"], "{id}");
                    assert_eq!(json["event"]["type"], want["type"], "{id}");
                    assert_eq!(json["event"]["timestamp"], want["timestamp"], "{id}");
                }
            }
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.starts_with(r#"{"valid":true,"key_index":"#), "documented key order: {text}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{id}: {json}");
            assert_eq!(json["valid"], false);
            assert_eq!(json["code"], t["code"], "{id}");
            assert!(json["message"].as_str().unwrap().len() > 10);
        }
    }
}

fn sign(args: &[&str], body: &[u8]) -> Vec<(String, String)> {
    let mut cmd = bin();
    cmd.arg("sign").args(args);
    let out = run_with_stdin(cmd, body);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn sign_matches_published_provider_signatures() {
    // GitHub docs.
    let h = sign(&["--scheme", "github", "--secret", "It's a Secret to Everybody"], b"Hello, World!");
    assert_eq!(h, [("X-Hub-Signature-256".into(), "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".into())]);
    // standard-webhooks' own test vector.
    let h = sign(
        &[
            "--scheme",
            "standard",
            "--secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--id",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "--timestamp",
            "1614265330",
        ],
        br#"{"test": 2432232314}"#,
    );
    assert!(h.contains(&("webhook-signature".into(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into())), "{h:?}");
    // stripe-dotnet fixture (v1 only; Stripe's v0 is not produced).
    let body = std::fs::read(vectors().join("providers/stripe_dotnet_event_test_signature.json")).unwrap();
    let h = sign(&["--scheme", "stripe", "--secret", "webhook_secret", "--timestamp", "1533204620"], &body);
    assert_eq!(h[0].1, "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7");
    // Slack docs.
    let ex: Value = serde_json::from_str(&std::fs::read_to_string(vectors().join("providers/provider_examples.json")).unwrap()).unwrap();
    let slack = ex["examples"].as_array().unwrap().iter().find(|e| e["id"] == "slack-docs-v0").unwrap();
    let h = sign(
        &["--scheme", "slack", "--secret", slack["secret_utf8"].as_str().unwrap(), "--timestamp", "1531420618"],
        slack["body_utf8"].as_str().unwrap().as_bytes(),
    );
    assert!(h.contains(&("X-Slack-Signature".into(), slack["expected_header_value"].as_str().unwrap().into())));
}

#[test]
fn sign_generates_an_id_when_the_scheme_signs_one() {
    let h = sign(&["--scheme", "standard", "--secret", "whsec_aGVsbG8=", "--timestamp", "1700000000"], b"{}");
    let id = &h.iter().find(|(k, _)| k == "webhook-id").unwrap().1;
    assert!(id.starts_with("msg_") && id.len() == 28, "{id}");
}

#[test]
fn usage_and_config_errors_exit_2() {
    let out = run_with_stdin(
        {
            let mut c = bin();
            c.args(["verify", "--scheme", "paypal", "--secret", "s"]);
            c
        },
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(one_json_line(&out)["code"], "unknown_scheme");

    let out = run_with_stdin(
        {
            let mut c = bin();
            c.args(["verify", "--scheme-json", r#"{"name":"x"}"#, "--secret", "s"]);
            c
        },
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(one_json_line(&out)["code"], "invalid_scheme");

    let out = run_with_stdin(
        {
            let mut c = bin();
            c.args(["verify", "--scheme", "github", "--secret", ""]);
            c
        },
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(one_json_line(&out)["code"], "invalid_secret");

    let out = run_with_stdin(
        {
            let mut c = bin();
            c.args(["verify", "--scheme", "github", "--secret", "s", "-H", "no-colon"]);
            c
        },
        b"",
    );
    assert_eq!(out.status.code(), Some(2));

    let out = run_with_stdin(
        {
            let mut c = bin();
            c.args(["verify", "--secret", "s"]);
            c
        },
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

#[test]
fn secrets_never_printed() {
    let out = run_with_stdin(
        {
            let mut c = bin();
            c.args(["verify", "--scheme", "github", "--secret", "sup3r-s3cret-value", "-H", "X-Hub-Signature-256: sha256=00"]);
            c
        },
        b"body",
    );
    let all = [out.stdout, out.stderr].concat();
    assert!(!String::from_utf8_lossy(&all).contains("sup3r-s3cret-value"));
}

#[test]
fn scheme_file_and_schemes_listing() {
    let dir = std::env::temp_dir().join(format!("hv-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("spec.json");
    std::fs::write(&spec, r#"{"name":"revnoxa","signature_header":"X-Revnoxa-Signature"}"#).unwrap();
    // HMAC-SHA256(key="key", msg="body") computed with Python's hmac module.
    let good = "515aae133b435d4000956731f68ae5cf5eb85d4f0dc6a546d2bfcd3595ec1ae1";
    for (sig, want) in [(good, None), (&good.replace('5', "6")[..], Some("no_matching_signature"))] {
        let out = run_with_stdin(
            {
                let mut c = bin();
                c.args(["verify", "--scheme-file", spec.to_str().unwrap(), "--secret", "key"]);
                c.args(["-H", &format!("X-Revnoxa-Signature: {sig}")]);
                c
            },
            b"body",
        );
        let json = one_json_line(&out);
        match want {
            None => assert_eq!(json["valid"], true, "{json}"),
            Some(code) => assert_eq!(json["code"], code),
        }
    }
    let out = bin().args(["schemes"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (aliases, presets): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.contains("  alias of "));
    assert_eq!(presets, hookverify::scheme::preset_names());
    assert_eq!(aliases.len(), hookverify::scheme::preset_aliases().len());
    let out = bin().args(["schemes", "stripe"]).output().unwrap();
    let spec: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(spec["signature_format"], "kv");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn readme_cli_block_runs() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let section = &readme[readme.find("## CLI").unwrap()..];
    let start = section.find("```bash\n").unwrap() + 8;
    let script = &section[start..start + section[start..].find("```").unwrap()];
    let dir = std::env::temp_dir().join(format!("hv-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_hookverify")).parent().unwrap();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(&dir)
        .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // Each `# {...}` comment in the block is the output the line before it prints.
    for expected in script.lines().filter_map(|l| l.strip_prefix("# {")) {
        assert!(stdout.contains(&format!("{{{expected}")), "README promises {{{expected}; got:\n{stdout}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn listen_prints_events_and_answers_per_ack_policy() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let mut server = listen(&["--path", "/hooks", "--scheme", "standard"], secret);

    // Signature from the standard-webhooks project's own test vector (independent of our signer).
    let body = br#"{"test": 2432232314}"#;
    let valid = vec![
        ("webhook-id".to_string(), "msg_p5jXN8AQM9LWM0D4loKWxJek".to_string()),
        ("webhook-timestamp".to_string(), "1614265330".to_string()),
        ("webhook-signature".to_string(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_string()),
    ];
    // That vector is from 2021: it is stale now, so the receiver rejects it with the replay code.
    let (status, resp) = server.post("/hooks", &valid, body);
    assert_eq!(status, 401, "{resp}");
    assert!(resp.contains("timestamp_too_old"));

    // A fresh delivery signed by the CLI, with a JSON envelope.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let envelope = br#"{"type":"user.created","timestamp":"2026-01-01T00:00:00Z","data":{"user":"u_1"}}"#;
    let headers = sign(&["--scheme", "standard", "--secret", secret, "--id", "msg_live_1", "--timestamp", &now], envelope);
    let (status, resp) = server.post("/hooks", &headers, envelope);
    assert_eq!(status, 200, "{resp}");
    let event = server.event();
    assert_eq!((event["id"].as_str(), event["type"].as_str()), (Some("msg_live_1"), Some("user.created")));
    assert_eq!(event["data"]["user"], "u_1");
    // Duplicate: 200, not printed again; tampered: 401.
    let (status, resp) = server.post("/hooks", &headers, envelope);
    assert_eq!(status, 200);
    assert!(resp.contains("duplicate"));
    let (status, _) = server.post("/hooks", &headers, &envelope[1..]);
    assert_eq!(status, 401);
    let rest = server.stop();
    assert!(rest.is_empty(), "the duplicate must not print a second event: {rest:?}");
}
