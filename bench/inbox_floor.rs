//! The floor under the SQLite inbox's throughput: the least any SQLite inbox writes per delivery,
//! measured on this machine and file system, to set beside bench/e2e/inbox.py's rows.
//!
//! `inbox-floor OUT.json [--quick]`: a fresh WAL file (`synchronous=NORMAL`, as the inbox) in the
//! temp dir per case; 1 KiB bodies and the headers serve stores for the bench's deliveries; one
//! transaction per group of G rows (G = 1, 4, 8, 32: the group commit's sizes), the statement
//! prepared once. Two tables: the delivery row alone (INTEGER PRIMARY KEY, nothing indexed), and
//! the row with a unique dedup key (keys in increasing order, as the bench's ids are: the cheap
//! case). Two more show the floor of a different layout (the design change proposed for issue
//! 21): the headers and body appended to a segment file beside the database with one write per
//! group, SQLite keeping a small index row (offset and length, with or without the dedup key).
//! Each case runs 5 times; its medians are reported. CPU time per row from /proc/self/schedstat
//! (this process has one thread), so an fsync's wait at a checkpoint is not counted; WAL bytes
//! from /proc/self/io.

use rusqlite::{params, Connection};
use std::time::Instant;

fn cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn written() -> u64 {
    let s = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix("wchar: ")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

#[derive(serde::Serialize)]
struct Case {
    table: &'static str,
    group: usize,
    cpu_us_per_row: f64,
    wall_us_per_row: f64,
    bytes_per_row: u64,
}

type Failed = Box<dyn std::error::Error>;

fn run(dir: &std::path::Path, table: &'static str, keyed: bool, segment: bool, group: usize, rows: usize) -> Result<Case, Failed> {
    use std::io::Write;
    let file = dir.join(format!("floor-{table}-{group}.db").replace(' ', "-"));
    for suffix in ["", "-wal", "-shm", "-segment"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let mut conn = Connection::open(&file)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
    conn.execute_batch(if segment {
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, received_at_ms INTEGER NOT NULL, at INTEGER NOT NULL, \
         len INTEGER NOT NULL, dedup_key TEXT);"
    } else {
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, received_at_ms INTEGER NOT NULL, headers TEXT NOT NULL, \
         body BLOB NOT NULL, dedup_key TEXT);"
    })?;
    let mut log = match segment {
        true => Some(std::fs::OpenOptions::new().create(true).append(true).open(format!("{}-segment", file.display()))?),
        false => None,
    };
    let (mut at, mut synced, mut pending) = (0_u64, 0_u64, Vec::<u8>::new());
    if keyed {
        conn.execute_batch("CREATE UNIQUE INDEX deliveries_dedup_key ON deliveries (dedup_key);")?;
    }
    let body = vec![b'x'; 1024];
    let headers = format!(
        "[[\"webhook-timestamp\",\"1796311180\"],[\"webhook-signature\",\"v1,{}\"],{}]",
        "A".repeat(44),
        "[\"h\",\"v\"],".repeat(14).trim_end_matches(',')
    );
    let (cpu0, wall0, bytes0) = (cpu_ns(), Instant::now(), written());
    let mut n = 0;
    while n < rows {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(if segment {
                "INSERT INTO deliveries (received_at_ms, at, len, dedup_key) VALUES (?1, ?2, ?3, ?4)"
            } else {
                "INSERT INTO deliveries (received_at_ms, headers, body, dedup_key) VALUES (?1, ?2, ?3, ?4)"
            })?;
            for _ in 0..group {
                let key = keyed.then(|| format!("|standard|msg_1796311180_{n:08}"));
                let received = 1_796_311_180_000_i64 + n as i64;
                if segment {
                    // The segment holds the headers and body; the row, where they are.
                    let len = headers.len() + body.len();
                    pending.extend_from_slice(headers.as_bytes());
                    pending.extend_from_slice(&body);
                    insert.execute(params![received, at as i64, len as i64, key])?;
                    at += len as u64;
                } else {
                    insert.execute(params![received, headers, body, key])?;
                }
                n += 1;
            }
        }
        // The segment's write goes first: a committed row never points past what was written.
        if let Some(log) = log.as_mut() {
            log.write_all(&pending)?;
            pending.clear();
            // As durable as the WAL: synced as often as a checkpoint syncs SQLite's (every
            // 1,000 pages), so that its write-back is counted here as SQLite's is.
            if at - synced >= 4_096_000 {
                log.sync_data()?;
                synced = at;
            }
        }
        tx.commit()?;
    }
    let case = Case {
        table,
        group,
        cpu_us_per_row: (cpu_ns() - cpu0) as f64 / 1e3 / n as f64,
        wall_us_per_row: wall0.elapsed().as_secs_f64() * 1e6 / n as f64,
        bytes_per_row: (written() - bytes0) / n as u64,
    };
    drop(conn);
    for suffix in ["", "-wal", "-shm", "-segment"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    Ok(case)
}

/// Runs of each case; its figures are their medians.
const REPEATS: usize = 5;

fn main() -> Result<(), Failed> {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).ok_or("usage: inbox-floor OUT.json [--quick]")?;
    let rows = if args.iter().any(|a| a == "--quick") { 10_000 } else { 50_000 };
    let dir = std::env::temp_dir().join(format!("hookverify-inbox-floor-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    const CASES: [(&str, bool, bool); 4] = [
        ("row only", false, false),
        ("row + unique dedup key", true, false),
        ("segment + index row", false, true),
        ("segment + row + key", true, true),
    ];
    const GROUPS: [usize; 4] = [1, 4, 8, 32];
    // Every case REPEATS times, the passes one after another (so that a noisy moment touches one
    // run of several cases, not every run of one); each figure is the median of its runs.
    let mut runs: Vec<Vec<Case>> = Vec::new();
    for pass in 0..REPEATS {
        let mut k = 0;
        for (table, keyed, segment) in CASES {
            for group in GROUPS {
                let c = run(&dir, table, keyed, segment, group, rows)?;
                if pass == 0 {
                    runs.push(Vec::new());
                }
                runs[k].push(c);
                k += 1;
            }
        }
    }
    let median = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let mut cases = Vec::new();
    for mut r in runs {
        let cpu = median(&mut r.iter().map(|c| c.cpu_us_per_row).collect());
        let wall = median(&mut r.iter().map(|c| c.wall_us_per_row).collect());
        let bytes = median(&mut r.iter().map(|c| c.bytes_per_row as f64).collect()) as u64;
        let mut c = r.swap_remove(0);
        (c.cpu_us_per_row, c.wall_us_per_row, c.bytes_per_row) = (cpu, wall, bytes);
        eprintln!(
            "  {:24} group {:3}: {:6.1} us CPU/row ({:6.1} wall), {:6} B written/row (medians of {REPEATS})",
            c.table, c.group, c.cpu_us_per_row, c.wall_us_per_row, c.bytes_per_row
        );
        cases.push(c);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let round = |x: f64| (x * 100.0).round() / 100.0;
    for c in &mut cases {
        (c.cpu_us_per_row, c.wall_us_per_row) = (round(c.cpu_us_per_row), round(c.wall_us_per_row));
    }
    let report = serde_json::json!({ "harness": "inbox-floor", "rows": rows, "repeats": REPEATS, "cases": cases });
    std::fs::write(out, serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(())
}
