//! The comparison step for schemes with public-key signatures (`public_key` in the spec): Ed25519
//! (Discord, Standard Webhooks `v1a`) and ECDSA P-256/SHA-256 (SendGrid). Reached from
//! [`extended::check`](super::extended) only, so HMAC-only verifiers never pay for it.
//!
//! The signed content is assembled once from the template (a signature algorithm verifies a
//! message, not a running MAC): one copy of the capped body, on this cold path only. A scheme
//! with `public_key.version` (Standard Webhooks) carries both kinds in one `list` header; its
//! HMAC entries are compared with the secrets exactly as on the HMAC path.

use arrayvec::ArrayVec;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{compare, decode_signature, Content, BASE64URL};
use crate::error::{quote, Error, Result};
use crate::scheme::{Encoding, ParsedHeader, PublicKeyAlgorithm, Segment, MAX_SIGNATURES};
use crate::secret::Keyring;

use super::Verifier;

/// What the comparison found.
pub(super) struct Outcome {
    /// Signatures compared (HMAC and public-key).
    pub signatures: usize,
    /// Keys tried (secrets and public keys).
    pub keys: usize,
    /// The first matching key: a secret's index, or the number of secrets plus a public key's index.
    pub matched: Option<usize>,
}

/// Longest encoded public-key signature read (an ECDSA P-256 DER signature is at most 72 bytes,
/// 144 hex digits): anything longer is refused before decoding.
const MAX_ENCODED: usize = 160;

/// Decodes one public-key signature; the length rule of its algorithm is checked here.
fn decode(encoding: Encoding, algorithm: PublicKeyAlgorithm, sig: &str) -> std::result::Result<ArrayVec<u8, 80>, String> {
    if sig.len() > MAX_ENCODED {
        return Err(format!("the signature is {} characters, longer than any {} signature", sig.len(), algorithm.as_str()));
    }
    let mut buf = [0u8; 120];
    let len = match encoding {
        Encoding::Hex => {
            if sig.len() % 2 != 0 {
                return Err(format!("expected hex digits, found {} characters", sig.len()));
            }
            let n = sig.len() / 2;
            hex::decode_to_slice(sig, &mut buf[..n]).map_err(|_| format!("expected hex digits, found {}", quote(sig.as_bytes())))?;
            n
        }
        Encoding::Base64 => {
            STANDARD.decode_slice(sig, &mut buf).map_err(|_| format!("expected padded base64, found {}", quote(sig.as_bytes())))?
        }
        Encoding::Base64url => {
            BASE64URL.decode_slice(sig, &mut buf).map_err(|_| format!("expected base64url, found {}", quote(sig.as_bytes())))?
        }
    };
    let ok = match algorithm {
        PublicKeyAlgorithm::Ed25519 => len == 64,
        PublicKeyAlgorithm::EcdsaP256Sha256 => (8..=72).contains(&len) && buf[0] == 0x30,
    };
    if !ok {
        return Err(match algorithm {
            PublicKeyAlgorithm::Ed25519 => format!("the signature is {len} bytes; Ed25519 signatures are 64 bytes"),
            _ => format!("the signature ({len} bytes) is not a DER-encoded ECDSA P-256 signature"),
        });
    }
    let mut out = ArrayVec::new();
    out.try_extend_from_slice(&buf[..len]).map_err(|_| "the signature is too long".to_owned())?;
    Ok(out)
}

