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
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::storage("create", dir, e))?;
    }
    let storage = |e: rusqlite::Error| Error::storage(what, path, std::io::Error::other(e));
    let mut connection = Connection::open(path).map_err(storage)?;
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .map_err(storage)?;
    // A damaged file is refused, never silently used or replaced by a new one.
    let check: String = connection
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(storage)?;
    if check != "ok" {
        return Err(Error::storage(
            what,
            path,
            std::io::Error::other(format!(
                "the file is damaged ({check}); it was left as it is for an administrator to recover, and nothing was written"
            )),
        ));
    }
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(storage)?;
    if version > migrations.len() as i64 {
        return Err(Error::Damaged(format!(
            "{} was written by a newer version of the console (format {version}, this one knows {}): update this console; nothing was changed",
            path.display(),
            migrations.len()
        )));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_file_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sqlite");
        let schema = "CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, text TEXT NOT NULL);";
        {
            let db = Db::open(&path, "open the test file", schema, &[]).unwrap();
            let connection = db.lock();
            for n in 0..2000 {
                connection
                    .execute(
                        "INSERT INTO t (text) VALUES (?1)",
                        [format!("row {n} {}", "x".repeat(64))],
                    )
                    .unwrap();
            }
            connection
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        // Scribble over the middle of the table's pages (not the header, so SQLite opens it).
        let middle = bytes.len() / 2;
        bytes[middle..middle + 4096].fill(0xA5);
        std::fs::write(&path, &bytes).unwrap();
        let error = Db::open(&path, "open the test file", schema, &[])
            .err()
            .unwrap();
        assert_eq!(error.code(), crate::ErrorCode::Storage);
        assert!(error.to_string().contains("damaged"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "left as it was");
    }
}
