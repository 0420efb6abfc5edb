//! Writes that never get lost. Each write is: role check → the intent committed to the
//! operations journal **before** the request leaves → one D1 call (never retried) → the outcome
//! recorded: PENDING, SUCCESSFUL, FAILED, or UNKNOWN when the answer was lost. The tracker then
//! follows every unfinished entry until it is final, resolving UNKNOWN ones (and intents left by
//! a crash) from D1's operations lists, so nothing is ever sent twice for one intent.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use d1::wire::{Accepted, Operation, OperationKind, OperationStatus};
use serde::Serialize;

use crate::console::{Console, Session};
use crate::journal::{BatchLink, Entry, NewIntent, Note, State, WriteKind};
use crate::policy::Action;
use crate::records::IssuerConsumer;
use crate::{Error, Result};

/// How long an intent without an answer may take before "D1 has no such operation" means
/// "it was not applied": longer than a write can take in any process sharing the journal (a
/// token with its retries, then the write; a test checks it against d1's defaults). [`Console::with_settle`]
/// changes it.
pub const SETTLE: Duration = Duration::from_secs(120);
/// How far D1's clock and ours may disagree when an operation's start time is compared with the
/// intent's.
const CLOCK_SKEW: Duration = Duration::from_secs(120);

/// Whether `entry` surely was not applied by D1 and may be sent again as a new intent: the
/// tracker found no trace of it, or D1 refused it with a 429 (d1's `RateLimited`).
pub(crate) fn may_send_again(entry: &Entry) -> bool {
    entry.state == State::Failed && matches!(entry.note, Some(Note::NotApplied | Note::SlowDown))
}

/// The writes this process is making now, by correlation id: held from before the intent is
/// journaled until the outcome is, so a tracker never sees an entry whose call is on its way.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    /// Whether the write of `entry` is being made (or about to be) by this process.
    pub(crate) fn contains(&self, entry: &Entry) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&entry.intent.correlation_id)
    }

    /// Marks the write with `correlation_id` in flight until the returned guard is dropped
    /// (also on error or cancel).
    fn hold(&self, correlation_id: &d1::CorrelationId) -> InFlightGuard<'_> {
        let id = correlation_id.as_str().to_owned();
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone());
        InFlightGuard { set: self, id }
    }
}

struct InFlightGuard<'a> {
    set: &'a InFlight,
    id: String,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut ids = self.set.0.lock().unwrap_or_else(|e| e.into_inner());
        ids.remove(&self.id);
    }
}

/// The state a failed call leaves a write in: UNKNOWN whenever D1 may have applied it (no
/// answer, an answer that could not be read, or a server error), FAILED when it surely did not.
fn state_after(error: &d1::Error) -> State {
    match error {
        d1::Error::MaybeSent { .. } | d1::Error::Decode { .. } => State::Unknown,
        d1::Error::Rejected { status, .. } if *status >= 500 => State::Unknown,
        _ => State::Failed,
    }
}

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
    /// Whether the directory could not be read: what leaves it is unknown, not nothing.
    pub unread: bool,
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

