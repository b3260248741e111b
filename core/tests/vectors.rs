//! Runs every shared vector file in tests/vectors against the core.
//!
//! Expected values all come from outside hookverify (Wycheproof, RFC 4231,
//! provider docs, the stdlib-only generator of schemes.json).

use std::path::{Path, PathBuf};

use hookverify::secret::{hmac, verify_tag, verify_truncated_tag};
use hookverify::{Algorithm, ErrorCode, Scheme, Verifier};
use serde_json::Value;

/// Header (name, value) pairs.
type Headers = Vec<(String, String)>;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn load(rel: &str) -> Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn wycheproof(file: &str, algorithm: Algorithm) -> (usize, usize) {
    let doc = load(file);
    let full_bits = algorithm.tag_len() * 8;
    let (mut count, mut truncated_valid) = (0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        let tag_bits = group["tagSize"].as_u64().unwrap() as usize;
        for t in group["tests"].as_array().unwrap() {
            let (key, msg, tag) = (hex(&t["key"]), hex(&t["msg"]), hex(&t["tag"]));
            let valid = t["result"] == "valid";
            let id = &t["tcId"];
            if tag_bits == full_bits {
                assert_eq!(verify_tag(algorithm, &key, &msg, &tag), valid, "{file} tcId {id}");
                if valid {
                    assert_eq!(hmac(algorithm, &key, &msg), tag, "{file} tcId {id}");
                }
            } else {
                // Truncated-tag groups: never accepted as a full signature...
                assert!(!verify_tag(algorithm, &key, &msg, &tag), "{file} tcId {id}: truncated tag accepted");
                // ...but the explicit truncated primitive agrees with Wycheproof.
                assert_eq!(verify_truncated_tag(algorithm, &key, &msg, &tag, tag_bits / 8), valid, "{file} tcId {id}");
                truncated_valid += usize::from(valid);
            }
            count += 1;
        }
    }
    (count, truncated_valid)
}

#[test]
fn wycheproof_hmac_all_518_cases() {
    let (a, ta) = wycheproof("wycheproof/hmac_sha1_test.json", Algorithm::Sha1);
    let (b, tb) = wycheproof("wycheproof/hmac_sha256_test.json", Algorithm::Sha256);
    let (c, tc) = wycheproof("wycheproof/hmac_sha512_test.json", Algorithm::Sha512);
    assert_eq!(a + b + c, 518);
    assert!(ta > 0 && tb > 0 && tc > 0, "truncated groups were exercised");
}

#[test]
fn rfc4231() {
    let doc = load("rfc4231/rfc4231_hmac_sha256_sha512.json");
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 14);
    for t in tests {
        let alg = if t["alg"] == "HMAC-SHA-256" { Algorithm::Sha256 } else { Algorithm::Sha512 };
        let (key, data, tag) = (hex(&t["key_hex"]), hex(&t["data_hex"]), hex(&t["tag_hex"]));
        if t["truncated"] == true {
            assert!(!verify_tag(alg, &key, &data, &tag), "RFC 4231 case 5 truncated tag must be rejected");
            assert!(verify_truncated_tag(alg, &key, &data, &tag, 16));
            assert_eq!(hmac(alg, &key, &data), hex(&t["full_tag_hex"]));
        } else {
            assert!(verify_tag(alg, &key, &data, &tag), "{}", t["tcId"]);
            assert_eq!(hmac(alg, &key, &data), tag);
        }
    }
}

fn scheme_for(name: &Value, customs: &Value) -> Scheme {
    let name = name.as_str().unwrap();
    match customs.get(name) {
        Some(spec) => Scheme::from_json(&spec.to_string()).unwrap(),
        None => Scheme::preset(name).unwrap(),
    }
}

fn body_of(t: &Value) -> Vec<u8> {
    match (t.get("body"), t.get("body_hex")) {
        (Some(Value::String(s)), _) => s.as_bytes().to_vec(),
        (_, Some(h)) => hex(h),
        _ => panic!("case without body: {t}"),
    }
}

fn headers_of(t: &Value) -> Vec<(String, String)> {
    t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
}

