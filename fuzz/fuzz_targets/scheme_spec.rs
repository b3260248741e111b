//! Scheme-spec parsing: `Scheme::from_json` / `Scheme::resolve` on arbitrary text. A spec
//! that compiles must give a verifier and a signer, and (for specs whose header names and
//! labels can survive HTTP, see `wire_safe`) what the signer signs must verify.
#![no_main]

use hookverify::scheme::SignatureFormat;
use hookverify::{ErrorCode, Scheme, Signer, Verifier};
use hookverify_fuzz::{check_code, check_error, NOW};
use libfuzzer_sys::fuzz_target;

// Valid both as a UTF-8 secret and as a `whsec_` one.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY: &[u8] = b"{\"id\":\"evt_1\",\"type\":\"t\",\"created_at\":1700000000,\"data\":{}}";

/// Whether signed headers of this scheme can be read back at all: header names distinct
/// (case-insensitively), and labels that the header layout and RFC 9110 trimming keep intact.
/// Specs outside this set compile today but can never verify (they fail closed).
fn wire_safe(scheme: &Scheme) -> bool {
    let spec = scheme.spec();
    let mut names: Vec<String> = [Some(&spec.signature_header), spec.timestamp_header.as_ref(), spec.id_header.as_ref()]
        .into_iter()
        .flatten()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let n = names.len();
    names.sort();
    names.dedup();
    let bad = |s: &str, extra: &[char]| s.chars().any(|c| c.is_control() || !c.is_ascii() || extra.contains(&c));
    let layout: &[char] = match spec.signature_format {
        SignatureFormat::Single => &[],
        SignatureFormat::List => &[' '],
        SignatureFormat::Kv => &[','],
        other => panic!("fuzz harness: no separators for {other:?}"), // a new format needs a rule here
    };
    let edge_ws = |s: &str| s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']);
    names.len() == n
        && !bad(&spec.prefix, layout)
        && !(spec.signature_format == SignatureFormat::Single && edge_ws(&spec.prefix))
        && !bad(&spec.signature_version, &[' ', '\t'])
        && !(spec.signature_format == SignatureFormat::Kv && spec.signature_version == "t")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let scheme = match Scheme::resolve(text) {
        Ok(s) => s,
        Err(e) => {
            check_code(&e, &[ErrorCode::InvalidScheme, ErrorCode::UnknownScheme]);
            return;
        }
    };
    let _ = scheme.header_names();
    let _ = format!("{scheme:?}");
    let verifier = match Verifier::new(scheme.clone(), [SECRET]) {
        Ok(v) => v,
        Err(e) => {
            check_code(&e, &[ErrorCode::InvalidSecret]);
            return;
        }
    };
    let spec = scheme.spec();
    if !matches!(spec.signature_format, SignatureFormat::Single | SignatureFormat::List | SignatureFormat::Kv)
        || spec.reads_body_fields()
        || spec.public_key.is_some()
        || scheme.signs_url()
    {
        // Tokens, fields read from the body (signature, timestamp, token), public keys and URL-signed content: `sign` cannot make
        // headers for these from a body alone (it refuses them); the verifier was built above.
        return;
    }
    let signer = Signer::new(scheme.clone(), SECRET).expect("the verifier accepted this secret");
    let headers = signer.sign(BODY, Some("msg_1"), Some(NOW)).expect("id and timestamp given");
    let outcome = verifier.verify_signature_at(BODY, &headers, NOW);
    if wire_safe(&scheme) {
        let verified = outcome.unwrap_or_else(|e| panic!("signed then rejected: {e}\nheaders {headers:?}"));
        assert_eq!(verified.key_index, 0);
        let _ = verifier.verify_at(BODY, &headers, NOW);
    } else if let Err(e) = outcome {
        check_error(&e, hookverify_fuzz::SIGNATURE_CODES);
    }
});
