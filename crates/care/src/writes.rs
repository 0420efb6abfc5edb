//! Writes that never get lost. Each write is: role check → the intent committed to the
//! operations journal **before** the request leaves → one D1 call (never retried) → the outcome
//! recorded: PENDING, SUCCESSFUL, FAILED, or UNKNOWN when the answer was lost. The tracker then
//! follows every unfinished entry until it is final, resolving UNKNOWN ones (and intents left by
//! a crash) from D1's operations lists, so nothing is ever sent twice for one intent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use d1::wire::{Accepted, Operation, OperationKind, OperationStatus};
use serde::Serialize;

use crate::console::{Console, Session};
use crate::journal::{Entry, NewIntent, State, WriteKind};
use crate::policy::Action;
use crate::records::IssuerConsumer;
use crate::{Error, Result};

/// How long an intent without an answer may take before "D1 has no such operation" means
/// "it was not applied" (longer than any request timeout); see [`Console::with_settle`].
pub const SETTLE: Duration = Duration::from_secs(30);
/// An operation started this long before the intent was recorded is not its outcome.
const CLOCK_SKEW: Duration = Duration::from_secs(120);

/// A write an operator asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct WriteRequest {
    /// What to do.
    pub kind: WriteKind,
    /// The cardId (card writes) or consumerId (consumer writes).
    pub target: String,
    /// Free-text reason (D1: 1 to 64 letters, digits or spaces).
    pub reason: Option<String>,
    /// Whether the consumer asked (`USER_DECISION`) rather than the bank (`ISSUER_DECISION`).
    pub user_decision: bool,
}

/// What an opt-out would remove from one directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Removal {
    /// The directory.
    pub scheme: String,
    /// The cards that leave it (last 4 and cardId).
    pub cards: Vec<String>,
    /// Whether the consumer's details leave it too (their last card there, or a consumer opt-out).
    pub consumer_removed: bool,
}

fn is_card_write(kind: WriteKind) -> bool {
    matches!(
        kind,
        WriteKind::OptOutCard | WriteKind::EnrolCard | WriteKind::UpdateCard
    )
}

fn action(kind: WriteKind) -> Action {
    match kind {
        WriteKind::OptOutCard => Action::OptOutCard,
        WriteKind::OptOutConsumer => Action::OptOutConsumer,
        WriteKind::EnrolCard => Action::Enrol,
        WriteKind::UpdateCard | WriteKind::UpdateConsumer => Action::Update,
    }
}

fn operation_kind(kind: WriteKind) -> OperationKind {
    match kind {
        WriteKind::OptOutCard | WriteKind::OptOutConsumer => OperationKind::OptOut,
        WriteKind::EnrolCard => OperationKind::Enrolment,
        WriteKind::UpdateCard | WriteKind::UpdateConsumer => OperationKind::Update,
    }
}

fn event_name(kind: WriteKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_lowercase))
        .unwrap_or_default()
}

pub(crate) fn state_of(status: &OperationStatus) -> State {
    match status {
        OperationStatus::Successful => State::Successful,
        OperationStatus::Failed => State::Failed,
        _ => State::Pending,
    }
}

/// The validated ids and body parts of a request, read before anything is journaled.
enum Prepared {
    Card(d1::CardId, Option<(IssuerConsumer, usize)>),
    Consumer(d1::ConsumerId, Option<IssuerConsumer>),
}

