//! Opening the console's SQLite files the one way they are all opened: parent directory
//! created, WAL, `synchronous=FULL` (a committed record survives a power cut), schema applied,
//! then the migrations the file has not had yet (counted in `PRAGMA user_version`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::{Error, Result};

/// One SQLite file of the console, shared by its callers one at a time.
pub struct Db(Mutex<Connection>);

impl Db {
    /// Opens (or creates) the database at `path`, applies `schema` (idempotent) and then each of
    /// `migrations` the file has not had, in order, each in one transaction; `what` names it in
    /// errors. Migrations are only ever appended to, never edited.
    pub fn open(
        path: &Path,
        what: &'static str,
        schema: &str,
        migrations: &[&str],
    ) -> Result<Self> {
        open(path, what, schema, migrations).map(|connection| Self(Mutex::new(connection)))
    }

    /// The connection, for the few statements of one call.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite itself half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn open(path: &Path, what: &'static str, schema: &str, migrations: &[&str]) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::storage("create", dir, e))?;
    }
    let storage = |e: rusqlite::Error| Error::storage(what, path, std::io::Error::other(e));
    let mut connection = Connection::open(path).map_err(storage)?;
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .map_err(storage)?;
    connection.execute_batch(schema).map_err(storage)?;
    // Each migration re-reads the version inside its write transaction, so two processes
    // opening the same file at once apply it once.
    for (index, migration) in migrations.iter().enumerate() {
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(storage)?;
        let done: i64 = transaction
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(storage)?;
        if done <= index as i64 {
            transaction.execute_batch(migration).map_err(storage)?;
            transaction
                .execute_batch(&format!("PRAGMA user_version = {}", index + 1))
                .map_err(storage)?;
        }
        transaction.commit().map_err(storage)?;
    }
    Ok(connection)
}
