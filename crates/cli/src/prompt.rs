//! Asking the operator: a confirmation before a write, a passphrase with the echo off.

use std::io::{BufRead, IsTerminal, Write};

use crate::exit::{Outcome, usage};

pub(crate) mod passphrase;

/// Asks the operator to type `yes` to `prompt`, unless `yes` was given; off a terminal `--yes`
/// is required.
pub(crate) fn confirm(prompt: &str, yes: bool) -> Outcome {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage("not on a terminal: add --yes to confirm this write"));
    }
    eprint!("{prompt} Type yes to continue: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| usage(format!("cannot read the answer: {e}")))?;
    match answer.trim() {
        "yes" => Ok(()),
        _ => Err(usage("not confirmed; nothing was sent")),
    }
}
