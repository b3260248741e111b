//! [`SqliteInbox`]: the inbox in one SQLite file (WAL, `synchronous=NORMAL`), through rusqlite
//! with its bundled library.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::{is_credential_header, Arrival, Attempt, Filter, Inbox, InboxOptions, Record, State, Summary, DEFAULT_LIST_LIMIT, REDACTED};
use crate::error::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at_ms INTEGER NOT NULL,
    provider TEXT,
    path TEXT NOT NULL,
    query TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    body_size INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    status INTEGER NOT NULL,
    event_id TEXT,
    event_type TEXT,
    state TEXT NOT NULL,
    kept_bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_received ON deliveries (received_at_ms);
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state, id);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id, id);
CREATE TABLE IF NOT EXISTS attempts (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    ok INTEGER,
    error TEXT,
    PRIMARY KEY (delivery_id, number)
);
";

/// The inbox in an SQLite file. Opening creates the file and its tables when missing.
pub struct SqliteInbox {
    conn: Mutex<Connection>,
    options: InboxOptions,
}

impl std::fmt::Debug for SqliteInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteInbox").field("options", &self.options).finish_non_exhaustive()
    }
}

/// A constraint the call broke (an attempt number recorded twice, a record that does not exist) is
/// `invalid_argument`, as in the PostgreSQL inbox; anything else (I/O, a locked or corrupt file)
/// is `inbox_unavailable`.
fn failed(what: &str, e: rusqlite::Error) -> Error {
    let reason = format!("inbox: {what}: {e}");
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => Error::InvalidArgument { reason },
        _ => Error::InboxUnavailable { reason },
    }
}

impl SqliteInbox {
    /// Opens (or creates) the inbox at `path` with the default [`InboxOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteInbox> {
        SqliteInbox::open_with(path, InboxOptions::default())
    }

    /// Opens (or creates) the inbox at `path` with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: InboxOptions) -> Result<SqliteInbox> {
        let conn = Connection::open(path).map_err(|e| failed("open", e))?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(|e| failed("busy_timeout", e))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|e| failed("pragma", e))?;
        conn.execute_batch(SCHEMA).map_err(|e| failed("schema", e))?;
        Ok(SqliteInbox { conn: Mutex::new(conn), options })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every write is one statement
        // or one transaction): keep using the connection.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<Summary> {
    let state: String = row.get("state")?;
    Ok(Summary {
        id: row.get("id")?,
        received_at_ms: row.get("received_at_ms")?,
        provider: row.get("provider")?,
        path: row.get("path")?,
        verdict: row.get("verdict")?,
        status: row.get("status")?,
        event_id: row.get("event_id")?,
        event_type: row.get("event_type")?,
        state: State::from_name(&state).unwrap_or(State::Pending),
        attempts: row.get("attempts")?,
    })
}

const SUMMARY_COLUMNS: &str = "id, received_at_ms, provider, path, verdict, status, event_id, event_type, state, \
     (SELECT COUNT(*) FROM attempts a WHERE a.delivery_id = deliveries.id) AS attempts";

