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
//! `aa_*` are negative controls (identical classes); `diag_*` locate an effect (the harness
//! alone, the hex decode alone) and are reported, not judged.
//! Nothing the harness does before a timed call may branch on the class (see `set_class`).
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
            if x & 1 == 0 {
                Class::Left
            } else {
                Class::Right
            }
        })
        .collect()
}

/// The bytes where two equal-length inputs differ, with the left and right value of each.
///
/// Before each sample only these bytes are written into the one buffer the timed call reads,
/// from this small table. Copying the whole input from the left or the right source instead
/// touched two different allocations, and which cache sets those occupy differs per class: an
/// A/A `check` bench (identical inputs in both classes) reached |t| = 31 that way.
fn differing(l: &[u8], r: &[u8]) -> Vec<(usize, [u8; 2])> {
    assert_eq!(l.len(), r.len(), "the classes must have the same length");
    (0..l.len()).filter(|&i| l[i] != r[i]).map(|i| (i, [l[i], r[i]])).collect()
}

/// Writes `class`'s side of every differing byte into `buf`: the same stores for both classes,
/// and no branch on the class.
///
/// A `pair[side]` index let LLVM unswitch this loop into one copy per class, entered by a branch
/// on the class just before the timed call: the branch predictor's global history then differed
/// per class inside the timed code, and a bench whose timed call never read the class data
/// reached |t| = 47. The class becomes an opaque all-zeros or all-ones mask instead, and each
/// byte is selected with arithmetic.
fn set_class(buf: &mut [u8], diffs: &[(usize, [u8; 2])], class: Class) {
    let mask = std::hint::black_box(0u8.wrapping_sub(u8::from(matches!(class, Class::Right))));
    for &(i, [left, right]) in diffs {
        buf[i] = left ^ ((left ^ right) & mask);
    }
}

/// Which tag variant each class gets.
#[derive(Clone, Copy)]
enum Variant {
    Equal,
    First,
    Last,
    /// The first byte changed differently from `First` (xor 0x02).
    First2,
}

fn variant_tag(tag: &[u8], v: Variant) -> Vec<u8> {
    let mut t = tag.to_vec();
    match v {
        Variant::Equal => {}
        Variant::First => t[0] ^= 0x01,
        Variant::Last => *t.last_mut().unwrap() ^= 0x01,
        Variant::First2 => t[0] ^= 0x02,
    }
    t
}

fn tag_bench(runner: &mut CtRunner, left: Variant, right: Variant) {
    let key = b"ct-measurement-secret-key";
    let tag = hmac(Algorithm::Sha256, key, BODY);
    let (l, r) = (variant_tag(&tag, left), variant_tag(&tag, right));
    // One buffer whose differing bytes are set before each sample: both classes live at the
    // same address and the harness touches the same memory for either class.
    let diffs = differing(&l, &r);
    let mut t = l.clone();
    for class in classes() {
        set_class(&mut t, &diffs, class);
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
        other => panic!("ct harness: no header layout for {other:?}"), // a preset in a new format
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
    if preset == "standard" {
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    } else {
        "ct-measurement-secret"
    }
}

/// What a verify bench times: the whole public call, or its check up to the comparison.
#[derive(Clone, Copy)]
enum Op {
    /// `verify_signature_at(..).is_ok()`: includes building `Ok` or the (public) error.
    Verify,
    /// `ct_signature_matches_at`: the same steps up to and including the comparison.
    Check,
    /// Diagnostic: `Check` on an unchanging copy of the headers while the harness still sets the
    /// class data. Above 4.5 here, the effect is the harness's or the machine's, not the code's:
    /// the class data never reaches the timed call.
    Ignore,
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
    assert!(verifier.verify_signature_at(BODY, &headers_for(preset, Variant::Equal), TS).is_ok());
    assert!(verifier.ct_signature_matches_at(BODY, &headers_for(preset, Variant::Equal), TS));
    assert!(!verifier.ct_signature_matches_at(BODY, &headers_for(preset, Variant::First), TS));
    // One header list whose signature value's differing bytes are set in place before each
    // sample (values as bytes: `Headers` takes byte values too), so the classes differ only in
    // content, not in layout or in what the harness touches.
    let at = l.iter().position(|(k, _)| *k == Scheme::preset(preset).unwrap().spec().signature_header).unwrap();
    let diffs = differing(l[at].1.as_bytes(), r[at].1.as_bytes());
    let mut h: Vec<(String, Vec<u8>)> = l.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect();
    let fixed = h.clone();
    for class in classes() {
        set_class(&mut h[at].1, &diffs, class);
        match op {
            Op::Verify => runner.run_one(class, || verifier.verify_signature_at(BODY, &h, TS).is_ok()),
            Op::Check => runner.run_one(class, || verifier.ct_signature_matches_at(BODY, &h, TS)),
            Op::Ignore => runner.run_one(class, || verifier.ct_signature_matches_at(BODY, std::hint::black_box(&fixed), TS)),
        }
    }
}

/// Diagnostic: only the hex decode of the signature digits (the `hex` call the core makes), so
/// a value-dependent decode shows apart from the MAC and the comparison.
fn hex_bench(runner: &mut CtRunner, preset: &str, left: Variant, right: Variant) {
    let spec = Scheme::preset(preset).unwrap().spec().clone();
    let value = |v| headers_for(preset, v).into_iter().find(|(k, _)| *k == spec.signature_header).unwrap().1;
    let (l, r) = (value(left), value(right));
    let digits = l.rfind(|c: char| !c.is_ascii_hexdigit()).map_or(0, |i| i + 1);
    let diffs = differing(&l.as_bytes()[digits..], &r.as_bytes()[digits..]);
    let mut buf = l.as_bytes()[digits..].to_vec();
    let n = buf.len() / 2;
    for class in classes() {
        set_class(&mut buf, &diffs, class);
        runner.run_one(class, || {
            let mut out = [0u8; 64];
            hex::decode_to_slice(std::hint::black_box(&buf), &mut out[..n]).is_ok() && std::hint::black_box(out)[0] < 255
        });
    }
}

/// Positive control: an early-exit compare over 4 KiB must be detected (|t| > 10).
fn control_naive_eq_vs_first(runner: &mut CtRunner, _: &mut BenchRng) {
    let a = vec![0x5au8; 4096];
    let mut first = a.clone();
    first[0] ^= 1;
    // Left: equal to `a`; right: differs at byte 0 (set in place like every other bench).
    let diffs = differing(&a, &first);
    let mut b = a.clone();
    for class in classes() {
        set_class(&mut b, &diffs, class);
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
    // The same differing byte with two values, both rejected: separates "what the attacker sent"
    // from "whether it matched" when a check bench exceeds 4.5.
    check_github_sha1_first_vs_first2 => |r| check_bench(r, "github-sha1", Variant::First, Variant::First2);
    // Diagnostics (reported, not judged): where a failing github-sha1 check bench's effect lives.
    diag_ignore_github_sha1_first_vs_first2 => |r| verifier_bench(r, Op::Ignore, "github-sha1", Variant::First, Variant::First2);
    diag_ignore_github_sha1_eq_vs_last => |r| verifier_bench(r, Op::Ignore, "github-sha1", Variant::Equal, Variant::Last);
    diag_hex_github_sha1_first_vs_first2 => |r| hex_bench(r, "github-sha1", Variant::First, Variant::First2);
    diag_hex_github_sha1_eq_vs_last => |r| hex_bench(r, "github-sha1", Variant::Equal, Variant::Last);
    aa_check_github_sha1_eq_vs_eq => |r| check_bench(r, "github-sha1", Variant::Equal, Variant::Equal);
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
