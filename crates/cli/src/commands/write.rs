//! `c2p opt-out`, `c2p enrol`, `c2p update` and `c2p token`: one write to D1 each, confirmed,
//! then followed until it ends.

use std::time::Duration;

use care::console::Console;
use care::journal::State;
use care::writes::{WriteKind, WriteRequest};

use crate::args::{OptOutCommand, TokenCommand, TokenWriteArgs, UpdateTarget, WriteArgs};
use crate::exit::{self, Failure, Outcome};
use crate::prompt::confirm;
use crate::render;

/// Opts a card, or a consumer and all their cards (after showing what leaves), out.
pub async fn opt_out(console: &Console, command: OptOutCommand) -> Outcome {
    match command {
        OptOutCommand::Card { card_id, write } => {
            let prompt = format!("Opt card {card_id} out of Click to Pay?");
            do_write(console, WriteKind::OptOutCard, card_id, write, &prompt).await
        }
        OptOutCommand::Consumer { consumer_id, write } => {
            let removals = console.opt_out_preview(&consumer_id, None).await?;
            render::removals(&removals);
            let prompt =
                format!("Opt consumer {consumer_id} and all their cards out of every directory?");
            do_write(
                console,
                WriteKind::OptOutConsumer,
                consumer_id,
                write,
                &prompt,
            )
            .await
        }
    }
}

/// Suspends, resumes or deletes one token, after asking (a delete says what is lost).
pub async fn token(console: &Console, command: TokenCommand) -> Outcome {
    let (kind, id, args, prompt) = match command {
        TokenCommand::Suspend {
            digital_card_id: id,
            write,
        } => {
            let prompt = format!(
                "Suspend token {id}? Its wallet or merchant cannot pay with it until the bank resumes it."
            );
            (WriteKind::SuspendToken, id, write, prompt)
        }
        TokenCommand::Resume {
            digital_card_id: id,
            write,
        } => {
            let prompt = format!("Lift the bank's suspension of token {id}?");
            (WriteKind::ResumeToken, id, write, prompt)
        }
        TokenCommand::Delete {
            digital_card_id: id,
            write,
        } => {
            let prompt = format!(
                "Delete token {id} for good? The wallet or merchant holding it can no longer pay with it, and the cardholder must add the card there again. This cannot be undone."
            );
            (WriteKind::DeleteToken, id, write, prompt)
        }
    };
    let TokenWriteArgs {
        reason_code,
        reason,
        follow,
    } = args;
    let write = WriteArgs {
        reason,
        user_decision: false,
        follow,
    };
    do_write_with(console, kind, id, write, Some(reason_code), &prompt).await
}

/// Enrols a card again.
pub async fn enrol(console: &Console, card_id: String, write: WriteArgs) -> Outcome {
    let prompt = format!("Enrol card {card_id} in Click to Pay?");
    do_write(console, WriteKind::EnrolCard, card_id, write, &prompt).await
}

/// Pushes the bank's record of a consumer or a card to the directories, after showing what
/// changes in each (and nothing is asked or sent when nothing would change).
pub async fn update(
    console: &Console,
    what: UpdateTarget,
    id: String,
    write: WriteArgs,
) -> Outcome {
    let (kind, prompt) = match what {
        UpdateTarget::Consumer => (
            WriteKind::UpdateConsumer,
            format!("Replace consumer {id}'s details in every directory with the bank's record?"),
        ),
        UpdateTarget::Card => (
            WriteKind::UpdateCard,
            format!(
                "Replace card {id}'s billing address (and Visa cardholder name) with the bank's record?"
            ),
        ),
    };
    let changes = console.update_preview(kind, &id).await?;
    render::changes(&changes);
    if changes.is_empty() {
        return Ok(());
    }
    do_write(console, kind, id, write, &prompt).await
}

/// Asks `prompt`, sends the write and follows it until it ends, the wait ends, or at once with
/// `--no-wait`; the exit code says how it ended.
async fn do_write(
    console: &Console,
    kind: WriteKind,
    target: String,
    args: WriteArgs,
    prompt: &str,
) -> Outcome {
    do_write_with(console, kind, target, args, None, prompt).await
}

/// [`do_write`] with a token's reason code.
async fn do_write_with(
    console: &Console,
    kind: WriteKind,
    target: String,
    args: WriteArgs,
    token_reason: Option<care::tokens::TokenReason>,
    prompt: &str,
) -> Outcome {
    let follow = &args.follow;
    confirm(prompt, follow.yes)?;
    let entry = console
        .write(WriteRequest {
            kind,
            target,
            reason: args.reason,
            user_decision: args.user_decision,
            token_reason,
        })
        .await?;
    render::change(&entry);
    let last = if follow.no_wait || entry.state.is_final() {
        entry
    } else {
        console
            .track_until_final(entry.id, Duration::from_secs(follow.wait), |changed| {
                if changed.id == entry.id {
                    render::change(changed);
                }
            })
            .await?
    };
    match last.state {
        State::Successful => Ok(()),
        State::Pending | State::Intent if follow.no_wait => Ok(()),
        State::Pending | State::Intent => Err(Failure::new(
            exit::PENDING,
            format!(
                "still pending after {} s: D1 accepted the request and has not finished it; it will not be sent again. Run `c2p ops --watch 60` to follow it",
                follow.wait
            ),
        )),
        State::Failed => Err(Failure::new(
            exit::REFUSED,
            format!(
                "refused: {}",
                last.detail
                    .as_deref()
                    .unwrap_or("D1 reported the operation FAILED")
            ),
        )),
        State::Unknown => Err(Failure::new(
            exit::UNKNOWN,
            "outcome unknown: the request may have been applied; it will not be sent again. Run `c2p ops --watch 60` to resolve it",
        )),
    }
}
