//! Runs tests/vectors/presets.json (the data-only provider presets of issue 19) against the core.
//!
//! Every expected value comes from outside hookverify: official SDK tests, or vectors computed with
//! Python's `hmac` by tests/vectors/gen_presets.py. A new preset needs only data: its JSON in
//! core/presets and its vectors in presets.json; `every_preset_has_vectors` fails until both exist.

use std::path::Path;

use hookverify::diagnose::diagnose_request;
use hookverify::{DedupBasis, RequestTarget, Scheme, Verifier};
use serde_json::Value;

/// The presets whose vectors live in provider_examples.json and schemes.json (see vectors.rs).
const COVERED_ELSEWHERE: [&str; 6] = ["standard", "stripe", "github", "github-sha1", "slack", "shopify"];

fn doc() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/presets.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The URL the sender called and the method, for presets that sign them (absent otherwise).
fn target(t: &Value) -> RequestTarget<'_> {
    RequestTarget::new(t["url"].as_str(), t["method"].as_str())
}

fn headers(t: &Value) -> Vec<(String, String)> {
    t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
}

#[test]
fn every_vector() {
    let doc = doc();
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len() as u64, doc["numberOfTests"].as_u64().unwrap());
    for t in tests {
        let id = t["id"].as_str().unwrap();
        let scheme = Scheme::preset(t["preset"].as_str().unwrap()).unwrap();
        let keys: Vec<&str> = t["public_keys"].as_array().map(|k| k.iter().map(|k| k.as_str().unwrap()).collect()).unwrap_or_default();
        let v = Verifier::builder(scheme).secrets(t["secret"].as_str()).public_keys(keys).build().unwrap();
        let (body, h, now) = (t["body"].as_str().unwrap().as_bytes(), headers(t), t["now"].as_i64().unwrap());
        let want = &t["expected"];
        let verdict = v.verify_signature_with(body, &h, now, &target(t));
        if want["valid"] == true {
            let key_index = want["key_index"].as_u64().unwrap_or(0) as usize;
            assert_eq!(verdict.unwrap_or_else(|e| panic!("{id}: {e}")).key_index, key_index, "{id}");
            match v.verify_ref_with(body, &h, now, &target(t)) {
                Ok(event) => {
                    let e = &want["event"];
                    assert_eq!(event.id, e["id"].as_str().unwrap(), "{id}");
                    assert_eq!(event.event_type, e["type"].as_str().unwrap(), "{id}");
                    assert_eq!(event.timestamp, e["timestamp"].as_i64(), "{id}");
                }
                Err(err) => assert_eq!(Some(err.code().as_str()), want["event_code"].as_str(), "{id}: {err}"),
            }
        } else {
            let err = verdict.err().unwrap_or_else(|| panic!("{id}: accepted"));
            assert_eq!(err.code().as_str(), want["code"].as_str().unwrap(), "{id}: {err}");
        }
    }
}

#[test]
fn dedup_basis_matches_what_the_signature_covers() {
    let doc = doc();
    for (name, p) in doc["presets"].as_object().unwrap() {
        let scheme = Scheme::preset(name).unwrap();
        assert_eq!(scheme.spec().signature_header, p["signature_header"].as_str().unwrap(), "{name}");
        let want = match p["dedup"].as_str().unwrap() {
            "signed_id" => DedupBasis::SignedId,
            "digest" => DedupBasis::Digest,
            "configured_signed" => DedupBasis::Configured { signed: true },
            other => panic!("{name}: unknown dedup {other}"),
        };
        assert_eq!(scheme.dedup_basis(), want, "{name}");
    }
}

#[test]
fn every_preset_has_vectors() {
    let doc = doc();
    let listed = doc["presets"].as_object().unwrap();
    for scheme in Scheme::presets() {
        let name = scheme.name();
        if COVERED_ELSEWHERE.contains(&name) {
            continue;
        }
        assert!(listed.contains_key(name), "preset {name} has no entry in tests/vectors/presets.json");
        let tests: Vec<&Value> = doc["tests"].as_array().unwrap().iter().filter(|t| t["preset"] == name).collect();
        assert!(tests.iter().any(|t| t["expected"]["valid"] == true), "{name}: no valid vector");
        assert!(tests.iter().any(|t| t["expected"]["valid"] == false), "{name}: no invalid vector");
    }
}

#[test]
fn diagnose_detects_each_preset_by_its_header() {
    let doc = doc();
    for t in doc["tests"].as_array().unwrap().iter().filter(|t| t["expected"]["valid"] == true) {
        let (id, preset) = (t["id"].as_str().unwrap(), t["preset"].as_str().unwrap());
        if t["public_keys"].is_array() {
            // diagnose tries secrets only; public-key vectors run through the verifier above.
            continue;
        }
        let report = diagnose_request(
            t["body"].as_str().unwrap().as_bytes(),
            &headers(t),
            &[t["secret"].as_str().unwrap()],
            None,
            t["now"].as_i64().unwrap(),
            &target(t),
        );
        if matches!(preset, "okta" | "mailgun" | "postmark") {
            // Credentials in `Authorization` (okta, postmark) or in the body (mailgun) name no sender: never
            // detected. Named, the preset verifies.
            assert!(!report.detected || report.scheme.as_deref() != Some(preset), "{id}");
            let scheme = Scheme::preset(preset).unwrap();
            let named = diagnose_request(
                t["body"].as_str().unwrap().as_bytes(),
                &headers(t),
                &[t["secret"].as_str().unwrap()],
                Some(&scheme),
                t["now"].as_i64().unwrap(),
                &target(t),
            );
            assert!(named.valid, "{id}: {}", named.to_json());
            continue;
        }
        assert!(report.detected, "{id}");
        if preset == "meta" {
            // Meta signs exactly as GitHub (X-Hub-Signature-256: sha256=<hex> of the body), which comes first.
            assert_eq!(report.scheme.as_deref(), Some("github"), "{id}");
            assert!(report.valid, "{id}");
        } else if preset == "jira" {
            // Jira signs exactly as Bitbucket (X-Hub-Signature: sha256=<hex> of the body), which comes
            // first; the `sha256=` prefix sets both apart from github-sha1's `sha1=` on that header.
            assert_eq!(report.scheme.as_deref(), Some("bitbucket"), "{id}");
            assert!(report.valid, "{id}");
        } else if preset == "intercom" {
            // Intercom signs exactly as github-sha1 (X-Hub-Signature: sha1=<hex> of the body), which
            // comes first: the signature checks out, but the envelope is GitHub's. Name the scheme.
            assert_eq!(report.scheme.as_deref(), Some("github-sha1"), "{id}");
            assert!(report.valid, "{id}");
        } else {
            assert_eq!(report.scheme.as_deref(), Some(preset), "{id}");
            assert!(report.valid, "{id}: {}", report.to_json());
        }
    }
}
