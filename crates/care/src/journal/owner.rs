//! Which console recorded an intent, and whether it still runs. Several consoles may share one
//! journal (the desktop app and `c2p`, or two windows): an intent whose request may still be on
//! its way in a console that runs is that console's to finish, never another's to judge.
//!
//! An owner is `<pid>:<process start>:<console>`: the process start time tells a live process
//! from a later one that got the same pid, and the console number tells two consoles of one
//! process apart (each registers itself while it is open).

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

/// The consoles open in this process, by number.
static OPEN: Mutex<Option<HashSet<u64>>> = Mutex::new(None);

fn open_consoles() -> MutexGuard<'static, Option<HashSet<u64>>> {
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// This console, as the journal names it; registered as open until dropped.
#[derive(Debug)]
pub struct Owner {
    token: String,
    number: u64,
}

impl Owner {
    /// A new console of this process.
    pub(crate) fn new() -> Self {
        let mut bytes = [0u8; 8];
        // The number only tells consoles of one process apart: a failed draw still gives one.
        let _ = aws_lc_rs::rand::fill(&mut bytes);
        let number = u64::from_le_bytes(bytes) ^ u64::from(std::process::id());
        open_consoles().get_or_insert_default().insert(number);
        Self {
            token: format!("{}:{}:{number}", std::process::id(), this_process_start()),
            number,
        }
    }

    /// What the journal stores.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(open) = open_consoles().as_mut() {
            open.remove(&self.number);
        }
    }
}

/// Whether the console `token` names still runs. A token this code cannot read is taken as
/// gone, like an intent recorded before owners were (the tracker's settle time then applies).
pub fn is_alive(token: &str) -> bool {
    let mut parts = token.split(':');
    let (Some(pid), Some(start), Some(number), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(pid), Ok(number)) = (pid.parse::<u32>(), number.parse::<u64>()) else {
        return false;
    };
    if pid == std::process::id() && start == this_process_start() {
        return open_consoles()
            .as_ref()
            .is_some_and(|open| open.contains(&number));
    }
    process_runs(pid, start)
}

/// When this process started, as [`process_runs`] compares it.
fn this_process_start() -> String {
    process_start(std::process::id()).unwrap_or_default()
}

/// The start time of process `pid` in clock ticks since boot (Linux: field 22 of
/// `/proc/<pid>/stat`, read after the command name, which may hold spaces and parentheses).
#[cfg(target_os = "linux")]
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19).map(str::to_owned)
}

/// Elsewhere the pid alone names the process.
#[cfg(not(target_os = "linux"))]
fn process_start(_pid: u32) -> Option<String> {
    Some(String::new())
}

/// Whether process `pid`, started at `start`, runs.
#[cfg(target_os = "linux")]
fn process_runs(pid: u32, start: &str) -> bool {
    process_start(pid).is_some_and(|now| now == start)
}

/// Whether process `pid` runs (a signal 0 reaches it, or it exists under another user).
#[cfg(all(unix, not(target_os = "linux")))]
fn process_runs(pid: u32, _start: &str) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(error) => error == rustix::io::Errno::PERM,
    }
}

/// Windows: `OpenProcess` and `GetProcessTimes` are not called yet, so another console's
/// intents are judged by the settle time alone there.
#[cfg(windows)]
fn process_runs(_pid: u32, _start: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_console_is_alive_until_dropped_and_a_dead_process_is_not() {
        let console = Owner::new();
        let token = console.token().to_owned();
        assert!(is_alive(&token), "{token}");
        let other = Owner::new();
        assert_ne!(other.token(), token);
        drop(console);
        assert!(!is_alive(&token), "a closed console of this process");
        assert!(is_alive(other.token()));
        // A process that ended (the child below) and nonsense are gone.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        #[cfg(target_os = "linux")]
        assert!(!is_alive(&format!("{pid}:1:1")));
        for nonsense in ["", "x", "1:2", "a:b:c", "1:2:3:4"] {
            assert!(!is_alive(nonsense), "{nonsense}");
        }
        // The same pid with another start time is another process.
        #[cfg(target_os = "linux")]
        {
            let me = std::process::id();
            assert!(!is_alive(&format!("{me}:0:1")));
        }
    }
}