impl Inbox for SqliteInbox {
    sqlite_durable_placeholder!();
    fn record(&self, a: &Arrival<'_>) -> Result<i64> {
        let headers: Vec<(&str, &str)> =
            a.headers.iter().map(|(k, v)| (k.as_str(), if is_credential_header(k) { REDACTED } else { v.as_str() })).collect();
        let headers = serde_json::to_string(&headers).map_err(|e| Error::InternalError { reason: format!("inbox headers: {e}") })?;
        let kept = if a.state == State::Rejected { &a.body[..a.body.len().min(self.options.rejected_body_bytes)] } else { a.body };
        let kept_bytes = (kept.len() + headers.len()) as i64;
        let conn = self.conn();
        conn.execute(
            "INSERT INTO deliveries (received_at_ms, provider, path, query, headers, body, body_size, verdict, status, event_id, \
             event_type, state, kept_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                a.received_at_ms,
                a.provider,
                a.path,
                a.query,
                headers,
                kept,
                a.body.len() as i64,
                a.verdict,
                a.status,
                a.event_id,
                a.event_type,
                a.state.as_str(),
                kept_bytes
            ],
        )
        .map_err(|e| failed("record", e))?;
        Ok(conn.last_insert_rowid())
    }

    fn attempt_started(&self, id: i64, number: u32, at_ms: i64) -> Result<()> {
        self.conn()
            .execute("INSERT INTO attempts (delivery_id, number, started_at_ms) VALUES (?1, ?2, ?3)", params![id, number, at_ms])
            .map_err(|e| failed("attempt_started", e))?;
        Ok(())
    }

    fn attempt_ended(&self, id: i64, number: u32, at_ms: i64, error: Option<&str>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| failed("attempt_ended", e))?;
        let changed = tx
            .execute(
                "UPDATE attempts SET ended_at_ms = ?3, ok = ?4, error = ?5 WHERE delivery_id = ?1 AND number = ?2",
                params![id, number, at_ms, error.is_none(), error],
            )
            .map_err(|e| failed("attempt_ended", e))?;
        if changed == 0 {
            return Err(Error::InvalidArgument { reason: format!("inbox: record {id} has no attempt {number} started") });
        }
        let state = if error.is_none() { State::Done } else { State::Failed };
        tx.execute("UPDATE deliveries SET state = ?2 WHERE id = ?1", params![id, state.as_str()])
            .map_err(|e| failed("attempt_ended", e))?;
        tx.commit().map_err(|e| failed("attempt_ended", e))
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Summary>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM deliveries WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR provider = ?2) \
                 ORDER BY id DESC LIMIT ?3"
            ))
            .map_err(|e| failed("list", e))?;
        let rows = stmt
            .query_map(params![filter.state.map(State::as_str), filter.provider, filter.limit.unwrap_or(DEFAULT_LIST_LIMIT)], summary)
            .map_err(|e| failed("list", e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| failed("list", e))
    }

    fn show(&self, id_or_event_id: &str) -> Result<Option<Record>> {
        let conn = self.conn();
        match resolve(&conn, id_or_event_id)? {
            Some(id) => load(&conn, id).map(Some),
            None => Ok(None),
        }
    }

    fn purge(&self, now_ms: i64) -> Result<u64> {
        let (cutoff, cap) = super::purge_limits(now_ms, &self.options);
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| failed("purge", e))?;
        let mut removed =
            tx.execute("DELETE FROM deliveries WHERE received_at_ms < ?1", params![cutoff]).map_err(|e| failed("purge", e))?;
        let total: i64 =
            tx.query_row("SELECT COALESCE(SUM(kept_bytes), 0) FROM deliveries", [], |r| r.get(0)).map_err(|e| failed("purge", e))?;
        if total > cap {
            // The oldest records, up to the one that brings the kept bytes under the cap.
            removed += tx
                .execute(
                    "DELETE FROM deliveries WHERE id IN (SELECT id FROM (SELECT id, kept_bytes, \
                     SUM(kept_bytes) OVER (ORDER BY id) AS upto FROM deliveries) WHERE upto - kept_bytes < ?1)",
                    params![total - cap],
                )
                .map_err(|e| failed("purge", e))?;
        }
        tx.commit().map_err(|e| failed("purge", e))?;
        Ok(removed as u64)
    }
}

/// The record id `key` names: itself when it is one, else the newest accepted record with that
/// event id, else the newest record with it.
fn resolve(conn: &Connection, key: &str) -> Result<Option<i64>> {
    if let Ok(id) = key.parse::<i64>() {
        let found = conn
            .query_row("SELECT id FROM deliveries WHERE id = ?1", params![id], |r| r.get(0))
            .optional()
            .map_err(|e| failed("show", e))?;
        if found.is_some() {
            return Ok(found);
        }
    }
    // The accepted delivery of an event before its duplicates and refusals.
    conn.query_row(
        "SELECT id FROM deliveries WHERE event_id = ?1 ORDER BY verdict = 'accepted' DESC, id DESC LIMIT 1",
        params![key],
        |r| r.get(0),
    )
        .optional()
        .map_err(|e| failed("show", e))
}

/// The full record `id` (which exists).
fn load(conn: &Connection, id: i64) -> Result<Record> {
    let sql = format!("SELECT {SUMMARY_COLUMNS}, query, headers, body, body_size FROM deliveries WHERE id = ?1");
    let (summary, query, headers, body, body_size) = conn
        .query_row(&sql, params![id], |row| {
            Ok((
                summary(row)?,
                row.get::<_, Option<String>>("query")?,
                row.get::<_, String>("headers")?,
                row.get::<_, Vec<u8>>("body")?,
                row.get::<_, i64>("body_size")?,
            ))
        })
        .map_err(|e| failed("show", e))?;
    let headers = super::stored_headers(&headers)?;
    Ok(Record {
        body_truncated: (body.len() as i64) < body_size,
        body_size: body_size as u64,
        attempts: attempts(conn, summary.id)?,
        summary,
        query,
        headers,
        body,
    })
}

fn attempts(conn: &Connection, id: i64) -> Result<Vec<Attempt>> {
    let mut stmt = conn
        .prepare_cached("SELECT number, started_at_ms, ended_at_ms, ok, error FROM attempts WHERE delivery_id = ?1 ORDER BY number")
        .map_err(|e| failed("show", e))?;
    let rows = stmt
        .query_map(params![id], |r| {
            Ok(Attempt {
                number: r.get(0)?,
                started_at_ms: r.get(1)?,
                ended_at_ms: r.get(2)?,
                ok: r.get::<_, Option<bool>>(3)?,
                error: r.get(4)?,
            })
        })
        .map_err(|e| failed("show", e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| failed("show", e))
}
