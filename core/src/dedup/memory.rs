//! [`MemoryStore`]: the embedded default — bounded, thread-safe, sharded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Claim, Clock, Completion, Store, SystemClock, Token};
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

// foldhash: fast, and randomly seeded per process (keys come from verified requests only,
// but a seeded hash still keeps a hostile sender from choosing colliding ids).
#[derive(Default)]
struct Shard {
    map: HashMap<Box<str>, Entry, foldhash::fast::RandomState>,
}

/// An in-process store: at most `capacity` keys (expired entries are purged,
/// then the oldest done markers evicted), each shard behind its own lock.
///
/// It suppresses duplicates within one process; several processes need a
/// shared store such as `RedisStore`.
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    next_token: AtomicU64,
    clock: Arc<dyn Clock>,
    shard_hasher: foldhash::fast::RandomState,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("capacity", &(self.per_shard * SHARDS)).finish()
    }
}

/// Default capacity of a [`MemoryStore`].
pub const DEFAULT_CAPACITY: usize = 100_000;

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store holding at most about `capacity` keys, on the system clock.
    pub fn new(capacity: usize) -> MemoryStore {
        MemoryStore::with_clock(capacity, Arc::new(SystemClock))
    }

    /// A store on an injected clock (tests; wasm, which has no system clock).
    pub fn with_clock(capacity: usize, clock: Arc<dyn Clock>) -> MemoryStore {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            next_token: AtomicU64::new(1),
            clock,
            shard_hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Number of keys held (claims and done markers, expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    /// Whether the store holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, key: &str) -> &Mutex<Shard> {
        use std::hash::BuildHasher;
        let hash = self.shard_hasher.hash_one(key);
        // The top bits: the map inside the shard uses its own seed, so the two hashes are independent.
        &self.shards[(hash >> 60) as usize % SHARDS]
    }
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave an entry half-written (every
    // update is a single insert/remove), so a poisoned shard is still consistent.
    shard.lock().unwrap_or_else(|p| p.into_inner())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Shard {
    /// Makes room for one more key: purge expired entries, then evict the
    /// done markers that expire soonest. In-progress claims are never evicted.
    fn make_room(&mut self, limit: usize, now: u64) -> Result<()> {
        if self.map.len() < limit {
            return Ok(());
        }
        self.map.retain(|_, e| e.expires_at > now);
        let target = limit - limit / 10 - 1;
        if self.map.len() > target {
            // Evict the `n` done markers that expire soonest without copying any key: find the
            // n-th smallest expiry, then drop every marker below it and enough of those equal to it.
            let mut expiries: Vec<u64> =
                self.map.values().filter(|e| matches!(e.state, State::Done)).map(|e| e.expires_at).collect();
            let n = (self.map.len() - target).min(expiries.len());
            if n > 0 {
                let cutoff = *expiries.select_nth_unstable(n - 1).1;
                let mut ties = n - expiries[..n - 1].iter().filter(|&&x| x < cutoff).count();
                self.map.retain(|_, e| match e.state {
                    State::Done if e.expires_at < cutoff => false,
                    State::Done if e.expires_at == cutoff && ties > 0 => {
                        ties -= 1;
                        false
                    }
                    _ => true,
                });
            }
        }
        if self.map.len() >= limit {
            return Err(Error::StoreUnavailable {
                reason: "the memory store is full of in-progress claims; raise its capacity".into(),
            });
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn claim(&self, key: &str, lease: Duration) -> Result<Claim> {
        let now = self.clock.now_millis();
        let mut shard = lock(self.shard(key));
        let claimed = || {
            let token = Token(self.next_token.fetch_add(1, Ordering::Relaxed));
            (token, Entry { state: State::InProgress(token), expires_at: now.saturating_add(millis(lease)) })
        };
        // One lookup for a key that is there (live: report it; expired: take it over in place),
        // one insert for a new key: the key is hashed twice at most.
        if let Some(entry) = shard.map.get_mut(key) {
            if entry.expires_at > now {
                return Ok(match entry.state {
                    State::Done => Claim::Done,
                    State::InProgress(_) => Claim::InProgress { retry_after: Duration::from_millis(entry.expires_at - now) },
                });
            }
            let (token, fresh) = claimed();
            *entry = fresh;
            return Ok(Claim::Acquired(token));
        }
        shard.make_room(self.per_shard, now)?;
        let (token, fresh) = claimed();
        shard.map.insert(key.into(), fresh);
        Ok(Claim::Acquired(token))
    }

    fn complete(&self, key: &str, token: Token, retention: Duration) -> Result<Completion> {
        let now = self.clock.now_millis();
        let mut shard = lock(self.shard(key));
        match shard.map.get_mut(key) {
            Some(entry) if matches!(entry.state, State::InProgress(t) if t == token) => {
                *entry = Entry { state: State::Done, expires_at: now.saturating_add(millis(retention)) };
                Ok(Completion::Recorded)
            }
            _ => Ok(Completion::LeaseLost),
        }
    }

    fn release(&self, key: &str, token: Token) -> Result<bool> {
        let mut shard = lock(self.shard(key));
        match shard.map.get(key) {
            Some(entry) if matches!(entry.state, State::InProgress(t) if t == token) => {
                shard.map.remove(key);
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
            let shard = store.shards.iter().position(|s| std::ptr::eq(s, store.shard(key))).unwrap();
            let retention = 1_000 + i as u64 / 3;
            let kept = matches!(store.shard(key).lock().unwrap().map.get(key.as_str()), Some(Entry { state: State::Done, .. }));
            let e = by_shard.entry(shard).or_insert((0, u64::MAX));
            if kept { e.1 = e.1.min(retention) } else { e.0 = e.0.max(retention) }
        }
        assert!(store.len() <= SHARDS * 20);
        for (shard, (max_evicted, min_kept)) in by_shard {
            assert!(max_evicted <= min_kept, "shard {shard}: evicted a marker expiring at {max_evicted} but kept one at {min_kept}");
        }
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
