//! Reading a passphrase: from a terminal with its echo off, so that nobody reads it over the
//! operator's shoulder or in a screen share; from a pipe as it comes.

use std::io::{self, BufRead, IsTerminal};

use zeroize::Zeroizing;

#[cfg(all(test, unix))]
#[path = "../../tests/support/pty.rs"]
mod pty;

/// One line from stdin, without its line end. On a terminal `prompt` is shown on stderr and
/// what is typed is not (on Unix; elsewhere it shows as typed).
fn read(prompt: &str) -> io::Result<Zeroizing<String>> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        #[cfg(unix)]
        return hidden::read(
            std::os::fd::AsFd::as_fd(&stdin),
            prompt,
            &mut io::stderr(),
            &mut stdin.lock(),
        );
        #[cfg(not(unix))]
        {
            use std::io::Write;
            eprint!("{prompt}");
            let _ = io::stderr().flush();
        }
    }
    line(&mut stdin.lock())
}

/// [`read`], which Ctrl+C ends as well (on Unix): the terminal gets its echo back and `None`
/// comes back instead of a line. Ctrl+C is caught from here on, for the rest of the process.
pub(crate) async fn read_unless_interrupted(prompt: &str) -> io::Result<Option<Zeroizing<String>>> {
    #[cfg(unix)]
    {
        use rustix::termios::{OptionalActions, tcgetattr, tcsetattr};
        use tokio::signal::unix::{SignalKind, signal};
        // Caught before the echo goes off, so that no Ctrl+C can leave it off.
        let mut interrupt = signal(SignalKind::interrupt())?;
        let stdin = io::stdin();
        let shown = match stdin.is_terminal() {
            true => Some(tcgetattr(&stdin)?),
            false => None,
        };
        let (sender, line) = tokio::sync::oneshot::channel();
        let prompt = prompt.to_owned();
        // A thread of its own: a read still blocked on the terminal must not hold up the end of
        // the runtime (it would wait for a blocking task).
        std::thread::spawn(move || {
            let _ = sender.send(read(&prompt));
        });
        tokio::select! {
            line = line => line.map_err(io::Error::other)?.map(Some),
            _ = interrupt.recv() => {
                if let Some(shown) = &shown {
                    let _ = tcsetattr(&stdin, OptionalActions::Now, shown);
                }
                eprintln!();
                Ok(None)
            }
        }
    }
    #[cfg(not(unix))]
    read(prompt).map(Some)
}

fn line(input: &mut impl BufRead) -> io::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    input.read_line(&mut line)?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

#[cfg(unix)]
mod hidden {
    use std::io::{self, BufRead, Write};
    use std::os::fd::BorrowedFd;

    use rustix::termios::{LocalModes, OptionalActions, Termios, tcgetattr, tcsetattr};
    use zeroize::Zeroizing;

    /// Turns the echo of `tty` off (the Enter key still moves to the next line), discarding
    /// anything typed before, then shows `prompt` on `out` and reads a line from `input`. The
    /// terminal's settings are restored however the read ends.
    pub(super) fn read(
        tty: BorrowedFd<'_>,
        prompt: &str,
        out: &mut impl Write,
        input: &mut impl BufRead,
    ) -> io::Result<Zeroizing<String>> {
        let shown = tcgetattr(tty)?;
        let mut quiet = shown.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        quiet.local_modes.insert(LocalModes::ECHONL);
        tcsetattr(tty, OptionalActions::Flush, &quiet)?;
        let _restore = Restore { tty, shown };
        write!(out, "{prompt}")?;
        out.flush()?;
        super::line(input)
    }

    struct Restore<'a> {
        tty: BorrowedFd<'a>,
        shown: Termios,
    }

    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let _ = tcsetattr(self.tty, OptionalActions::Now, &self.shown);
        }
    }

    #[cfg(test)]
    mod tests {
        use std::fs::File;
        use std::io::{BufReader, Read, Write};
        use std::os::fd::AsFd;

        use rustix::termios::{LocalModes, tcgetattr};

        use crate::prompt::passphrase::pty;

        /// Reads `from` until what was read ends with `end`.
        fn read_until(from: &mut File, end: &str) -> String {
            let mut seen = Vec::new();
            let mut byte = [0u8; 1];
            while !String::from_utf8_lossy(&seen).ends_with(end) {
                from.read_exact(&mut byte).expect("the terminal is open");
                seen.push(byte[0]);
            }
            String::from_utf8(seen).unwrap()
        }

        #[test]
        fn a_passphrase_typed_on_a_terminal_is_read_but_not_shown() {
            let (mut screen, terminal) = pty::open();
            let mut same_terminal = terminal.try_clone().unwrap();
            let mut out = terminal.try_clone().unwrap();
            let mut input = BufReader::new(terminal.try_clone().unwrap());
            let reader = std::thread::spawn(move || {
                super::read(terminal.as_fd(), "Passphrase: ", &mut out, &mut input)
                    .map(|secret| secret.to_string())
            });
            // The prompt comes once the echo is off: what is typed from now on is not shown.
            read_until(&mut screen, "Passphrase: ");
            screen.write_all(b"pass word 1\n").unwrap();
            assert_eq!(reader.join().unwrap().unwrap(), "pass word 1");

            let modes = tcgetattr(&same_terminal).unwrap().local_modes;
            assert!(modes.contains(LocalModes::ECHO), "echo restored: {modes:?}");
            same_terminal.write_all(b"END\n").unwrap();
            let shown = read_until(&mut screen, "END\r\n");
            assert_eq!(
                shown, "\r\nEND\r\n",
                "only the Enter key's new line was shown"
            );
        }
    }
}
