//! Duplicate suppression with an exactly-once *effect*.
//!
//! Deliveries are at-least-once: the same event arrives again on retries, in
//! any order, sometimes twice at once. A [`Store`] lets exactly one delivery
//! of a key run its handler at a time and remembers which keys are done:
//!
//! 1. [`Store::claim`] — `Acquired(token)` for the first caller; `InProgress`
//!    while another holds the claim (its lease not yet expired); `Done` once
//!    completed.
//! 2. The handler runs with the fencing [`Token`] (increasing per key, so a
//!    downstream system can refuse a stale worker's writes).
//! 3. Success: [`Store::complete`] turns the claim into a done marker kept for
//!    the retention. Failure: [`Store::release`] drops the claim so the
//!    sender's retry runs the handler again. A crashed worker's claim expires
//!    after its lease.
//!
//! A key is never marked done before its handler succeeded. A store that
//! cannot be reached answers [`Error::StoreUnavailable`](crate::Error), which a
//! receiver maps to 503 so the sender retries — never a silent pass.
//!
//! ## Bounded cost per delivery
//!
//! Keys come from requests, so their length is the sender's choice. Every
//! store keeps a key of up to [`MAX_KEY_BYTES`] bytes as it is and a longer
//! one as its SHA-256 digest (see [`StoredKey`]): one delivery costs a bounded
//! number of bytes whatever its id, in memory and in Redis alike.
//!
//! ## Fencing tokens
//!
//! Tokens come from the clock: a claim's token is the store's time in
//! microseconds since the unix epoch, or one more than the key's previous
//! token when that is larger. They are strictly increasing per key, and they
//! keep increasing after the store lost its data (a Redis `FLUSHALL` or a
//! restart without persistence, a process restart for the memory store) as
//! long as the store's clock does not step back. They stay below 2^53, so
//! JavaScript numbers hold them exactly.

mod caller;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::time::Duration;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_TIMEOUT};
pub use caller::{claim_from_json, completion_from_json, CallerStore};
pub use memory::{MemoryStore, DEFAULT_CAPACITY, MAX_BYTES_PER_KEY};

use crate::error::Result;

/// Default claim lease: a crashed worker's claim frees up after this long.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// Default done-marker retention: 4 days, longer than senders' 3-day retry horizon.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(4 * 24 * 3600);

/// The dedup key of a delivery whose event id is not signed (GitHub's `X-GitHub-Delivery`,
/// Shopify's `X-Shopify-Webhook-Id`): `sha256:` and the lowercase hex SHA-256 of
/// `provider` NUL `signed_id` NUL `body`, where `signed_id` is the id the signature covers
/// (empty when the scheme signs none).
///
/// It is derived from what the sender signed, so a captured body replayed under a fresh unsigned id
/// is still a duplicate. The signed timestamp is left out: a sender's retry of the same event is
/// re-signed with a new timestamp and must count as the same delivery (the replay window bounds
/// the rest). Two deliveries with byte-identical signed content therefore count as one.
pub fn content_key(provider: &str, signed_id: Option<&str>, body: &[u8]) -> String {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    hash.update(provider.as_bytes());
    hash.update([0]);
    hash.update(signed_id.unwrap_or_default().as_bytes());
    hash.update([0]);
    hash.update(body);
    let mut key = String::with_capacity(7 + 64);
    key.push_str("sha256:");
    key.push_str(&hex::encode(hash.finalize()));
    key
}

/// Keys longer than this many bytes are stored as their SHA-256 digest (see [`StoredKey`]).
pub const MAX_KEY_BYTES: usize = 96;

/// How a store holds a key: the key's own bytes when it has at most
/// [`MAX_KEY_BYTES`] bytes, else the SHA-256 digest of the key. A digest is
/// stored behind the byte `0xFF`, which never occurs in UTF-8 text, so a
/// digest can never equal a short key. The one rule every store follows.
///
/// Deliberately exhaustive: a store that writes keys itself must handle every form, or two keys
/// could collide; a new form must fail to compile in such a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKey<'a> {
    /// A key of at most [`MAX_KEY_BYTES`] bytes, kept as it is.
    Plain(&'a str),
    /// The SHA-256 digest of a longer key.
    Digest([u8; 32]),
}

/// The byte in front of a digest in a stored key: never part of UTF-8 text.
pub const DIGEST_MARKER: u8 = 0xFF;

