//! hookverify: receive webhooks correctly.
//!
//! One core for every runtime: verify the HMAC signature of the raw body in
//! constant time for any scheme (presets for Standard Webhooks/Svix, Stripe,
//! GitHub, Slack, Shopify, or a custom spec), with several live secrets and a
//! replay window, then parse the event envelope.
//!
//! ```
//! use hookverify::{Scheme, Verifier};
//!
//! let verifier = Verifier::new(Scheme::preset("github")?, ["It's a Secret to Everybody"])?;
//! let headers = [
//!     ("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
//! ];
//! let verified = verifier.verify_signature_at(b"Hello, World!", &headers, 0)?;
//! assert_eq!(verified.key_index, 0);
//! # Ok::<(), hookverify::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "axum")]
pub mod axum;
pub mod case;
pub mod config;
pub mod dedup;
pub mod diagnose;
pub mod dispatch;
pub mod error;
pub mod event;
pub mod handshake;
pub mod headers;
#[cfg(feature = "inbox")]
pub mod inbox;
pub mod metrics;
pub mod options;
pub mod receiver;
pub mod scheme;
pub mod secret;
pub mod sign;
pub mod verify;

#[cfg(feature = "toml")]
pub use config::{ConfigError, TomlConfig};
pub use config::{InboxLocation, MatchRule, ModeConfig, ProviderConfig, ReceiverConfig, RetryConfig, RouteConfig, SyncHeaderConfig};
#[cfg(feature = "redis")]
pub use dedup::RedisStore;
pub use dedup::{Claim, Clock, Completion, MemoryStore, Store, SystemClock, Token};
pub use diagnose::{diagnose, Check, EventSummary, Hint, HintCode, Report};
pub use dispatch::{Pattern, Router};
pub use error::{log_safe, Error, ErrorCode, Result};
pub use event::{Event, EventMeta, EventRef};
pub use handshake::HandshakeKind;
pub use headers::{HeaderValue, Headers, Lookup};
pub use receiver::{
    Decision, Delivery, External, HeaderText, Matcher, Mode, PendingClaim, Provider, Receiver, Request, Scope, Step, Verdict,
};
pub use scheme::{
    rfc3339_utc, DedupBasis, Encoding, EventMapping, FieldRule, FieldSource, HeaderAlias, PrivateKey, PublicKey, PublicKeyAlgorithm,
    PublicKeySpec, Scheme, SchemeSpec, SignatureFormat,
};
pub use secret::{Algorithm, Keyring, Secret, SecretEncoding};
pub use sign::Signer;
pub use verify::{unix_now, RequestTarget, SchemeRef, Verified, Verifier, VerifierBuilder, VerifierOptions};
// Every type a public signature mentions is reachable from the crate root (issue 18).

// The README's Rust snippets run as doctests (they include the axum receiver, hence the feature;
// scripts/test-rust.sh tests with --all-features).
#[doc = include_str!("../../README.md")]
#[cfg(all(doctest, feature = "axum"))]
pub struct ReadmeDoctests;

/// The crate version, shared by every artifact (npm, wheel, CLI).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
