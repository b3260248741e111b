//! `kv` headers without a timestamp pair (`timestamp_key: ""`): PagerDuty's
//! `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]`. Expected values are go-pagerduty's
//! `webhookv3/webhookv3_test.go` (via tests/vectors/presets.json).

use std::path::Path;

use hookverify::{Scheme, Signer, Verifier};
use serde_json::Value;

fn upstream() -> (String, String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/presets.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let t = doc["tests"].as_array().unwrap().iter().find(|t| t["id"] == "pagerduty-gopd-valid").unwrap().clone();
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    (s(&t["secret"]), s(&t["body"]), s(&t["headers"]["X-PagerDuty-Signature"]))
}

#[test]
fn pagerduty_signs_and_verifies_without_a_timestamp() {
    let (secret, body, sig) = upstream();
    let scheme = Scheme::preset("pagerduty").unwrap();
    assert!(!scheme.has_timestamp());
    assert_eq!(scheme.tolerance_seconds(), None);
    let headers = Signer::new(scheme.clone(), &secret).unwrap().sign(body.as_bytes(), None, None).unwrap();
    assert_eq!(headers, [("X-PagerDuty-Signature".to_owned(), sig.clone())], "the SDK's header, exactly");
    let v = Verifier::new(scheme, [secret.as_str()]).unwrap();
    // Any clock: nothing is timed. A `t=` pair is only an unknown key here.
    for now in [0, 1_619_458_587, 4_000_000_000] {
        v.verify_signature_at(body.as_bytes(), &[("X-PagerDuty-Signature", sig.as_str())], now).unwrap();
    }
    let with_t = format!("t=1,{sig}");
    v.verify_signature_at(body.as_bytes(), &[("X-PagerDuty-Signature", with_t.as_str())], 0).unwrap();
    let err = v.verify_signature_at(body.as_bytes(), &[("X-PagerDuty-Signature", "v2=00")], 0).unwrap_err();
    assert_eq!(err.code().as_str(), "no_matching_signature");
}

#[test]
fn an_empty_timestamp_key_is_kv_only_and_has_no_window() {
    let base = r#""name":"x","signature_header":"X-Sig","timestamp_key":"""#;
    Scheme::from_json(&format!(r#"{{{base},"signature_format":"kv"}}"#)).unwrap();
    for bad in [
        format!(r#"{{{base}}}"#),                                                                  // not kv
        format!(r#"{{{base},"signature_format":"kv","tolerance_seconds":60}}"#),                   // no timestamp to window
        format!(r#"{{{base},"signature_format":"kv","signed_content":"{{timestamp}}{{body}}"}}"#), // nothing to sign
    ] {
        let err = Scheme::from_json(&bad).unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_scheme", "{bad}");
    }
}
