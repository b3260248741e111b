//! Dedup stores under a flood and under Redis failures (issue 16, items 4 and 10):
//!
//! - memory stays within the documented bytes per key whatever the id length (15 KB ids);
//! - a flood of in-progress claims cannot evict a recent done marker, and is refused with
//!   `store_unavailable` (503) within its own budget until leases expire;
//! - Redis keys cost bounded bytes (one key per delivery, long keys hashed);
//! - fencing tokens keep increasing across a Redis FLUSHALL, a restart without persistence,
//!   and a fresh memory store;
//! - a Redis stall answers within the timeout and leaves no phantom claim behind.
//!
//! Redis tests start their own redis-server on a free loopback port (see `support`).

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hookverify::dedup::{Claim, Clock, Completion, MemoryStore, Store, Token, MAX_BYTES_PER_KEY};
use hookverify::ErrorCode;

const LEASE: Duration = Duration::from_secs(60);
const RETENTION: Duration = Duration::from_secs(4 * 24 * 3600);

/// A 15 KB key unique to `i`, written into `buf` (one buffer reused: the test itself holds no flood).
fn long_key(buf: &mut String, i: usize) -> &str {
    buf.clear();
    buf.push_str(&format!("/hooks|github|flood-{i}-"));
    buf.extend(std::iter::repeat('x').take(15 * 1024));
    buf
}

/// This process's resident set in bytes (Linux), or None elsewhere.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

fn manual_clock() -> (Arc<AtomicU64>, Arc<dyn Clock>) {
    let now = Arc::new(AtomicU64::new(1_700_000_000_000));
    let c = now.clone();
    (now, Arc::new(move || c.load(Ordering::SeqCst)))
}

fn claimed(c: Claim) -> Token {
    match c {
        Claim::Acquired(t) => t,
        other => panic!("expected Acquired, got {other:?}"),
    }
}

#[test]
fn memory_store_bytes_stay_within_budget_with_15kb_ids() {
    // Before the fix a key was kept whole: 20,000 deliveries with 15 KB ids took ~300 MB, these
    // 5,000 about 75 MB.
    let capacity = 5_000;
    let store = MemoryStore::new(capacity);
    let rss_before = rss_bytes();
    let mut buf = String::new();
    for i in 0..capacity {
        let key = long_key(&mut buf, i);
        let t = claimed(store.claim(key, LEASE).unwrap());
        assert_eq!(store.complete(key, t, RETENTION).unwrap(), Completion::Recorded);
    }
    // The newest is recorded (a long key is found again by its digest).
    assert_eq!(store.claim(long_key(&mut buf, capacity - 1), LEASE).unwrap(), Claim::Done);
    let held = store.len();
    let bytes = store.memory_bytes();
    let budget = (capacity + capacity / 10) * MAX_BYTES_PER_KEY;
    eprintln!(
        "memory store, {held} keys of 15 KB ids: {bytes} bytes by its accounting ({} per key), budget {budget} ({MAX_BYTES_PER_KEY} per key)",
        bytes / held.max(1)
    );
    assert!(held >= capacity * 9 / 10, "kept {held} of {capacity}");
    assert!(bytes <= budget, "{bytes} bytes over the {budget}-byte budget");
    if let (Some(before), Some(after)) = (rss_before, rss_bytes()) {
        let grown = after.saturating_sub(before);
        eprintln!("RSS grew by {} KB ({} bytes per key)", grown / 1024, grown / held as u64);
        // Coarse (other tests run alongside): the old store grew by ~75 MB here.
        assert!(grown < 24 << 20, "RSS grew by {} MB", grown >> 20);
    }
}

#[test]
fn memory_long_keys_are_distinct_and_never_equal_a_short_key() {
    let store = MemoryStore::new(1_000);
    let (mut a, mut b) = (String::new(), String::new());
    let long_a = long_key(&mut a, 1).to_owned();
    let mut long_b = long_key(&mut b, 1).to_owned();
    long_b.push('y'); // differs in its last byte only
    let t = claimed(store.claim(&long_a, LEASE).unwrap());
    store.complete(&long_a, t, RETENTION).unwrap();
    assert_eq!(store.claim(&long_a, LEASE).unwrap(), Claim::Done);
    claimed(store.claim(&long_b, LEASE).unwrap());
    // A short key spelling out the long key's digest in hex is still its own key.
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(long_a.as_bytes()))
    };
    claimed(store.claim(&digest, LEASE).unwrap());
}

