//! A loop to profile under `perf record`: `profile-verify sig|event SIZE SECONDS` verifies one signed
//! Standard Webhooks body of SIZE bytes over and over (bench/profile.sh wraps it).

use std::hint::black_box;
use std::time::{Duration, Instant};

use hookverify::{unix_now, Scheme, Signer, Verifier};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_else(|| "sig".into());
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1024);
    let secs: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let head = r#"{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"pad":""#;
    let tail = r#""}}"#;
    let body = format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len())).into_bytes();
    let now = unix_now();
    let signer = Signer::new(Scheme::preset("standard").unwrap(), SECRET).unwrap();
    let mut headers = signer.sign(&body, Some("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"), Some(now)).unwrap();
    for (k, v) in [("Content-Type", "application/json"), ("User-Agent", "bench/1.0"), ("Accept", "*/*")] {
        headers.insert(0, (k.to_string(), v.to_string()));
    }
    let verifier = Verifier::new(Scheme::preset("standard").unwrap(), [SECRET]).unwrap();
    let hand_key = {
        use hmac::Mac;
        hookverify_bench::hand::HmacSha256::new_from_slice(&hookverify_bench::hand::key_bytes("standard")).unwrap()
    };
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut n = 0u64;
    while Instant::now() < end {
        for _ in 0..256 {
            match mode.as_str() {
                "sig" => drop(black_box(verifier.verify_signature_at(black_box(&body), black_box(&headers), now).unwrap())),
                "hand" => {
                    assert!(black_box(hookverify_bench::hand::hand_hmac("standard", &hand_key, black_box(&headers), black_box(&body), now)))
                }
                _ => drop(black_box(verifier.verify_ref_at(black_box(&body), black_box(&headers), now).unwrap())),
            }
        }
        n += 256;
    }
    eprintln!("{mode} {size} B: {:.0} ns/op, {n} ops", secs * 1e9 / n as f64);
}
