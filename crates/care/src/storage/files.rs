//! Files the console writes for people (reports, exports), each written whole or not at all:
//! through a temporary file beside it, synced, then renamed over the target.

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// Writes `bytes` to `path` through a temporary file, so that `path` is whole or absent.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    write_whole_with(path, |out| {
        out.write_all(bytes)
            .map_err(|e| Error::storage("write", path, e))
    })
}

/// Streams `write`'s output to `path` through a temporary file, so that `path` is whole or
/// absent whatever happens half-way; returns what `write` returned.
pub(crate) fn write_whole_with<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let temp = path.with_extension("partial");
    let result = (|| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::storage("create", dir, e))?;
        }
        let file = std::fs::File::create(&temp).map_err(|e| Error::storage("create", &temp, e))?;
        let mut out = std::io::BufWriter::new(file);
        let value = write(&mut out)?;
        let file = out
            .into_inner()
            .map_err(|e| Error::storage("write", &temp, e.into_error()))?;
        file.sync_all()
            .map_err(|e| Error::storage("write", &temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| Error::storage("write", path, e))?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_its_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/report.csv");
        let failed = write_whole_with(&path, |out| {
            out.write_all(b"half").unwrap();
            Err::<(), _>(Error::Internal("stopped".into()))
        });
        assert!(failed.is_err());
        assert!(!path.exists());
        assert!(!path.with_extension("partial").exists());
        write_whole(&path, b"whole").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
    }
}
