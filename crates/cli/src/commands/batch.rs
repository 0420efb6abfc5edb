//! `c2p batch`: the fraud team's emergency opt-out of a list of cards and consumers, with a
//! progress bar on a terminal, and its resumption after a crash or a closed laptop.

use std::path::Path;

use care::batch::input::{ParsedList, TargetKind, parse};
use care::batch::{Progress, RunControl};
use care::console::Console;
use care::journal::BatchAction;
use tokio::sync::watch;

use super::{bar, skipped, until_done};
use crate::args::{BatchCommand, IdKind, RunArgs, TokenBatchAction};
use crate::exit::{self, Failure, Outcome, usage};
use crate::prompt::confirm;

pub async fn run(console: &Console, command: BatchCommand) -> Outcome {
    match command {
        BatchCommand::OptOut {
            file,
            reason,
            user_decision,
            ids,
            dry_run,
            run,
            yes,
        } => {
            let list = read_list(&file, ids)?;
            report_invalid(&list);
            let batch = console.batch_create(&list, user_decision, reason.as_deref())?;
            let cards = list
                .targets
                .iter()
                .filter(|t| t.kind == TargetKind::Card)
                .count();
            say!(
                "batch {}: {} entries ({cards} cards, {} consumers)",
                batch.id,
                list.targets.len(),
                list.targets.len() - cards
            );
            let to_send = read_dry_run(console, &batch.id, run.concurrency, dry_run).await?;
            if dry_run {
                say!(
                    "dry run: nothing was sent; send it with: c2p batch resume {}",
                    batch.id
                );
                return Ok(());
            }
            confirm(&format!("Opt out {to_send} entries of Click to Pay?"), yes)?;
            execute(console, &batch.id, run).await
        }
        BatchCommand::Tokens {
            file,
            action,
            merchant,
            reason_code,
            reason,
            dry_run,
            run,
            yes,
        } => {
            let list = read_list(&file, Some(IdKind::Card))?;
            report_invalid(&list);
            let action = match action {
                TokenBatchAction::Suspend => BatchAction::SuspendTokens,
                TokenBatchAction::Delete => BatchAction::DeleteTokens,
            };
            let batch = console.token_batch_create(
                &list,
                action,
                merchant.as_deref(),
                reason_code,
                reason.as_deref(),
            )?;
            say!("batch {}: {} cards", batch.id, list.targets.len());
            let to_send = read_dry_run(console, &batch.id, run.concurrency, dry_run).await?;
            if dry_run {
                say!(
                    "dry run: nothing was sent; send it with: c2p batch resume {}",
                    batch.id
                );
                return Ok(());
            }
            let verb = match action {
                BatchAction::DeleteTokens => "Delete",
                _ => "Suspend",
            };
            confirm(&format!("{verb} {to_send} tokens?"), yes)?;
            execute(console, &batch.id, run).await
        }
        BatchCommand::Resume { batch, run, yes } => {
            let batch = match batch {
                Some(id) => console
                    .batch(&id)?
                    .ok_or_else(|| usage(format!("no batch {id}: c2p batch list shows them")))?,
                None => console
                    .resumable_batch()?
                    .ok_or_else(|| usage("no batch to resume: every batch is done"))?,
            };
            if batch.dry_run_is_stale() {
                say!(
                    "the dry run of {} is more than 5 minutes old (or was never read): reading it again",
                    batch.id
                );
                let to_send = read_dry_run(console, &batch.id, run.concurrency, false).await?;
                confirm(&format!("Opt out {to_send} entries of Click to Pay?"), yes)?;
            }
            execute(console, &batch.id, run).await
        }
        BatchCommand::List { team: true } => {
            for batch in console.team_batches(50).await? {
                let counts: Vec<String> = batch
                    .counts
                    .iter()
                    .map(|(status, n)| format!("{n} {}", status.to_lowercase().replace('_', " ")))
                    .collect();
                say!(
                    "{}  {:<9}  made by {} on {}  {}{}  {}",
                    batch.id,
                    batch.state,
                    crate::render::inert(&batch.operator),
                    crate::render::inert(&batch.workstation),
                    match (&batch.runner_operator, &batch.runner_workstation) {
                        (Some(operator), Some(workstation)) => format!(
                            "run by {} on {}",
                            crate::render::inert(operator),
                            crate::render::inert(workstation)
                        ),
                        _ => "not run yet".to_owned(),
                    },
                    if batch.stalled {
                        " (STOPPED: take it over with c2p batch takeover ID)"
                    } else {
                        ""
                    },
                    counts.join(", ")
                );
            }
            Ok(())
        }
        BatchCommand::Takeover { batch, run } => takeover(console, &batch, run).await,
        BatchCommand::List { team: false } => {
            for summary in console.batches(50)? {
                let (batch, counts) = (summary.batch, summary.progress);
                say!(
                    "{}  {:<9}  {}  {} entries: {} successful, {} failed, {} unknown, {} pending, {} not sent, {} nothing to do, {} not found",
                    batch.id,
                    format!("{:?}", batch.state).to_uppercase(),
                    batch.environment,
                    counts.total,
                    counts.successful,
                    counts.failed,
                    counts.unknown,
                    counts.pending,
                    counts.not_sent,
                    counts.skipped,
                    counts.not_found
                );
            }
            Ok(())
        }
        BatchCommand::Discard { batch } => {
            console.batch_discard(&batch)?;
            say!("{batch} discarded: what it had not sent will not be sent");
            Ok(())
        }
        BatchCommand::Report { batch, out } => write_report(console, &batch, &out),
    }
}

