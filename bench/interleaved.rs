//! The Rust contenders of the Standard Webhooks scheme timed side by side: per body size, each
//! contender is calibrated to a batch of ~BATCH ms, then every round times one batch of each
//! (order rotated), so all share whatever load the machine has (criterion runs them one after
//! another). `bench-interleaved OUT.json [--quick]`; bench/report.py takes the goal ratios from it.

use std::hint::black_box;
use std::time::Instant;

use hmac::Mac;
use hookverify::{Scheme, Verifier};
use hookverify_bench::hand::*;

type Contender<'a> = (&'static str, Box<dyn Fn() + 'a>);

fn time_batch(f: &dyn Fn(), n: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").ok().map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(",")).unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).cloned().unwrap_or_else(|| "target/bench/rust-interleaved.json".into());
    let quick = args.iter().any(|a| a == "--quick") || std::env::var("BENCH_QUICK").as_deref() == Ok("1");
    let (rounds, batch_ns) = if quick { (7, 1e6) } else { (31, 2e6) };
    let scheme = "standard";
    let verifier = Verifier::new(Scheme::preset(scheme).unwrap(), [STANDARD_SECRET]).unwrap();
    let key = key_bytes(scheme);
    let hmac_key = HmacSha256::new_from_slice(&key).unwrap();
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let swh = standardwebhooks::Webhook::new(STANDARD_SECRET).unwrap();
    let svix = svix::webhooks::Webhook::new(STANDARD_SECRET).unwrap();
    let mut json = Vec::new();
    let mut loads = vec![format!("[{}]", loadavg())];
    for (size, label) in SIZES {
        let case = Case::new(scheme, size);
        let (h, body, now) = (&case.headers, &case.body[..], case.now);
        let map = case.header_map();
        let cs: Vec<Contender> = vec![
            ("hookverify_sig", Box::new(|| _ = black_box(verifier.verify_signature_at(black_box(body), black_box(h), now).unwrap()))),
            ("hookverify_verify", Box::new(|| drop(black_box(verifier.verify_ref_at(black_box(body), black_box(h), now).unwrap())))),
            ("hmac_sha2", Box::new(|| assert!(hand_hmac(scheme, &hmac_key, black_box(h), black_box(body), now)))),
            ("hmac_sha2_parse", Box::new(|| assert!(hand_hmac_parse(scheme, &hmac_key, black_box(h), black_box(body), now)))),
            ("ring", Box::new(|| assert!(hand_ring(scheme, &ring_key, black_box(h), black_box(body), now)))),
            ("standardwebhooks", Box::new(|| swh.verify(black_box(body), black_box(&map)).unwrap())),
            ("svix", Box::new(|| svix.verify(black_box(body), black_box(&map)).unwrap())),
        ];
        let batches: Vec<u64> = cs
            .iter()
            .map(|(_, f)| {
                time_batch(f.as_ref(), 16); // warm up, and check it accepts
                let ns = time_batch(f.as_ref(), 64);
                ((batch_ns / ns) as u64).max(1)
            })
            .collect();
        let mut samples = vec![Vec::with_capacity(rounds); cs.len()];
        for r in 0..rounds {
            for j in 0..cs.len() {
                let i = (j + r) % cs.len();
                samples[i].push(time_batch(cs[i].1.as_ref(), batches[i]));
            }
        }
        for ((name, _), s) in cs.iter().zip(samples.iter_mut()) {
            s.sort_by(|a, b| a.partial_cmp(b).unwrap());
            json.push(format!("\"{name}/{label}\": {{\"best_ns\": {:.1}, \"median_ns\": {:.1}}}", s[0], s[s.len() / 2]));
            eprintln!("{label:>6} {name:18} best {:>12.0} ns  median {:>12.0} ns", s[0], s[s.len() / 2]);
        }
        loads.push(format!("[{}]", loadavg()));
    }
    let text = format!(
        "{{\"harness\": \"rust-interleaved\", \"quick\": {quick}, \"rounds\": {rounds}, \"loadavg\": [{}], \"results\": {{{}}}}}\n",
        loads.join(", "),
        json.join(", ")
    );
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&out, text).unwrap();
}
