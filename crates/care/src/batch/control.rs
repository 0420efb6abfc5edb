//! Controlling a long run (a batch opt-out, a profile audit): how many at a time, and the
//! operator's pause, resume and cancel.

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// Concurrency when none is asked for.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most concurrent writes a batch may use.
pub const MAX_CONCURRENCY: usize = 32;
/// What the operator wants the run to do; changed while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum RunControl {
    /// Send.
    Run,
    /// Send nothing more until told to run again (writes on the way finish).
    Pause,
    /// Send nothing more; the batch ends as cancelled (writes on the way finish).
    Cancel,
}

/// `Ok` when `concurrency` is one a run may use (1 to [`MAX_CONCURRENCY`]).
pub fn check_concurrency(concurrency: usize) -> crate::Result<()> {
    if (1..=MAX_CONCURRENCY).contains(&concurrency) {
        Ok(())
    } else {
        Err(crate::Error::InvalidInput(format!(
            "concurrency {concurrency}: use 1 to {MAX_CONCURRENCY}"
        )))
    }
}

/// Waits while the run is paused; false once it is cancelled.
pub async fn wait_while_paused(control: &mut watch::Receiver<RunControl>) -> bool {
    loop {
        match *control.borrow_and_update() {
            RunControl::Run => return true,
            RunControl::Cancel => return false,
            RunControl::Pause => {}
        }
        if control.changed().await.is_err() {
            // The controller is gone: nobody can resume it, so keep going.
            return true;
        }
    }
}