/// A write's journal entry, and how long D1 asked to wait when it refused it with a 429 (the
/// write was not applied and may be sent again after that).
pub(crate) struct Written {
    pub(crate) entry: Entry,
    pub(crate) retry_after: Option<Duration>,
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
        Ok(self.write_linked(request, None).await?.entry)
    }

    /// [`Console::write`] for a batch item (`link`), also telling when D1 asked to slow down.
    pub(crate) async fn write_linked(
        &self,
        request: WriteRequest,
        link: Option<&BatchLink>,
    ) -> Result<Written> {
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
        let _in_flight = self.in_flight.hold(&correlation_id);
        let reason_code = if request.user_decision {
            d1::wire::ReasonCode::UserDecision
        } else {
            d1::wire::ReasonCode::IssuerDecision
        };
        let entry = self.journal.record_linked_intent(
            NewIntent {
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
            },
            link,
        )?;
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
        let retry_after = match &sent {
            Err(d1::Error::RateLimited { retry_after, .. }) => {
                Some(retry_after.unwrap_or(Duration::from_secs(1)))
            }
            _ => None,
        };
        let recorded = match sent {
            Ok(accepted) => self.journal.record(
                entry.id,
                state_of(&accepted.status),
                Some(&accepted.operation_id),
                None,
            )?,
            Err(error) => self.journal.record(
                entry.id,
                state_after(&error),
                None,
                Some(&error.to_string()),
            )?,
        };
        let entry = match recorded {
            Some(entry) => {
                self.record_outcome(&entry)?;
                entry
            }
            // Another process sharing the journal finished it first (and audited it).
            None => self
                .journal
                .get(entry.id)?
                .ok_or_else(|| Error::Internal(format!("journal entry {} vanished", entry.id)))?,
        };
        Ok(Written { entry, retry_after })
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
            if let crate::view::DirectoryState::Unavailable { .. } = directory.state {
                removals.push(Removal {
                    scheme: directory.scheme.clone(),
                    cards: Vec::new(),
                    consumer_removed: false,
                    unread: true,
                });
                continue;
            }
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
                    unread: false,
                }),
                Some(card_id) => {
                    if let Some(card) = profile.cards.iter().find(|c| c.card_id == card_id) {
                        removals.push(Removal {
                            scheme: directory.scheme.clone(),
                            cards: vec![label(card)],
                            consumer_removed: profile.cards.len() == 1,
                            unread: false,
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
            if entry.intent.environment != session.environment.name
                || self.in_flight.contains(&entry)
            {
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

    /// Follows every unfinished entry until none is left or `deadline` passes; `on_change`
    /// hears of every change. Returns how many are still open.
    pub async fn track_until_settled(
        &self,
        deadline: Duration,
        on_change: impl FnMut(&Entry),
    ) -> Result<usize> {
        self.track_until(deadline, on_change, || {
            Ok(self.journal.unfinished()?.is_empty())
        })
        .await?;
        Ok(self.journal.unfinished()?.len())
    }

    /// Follows every unfinished entry until entry `id` is final or `deadline` passes (another
    /// entry that never ends does not hold it up); `on_change` hears of every change. Returns
    /// the entry as it is then.
    pub async fn track_until_final(
        &self,
        id: i64,
        deadline: Duration,
        on_change: impl FnMut(&Entry),
    ) -> Result<Entry> {
        let entry = || {
            self.journal
                .get(id)?
                .ok_or_else(|| Error::NotFound(format!("no operation {id} in the journal")))
        };
        self.track_until(deadline, on_change, || Ok(entry()?.state.is_final()))
            .await?;
        entry()
    }

    /// Tracker passes until `done` or `deadline`, backing off from 250 ms to 5 s between them.
    async fn track_until(
        &self,
        deadline: Duration,
        mut on_change: impl FnMut(&Entry),
        done: impl Fn() -> Result<bool>,
    ) -> Result<()> {
        let end = tokio::time::Instant::now() + deadline;
        let mut pause = Duration::from_millis(250);
        loop {
            for entry in self.track_once().await? {
                on_change(&entry);
            }
            if done()? || tokio::time::Instant::now() >= end {
                return Ok(());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    pub(crate) async fn follow(&self, session: &Session, entry: &Entry) -> Result<Option<Entry>> {
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
            return self.journal.record(entry.id, state, None, detail);
        }
        // No operationId: the answer was lost (UNKNOWN) or the console stopped before it came
        // (INTENT). D1's list says whether the write was applied.
        let created = parse_time(&entry.created_at)?;
        let window = (created - CLOCK_SKEW)
            ..=(created
                + chrono::Duration::from_std(self.settle + CLOCK_SKEW)
                    .unwrap_or(chrono::TimeDelta::MAX));
        let wanted = operation_kind(entry.intent.kind);
        // An unclaimed operation of this kind whose time cannot be read might be this write: the
        // entry then stays unresolved rather than being called safe to send again.
        let mut unsure = false;
        for operation in &operations {
            if operation.operation != wanted
                || self
                    .journal
                    .by_operation_id(&operation.operation_id)?
                    .is_some()
            {
                continue;
            }
            let Some(started) = operation
                .start_time
                .as_deref()
                .and_then(|t| parse_time(t).ok())
            else {
                unsure = true;
                continue;
            };
            // D1 may leave the reason out of its list; a different reason is another write.
            let same_reason = operation.reason.is_none()
                || operation.reason.as_deref() == entry.intent.reason.as_deref();
            if window.contains(&started) && same_reason {
                return self.journal.record(
                    entry.id,
                    state_of(&operation.status),
                    Some(&operation.operation_id),
                    Some(Note::RESOLVED_FROM_D1),
                );
            }
        }
        let age = Utc::now() - created;
        if unsure || age.to_std().unwrap_or_default() < self.settle {
            return Ok(None);
        }
        self.journal
            .record(entry.id, State::Failed, None, Some(Note::NOT_APPLIED))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn correlation() -> d1::CorrelationId {
        d1::CorrelationId::random()
    }

    #[test]
    fn only_a_sure_refusal_is_failed_everything_else_is_unknown() {
        let rejected = |status| d1::Error::Rejected {
            correlation_id: correlation(),
            status,
            error_code: None,
            message: "no".into(),
        };
        let maybe = d1::Error::MaybeSent {
            correlation_id: correlation(),
            write: true,
            detail: "connection reset".into(),
        };
        let decode = d1::Error::Decode {
            correlation_id: correlation(),
            detail: "not JSON".into(),
        };
        let not_sent = d1::Error::NotSent {
            correlation_id: correlation(),
            detail: "refused".into(),
        };
        for (error, state) in [
            (maybe, State::Unknown),
            (decode, State::Unknown),
            (rejected(500), State::Unknown),
            (rejected(503), State::Unknown),
            (rejected(400), State::Failed),
            (rejected(404), State::Failed),
            (not_sent, State::Failed),
        ] {
            assert_eq!(state_after(&error), state, "{error}");
        }
    }

    /// The longest a write can take with `config`'s timeouts: the token (every attempt, with
    /// the longest pause between them), then the write itself.
    fn longest_write(config: &d1::Config) -> Duration {
        let attempts = config.read_attempts.max(1);
        config.request_timeout * attempts
            + config.retry_cap * (attempts - 1)
            + config.request_timeout
    }

    #[test]
    fn the_settle_time_outlasts_the_longest_write() {
        let config = d1::Config::new(
            "https://d1.invalid",
            "https://d1.invalid/token",
            d1::IssuerId::new("ISSUER0001").unwrap(),
            "kid",
            d1::Trust::PlatformRoots,
        );
        assert!(
            longest_write(&config) < SETTLE,
            "{:?}",
            longest_write(&config)
        );
    }
}
