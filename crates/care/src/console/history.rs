//! A consumer's history: D1's operations on them, their cards and tokens, whoever made them,
//! joined with the bank's own writes (see [`crate::history`]).

use futures_util::future::join_all;

use super::Console;
use crate::audit_log::AuditEvent;
use crate::history::{HistoryEntry, Sources, Subject};
use crate::policy::Permission;
use crate::tokens::Token;
use crate::{Error, Result};

/// How many of each list's newest operations are read.
const NEWEST: d1::Page = d1::Page {
    offset: 0,
    count: 50,
};

/// A consumer's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct History {
    /// The consumer.
    pub consumer_id: String,
    /// Every operation, newest first.
    pub entries: Vec<HistoryEntry>,
    /// Whether every list was read (else some operations may be missing).
    pub complete: bool,
}

impl Console {
    /// Consumer `consumer_id`'s history: the newest 50 operations D1 lists on the consumer, on
    /// each of their cards and on each card's tokens, whoever made them, with the bank's
    /// operator beside the bank's own (this workstation's journal, the team's in team mode),
    /// and the bank's writes D1 does not list yet. Recorded (how many, never a device's name).
    pub async fn history(&self, consumer_id: &str) -> Result<History> {
        self.refuse_personal_data_as_id(Permission::View, consumer_id)?;
        let consumer = d1::ConsumerId::new(consumer_id)?;
        let permit = self.authorise(Permission::View, Some(consumer_id))?;
        let session = self.session().await?;
        let recorder = self.recorder(&permit);
        let record = match session.records.consumer(&consumer).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                recorder.record(AuditEvent::HistoryView, Some(consumer_id), "not found")?;
                return Err(Error::NotFound(format!(
                    "the bank's records know no consumer {consumer_id}"
                )));
            }
            Err(error) => {
                let result = format!("{:?}", error.code());
                recorder.record(AuditEvent::HistoryView, Some(consumer_id), &result)?;
                return Err(error);
            }
        };
        let d1 = &session.d1;
        let call = d1::Call::default;
        // The consumer's operations, and each card's operations and tokens, at once.
        let cards: Vec<d1::CardId> = record
            .cards
            .iter()
            .filter_map(|c| d1::CardId::new(&c.card_id).ok())
            .collect();
        let (consumer_operations, card_reads) = tokio::join!(
            d1.consumer_operations(&consumer, NEWEST, call()),
            join_all(cards.iter().map(|card| async move {
                tokio::join!(
                    d1.card_operations(card, NEWEST, call()),
                    d1.digital_cards(card, call())
                )
            }))
        );
        let mut complete = cards.len() == record.cards.len();
        let mut operations = Vec::new();
        match consumer_operations {
            Ok(list) => operations.extend(
                list.value
                    .operations
                    .into_iter()
                    .map(|o| (Subject::Consumer, o)),
            ),
            Err(_) => complete = false,
        }
        let mut tokens: Vec<(String, Token)> = Vec::new();
        for (card, (card_operations, digital_cards)) in cards.iter().zip(card_reads) {
            let card_id = card.as_str().to_owned();
            match card_operations {
                Ok(list) => operations.extend(list.value.operations.into_iter().map(|o| {
                    let subject = Subject::Card {
                        card_id: card_id.clone(),
                    };
                    (subject, o)
                })),
                Err(_) => complete = false,
            }
            match digital_cards {
                Ok(list) => tokens.extend(
                    list.value
                        .digital_cards
                        .into_iter()
                        .map(|t| (card_id.clone(), Token::from(t))),
                ),
                Err(_) => complete = false,
            }
        }
        // Each token's operations, at once.
        let token_ids: Vec<Option<d1::DigitalCardId>> = tokens
            .iter()
            .map(|(_, t)| d1::DigitalCardId::new(&t.digital_card_id).ok())
            .collect();
        let token_reads = join_all(token_ids.iter().map(|id| async move {
            match id {
                Some(id) => Some(d1.digital_card_operations(id, NEWEST, call()).await),
                None => None,
            }
        }))
        .await;
        for ((card_id, token), read) in tokens.iter().zip(token_reads) {
            match read {
                Some(Ok(list)) => operations.extend(list.value.operations.into_iter().map(|o| {
                    let subject = Subject::Token {
                        card_id: card_id.clone(),
                        digital_card_id: token.digital_card_id.clone(),
                        holder: token.requestor_name.clone(),
                    };
                    (subject, o)
                })),
                _ => complete = false,
            }
        }
        let subject_of = |target: &str| -> Subject {
            if let Some((card_id, token)) = tokens.iter().find(|(_, t)| t.digital_card_id == target)
            {
                return Subject::Token {
                    card_id: card_id.clone(),
                    digital_card_id: target.to_owned(),
                    holder: token.requestor_name.clone(),
                };
            }
            if record.cards.iter().any(|c| c.card_id == target) {
                return Subject::Card {
                    card_id: target.to_owned(),
                };
            }
            Subject::Consumer
        };
        let targets: std::collections::HashSet<&str> = std::iter::once(consumer_id)
            .chain(record.cards.iter().map(|c| c.card_id.as_str()))
            .chain(tokens.iter().map(|(_, t)| t.digital_card_id.as_str()))
            .collect();
        let local: Vec<_> = self
            .journal
            .recent(None, 2000)?
            .into_iter()
            .filter(|e| {
                e.intent.environment == session.environment.name
                    && targets.contains(e.intent.target.as_str())
            })
            .collect();
        let team = self.team_writes(&session, Some(consumer_id), 500).await;
        if team.is_err() {
            complete = false;
        }
        let held: Vec<Token> = tokens.iter().map(|(_, t)| t.clone()).collect();
        let entries = crate::history::merge(Sources {
            operations,
            tokens: &held,
            local,
            workstation: &self.identity.workstation,
            team: team.ok().flatten(),
            subject_of: &subject_of,
        });
        recorder.record(
            AuditEvent::HistoryView,
            Some(consumer_id),
            &format!("ok; {} operations", entries.len()),
        )?;
        Ok(History {
            consumer_id: consumer_id.to_owned(),
            entries,
            complete,
        })
    }
}

impl Console {
    /// Card `card_id`'s history: its consumer's history (see [`Console::history`]) narrowed to
    /// the card and its tokens. The card must be one the bank's records hold.
    pub async fn card_history(&self, card_id: &str) -> Result<History> {
        self.refuse_personal_data_as_id(Permission::View, card_id)?;
        d1::CardId::new(card_id)?;
        // The role first: nothing is read, not even the card's consumer, for one that may not.
        self.authorise(Permission::View, Some(card_id))?;
        let session = self.session().await?;
        let consumer = session.records.consumer_of_card(card_id).await?;
        let mut history = self.history(&consumer).await?;
        history.entries.retain(|entry| match &entry.subject {
            Subject::Card { card_id: card } | Subject::Token { card_id: card, .. } => {
                card == card_id
            }
            Subject::Consumer => false,
        });
        Ok(history)
    }
}
