//! `single` signature headers (github, github-sha1, shopify, slack) through the public API:
//! the input is the signature header value, then (slack) the timestamp header value.
#![no_main]

use hookverify_fuzz::{check_signature, verifiers, NOW};
use libfuzzer_sys::fuzz_target;

const BODY: &[u8] = b"{\"action\":\"opened\",\"issue\":{\"number\":1}}";

fuzz_target!(|data: &[u8]| {
    for (preset, header) in [
        ("github", "X-Hub-Signature-256"),
        ("github-sha1", "X-Hub-Signature"),
        ("shopify", "X-Shopify-Hmac-Sha256"),
        ("slack", "X-Slack-Signature"),
    ] {
        let pair = verifiers(preset);
        let mut headers: Vec<(&str, &[u8])> = vec![(header, data)];
        if preset == "slack" {
            headers.push(("X-Slack-Request-Timestamp", b"1700000000"));
        }
        check_signature(pair.0.verify_signature_at(BODY, &headers, NOW));
        check_signature(pair.1.verify_signature_at(BODY, &headers, NOW));
    }
    // The input as slack's timestamp header, next to a well-formed signature.
    let sig = b"v0=22b0ca167bb6835f4de19bbea804b4a13c051e2f7071c4608c68558cf3a39128";
    let headers: [(&str, &[u8]); 2] = [("X-Slack-Signature", sig), ("X-Slack-Request-Timestamp", data)];
    let pair = verifiers("slack");
    check_signature(pair.0.verify_signature_at(BODY, &headers, NOW));
    check_signature(pair.1.verify_signature_at(BODY, &headers, NOW));
});
