//! Threads of our own for store calls that may block (Redis), so they never hold the libuv
//! threadpool: Node's `fs`, `dns.lookup`, `crypto` and `zlib` share its four threads, and a
//! stalled Redis would otherwise park them for the store's timeout (an unrelated `fs.readFile`
//! waited seconds). Results go back to JS through a deferred promise.
//!
//! Bounded: [`THREADS`] threads (started on first use) and at most [`MAX_WAITING_BEGINS`] deliveries
//! waiting for one; beyond that `begin` answers 503 `store_unavailable` at once, without claiming.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

/// Threads running blocking store calls (each holds at most one Redis connection at a time).
pub(crate) const THREADS: usize = 8;

/// Deliveries that may wait for a store thread; more answer 503 at once.
pub(crate) const MAX_WAITING_BEGINS: usize = 1024;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

static POOL: OnceLock<Pool> = OnceLock::new();
static WAITING_BEGINS: AtomicUsize = AtomicUsize::new(0);

fn pool() -> &'static Pool {
    POOL.get_or_init(|| {
        for i in 0..THREADS {
            // A thread that cannot be spawned leaves fewer; with none, jobs wait (and begins are refused once the queue is full).
            let _ = std::thread::Builder::new().name(format!("hookverify-store-{i}")).spawn(work);
        }
        Pool { jobs: Mutex::new(VecDeque::new()), ready: Condvar::new() }
    })
}

fn work() {
    let pool = pool();
    loop {
        let job = {
            let mut jobs = pool.jobs.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                match jobs.pop_front() {
                    Some(job) => break job,
                    None => jobs = pool.ready.wait(jobs).unwrap_or_else(|p| p.into_inner()),
                }
            }
        };
        // Jobs catch their own panics; this keeps the thread alive whatever happens.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

/// A place among the [`MAX_WAITING_BEGINS`] deliveries that may wait for a store thread, or
/// `None` when they are all taken (answer 503 without claiming). Drop it when the job starts.
pub(crate) fn admit() -> Option<Waiting> {
    if WAITING_BEGINS.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING_BEGINS {
        WAITING_BEGINS.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    Some(Waiting(()))
}

/// A delivery's place in the wait for a store thread; freed on drop (also if its job panics).
pub(crate) struct Waiting(());

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING_BEGINS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `job` on a store thread. `finish` jobs are never refused: each belongs to a claim already
/// taken, so there are no more of them than deliveries admitted.
pub(crate) fn spawn(job: impl FnOnce() + Send + 'static) {
    let pool = pool();
    pool.jobs.lock().unwrap_or_else(|p| p.into_inner()).push_back(Box::new(job));
    pool.ready.notify_one();
}
