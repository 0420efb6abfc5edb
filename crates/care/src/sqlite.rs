//! Opening the console's SQLite files the one way they are all opened: parent directory
//! created, WAL, `synchronous=FULL` (a committed record survives a power cut), schema applied.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::{Error, Result};

/// One SQLite file of the console, shared by its callers one at a time.
pub struct Db(Mutex<Connection>);

impl Db {
    /// Opens (or creates) the database at `path` and applies `schema`; `what` names it in errors.
    pub fn open(path: &Path, what: &'static str, schema: &str) -> Result<Self> {
        open(path, what, schema).map(|connection| Self(Mutex::new(connection)))
    }

    /// The connection, for the few statements of one call.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite itself half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn open(path: &Path, what: &'static str, schema: &str) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::storage("create", dir, e))?;
    }
    let storage = |e: rusqlite::Error| Error::storage(what, path, std::io::Error::other(e));
    let connection = Connection::open(path).map_err(storage)?;
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .map_err(storage)?;
    connection.execute_batch(schema).map_err(storage)?;
    Ok(connection)
}
