//! A journal or audit file found damaged at start is kept aside, never used and never silently
//! replaced by a new one: it is renamed `<name>.damaged-<UTC time>` (with its WAL), its SHA-256
//! is taken, and a marker beside it (`<name>.quarantined.json`) says so to every later start,
//! until an administrator's recovery starts a new file whose first record names the old one.
//! A file kept aside with no file in its place and no marker (the marker removed by hand) is
//! taken as still aside. The folder is the operator's own: this makes tampering visible and
//! needs an administrator to go on, but only a copy off the workstation can prove a trail whole.

use std::path::{Path, PathBuf};

use aws_lc_rs::digest::{Context, SHA256};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A file kept aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quarantine {
    /// Where the file was (and where a recovered one is made).
    pub original: PathBuf,
    /// Where it is now.
    pub kept_as: PathBuf,
    /// The SHA-256 of the file kept aside, so that an investigator can show it is the same.
    pub sha256: String,
    /// What SQLite's check said.
    pub check: String,
    /// When it was put aside (RFC 3339, UTC).
    pub at: String,
}

impl Quarantine {
    /// Why the console refuses to use it, and what to do.
    pub fn refusal(&self, what: &str) -> Error {
        Error::Damaged(format!(
            "the {what} was found damaged at start and kept aside as {} (SHA-256 {}); nothing is recorded or sent until an administrator runs `c2p recover`, then restart the console",
            self.kept_as.display(),
            self.sha256
        ))
    }
}

/// The marker that says `path` was put aside.
fn marker(path: &Path) -> PathBuf {
    path.with_extension("quarantined.json")
}

/// What was put aside of `path`, at an earlier start or now: `None` when the file is absent or
/// whole. A damaged file is moved aside here (see the module).
pub fn inspect(path: &Path) -> Result<Option<Quarantine>> {
    let marker = marker(path);
    match std::fs::read(&marker) {
        Ok(bytes) => {
            return serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::Damaged(format!(
                    "{} is not readable ({e}): an administrator must look at it",
                    marker.display()
                ))
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::storage("read", &marker, e)),
    }
    if !path.exists() {
        return aside_without_marker(path);
    }
    let Some(check) = damage(path)? else {
        return Ok(None);
    };
    set_aside(path, &check).map(Some)
}

/// The newest file kept aside of `path` when `path` is gone and its marker too: still aside,
/// with the marker written again.
fn aside_without_marker(path: &Path) -> Result<Option<Quarantine>> {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(None);
    };
    let prefix = format!("{}.damaged-", name.to_string_lossy());
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::storage("read", folder, e)),
    };
    let newest = entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|file| {
            file.starts_with(&prefix) && !file.ends_with("-wal") && !file.ends_with("-shm")
        })
        .max();
    let Some(newest) = newest else {
        return Ok(None);
    };
    let kept_as = folder.join(newest);
    let quarantine = Quarantine {
        original: path.to_owned(),
        sha256: sha256_of(&kept_as)?,
        kept_as,
        check: "its quarantine marker was removed".into(),
        at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    write_marker(&quarantine)?;
    tracing::error!(file = %path.display(), "a file kept aside lost its marker; it stays aside");
    Ok(Some(quarantine))
}

/// What is wrong with the SQLite file at `path`, or `None` when SQLite's quick check passes.
/// Opened read-only, so that checking changes nothing in it.
fn damage(path: &Path) -> Result<Option<String>> {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    use rusqlite::OpenFlags;
    let storage = |e: rusqlite::Error| Error::storage("check", path, std::io::Error::other(e));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let checked = rusqlite::Connection::open_with_flags(path, flags).and_then(|connection| {
        connection.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))
    });
    match checked {
        Ok(check) if check == "ok" => Ok(None),
        Ok(check) => Ok(Some(check)),
        Err(e) if matches!(e.sqlite_error_code(), Some(DatabaseCorrupt | NotADatabase)) => {
            Ok(Some(e.to_string()))
        }
        Err(e) => Err(storage(e)),
    }
}

/// Moves `path` (and its WAL and shared-memory files) aside and leaves the marker.
fn set_aside(path: &Path, check: &str) -> Result<Quarantine> {
    let now = Utc::now();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kept_as = path.with_file_name(format!("{name}.damaged-{}", now.format("%Y%m%dT%H%M%SZ")));
    std::fs::rename(path, &kept_as).map_err(|e| Error::storage("set aside", path, e))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let aside = PathBuf::from(format!("{}{suffix}", kept_as.display()));
            std::fs::rename(&side, &aside).map_err(|e| Error::storage("set aside", &side, e))?;
        }
    }
    let quarantine = Quarantine {
        original: path.to_owned(),
        sha256: sha256_of(&kept_as)?,
        kept_as,
        check: check.chars().take(500).collect(),
        at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    write_marker(&quarantine)?;
    tracing::error!(
        file = %path.display(),
        kept_as = %quarantine.kept_as.display(),
        sha256 = %quarantine.sha256,
        check = %quarantine.check,
        "a damaged file was kept aside; writes are refused until an administrator runs `c2p recover`"
    );
    Ok(quarantine)
}

fn write_marker(quarantine: &Quarantine) -> Result<()> {
    let json = serde_json::to_vec_pretty(quarantine)
        .map_err(|e| Error::Internal(format!("the quarantine marker: {e}")))?;
    super::files::write_whole(&marker(&quarantine.original), &json)
}

/// Ends the quarantine of the file at `path`: its marker goes; the file kept aside stays.
pub fn release(path: &Path) -> Result<()> {
    let marker = marker(path);
    match std::fs::remove_file(&marker) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::storage("remove", &marker, e))
        }
        _ => Ok(()),
    }
}

/// The SHA-256 of the file at `path`, in hex.
pub(crate) fn sha256_of(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::storage("read", path, e))?;
    let mut context = Context::new(&SHA256);
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|e| Error::storage("read", path, e))?;
        if read == 0 {
            break;
        }
        context.update(&buffer[..read]);
    }
    Ok(hex::encode(context.finish().as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_file_is_set_aside_with_its_hash_and_stays_aside_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sqlite");
        assert_eq!(inspect(&path).unwrap(), None, "absent");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (n INTEGER);")
            .unwrap();
        assert_eq!(inspect(&path).unwrap(), None, "whole");
        let garbage = b"this is not a database, whatever its name says".repeat(100);
        std::fs::write(&path, &garbage).unwrap();
        let kept = inspect(&path).unwrap().expect("set aside");
        assert!(!path.exists(), "nothing is left where it was");
        assert_eq!(std::fs::read(&kept.kept_as).unwrap(), garbage);
        assert_eq!(kept.sha256, sha256_of(&kept.kept_as).unwrap());
        assert_eq!(kept.sha256.len(), 64);
        // A later start finds the marker: still aside, even with a new file in its place.
        std::fs::write(&path, b"").unwrap();
        assert_eq!(inspect(&path).unwrap(), Some(kept.clone()));
        let refusal = kept.refusal("audit log").to_string();
        assert!(refusal.contains("c2p recover") && refusal.contains(&kept.sha256));
        // Its marker removed by hand, with nothing in its place: still aside.
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(marker(&path)).unwrap();
        let again = inspect(&path).unwrap().expect("still aside");
        assert_eq!(
            (&again.kept_as, &again.sha256),
            (&kept.kept_as, &kept.sha256)
        );
        release(&path).unwrap();
        std::fs::write(&path, b"").unwrap();
        assert_eq!(inspect(&path).unwrap(), None);
        assert!(kept.kept_as.exists(), "the damaged file is kept");
    }
}