impl<'a> StoredKey<'a> {
    /// The stored form of `key`.
    pub fn of(key: &'a str) -> StoredKey<'a> {
        if key.len() <= MAX_KEY_BYTES {
            StoredKey::Plain(key)
        } else {
            use sha2::Digest;
            StoredKey::Digest(sha2::Sha256::digest(key.as_bytes()).into())
        }
    }

    /// Appends the stored key to `out`: the key's bytes, or [`DIGEST_MARKER`] and the digest
    /// (as 64 lowercase hex digits when `hex`, else its 32 bytes).
    pub fn write_to(&self, out: &mut Vec<u8>, hex: bool) {
        match self {
            StoredKey::Plain(k) => out.extend_from_slice(k.as_bytes()),
            StoredKey::Digest(d) => {
                out.push(DIGEST_MARKER);
                if hex {
                    out.extend_from_slice(hex::encode(d).as_bytes());
                } else {
                    out.extend_from_slice(d);
                }
            }
        }
    }
}

/// A fencing token: strictly increasing across successive claims of one key,
/// derived from the clock (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub u64);

/// The answer to a claim.
///
/// Deliberately exhaustive: the dedup protocol between a [`Store`] and the receiver. Whoever acts
/// on a claim must handle every outcome (running a handler twice or never is the cost of a
/// guess), so a new outcome must fail to compile rather than reach a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This caller owns the key until it completes, releases, or the lease expires.
    Acquired(Token),
    /// Another caller holds the key; try again after about this long.
    InProgress {
        /// Time left on the holder's lease.
        retry_after: Duration,
    },
    /// The key was completed within the retention.
    Done,
}

/// What `complete` achieved.
///
/// Deliberately exhaustive, for the reason given on [`Claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The done marker is recorded.
    Recorded,
    /// The claim was no longer this token's (lease expired and someone else claimed); nothing recorded.
    LeaseLost,
}

/// A duplicate-suppression store shared by every worker of an endpoint.
pub trait Store: Send + Sync {
    /// Tries to claim `key` for `lease`.
    fn claim(&self, key: &str, lease: Duration) -> Result<Claim>;
    /// Marks `key` done for `retention` if `token` still holds it.
    fn complete(&self, key: &str, token: Token, retention: Duration) -> Result<Completion>;
    /// Drops the claim if `token` still holds it (the handler failed; a retry may run it). Returns whether it did.
    fn release(&self, key: &str, token: Token) -> Result<bool>;
    /// Whether calls may block on I/O (async integrations then run them on a blocking pool).
    fn may_block(&self) -> bool {
        false
    }
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn claim(&self, key: &str, lease: Duration) -> Result<Claim> {
        (**self).claim(key, lease)
    }
    fn complete(&self, key: &str, token: Token, retention: Duration) -> Result<Completion> {
        (**self).complete(key, token, retention)
    }
    fn release(&self, key: &str, token: Token) -> Result<bool> {
        (**self).release(key, token)
    }
    fn may_block(&self) -> bool {
        (**self).may_block()
    }
}

/// A source of wall-clock milliseconds (injectable for tests and for wasm, which has no system clock).
pub trait Clock: Send + Sync {
    /// Milliseconds since the unix epoch.
    fn now_millis(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

impl<F: Fn() -> u64 + Send + Sync> Clock for F {
    fn now_millis(&self) -> u64 {
        self()
    }
}

#[cfg(test)]
pub(crate) mod contract {
    //! Behaviour every store must have; run against each implementation.
    use super::*;

    pub fn claim_complete_release(store: &dyn Store, key: &str) {
        let lease = Duration::from_secs(60);
        let Claim::Acquired(t1) = store.claim(key, lease).unwrap() else { panic!("first claim") };
        assert!(matches!(store.claim(key, lease).unwrap(), Claim::InProgress { .. }));
        assert!(store.release(key, t1).unwrap());
        let Claim::Acquired(t2) = store.claim(key, lease).unwrap() else { panic!("claim after release") };
        assert!(t2 > t1, "fencing tokens increase");
        assert!(!store.release(key, t1).unwrap(), "a stale token cannot release");
        assert_eq!(store.complete(key, t1, DEFAULT_RETENTION).unwrap(), Completion::LeaseLost);
        assert_eq!(store.complete(key, t2, DEFAULT_RETENTION).unwrap(), Completion::Recorded);
        assert_eq!(store.claim(key, lease).unwrap(), Claim::Done);
        assert!(!store.release(key, t2).unwrap(), "done markers are not released");
    }
}
