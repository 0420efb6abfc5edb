//! A card's tokens, read from D1 for an operator, and the rules a token's write follows.

use super::Console;
use crate::audit_log::AuditEvent;
use crate::environments::Session;
use crate::policy::Permission;
use crate::profile::Problem;
use crate::tokens::rules::Check;
use crate::tokens::{CardTokens, ConsumerTokens};
use crate::writes::WriteRequest;
use crate::{Error, Result};

impl Console {
    /// Card `card_id`'s tokens (Click to Pay, wallets, merchants), the deleted ones too. The card
    /// must be one the bank's records hold. Recorded (the card and how many tokens, never a
    /// device's name).
    pub async fn card_tokens(&self, card_id: &str) -> Result<CardTokens> {
        self.refuse_personal_data_as_id(Permission::View, card_id)?;
        let card = d1::CardId::new(card_id)?;
        let permit = self.authorise(Permission::View, Some(card_id))?;
        let session = self.session().await?;
        let recorder = self.recorder(&permit);
        if let Err(error) = session.records.consumer_of_card(card_id).await {
            let result = match error.code() {
                crate::ErrorCode::NotFound => "not found".to_owned(),
                code => format!("{code:?}"),
            };
            recorder.record(AuditEvent::TokensView, Some(card_id), &result)?;
            return Err(error);
        }
        let read = session.d1.digital_cards(&card, d1::Call::default()).await;
        let correlation_id = match &read {
            Ok(response) => Some(response.correlation_id.as_str().to_owned()),
            Err(error) => error.correlation_id().map(|c| c.as_str().to_owned()),
        };
        let read = read.map_err(Error::from);
        let result = match &read {
            Ok(response) => format!("ok; {} tokens", response.value.digital_cards.len()),
            Err(error) => format!("{:?}", error.code()),
        };
        recorder.record_call(
            AuditEvent::TokensView,
            Some(card_id),
            &result,
            None,
            correlation_id.as_deref(),
        )?;
        let tokens = read?.value.digital_cards;
        Ok(CardTokens::grouped(card_id, tokens))
    }
}

impl Console {
    /// Consumer `consumer_id`'s tokens: the bank's record and the directories' profiles read
    /// together, then every card's tokens at once, and the findings on them. A card whose
    /// tokens could not be read says why, the others still show. Recorded (the consumer, how
    /// many cards and tokens, never a device's name).
    pub async fn consumer_tokens(&self, consumer_id: &str) -> Result<ConsumerTokens> {
        self.refuse_personal_data_as_id(Permission::View, consumer_id)?;
        let consumer = d1::ConsumerId::new(consumer_id)?;
        let permit = self.authorise(Permission::View, Some(consumer_id))?;
        let session = self.session().await?;
        // The cards' tokens are read as soon as the bank's record is in, while the directories'
        // profiles (for the findings only) are still on their way.
        let d1 = &session.d1;
        let tokens = async {
            let record = session.records.consumer(&consumer).await?;
            let Some(record) = record else {
                return Ok(None);
            };
            let reads = record.cards.iter().map(|card| async move {
                let read = match d1::CardId::new(&card.card_id) {
                    Ok(id) => d1
                        .digital_cards(&id, d1::Call::default())
                        .await
                        .map_err(Error::from),
                    Err(error) => Err(Error::from(error)),
                };
                match read {
                    Ok(response) => {
                        CardTokens::grouped(&card.card_id, response.value.digital_cards)
                    }
                    Err(error) => CardTokens::unread(&card.card_id, Problem::from(&error)),
                }
            });
            let cards = futures_util::future::join_all(reads).await;
            Ok(Some((record, cards)))
        };
        let (read, profiles) = tokio::join!(tokens, d1.profiles(&consumer, d1::Call::default()));
        let recorder = self.recorder(&permit);
        let (record, cards) = match read {
            Ok(Some(read)) => read,
            Ok(None) => {
                recorder.record(AuditEvent::TokensView, Some(consumer_id), "not found")?;
                return Err(Error::NotFound(format!(
                    "the bank's records know no consumer {consumer_id}: only the bank's cards have tokens to show"
                )));
            }
            Err(error) => {
                let error: Error = error;
                let result = format!("{:?}", error.code());
                recorder.record(AuditEvent::TokensView, Some(consumer_id), &result)?;
                return Err(error);
            }
        };
        let profiles = profiles.ok().map(|r| r.value);
        let complete = profiles.as_ref().is_some_and(|p| p.errors.is_empty())
            && cards.iter().all(|c| c.problem.is_none());
        let findings = crate::tokens::findings::findings(Some(&record), profiles.as_ref(), &cards);
        let read = cards.iter().filter(|c| c.problem.is_none()).count();
        let tokens: usize = cards.iter().map(CardTokens::count).sum();
        recorder.record(
            AuditEvent::TokensView,
            Some(consumer_id),
            &format!("ok; {tokens} tokens on {read} of {} cards", cards.len()),
        )?;
        Ok(ConsumerTokens {
            consumer_id: consumer_id.to_owned(),
            cards,
            findings,
            complete,
        })
    }

