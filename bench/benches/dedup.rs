//! Dedup store throughput: MemoryStore claim+complete pairs per second on one
//! core, and RedisStore events per second on loopback (one process, N
//! connections in parallel) with round trips per event read from Redis's own
//! command statistics. Prints a markdown table; starts and stops its own
//! redis-server (skipped with a note when redis-server is not installed).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hookverify::dedup::{Claim, RedisStore, Store};
use hookverify::MemoryStore;

fn seconds() -> f64 {
    std::env::var("HOOKVERIFY_BENCH_MEASURE").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0)
}

/// Claim + complete of fresh keys for `secs`; returns pairs per second.
// `u64::is_multiple_of` needs Rust 1.87; the workspace's rust-version is 1.80 (this crate doesn't declare it, so clippy can't tell).
#[allow(clippy::manual_is_multiple_of)]
fn memory_pairs_per_sec(secs: f64) -> f64 {
    let store = MemoryStore::new(1 << 20);
    let keys: Vec<String> = (0..1 << 20).map(|i| format!("endpoint|provider|evt_{i:08}")).collect();
    let lease = Duration::from_secs(60);
    let retention = Duration::from_secs(4 * 24 * 3600);
    // Warm up (fills the map to steady state).
    for k in keys.iter().take(1 << 16) {
        if let Ok(Claim::Acquired(t)) = store.claim(k, lease) {
            store.complete(k, t, retention).unwrap();
        }
    }
    let mut n = 0u64;
    let start = Instant::now();
    for k in keys.iter().skip(1 << 16) {
        if let Claim::Acquired(t) = store.claim(k, lease).unwrap() {
            store.complete(k, t, retention).unwrap();
        }
        n += 1;
        if n % 4096 == 0 && start.elapsed().as_secs_f64() > secs {
            break;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn redis_info(port: u16, section: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(format!("INFO {section}\r\n").as_bytes()).unwrap();
    let mut r = BufReader::new(s);
    let mut head = String::new();
    r.read_line(&mut head).unwrap();
    let len: usize = head.trim_start_matches('$').trim().parse().unwrap();
    let mut body = vec![0; len + 2];
    r.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

fn script_calls(port: u16) -> u64 {
    let stats = redis_info(port, "commandstats");
    ["cmdstat_evalsha:", "cmdstat_eval:"]
        .iter()
        .filter_map(|p| stats.lines().find_map(|l| l.strip_prefix(p)))
        .map(|rest| rest.split(',').find_map(|kv| kv.strip_prefix("calls=")).unwrap().parse::<u64>().unwrap())
        .sum()
}

/// Events (claim + complete) per second over `conns` parallel connections, and round trips per event.
fn redis_events_per_sec(port: u16, conns: usize, secs: f64) -> (f64, f64) {
    let store =
        RedisStore::with_options(&format!("redis://127.0.0.1:{port}/0"), &format!("bench{conns}:"), Duration::from_secs(2)).unwrap();
    let lease = Duration::from_secs(60);
    let retention = Duration::from_secs(3600);
    let counter = AtomicU64::new(0);
    store.claim("warm", lease).unwrap();
    let before = script_calls(port);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..conns {
            s.spawn(|| {
                while start.elapsed().as_secs_f64() < secs {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    let key = format!("evt_{i}");
                    if let Claim::Acquired(t) = store.claim(&key, lease).unwrap() {
                        store.complete(&key, t, retention).unwrap();
                    }
                }
            });
        }
    });
    let events = counter.load(Ordering::Relaxed) as f64;
    let trips = (script_calls(port) - before) as f64 / events;
    (events / start.elapsed().as_secs_f64(), trips)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo test/bench discovery
    }
    let secs = seconds();
    println!("| store | figure | value |");
    println!("|---|---|---|");
    let pairs = memory_pairs_per_sec(secs);
    println!("| MemoryStore | claim+complete pairs/s, one thread (goal ≥ 1,000,000) | {:.0} |", pairs);
    println!("| MemoryStore | operations/s (claim and complete counted separately) | {:.0} |", pairs * 2.0);

    if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
        println!("| RedisStore | skipped | redis-server not installed |");
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    for conns in [1, 4, 16] {
        let (eps, trips) = redis_events_per_sec(port, conns, secs);
        println!("| RedisStore | events/s, {conns} connection(s) in one process | {eps:.0} |");
        if conns == 1 {
            println!("| RedisStore | round trips per event, happy path (goal ≤ 2) | {trips:.2} |");
        }
    }
    child.kill().ok();
    child.wait().ok();
}
