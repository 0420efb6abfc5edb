//! A pseudo-terminal for tests that type at `c2p` as an operator would (shared by the unit test
//! of the hidden passphrase and the session tests, through `#[path]`).

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

/// A new pseudo-terminal: its screen side (what is shown, where keys are typed) and its terminal
/// side (a program's stdin, stdout and stderr). Neither becomes this process's controlling
/// terminal.
pub fn open() -> (File, File) {
    let screen = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&screen).unwrap();
    unlockpt(&screen).unwrap();
    let name = ptsname(&screen, Vec::new()).unwrap();
    let terminal = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(name.to_str().unwrap())
        .unwrap();
    (File::from(screen), terminal)
}
