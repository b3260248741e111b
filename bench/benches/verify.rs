//! hookverify beside hand-written and peer verifiers, per scheme and body size.
//!
//! Groups are named by scheme; inside each, one benchmark per contender and
//! body size (`<scheme>/<contender>/<size>`), all with `Throughput::Bytes`:
//!
//! - `hookverify_sig`: `Verifier::verify_signature_at` (header parse, window, decode, HMAC, compare)
//! - `hookverify_verify`: `Verifier::verify_ref_at` (the above plus the envelope parse; the payload borrowed from the body, like the hand-written RawValue envelope)
//! - `hmac_sha2`: a hand-written verifier of the same scheme on `hmac` + `sha2`
//!   (key schedule done once, header looked up and decoded, window checked,
//!   `Mac::verify_slice`): the floor a careful user could write by hand
//! - `ring`: the same hand-written parsing with `ring::hmac`
//! - `hmac_sha2_parse`: `hmac_sha2` then `serde_json` of the envelope (type, timestamp, borrowed raw
//!   `data`): the hand-written counterpart of `hookverify_verify`
//! - `standardwebhooks`, `svix`: the peer crates (standard scheme only)
//! - `sha256`: raw SHA-256 of the body, the throughput ceiling of any HMAC-SHA256
//!
//! Bodies are valid JSON envelopes of exactly the named size (padding sits in a
//! string inside the data), so `verify_ref_at` parses the same bytes the others hash.
//! Signatures come from hookverify's `Signer`; before any measurement every
//! contender is checked once to accept its input and reject a tampered body.
//!
//! Times: `HOOKVERIFY_BENCH_WARMUP` and `HOOKVERIFY_BENCH_MEASURE` (seconds,
//! fractions allowed) set the defaults; criterion's `--warm-up-time` /
//! `--measurement-time` flags still override them. scripts/bench-rust.sh wraps this.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::Mac;
use hookverify::{Scheme, Verifier};
use hookverify_bench::hand::*;
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------

fn bench_scheme(c: &mut Criterion, scheme: &'static str) {
    let secret = if scheme == "standard" { STANDARD_SECRET } else { UTF8_SECRET };
    let verifier = Verifier::new(Scheme::preset(scheme).unwrap(), [secret]).unwrap();
    let key = key_bytes(scheme);
    let hmac_key = HmacSha256::new_from_slice(&key).unwrap();
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let swh = standardwebhooks::Webhook::new(STANDARD_SECRET).unwrap();
    let svix = svix::webhooks::Webhook::new(STANDARD_SECRET).unwrap();

    let mut group = c.benchmark_group(scheme);
    for (size, label) in SIZES {
        let case = Case::new(scheme, size);
        let (h, body, now) = (&case.headers, &case.body[..], case.now);
        let bad = case.tampered();

        // Every contender accepts its input and rejects a flipped byte, once, before timing.
        verifier.verify_signature_at(body, h, now).expect("hookverify_sig accepts");
        let event = verifier.verify_ref_at(body, h, now).expect("hookverify_verify accepts");
        assert!(!event.id.is_empty() && !event.event_type.is_empty());
        assert!(verifier.verify_signature_at(&bad, h, now).is_err());
        assert!(hand_hmac(scheme, &hmac_key, h, body, now), "hmac_sha2 accepts {scheme}");
        assert!(!hand_hmac(scheme, &hmac_key, h, &bad, now));
        assert!(hand_hmac_parse(scheme, &hmac_key, h, body, now), "hmac_sha2_parse accepts {scheme}");
        assert!(hand_ring(scheme, &ring_key, h, body, now), "ring accepts {scheme}");
        assert!(!hand_ring(scheme, &ring_key, h, &bad, now));

        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("hookverify_sig", label), |b| {
            b.iter(|| verifier.verify_signature_at(black_box(body), black_box(h), now).unwrap())
        });
        group.bench_function(BenchmarkId::new("hookverify_verify", label), |b| {
            b.iter(|| verifier.verify_ref_at(black_box(body), black_box(h), now).unwrap())
        });
        group.bench_function(BenchmarkId::new("hmac_sha2", label), |b| {
            b.iter(|| assert!(hand_hmac(scheme, &hmac_key, black_box(h), black_box(body), now)))
        });
        group.bench_function(BenchmarkId::new("hmac_sha2_parse", label), |b| {
            b.iter(|| assert!(hand_hmac_parse(scheme, &hmac_key, black_box(h), black_box(body), now)))
        });
        group.bench_function(BenchmarkId::new("ring", label), |b| {
            b.iter(|| assert!(hand_ring(scheme, &ring_key, black_box(h), black_box(body), now)))
        });
        if scheme == "standard" {
            let map = case.header_map();
            swh.verify(body, &map).expect("standardwebhooks accepts");
            assert!(swh.verify(&bad, &map).is_err());
            svix.verify(body, &map).expect("svix accepts");
            assert!(svix.verify(&bad, &map).is_err());
            group.bench_function(BenchmarkId::new("standardwebhooks", label), |b| {
                b.iter(|| swh.verify(black_box(body), black_box(&map)).unwrap())
            });
            group.bench_function(BenchmarkId::new("svix", label), |b| b.iter(|| svix.verify(black_box(body), black_box(&map)).unwrap()));
        }
        group.bench_function(BenchmarkId::new("sha256", label), |b| b.iter(|| Sha256::digest(black_box(body))));
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    for scheme in SCHEMES {
        bench_scheme(c, scheme);
    }
}

fn seconds_from_env(name: &str, default: f64) -> Duration {
    let secs = std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok()).filter(|s| *s > 0.0).unwrap_or(default);
    Duration::from_secs_f64(secs)
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(seconds_from_env("HOOKVERIFY_BENCH_WARMUP", 1.0))
        .measurement_time(seconds_from_env("HOOKVERIFY_BENCH_MEASURE", 2.0))
}

criterion_group! {
    name = verify;
    config = config();
    targets = benches
}
criterion_main!(verify);
