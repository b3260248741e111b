//! dudect (Reparaz, Balasch, Verbauwhede 2017) measurements with `dudect-bencher`.
//!
//! Each bench times one operation on two input classes chosen at random per sample and
//! reports the largest Welch t over dudect's cropped percentiles. |t| ≤ 4.5 over the run is
//! "no leak found". Measured:
//! - `hookverify::secret::verify_tag` (HMAC-SHA256 then `constant_time_eq`, the primitive);
//! - `Verifier::verify_signature_at` per preset (signature decode, then `verify.rs::compare`:
//!   `constant_time_eq` per signature folded with `subtle::Choice`);
//! - a positive control: a naive early-exit `==` over 4 KiB, which must show |t| > 10.
//!
//! Classes: the correct tag vs one differing at its first byte, the correct tag vs one
//! differing at its last byte, and first vs last (both rejected, so only the compare differs).
//! For `verify`, equal-vs-differs also times the different outcome (`Ok` vs building a
//! `NoMatchingSignature` error), which is public; first-vs-last is the comparison leak test.
//! `check_*` run the same verifier through `ct_signature_matches_at` (every step of
//! `verify_signature_at` up to and including the comparison, returning a bool), so equal vs
//! differing signatures is judged per preset without the outcome's result construction.
//! Samples per bench: CT_SAMPLES (default 1,000,000).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dudect_bencher::{ctbench_main, BenchRng, Class, CtRunner};
use hookverify::scheme::{Encoding, SignatureFormat};
use hookverify::secret::{hmac, verify_tag};
use hookverify::{Algorithm, Scheme, Signer, Verifier};

const TS: i64 = 1_700_000_000;
const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid","created":1700000000,"data":{"object":{"amount":100}}}"#;

fn samples() -> usize {
    std::env::var("CT_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000)
}

/// The class of each sample: a fixed xorshift sequence, so every bench sees the same interleaving.
fn classes() -> Vec<Class> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..samples())
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x & 1 == 0 { Class::Left } else { Class::Right }
        })
        .collect()
}

/// Which tag variant each class gets.
#[derive(Clone, Copy)]
enum Variant {
    Equal,
    First,
    Last,
}

fn variant_tag(tag: &[u8], v: Variant) -> Vec<u8> {
    let mut t = tag.to_vec();
    match v {
        Variant::Equal => {}
        Variant::First => t[0] ^= 0x01,
        Variant::Last => *t.last_mut().unwrap() ^= 0x01,
    }
    t
}

fn tag_bench(runner: &mut CtRunner, left: Variant, right: Variant) {
    let key = b"ct-measurement-secret-key";
    let tag = hmac(Algorithm::Sha256, key, BODY);
    let (l, r) = (variant_tag(&tag, left), variant_tag(&tag, right));
    // One buffer, refilled before each sample: both classes live at the same address.
    let mut t = l.clone();
    for class in classes() {
        t.copy_from_slice(match class {
            Class::Left => &l,
            Class::Right => &r,
        });
        runner.run_one(class, || verify_tag(Algorithm::Sha256, key, BODY, &t));
    }
}

/// A preset's signed headers with the signature bytes replaced by `variant`.
fn headers_for(preset: &str, variant: Variant) -> Vec<(String, String)> {
    let scheme = Scheme::preset(preset).unwrap();
    let spec = scheme.spec().clone();
    let secret = secret_for(preset);
    let mut headers = Signer::new(scheme, secret).unwrap().sign(BODY, Some("msg_1"), Some(TS)).unwrap();
    let sig = headers.iter_mut().find(|(k, _)| *k == spec.signature_header).unwrap();
    let lead = match spec.signature_format {
        SignatureFormat::Single => spec.prefix.clone(),
        SignatureFormat::List => format!("{},{}", spec.signature_version, spec.prefix),
        SignatureFormat::Kv => format!("t={TS},{}={}", spec.signature_version, spec.prefix),
    };
    let encoded = sig.1.strip_prefix(&lead).unwrap();
    let tag = match spec.encoding {
        Encoding::Hex => hex::decode(encoded).unwrap(),
        _ => STANDARD.decode(encoded).unwrap(),
    };
    let changed = variant_tag(&tag, variant);
    let reencoded = match spec.encoding {
        Encoding::Hex => hex::encode(&changed),
        _ => STANDARD.encode(&changed),
    };
    sig.1 = format!("{lead}{reencoded}");
    headers
}

