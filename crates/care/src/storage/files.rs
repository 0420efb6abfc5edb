//! Files the console writes for people (reports, exports), each written whole or not at all:
//! through a temporary file beside it, synced, then renamed over the target.

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// Checks that `id` (a batch's or a profile audit's) can name a file in the exports folder:
/// 1 to 64 ASCII letters, digits, `-` or `_`, so it can never climb out of the folder or hide
/// itself (the ids the console makes begin `b-` or `pa-`, never a Windows device name).
pub(crate) fn file_stem(id: &str) -> Result<&str> {
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(id)
    } else {
        Err(Error::InvalidInput(
            "that is not a batch or audit id (they look like b-20261205T102030123Z-1a2b3c4d): nothing was written".into(),
        ))
    }
}

/// Writes `bytes` to `path` through a temporary file, so that `path` is whole or absent.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    write_whole_with(path, |out| {
        out.write_all(bytes)
            .map_err(|e| Error::storage("write", path, e))
    })
}

/// Streams `write`'s output to `path` through a temporary file beside it (a random name,
/// created exclusively, readable by the owner only), so that `path` is whole or absent whatever
/// happens half-way; returns what `write` returned.
pub(crate) fn write_whole_with<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let mut whole = WholeFile::create(path)?;
    let value = write(whole.out())?;
    whole.persist()?;
    Ok(value)
}

/// A file being written whole or not at all (see [`write_whole_with`]), for a writer that
/// awaits between its writes: dropped before [`WholeFile::persist`], nothing is left.
pub(crate) struct WholeFile<'a> {
    path: &'a Path,
    dir: &'a Path,
    out: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl<'a> WholeFile<'a> {
    /// Starts `path`'s temporary file beside it.
    pub(crate) fn create(path: &'a Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::storage("create", dir, e))?;
        // Dropped (and so removed) on any error or panic before it is persisted.
        let temp = tempfile::Builder::new()
            .prefix(".c2p-")
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(|e| Error::storage("create", dir, e))?;
        Ok(WholeFile {
            path,
            dir,
            out: std::io::BufWriter::new(temp),
        })
    }

    /// Where to write.
    pub(crate) fn out(&mut self) -> &mut (dyn Write + Send) {
        &mut self.out
    }

    /// Syncs the file and renames it over `path`.
    pub(crate) fn persist(self) -> Result<()> {
        let (path, dir) = (self.path, self.dir);
        let temp = self
            .out
            .into_inner()
            .map_err(|e| Error::storage("write", path, e.into_error()))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| Error::storage("write", path, e))?;
        temp.persist(path)
            .map_err(|e| Error::storage("write", path, e.error))?;
        #[cfg(unix)]
        if let Ok(dir) = std::fs::File::open(dir) {
            // The rename itself survives a power cut once the directory is synced.
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_id_names_a_file() {
        for good in ["b-20261205T102030123Z", "pa-20261205T102030Z", "x_1"] {
            assert_eq!(file_stem(good).unwrap(), good);
        }
        for bad in [
            "",
            "../b-1",
            "b-1/../../x",
            ".hidden",
            "b 1",
            "C:\\x",
            "b-1\u{0}",
            &"b".repeat(65),
        ] {
            let error = file_stem(bad).unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::InvalidInput, "{bad:?}");
        }
    }

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
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert!(left.is_empty(), "a temporary file was left: {left:?}");
        write_whole(&path, b"whole").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.csv"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by the owner only: {mode:o}");
        }
    }
}
