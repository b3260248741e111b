//! [`RedisStore`] (feature `redis`): a store shared by every process of an endpoint.
//!
//! One Redis key per delivery, `<prefix>{<stored key>}` (see
//! [`StoredKey`](super::StoredKey): a key longer than
//! [`MAX_KEY_BYTES`](super::MAX_KEY_BYTES) is its SHA-256 digest, so a key
//! costs about 200 bytes of Redis memory whatever the delivery id). Its value:
//!
//! - `c:<token>:<attempt>` — claimed, with the lease as the key's expiry;
//! - `done` — completed, with the retention as its expiry;
//! - `r:<token>` — released a moment ago (kept one second so the next claim's
//!   token is larger even within one clock tick).
//!
//! Claim, complete and release are each one Lua script, so the happy path is
//! two round trips: claim, then complete. Any connection or server error is
//! `store_unavailable`; the connection is then discarded.
//!
//! **Fencing tokens** come from the server's clock (`TIME`, in microseconds),
//! or one more than the key's last token: they keep increasing after Redis
//! lost its data (`FLUSHALL`, a restart without persistence), as long as the
//! server's clock does not step back.
//!
//! **Timeouts.** Every call (claim, complete, release) has one deadline,
//! `timeout` (default [`DEFAULT_REDIS_TIMEOUT`], 2 s), shared by connecting,
//! writing and reading: no call takes longer. A stalled server (a slow
//! command, `DEBUG SLEEP`, a failover) answers `store_unavailable` (503 with
//! `Retry-After`) within it.
//!
//! **Attempts.** Each claim carries a random attempt id. A claim retried on a
//! fresh connection after the first one broke recognises its own claim
//! (`Acquired` with the same token) instead of answering `InProgress`. A claim
//! that failed (timed out) may still have executed on the server after we gave
//! up, leaving a claim nobody runs. The store remembers such attempts (up to
//! 1,024): the next claim of the same key through this store takes that claim
//! over, and every claim releases up to 8 of them on other keys. So the
//! sender's retry is not refused as in progress for the whole lease; until this
//! store makes its next claim, other processes see the key in progress.
//!
//! **What Redis must be.** Done markers and claims are only as durable as
//! Redis: configure persistence (AOF `appendfsync everysec` or better, or
//! RDB snapshots for a weaker guarantee) and `maxmemory-policy noeviction`
//! (every key here has an expiry, so the `volatile-*` policies evict them
//! too). If Redis loses data anyway, deliveries completed before the loss run
//! again when a sender retries them (at-least-once, never lost), and fencing
//! tokens still increase. With `noeviction` a full Redis refuses writes:
//! `store_unavailable`, 503, the sender retries.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::{Client, Connection, IntoConnectionInfo, Script, Value};

use super::{Claim, Completion, Store, StoredKey, Token};
use crate::error::{Error, Result};

// KEYS[1] the key. ARGV[1] lease ms, ARGV[2] attempt id, ARGV[3..] this store's earlier failed
// attempts on this key (their claims, if they executed, nobody runs: taken over).
// Returns {0, token} acquired (a fresh claim, or this attempt's own), {1, pttl} in progress, {2, 0} done.
// A value of any other shape (a claim written by an older version) counts as someone's claim.
const CLAIM: &str = r"
local cur = redis.call('GET', KEYS[1])
if cur == 'done' then return {2, 0} end
local last = 0
if cur then
  local token, attempt = string.match(cur, '^c:(%d+):(.+)$')
  if token then
    if attempt == ARGV[2] then return {0, tonumber(token)} end
    local failed = false
    for i = 3, #ARGV do
      if attempt == ARGV[i] then failed = true end
    end
    if not failed then return {1, redis.call('PTTL', KEYS[1])} end
    last = tonumber(token)
  else
    local released = string.match(cur, '^r:(%d+)$')
    if not released then return {1, redis.call('PTTL', KEYS[1])} end
    last = tonumber(released)
  end
end
local now = redis.call('TIME')
local token = tonumber(now[1]) * 1000000 + tonumber(now[2])
if token <= last then token = last + 1 end
redis.call('SET', KEYS[1], 'c:' .. string.format('%.0f', token) .. ':' .. ARGV[2], 'PX', ARGV[1])
return {0, token}
";

