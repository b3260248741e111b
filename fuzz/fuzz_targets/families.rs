//! The request-line and public-key families of issue 19 through the public API.
//!
//! Input: a selector byte, a flip position (2 bytes), then `URL\nMETHOD\n` and the body.
//! - URL-signing presets (twilio, square, hubspot, trello): what `Signer::sign_request` signs for
//!   the fuzzed URL and method verifies with them (or signing refuses them with a typed error);
//!   the fuzzed body under a fuzzed signature header ends with a signature code, never a panic.
//! - Public-key presets (discord and sendgrid, standard's `v1a`): what the private key signs
//!   verifies with the public key, and flipping any one byte of the body then fails; a fuzzed
//!   signature header ends with a signature code.
//!
//! Keys: RFC 8032 section 7.1 TEST 1 (Ed25519); a P-256 key made for this target with Python's
//! `cryptography` (`ec.derive_private_key(0x1f2e…e1f0, SECP256R1())`, PKCS#8 and SPKI DER below).
#![no_main]

use std::sync::LazyLock;

use hookverify::{ErrorCode, RequestTarget, Scheme, Signer, Verifier};
use hookverify_fuzz::{check_error, check_signature, secret_of, split_line, verifiers, NOW, SIGNATURE_CODES};
use libfuzzer_sys::fuzz_target;

const URL_PRESETS: [&str; 4] = ["twilio", "square", "hubspot", "trello"];
const ED25519_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const ED25519_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const P256_PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgHy49TFtqeYgPHi08S1ppeI+ejXxrWkk4JxaltMPS4fChRANCAATsseChcBNPCUdZxJwbICTxOICH6l4GwXqZzQRQxNOUYlv37zttZUW4KxvK976juE0VuoXuHJn9iu3wOam8thz5";
const P256_PUBLIC: &str =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7LHgoXATTwlHWcScGyAk8TiAh+peBsF6mc0EUMTTlGJb9+87bWVFuCsbyve+o7hNFbqF7hyZ/Yrt8DmpvLYc+Q==";

/// What signing a fuzzed request line may end with, besides success.
const SIGN_CODES: &[ErrorCode] = &[ErrorCode::InvalidArgument];

/// `URL\nMETHOD\n` then the body; a missing line is empty.
fn lines(data: &[u8]) -> (&str, &str, &[u8]) {
    fn text(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap_or("")
    }
    let (url, rest) = split_line(data).unwrap_or((data, &[]));
    let (method, body) = split_line(rest).unwrap_or((rest, &[]));
    (text(url), text(method), body)
}

/// The URL presets' signers (their secret is the vectors', as the shared verifiers'), built once.
static URL_SIGNERS: LazyLock<Vec<Signer>> =
    LazyLock::new(|| URL_PRESETS.iter().map(|p| Signer::new(Scheme::preset(p).unwrap(), secret_of(p)).unwrap()).collect());

/// The public-key presets' (preset, signer, verifier), built once.
static KEY_PAIRS: LazyLock<Vec<(&str, Signer, Verifier)>> = LazyLock::new(|| {
    [("discord", ED25519_SEED, ED25519_PUBLIC), ("sendgrid", P256_PRIVATE, P256_PUBLIC), ("standard", WHSK, WHPK)]
        .into_iter()
        .map(|(preset, private, public)| {
            let scheme = Scheme::preset(preset).unwrap();
            let signer = Signer::with_private_key(scheme.clone(), private).unwrap();
            (preset, signer, Verifier::builder(scheme).public_key(public).build().unwrap())
        })
        .collect()
});

fn url_family(which: usize, url: &str, method: &str, body: &[u8]) {
    let (preset, signer) = (URL_PRESETS[which], &URL_SIGNERS[which]);
    let verifier = &verifiers(preset).1; // the replay window off
    let target = RequestTarget::new(Some(url), (!method.is_empty()).then_some(method));
    match signer.sign_request(body, Some("evt_fuzz"), Some(NOW), &target) {
        Ok(headers) => {
            let verified = verifier.verify_signature_with(body, &headers, NOW, &target);
            if let Err(e) = verified {
                panic!("{preset}: signed for {url:?} {method:?}, then rejected: {e}");
            }
            // The same headers with the fuzzed body as the signature value: a signature code.
            let forged: Vec<(String, Vec<u8>)> = headers.iter().map(|(k, _)| (k.clone(), body.to_vec())).collect();
            if let Err(e) = verifier.verify_signature_with(body, &forged, NOW, &target) {
                check_error(&e, SIGNATURE_CODES);
            }
        }
        Err(e) => check_error(&e, SIGN_CODES),
    }
}

fn key_family(which: u8, pos: usize, body: &[u8]) {
    let (preset, signer, verifier) = &KEY_PAIRS[usize::from(which) % KEY_PAIRS.len()];
    let headers = signer.sign(body, Some("msg_fuzz"), Some(NOW)).unwrap();
    if let Err(e) = verifier.verify_signature_at(body, &headers, NOW) {
        panic!("{preset}: signed with the private key, then rejected: {e}");
    }
    if !body.is_empty() {
        let mut flipped = body.to_vec();
        flipped[pos % body.len()] ^= 0x01;
        let err = verifier.verify_signature_at(&flipped, &headers, NOW).expect_err("a changed body verified");
        assert_eq!(err.code(), ErrorCode::NoMatchingSignature, "{preset}: {err}");
    }
    // Every signature header's value replaced by the body: a signature code, never a panic.
    let forged: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(k, v)| (k.clone(), if k.to_ascii_lowercase().contains("signature") { body.to_vec() } else { v.clone().into_bytes() }))
        .collect();
    check_signature(verifier.verify_signature_at(body, &forged, NOW));
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (selector, pos) = (data[0], usize::from(u16::from_le_bytes([data[1], data[2]])));
    let rest = &data[3..];
    if selector % 2 == 0 {
        let (url, method, body) = lines(rest);
        url_family(usize::from(selector / 2) % URL_PRESETS.len(), url, method, body);
    } else {
        key_family(selector / 2, pos, rest);
    }
});
