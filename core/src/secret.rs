//! Secrets, the keyring of live secrets, and precomputed HMAC key state.
//!
//! A [`Secret`] is key material; it never appears in `Debug` or `Display`
//! output and is zeroed when dropped. A [`Keyring`] holds every live secret
//! of a verifier (rotation) with the HMAC inner/outer pads already absorbed,
//! so a verification only hashes the message.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Prefix of Standard Webhooks secrets (`whsec_<base64>`).
pub const WHSEC_PREFIX: &str = "whsec_";

/// How a secret string becomes key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SecretEncoding {
    /// The string's UTF-8 bytes are the key (GitHub, Stripe, Slack, Shopify).
    #[default]
    Utf8,
    /// `whsec_` followed by base64: the decoded bytes are the key (Standard Webhooks, Svix).
    Whsec,
    /// Hex digits (case-insensitive): the decoded bytes are the key (Adyen's HMAC keys).
    Hex,
}

/// The hash function of an HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA1 (legacy; only through an explicitly named scheme).
    Sha1,
    /// HMAC-SHA256.
    #[default]
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// Length of a full tag in bytes.
    pub const fn tag_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The algorithm of a lowercase name (`sha1`, `sha256`, `sha512`). The error does not quote
    /// the name: a caller who swapped arguments (`hmac(key, "sha256", …)`) passed a secret here.
    pub fn from_name(name: &str) -> Result<Algorithm> {
        match name {
            "sha1" => Ok(Algorithm::Sha1),
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            _ => Err(Error::InvalidArgument { reason: "unknown HMAC algorithm: expected sha1, sha256 or sha512".into() }),
        }
    }

    /// Lowercase name, as in scheme specs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
}

/// Secret key material. `Debug`/`Display` print `[REDACTED]`; memory is zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    bytes: Zeroizing<Vec<u8>>,
}

// Base64 that accepts secrets with or without padding (senders print both).
const LENIENT_B64: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));

impl Secret {
    /// A secret from raw key bytes; refused when empty or only ASCII whitespace.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Secret> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.is_empty() {
            return Err(Error::InvalidSecret { reason: "the secret is empty".into() });
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(blank_secret());
        }
        Ok(Secret { bytes })
    }

    /// A secret whose key is the UTF-8 bytes of `s`, as-is (no trimming); refused when empty or
    /// only whitespace (a blank environment variable or an empty file's newline is no secret).
    pub fn from_utf8(s: &str) -> Result<Secret> {
        if !s.is_empty() && s.trim().is_empty() {
            return Err(blank_secret());
        }
        Secret::from_bytes(s.as_bytes().to_vec())
    }

    /// A Standard Webhooks secret: optional `whsec_` prefix, then base64 (padding optional).
    pub fn from_whsec(s: &str) -> Result<Secret> {
        let encoded = s.strip_prefix(WHSEC_PREFIX).unwrap_or(s);
        if encoded.is_empty() {
            return Err(Error::InvalidSecret { reason: "the whsec_ secret has no key after its prefix".into() });
        }
        let bytes = LENIENT_B64.decode(encoded).map_err(|_| Error::InvalidSecret {
            reason: "a whsec secret must be `whsec_` followed by base64; this one does not decode".into(),
        })?;
        Secret::from_bytes(bytes)
    }

    /// A hex-encoded key (Adyen): an even number of hex digits, decoded. The error never quotes it.
    pub fn from_hex(s: &str) -> Result<Secret> {
        let bytes = Zeroizing::new(hex::decode(s).map_err(|_| Error::InvalidSecret {
            reason: format!("a hex secret must be an even number of hex digits; this one ({} characters) is not", s.len()),
        })?);
        Secret::from_bytes(bytes.to_vec())
    }

    /// Interprets a secret string the way a scheme says.
    pub fn parse(s: &str, encoding: SecretEncoding) -> Result<Secret> {
        match encoding {
            SecretEncoding::Utf8 => Secret::from_utf8(s),
            SecretEncoding::Whsec => Secret::from_whsec(s),
            SecretEncoding::Hex => Secret::from_hex(s),
        }
    }

    /// The key bytes. Handle with care.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The error for a secret made only of whitespace (its length is no secret worth keeping: it says
