//! Keeping what the console writes to itself: files it creates are the operator's alone
//! (umask 077: directories 0700, files 0600), wider modes left by older versions are narrowed at
//! start, and the process (and those it starts, such as the web view's) never writes a core dump
//! that could hold key material or tokens; on Linux no other process of the same user may read
//! its memory either. Both faces call [`harden`] before anything else.

use std::path::Path;

use super::AppDirs;
use crate::{Error, Result};

/// Makes this process's files private and its memory undumpable, then narrows the modes of
/// everything already under `dirs`.
pub fn harden(dirs: &AppDirs) -> Result<()> {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        use rustix::process::{Resource, Rlimit, setrlimit, umask};
        umask(Mode::from_raw_mode(0o077));
        setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        )
        .map_err(|e| Error::Internal(format!("cannot turn core dumps off: {e}")))?;
    }
    // Nor may another process of the same user read this one's memory (ptrace, /proc/PID/mem).
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| Error::Internal(format!("cannot make the process undumpable: {e}")))?;
    for dir in [&dirs.config, &dirs.data, &dirs.logs] {
        narrow(dir)?;
    }
    Ok(())
}

/// Narrows `path` and everything under it to the owner: directories 0700, files 0600. Links
/// are left alone; a path that does not exist yet is fine.
pub fn narrow(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = match std::fs::symlink_metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::storage("read", path, e)),
        };
        let owner_only = if metadata.is_dir() {
            0o700
        } else if metadata.is_file() {
            0o600
        } else {
            return Ok(());
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & !owner_only != 0
            && let Err(error) =
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & owner_only))
        {
            // A file another account owns (root, after an administrator's copy) is reported,
            // not a reason to refuse to start.
            tracing::warn!(path = %path.display(), %error, "could not make a file the operator's alone");
        }
        if metadata.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| Error::storage("read", path, e))?;
            for entry in entries {
                narrow(&entry.map_err(|e| Error::storage("read", path, e))?.path())?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path; // Windows: the profile's folders are the account's own (ACLs), nothing to narrow.
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn wider_modes_are_narrowed_and_new_files_are_private_and_no_core_is_dumped() {
        let root = tempfile::tempdir().unwrap();
        let dirs = AppDirs {
            config: root.path().join("config"),
            data: root.path().join("data"),
            logs: root.path().join("data/logs"),
        };
        std::fs::create_dir_all(&dirs.logs).unwrap();
        std::fs::create_dir_all(&dirs.config).unwrap();
        let audit = dirs.data.join("audit.sqlite");
        std::fs::write(&audit, "x").unwrap();
        for (path, wide) in [(&dirs.data, 0o755), (&dirs.logs, 0o777), (&audit, 0o644)] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(wide)).unwrap();
        }
        harden(&dirs).unwrap();
        assert_eq!(
            (mode(&dirs.data), mode(&dirs.logs), mode(&audit)),
            (0o700, 0o700, 0o600)
        );
        let later = dirs.data.join("exports");
        std::fs::create_dir(&later).unwrap();
        std::fs::write(later.join("report.csv"), "x").unwrap();
        assert_eq!(mode(&later), 0o700);
        assert_eq!(mode(&later.join("report.csv")), 0o600);
        let core = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!((core.current, core.maximum), (Some(0), Some(0)));
        #[cfg(target_os = "linux")]
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
    }
}