/// The signed content as one message, per the template (also what the [`Signer`](crate::Signer)
/// signs with a private key).
pub(crate) fn message(segments: &[Segment], content: &Content<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.body.len() + 64);
    for segment in segments {
        match segment {
            Segment::Literal(bytes) => out.extend_from_slice(bytes),
            Segment::Id => out.extend_from_slice(content.id.unwrap_or_default().as_bytes()),
            Segment::Timestamp => out.extend_from_slice(content.timestamp.unwrap_or_default().as_bytes()),
            Segment::Body => out.extend_from_slice(content.body),
            Segment::Token => out.extend_from_slice(content.token.unwrap_or_default().as_bytes()),
            Segment::Url => out.extend_from_slice(content.request.map_or(&[][..], |r| r.url.as_bytes())),
            Segment::Method => out.extend_from_slice(content.request.map_or(&[][..], |r| r.method.as_bytes())),
            Segment::FormParams => out.extend_from_slice(content.request.map_or(&[][..], |r| &r.params[..])),
        }
    }
    out
}

/// The public-key signatures of the header: for a scheme with `public_key.version`, the list
/// entries of that version (the header was validated by the list parser already); else every
/// signature the parser read.
fn public_key_signatures<'a>(v: &Verifier, sig_text: &'a str, parsed: &ParsedHeader<'a>) -> ArrayVec<&'a str, MAX_SIGNATURES> {
    let spec = v.scheme.spec();
    let mut out = ArrayVec::new();
    match spec.public_key.as_ref().and_then(|pk| pk.version.as_deref()) {
        Some(version) => {
            for entry in sig_text.split(' ') {
                if let Some((label, sig)) = entry.split_once(',') {
                    if label == version && !out.is_full() {
                        out.push(sig.strip_prefix(spec.prefix.as_str()).unwrap_or(sig));
                    }
                }
            }
        }
        None => out.extend(parsed.signatures.iter().copied()),
    }
    out
}

/// Every signature against every key (secrets for HMAC entries, public keys for the others).
pub(super) fn compare_all(
    v: &Verifier,
    keyring: &Keyring,
    header: &str,
    sig_text: &str,
    parsed: &ParsedHeader<'_>,
    content: &Content<'_>,
) -> Result<Outcome> {
    let spec = v.scheme.spec();
    let Some(pk) = &spec.public_key else {
        return Err(Error::InternalError { reason: "public-key comparison for a scheme without `public_key`".into() });
    };
    let mut first_problem = None;
    let mut signatures = 0;
    // HMAC entries (a scheme with `public_key.version` only; else the parser's signatures are the
    // public-key ones).
    let mut hmac_match = None;
    if pk.version.is_some() && !keyring.is_empty() {
        let mut tags = ArrayVec::<_, MAX_SIGNATURES>::new();
        for sig in &parsed.signatures {
            match decode_signature(spec.encoding, keyring.algorithm(), sig) {
                Ok(tag) => tags.push(tag),
                Err(reason) => {
                    first_problem.get_or_insert(reason);
                }
            }
        }
        signatures += tags.len();
        hmac_match = compare(keyring, v.scheme.segments(), &tags, content);
    }
    let mut decoded = ArrayVec::<ArrayVec<u8, 80>, MAX_SIGNATURES>::new();
    if !v.public_keys.is_empty() {
        for sig in public_key_signatures(v, sig_text, parsed) {
            match decode(spec.encoding, pk.algorithm, sig) {
                Ok(bytes) => decoded.push(bytes),
                Err(reason) => {
                    first_problem.get_or_insert(reason);
                }
            }
        }
    }
    signatures += decoded.len();
    if signatures == 0 {
        if let Some(reason) = first_problem {
            return Err(Error::malformed(header, reason));
        }
    }
    let mut key_match = None;
    if !decoded.is_empty() {
        let message = message(v.scheme.segments(), content);
        // Public keys and signatures are not secret: no constant-time rule, but every pair is
        // still tried so the work does not depend on which key signed.
        for (i, key) in v.public_keys.iter().enumerate() {
            let mut ok = false;
            for sig in &decoded {
                ok |= key.verifies(&message, sig);
            }
            if ok && key_match.is_none() {
                key_match = Some(keyring.len() + i);
            }
        }
    }
    Ok(Outcome { signatures, keys: keyring.len() + v.public_keys.len(), matched: hmac_match.or(key_match) })
}