    /// What a token's write may not do, checked before anything is journaled (see
    /// [`crate::tokens::rules`]): refused in words, or the fraud team's permission asked for
    /// when the reason code or the bank's own suspension needs it.
    pub(super) async fn check_token_write(
        &self,
        request: &WriteRequest,
        session: &Session,
    ) -> Result<()> {
        // A fraud reason code is the fraud team's before anything is read.
        if request.token_reason.is_some_and(|r| !r.customer_reported()) {
            self.authorise(Permission::TokenFraud, Some(&request.target))?;
        }
        match crate::tokens::rules::check(session, request).await? {
            Check::Refused(why) => Err(Error::InvalidInput(format!("{why}; nothing was sent"))),
            Check::Go { fraud: true } => {
                self.authorise(Permission::TokenFraud, Some(&request.target))?;
                Ok(())
            }
            Check::Go { fraud: false } => Ok(()),
        }
    }
}

/// A fraud analyst's write on every token of one card: suspend them all, or delete every
/// merchant's token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CardTokensWrite {
    /// The card.
    pub card_id: String,
    /// `SUSPEND_TOKEN` (every token the bank has not suspended yet) or `DELETE_TOKEN` (every
    /// merchant's token).
    pub kind: crate::writes::WriteKind,
    /// The reason code.
    pub token_reason: crate::tokens::TokenReason,
    /// Free-text reason.
    pub reason: Option<String>,
}

/// What became of one token of a [`CardTokensWrite`]: its journal entry, or why it was not
/// written (nothing was sent for it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TokenWritten {
    /// The token.
    pub digital_card_id: String,
    /// Its write, when one was journaled.
    pub entry: Option<crate::journal::Entry>,
    /// Why it was not written.
    pub problem: Option<Problem>,
}

impl Console {
    /// Writes every token of a card at once (role `fraud`): each an ordinary token write
    /// (journaled, claimed, checked, audited), one after another so that a refusal of one
    /// leaves the others standing. The card must be one the bank holds.
    pub async fn write_card_tokens(&self, request: CardTokensWrite) -> Result<Vec<TokenWritten>> {
        use crate::journal::BatchAction;
        use crate::writes::WriteKind;
        self.refuse_personal_data_as_id(Permission::TokenFraud, &request.card_id)?;
        let permit = self.authorise(Permission::TokenFraud, Some(&request.card_id))?;
        let action = match request.kind {
            WriteKind::SuspendToken => BatchAction::SuspendTokens,
            WriteKind::DeleteToken => BatchAction::DeleteTokens,
            other => {
                return Err(Error::InvalidInput(format!(
                    "every token of a card is suspended or deleted, not {other:?}"
                )));
            }
        };
        let tokens = self.card_tokens(&request.card_id).await?;
        let merchants: Vec<&str> = tokens
            .merchants
            .iter()
            .map(|t| t.digital_card_id.as_str())
            .collect();
        let targets: Vec<String> =
            crate::tokens::acted_on(&tokens, (action, request.token_reason), None)
                .into_iter()
                .filter(|t| {
                    action == BatchAction::SuspendTokens
                        || merchants.contains(&t.digital_card_id.as_str())
                })
                .map(|t| t.digital_card_id.clone())
                .collect();
        let mut written = Vec::with_capacity(targets.len());
        for digital_card_id in targets {
            let write = WriteRequest {
                kind: request.kind,
                target: digital_card_id.clone(),
                reason: request.reason.clone(),
                user_decision: false,
                token_reason: Some(request.token_reason),
            };
            let (entry, problem) = match self.write(write).await {
                Ok(entry) => (Some(entry), None),
                Err(error) => (None, Some(Problem::from(&error))),
            };
            written.push(TokenWritten {
                digital_card_id,
                entry,
                problem,
            });
        }
        let refused = written.iter().filter(|w| w.problem.is_some()).count();
        self.recorder(&permit).record(
            AuditEvent::CardTokensWrite,
            Some(&request.card_id),
            &format!(
                "{}; reason code {}; {} tokens: {} written, {refused} refused",
                crate::wire_name(request.kind),
                crate::wire_name(request.token_reason),
                written.len(),
                written.len() - refused
            ),
        )?;
        Ok(written)
    }
}