impl Console {
    /// Does `request`: role check, intent journaled, one D1 call, outcome journaled and audited.
    /// Returns the journal entry (PENDING, SUCCESSFUL, FAILED or UNKNOWN).
    pub async fn write(&self, request: WriteRequest) -> Result<Entry> {
        let policy = self.authorise(action(request.kind), Some(&request.target))?;
        let session = self.session().await?;
        let reason = request
            .reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(d1::Reason::new)
            .transpose()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let prepared = self.prepare(&session, &request).await?;
        let correlation_id = d1::CorrelationId::random();
        let reason_code = if request.user_decision {
            d1::wire::ReasonCode::UserDecision
        } else {
            d1::wire::ReasonCode::IssuerDecision
        };
        let entry = self.journal.record_intent(NewIntent {
            kind: request.kind,
            target: request.target.clone(),
            reason: reason.as_ref().map(|r| r.as_str().to_owned()),
            reason_code: serde_json::to_value(reason_code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            correlation_id: correlation_id.as_str().to_owned(),
            environment: session.environment.name.clone(),
            operator: policy.operator,
        })?;
        let event = event_name(request.kind);
        self.record_event(
            &format!("{event}_intent"),
            Some(&request.target),
            "recorded",
            None,
            Some(correlation_id.as_str()),
        )?;
        let write = d1::Write {
            reason,
            reason_code,
            correlation_id: Some(correlation_id.clone()),
        };
        let sent = send(&session, request.kind, prepared, write).await;
        let entry = match sent {
            Ok(accepted) => self.journal.record(
                entry.id,
                state_of(&accepted.status),
                Some(&accepted.operation_id),
                None,
            )?,
            Err(error @ d1::Error::MaybeSent { .. }) => {
                self.journal
                    .record(entry.id, State::Unknown, None, Some(&error.to_string()))?
            }
            Err(error) => {
                self.journal
                    .record(entry.id, State::Failed, None, Some(&error.to_string()))?
            }
        };
        self.record_outcome(&entry)?;
        Ok(entry)
    }

    pub(crate) fn record_outcome(&self, entry: &Entry) -> Result<()> {
        self.record_event(
            &format!("{}_outcome", event_name(entry.intent.kind)),
            Some(&entry.intent.target),
            &format!("{:?}", entry.state).to_uppercase(),
            entry.operation_id.as_deref(),
            Some(&entry.intent.correlation_id),
        )
    }

    /// Validates ids and, for enrol and update, reads the bank's record the write carries.
    async fn prepare(&self, session: &Session, request: &WriteRequest) -> Result<Prepared> {
        let invalid = |e: d1::Error| Error::InvalidInput(e.to_string());
        let needs_record = matches!(
            request.kind,
            WriteKind::EnrolCard | WriteKind::UpdateCard | WriteKind::UpdateConsumer
        );
        if is_card_write(request.kind) {
            let card = d1::CardId::new(&request.target).map_err(invalid)?;
            let record = match needs_record {
                false => None,
                true => Some(self.bank_record_of_card(session, &request.target).await?),
            };
            Ok(Prepared::Card(card, record))
        } else {
            let consumer = d1::ConsumerId::new(&request.target).map_err(invalid)?;
            let record = match needs_record {
                false => None,
                true => Some(session.records.consumer(&consumer).await?.ok_or_else(|| {
                    Error::NotFound(format!(
                        "the bank has no consumer {consumer}: there is no record to push"
                    ))
                })?),
            };
            Ok(Prepared::Consumer(consumer, record))
        }
    }

    async fn bank_record_of_card(
        &self,
        session: &Session,
        card_id: &str,
    ) -> Result<(IssuerConsumer, usize)> {
        let not_found = || Error::NotFound(format!("the bank has no card {card_id}"));
        let found = session.records.search(card_id, 1).await?;
        let summary = found.consumers.into_iter().next().ok_or_else(not_found)?;
        let consumer = d1::ConsumerId::new(&summary.consumer_id)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let record = session
            .records
            .consumer(&consumer)
            .await?
            .ok_or_else(not_found)?;
        let index = record
            .cards
            .iter()
            .position(|c| c.card_id == card_id)
            .ok_or_else(not_found)?;
        Ok((record, index))
    }

    /// What opting out `target` (a card when `card`, else a consumer) would remove, per
    /// directory, read from D1 now.
    pub async fn opt_out_preview(
        &self,
        consumer_id: &str,
        card_id: Option<&str>,
    ) -> Result<Vec<Removal>> {
        let view = self.consumer_view(consumer_id).await?;
        let mut removals = Vec::new();
        for directory in &view.directories {
            let Some(profile) = view.profile(&directory.scheme) else {
                continue;
            };
            let label = |c: &d1::wire::Card| {
                format!(
                    "•••• {} ({})",
                    c.last4.as_deref().unwrap_or("????"),
                    c.card_id
                )
            };
            match card_id {
                None => removals.push(Removal {
                    scheme: directory.scheme.clone(),
                    cards: profile.cards.iter().map(label).collect(),
                    consumer_removed: true,
                }),
                Some(card_id) => {
                    if let Some(card) = profile.cards.iter().find(|c| c.card_id == card_id) {
                        removals.push(Removal {
                            scheme: directory.scheme.clone(),
                            cards: vec![label(card)],
                            consumer_removed: profile.cards.len() == 1,
                        });
                    }
                }
            }
        }
        Ok(removals)
    }

    /// Operations started from this workstation, newest first, optionally in one state.
    pub fn operations(&self, state: Option<State>, limit: i64) -> Result<Vec<Entry>> {
        self.journal.recent(state, limit)
    }

    /// One pass over every unfinished entry: PENDING ones are polled, UNKNOWN ones and intents
    /// left by a crash are resolved from D1's operations list. Returns the entries that changed.
    pub async fn track_once(&self) -> Result<Vec<Entry>> {
        let mut changed = Vec::new();
        let unfinished = self.journal.unfinished()?;
        if unfinished.is_empty() {
            return Ok(changed);
        }
        let session = self.session().await?;
        for entry in unfinished {
            if entry.intent.environment != session.environment.name {
                continue;
            }
            match self.follow(&session, &entry).await {
                Ok(Some(updated)) => {
                    self.record_outcome(&updated)?;
                    changed.push(updated);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(entry = entry.id, code = ?error.code(), %error, "could not follow an operation; will retry");
                }
            }
        }
        Ok(changed)
    }

    /// Follows every unfinished entry until none is left or `deadline` passes, backing off
    /// from 250 ms to 5 s between passes; `on_change` hears of every change.
    pub async fn track_until_settled(
        &self,
        deadline: Duration,
        mut on_change: impl FnMut(&Entry),
    ) -> Result<usize> {
        let end = tokio::time::Instant::now() + deadline;
        let mut pause = Duration::from_millis(250);
        loop {
            for entry in self.track_once().await? {
                on_change(&entry);
            }
            let open = self.journal.unfinished()?.len();
            if open == 0 || tokio::time::Instant::now() >= end {
                return Ok(open);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    async fn follow(&self, session: &Session, entry: &Entry) -> Result<Option<Entry>> {
        let operations = self.operations_of(session, entry).await?;
        if let Some(operation_id) = &entry.operation_id {
            let Some(operation) = operations.iter().find(|o| &o.operation_id == operation_id)
            else {
                return Ok(None);
            };
            let state = state_of(&operation.status);
            if state == entry.state {
                return Ok(None);
            }
            let detail = operation
                .error_code
                .as_deref()
                .or(operation.error.as_deref());
            return self.journal.record(entry.id, state, None, detail).map(Some);
        }
        // No operationId: the answer was lost (UNKNOWN) or the console stopped before it came
        // (INTENT). D1's list says whether the write was applied.
        let since = parse_time(&entry.created_at)? - CLOCK_SKEW;
        let wanted = operation_kind(entry.intent.kind);
        for operation in &operations {
            let started = operation
                .start_time
                .as_deref()
                .map(parse_time)
                .transpose()?;
            let matches = operation.operation == wanted
                && started.is_some_and(|t| t >= since)
                && operation.reason.as_deref() == entry.intent.reason.as_deref()
                && self
                    .journal
                    .by_operation_id(&operation.operation_id)?
                    .is_none();
            if matches {
                return self
                    .journal
                    .record(
                        entry.id,
                        state_of(&operation.status),
                        Some(&operation.operation_id),
                        Some("resolved from D1's operations list"),
                    )
                    .map(Some);
            }
        }
        let age = Utc::now() - parse_time(&entry.created_at)?;
        if age.to_std().unwrap_or_default() < self.settle {
            return Ok(None);
        }
        self.journal
            .record(
                entry.id,
                State::Failed,
                None,
                Some("D1 has no record of this write: it was not applied, and it is safe to send it again"),
            )
            .map(Some)
    }

    async fn operations_of(&self, session: &Session, entry: &Entry) -> Result<Vec<Operation>> {
        let page = d1::Page {
            offset: 0,
            count: 50,
        };
        let call = d1::Call::default();
        let invalid = |e: d1::Error| Error::Internal(e.to_string());
        let list = if is_card_write(entry.intent.kind) {
            let card = d1::CardId::new(&entry.intent.target).map_err(invalid)?;
            session.d1.card_operations(&card, page, call).await?
        } else {
            let consumer = d1::ConsumerId::new(&entry.intent.target).map_err(invalid)?;
            session
                .d1
                .consumer_operations(&consumer, page, call)
                .await?
        };
        Ok(list.value.operations)
    }
}

fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Internal(format!("bad time {text:?}: {e}")))
}

/// The one D1 call of a write.
async fn send(
    session: &Session,
    kind: WriteKind,
    prepared: Prepared,
    write: d1::Write,
) -> std::result::Result<Accepted, d1::Error> {
    let d1 = &session.d1;
    let response = match (kind, prepared) {
        (WriteKind::OptOutCard, Prepared::Card(card, _)) => d1.opt_out_card(&card, write).await,
        (WriteKind::OptOutConsumer, Prepared::Consumer(consumer, _)) => {
            d1.opt_out_consumer(&consumer, write).await
        }
        (WriteKind::EnrolCard, Prepared::Card(card, Some((record, index)))) => {
            let bank_card = &record.cards[index];
            let name = (bank_card.scheme == "VISA").then(|| bank_card.cardholder_name.clone());
            d1.enrol_card(&card, write, name).await
        }
        (WriteKind::UpdateCard, Prepared::Card(card, Some((record, index)))) => {
            let bank_card = &record.cards[index];
            let name = (bank_card.scheme == "VISA").then(|| bank_card.cardholder_name.clone());
            d1.update_card(
                &card,
                write,
                Some(bank_card.billing_address.to_wire()),
                name,
            )
            .await
        }
        (WriteKind::UpdateConsumer, Prepared::Consumer(consumer, Some(record))) => {
            d1.update_consumer(&consumer, write, &record.to_wire())
                .await
        }
        _ => {
            return Err(d1::Error::InvalidRequest(
                "the write and its target do not match".into(),
            ));
        }
    };
    response.map(|r| r.value)
}
