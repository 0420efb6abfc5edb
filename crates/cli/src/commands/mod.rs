//! The commands' bodies, one file a noun, and what the long-running ones share: a progress bar,
//! Ctrl+C to stop, and the list lines they skipped.

pub(crate) mod audit;
pub(crate) mod audit_profiles;
pub(crate) mod batch;
pub(crate) mod consumer;
pub(crate) mod env;
pub(crate) mod ops;
pub(crate) mod team;
pub(crate) mod write;

use std::io::IsTerminal;
use std::time::Duration;

use care::batch::RunControl;
use care::batch::input::InvalidLine;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

/// A progress bar on a terminal; hidden otherwise (scripts read the summary lines).
fn bar(total: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total).with_prefix(what.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs `work` to its end; the first Ctrl+C tells the operator what stopping does and cancels
/// the run through `control`, so that `work` winds down.
async fn until_done<T>(
    work: impl Future<Output = T>,
    control: watch::Sender<RunControl>,
    stopping: &str,
) -> T {
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\nstopping: {stopping}");
        let _ = control.send(RunControl::Cancel);
        std::future::pending::<()>().await;
    };
    tokio::select! {
        done = work => done,
        () = stop => unreachable!("stop never ends"),
    }
}

/// The lines of a list that were skipped, and why.
fn skipped(lines: &[InvalidLine]) {
    for line in lines {
        eprintln!(
            "line {}: {} — skipped: {}",
            line.line,
            crate::render::inert(&line.text),
            crate::render::inert(&line.why)
        );
    }
}
