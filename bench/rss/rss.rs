//! Peak RSS of verifying one 25 MiB body N times: `rss-rust baseline|sig|event|receiver N`.
//! The body is allocated once; its signature is computed with hmac+sha2 streaming (no copy).
//! `baseline` does everything but the verify calls; `sig` calls `verify_signature_at`, `event`
//! calls `verify_ref_at` (+ envelope parse, payload borrowed), `receiver` runs a `Receiver`'s
//! begin + finish (verify, parse, route, MemoryStore claim, complete) with a fresh signed message
//! id each time (signed before measuring), so no delivery is a duplicate. Prints one JSON line with
//! VmHWM (peak RSS) in KiB.

use std::hint::black_box;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use hookverify::receiver::{Mode, Provider, Receiver, Request, Step};
use hookverify::{MemoryStore, Scheme, Verifier};
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SIZE: usize = 25 * 1024 * 1024;

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_else(|| "baseline".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let head = br#"{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"pad":""#;
    let tail = br#""}}"#;
    let mut body = Vec::with_capacity(SIZE);
    body.extend_from_slice(head);
    body.resize(SIZE - tail.len(), b'x');
    body.extend_from_slice(tail);
    let now = hookverify::unix_now();
    let key = B64.decode(&SECRET[6..]).unwrap();
    let signed = |id: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{now}.").as_bytes());
        mac.update(&body);
        let sig = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
        vec![
            ("webhook-id".to_string(), id.to_string()),
            ("webhook-timestamp".to_string(), now.to_string()),
            ("webhook-signature".to_string(), sig),
        ]
    };
    let headers = signed("msg_rss");
    // The dedup key is the signed message id (never the path): one id per receiver delivery.
    let deliveries: Vec<_> = if mode == "receiver" { (0..n).map(|i| signed(&format!("msg_rss_{i}"))).collect() } else { Vec::new() };
    let verifier = Verifier::new(Scheme::preset("standard").unwrap(), [SECRET]).unwrap();
    let mut receiver: Receiver<()> =
        Receiver::new(vec![Provider::new("standard", verifier.clone())], Box::new(MemoryStore::default())).unwrap();
    receiver.on("user.created", ()).mode(Mode::Sync);
    let mut next_delivery = deliveries.iter();
    let before = vm_hwm_kib();
    for _ in 0..n {
        match mode.as_str() {
            "baseline" => {
                black_box(&body);
            }
            "sig" => {
                black_box(verifier.verify_signature_at(&body, &headers, now).unwrap());
            }
            "event" => {
                // The borrowing form: the event's payload is a slice of the body (verify_at copies it).
                black_box(verifier.verify_ref_at(&body, &headers, now).unwrap());
            }
            "receiver" => {
                match receiver.begin(Request { method: "POST", path: "/hooks", headers: next_delivery.next().unwrap(), body: &body, now }) {
                    Step::Run(d) => assert_eq!(receiver.finish(black_box(&d), true).status, 200),
                    Step::Respond(d) => panic!("not run: {}", d.body),
                }
            }
            other => panic!("unknown mode {other}"),
        }
    }
    println!(
        "{{\"binding\":\"rust\",\"mode\":\"{mode}\",\"n\":{n},\"body_bytes\":{SIZE},\"hwm_before_kib\":{before},\"hwm_kib\":{}}}",
        vm_hwm_kib()
    );
}
