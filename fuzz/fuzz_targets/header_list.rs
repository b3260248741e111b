//! `list` signature headers (Standard Webhooks / Svix) through the public API: the input is
//! the signature header value (main and alias header names), then the id and timestamp values.
#![no_main]

use hookverify_fuzz::{check_signature, verifiers, NOW};
use libfuzzer_sys::fuzz_target;

const BODY: &[u8] = b"{\"type\":\"user.created\",\"timestamp\":\"2023-11-14T22:13:20Z\",\"data\":{\"id\":\"u_1\"}}";
const ID: &[u8] = b"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const TS: &[u8] = b"1700000000";
const SIG: &[u8] = b"v1,JWQojtHvPvYWL7D4mkO4Axm1oA1/yO3/vJFB0Qoi4Z8=";

fuzz_target!(|data: &[u8]| {
    let pair = verifiers("standard");
    let sets: [[(&str, &[u8]); 3]; 4] = [
        [("webhook-id", ID), ("webhook-timestamp", TS), ("webhook-signature", data)],
        [("svix-id", ID), ("svix-timestamp", TS), ("svix-signature", data)],
        [("webhook-id", data), ("webhook-timestamp", TS), ("webhook-signature", SIG)],
        [("webhook-id", ID), ("webhook-timestamp", data), ("webhook-signature", SIG)],
    ];
    for headers in &sets {
        check_signature(pair.0.verify_signature_at(BODY, headers, NOW));
        check_signature(pair.1.verify_signature_at(BODY, headers, NOW));
    }
});