fn secret_for(preset: &str) -> &'static str {
    if preset == "standard" { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } else { "ct-measurement-secret" }
}

/// What a verify bench times: the whole public call, or its check up to the comparison.
#[derive(Clone, Copy)]
enum Op {
    /// `verify_signature_at(..).is_ok()`: includes building `Ok` or the (public) error.
    Verify,
    /// `ct_signature_matches_at`: the same steps up to and including the comparison.
    Check,
}

fn verify_bench(runner: &mut CtRunner, preset: &str, left: Variant, right: Variant) {
    verifier_bench(runner, Op::Verify, preset, left, right)
}

fn check_bench(runner: &mut CtRunner, preset: &str, left: Variant, right: Variant) {
    verifier_bench(runner, Op::Check, preset, left, right)
}

fn verifier_bench(runner: &mut CtRunner, op: Op, preset: &str, left: Variant, right: Variant) {
    let verifier = Verifier::new(Scheme::preset(preset).unwrap(), [secret_for(preset)]).unwrap();
    let (l, r) = (headers_for(preset, left), headers_for(preset, right));
    assert!(verifier.verify_signature_at(&headers_for(preset, Variant::Equal), BODY, TS).is_ok());
    assert!(verifier.ct_signature_matches_at(&headers_for(preset, Variant::Equal), BODY, TS));
    assert!(!verifier.ct_signature_matches_at(&headers_for(preset, Variant::First), BODY, TS));
    // One header list whose signature value is rewritten in place (same length, same
    // allocation) before each sample, so the classes differ only in content, not in layout.
    let at = l.iter().position(|(k, _)| *k == Scheme::preset(preset).unwrap().spec().signature_header).unwrap();
    let mut h = l.clone();
    for class in classes() {
        let src = match class {
            Class::Left => &l[at].1,
            Class::Right => &r[at].1,
        };
        h[at].1.clear();
        h[at].1.push_str(src);
        match op {
            Op::Verify => runner.run_one(class, || verifier.verify_signature_at(&h, BODY, TS).is_ok()),
            Op::Check => runner.run_one(class, || verifier.ct_signature_matches_at(&h, BODY, TS)),
        }
    }
}

/// Positive control: an early-exit compare over 4 KiB must be detected (|t| > 10).
fn control_naive_eq_vs_first(runner: &mut CtRunner, _: &mut BenchRng) {
    let a = vec![0x5au8; 4096];
    let equal = a.clone();
    let mut first = a.clone();
    first[0] ^= 1;
    for class in classes() {
        let b = match class {
            Class::Left => &equal,
            Class::Right => &first,
        };
        runner.run_one(class, || std::hint::black_box(&a[..]) == std::hint::black_box(&b[..]));
    }
}

macro_rules! benches {
    ($($name:ident => $body:expr;)*) => {
        $(fn $name(runner: &mut CtRunner, _: &mut BenchRng) { $body(runner) })*
        ctbench_main!(control_naive_eq_vs_first $(, $name)*);
    };
}

