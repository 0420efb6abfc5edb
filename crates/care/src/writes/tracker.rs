//! Following writes until they are final: PENDING ones are polled; UNKNOWN ones, and intents
//! left by a crash, are resolved from D1's operations lists, so nothing is ever sent twice for
//! one intent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use d1::wire::{Operation, OperationKind, RequestorType};

use super::InFlight;
use super::claim::TeamClaims;
use super::kind::WriteTarget;
use super::send::{flush_outbox, record_outcome, state_of};
use crate::audit_log::Recorder;
use crate::environments::Session;
use crate::journal::{Entry, Journal, Note, State, owner};
use crate::{Error, Result};

/// How long an intent without an answer may take before "D1 has no such operation" means
/// "it was not applied": longer than a write can take in any process sharing the journal (a
/// token with its retries, then the write; a test checks it against d1's defaults). [`crate::console::Console::with_settle`]
/// changes it.
pub const SETTLE: Duration = Duration::from_secs(120);
/// How far D1's clock and ours may disagree when an operation's start time is compared with the
/// intent's.
const CLOCK_SKEW: Duration = Duration::from_secs(120);
/// How long before the intent an unclaimed operation still keeps the tracker from concluding
/// "not applied" (one after it always does): a workstation clock off by more than
/// [`CLOCK_SKEW`], or corrected since.
const NEAR: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// What the tracker needs: the journal, the active environment's clients, the registry of
/// calls on their way, the settle time, and the audit trail for the outcomes it finds.
pub(crate) struct Tracker<'a> {
    pub(crate) journal: &'a Journal,
    pub(crate) session: &'a Session,
    pub(crate) in_flight: &'a InFlight,
    pub(crate) settle: Duration,
    pub(crate) audit: Recorder<'a>,
    /// Team mode: the team store, told each outcome.
    pub(crate) claims: Option<&'a TeamClaims>,
}

