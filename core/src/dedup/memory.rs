//! [`MemoryStore`]: the embedded default — bounded in keys and bytes, thread-safe, sharded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Claim, Clock, Completion, Store, StoredKey, SystemClock, Token, DIGEST_MARKER, MAX_KEY_BYTES};
use crate::error::{Error, Result};

const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy)]
enum State {
    InProgress(Token),
    Done,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    state: State,
    expires_at: u64,
}

/// Heap bytes glibc-style allocators take for a `len`-byte key (16-byte chunks, 8-byte header, 32 minimum).
fn key_alloc_bytes(len: usize) -> usize {
    (len + 8).next_multiple_of(16).max(32)
}

/// Bytes of one hash-table slot: the boxed key, the entry, one control byte.
const SLOT_BYTES: usize = std::mem::size_of::<(Box<[u8]>, Entry)>() + 1;

/// The most bytes one key can cost: a slot at the table's lowest load (half full after it
/// doubled, and 7/8 at most before it does) plus the longest stored key's allocation.
pub const MAX_BYTES_PER_KEY: usize = SLOT_BYTES * 16 / 7 + (MAX_KEY_BYTES + 8).next_multiple_of(16);

// foldhash: fast, and randomly seeded per process (keys come from verified requests only,
// but a seeded hash still keeps a hostile sender from choosing colliding ids).
#[derive(Default)]
struct Shard {
    map: HashMap<Box<[u8]>, Entry, foldhash::fast::RandomState>,
    /// Entries in state `InProgress` (expired ones included until purged); the rest are done markers.
    claims: usize,
    /// Heap bytes of the keys held (see `key_alloc_bytes`).
    key_bytes: usize,
    /// No claim held here expires before this (`u64::MAX`: none held), so a full claim budget
    /// is only scanned for expired claims when one can have expired.
    next_claim_expiry: u64,
}

/// An in-process store, each shard behind its own lock. It suppresses
/// duplicates within one process; several processes need a shared store such
/// as `RedisStore`.
///
/// Bounded in keys and so in bytes (keys longer than [`MAX_KEY_BYTES`] are
/// kept as their 32-byte digest; each key costs at most [`MAX_BYTES_PER_KEY`]):
///
/// - **done markers**: at most `capacity`. Beyond that, expired entries are
///   purged, then the done markers that expire soonest are evicted (with one
///   retention for all, the oldest): the newest events stay recorded.
/// - **in-progress claims**: a separate budget of `capacity / 10` (at least
///   one per shard), so a flood of claims can never evict a done marker.
///   Claims are never evicted (that would let a duplicate run alongside); when
///   the budget is full a new key's claim fails with
///   [`Error::StoreUnavailable`] (503 with `Retry-After`, the sender retries)
///   until handlers finish or leases expire. Keys already done still answer
///   `Done`, and in-progress ones `InProgress`.
///
/// [`MemoryStore::memory_bytes`] reports what the store holds; at most about
/// `(capacity + capacity / 10) × MAX_BYTES_PER_KEY` (the default 100,000 keys:
/// about 25 MB).
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    /// Done markers per shard.
    done_per_shard: usize,
    /// In-progress claims per shard.
    claims_per_shard: usize,
    last_token: AtomicU64,
    clock: Arc<dyn Clock>,
    shard_hasher: foldhash::fast::RandomState,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &(self.done_per_shard * SHARDS))
            .field("claim_capacity", &(self.claims_per_shard * SHARDS))
            .finish()
    }
}

/// Default capacity of a [`MemoryStore`] (done markers; claims get a tenth of it on top).
pub const DEFAULT_CAPACITY: usize = 100_000;

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store of about `capacity` done markers and `capacity / 10` in-progress claims, on the system clock.
    pub fn new(capacity: usize) -> MemoryStore {
        MemoryStore::with_clock(capacity, Arc::new(SystemClock))
    }

    /// A store on an injected clock (tests; wasm, which has no system clock).
    pub fn with_clock(capacity: usize, clock: Arc<dyn Clock>) -> MemoryStore {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard { next_claim_expiry: u64::MAX, ..Shard::default() })).collect(),
            done_per_shard: capacity.div_ceil(SHARDS).max(1),
            claims_per_shard: (capacity / 10).div_ceil(SHARDS).max(1),
            last_token: AtomicU64::new(0),
            clock,
            shard_hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Number of keys held (claims and done markers, expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    /// Number of in-progress claims held (expired ones not yet purged included).
    pub fn claims(&self) -> usize {
        self.shards.iter().map(|s| lock(s).claims).sum()
    }

    /// Whether the store holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the store's tables and keys take on the heap (its own accounting: table slots
    /// allocated plus each key's allocation), at most about `MAX_BYTES_PER_KEY` per key of the
    /// capacity.
    pub fn memory_bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = lock(s);
                s.map.capacity() * SLOT_BYTES + s.key_bytes
            })
            .sum()
    }

    fn shard(&self, key: &[u8]) -> &Mutex<Shard> {
        use std::hash::BuildHasher;
        let hash = self.shard_hasher.hash_one(key);
        // The top bits: the map inside the shard uses its own seed, so the two hashes are independent.
        &self.shards[(hash >> 60) as usize % SHARDS]
    }

    /// The next token: the clock in microseconds, or one more than the last token if larger.
    fn token(&self, now_millis: u64) -> Token {
        let floor = now_millis.saturating_mul(1000);
        let next = |last: u64| last.saturating_add(1).max(floor);
        // `fetch_update` returns the value it replaced; the closure never refuses.
        let last = self.last_token.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| Some(next(l))).unwrap_or(0);
        Token(next(last))
    }
}

