//! Asymmetric signatures (issue 19, item 3): the `public_key` part of a scheme spec, and the
//! configured public keys a verifier holds (Discord's Ed25519 key, Standard Webhooks' `whpk_`
//! keys, SendGrid's ECDSA P-256 SubjectPublicKeyInfo).
//!
//! Public keys are not secret, but they are still named in errors and reprs by fingerprint only
//! (the first 8 hex digits of the SHA-256 of the key's bytes), so logs stay short and uniform.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use p256::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::{SchemeSpec, SignatureFormat};
use crate::error::{Error, Result};

/// Standard base64, padding optional (keys are pasted by hand, often without it).
const BASE64_ANY_PAD: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));

/// The signature algorithm of a scheme's public-key signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PublicKeyAlgorithm {
    /// Ed25519 (RFC 8032), 64-byte signatures, 32-byte keys (Discord, Standard Webhooks `v1a`).
    Ed25519,
    /// ECDSA over P-256 with SHA-256, DER-encoded signatures, SubjectPublicKeyInfo keys (SendGrid).
    EcdsaP256Sha256,
}

impl PublicKeyAlgorithm {
    /// The name used in specs and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            PublicKeyAlgorithm::Ed25519 => "ed25519",
            PublicKeyAlgorithm::EcdsaP256Sha256 => "ecdsa_p256_sha256",
        }
    }
}

/// The `public_key` object of a scheme spec: its signatures are verified with configured public
/// keys instead of (or, with `version`, besides) HMAC secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PublicKeySpec {
    /// The signature algorithm.
    pub algorithm: PublicKeyAlgorithm,
    /// For a `list` scheme that also carries HMAC signatures: the version label of the entries
    /// signed with a private key (Standard Webhooks `v1a`). The scheme then takes secrets (for its
    /// `signature_version` entries), public keys (for these), or both. `null`: every signature of
    /// the scheme is a public-key signature, and the scheme takes public keys only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl PublicKeySpec {
    /// A spec whose every signature is made with `algorithm`.
    pub fn new(algorithm: PublicKeyAlgorithm) -> PublicKeySpec {
        PublicKeySpec { algorithm, version: None }
    }
}

/// The rules of `public_key`.
pub(crate) fn check_public_key_spec(spec: &SchemeSpec) -> Result<()> {
    let Some(pk) = &spec.public_key else { return Ok(()) };
    let invalid = |reason: &str| Err(Error::InvalidScheme { reason: reason.into() });
    if spec.signature_format.is_token() {
        return invalid("`public_key` cannot be combined with a `token` or `basic` format");
    }
    if spec.reads_body_fields() || !spec.extra_signature_headers.is_empty() {
        return invalid("`public_key` cannot be combined with body-field pointers or extra signature headers");
    }
    match &pk.version {
        None if spec.signature_format == SignatureFormat::Kv => {
            invalid("a `kv` scheme with `public_key` must name the `public_key.version` of its public-key signatures")
        }
        None => Ok(()),
        Some(_) if spec.signature_format != SignatureFormat::List => {
            invalid("`public_key.version` applies to the `list` format only (entries `<version>,<signature>`)")
        }
        Some(v) if v.is_empty() || v.contains([',', '=', ' ']) => {
            invalid("`public_key.version` must be non-empty, without ',', '=' or spaces")
        }
        Some(v) if *v == spec.signature_version => invalid("`public_key.version` must differ from `signature_version` (the HMAC entries)"),
        Some(_) => Ok(()),
    }
}

/// The key material of a [`PublicKey`].
#[derive(Clone)]
enum KeyMaterial {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
}

/// A configured public key, parsed and checked once. `Debug` shows its algorithm and fingerprint.
#[derive(Clone)]
pub struct PublicKey {
    key: KeyMaterial,
    fingerprint: String,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({} {})", self.algorithm().as_str(), self.fingerprint)
    }
}

/// The first 8 hex digits of the SHA-256 of `bytes`.
fn fingerprint_of(bytes: &[u8]) -> String {
    hex::encode(&sha2::Sha256::digest(bytes)[..4])
}

