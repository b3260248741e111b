//! `hookverify._native.Inbox` (issue 21, part 3): the durable inbox `hookverify serve` writes,
//! opened from a location, with the core's `hookverify::inbox` steps — list, show, and a replay
//! begun and finished around the Python handler (which `hookverify._inbox` runs). Every call may
//! block on the database, so each runs without the GIL. Results cross as JSON text (the core's
//! `record_json` / `job_json`, snake_case keys).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hookverify::inbox::{begin_replay, filter_from_json, finish_replay, job_json, record_json, Inbox as CoreInbox, Job};
use hookverify::{Error, InboxLocation};
use pyo3::prelude::*;

use crate::convert::{core, guard, maybe_detach};

/// Replay workers of this process, numbered (a lease owner is unique per process and inbox).
static NEXT_WORKER: AtomicU64 = AtomicU64::new(1);

/// Unix milliseconds now.
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn json_error(e: serde_json::Error) -> Error {
    Error::InternalError { reason: format!("inbox: {e}") }
}

/// An opened inbox (an SQLite file or a PostgreSQL database).
#[pyclass(frozen, module = "hookverify._native")]
pub struct Inbox {
    inner: Arc<dyn CoreInbox>,
    /// This inbox's replay lease owner.
    worker: String,
    /// Replays begun and not finished yet, by handle.
    replays: Mutex<HashMap<u64, Job>>,
    next: AtomicU64,
}

impl Inbox {
    fn open_at(py: Python<'_>, location: impl FnOnce() -> hookverify::Result<InboxLocation> + Send) -> PyResult<Inbox> {
        guard(py, || {
            let inner = core(py, maybe_detach(py, true, || location()?.open_existing()))?;
            let worker = format!("replay-python-{}-{}", std::process::id(), NEXT_WORKER.fetch_add(1, Ordering::Relaxed));
            Ok(Inbox { inner, worker, replays: Mutex::default(), next: AtomicU64::new(1) })
        })
    }

    fn replays(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Job>> {
        // Every update is one insert/remove: a poisoned map is still consistent.
        self.replays.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl Inbox {
    /// Opens `location` (a file path, relative to the working directory, or a `postgres://`
    /// URL), never creating an SQLite file (core `InboxLocation::open_existing`).
    #[staticmethod]
    fn open(py: Python<'_>, location: String) -> PyResult<Inbox> {
        Inbox::open_at(py, move || InboxLocation::parse(&location, std::path::Path::new(".")))
    }

    /// Opens the inbox the receiver config file at `path` names (`inbox = ...`, relative to the
    /// file: core `InboxLocation::of_config_file`), as `open` does.
    #[staticmethod]
    fn open_config(py: Python<'_>, path: String) -> PyResult<Inbox> {
        Inbox::open_at(py, move || InboxLocation::of_config_file(std::path::Path::new(&path)))
    }

    /// Recorded deliveries, newest first (`filter_json`: core `inbox::filter_from_json`), as JSON.
    fn list(&self, py: Python<'_>, filter_json: String) -> PyResult<String> {
        guard(py, || {
            core(
                py,
                maybe_detach(py, true, || {
                    let filter = filter_from_json(&filter_json)?;
                    serde_json::to_string(&self.inner.list(&filter)?).map_err(json_error)
                }),
            )
        })
    }

    /// One delivery by record id or event id, as JSON (core `inbox::record_json`), or `None`.
    fn show(&self, py: Python<'_>, id: String) -> PyResult<Option<String>> {
        guard(py, || core(py, maybe_detach(py, true, || Ok(self.inner.show(&id)?.map(|r| record_json(&r).to_string())))))
    }

    /// Core `inbox::begin_replay` of `id` with a lease of `lease_ms`: JSON `{"handle", "job"}`
    /// (`job`: core `inbox::job_json`); then `finish_replay(handle, ...)`.
    fn begin_replay(&self, py: Python<'_>, id: String, lease_ms: u64) -> PyResult<String> {
        guard(py, || {
            core(
                py,
                maybe_detach(py, true, || {
                    let lease = i64::try_from(lease_ms.max(1)).unwrap_or(i64::MAX);
                    let job = begin_replay(&*self.inner, &id, &self.worker, now_ms(), lease)?;
                    let handle = self.next.fetch_add(1, Ordering::Relaxed);
                    let out = serde_json::json!({ "handle": handle, "job": job_json(&job) }).to_string();
                    self.replays().insert(handle, job);
                    Ok(out)
                }),
            )
        })
    }

    /// Core `inbox::finish_replay` of replay `handle`: done (`error` None) or failed with
    /// `error`'s text. Whether it was recorded (`False`: the lease was lost meanwhile).
    #[pyo3(signature = (handle, error=None))]
    fn finish_replay(&self, py: Python<'_>, handle: u64, error: Option<String>) -> PyResult<bool> {
        guard(py, || {
            core(
                py,
                maybe_detach(py, true, || {
                    let job = self
                        .replays()
                        .remove(&handle)
                        .ok_or_else(|| Error::InvalidArgument { reason: "unknown or already finished replay".into() })?;
                    finish_replay(&*self.inner, &job, &self.worker, now_ms(), error.as_deref())
                }),
            )
        })
    }
}
