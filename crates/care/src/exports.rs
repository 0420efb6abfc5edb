//! Files the console writes for people (reports, exports): in `<data>/exports` unless told
//! otherwise, and each written whole or not at all.

use std::path::{Path, PathBuf};

use crate::console::Console;
use crate::{Error, Result};

impl Console {
    /// `<data>/exports`, where the desktop console writes reports and exports.
    pub fn exports_dir(&self) -> PathBuf {
        self.dirs().data.join("exports")
    }
}

/// Writes `bytes` to `path` through a temporary file, so that `path` is whole or absent.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = path.with_extension("partial");
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::storage("write", path, e)
    })
}
