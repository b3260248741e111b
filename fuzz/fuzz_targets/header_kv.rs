//! `kv` signature headers (Stripe) through the public API: the input is the whole
//! `Stripe-Signature` value (`t=` and `v1=` pairs both come from it).
#![no_main]

use hookverify_fuzz::{check_signature, verifiers, NOW};
use libfuzzer_sys::fuzz_target;

const BODY: &[u8] = b"{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"invoice.paid\",\"created\":1700000000,\"data\":{\"object\":{}}}";

fuzz_target!(|data: &[u8]| {
    let pair = verifiers("stripe");
    let headers: [(&str, &[u8]); 1] = [("Stripe-Signature", data)];
    check_signature(pair.0.verify_signature_at(BODY, &headers, NOW));
    check_signature(pair.1.verify_signature_at(BODY, &headers, NOW));
});
