//! The handshake family of issue 19 (item 5) through the receiver pipeline: the receivers of
//! tests/vectors/handshakes.json (Slack, Zoom, a Discord-like PING, Twitch, Meta, Dropbox, Asana,
//! Microsoft Graph, Okta), each fed fuzzed requests.
//!
//! Input: a selector byte (receiver, and method: POST, GET or another), then `PATH` on the first
//! line, `name: value` header lines, a blank line, and the body (`split_request`).
//!
//! Properties: `Receiver::begin` never panics; an answer's status is 2xx, 4xx or 5xx (no redirect),
//! its body is bounded (echoes are capped at 2048 bytes) and every response header is visible
//! ASCII (no injected line); a request that is not `POST` never reaches a handler.
#![no_main]

use std::sync::LazyLock;

use hookverify::{MemoryStore, Receiver, ReceiverConfig, Request, Step};
use hookverify_fuzz::{split_line, split_request, NOW};
use libfuzzer_sys::fuzz_target;

/// The receivers of the handshake table, built once, with their case's `now` (so a seed's
/// signature is inside the replay window and its handshake is answered).
static RECEIVERS: LazyLock<Vec<(Receiver<usize>, i64)>> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/handshakes.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("handshakes.json")).expect("json");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| {
            let config = ReceiverConfig::from_json(&case["config"].to_string()).expect("config");
            let now = case["requests"][0]["now"].as_i64().unwrap_or(NOW);
            (config.build(Box::new(MemoryStore::default())).expect("receiver"), now)
        })
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (receiver, now) = &RECEIVERS[usize::from(selector >> 2) % RECEIVERS.len()];
    let method = ["POST", "GET", "PUT", "post"][usize::from(selector & 3)];
    let (path_line, rest) = split_line(rest).unwrap_or((rest, &[]));
    let path = String::from_utf8_lossy(path_line);
    let (headers, body) = split_request(rest);
    let request = Request { method, path: &path, headers: &headers, body, now: *now };
    match receiver.begin(request) {
        Step::Respond(d) => {
            assert!((200..300).contains(&d.status) || (400..600).contains(&d.status), "unexpected status {}: {}", d.status, d.body);
            assert!(d.body.len() <= 4096, "unbounded answer ({} bytes)", d.body.len());
            for (k, v) in &d.headers {
                let visible = |s: &str| s.bytes().all(|b| b == b' ' || b == b'\t' || (0x21..0x7f).contains(&b));
                assert!(visible(k) && visible(v), "response header not visible ASCII: {k:?}: {v:?}");
            }
        }
        Step::Run(delivery) => {
            assert!(method.eq_ignore_ascii_case("POST"), "a {method} request reached a handler");
            let _ = receiver.finish(&delivery, true);
        }
    }
});
