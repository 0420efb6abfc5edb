//! Opening the console's SQLite files the one way they are all opened: parent directory
//! created, WAL, `synchronous=FULL` (a committed record survives a power cut), schema applied.

use std::path::Path;

use rusqlite::Connection;

use crate::{Error, Result};

/// Opens (or creates) the database at `path` and applies `schema`; `what` names it in errors.
pub fn open(path: &Path, what: &'static str, schema: &str) -> Result<Connection> {
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