// Compare-and-set: the claim becomes the done marker only if this token still holds it.
// ARGV[1] token, ARGV[2] retention ms.
const COMPLETE: &str = r"
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^c:(%d+):') == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
";

// Compare-and-release: the claim of token ARGV[1] (or, ARGV[1] empty, of attempt ARGV[2]) is
// replaced by a short-lived `r:<token>`. ARGV[3]: how long that is kept, ms.
const RELEASE: &str = r"
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local token, attempt = string.match(cur, '^c:(%d+):(.+)$')
if token and (token == ARGV[1] or attempt == ARGV[2]) then
  redis.call('SET', KEYS[1], 'r:' .. token, 'PX', ARGV[3])
  return 1
end
return 0
";

/// Default deadline of one store call (connect, write and read together).
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// The key prefix of [`RedisStore::new`] (every binding's default too).
pub const DEFAULT_REDIS_PREFIX: &str = "hookverify:";

/// How long a released claim's token is remembered (so the next claim's token is larger).
const RELEASED_MS: &str = "1000";

/// Claims that failed after they may have reached the server, kept for release (oldest dropped beyond this; their lease frees them).
const MAX_UNCERTAIN: usize = 1024;

/// A Redis-backed store with a small pool of blocking connections.
pub struct RedisStore {
    client: Client,
    /// Replies the connection setup waits for, each with the timeout given to the connect.
    setup_reads: u32,
    pool: Mutex<Vec<Connection>>,
    prefix: String,
    timeout: Duration,
    claim: Script,
    complete: Script,
    release: Script,
    /// `(redis key, attempt)` of claims that failed but may have executed.
    uncertain: Mutex<Vec<(Vec<u8>, String)>>,
    attempt_seed: u64,
    attempts: AtomicU64,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it.
        f.debug_struct("RedisStore").field("prefix", &self.prefix).field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    Error::StoreUnavailable { reason: format!("redis: {e}") }
}

