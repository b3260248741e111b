//! Round trip per preset: what `Signer` signs verifies, and changing any single byte of the
//! body, the signature header, the timestamp or the message id makes verification fail.
//!
//! Input: preset, field, position (2 bytes), xor mask, timestamp (4 bytes), then the body.
#![no_main]

use hookverify::scheme::Encoding;
use hookverify::{ErrorCode, Scheme, Signer};
use hookverify_fuzz::{check_signature, secret_of, verifiers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let names = hookverify::scheme::preset_names();
    let preset = names[data[0] as usize % names.len()];
    let field = data[1] % 4;
    let pos = u16::from_le_bytes([data[2], data[3]]) as usize;
    let xor = if data[4] == 0 { 1 } else { data[4] };
    let ts = 1_000_000_000 + i64::from(u32::from_le_bytes([data[5], data[6], data[7], data[8]]) % 1_000_000_000);
    let body = &data[9..];
    let id = format!("msg_{ts:x}_{}", body.len());

    let scheme = Scheme::preset(preset).unwrap();
    if scheme.spec().signature_format.is_token()
        || scheme.spec().reads_body_fields()
        || scheme.signs_url()
        || hookverify_fuzz::public_keys_only(preset)
    {
        // A shared token does not bind the body, body fields are not headers to sign, and `sign`
        // has no request URL or private key: the `catalog` target and the unit tests cover those.
        return;
    }
    let verifier = &verifiers(preset).0;
    let signer = Signer::new(scheme.clone(), secret_of(preset)).unwrap();
    let signed = signer.sign(body, Some(&id), Some(ts)).unwrap();
    let headers: Vec<(String, Vec<u8>)> = signed.into_iter().map(|(k, v)| (k, v.into_bytes())).collect();

    let verified = verifier.verify_signature_at(body, &headers, ts).unwrap_or_else(|e| panic!("{preset}: signed then rejected: {e}"));
    assert_eq!(verified.key_index, 0);
    assert_eq!(verified.timestamp, scheme.has_timestamp().then_some(ts));
    assert_eq!(verified.message_id, scheme.signs_id().then_some(id.as_str()));

    let spec = scheme.spec();
    // Which header value to change, and the range of bytes in it that are fair game.
    let target = match field {
        0 => None, // the body
        1 => Some((spec.signature_header.as_str(), None)),
        2 => match (&spec.timestamp_header, scheme.has_timestamp()) {
            (Some(h), _) => Some((h.as_str(), None)),
            (None, true) => Some((spec.signature_header.as_str(), Some(format!("{}=", spec.timestamp_key)))), // kv: the timestamp
            (None, false) => return,
        },
        _ => match &spec.id_header {
            Some(h) => Some((h.as_str(), None)),
            None => return,
        },
    };
    match target {
        None => {
            if body.is_empty() {
                return;
            }
            let mut changed = body.to_vec();
            changed[pos % body.len()] ^= xor;
            let err = verifier.verify_signature_at(&changed, &headers, ts).expect_err("changed body verified");
            assert_eq!(err.code(), ErrorCode::NoMatchingSignature, "{err}");
        }
        Some((name, within)) => {
            let mut changed = headers.clone();
            let value = &mut changed.iter_mut().find(|(k, _)| k == name).unwrap().1;
            let (start, len) = match within {
                // The digits of `t=<digits>,...` (Paddle: `ts=<digits>;...`).
                Some(key) => (key.len(), value.iter().position(|&b| b == spec.kv_separator as u8).unwrap() - key.len()),
                None => (0, value.len()),
            };
            let at = start + pos % len;
            let (old, new) = (value[at], value[at] ^ xor);
            // Hex is decoded case-insensitively (spec/policy.md, gh-14): a case flip of a hex
            // letter is the same signature, not a change.
            if spec.encoding == Encoding::Hex && field == 1 && old.is_ascii_hexdigit() && old.eq_ignore_ascii_case(&new) {
                return;
            }
            // base64url's `=` padding is optional (Sanity sends it, decoders accept it either way):
            // the trailing padding is not part of the MAC, so changing it to trimmed whitespace or
            // dropping it is not a change.
            if spec.encoding == Encoding::Base64url && old == b'=' && value[at..].iter().all(|&b| b == b'=') {
                return;
            }
            value[at] = new;
            let outcome = verifier.verify_signature_at(body, &changed, ts);
            assert!(outcome.is_err(), "{preset}: {name} byte {at} {old:#04x}->{new:#04x} still verifies");
            check_signature(outcome);
        }
    }
});