/// nothing a guess of a few keys would not find).
fn blank_secret() -> Error {
    Error::InvalidSecret { reason: "the secret is only whitespace (was it read from an empty file or a blank variable?)".into() }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// An HMAC keyed once; cloning it skips the key schedule on every message.
#[derive(Clone)]
pub(crate) enum KeyedMac {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    // Boxed: the SHA-512 state is twice the size of the others, and a keyed MAC is cloned per verification.
    Sha512(Box<Hmac<sha2::Sha512>>),
}

/// A finished tag or a decoded signature, at most 64 bytes, kept on the stack.
#[derive(Clone)]
pub(crate) struct Tag {
    bytes: [u8; 64],
    len: usize,
}

impl Tag {
    /// An empty tag to decode into.
    pub(crate) const fn empty() -> Tag {
        Tag { bytes: [0; 64], len: 0 }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The whole buffer, for decoders; set the length with [`Tag::set_len`].
    pub(crate) fn buffer(&mut self) -> &mut [u8; 64] {
        &mut self.bytes
    }

    pub(crate) fn set_len(&mut self, len: usize) {
        self.len = len.min(64);
    }
}

impl KeyedMac {
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> KeyedMac {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        match algorithm {
            Algorithm::Sha1 => KeyedMac::Sha1(Mac::new_from_slice(key).expect("hmac takes any key length")),
            Algorithm::Sha256 => KeyedMac::Sha256(Mac::new_from_slice(key).expect("hmac takes any key length")),
            Algorithm::Sha512 => KeyedMac::Sha512(Box::new(Mac::new_from_slice(key).expect("hmac takes any key length"))),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            KeyedMac::Sha1(m) => m.update(data),
            KeyedMac::Sha256(m) => m.update(data),
            KeyedMac::Sha512(m) => m.update(data),
        }
    }

    pub(crate) fn finish(self) -> Tag {
        let mut tag = Tag { bytes: [0; 64], len: 0 };
        let mut put = |out: &[u8]| {
            tag.bytes[..out.len()].copy_from_slice(out);
            tag.len = out.len();
        };
        match self {
            KeyedMac::Sha1(m) => put(&m.finalize().into_bytes()),
            KeyedMac::Sha256(m) => put(&m.finalize().into_bytes()),
            KeyedMac::Sha512(m) => put(&(*m).finalize().into_bytes()),
        }
        tag
    }
}

/// The live secrets of a verifier, in order, each with its HMAC state precomputed.
#[derive(Clone)]
pub struct Keyring {
    algorithm: Algorithm,
    keys: Vec<KeyedMac>,
    /// SHA-256 of each secret, for schemes whose header carries the secret itself (a shared
    /// token); empty for MAC schemes.
    token_digests: Vec<[u8; 32]>,
}

impl Keyring {
    /// Builds the keyring; fails when `secrets` is empty.
    pub fn new(algorithm: Algorithm, secrets: &[Secret]) -> Result<Keyring> {
        if secrets.is_empty() {
            return Err(Error::InvalidSecret { reason: "at least one secret is required".into() });
        }
        let keys = secrets.iter().map(|s| KeyedMac::new(algorithm, s.expose_bytes())).collect();
        Ok(Keyring { algorithm, keys, token_digests: Vec::new() })
    }

    /// A keyring with no secrets, for a verifier that holds only public keys.
    pub(crate) fn empty(algorithm: Algorithm) -> Keyring {
        Keyring { algorithm, keys: Vec::new(), token_digests: Vec::new() }
    }

    /// A keyring of shared tokens (schemes of format `token`/`basic`): each compared as a whole.
    pub fn tokens(secrets: &[Secret]) -> Result<Keyring> {
        let mut ring = Keyring::new(Algorithm::Sha256, secrets)?;
        ring.token_digests = secrets.iter().map(|s| crate::scheme::token_digest(s.expose_bytes())).collect();
        Ok(ring)
    }

    pub(crate) fn token_digests(&self) -> &[[u8; 32]] {
        &self.token_digests
    }

    /// The HMAC algorithm of every key.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Number of live secrets.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the keyring holds no secret (only a verifier with public keys has such a keyring).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn keys(&self) -> &[KeyedMac] {
        &self.keys
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("algorithm", &self.algorithm)
            .field("secrets", &format_args!("[REDACTED; {}]", self.keys.len()))
            .finish()
    }
}

/// Raw HMAC over `message` (the primitive under every scheme; used by the Wycheproof/RFC 4231 tests).
pub fn hmac(algorithm: Algorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = KeyedMac::new(algorithm, key);
    mac.update(message);
    mac.finish().as_slice().to_vec()
}

/// Constant-time check of a FULL-length tag; a shorter or longer tag is rejected.
pub fn verify_tag(algorithm: Algorithm, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    if tag.len() != algorithm.tag_len() {
        return false;
    }
    verify_truncated_tag(algorithm, key, message, tag, tag.len())
}

/// Constant-time check of a tag truncated to `min_len..=full` bytes (explicit opt-in; webhooks never use it).
pub fn verify_truncated_tag(algorithm: Algorithm, key: &[u8], message: &[u8], tag: &[u8], min_len: usize) -> bool {
    if tag.len() < min_len.max(1) || tag.len() > algorithm.tag_len() {
        return false;
    }
    let mut mac = KeyedMac::new(algorithm, key);
    mac.update(message);
    let full = mac.finish();
    constant_time_eq::constant_time_eq(&full.as_slice()[..tag.len()], tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_key() {
        let s = Secret::from_utf8("hunter2-very-secret").unwrap();
        assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
        assert_eq!(format!("{s}"), "[REDACTED]");
        let ring = Keyring::new(Algorithm::Sha256, &[s]).unwrap();
        assert!(!format!("{ring:?}").contains("hunter2"));
    }

    #[test]
    fn whsec_with_and_without_padding() {
        let padded = Secret::from_whsec("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(padded.expose_bytes().len(), 24);
        // "aGk=" is "hi"; tolerate the missing '='.
        assert_eq!(Secret::from_whsec("whsec_aGk").unwrap().expose_bytes(), b"hi");
        assert_eq!(Secret::from_whsec("whsec_aGk=").unwrap().expose_bytes(), b"hi");
    }

    #[test]
    fn empty_and_undecodable_secrets_are_refused() {
        for bad in [Secret::from_utf8(""), Secret::from_whsec("whsec_"), Secret::from_whsec("whsec_!!!")] {
            assert_eq!(bad.unwrap_err().code(), crate::ErrorCode::InvalidSecret);
        }
        assert!(Keyring::new(Algorithm::Sha256, &[]).is_err());
        for blank in [" ", "   ", "\t", "\n", "\r\n", " \t\n", "\u{a0}", "\u{3000}"] {
            assert_eq!(Secret::from_utf8(blank).unwrap_err().code(), crate::ErrorCode::InvalidSecret, "{blank:?}");
            assert_eq!(Secret::parse(blank, SecretEncoding::Utf8).unwrap_err().code(), crate::ErrorCode::InvalidSecret);
        }
        for blank in [&b" "[..], b"\n", b"\t\r\x0c"] {
            assert_eq!(Secret::from_bytes(blank).unwrap_err().code(), crate::ErrorCode::InvalidSecret, "{blank:?}");
        }
        // A whsec secret whose key decodes to a single space ("IA==") is as guessable.
        assert_eq!(Secret::from_whsec("whsec_IA==").unwrap_err().code(), crate::ErrorCode::InvalidSecret);
        // Whitespace inside or around a real secret is kept: it is part of the key.
        assert_eq!(Secret::from_utf8(" s3cret\n").unwrap().expose_bytes(), b" s3cret\n");
    }

    #[test]
    fn algorithm_names_and_no_echo() {
        assert_eq!(Algorithm::from_name("sha512").unwrap(), Algorithm::Sha512);
        let err = Algorithm::from_name("whsec_QZcanary").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument);
        assert!(!err.to_string().contains("QZcanary") && !err.details().to_string().contains("QZcanary"));
    }

    #[test]
    fn errors_do_not_echo_secret() {
        let err = Secret::from_whsec("whsec_not*base64*supersecret").unwrap_err();
        assert!(!err.to_string().contains("supersecret"));
    }
}