#[test]
fn memory_claim_flood_does_not_evict_a_recent_done_marker() {
    // Before the fix, claims evicted done markers to make room: after the flood the genuine
    // delivery's marker was gone and an exact replay ran its handler again.
    let store = MemoryStore::new(1_000);
    for i in 0..999 {
        let key = format!("/hooks|github|earlier-{i}");
        let t = claimed(store.claim(&key, LEASE).unwrap());
        store.complete(&key, t, RETENTION).unwrap();
    }
    let genuine = "/hooks|github|d-genuine";
    let t = claimed(store.claim(genuine, LEASE).unwrap());
    assert_eq!(store.complete(genuine, t, RETENTION).unwrap(), Completion::Recorded);
    let (mut acquired, mut refused) = (0, 0);
    for i in 0..100_000 {
        match store.claim(&format!("/hooks|github|flood-{i}"), LEASE) {
            Ok(Claim::Acquired(_)) => acquired += 1,
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::StoreUnavailable);
                refused += 1;
            }
            Ok(other) => panic!("{other:?}"),
        }
    }
    eprintln!("claim flood: {acquired} claims taken, {refused} refused with store_unavailable");
    assert_eq!(store.claim(genuine, LEASE).unwrap(), Claim::Done, "the genuine delivery's done marker survived the flood");
}

#[test]
fn memory_claim_flood_is_refused_within_its_budget_until_leases_expire() {
    let (now, clock) = manual_clock();
    let capacity = 1_000;
    let store = MemoryStore::with_clock(capacity, clock);
    let done = "/hooks|github|done-before";
    let t = claimed(store.claim(done, LEASE).unwrap());
    store.complete(done, t, RETENTION).unwrap();
    let mut acquired = 0;
    for i in 0..10_000 {
        match store.claim(&format!("/hooks|github|flood-{i}"), LEASE) {
            Ok(Claim::Acquired(_)) => acquired += 1,
            Err(e) => assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}"),
            Ok(other) => panic!("{other:?}"),
        }
    }
    // The claims budget is a tenth of the capacity (rounded up per shard), not all of it.
    assert!(acquired <= capacity / 10 + 16, "{acquired} claims taken: the flood filled more than the claims budget");
    assert_eq!(store.claims(), acquired);
    // While the budget is full: a done key is still Done, a new key is refused (503, the sender retries).
    assert_eq!(store.claim(done, LEASE).unwrap(), Claim::Done);
    let genuine = "/hooks|github|genuine-new";
    let err = store.claim(genuine, LEASE).unwrap_err();
    assert_eq!(err.code(), ErrorCode::StoreUnavailable);
    assert_eq!(hookverify::receiver::Decision::from_error(&err).status, 503);
    // The documented rule: once the flood's leases expire, the sender's retry goes through.
    now.fetch_add(LEASE.as_millis() as u64, Ordering::SeqCst);
    let t = claimed(store.claim(genuine, LEASE).unwrap());
    assert_eq!(store.complete(genuine, t, RETENTION).unwrap(), Completion::Recorded);
    assert_eq!(store.claim(done, LEASE).unwrap(), Claim::Done);
}

#[test]
fn memory_tokens_keep_increasing_across_a_fresh_store() {
    // A process restart starts a fresh store: before the fix its tokens started at 1 again.
    let first = MemoryStore::new(100);
    let t1 = claimed(first.claim("k", LEASE).unwrap());
    assert!(first.release("k", t1).unwrap());
    let t2 = claimed(first.claim("k", LEASE).unwrap());
    assert!(t2 > t1);
    drop(first);
    std::thread::sleep(Duration::from_millis(2));
    let restarted = MemoryStore::new(100);
    let t3 = claimed(restarted.claim("k", LEASE).unwrap());
    assert!(t3 > t2, "{t3:?} after {t2:?}");
    assert!(t3.0 < 1 << 53, "tokens stay exact as JavaScript numbers");
}

#[cfg(feature = "redis")]
mod redis_store {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;
    use std::time::Instant;

    use super::support::RedisServer;
    use super::*;
    use hookverify::dedup::RedisStore;

    fn con(server: &RedisServer) -> redis::Connection {
        redis::Client::open(server.url()).unwrap().get_connection().unwrap()
    }

    fn used_memory(server: &RedisServer) -> i64 {
        let info = server.info("memory");
        info.lines().find_map(|l| l.strip_prefix("used_memory:")).unwrap().trim().parse().unwrap()
    }

