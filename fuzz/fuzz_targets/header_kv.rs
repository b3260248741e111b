//! `kv` signature headers through the public API: the input is the whole `Stripe-Signature` value
//! (`t=` and `v1=` pairs both come from it), and the whole `X-PagerDuty-Signature` value (a `kv`
//! header without a timestamp pair: `t=` is an unknown key there).
#![no_main]

use hookverify_fuzz::{check_signature, verifiers, NOW};
use libfuzzer_sys::fuzz_target;

const BODY: &[u8] = b"{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"invoice.paid\",\"created\":1700000000,\"data\":{\"object\":{}}}";

fuzz_target!(|data: &[u8]| {
    for (preset, header) in [("stripe", "Stripe-Signature"), ("pagerduty", "X-PagerDuty-Signature")] {
        let pair = verifiers(preset);
        let headers: [(&str, &[u8]); 1] = [(header, data)];
        check_signature(pair.0.verify_signature_at(BODY, &headers, NOW));
        check_signature(pair.1.verify_signature_at(BODY, &headers, NOW));
    }
});
