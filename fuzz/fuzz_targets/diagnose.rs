//! `hookverify::diagnose` on arbitrary requests (input: `name: value` lines, an empty line,
//! then the body). Its verdict must agree with a `Verifier` for the detected scheme.
#![no_main]

use hookverify::diagnose::{detect, diagnose};
use hookverify::Verifier;
use hookverify_fuzz::{secret_of, split_request, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (headers, body) = split_request(data);
    let detected = detect(&headers);
    let secret = detected.as_ref().map_or("generic-webhook-secret", |(s, _)| secret_of(s.name()));
    let report = diagnose(body, &headers, &[secret], None, NOW);
    let json = report.to_json();
    assert!(!json.is_empty());
    if let Some((scheme, _)) = detected {
        let verdict = Verifier::new(scheme.clone(), [secret]).and_then(|v| v.verify_signature_at(body, &headers, NOW));
        assert_eq!(report.valid, verdict.is_ok(), "diagnose and verify disagree: {verdict:?}\n{json}");
        // Given the scheme explicitly, the verdict is the same.
        assert_eq!(diagnose(body, &headers, &[secret], Some(&scheme), NOW).valid, report.valid);
    } else {
        assert!(!report.valid);
    }
});
