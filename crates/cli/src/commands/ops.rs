//! `c2p ops`: the operations started from this workstation, following unfinished ones first.

use std::time::Duration;

use care::console::Console;
use care::journal::Entry;

use crate::exit::Outcome;
use crate::render;

/// Follows unfinished operations for up to `watch` seconds, then lists the last `limit` (only
/// the unfinished ones with `pending`).
pub async fn run(console: &Console, pending: bool, watch: Option<u64>, limit: i64) -> Outcome {
    let open = console
        .track_until_settled(Duration::from_secs(watch.unwrap_or(0)), render::change)
        .await?;
    let entries: Vec<Entry> = console
        .operations(None, limit)?
        .into_iter()
        .filter(|e| !pending || !e.state.is_final())
        .collect();
    render::operations(&entries);
    if open > 0 {
        say!("{open} operation(s) not finished yet: run `c2p ops --watch 60` to follow them");
    }
    Ok(())
}

/// The team's last `limit` operations in the environment in use (only the unfinished ones with
/// `pending`), with who made each one and where.
pub async fn team(console: &Console, pending: bool, limit: i64) -> Outcome {
    let writes: Vec<_> = console
        .team_operations(None, limit)
        .await?
        .into_iter()
        .filter(|w| !pending || w.finished_at.is_none())
        .collect();
    render::team_operations(&writes);
    Ok(())
}