#[test]
fn schemes_json_every_case() {
    let doc = load("schemes.json");
    let customs = &doc["custom_schemes"];
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len() as u64, doc["numberOfTests"].as_u64().unwrap());
    for t in tests {
        let id = format!("tcId {} ({})", t["tcId"], t["comment"].as_str().unwrap());
        let scheme = scheme_for(&t["scheme"], customs);
        let mut builder = Verifier::builder(scheme).secrets(t["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()));
        if let Some(tol) = t["tolerance_seconds"].as_u64() {
            builder = builder.tolerance_seconds(tol);
        }
        let verifier = builder.build().unwrap_or_else(|e| panic!("{id}: {e}"));
        let (headers, body, now) = (headers_of(t), body_of(t), t["now"].as_i64().unwrap());
        let result = verifier.verify_signature_at(&body, &headers, now);
        match (t["result"].as_str().unwrap(), &result) {
            ("valid", Ok(v)) => assert_eq!(v.key_index as u64, t["key_index"].as_u64().unwrap(), "{id}"),
            ("invalid", Err(e)) => assert_eq!(e.code().as_str(), t["code"].as_str().unwrap(), "{id}: {e}"),
            (want, got) => panic!("{id}: expected {want}, got {got:?}"),
        }
        if result.is_err() {
            continue;
        }
        let event = verifier.verify_at(&body, &headers, now);
        match (&t["event"], &event) {
            (Value::Object(want), Ok(ev)) => {
                assert_eq!(ev.id, want["id"].as_str().unwrap(), "{id}");
                assert_eq!(ev.event_type, want["type"].as_str().unwrap(), "{id}");
                assert_eq!(ev.timestamp, want["timestamp"].as_i64(), "{id}");
                assert_eq!(ev.key_index as u64, t["key_index"].as_u64().unwrap(), "{id}");
            }
            (Value::Null, Err(e)) => assert_eq!(e.code().as_str(), t["event_code"].as_str().unwrap(), "{id}: {e}"),
            (want, got) => panic!("{id}: expected event {want}, got {got:?}"),
        }
    }
}

fn malformed_case_inputs(inputs: &serde_json::Map<String, Value>) -> (Vec<u8>, Vec<(String, String)>, Option<String>) {
    const NON_HEADERS: &[&str] = &["secret_utf8", "secret", "body_utf8", "payload_utf8", "body_file", "body_hex", "now", "tolerance"];
    let body = if let Some(b) = inputs.get("body_utf8").or(inputs.get("payload_utf8")) {
        b.as_str().unwrap().as_bytes().to_vec()
    } else if let Some(f) = inputs.get("body_file") {
        let rel = f.as_str().unwrap();
        std::fs::read(vectors_dir().join(rel)).unwrap()
    } else {
        hex(&inputs["body_hex"])
    };
    let headers = inputs
        .iter()
        .filter(|(k, v)| !NON_HEADERS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let secret = inputs.get("secret_utf8").or(inputs.get("secret")).and_then(Value::as_str).map(str::to_owned);
    (body, headers, secret)
}

#[test]
fn malformed_headers_72_cases() {
    let doc = load("attacks/malformed_headers.json");
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 72);
    let mut policy = Vec::new();
    for c in cases {
        let id = c["id"].as_str().unwrap();
        let scheme = match c["scheme"].as_str().unwrap() {
            "standard-webhooks" => "standard",
            other => other,
        };
        let inputs = c["inputs"].as_object().unwrap();
        let (body, headers, secret) = malformed_case_inputs(inputs);
        let now = inputs.get("now").and_then(Value::as_i64).unwrap_or(0);
        let mut b = Verifier::builder(Scheme::preset(scheme).unwrap()).secret(secret.as_deref().unwrap_or(""));
        if let Some(tol) = inputs.get("tolerance").and_then(Value::as_u64) {
            b = b.tolerance_seconds(tol);
        }
        let outcome = b.build().and_then(|v| v.verify_signature_at(&body, &headers, now));
        let accepted = outcome.is_ok();
        assert_eq!(accepted, c["expect"] == "accept", "{id}: {outcome:?} ({})", c["why"]);
        if c["policy_choice"] == true {
            policy.push(id);
        }
    }
    // spec/policy.md records our choice for exactly these.
    let policy_doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/policy.md")).unwrap();
    assert_eq!(policy.len(), 6);
    for id in policy {
        assert!(policy_doc.contains(id), "spec/policy.md does not record {id}");
    }
}

#[test]
fn provider_examples() {
    let doc = load("providers/provider_examples.json");
    for ex in doc["examples"].as_array().unwrap() {
        let id = ex["id"].as_str().unwrap();
        let (scheme, headers, body, secret, now): (&str, Headers, Vec<u8>, String, i64) = match id {
            "github-docs-x-hub-signature-256" => (
                "github",
                vec![(ex["header"].as_str().unwrap().into(), ex["expected_header_value"].as_str().unwrap().into())],
                ex["body_utf8"].as_str().unwrap().into(),
                ex["secret_utf8"].as_str().unwrap().into(),
                0,
            ),
            "github-legacy-x-hub-signature-sha1-COMPUTED" => {
                // Valid SHA-1 under the explicit scheme; never accepted by `github`.
                let h = vec![(ex["header"].as_str().unwrap().to_owned(), ex["expected_header_value"].as_str().unwrap().to_owned())];
                let gh = Verifier::new(Scheme::preset("github").unwrap(), [ex["secret_utf8"].as_str().unwrap()]).unwrap();
                assert_eq!(gh.verify_signature_at(b"Hello, World!", &h, 0).unwrap_err().code(), ErrorCode::MissingHeader);
                ("github-sha1", h, ex["body_utf8"].as_str().unwrap().into(), ex["secret_utf8"].as_str().unwrap().into(), 0)
            }
            "slack-docs-v0" => (
                "slack",
                ex["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().into())).collect(),
                ex["body_utf8"].as_str().unwrap().into(),
                ex["secret_utf8"].as_str().unwrap().into(),
                ex["verify_now_unix"].as_i64().unwrap(),
            ),
            "standard-webhooks-rust-test_sign" | "standard-webhooks-python-test_sign_function" => {
                let ts = ex["timestamp"].as_i64().unwrap();
                (
                    "standard",
                    vec![
                        ("webhook-id".into(), ex["msg_id"].as_str().unwrap().into()),
                        ("webhook-timestamp".into(), ts.to_string()),
                        ("webhook-signature".into(), ex["expected_signature"].as_str().unwrap().into()),
                    ],
                    ex["payload_utf8"].as_str().unwrap().into(),
                    ex["secret"].as_str().unwrap().into(),
                    ts,
                )
            }
            "stripe-dotnet-EventUtilityTest" => {
                let body = std::fs::read(vectors_dir().join("providers").join(ex["body_file"].as_str().unwrap())).unwrap();
                let header = ex["expected_header_value"].as_str().unwrap();
                let v = Verifier::new(Scheme::preset("stripe").unwrap(), [ex["secret_utf8"].as_str().unwrap()]).unwrap();
                let headers = [("Stripe-Signature", header)];
                for tc in ex["tolerance_cases"].as_array().unwrap() {
                    let r = v.verify_signature_at(&body, &headers, tc["now"].as_i64().unwrap());
                    assert_eq!(r.is_ok(), tc["expect"] == "accept", "{id} {tc}");
                }
                for bad in ex["upstream_malformed_headers_all_reject"].as_array().unwrap() {
                    assert!(v.verify_signature_at(&body, &[("Stripe-Signature", bad.as_str().unwrap())], 1533204620).is_err());
                }
                ("stripe", vec![("Stripe-Signature".into(), header.into())], body, ex["secret_utf8"].as_str().unwrap().into(), 1533204620)
            }
            other => panic!("unhandled provider example {other}"),
        };
        let v = Verifier::new(Scheme::preset(scheme).unwrap(), [secret.as_str()]).unwrap();
        let verified = v.verify_signature_at(&body, &headers, now).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(verified.key_index, 0);
        // One flipped body byte must fail.
        let mut tampered = body.clone();
        tampered[0] ^= 1;
        assert_eq!(v.verify_signature_at(&tampered, &headers, now).unwrap_err().code(), ErrorCode::NoMatchingSignature, "{id}");
    }
}

#[test]
fn length_extension_forgery_is_rejected() {
    let doc = load("attacks/length_extension_sha256.json");
    let secret = doc["secret_ascii"].as_str().unwrap();
    let scheme = Scheme::from_json(r#"{"name":"sha256-body","signature_header":"X-Signature"}"#).unwrap();
    let v = Verifier::new(scheme, [secret]).unwrap();
    let original = hex(&doc["original_body_hex"]);
    let forged = hex(&doc["forged"]["body_hex"]);
    let ok_hmac = doc["hmac_sha256_original_hex"].as_str().unwrap();
    assert!(v.verify_signature_at(&original, &[("X-Signature", ok_hmac)], 0).is_ok());
    // The naive SHA-256(secret||body) tags, original and length-extended, never verify.
    for (body, tag) in [(&original, &doc["naive_sha256_secret_body_hex"]), (&forged, &doc["forged"]["naive_tag_hex"])] {
        let err = v.verify_signature_at(body, &[("X-Signature", tag.as_str().unwrap())], 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NoMatchingSignature);
    }
    assert_eq!(hex::encode(hmac(Algorithm::Sha256, secret.as_bytes(), &forged)), doc["forged"]["hmac_sha256_of_forged_body_hex"]);
}
