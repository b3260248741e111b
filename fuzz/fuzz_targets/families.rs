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

use hookverify::{ErrorCode, RequestTarget, Scheme, Signer, Verifier};
use hookverify_fuzz::{check_error, check_signature, NOW, SIGNATURE_CODES};
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

fn lines(data: &[u8]) -> (&str, &str, &[u8]) {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let url = std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or("");
    let method = std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or("");
    (url, method, parts.next().unwrap_or_default())
}

fn url_family(preset: &str, url: &str, method: &str, body: &[u8]) {
    let scheme = Scheme::preset(preset).unwrap();
    let target = RequestTarget::new(Some(url), (!method.is_empty()).then_some(method));
    let signer = Signer::new(scheme.clone(), "generic-webhook-secret").unwrap();
    let verifier = Verifier::builder(scheme).secret("generic-webhook-secret").dangerously_skip_timestamp_check().build().unwrap();
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
    let (preset, private, public) = match which % 3 {
        0 => ("discord", ED25519_SEED, ED25519_PUBLIC),
        1 => ("sendgrid", P256_PRIVATE, P256_PUBLIC),
        _ => ("standard", WHSK, WHPK),
    };
    let scheme = Scheme::preset(preset).unwrap();
    let signer = Signer::with_private_key(scheme.clone(), private).unwrap();
    let verifier = Verifier::builder(scheme).public_key(public).build().unwrap();
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
        url_family(URL_PRESETS[usize::from(selector / 2) % URL_PRESETS.len()], url, method, body);
    } else {
        key_family(selector / 2, pos, rest);
    }
});