impl PublicKey {
    /// Parses a public key for `algorithm`.
    ///
    /// Ed25519: 64 hex digits (Discord's application public key), `whpk_` + base64 (Standard
    /// Webhooks), or base64 of the 32 key bytes. ECDSA P-256: a SubjectPublicKeyInfo as base64 DER
    /// (SendGrid's verification key) or PEM (`-----BEGIN PUBLIC KEY-----`). Surrounding whitespace is
    /// ignored. A bad key is `invalid_secret`, naming the key by its position, never its text.
    pub fn parse(algorithm: PublicKeyAlgorithm, text: &str, position: usize) -> Result<PublicKey> {
        let bad = |what: &str| Error::InvalidSecret { reason: format!("public key {position}: {what}") };
        let text = text.trim();
        match algorithm {
            PublicKeyAlgorithm::Ed25519 => {
                let bytes: Vec<u8> = if let Some(b64) = text.strip_prefix("whpk_") {
                    BASE64_ANY_PAD.decode(b64).map_err(|_| bad("a `whpk_` key must be followed by base64"))?
                } else if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    hex::decode(text).map_err(|_| bad("expected 64 hex digits"))?
                } else {
                    BASE64_ANY_PAD
                        .decode(text)
                        .map_err(|_| bad("expected an Ed25519 public key as 64 hex digits, `whpk_` + base64, or base64 of its 32 bytes"))?
                };
                let raw: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| bad(&format!("an Ed25519 public key is 32 bytes, this one is {}", bytes.len())))?;
                let fingerprint = fingerprint_of(&raw);
                let key = ed25519_dalek::VerifyingKey::from_bytes(&raw)
                    .map_err(|_| bad(&format!("(fingerprint {fingerprint}) is not a valid Ed25519 point")))?;
                if key.is_weak() {
                    return Err(bad(&format!("(fingerprint {fingerprint}) is a weak (small-order) Ed25519 key")));
                }
                Ok(PublicKey { key: KeyMaterial::Ed25519(key), fingerprint })
            }
            PublicKeyAlgorithm::EcdsaP256Sha256 => {
                let key = if text.starts_with("-----BEGIN") {
                    p256::PublicKey::from_public_key_pem(text)
                        .map_err(|_| bad("expected a P-256 SubjectPublicKeyInfo in PEM (`-----BEGIN PUBLIC KEY-----`)"))?
                } else {
                    let der = BASE64_ANY_PAD
                        .decode(text)
                        .map_err(|_| bad("expected a P-256 SubjectPublicKeyInfo as base64 DER (SendGrid's verification key) or PEM"))?;
                    p256::PublicKey::from_public_key_der(&der).map_err(|_| bad("the DER is not a P-256 SubjectPublicKeyInfo"))?
                };
                let der = key.to_public_key_der().map_err(|_| bad("the key cannot be re-encoded"))?;
                let fingerprint = fingerprint_of(der.as_bytes());
                Ok(PublicKey { key: KeyMaterial::P256(p256::ecdsa::VerifyingKey::from(key)), fingerprint })
            }
        }
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> PublicKeyAlgorithm {
        match self.key {
            KeyMaterial::Ed25519(_) => PublicKeyAlgorithm::Ed25519,
            KeyMaterial::P256(_) => PublicKeyAlgorithm::EcdsaP256Sha256,
        }
    }

    /// The first 8 hex digits of the SHA-256 of the key's bytes (Ed25519: the 32-byte key;
    /// P-256: the DER SubjectPublicKeyInfo), how errors and reprs name the key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Whether `signature` (decoded bytes: Ed25519's 64 bytes, or an ECDSA DER signature) is
    /// valid for `message` under this key. Ed25519 is checked strictly (no small-order
    /// components, canonical `S`).
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.key {
            KeyMaterial::Ed25519(key) => match ed25519_dalek::Signature::from_slice(signature) {
                Ok(sig) => key.verify_strict(message, &sig).is_ok(),
                Err(_) => false,
            },
            KeyMaterial::P256(key) => match p256::ecdsa::Signature::from_der(signature) {
                Ok(sig) => p256::ecdsa::signature::Verifier::verify(key, message, &sig).is_ok(),
                Err(_) => false,
            },
        }
    }
}

/// The key material of a [`PrivateKey`].
#[derive(Clone)]
enum PrivateMaterial {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A sender's private key, for signing test deliveries of a public-key scheme (the
/// [`Signer`](crate::Signer)). Never printed: `Debug` shows the algorithm and the fingerprint of
/// the matching public key.
#[derive(Clone)]
pub struct PrivateKey {
    key: PrivateMaterial,
    fingerprint: String,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({} public {}, [REDACTED])", self.algorithm().as_str(), self.fingerprint)
    }
}

