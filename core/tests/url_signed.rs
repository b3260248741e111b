//! Schemes that sign the request line (issue 19 item 2): `{url}`, `{method}`, `{form_params}`.
//!
//! Every signature comes from tests/vectors/presets.json (twilio-node and square-nodejs-sdk test
//! vectors, or Python's `hmac` via gen_presets.py), never from hookverify's signer.

use std::path::Path;

use hookverify::dedup::MemoryStore;
use hookverify::receiver::{Request, Step};
use hookverify::{ErrorCode, ReceiverConfig, RequestTarget, Scheme, Verifier, VerifierOptions};
use serde_json::{json, Value};

fn case(id: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/presets.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["tests"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap_or_else(|| panic!("no vector {id}")).clone()
}

fn headers(t: &Value) -> Vec<(String, String)> {
    t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
}

fn body(t: &Value) -> &[u8] {
    t["body"].as_str().unwrap().as_bytes()
}

fn verifier(t: &Value) -> Verifier {
    Verifier::new(Scheme::preset(t["preset"].as_str().unwrap()).unwrap(), [t["secret"].as_str().unwrap()]).unwrap()
}

fn check(v: &Verifier, t: &Value, url: Option<&str>) -> hookverify::Result<usize> {
    let target = RequestTarget::new(url, t["method"].as_str());
    v.verify_signature_with(body(t), &headers(t), t["now"].as_i64().unwrap(), &target).map(|r| r.key_index)
}

#[test]
fn a_scheme_that_signs_the_url_needs_one() {
    let t = case("square-006");
    let v = verifier(&t);
    let err = check(&v, &t, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("url"), "{err}");
    // The plain entry points have no URL either.
    assert_eq!(v.verify_signature_at(body(&t), &headers(&t), 0).unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(check(&v, &t, t["url"].as_str()).unwrap(), 0);
}

#[test]
fn a_configured_endpoint_url_serves_every_call_and_a_per_call_url_wins() {
    let t = case("square-006");
    let url = t["url"].as_str().unwrap();
    let opts = json!({"scheme": "square", "secret": t["secret"], "url": url});
    let v = VerifierOptions::from_json(&opts.to_string()).unwrap().build().unwrap();
    assert_eq!(v.url(), Some(url));
    assert_eq!(v.verify_signature_at(body(&t), &headers(&t), 0).unwrap().key_index, 0);
    let wrong = "https://webhook.site/other";
    assert_eq!(check(&v, &t, Some(wrong)).unwrap_err().code(), ErrorCode::NoMatchingSignature);
    let v = Verifier::builder(Scheme::preset("square").unwrap()).secret(t["secret"].as_str().unwrap()).url(wrong).build().unwrap();
    assert_eq!(check(&v, &t, Some(url)).unwrap(), 0);
}

#[test]
fn a_receiver_provider_takes_the_endpoint_url_option() {
    let t = case("square-006");
    let config = json!({
        "providers": [{"name": "sq", "scheme": "square", "secret": t["secret"], "url": t["url"]}],
        "routes": [{"pattern": "*"}],
    });
    let receiver = ReceiverConfig::from_json(&config.to_string()).unwrap().build(Box::new(MemoryStore::default())).unwrap();
    let h = headers(&t);
    match receiver.begin(Request { method: "POST", path: "/", headers: &h, body: body(&t), now: 1_657_744_259 }) {
        Step::Run(d) => assert_eq!(d.event.id, "ac3ac95b-f97d-458c-a6e6-18981597e05f"),
        Step::Respond(d) => panic!("{} {}", d.status, d.body),
    }
}

#[test]
fn twilio_tries_the_default_port_only_when_the_scheme_says_so() {
    // twilio-019: twilio-node's vector is over http://mycompany.com:80/…, the receiver has no port.
    let t = case("twilio-019");
    assert_eq!(check(&verifier(&t), &t, t["url"].as_str()).unwrap(), 0);
    let mut spec = Scheme::preset("twilio").unwrap().spec().clone();
    spec.url_port_variants = false;
    let strict = Verifier::new(Scheme::compile(spec).unwrap(), [t["secret"].as_str().unwrap()]).unwrap();
    assert_eq!(check(&strict, &t, t["url"].as_str()).unwrap_err().code(), ErrorCode::NoMatchingSignature);
    // A non-default port (twilio-020, signed with :1234) is never dropped into a match it lacks.
    let t = case("twilio-020");
    assert_eq!(check(&verifier(&t), &t, t["url"].as_str()).unwrap(), 0);
    assert_eq!(
        check(&verifier(&t), &t, Some("http://mycompany.com:4321/myapp.php?foo=1&bar=2")).unwrap_err().code(),
        ErrorCode::NoMatchingSignature
    );
}

#[test]
fn twilio_json_bodies_are_bound_by_body_sha256() {
    let t = case("twilio-026");
    let v = verifier(&t);
    assert_eq!(check(&v, &t, t["url"].as_str()).unwrap(), 0);
    let h = headers(&t);
    let target = RequestTarget::new(t["url"].as_str(), None);
    let other = br#"{"property": "value", "boolean": false}"#;
    assert_eq!(v.verify_signature_with(other, &h, 0, &target).unwrap_err().code(), ErrorCode::NoMatchingSignature);
}

#[test]
fn hubspot_signs_the_method() {
    let t = case("hubspot-c01");
    let v = verifier(&t);
    let now = t["now"].as_i64().unwrap();
    let (b, h) = (body(&t), headers(&t));
    assert!(v.verify_signature_with(b, &h, now, &RequestTarget::new(t["url"].as_str(), Some("POST"))).is_ok());
    // No method given: POST, the webhook method.
    assert!(v.verify_signature_with(b, &h, now, &RequestTarget::new(t["url"].as_str(), None)).is_ok());
    let get = v.verify_signature_with(b, &h, now, &RequestTarget::new(t["url"].as_str(), Some("GET")));
    assert_eq!(get.unwrap_err().code(), ErrorCode::NoMatchingSignature);
}

#[test]
fn request_fields_are_validated_when_the_spec_compiles() {
    for (spec, needle) in [
        (json!({"name": "x", "signature_header": "S", "url_port_variants": true}), "url_port_variants"),
        (json!({"name": "x", "signature_header": "S", "signed_content": "{url}{body}{form_params}"}), "form_params"),
        (json!({"name": "x", "signature_header": "S", "signed_content": "{url}{body}", "body_hash_param": "h"}), "form_params"),
        (
            json!({"name": "x", "signature_header": "S", "signed_content": "{url}{form_params}", "body_hash_param": "a&b"}),
            "query parameter",
        ),
        (json!({"name": "x", "signature_header": "S", "signed_content": "{url}{uri}"}), "unknown"),
    ] {
        let err = Scheme::from_json(&spec.to_string()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidScheme, "{spec}");
        assert!(err.to_string().contains(needle), "{spec}: {err}");
    }
    // A custom spec with the request fields compiles, and round-trips through JSON.
    let ok = json!({"name": "y", "signature_header": "S", "signed_content": "{method} {url}\n{body}"});
    let scheme = Scheme::from_json(&ok.to_string()).unwrap();
    assert!(scheme.signs_url());
    let again = Scheme::from_json(&serde_json::to_string(Scheme::preset("twilio").unwrap().spec()).unwrap()).unwrap();
    assert!(again.spec().url_port_variants && again.spec().body_hash_param.as_deref() == Some("bodySHA256"));
}

/// Without the request URL, the signer refuses these schemes instead of signing the body alone (a
/// signature no verifier of the scheme accepts); `sign_request` takes it.
#[test]
fn sign_refuses_schemes_that_sign_the_request_without_a_url() {
    for name in ["twilio", "square", "hubspot", "trello"] {
        let signer = hookverify::Signer::new(Scheme::preset(name).unwrap(), "sk").unwrap();
        let err = signer.sign(b"{}", Some("msg_1"), Some(1_700_000_000)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{name}");
        assert!(err.to_string().contains("signs the URL the sender called"), "{name}: {err}");
    }
}
