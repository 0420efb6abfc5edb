//! Reading the administrators' policy file so that what is read is what was checked. On Unix the
//! file is opened once, without following a link, and its owner and mode are taken from that
//! open file, not from its name a second time; its folder must be the administrators' and closed
//! to others (also when the file is missing: else anyone could delete it to fall back to the
//! default), and every folder above it must be one that no other user can rename things in. On
//! Windows the file and its folder are checked by name (owner and access list).

use std::path::Path;

use crate::{Error, Result};

/// The most a policy file may hold.
const MAX_BYTES: u64 = 1024 * 1024;

/// What was found at the administrators' file's place.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum SystemFile {
    /// No file: the administrators set no policy.
    Absent,
    /// A file that cannot be trusted, and why.
    Untrusted(String),
    /// The file's text, read from the file whose owner and mode were checked.
    Trusted(String),
}

/// Reads the administrators' file at `path`, which must belong to `owner` (Unix: a uid).
#[cfg(unix)]
pub(super) fn read(path: &Path, owner: u32) -> Result<SystemFile> {
    use rustix::fs::{Mode, OFlags};
    use rustix::io::Errno;

    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => {
            let folder = path.parent().unwrap_or(Path::new("/"));
            let verdict = match folder.exists() {
                true => folders_closed_to_others(path, owner),
                // No folder either: whoever could make it must not be just anyone.
                false => above_closed_to_others(folder, owner),
            };
            return Ok(match verdict {
                Ok(()) => SystemFile::Absent,
                Err(why) => SystemFile::Untrusted(why),
            });
        }
        Err(Errno::LOOP) => return Ok(SystemFile::Untrusted("the file is a link".into())),
        Err(e) => return Err(Error::storage("read the policy", path, e.into())),
    };
    let stat =
        rustix::fs::fstat(&fd).map_err(|e| Error::storage("read the policy", path, e.into()))?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
        return Ok(SystemFile::Untrusted("it is not a plain file".into()));
    }
    if let Err(why) = closed_to_others("the file", stat.st_uid, stat.st_mode, owner) {
        return Ok(SystemFile::Untrusted(why));
    }
    if let Err(why) = folders_closed_to_others(path, owner) {
        return Ok(SystemFile::Untrusted(why));
    }
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::from(fd)
        .take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::storage("read the policy", path, e))?;
    if text.len() as u64 > MAX_BYTES {
        return Ok(SystemFile::Untrusted("it is larger than 1 MiB".into()));
    }
    Ok(SystemFile::Trusted(text))
}

/// `Err` with why, unless a file or folder (`what`) with `uid` and `mode` belongs to `owner`
/// and no one else may write it.
#[cfg(unix)]
fn closed_to_others(
    what: &str,
    uid: u32,
    mode: u32,
    owner: u32,
) -> std::result::Result<(), String> {
    if uid != owner {
        return Err(format!("{what} belongs to uid {uid}, not {owner}"));
    }
    if mode & 0o022 != 0 {
        return Err(format!("{what} may be written by others"));
    }
    Ok(())
}

/// The file's folder must be `owner`'s and closed to others; each folder above it must belong
/// to root or `owner` and either be closed to others or sticky (as `/tmp` is: there no one
/// renames what is not theirs).
#[cfg(unix)]
fn folders_closed_to_others(path: &Path, owner: u32) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let folder = path.parent().unwrap_or(Path::new("/"));
    let metadata = std::fs::symlink_metadata(folder).map_err(|e| format!("its folder: {e}"))?;
    if !metadata.is_dir() {
        return Err("its folder is a link".into());
    }
    closed_to_others("its folder", metadata.uid(), metadata.mode(), owner)?;
    above_closed_to_others(folder, owner)
}

/// Each existing folder above `folder` belongs to root or `owner` and is closed to others or
/// sticky.
#[cfg(unix)]
fn above_closed_to_others(folder: &Path, owner: u32) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    for above in folder.ancestors().skip(1) {
        let metadata = match std::fs::symlink_metadata(above) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", above.display())),
        };
        let sticky = metadata.mode() & 0o1000 != 0;
        if !metadata.is_dir()
            || (metadata.uid() != 0 && metadata.uid() != owner)
            || (metadata.mode() & 0o022 != 0 && !sticky)
        {
            return Err(format!(
                "the folder {} above it may be changed by others",
                above.display()
            ));
        }
    }
    Ok(())
}

/// Windows: the file and its folder must be owned by Administrators or SYSTEM, and only they
/// may write, delete or add to them, read through `GetNamedSecurityInfoW`.
#[cfg(windows)]
pub(super) fn read(path: &Path, _owner: u32) -> Result<SystemFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A folder others may change could have lost the file on purpose.
            let folder = path.parent().unwrap_or(path);
            if folder.exists()
                && let Err(why) = windows::administrators_only(folder)
            {
                return Ok(SystemFile::Untrusted(why));
            }
            return Ok(SystemFile::Absent);
        }
        Err(e) => return Err(Error::storage("read the policy", path, e)),
    };
    for at in [path, path.parent().unwrap_or(path)] {
        if let Err(why) = windows::administrators_only(at) {
            return Ok(SystemFile::Untrusted(why));
        }
    }
    Ok(SystemFile::Trusted(text))
}

/// Elsewhere, no file is trusted until its ownership check is written.
#[cfg(not(any(unix, windows)))]
pub(super) fn read(path: &Path, _owner: u32) -> Result<SystemFile> {
    Ok(match path.exists() {
        true => SystemFile::Untrusted("this system's file ownership is not checked".into()),
        false => SystemFile::Absent,
    })
}