fn read_list(file: &Path, ids: Option<IdKind>) -> Result<ParsedList, Failure> {
    let text = care::batch::input::read_list(file)?;
    Ok(parse(
        &text,
        ids.map(|kind| match kind {
            IdKind::Card => TargetKind::Card,
            IdKind::Consumer => TargetKind::Consumer,
        }),
    ))
}

/// Reads batch `id`'s dry run for what it has not sent, says what is not found, could not be
/// read or (with `show_removals`) leaves which directory, then the counts; returns how many
/// entries would be sent.
async fn read_dry_run(
    console: &Console,
    id: &str,
    concurrency: usize,
    show_removals: bool,
) -> Result<usize, Failure> {
    let unsent = console
        .batch_items(id)?
        .iter()
        .filter(|i| i.intent.is_none())
        .count();
    let bar = bar(unsent as u64, "reading profiles");
    let previews = console
        .batch_preview(id, concurrency, &|_| bar.inc(1))
        .await?;
    bar.finish_and_clear();
    let (mut nothing, mut not_found) = (0, 0);
    for preview in &previews {
        // A card as people know it (network and last 4), its cardId beside.
        let named = match &preview.name {
            Some(name) => format!("{} ({})", crate::render::inert(name), preview.target),
            None => preview.target.clone(),
        };
        if preview.nothing_to_do {
            nothing += 1;
        } else if preview.not_found {
            not_found += 1;
            say!(
                "  {}: not found, it will not be sent ({})",
                named,
                crate::render::inert(preview.error.as_deref().unwrap_or_default())
            );
        } else if let Some(error) = &preview.error {
            say!(
                "  {}: could not be read ({}); it will be sent",
                named,
                crate::render::inert(error)
            );
        } else if show_removals {
            for removal in &preview.removals {
                say!(
                    "  {}: {} leaves {}{}",
                    named,
                    if removal.unread {
                        "unknown (unreadable)".to_owned()
                    } else {
                        removal.cards.join(", ")
                    },
                    removal.scheme,
                    if removal.consumer_removed {
                        ", with the consumer's details"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    let tokens: usize = previews.iter().map(|p| p.tokens.len()).sum();
    if tokens > 0 {
        for preview in previews.iter().filter(|p| !p.tokens.is_empty()) {
            for token in &preview.tokens {
                say!("  {}: {}", preview.target, crate::render::inert(token));
            }
        }
        say!(
            "{tokens} tokens to write, {nothing} cards with none to act on, {not_found} not found"
        );
        return Ok(tokens);
    }
    let to_send = previews.len() - nothing - not_found;
    say!(
        "{to_send} to send, {nothing} with nothing to do (already out of every directory), {not_found} not found"
    );
    Ok(to_send)
}

fn report_invalid(list: &ParsedList) {
    skipped(&list.invalid);
    if list.duplicates > 0 {
        eprintln!("{} repeated entries merged", list.duplicates);
    }
}

/// Runs the batch with a progress bar; Ctrl+C pauses nothing half-way: writes on the way
/// finish, nothing new is sent, and `c2p batch resume` goes on.
async fn execute(console: &Console, id: &str, run: RunArgs) -> Outcome {
    let (control, receiver) = watch::channel(RunControl::Run);
    let total = console.batch_items(id)?.len() as u64;
    let doing = match console.batch(id)?.map(|b| b.action) {
        Some(BatchAction::SuspendTokens) => "suspending tokens",
        Some(BatchAction::DeleteTokens) => "deleting tokens",
        _ => "opting out",
    };
    let bar = bar(total, doing);
    let on_progress = |p: &Progress| show_progress(&bar, p);
    let last = until_done(
        console.batch_run(id, run.concurrency, receiver, &on_progress),
        control,
        "writes on the way finish, nothing new is sent",
    )
    .await?;
    bar.finish_and_clear();
    finished(console, id, &last, &run)
}

/// Takes over team batch `id` and runs it from here, with a progress bar.
async fn takeover(console: &Console, id: &str, run: RunArgs) -> Outcome {
    let (control, receiver) = watch::channel(RunControl::Run);
    let bar = bar(0, "taking over");
    let on_progress = |p: &Progress| {
        bar.set_length(u64::from(p.total));
        show_progress(&bar, p);
    };
    let last = until_done(
        console.batch_takeover(id, run.concurrency, receiver, &on_progress),
        control,
        "writes on the way finish, nothing new is sent",
    )
    .await?;
    bar.finish_and_clear();
    finished(console, id, &last, &run)
}

/// The progress bar's position and words for `p` (or why the run waits).
fn show_progress(bar: &indicatif::ProgressBar, p: &Progress) {
    bar.set_position(u64::from(p.total - p.not_sent));
    bar.set_message(match &p.waiting {
        Some(why) => why.clone(),
        None => format!(
            "{} ok, {} failed, {} unknown, {} pending · {:.0}/s · concurrency {}",
            p.successful, p.failed, p.unknown, p.pending, p.per_second, p.concurrency
        ),
    });
}

/// Says how batch `id` ended (`last`), writes its report when asked, and exits 4 while entries
/// are not final, 1 when some failed.
fn finished(console: &Console, id: &str, last: &Progress, run: &RunArgs) -> Outcome {
    say!(
        "batch {id}: {} successful, {} failed, {} unknown, {} pending, {} not sent, {} nothing to do, {} not found",
        last.successful,
        last.failed,
        last.unknown,
        last.pending,
        last.not_sent,
        last.skipped,
        last.not_found
    );
    if let Some(out) = &run.report {
        write_report(console, id, out)?;
    }
    if last.unknown + last.pending + last.not_sent > 0 {
        return Err(Failure::new(
            exit::UNKNOWN,
            format!("not every entry is final yet: c2p batch resume {id}"),
        ));
    }
    if last.failed > 0 {
        return Err(Failure::new(
            exit::FAILED,
            format!(
                "{} entries failed: see c2p batch report {id} --out FILE",
                last.failed
            ),
        ));
    }
    Ok(())
}

fn write_report(console: &Console, id: &str, out: &Path) -> Outcome {
    let count = console.batch_report(id, out)?;
    say!("report of {count} entries written to {}", out.display());
    Ok(())
}
