//! A fresh directory for one test's SQLite inbox file, removed when dropped (included with
//! `#[path]` by the inbox tests, like `inbox_contract.rs`).
#![allow(dead_code)]

use hookverify::inbox::SqliteInbox;

/// `<temp>/hookverify-<suite>-<name>-<pid>`, emptied on creation and removed on drop.
pub struct InboxDir(pub std::path::PathBuf);

impl InboxDir {
    /// The directory of test `name` in `suite`.
    pub fn new(suite: &str, name: &str) -> InboxDir {
        let dir = std::env::temp_dir().join(format!("hookverify-{suite}-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        InboxDir(dir)
    }

    /// The inbox file's path.
    pub fn file(&self) -> std::path::PathBuf {
        self.0.join("inbox.db")
    }

    /// The inbox at [`file`](InboxDir::file), opened (created when missing).
    pub fn open(&self) -> SqliteInbox {
        SqliteInbox::open(self.file()).unwrap()
    }
}

impl Drop for InboxDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
