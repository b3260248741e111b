// Placeholder on the `pginbox` branch only: the `durable` branch's SqliteInbox replaces it.
//! The contract's durable methods for [`SqliteInbox`](super::SqliteInbox) on a branch that does
//! not implement them: each answers `internal_error`. Expanded inside `impl Inbox for SqliteInbox`.

macro_rules! sqlite_durable_placeholder {
    () => {
        fn enqueue(&self, _: &super::Arrival<'_>, _: &str) -> Result<super::Enqueued> {
            Err(super::sqlite_durable_placeholder::error())
        }
        fn lease_due(&self, _: &str, _: i64, _: i64, _: u32) -> Result<Vec<super::Job>> {
            Err(super::sqlite_durable_placeholder::error())
        }
        fn lease_one(&self, _: i64, _: &str, _: i64, _: i64) -> Result<Option<super::Job>> {
            Err(super::sqlite_durable_placeholder::error())
        }
        fn renew_lease(&self, _: i64, _: &str, _: u32, _: i64) -> Result<bool> {
            Err(super::sqlite_durable_placeholder::error())
        }
        fn finish_attempt(&self, _: i64, _: &str, _: u32, _: i64, _: super::Outcome<'_>) -> Result<bool> {
            Err(super::sqlite_durable_placeholder::error())
        }
        fn requeue(&self, _: i64, _: i64) -> Result<bool> {
            Err(super::sqlite_durable_placeholder::error())
        }
    };
}

/// The error every placeholder method answers.
pub(super) fn error() -> crate::error::Error {
    crate::error::Error::InternalError { reason: "inbox: durable handling for SQLite is not on this branch".into() }
}