/// The Windows owner and access check (not built on this project's Linux machines).
#[cfg(windows)]
mod windows {
    use std::os::windows::ffi::OsStrExt;
    use std::path::Path;

    use windows_sys::Win32::Foundation::{ERROR_SUCCESS, LocalFree};
    use windows_sys::Win32::Security::Authorization::{GetNamedSecurityInfoW, SE_FILE_OBJECT};
    use windows_sys::Win32::Security::{
        ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, DACL_SECURITY_INFORMATION, GetAce, IsWellKnownSid,
        OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, WinBuiltinAdministratorsSid,
        WinLocalSystemSid,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        DELETE, FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY, FILE_APPEND_DATA, FILE_DELETE_CHILD,
        FILE_WRITE_DATA, WRITE_DAC, WRITE_OWNER,
    };
    use windows_sys::Win32::System::SystemServices::ACCESS_ALLOWED_ACE_TYPE;

    const GENERIC_WRITE: u32 = 0x4000_0000;
    const INHERIT_ONLY_ACE: u32 = 0x08;
    const GENERIC_ALL: u32 = 0x1000_0000;
    /// Rights that change the file or folder, or what it holds.
    const WRITES: u32 = FILE_WRITE_DATA
        | FILE_APPEND_DATA
        | FILE_ADD_FILE
        | FILE_ADD_SUBDIRECTORY
        | FILE_DELETE_CHILD
        | WRITE_DAC
        | WRITE_OWNER
        | DELETE
        | GENERIC_WRITE
        | GENERIC_ALL;

    fn administrator(sid: PSID) -> bool {
        // SAFETY: `sid` points into a security descriptor that is alive for this call.
        unsafe {
            IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != 0
                || IsWellKnownSid(sid, WinLocalSystemSid) != 0
        }
    }

    /// `Err` with why unless `path` is owned by Administrators or SYSTEM and no one else is
    /// allowed to write it.
    pub(super) fn administrators_only(path: &Path) -> Result<(), String> {
        let wide: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
        let mut owner: PSID = std::ptr::null_mut();
        let mut dacl: *mut ACL = std::ptr::null_mut();
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: documented call; the out-pointers are written by it and the descriptor is
        // freed with LocalFree below.
        let status = unsafe {
            GetNamedSecurityInfoW(
                wide.as_ptr(),
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                &mut owner,
                std::ptr::null_mut(),
                &mut dacl,
                std::ptr::null_mut(),
                &mut descriptor,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(format!(
                "its security information cannot be read (error {status})"
            ));
        }
        let verdict = (|| {
            if !administrator(owner) {
                return Err(format!(
                    "{} is not owned by Administrators or SYSTEM",
                    path.display()
                ));
            }
            if dacl.is_null() {
                return Err(format!(
                    "{} may be written by everyone (no access list)",
                    path.display()
                ));
            }
            // SAFETY: `dacl` is a valid ACL inside `descriptor`.
            let count = unsafe { (*dacl).AceCount };
            for index in 0..u32::from(count) {
                let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
                // SAFETY: `index` is below the ACL's count.
                if unsafe { GetAce(dacl, index, &mut ace) } == 0 {
                    return Err("its access list cannot be read".into());
                }
                // SAFETY: every ACE starts with an ACE_HEADER.
                let header = unsafe { &*(ace as *const ACE_HEADER) };
                // An inherit-only entry is for what is created inside, not for this object.
                if u32::from(header.AceType) != ACCESS_ALLOWED_ACE_TYPE
                    || u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0
                {
                    continue;
                }
                // SAFETY: an ACCESS_ALLOWED_ACE, by its type.
                let allowed = unsafe { &*(ace as *const ACCESS_ALLOWED_ACE) };
                let sid = std::ptr::addr_of!(allowed.SidStart) as PSID;
                if allowed.Mask & WRITES != 0 && !administrator(sid) {
                    return Err(format!("{} may be written by others", path.display()));
                }
            }
            Ok(())
        })();
        // SAFETY: allocated by GetNamedSecurityInfoW.
        unsafe { LocalFree(descriptor as _) };
        verdict
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::policy::tests::write;

    fn me() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    #[test]
    fn a_link_or_a_folder_above_that_others_may_change_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let path = root.join("etc/policy.json");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(read(&path, me()).unwrap(), SystemFile::Absent);
        write(&path, r#"{"role":"fraud"}"#);
        assert_eq!(
            read(&path, me()).unwrap(),
            SystemFile::Trusted(r#"{"role":"fraud"}"#.into())
        );
        // A folder above it that anyone may write (and not sticky): anyone could swap `etc`.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let SystemFile::Untrusted(why) = read(&path, me()).unwrap() else {
            panic!("trusted under a folder open to all");
        };
        assert!(why.contains("above it"), "{why}");
        // Sticky, as /tmp is: no one renames what is not theirs there.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(matches!(read(&path, me()).unwrap(), SystemFile::Trusted(_)));
        // A link in the file's place, even to a good file, is not followed.
        let real = root.join("etc/real.json");
        std::fs::rename(&path, &real).unwrap();
        std::os::unix::fs::symlink(&real, &path).unwrap();
        assert_eq!(
            read(&path, me()).unwrap(),
            SystemFile::Untrusted("the file is a link".into())
        );
        // No file, in a folder anyone may write: anyone could have deleted it.
        std::fs::remove_file(&path).unwrap();
        let etc = root.join("etc");
        std::fs::set_permissions(&etc, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            read(&path, me()).unwrap(),
            SystemFile::Untrusted(_)
        ));
        std::fs::set_permissions(&etc, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(read(&path, me()).unwrap(), SystemFile::Absent);
    }
}