    #[test]
    fn redis_key_bytes_are_bounded_for_15kb_ids() {
        // Before the fix: 5,000 deliveries with 15 KB ids → +157 MB, two 15 KB keys each.
        let server = RedisServer::start();
        let store = RedisStore::with_options(&server.url(), "hookverify:", Duration::from_secs(5)).unwrap();
        let before = used_memory(&server);
        let mut buf = String::new();
        let n = 5_000;
        for i in 0..n {
            let key = long_key(&mut buf, i);
            let t = claimed(store.claim(key, LEASE).unwrap());
            assert_eq!(store.complete(key, t, RETENTION).unwrap(), Completion::Recorded);
        }
        assert_eq!(store.claim(long_key(&mut buf, 42), LEASE).unwrap(), Claim::Done);
        let grown = used_memory(&server) - before;
        let mut c = con(&server);
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
        assert_eq!(keys.len(), n, "one key per delivery");
        let longest = keys.iter().map(Vec::len).max().unwrap();
        let usage: i64 = redis::cmd("MEMORY").arg("USAGE").arg(&keys[0]).query(&mut c).unwrap();
        eprintln!(
            "redis, {n} deliveries with 15 KB ids: used_memory +{} KB ({} bytes per delivery); longest key {longest} bytes; MEMORY USAGE {usage}",
            grown / 1024,
            grown / n as i64
        );
        assert!(longest <= "hookverify:".len() + 2 + 65, "key of {longest} bytes");
        assert!(usage < 256, "MEMORY USAGE {usage}");
        assert!(grown < (n as i64) * 512, "used_memory grew by {grown} bytes");
    }

    #[test]
    fn redis_fencing_tokens_increase_across_flushall_and_restart() {
        let mut server = RedisServer::start();
        let store = RedisStore::with_options(&server.url(), "hookverify:", Duration::from_secs(2)).unwrap();
        let key = "/hooks|github|d-1";
        let t1 = claimed(store.claim(key, LEASE).unwrap());
        assert!(store.release(key, t1).unwrap());
        let t2 = claimed(store.claim(key, LEASE).unwrap());
        assert!(t2 > t1, "released and claimed again at once: {t2:?} after {t1:?}");
        assert!(store.release(key, t2).unwrap());
        // Data loss: FLUSHALL. Before the fix the counter key was gone and the next token was 1.
        let _: () = redis::cmd("FLUSHALL").query(&mut con(&server)).unwrap();
        let t3 = claimed(store.claim(key, LEASE).unwrap());
        assert!(t3 > t2, "after FLUSHALL: {t3:?} after {t2:?}");
        // Data loss: a restart without persistence (the store's pooled connection dies with it).
        server.kill();
        server.restart();
        let t4 = claimed(store.claim(key, LEASE).unwrap());
        assert!(t4 > t3, "after a restart without persistence: {t4:?} after {t3:?}");
        assert_eq!(store.complete(key, t3, RETENTION).unwrap(), Completion::LeaseLost, "a stale token cannot complete");
        assert_eq!(store.complete(key, t4, RETENTION).unwrap(), Completion::Recorded);
        assert!(t4.0 < 1 << 53, "tokens stay exact as JavaScript numbers");
    }

    /// Blocks the server for `secs` seconds on its own connection; the handle returns once it answered.
    fn debug_sleep(server: &RedisServer, secs: u32) -> std::thread::JoinHandle<String> {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.write_all(format!("DEBUG SLEEP {secs}\r\n").as_bytes()).unwrap();
        let handle = std::thread::spawn(move || {
            let mut line = String::new();
            BufReader::new(s).read_line(&mut line).unwrap();
            line
        });
        std::thread::sleep(Duration::from_millis(200)); // the server is asleep by now
        handle
    }

    #[test]
    fn redis_stall_answers_within_the_timeout_and_leaves_no_phantom_claim() {
        let server = RedisServer::start_with(&["--enable-debug-command", "yes"]);
        let timeout = Duration::from_millis(1000);
        let store = RedisStore::with_options(&server.url(), "hookverify:", timeout).unwrap();
        claimed(store.claim("warm-up", LEASE).unwrap()); // a pooled connection, as in steady state
        let key = "/hooks|github|d-stalled";
        let sleeper = debug_sleep(&server, 3);
        let started = Instant::now();
        let err = store.claim(key, LEASE).unwrap_err();
        let waited = started.elapsed();
        assert_eq!(err.code(), ErrorCode::StoreUnavailable);
        // One deadline for the whole call: before the fix the timed-out claim was retried on a
        // fresh connection and took twice the timeout.
        assert!(waited < timeout + Duration::from_millis(600), "claim took {waited:?} with a {timeout:?} timeout");
        assert_eq!(sleeper.join().unwrap().trim(), "+OK");
        // The timed-out claim executed once the server woke up: it is in Redis now.
        let mut c = con(&server);
        let held: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*d-stalled*").query(&mut c).unwrap();
        assert_eq!(held.len(), 1, "the timed-out claim ran after the stall");
        // The sender's retry: before the fix it got in_progress (409) for the 60 s lease while
        // nobody ran the handler. Now the store knows that claim was its own failed attempt.
        let t = claimed(store.claim(key, LEASE).unwrap());
        assert_eq!(store.complete(key, t, RETENTION).unwrap(), Completion::Recorded);
        assert_eq!(store.claim(key, LEASE).unwrap(), Claim::Done);
    }