impl Tracker<'_> {
    /// One pass over every unfinished entry: PENDING ones are polled, UNKNOWN ones and intents
    /// left by a crash are resolved from D1's operations list. Returns the entries that changed.
    pub(crate) async fn track_once(&self) -> Result<Vec<Entry>> {
        if let Err(error) = flush_outbox(&self.audit, self.journal) {
            tracing::warn!(code = ?error.code(), %error, "outcomes still wait for the audit log");
        }
        if let Some(claims) = self.claims {
            if let Err(error) = claims.tell_untold(self.in_flight).await {
                tracing::warn!(code = ?error.code(), %error, "outcomes still wait for the team store");
            }
            let local = &self.session.environment.name;
            if let Err(error) = claims.claim_emergency_writes(local, &self.audit).await {
                tracing::warn!(code = ?error.code(), %error, "writes sent in emergency mode still wait to be claimed");
            }
        }
        let mut changed = Vec::new();
        for entry in self.journal.unfinished()? {
            if entry.intent.environment != self.session.environment.name {
                continue;
            }
            match self.step(&entry).await {
                Ok(Some(updated)) => changed.push(updated),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(entry = entry.id, code = ?error.code(), %error, "could not follow an operation; will retry");
                }
            }
        }
        Ok(changed)
    }

    /// One tracker step on `entry`: left alone while its call is on the way, else followed, and
    /// a change audited. Returns the entry when it changed.
    pub(crate) async fn step(&self, entry: &Entry) -> Result<Option<Entry>> {
        if self.in_flight.contains(entry) {
            return Ok(None);
        }
        let updated = self.follow(entry).await?;
        if let Some(updated) = &updated {
            crate::in_place(|| record_outcome(&self.audit, self.journal, updated))?;
            if let Some(claims) = self.claims
                && let Err(error) = claims.tell(updated).await
            {
                tracing::warn!(entry = updated.id, code = ?error.code(), %error, "the team store will be told this outcome later");
            }
        }
        Ok(updated)
    }

    /// Reads D1's operations for `entry`'s target and records what they say: a PENDING entry's
    /// end, or an UNKNOWN (or crashed) entry resolved, or concluded not applied once the settle
    /// time has passed with no trace. Returns the entry when it changed.
    async fn follow(&self, entry: &Entry) -> Result<Option<Entry>> {
        if entry.operation_id.is_none() && entry.state == State::Intent {
            // Its request may still be on its way in the console that recorded it, which runs:
            // that console's to finish.
            if let Some(owner) = entry.owner.as_deref()
                && Some(owner) != self.journal.owner()
                && owner::is_alive(owner)
            {
                return Ok(None);
            }
            // It never left, so nothing can have been applied: known only of an intent whose
            // console notes the leaving (one with an owner; an older console notes neither),
            // and closed only if it has still not left when the journal changes.
            if entry.sent_at.is_none() && entry.owner.is_some() {
                return crate::in_place(|| self.journal.close_never_sent(entry.id));
            }
        }
        let (operations, d1_ahead) = self.operations_of(entry).await?;
        crate::in_place(|| self.conclude(entry, &operations, d1_ahead))
    }

    /// What D1's `operations` on `entry`'s target (read with D1's clock `d1_ahead` of ours)
    /// say of it, recorded: the entry when it changed.
    fn conclude(
        &self,
        entry: &Entry,
        operations: &[Operation],
        d1_ahead: chrono::TimeDelta,
    ) -> Result<Option<Entry>> {
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
            return self.journal.record(entry.id, state, None, detail, None);
        }
        // No operationId: the answer was lost (UNKNOWN) or the console stopped before it came
        // (INTENT). D1's list says whether the write was applied.
        // The settle time counts from when the request left; D1's times are compared with
        // that moment on D1's clock, so a workstation clock that is off moves nothing.
        let sent = parse_time(entry.sent_at.as_deref().unwrap_or(&entry.created_at))?;
        // A write taken over from another workstation may still leave from there until then.
        let settle_from = match entry.settle_from.as_deref() {
            Some(time) => parse_time(time)?.max(sent),
            None => sent,
        };
        let (Some(sent_on_d1), Some(settle_from_on_d1)) = (
            sent.checked_add_signed(d1_ahead),
            settle_from.checked_add_signed(d1_ahead),
        ) else {
            return Ok(None);
        };
        let window = (sent_on_d1 - CLOCK_SKEW)
            ..=(settle_from_on_d1
                + chrono::Duration::from_std(self.settle + CLOCK_SKEW)
                    .unwrap_or(chrono::TimeDelta::MAX));
        // Far enough before the write that no clock, ours or D1's, is that far off.
        let earliest = sent_on_d1 - NEAR;
        let wanted = entry.intent.kind.operation_kind();
        // An unclaimed operation that might be this write keeps the entry unresolved rather than
        // calling it safe to send again: one whose kind this console does not know, one whose
        // time cannot be read, and one of this kind that a clock off by minutes would put
        // outside the window.
        let mut unsure = false;
        for operation in operations {
            // Another party's operation (a merchant deleting its token) is never this write.
            if is_another_party_s(operation) {
                continue;
            }
            let unknown_kind = matches!(operation.operation, OperationKind::Unknown(_));
            if (operation.operation != wanted && !unknown_kind)
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
            if unknown_kind || !window.contains(&started) {
                // Near the write, or any time after it (a clock corrected since it left).
                unsure |= started >= earliest;
                continue;
            }
            // A token's operations come from several parties: one that would be this write but
            // does not name the bank keeps the entry unresolved, and is never taken for it.
            if entry.intent.kind.target() == WriteTarget::Token
                && operation.requestor_type != Some(RequestorType::Issuer)
            {
                unsure = true;
                continue;
            }
            // D1 may leave the reason out of its list; a different reason is another write.
            let same_reason = operation.reason.is_none()
                || operation.reason.as_deref() == entry.intent.reason.as_deref();
            if same_reason {
                return self.journal.record(
                    entry.id,
                    state_of(&operation.status),
                    Some(&operation.operation_id),
                    Some(Note::RESOLVED_FROM_D1),
                    Some(Note::ResolvedFromD1),
                );
            }
        }
        // Clocks further apart than the skew allowed may have moved since the write left (a
        // clock set right after a crash): D1's list was read on its clock above, but "not
        // applied" is never concluded on such a difference.
        let clocks_apart =
            chrono::Duration::from_std(CLOCK_SKEW).map_or(true, |skew| d1_ahead.abs() > skew);
        if clocks_apart {
            tracing::warn!(
                entry = entry.id,
                d1_ahead_seconds = d1_ahead.num_seconds(),
                "D1's clock and this computer's disagree: the write stays unresolved until they agree or D1 lists it"
            );
        }
        let age = Utc::now() - settle_from;
        if unsure || clocks_apart || age.to_std().unwrap_or_default() < self.settle {
            return Ok(None);
        }
        self.journal.record(
            entry.id,
            State::Failed,
            None,
            Some(Note::NOT_APPLIED),
            Some(Note::NotApplied),
        )
    }

    /// D1's operations on `entry`'s target, and how far D1's clock is ahead of ours (from the
    /// answer's `Date`; zero when D1 sent none).
    async fn operations_of(&self, entry: &Entry) -> Result<(Vec<Operation>, chrono::TimeDelta)> {
        let session = self.session;
        let page = d1::Page {
            offset: 0,
            count: 50,
        };
        let call = d1::Call::default();
        let invalid = |e: d1::InvalidId| Error::Internal(e.to_string());
        let target = &entry.intent.target;
        let list = match entry.intent.kind.target() {
            WriteTarget::Card => {
                let card = d1::CardId::new(target).map_err(invalid)?;
                session.d1.card_operations(&card, page, call).await?
            }
            WriteTarget::Consumer => {
                let consumer = d1::ConsumerId::new(target).map_err(invalid)?;
                session
                    .d1
                    .consumer_operations(&consumer, page, call)
                    .await?
            }
            WriteTarget::Token => {
                let token = d1::DigitalCardId::new(target).map_err(invalid)?;
                session
                    .d1
                    .digital_card_operations(&token, page, call)
                    .await?
            }
        };
        let d1_ahead = list
            .server_time
            .map(|d1_now| DateTime::<Utc>::from(d1_now) - Utc::now())
            .unwrap_or_default();
        Ok((list.value.operations, d1_ahead))
    }
}

/// Whether `operation` names a requestor that is surely not the bank (one this console does not
/// know may be the bank under another name).
fn is_another_party_s(operation: &Operation) -> bool {
    matches!(
        &operation.requestor_type,
        Some(requestor) if *requestor != RequestorType::Issuer
            && !matches!(requestor, RequestorType::Unknown(_))
    )
}

fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Internal(format!("bad time {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
