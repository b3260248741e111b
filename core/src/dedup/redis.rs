//! [`RedisStore`] (feature `redis`): a store shared by every process of an endpoint.
//!
//! One key per delivery holds either the claim's fencing token (with the lease
//! as its expiry, set by `SET key token NX PX lease`) or `done` (with the
//! retention). Claim, complete and release are each one Lua script, so the
//! happy path is two round trips: claim, then complete. Any connection or
//! server error is `store_unavailable`; the connection is then discarded.

use std::sync::Mutex;
use std::time::Duration;

use redis::{Client, Connection, Script, Value};

use super::{Claim, Completion, Store, Token};
use crate::error::{Error, Result};

// KEYS[1] state, KEYS[2] fencing counter. ARGV[1] lease ms, ARGV[2] counter ttl ms.
// Returns {0, token} acquired, {1, pttl} in progress, {2, 0} done.
const CLAIM: &str = r"
local cur = redis.call('GET', KEYS[1])
if cur == 'done' then return {2, 0} end
if cur then return {1, redis.call('PTTL', KEYS[1])} end
local token = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[1])
return {0, token}
";

// Compare-and-set: the claim becomes the done marker only if this token still holds it.
const COMPLETE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
";

// Compare-and-delete.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Default network timeout for connecting and each command.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A Redis-backed store with a small pool of blocking connections.
pub struct RedisStore {
    client: Client,
    pool: Mutex<Vec<Connection>>,
    prefix: String,
    timeout: Duration,
    claim: Script,
    complete: Script,
    release: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it.
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    Error::StoreUnavailable { reason: format!("redis: {e}") }
}

impl RedisStore {
    /// A store for `redis://[:password@]host:port/db`, keys prefixed `hookverify:`.
    /// Connects lazily: an unreachable server shows up as `store_unavailable` on use.
    pub fn open(url: &str) -> Result<RedisStore> {
        RedisStore::with_options(url, "hookverify:", DEFAULT_TIMEOUT)
    }

    /// A store with a key prefix (namespace per endpoint or app) and network timeout.
    pub fn with_options(url: &str, prefix: &str, timeout: Duration) -> Result<RedisStore> {
        let client = Client::open(url).map_err(|e| Error::InvalidArgument {
            reason: format!("not a valid redis URL ({:?})", e.kind()),
        })?;
        Ok(RedisStore {
            client,
            pool: Mutex::new(Vec::new()),
            prefix: prefix.to_owned(),
            timeout,
            claim: Script::new(CLAIM),
            complete: Script::new(COMPLETE),
            release: Script::new(RELEASE),
        })
    }

    fn pooled(&self) -> Option<Connection> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn connect(&self) -> Result<Connection> {
        let con = self.client.get_connection_with_timeout(self.timeout).map_err(unavailable)?;
        con.set_read_timeout(Some(self.timeout)).map_err(unavailable)?;
        con.set_write_timeout(Some(self.timeout)).map_err(unavailable)?;
        Ok(con)
    }

    /// Runs one script on a pooled connection; a failed connection is dropped, not pooled.
    ///
    /// A pooled connection may have died since its last use (server restart):
    /// then the script is retried once on a fresh connection. That retry is
    /// safe for all three scripts: a claim that did run is seen as in progress
    /// (the lease frees it), a complete/release that did run is a no-op the
    /// second time.
    fn run(&self, script: &Script, keys: &[String], args: &[String]) -> Result<Value> {
        let mut invocation = script.prepare_invoke();
        for k in keys {
            invocation.key(k);
        }
        for a in args {
            invocation.arg(a);
        }
        let (mut con, mut from_pool) = match self.pooled() {
            Some(con) => (con, true),
            None => (self.connect()?, false),
        };
        loop {
            match invocation.invoke::<Value>(&mut con) {
                Ok(value) => {
                    self.pool.lock().unwrap_or_else(|p| p.into_inner()).push(con);
                    return Ok(value);
                }
                Err(e) if from_pool && (e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()) => {
                    con = self.connect()?;
                    from_pool = false;
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
    }

    fn state_key(&self, key: &str) -> String {
        // The hash tag keeps a key and its counter in one cluster slot.
        format!("{}{{{key}}}", self.prefix)
    }
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
        let state = self.state_key(key);
        let counter = format!("{state}:fence");
        let counter_ttl = super::DEFAULT_RETENTION + lease + lease;
        let reply = self.run(&self.claim, &[state, counter], &[ms(lease), ms(counter_ttl)])?;
        let Value::Array(items) = &reply else { return Err(unavailable(format!("unexpected reply {reply:?}"))) };
        match (items.first().and_then(int), items.get(1).and_then(int)) {
            (Some(0), Some(token)) => Ok(Claim::Acquired(Token(token as u64))),
            (Some(1), Some(pttl)) => Ok(Claim::InProgress { retry_after: Duration::from_millis(pttl.max(0) as u64) }),
            (Some(2), _) => Ok(Claim::Done),
            _ => Err(unavailable(format!("unexpected reply {reply:?}"))),
        }
    }

    fn complete(&self, key: &str, token: Token, retention: Duration) -> Result<Completion> {
        let reply = self.run(&self.complete, &[self.state_key(key)], &[token.0.to_string(), ms(retention)])?;
        Ok(if int(&reply) == Some(1) { Completion::Recorded } else { Completion::LeaseLost })
    }

    fn may_block(&self) -> bool {
        true
    }

    fn release(&self, key: &str, token: Token) -> Result<bool> {
        let reply = self.run(&self.release, &[self.state_key(key)], &[token.0.to_string()])?;
        Ok(int(&reply) == Some(1))
    }
}
