//! The fraud team's token batches: suspend or delete the tokens of a list of cards, optionally
//! only those of one merchant or token requestor (a breached merchant). The dry run lists the
//! tokens, one item each (a card's item then says so); the run is any batch's (each token
//! written once, pause, resume after a crash), and each token's write is checked against the
//! token as it is when it leaves: one whose state changed since is skipped, saying why.

use futures_util::StreamExt;

use super::Console;
use crate::audit_log::AuditEvent;
use crate::batch::{MAX_CONCURRENCY, ParsedList, Preview};
use crate::journal::batches::NOT_FOUND;
use crate::journal::{Batch, BatchAction, Item, TargetKind};
use crate::policy::Permission;
use crate::tokens::{Token, TokenReason};
use crate::{Error, Result, wire_name};

/// What a token batch's card with no token to act on says.
const NO_TOKEN: &str =
    "nothing to do: no token of this card the batch acts on when the dry run read it";

impl Console {
    /// Makes a token batch of `list`, cards only (role `fraud`: the batch permission and the
    /// fraud team's token permission): `action` (suspend or delete) on their tokens, those of
    /// merchant or token requestor `filter` only when given, with `reason_code` and `reason`.
    /// Nothing is sent; its dry run lists the tokens.
    pub fn token_batch_create(
        &self,
        list: &ParsedList,
        action: BatchAction,
        filter: Option<&str>,
        reason_code: TokenReason,
        reason: Option<&str>,
    ) -> Result<Batch> {
        let permit = self.authorise(Permission::BatchOptOut, None)?;
        self.authorise(Permission::TokenFraud, None)?;
        if action == BatchAction::OptOut {
            return Err(Error::InvalidInput(
                "a token batch suspends or deletes tokens: make an opt-out batch instead".into(),
            ));
        }
        if let Some(consumer) = list.targets.iter().find(|t| t.kind != TargetKind::Card) {
            return Err(Error::InvalidInput(format!(
                "a token batch takes cards, and line {} is not one: list the consumer's cards instead",
                consumer.line
            )));
        }
        let filter = filter.map(str::trim).filter(|f| !f.is_empty());
        if let Some(filter) = filter {
            crate::privacy::refuse_personal_data_as_id(filter)?;
            let valid = filter.len() <= 64
                && filter
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid {
                return Err(Error::InvalidInput(
                    "the merchant or token requestor is an id (letters, digits, _ and -, up to 64)"
                        .into(),
                ));
            }
        }
        self.new_batch(
            &permit,
            list,
            (action, filter),
            wire_name(reason_code),
            reason,
        )
    }

    /// A token batch's dry run (see [`Console::batch_preview`]): each card item's tokens read
    /// (as an operator's read of them, audited), `concurrency` at a time; the tokens the batch
    /// acts on become items of their own, unless there are more than the policy allows, when
    /// nothing is marked.
    pub(super) async fn token_batch_preview(
        &self,
        batch: &Batch,
        concurrency: usize,
        on_item: &(dyn Fn(&Preview) + Send + Sync),
    ) -> Result<Vec<Preview>> {
        self.authorise(Permission::TokenFraud, Some(&batch.id))?;
        let reason = TokenReason::parse(&batch.reason_code).ok_or_else(|| {
            Error::Internal(format!(
                "batch {} holds no token reason code ({})",
                batch.id, batch.reason_code
            ))
        })?;
        let cards: Vec<Item> = self
            .journal
            .batch_items(&batch.id)?
            .into_iter()
            .filter(|i| i.kind == TargetKind::Card && i.intent.is_none() && i.skip.is_none())
            .collect();
        let mut read: Vec<(Preview, Vec<String>)> = futures_util::stream::iter(cards)
            .map(|item| async move {
                let tokens = self.card_tokens(&item.target).await;
                let (shown, ids): (Vec<String>, Vec<String>) = match &tokens {
                    Ok(tokens) => crate::tokens::acted_on(
                        tokens,
                        (batch.action, reason),
                        batch.token_filter.as_deref(),
                    )
                    .into_iter()
                    .map(|t| (described(t), t.digital_card_id.clone()))
                    .unzip(),
                    Err(_) => Default::default(),
                };
                let mut preview = Preview::of(&item, tokens.map(|_| (Vec::new(), None)));
                preview.nothing_to_do = preview.error.is_none() && ids.is_empty();
                preview.tokens = shown;
                on_item(&preview);
                (preview, ids)
            })
            .buffer_unordered(concurrency.clamp(1, MAX_CONCURRENCY))
            .collect()
            .await;
        read.sort_by_key(|(p, _)| p.seq);
        let listed: usize = self
            .journal
            .batch_items(&batch.id)?
            .iter()
            .filter(|i| i.kind == TargetKind::Token)
            .count();
        let most = crate::policy::token_batch_max(&self.policy_paths)?;
        let total = listed + read.iter().map(|(_, ids)| ids.len()).sum::<usize>();
        if total > most {
            return Err(Error::InvalidInput(format!(
                "batch {} would act on {total} tokens, more than the {most} a token batch may (the administrators' policy): split the list",
                batch.id
            )));
        }
        self.journal.set_previewed(&batch.id)?;
        for (preview, ids) in &read {
            if preview.not_found {
                let why = preview.error.as_deref().unwrap_or_default();
                self.journal
                    .skip_item(&batch.id, preview.seq, &format!("{NOT_FOUND}{why}"))?;
            } else if preview.nothing_to_do {
                self.journal.skip_item(&batch.id, preview.seq, NO_TOKEN)?;
            } else if preview.error.is_none() {
                self.journal
                    .expand_into_tokens(&batch.id, preview.seq, ids)?;
            }
        }
        self.recorder(&self.authorise(Permission::BatchOptOut, Some(&batch.id))?)
            .record(
                AuditEvent::BatchOptOutDryRun,
                Some(&batch.id),
                &format!("ok; {total} tokens"),
            )?;
        Ok(read.into_iter().map(|(p, _)| p).collect())
    }
}

/// A token as the dry run lists it: who holds it, its last 4 and its id; never a device.
fn described(token: &Token) -> String {
    format!(
        "{} •••• {} ({})",
        token.requestor_name.as_deref().unwrap_or("?"),
        token.last4.as_deref().unwrap_or("????"),
        token.digital_card_id
    )
}
