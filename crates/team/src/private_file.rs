//! A service's secret from a file (systemd credentials): a service has no keychain, and a
//! secret on the command line or in the environment is visible to other processes. The file
//! must belong to the account running the service and be readable by nobody else.

use std::path::Path;

use zeroize::Zeroizing;

use crate::{Error, Result};

/// The largest secret file read (a PEM key with its chain is a few KiB).
const MOST: u64 = 256 * 1024;

/// The text of `path` (`what` names it in errors), refused unless only this account may read it.
pub fn read_private(path: &Path, what: &str) -> Result<Zeroizing<String>> {
    use rustix::fs::{Mode, OFlags};
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let refused = |why: String| Error::InvalidInput(format!("{what} {}: {why}", path.display()));
    // Opened once, without following a link; what is checked is the file that is read.
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .map_err(|e| refused(std::io::Error::from(e).to_string()))?;
    let file = std::fs::File::from(fd);
    let metadata = file.metadata().map_err(|e| refused(e.to_string()))?;
    if !metadata.is_file() || metadata.len() > MOST {
        return Err(refused("not a small regular file".into()));
    }
    let me = rustix::process::geteuid().as_raw();
    if metadata.uid() != me {
        return Err(refused(format!(
            "belongs to uid {}, not to this account (uid {me}): give this account a copy of its own, readable by it alone (install -m 600)",
            metadata.uid()
        )));
    }
    if metadata.mode() & 0o077 != 0 {
        return Err(refused(format!(
            "others may read it (mode {:o}): make it readable by this account alone (chmod 600)",
            metadata.mode() & 0o777
        )));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MOST)
        .read_to_end(&mut bytes)
        .map_err(|e| refused(e.to_string()))?;
    std::str::from_utf8(&bytes)
        .map(|text| Zeroizing::new(text.to_owned()))
        .map_err(|_| refused("not text".into()))
}

/// The first line of `path`: a password.
pub fn read_password(path: &Path, what: &str) -> Result<Zeroizing<String>> {
    let text = read_private(path, what)?;
    match text.lines().next() {
        Some(line) if !line.is_empty() => Ok(Zeroizing::new(line.to_owned())),
        _ => Err(Error::InvalidInput(format!(
            "{what} {} holds no password on its first line",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_secret_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\nrest").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = read_password(&path, "the feed's password file").unwrap_err();
        assert!(refused.to_string().contains("chmod 600"), "{refused}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(*read_password(&path, "x").unwrap(), "s3cret");
    }
}