fn timed_out() -> Error {
    unavailable("no answer within the store's timeout")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update is one push/pop/take: a poisoned lock still guards consistent data.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RedisStore {
    /// A store for `redis://[:password@]host:port/db`, keys prefixed `hookverify:`, calls
    /// bounded by [`DEFAULT_REDIS_TIMEOUT`]. Connects lazily: an unreachable server shows up as
    /// `store_unavailable` on use.
    pub fn open(url: &str) -> Result<RedisStore> {
        RedisStore::with_options(url, DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_TIMEOUT)
    }

    /// A store with a key prefix (namespace per endpoint or app) and the deadline of each call
    /// (connect, write and read together; see the module docs).
    pub fn with_options(url: &str, prefix: &str, timeout: Duration) -> Result<RedisStore> {
        let invalid = |e: redis::RedisError| Error::InvalidArgument { reason: format!("not a valid redis URL ({:?})", e.kind()) };
        let info = url.into_connection_info().map_err(invalid)?;
        // No `CLIENT SETINFO` after connecting: one round trip less, and fewer reads to bound.
        let settings = info.redis_settings().clone().set_skip_set_lib_name();
        // The connection setup reads each reply with the whole connect timeout; count them.
        let replies = u32::from(settings.protocol().supports_resp3() || settings.password().is_some()) + u32::from(settings.db() != 0);
        // A server refusing the username makes the client send the setup again without it.
        let setup_reads = (replies * if settings.username().is_some() { 2 } else { 1 }).max(1);
        let client = Client::open(info.set_redis_settings(settings)).map_err(invalid)?;
        if timeout.is_zero() {
            return Err(Error::InvalidArgument { reason: "the redis timeout must be positive".into() });
        }
        Ok(RedisStore {
            client,
            setup_reads,
            pool: Mutex::new(Vec::new()),
            prefix: prefix.to_owned(),
            timeout,
            claim: Script::new(CLAIM),
            complete: Script::new(COMPLETE),
            release: Script::new(RELEASE),
            uncertain: Mutex::new(Vec::new()),
            attempt_seed: RandomState::new().hash_one(std::process::id()),
            attempts: AtomicU64::new(0),
        })
    }

    /// Where the store connects, as `host:port/db` (a Unix socket: its path): never the
    /// username or password, so it can be logged.
    pub fn address(&self) -> String {
        let info = self.client.get_connection_info();
        format!("{}/{}", info.addr(), info.redis_settings().db())
    }

    /// Connects and sends `PING`, within the store's deadline (as every call): checks at start
    /// that the server is reachable and accepts the credentials. The connection joins the pool.
    /// An error is `store_unavailable` with the client's reason (never the URL or password).
    pub fn ping(&self) -> Result<()> {
        let deadline = Instant::now() + self.timeout;
        let mut con = self.connect(deadline)?;
        let left = remaining(deadline)?;
        con.set_read_timeout(Some(left)).map_err(unavailable)?;
        con.set_write_timeout(Some(left)).map_err(unavailable)?;
        match redis::cmd("PING").query::<String>(&mut con) {
            Ok(_) => {
                lock(&self.pool).push(con);
                Ok(())
            }
            Err(e) if e.is_timeout() => Err(timed_out()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// How many failed claims wait to be released (see the module docs).
    pub fn uncertain_claims(&self) -> usize {
        lock(&self.uncertain).len()
    }

    /// A new connection within `deadline`: the client gives its TCP connect the timeout, then each
    /// setup reply (AUTH/HELLO, SELECT) what is left of it, so it gets a share per reply.
    fn connect(&self, deadline: Instant) -> Result<Connection> {
        let share = remaining(deadline)? / self.setup_reads;
        self.client.get_connection_with_timeout(share.max(Duration::from_millis(1))).map_err(|e| {
            if e.is_timeout() {
                timed_out()
            } else {
                unavailable(e)
            }
        })
    }

    /// Runs one script within `deadline`, on a pooled connection; a failed connection is dropped, not pooled.
    ///
    /// A pooled connection may have died since its last use (server restart):
    /// then the script is retried once on a fresh connection, if time is left
    /// and the failure was not a timeout (a stalled server will not answer the
    /// retry either). That retry is safe for all three scripts: a claim that
    /// did run is recognised by its attempt id, a complete/release that did run
    /// is a no-op the second time.
    ///
    /// A failure says whether the script may have executed on the server (it was sent).
    fn run(&self, script: &Script, key: &[u8], args: &[&str], deadline: Instant) -> std::result::Result<Value, Failure> {
        let mut invocation = script.prepare_invoke();
        invocation.key(key);
        for a in args {
            invocation.arg(*a);
        }
        let unsent = |error| Failure { error, maybe_ran: false };
        let (mut con, mut from_pool) = match lock(&self.pool).pop() {
            Some(con) => (con, true),
            None => (self.connect(deadline).map_err(unsent)?, false),
        };
        let mut sent = false;
        loop {
            let left = remaining(deadline).map_err(|error| Failure { error, maybe_ran: sent })?;
            con.set_read_timeout(Some(left)).map_err(|e| Failure { error: unavailable(e), maybe_ran: sent })?;
            con.set_write_timeout(Some(left)).map_err(|e| Failure { error: unavailable(e), maybe_ran: sent })?;
            sent = true;
            match invocation.invoke::<Value>(&mut con) {
                Ok(value) => {
                    lock(&self.pool).push(con);
                    return Ok(value);
                }
                Err(e) if e.is_timeout() => return Err(Failure { error: timed_out(), maybe_ran: true }),
                Err(e) if from_pool && (e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()) => {
                    con = self.connect(deadline).map_err(|error| Failure { error, maybe_ran: true })?;
                    from_pool = false;
                }
                Err(e) => return Err(Failure { error: unavailable(e), maybe_ran: true }),
            }
        }
    }

    fn state_key(&self, key: &str) -> Vec<u8> {
        // `{…}`: a Redis Cluster hash tag, as earlier versions wrote it (their done markers are still found).
        let mut k = Vec::with_capacity(self.prefix.len() + 67);
        k.extend_from_slice(self.prefix.as_bytes());
        k.push(b'{');
        StoredKey::of(key).write_to(&mut k, true);
        k.push(b'}');
        k
    }

    fn attempt(&self) -> String {
        let n = self.attempts.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{n:x}", self.attempt_seed)
    }

    /// Takes the failed attempts on `key` (the claim takes their claims over), and releases up to
    /// [`RELEASE_PER_CLAIM`] failed attempts on other keys (kept for later when that fails).
    fn settle_uncertain(&self, key: &[u8], deadline: Instant) -> Result<Vec<String>> {
        let (mine, others) = {
            let mut uncertain = lock(&self.uncertain);
            if uncertain.is_empty() {
                return Ok(Vec::new());
            }
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut *uncertain).into_iter().partition(|(k, _)| k == key);
            let split = rest.len().saturating_sub(RELEASE_PER_CLAIM);
            let mut rest = rest;
            let others = rest.split_off(split);
            *uncertain = rest;
            (mine, others)
        };
        let mut others = others.into_iter();
        while let Some((k, attempt)) = others.next() {
            if let Err(f) = self.run(&self.release, &k, &["", &attempt, RELEASED_MS], deadline) {
                let mut uncertain = lock(&self.uncertain);
                uncertain.push((k, attempt));
                uncertain.extend(others);
                uncertain.extend(mine);
                return Err(f.error);
            }
        }
        Ok(mine.into_iter().map(|(_, a)| a).collect())
    }

    fn remember_uncertain(&self, key: Vec<u8>, attempts: impl IntoIterator<Item = String>) {
        let mut uncertain = lock(&self.uncertain);
        uncertain.extend(attempts.into_iter().map(|a| (key.clone(), a)));
        let excess = uncertain.len().saturating_sub(MAX_UNCERTAIN);
        uncertain.drain(..excess);
    }
}

/// A failed script call; `maybe_ran`: it was sent, so it may have executed on the server.
struct Failure {
    error: Error,
    maybe_ran: bool,
}

/// Failed attempts on other keys released before one claim.
const RELEASE_PER_CLAIM: usize = 8;

fn remaining(deadline: Instant) -> Result<Duration> {
    // Below a millisecond, a socket timeout would round to zero (which means none): give up.
    deadline.checked_duration_since(Instant::now()).filter(|d| *d >= Duration::from_millis(1)).ok_or_else(timed_out)
}

fn ms(d: Duration) -> String {
    d.as_millis().max(1).to_string()
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

impl Store for RedisStore {
    fn claim(&self, key: &str, lease: Duration) -> Result<Claim> {
        let deadline = Instant::now() + self.timeout;
        let state = self.state_key(key);
        let failed = self.settle_uncertain(&state, deadline)?;
        let attempt = self.attempt();
        let lease = ms(lease);
        let mut args: Vec<&str> = vec![&lease, &attempt];
        args.extend(failed.iter().map(String::as_str));
        let reply = match self.run(&self.claim, &state, &args, deadline) {
            Ok(reply) => reply,
            Err(f) => {
                let error = f.error;
                // This attempt may have claimed the key after we gave up; so may the earlier ones.
                self.remember_uncertain(state, f.maybe_ran.then_some(attempt).into_iter().chain(failed));
                return Err(error);
            }
        };
        let Value::Array(items) = &reply else { return Err(unavailable(format!("unexpected reply {reply:?}"))) };
        match (items.first().and_then(int), items.get(1).and_then(int)) {
            (Some(0), Some(token)) => Ok(Claim::Acquired(Token(token as u64))),
            (Some(1), Some(pttl)) => Ok(Claim::InProgress { retry_after: Duration::from_millis(pttl.max(0) as u64) }),
            (Some(2), _) => Ok(Claim::Done),
            _ => Err(unavailable(format!("unexpected reply {reply:?}"))),
        }
    }

    fn complete(&self, key: &str, token: Token, retention: Duration) -> Result<Completion> {
        let deadline = Instant::now() + self.timeout;
        let reply =
            self.run(&self.complete, &self.state_key(key), &[&token.0.to_string(), &ms(retention)], deadline).map_err(|f| f.error)?;
        Ok(if int(&reply) == Some(1) { Completion::Recorded } else { Completion::LeaseLost })
    }

    fn may_block(&self) -> bool {
        true
    }

    fn release(&self, key: &str, token: Token) -> Result<bool> {
        let deadline = Instant::now() + self.timeout;
        let reply =
            self.run(&self.release, &self.state_key(key), &[&token.0.to_string(), "", RELEASED_MS], deadline).map_err(|f| f.error)?;
        Ok(int(&reply) == Some(1))
    }
}