impl PrivateKey {
    /// Parses a private key for `algorithm`.
    ///
    /// Ed25519: a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm ed25519`
    /// writes), `whsk_` + base64 (Standard Webhooks' secret keys: the 32-byte seed, or the 64-byte
    /// seed followed by the public key), 64 hex digits or base64 of the 32-byte seed. ECDSA P-256: a
    /// PKCS#8 PEM or base64 DER (`-----BEGIN EC PRIVATE KEY-----` SEC1 PEM too). Surrounding
    /// whitespace is ignored. A bad key is `invalid_secret`; its text is never quoted.
    pub fn parse(algorithm: PublicKeyAlgorithm, text: &str) -> Result<PrivateKey> {
        use p256::pkcs8::DecodePrivateKey as _;
        let bad = |what: &str| Error::InvalidSecret { reason: format!("private key: {what}") };
        let text = text.trim();
        let key = match algorithm {
            PublicKeyAlgorithm::Ed25519 => {
                let key = if text.starts_with("-----BEGIN") {
                    ed25519_dalek::SigningKey::from_pkcs8_pem(text)
                        .map_err(|_| bad("expected an Ed25519 PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`)"))?
                } else {
                    let bytes = if let Some(b64) = text.strip_prefix("whsk_") {
                        BASE64_ANY_PAD.decode(b64).map_err(|_| bad("a `whsk_` key must be followed by base64"))?
                    } else if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                        hex::decode(text).map_err(|_| bad("expected 64 hex digits"))?
                    } else {
                        BASE64_ANY_PAD.decode(text).map_err(|_| {
                            bad("expected an Ed25519 private key as PKCS#8 PEM, `whsk_` + base64, 64 hex digits, or base64 of its 32-byte seed")
                        })?
                    };
                    let seed: [u8; 32] =
                        bytes.get(..32).filter(|_| bytes.len() == 32 || bytes.len() == 64).and_then(|s| s.try_into().ok()).ok_or_else(
                            || {
                                bad(&format!(
                                    "an Ed25519 private key is a 32-byte seed (or seed and public key, 64 bytes), this one is {} bytes",
                                    bytes.len()
                                ))
                            },
                        )?;
                    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                    if bytes.len() == 64 && key.verifying_key().as_bytes()[..] != bytes[32..] {
                        return Err(bad("the 64-byte key's second half is not the public key of its seed"));
                    }
                    key
                };
                PrivateMaterial::Ed25519(key)
            }
            PublicKeyAlgorithm::EcdsaP256Sha256 => {
                let secret = if text.starts_with("-----BEGIN EC PRIVATE KEY-----") {
                    p256::SecretKey::from_sec1_pem(text).map_err(|_| bad("expected a P-256 SEC1 PEM"))?
                } else if text.starts_with("-----BEGIN") {
                    p256::SecretKey::from_pkcs8_pem(text).map_err(|_| bad("expected a P-256 PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`)"))?
                } else {
                    let der = BASE64_ANY_PAD.decode(text).map_err(|_| bad("expected a P-256 private key as PKCS#8 PEM or base64 DER"))?;
                    p256::SecretKey::from_pkcs8_der(&der).map_err(|_| bad("the DER is not a P-256 PKCS#8 private key"))?
                };
                PrivateMaterial::P256(p256::ecdsa::SigningKey::from(secret))
            }
        };
        let fingerprint = match &key {
            PrivateMaterial::Ed25519(k) => fingerprint_of(k.verifying_key().as_bytes()),
            PrivateMaterial::P256(k) => {
                let der =
                    p256::PublicKey::from(k.verifying_key()).to_public_key_der().map_err(|_| bad("the public key cannot be encoded"))?;
                fingerprint_of(der.as_bytes())
            }
        };
        Ok(PrivateKey { key, fingerprint })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> PublicKeyAlgorithm {
        match self.key {
            PrivateMaterial::Ed25519(_) => PublicKeyAlgorithm::Ed25519,
            PrivateMaterial::P256(_) => PublicKeyAlgorithm::EcdsaP256Sha256,
        }
    }

    /// The fingerprint of the matching public key (as [`PublicKey::fingerprint`] names it).
    pub fn public_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The signature of `message`: Ed25519's 64 bytes, or a DER-encoded ECDSA P-256/SHA-256
    /// signature (deterministic, RFC 6979).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.key {
            PrivateMaterial::Ed25519(k) => ed25519_dalek::Signer::sign(k, message).to_bytes().to_vec(),
            PrivateMaterial::P256(k) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(k, message);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

/// Parses a verifier's public keys for `spec` (positions count from 1 in messages).
pub(crate) fn parse_public_keys<S: AsRef<str>>(spec: &SchemeSpec, keys: &[S]) -> Result<Vec<PublicKey>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let Some(pk) = &spec.public_key else {
        return Err(Error::InvalidArgument {
            reason: format!("scheme {} verifies HMAC signatures with secrets; it takes no public keys", spec.name),
        });
    };
    keys.iter().enumerate().map(|(i, k)| PublicKey::parse(pk.algorithm, k.as_ref(), i + 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_forms_and_names_keys_by_fingerprint() {
        // RFC 8032 section 7.1 TEST 1 public key.
        let hex_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let k = PublicKey::parse(PublicKeyAlgorithm::Ed25519, hex_key, 1).unwrap();
        let whpk = format!("whpk_{}", base64::engine::general_purpose::STANDARD.encode(hex::decode(hex_key).unwrap()));
        let k2 = PublicKey::parse(PublicKeyAlgorithm::Ed25519, &whpk, 1).unwrap();
        assert_eq!(k.fingerprint(), k2.fingerprint());
        // sha256 of the 32 key bytes, computed with `xxd -r -p | sha256sum`.
        assert_eq!(k.fingerprint().len(), 8);
        assert!(format!("{k:?}").contains(k.fingerprint()));
        let err = PublicKey::parse(PublicKeyAlgorithm::Ed25519, "d75a98", 2).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidSecret);
        assert!(err.to_string().contains("public key 2"), "{err}");
        // The all-zero-but-one small-order point (the identity) is refused.
        let identity = format!("01{}", "00".repeat(31));
        assert!(PublicKey::parse(PublicKeyAlgorithm::Ed25519, &identity, 1).is_err());
        assert!(PublicKey::parse(PublicKeyAlgorithm::EcdsaP256Sha256, hex_key, 1).is_err());
    }
}