benches! {
    // Negative controls (A/A): both classes get the same input, so any |t| > 4.5 here is the
    // machine's noise, not the code; they calibrate the other benches on a shared host.
    aa_tag_first_vs_first => |r| tag_bench(r, Variant::First, Variant::First);
    aa_verify_github_first_vs_first => |r| verify_bench(r, "github", Variant::First, Variant::First);
    tag_eq_vs_first => |r| tag_bench(r, Variant::Equal, Variant::First);
    tag_eq_vs_last => |r| tag_bench(r, Variant::Equal, Variant::Last);
    tag_first_vs_last => |r| tag_bench(r, Variant::First, Variant::Last);
    verify_standard_eq_vs_first => |r| verify_bench(r, "standard", Variant::Equal, Variant::First);
    verify_standard_eq_vs_last => |r| verify_bench(r, "standard", Variant::Equal, Variant::Last);
    verify_standard_first_vs_last => |r| verify_bench(r, "standard", Variant::First, Variant::Last);
    verify_stripe_eq_vs_first => |r| verify_bench(r, "stripe", Variant::Equal, Variant::First);
    verify_stripe_eq_vs_last => |r| verify_bench(r, "stripe", Variant::Equal, Variant::Last);
    verify_stripe_first_vs_last => |r| verify_bench(r, "stripe", Variant::First, Variant::Last);
    verify_github_eq_vs_first => |r| verify_bench(r, "github", Variant::Equal, Variant::First);
    verify_github_eq_vs_last => |r| verify_bench(r, "github", Variant::Equal, Variant::Last);
    verify_github_first_vs_last => |r| verify_bench(r, "github", Variant::First, Variant::Last);
    verify_github_sha1_eq_vs_first => |r| verify_bench(r, "github-sha1", Variant::Equal, Variant::First);
    verify_github_sha1_eq_vs_last => |r| verify_bench(r, "github-sha1", Variant::Equal, Variant::Last);
    verify_github_sha1_first_vs_last => |r| verify_bench(r, "github-sha1", Variant::First, Variant::Last);
    verify_slack_eq_vs_first => |r| verify_bench(r, "slack", Variant::Equal, Variant::First);
    verify_slack_eq_vs_last => |r| verify_bench(r, "slack", Variant::Equal, Variant::Last);
    verify_slack_first_vs_last => |r| verify_bench(r, "slack", Variant::First, Variant::Last);
    verify_shopify_eq_vs_first => |r| verify_bench(r, "shopify", Variant::Equal, Variant::First);
    verify_shopify_eq_vs_last => |r| verify_bench(r, "shopify", Variant::Equal, Variant::Last);
    verify_shopify_first_vs_last => |r| verify_bench(r, "shopify", Variant::First, Variant::Last);
    // Equal vs differing signature through each preset's whole check (header parse, window,
    // decode, MAC, comparison) without the result: judged like the tag benches.
    check_standard_eq_vs_first => |r| check_bench(r, "standard", Variant::Equal, Variant::First);
    check_standard_eq_vs_last => |r| check_bench(r, "standard", Variant::Equal, Variant::Last);
    check_stripe_eq_vs_first => |r| check_bench(r, "stripe", Variant::Equal, Variant::First);
    check_stripe_eq_vs_last => |r| check_bench(r, "stripe", Variant::Equal, Variant::Last);
    check_github_eq_vs_first => |r| check_bench(r, "github", Variant::Equal, Variant::First);
    check_github_eq_vs_last => |r| check_bench(r, "github", Variant::Equal, Variant::Last);
    check_github_sha1_eq_vs_first => |r| check_bench(r, "github-sha1", Variant::Equal, Variant::First);
    check_github_sha1_eq_vs_last => |r| check_bench(r, "github-sha1", Variant::Equal, Variant::Last);
    check_slack_eq_vs_first => |r| check_bench(r, "slack", Variant::Equal, Variant::First);
    check_slack_eq_vs_last => |r| check_bench(r, "slack", Variant::Equal, Variant::Last);
    check_shopify_eq_vs_first => |r| check_bench(r, "shopify", Variant::Equal, Variant::First);
    check_shopify_eq_vs_last => |r| check_bench(r, "shopify", Variant::Equal, Variant::Last);
}
