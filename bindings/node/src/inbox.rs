//! The inbox for JS (issue 21, part 3): `RawInbox.open(location)` and its `list` / `show` /
//! `beginReplay` / `finishReplay`, the core's `hookverify::inbox` steps. Every call may block
//! (an SQLite file, a PostgreSQL server), so each runs on the binding's own store threads
//! (`store_threads.rs`) and answers through a promise: never the event loop, never the libuv
//! threadpool. The promise's value is a JSON envelope, `{"value": …}` or `{"error": {"code",
//! "message", "detailsJson"}}`, which JS turns into the value or a `HookverifyError`. Every key is
//! camelCase (`case::camel_case_keys`); the handler itself stays in JS (`packages/npm/lib/api.js`).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use hookverify::inbox::{begin_replay, filter_from_json, finish_replay, job_json, record_json, Inbox, Job};
use hookverify::{Error as CoreError, InboxLocation};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::{panic_error, store_threads};

/// Replay workers of this process, numbered (a lease owner is unique per process and inbox).
static NEXT_WORKER: AtomicU64 = AtomicU64::new(1);

/// The `{"value": …}` / `{"error": …}` envelope of a result, keys camelCase.
fn envelope(result: std::thread::Result<hookverify::Result<serde_json::Value>>) -> String {
    let result = result.unwrap_or_else(|payload| Err(panic_error(payload)));
    match result {
        Ok(value) => hookverify::case::camel_case_keys(&serde_json::json!({ "value": value }).to_string()),
        Err(e) => serde_json::json!({
            "error": { "code": e.code().as_str(), "message": e.to_string(), "detailsJson": e.details_json_camel_case() }
        })
        .to_string(),
    }
}

/// Runs `job` on a store thread; the promise resolves with its envelope.
fn on_store_thread<'env>(
    env: &'env Env,
    job: impl FnOnce() -> hookverify::Result<serde_json::Value> + Send + 'static,
) -> Result<Object<'env>> {
    let (deferred, promise) = env.create_deferred::<String, Box<dyn FnOnce(Env) -> Result<String> + Send>>()?;
    store_threads::spawn(move || {
        let answer = envelope(catch_unwind(AssertUnwindSafe(job)));
        deferred.resolve(Box::new(move |_env| Ok(answer)));
    });
    Ok(promise)
}

/// An opened inbox, shared with the store-thread jobs.
struct Shared {
    inbox: Arc<dyn Inbox>,
    /// This inbox's replay lease owner.
    worker: String,
    /// Replays begun and not finished yet, by handle.
    replays: Mutex<HashMap<u64, Job>>,
    next: AtomicU64,
}

impl Shared {
    fn replays(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Job>> {
        // Every update is one insert/remove: a poisoned map is still consistent.
        self.replays.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An inbox (an SQLite file or a PostgreSQL database): `open` it, then call the rest.
#[napi]
pub struct RawInbox {
    slot: Arc<OnceLock<Arc<Shared>>>,
}

/// Unix milliseconds now.
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl RawInbox {
    /// The opened inbox, for a job (`invalid_argument` before `open` resolved).
    fn opened(&self) -> impl FnOnce() -> hookverify::Result<Arc<Shared>> + Send + 'static {
        let slot = self.slot.clone();
        move || slot.get().cloned().ok_or_else(|| CoreError::InvalidArgument { reason: "the inbox is not open yet".into() })
    }
}

#[napi]
impl RawInbox {
    /// An inbox not opened yet.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        RawInbox { slot: Arc::default() }
    }

    /// Opens `location` (a file path, relative to `baseDir`, or a `postgres://` URL), never
    /// creating an SQLite file (core `InboxLocation::open_existing`). Value: `null`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn open<'env>(&self, env: &'env Env, location: String, base_dir: String) -> Result<Object<'env>> {
        self.open_at(env, move || InboxLocation::parse(&location, std::path::Path::new(&base_dir)))
    }

    /// Opens the inbox the receiver config file at `path` names (`inbox = ...`, relative to the
    /// file: core `InboxLocation::of_config_file`), as `open` does. Value: `null`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn open_config<'env>(&self, env: &'env Env, path: String) -> Result<Object<'env>> {
        self.open_at(env, move || InboxLocation::of_config_file(std::path::Path::new(&path)))
    }

    fn open_at<'env>(
        &self,
        env: &'env Env,
        location: impl FnOnce() -> hookverify::Result<InboxLocation> + Send + 'static,
    ) -> Result<Object<'env>> {
        let slot = self.slot.clone();
        on_store_thread(env, move || {
            let inbox = location()?.open_existing()?;
            let worker = format!("replay-node-{}-{}", std::process::id(), NEXT_WORKER.fetch_add(1, Ordering::Relaxed));
            let shared = Shared { inbox, worker, replays: Mutex::default(), next: AtomicU64::new(1) };
            slot.set(Arc::new(shared)).map_err(|_| CoreError::InvalidArgument { reason: "the inbox is already open".into() })?;
            Ok(serde_json::Value::Null)
        })
    }

    /// Recorded deliveries, newest first (`filterJson`: core `inbox::filter_from_json`). Value:
    /// the summaries.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn list<'env>(&self, env: &'env Env, filter_json: String) -> Result<Object<'env>> {
        let opened = self.opened();
        on_store_thread(env, move || {
            let filter = filter_from_json(&filter_json)?;
            let rows = opened()?.inbox.list(&filter)?;
            serde_json::to_value(rows).map_err(|e| CoreError::InternalError { reason: format!("inbox list: {e}") })
        })
    }

    /// One delivery by record id or event id. Value: core `inbox::record_json`, or `null`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn show<'env>(&self, env: &'env Env, id: String) -> Result<Object<'env>> {
        let opened = self.opened();
        on_store_thread(env, move || Ok(opened()?.inbox.show(&id)?.as_ref().map_or(serde_json::Value::Null, record_json)))
    }

    /// Core `inbox::begin_replay` of `id` (record id or event id) with a lease of `leaseMs`.
    /// Value: `{handle, job}` (`job`: core `inbox::job_json`); then `finishReplay(handle, …)`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn begin_replay<'env>(&self, env: &'env Env, id: String, lease_ms: f64) -> Result<Object<'env>> {
        let opened = self.opened();
        on_store_thread(env, move || {
            let shared = opened()?;
            let lease = if lease_ms.is_finite() && lease_ms >= 1.0 { lease_ms.min(i64::MAX as f64) as i64 } else { 1 };
            let job = begin_replay(&*shared.inbox, &id, &shared.worker, now_ms(), lease)?;
            let handle = shared.next.fetch_add(1, Ordering::Relaxed);
            let value = serde_json::json!({ "handle": handle, "job": job_json(&job) });
            shared.replays().insert(handle, job);
            Ok(value)
        })
    }

    /// Core `inbox::finish_replay` of the replay `handle`: done (`error` null) or failed with
    /// `error`'s text. Value: whether it was recorded (`false`: the lease was lost meanwhile).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn finish_replay<'env>(&self, env: &'env Env, handle: f64, error: Option<String>) -> Result<Object<'env>> {
        let opened = self.opened();
        on_store_thread(env, move || {
            let shared = opened()?;
            let job = shared
                .replays()
                .remove(&(handle as u64))
                .ok_or_else(|| CoreError::InvalidArgument { reason: "unknown or already finished replay".into() })?;
            Ok(finish_replay(&*shared.inbox, &job, &shared.worker, now_ms(), error.as_deref())?.into())
        })
    }
}