/// `key`'s stored form (see [`StoredKey`]) as bytes, in `buf` when it is a digest.
fn stored<'a>(key: &'a str, buf: &'a mut [u8; 33]) -> &'a [u8] {
    match StoredKey::of(key) {
        StoredKey::Plain(k) => k.as_bytes(),
        StoredKey::Digest(d) => {
            buf[0] = DIGEST_MARKER;
            buf[1..].copy_from_slice(&d);
            &buf[..]
        }
    }
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave an entry half-written (every
    // update is a single insert/remove plus counters), so a poisoned shard is still consistent.
    shard.lock().unwrap_or_else(|p| p.into_inner())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Shard {
    /// Drops every expired entry and recounts.
    fn purge(&mut self, now: u64) {
        let (mut claims, mut key_bytes, mut next) = (0, 0, u64::MAX);
        self.map.retain(|k, e| {
            if e.expires_at <= now {
                return false;
            }
            if let State::InProgress(_) = e.state {
                claims += 1;
                next = next.min(e.expires_at);
            }
            key_bytes += key_alloc_bytes(k.len());
            true
        });
        (self.claims, self.key_bytes, self.next_claim_expiry) = (claims, key_bytes, next);
    }

    /// Makes room for one more claim within `limit` claims: purges when a claim can have expired.
    fn room_for_claim(&mut self, limit: usize, now: u64) -> Result<()> {
        if self.claims >= limit && self.next_claim_expiry <= now {
            self.purge(now);
        }
        if self.claims >= limit {
            return Err(Error::StoreUnavailable {
                reason:
                    "the memory store's in-progress claims are at their limit (handlers still running); retry later or raise its capacity"
                        .into(),
            });
        }
        Ok(())
    }

    /// Keeps at most `limit` done markers: purge expired entries, then evict the done markers
    /// that expire soonest, down to 90% of `limit` (each scan frees a tenth of the shard, so the
    /// scans are not paid on every completion). In-progress claims are never evicted.
    fn trim_done(&mut self, limit: usize, now: u64) {
        if self.map.len() - self.claims <= limit {
            return;
        }
        self.purge(now);
        let done = self.map.len() - self.claims;
        let target = limit - limit / 10;
        if done <= target {
            return;
        }
        // Evict the `n` done markers that expire soonest without copying any key: find the
        // n-th smallest expiry, then drop every marker below it and enough of those equal to it.
        let mut expiries: Vec<u64> = self.map.values().filter(|e| matches!(e.state, State::Done)).map(|e| e.expires_at).collect();
        let n = done - target;
        let cutoff = *expiries.select_nth_unstable(n - 1).1;
        let mut ties = n - expiries[..n - 1].iter().filter(|&&x| x < cutoff).count();
        let mut freed = 0;
        self.map.retain(|k, e| {
            let evict = match e.state {
                State::Done if e.expires_at < cutoff => true,
                State::Done if e.expires_at == cutoff && ties > 0 => {
                    ties -= 1;
                    true
                }
                _ => false,
            };
            if evict {
                freed += key_alloc_bytes(k.len());
            }
            !evict
        });
        self.key_bytes -= freed;
    }
}

impl Store for MemoryStore {
    fn claim(&self, key: &str, lease: Duration) -> Result<Claim> {
        let now = self.clock.now_millis();
        let mut buf = [0; 33];
        let key = stored(key, &mut buf);
        let mut shard = lock(self.shard(key));
        let expires_at = now.saturating_add(millis(lease));
        // One lookup for a key that is there (live: report it; an expired claim: take it over in
        // place), one insert for a new key: the key is hashed twice at most.
        if let Some(entry) = shard.map.get_mut(key) {
            if entry.expires_at > now {
                return Ok(match entry.state {
                    State::Done => Claim::Done,
                    State::InProgress(_) => Claim::InProgress { retry_after: Duration::from_millis(entry.expires_at - now) },
                });
            }
            if let State::InProgress(_) = entry.state {
                let token = self.token(now);
                *entry = Entry { state: State::InProgress(token), expires_at };
                shard.next_claim_expiry = shard.next_claim_expiry.min(expires_at);
                return Ok(Claim::Acquired(token));
            }
            // An expired done marker: it goes, and the key is claimed like a new one.
            shard.map.remove(key);
            shard.key_bytes -= key_alloc_bytes(key.len());
        }
        shard.room_for_claim(self.claims_per_shard, now)?;
        let token = self.token(now);
        shard.map.insert(key.into(), Entry { state: State::InProgress(token), expires_at });
        shard.claims += 1;
        shard.key_bytes += key_alloc_bytes(key.len());
        shard.next_claim_expiry = shard.next_claim_expiry.min(expires_at);
        Ok(Claim::Acquired(token))
    }

    fn complete(&self, key: &str, token: Token, retention: Duration) -> Result<Completion> {
        let now = self.clock.now_millis();
        let mut buf = [0; 33];
        let key = stored(key, &mut buf);
        let mut shard = lock(self.shard(key));
        match shard.map.get_mut(key) {
            Some(entry) if matches!(entry.state, State::InProgress(t) if t == token) => {
                *entry = Entry { state: State::Done, expires_at: now.saturating_add(millis(retention)) };
                shard.claims -= 1;
                shard.trim_done(self.done_per_shard, now);
                Ok(Completion::Recorded)
            }
            _ => Ok(Completion::LeaseLost),
        }
    }

    fn release(&self, key: &str, token: Token) -> Result<bool> {
        let mut buf = [0; 33];
        let key = stored(key, &mut buf);
        let mut shard = lock(self.shard(key));
        match shard.map.get(key) {
            Some(entry) if matches!(entry.state, State::InProgress(t) if t == token) => {
                shard.map.remove(key);
                shard.claims -= 1;
                shard.key_bytes -= key_alloc_bytes(key.len());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::contract;
    use std::sync::atomic::AtomicU64;

    fn manual_clock() -> (Arc<AtomicU64>, Arc<dyn Clock>) {
        let now = Arc::new(AtomicU64::new(1_000_000));
        let c = now.clone();
        (now, Arc::new(move || c.load(Ordering::SeqCst)))
    }

    #[test]
    fn contract_holds() {
        contract::claim_complete_release(&MemoryStore::default(), "evt_1");
    }

    #[test]
    fn leases_and_retention_expire() {
        let (now, clock) = manual_clock();
        let store = MemoryStore::with_clock(100, clock);
        let Claim::Acquired(_) = store.claim("k", Duration::from_secs(60)).unwrap() else { panic!() };
        now.fetch_add(59_000, Ordering::SeqCst);
        assert_eq!(store.claim("k", Duration::from_secs(60)).unwrap(), Claim::InProgress { retry_after: Duration::from_secs(1) });
        now.fetch_add(1_000, Ordering::SeqCst);
        // The crashed worker's lease ran out: a retry takes over.
        let Claim::Acquired(t) = store.claim("k", Duration::from_secs(60)).unwrap() else { panic!("lease expired") };
        assert_eq!(store.complete("k", t, Duration::from_secs(10)).unwrap(), Completion::Recorded);
        now.fetch_add(9_999, Ordering::SeqCst);
        assert_eq!(store.claim("k", Duration::from_secs(60)).unwrap(), Claim::Done);
        now.fetch_add(1, Ordering::SeqCst);
        assert!(matches!(store.claim("k", Duration::from_secs(60)).unwrap(), Claim::Acquired(_)));
    }

    #[test]
    fn bounded_evicts_done_markers_never_claims() {
        let store = MemoryStore::new(SHARDS * 10);
        for i in 0..10_000 {
            let key = format!("done-{i}");
            let Claim::Acquired(t) = store.claim(&key, Duration::from_secs(60)).unwrap() else { panic!() };
            store.complete(&key, t, Duration::from_secs(3600)).unwrap();
        }
        assert!(store.len() <= SHARDS * 10, "bounded: {}", store.len());
        // Fill with in-progress claims until a shard refuses: an error, not an eviction.
        let mut refused = false;
        for i in 0..10_000 {
            match store.claim(&format!("busy-{i}"), Duration::from_secs(60)) {
                Ok(Claim::Acquired(_)) => {}
                Err(e) => {
                    assert_eq!(e.code(), crate::ErrorCode::StoreUnavailable);
                    refused = true;
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(refused);
    }

    #[test]
    fn eviction_drops_the_soonest_expiring_done_markers_first() {
        // 20 keys per shard, 2,000 keys: every shard evicts many times. A key survived when its
        // done marker is still in its shard.
        let (_, clock) = manual_clock();
        let store = MemoryStore::with_clock(SHARDS * 20, clock);
        let mut keys = Vec::new();
        for i in 0..2_000u64 {
            let key = format!("k-{i}");
            let Claim::Acquired(t) = store.claim(&key, Duration::from_secs(60)).unwrap() else { panic!() };
            // Retention grows with i in steps of 3 keys (ties), so older keys expire sooner.
            store.complete(&key, t, Duration::from_secs(1_000 + i / 3)).unwrap();
            keys.push(key);
        }
        // Per shard, whatever survived must be the newest keys of that shard: no evicted key may
        // expire later than a surviving key of the same shard.
        let mut by_shard: HashMap<usize, (u64, u64)> = HashMap::new(); // shard -> (max evicted, min kept) retention
        for (i, key) in keys.iter().enumerate() {
            let shard = store.shards.iter().position(|s| std::ptr::eq(s, store.shard(key.as_bytes()))).unwrap();
            let retention = 1_000 + i as u64 / 3;
            let kept =
                matches!(store.shard(key.as_bytes()).lock().unwrap().map.get(key.as_bytes()), Some(Entry { state: State::Done, .. }));
            let e = by_shard.entry(shard).or_insert((0, u64::MAX));
            if kept {
                e.1 = e.1.min(retention)
            } else {
                e.0 = e.0.max(retention)
            }
        }
        assert!(store.len() <= SHARDS * 20);
        for (shard, (max_evicted, min_kept)) in by_shard {
            assert!(max_evicted <= min_kept, "shard {shard}: evicted a marker expiring at {max_evicted} but kept one at {min_kept}");
        }
    }

    #[test]
    fn counts_and_bytes_follow_every_transition() {
        let (now, clock) = manual_clock();
        let store = MemoryStore::with_clock(1_000, clock);
        let lease = Duration::from_secs(60);
        let long = "x".repeat(MAX_KEY_BYTES + 1);
        let t1 = match store.claim("a", lease).unwrap() {
            Claim::Acquired(t) => t,
            c => panic!("{c:?}"),
        };
        let t2 = match store.claim(&long, lease).unwrap() {
            Claim::Acquired(t) => t,
            c => panic!("{c:?}"),
        };
        assert_eq!((store.len(), store.claims()), (2, 2));
        let key_bytes = |s: &MemoryStore| s.shards.iter().map(|sh| lock(sh).key_bytes).sum::<usize>();
        assert_eq!(key_bytes(&store), key_alloc_bytes(1) + key_alloc_bytes(33), "a long key costs its 33-byte digest form");
        store.complete("a", t1, Duration::from_secs(10)).unwrap();
        assert!(store.release(&long, t2).unwrap());
        assert_eq!((store.len(), store.claims(), key_bytes(&store)), (1, 0, key_alloc_bytes(1)));
        // An expired done marker is claimed again: it becomes a claim.
        now.fetch_add(10_000, Ordering::SeqCst);
        let t3 = match store.claim("a", lease).unwrap() {
            Claim::Acquired(t) => t,
            c => panic!("{c:?}"),
        };
        assert!(t3 > t1);
        assert_eq!((store.len(), store.claims(), key_bytes(&store)), (1, 1, key_alloc_bytes(1)));
        // An expired claim is taken over in place.
        now.fetch_add(60_000, Ordering::SeqCst);
        let t4 = match store.claim("a", lease).unwrap() {
            Claim::Acquired(t) => t,
            c => panic!("{c:?}"),
        };
        assert!(t4 > t3);
        assert_eq!(store.complete("a", t3, lease).unwrap(), Completion::LeaseLost);
        assert_eq!((store.len(), store.claims()), (1, 1));
        assert_eq!(store.complete("a", t4, lease).unwrap(), Completion::Recorded);
        assert_eq!((store.len(), store.claims()), (1, 0));
        assert!(store.memory_bytes() >= key_alloc_bytes(1));
    }

    #[test]
    fn one_winner_among_threads() {
        let store = Arc::new(MemoryStore::default());
        for round in 0..200 {
            let key = format!("evt-{round}");
            let winners = AtomicU64::new(0);
            std::thread::scope(|s| {
                for _ in 0..8 {
                    s.spawn(|| {
                        if let Claim::Acquired(_) = store.claim(&key, Duration::from_secs(60)).unwrap() {
                            winners.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                }
            });
            assert_eq!(winners.load(Ordering::SeqCst), 1);
        }
    }
}