    /// A loopback proxy to `upstream` that, once armed, drops the next reply (closing that client
    /// connection) after the server executed the command: a reply lost on the way back.
    fn reply_dropping_proxy(upstream: u16) -> (u16, Arc<std::sync::atomic::AtomicBool>) {
        use std::sync::atomic::AtomicBool;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let armed = Arc::new(AtomicBool::new(false));
        let arm = armed.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut c_in, &mut s_out));
                let (mut s_in, mut c_out, armed) = (server, client, arm.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = match std::io::Read::read(&mut s_in, &mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if armed.swap(false, Ordering::SeqCst) {
                            c_out.shutdown(std::net::Shutdown::Both).ok();
                            s_in.shutdown(std::net::Shutdown::Both).ok();
                            break;
                        }
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (port, armed)
    }

    #[test]
    fn redis_claim_retried_after_a_lost_reply_recognises_its_own_claim() {
        // The claim executed, its reply was lost, the store retried on a fresh connection: before
        // the fix the retry saw the claim as someone else's and answered in_progress (409 for
        // the whole lease, while nobody ran the handler).
        let server = RedisServer::start();
        let (port, armed) = reply_dropping_proxy(server.port);
        let store = RedisStore::with_options(&format!("redis://127.0.0.1:{port}/0"), "hookverify:", Duration::from_secs(2)).unwrap();
        claimed(store.claim("warm-up", LEASE).unwrap()); // loads the script, pools the connection
        armed.store(true, Ordering::SeqCst);
        let key = "/hooks|github|d-lost-reply";
        let t = claimed(store.claim(key, LEASE).unwrap());
        assert!(!armed.load(Ordering::SeqCst), "the proxy dropped a reply");
        assert_eq!(store.complete(key, t, RETENTION).unwrap(), Completion::Recorded);
        assert_eq!(store.claim(key, LEASE).unwrap(), Claim::Done);
    }

    #[test]
    fn redis_stall_bounds_a_fresh_connection_by_the_timeout_too() {
        // A store without a pooled connection connects during the stall: before the fix the
        // client's setup (CLIENT SETINFO, two replies) waited the timeout per reply.
        let server = RedisServer::start_with(&["--enable-debug-command", "yes"]);
        let timeout = Duration::from_millis(1000);
        let store = RedisStore::with_options(&server.url(), "hookverify:", timeout).unwrap();
        let sleeper = debug_sleep(&server, 3);
        let started = Instant::now();
        let err = store.claim("/hooks|github|fresh", LEASE).unwrap_err();
        let waited = started.elapsed();
        assert_eq!(err.code(), ErrorCode::StoreUnavailable);
        assert!(waited < timeout + Duration::from_millis(600), "claim took {waited:?} with a {timeout:?} timeout");
        assert_eq!(sleeper.join().unwrap().trim(), "+OK");
        let t = claimed(store.claim("/hooks|github|fresh", LEASE).unwrap());
        assert_eq!(store.complete("/hooks|github|fresh", t, RETENTION).unwrap(), Completion::Recorded);
    }

    #[test]
    fn redis_stall_phantoms_on_other_keys_are_released_by_later_claims() {
        let server = RedisServer::start_with(&["--enable-debug-command", "yes"]);
        let store = RedisStore::with_options(&server.url(), "hookverify:", Duration::from_millis(500)).unwrap();
        claimed(store.claim("warm-up", LEASE).unwrap());
        let sleeper = debug_sleep(&server, 2);
        assert!(store.claim("/hooks|github|a", LEASE).is_err());
        assert_eq!(sleeper.join().unwrap().trim(), "+OK");
        // Another process sharing the Redis sees the phantom until this store claims anything.
        let other = RedisStore::with_options(&server.url(), "hookverify:", Duration::from_secs(2)).unwrap();
        assert!(matches!(other.claim("/hooks|github|a", LEASE).unwrap(), Claim::InProgress { .. }));
        claimed(store.claim("/hooks|github|b", LEASE).unwrap());
        assert_eq!(store.uncertain_claims(), 0);
        claimed(other.claim("/hooks|github|a", LEASE).unwrap());
    }
}
