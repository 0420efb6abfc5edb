//! One write that is never lost: the ids checked and the bank's record read, the intent
//! committed to the operations journal **before** the request leaves, one D1 call (never
//! retried), the outcome recorded: PENDING, SUCCESSFUL, FAILED, or UNKNOWN when the answer was
//! lost. The [`super::tracker`] then follows it until it is final.

use std::time::Duration;

use d1::wire::{Accepted, OperationStatus};

use super::claim::{SendWindow, TeamClaims};
use super::in_flight::InFlightGuard;
use super::kind::WriteTarget;
use super::{InFlight, WriteKind};
use crate::audit_log::Recorder;
use crate::bank::IssuerConsumer;
use crate::environments::Session;
use crate::journal::{BatchLink, Entry, Journal, NewIntent, Note, State};
use crate::policy::Permit;
use crate::{Error, Result, in_place};

/// Whether `emergency` has not reached its end.
fn emergency_runs(emergency: &crate::journal::Emergency) -> bool {
    chrono::DateTime::parse_from_rfc3339(&emergency.until)
        .is_ok_and(|until| until > chrono::Utc::now())
}

/// Whether `entry` surely was not applied by D1 and may be sent again as a new intent: the
/// tracker found no trace of it, or D1 refused it with a 429 (d1's `RateLimited`).
pub(crate) fn may_send_again(entry: &Entry) -> bool {
    entry.state == State::Failed && matches!(entry.note, Some(Note::NotApplied | Note::SlowDown))
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
    /// Whether the consumer asked (`USER_DECISION`) rather than the bank (`ISSUER_DECISION`),
    /// for a Click to Pay write.
    pub user_decision: bool,
    /// A token's write: its reason code (required there, and nowhere else).
    #[serde(default)]
    pub token_reason: Option<crate::tokens::TokenReason>,
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
    /// A token, its card and that card's consumer (for the claim).
    Token(d1::DigitalCardId, TokenOwner),
}

/// The card a token belongs to, and that card's consumer in the bank's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenOwner {
    /// The card.
    pub(crate) card_id: String,
    /// The card's consumer.
    pub(crate) consumer_id: String,
}

/// A write's reason code: Click to Pay's or a token's.
#[derive(Debug, Clone, Copy)]
enum Code {
    ClickToPay(d1::wire::ReasonCode),
    Token(d1::wire::TokenReasonCode),
}

/// What a write needs: the journal it is recorded in, the active environment's clients, the
/// registry of calls on their way, the audit trail, and in team mode the team store's claims.
pub(crate) struct Writer<'a> {
    pub(crate) journal: &'a Journal,
    pub(crate) session: &'a Session,
    pub(crate) in_flight: &'a InFlight,
    pub(crate) audit: Recorder<'a>,
    pub(crate) claims: Option<&'a TeamClaims>,
    /// Team mode with the store out of reach: the emergency mode a fraud analyst declared, in
    /// which the write goes out unclaimed, flagged in the trail, to be claimed later.
    pub(crate) emergency: Option<&'a crate::journal::Emergency>,
}

/// A write journaled (and in team mode claimed) whose request is about to leave: what
/// [`Writer::ready`] gives and [`Writer::send_ready`] sends, or [`Writer::withdraw`] closes unsent.
pub(crate) struct Ready<'a> {
    entry: Entry,
    kind: WriteKind,
    prepared: Prepared,
    reason: Option<d1::Reason>,
    reason_code: Code,
    correlation_id: d1::CorrelationId,
    /// Team mode: the claim's id and until when the request may leave.
    claim: Option<(i64, SendWindow)>,
    /// Emergency mode: the target's consumer, for the write to be claimed once the store is
    /// back (it leaves unclaimed).
    unclaimed: Option<String>,
    _in_flight: InFlightGuard<'a>,
}

/// What [`Writer::ready`] came to: a write ready to leave, or one that ended before (its token
/// never came: not sent, safe to send again).
pub(crate) enum Step<'a> {
    Ready(Box<Ready<'a>>),
    Done(Box<Written>),
}

impl<'a> Writer<'a> {
    /// Does `request` under `permit` (which must be for its kind): intent journaled (and linked
    /// to the batch item `link`), one D1 call, outcome journaled and audited. Returns the journal
    /// entry (PENDING, SUCCESSFUL, FAILED or UNKNOWN) and how long D1 asked to wait after a 429.
    pub(crate) async fn write(
        &self,
        permit: &Permit,
        request: WriteRequest,
        link: Option<&BatchLink>,
    ) -> Result<Written> {
        match self.ready(permit, request, link).await? {
            Step::Ready(ready) => self.send_ready(*ready).await,
            Step::Done(written) => Ok(*written),
        }
    }

    /// Everything before the request leaves: ids checked and the bank's record read, the intent
    /// journaled and audited, the token ready, and in team mode the target claimed. A batch does
    /// this while earlier items are on the wire, then waits for its turn to send.
    pub(crate) async fn ready(
        &self,
        permit: &Permit,
        request: WriteRequest,
        link: Option<&BatchLink>,
    ) -> Result<Step<'a>> {
        if permit.permission() != request.kind.permission() {
            return Err(Error::Internal(format!(
                "a {:?} permit does not cover {:?}",
                permit.permission(),
                request.kind
            )));
        }
        let session = self.session;
        if permit.environment() != session.environment.name {
            return Err(Error::InvalidInput(format!(
                "the environment in use changed while this write was prepared ({} → {}); nothing was sent: check which environment is in use and try again",
                session.environment.name,
                permit.environment()
            )));
        }
        let reason = request
            .reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(d1::Reason::new)
            .transpose()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let prepared = prepare(session, &request).await?;
        self.refuse_past_emergency()?;
        let consumer = match (self.claims, self.emergency) {
            (None, None) => None,
            _ => Some(consumer_of(session, &prepared).await?),
        };
        let correlation_id = d1::CorrelationId::random();
        let in_flight = self.in_flight.hold(&correlation_id);
        let reason_code = match (&prepared, request.token_reason) {
            (Prepared::Token(..), Some(code)) => Code::Token(code.to_wire()),
            (Prepared::Token(..), None) => {
                return Err(Error::InvalidInput(
                    "a token's write needs a reason code: nothing was sent".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(Error::InvalidInput(
                    "a token's reason code was given for a write that is not a token's: nothing was sent".into(),
                ));
            }
            (_, None) if request.user_decision => {
                Code::ClickToPay(d1::wire::ReasonCode::UserDecision)
            }
            (_, None) => Code::ClickToPay(d1::wire::ReasonCode::IssuerDecision),
        };
        let entry = in_place(|| {
            self.journal.record_linked_intent(
                NewIntent {
                    kind: request.kind,
                    target: request.target.clone(),
                    reason: reason.as_ref().map(|r| r.as_str().to_owned()),
                    reason_code: match reason_code {
                        Code::ClickToPay(code) => crate::wire_name(code),
                        Code::Token(code) => crate::wire_name(code),
                    },
                    correlation_id: correlation_id.as_str().to_owned(),
                    environment: session.environment.name.clone(),
                    operator: permit.operator().to_owned(),
                },
                link,
                self.claims.is_some(),
            )
        })?;
        // The reason code and the operator's reason (checked free of personal data by the
        // console) beside the role the recorder names.
        let recorded = format!(
            "recorded; reason code {}; reason: {}",
            entry.intent.reason_code,
            entry.intent.reason.as_deref().unwrap_or("none given")
        );
        in_place(|| {
            self.audit.record_call(
                request.kind.intent_event(),
                Some(&request.target),
                &recorded,
                None,
                Some(correlation_id.as_str()),
            )
        })?;
        // The token first, so that the moment noted as the request's leaving is that moment:
        // a write whose token never came never left (and never claimed its target).
        let ready = session
            .d1
            .ready(d1::Call {
                correlation_id: Some(correlation_id.clone()),
            })
            .await;
        if let Err(error) = ready {
            return self
                .never_sent(entry, &error)
                .map(|written| Step::Done(Box::new(written)));
        }
        // Team mode: the target claimed across every workstation, as sending with a lease,
        // after the local journal holds the intent and right before the request leaves.
        let claim = match (self.claims, &consumer) {
            (Some(claims), Some(consumer)) => {
                let batch = claims
                    .batch
                    .as_deref()
                    .zip(link.and_then(|l| i32::try_from(l.seq).ok()));
                match claims
                    .claim(
                        request.kind,
                        &request.target,
                        (consumer, token_card(&prepared)),
                        correlation_id.as_str(),
                        batch,
                    )
                    .await
                {
                    Ok(claimed) => Some(claimed),
                    // The journal notes the store may hold a claim (its answer lost): it is
                    // abandoned once the store answers again.
                    Err(error) => return Err(self.refused_before_sending(entry, error)),
                }
            }
            _ => None,
        };
        let unclaimed = consumer
            .filter(|_| self.emergency.is_some() && self.claims.is_none())
            .map(|consumer| super::claim::owner_key(&consumer, token_card(&prepared)));
        Ok(Step::Ready(Box::new(Ready {
            entry,
            kind: request.kind,
            prepared,
            reason,
            reason_code,
            correlation_id,
            claim,
            unclaimed,
            _in_flight: in_flight,
        })))
    }

    /// Refuses a write in emergency mode once that mode has ended (End, or past its time):
    /// writes wait for the store again.
    fn refuse_past_emergency(&self) -> Result<()> {
        match self.emergency {
            Some(emergency)
                if !emergency_runs(emergency)
                    || in_place(|| self.journal.emergency())?.as_ref() != Some(emergency) =>
            {
                Err(super::claim::unreachable(&format!(
                    "the emergency mode declared by {} ended at {}",
                    emergency.operator, emergency.until
                )))
            }
            _ => Ok(()),
        }
    }

    /// Sends a write [`Writer::ready`] made ready: marked sent in the journal (with its claim),
    /// the last look at the claim's lease, one D1 call, the outcome journaled, audited and told
    /// to the team store.
    pub(crate) async fn send_ready(&self, ready: Ready<'a>) -> Result<Written> {
        let Ready {
            entry,
            kind,
            prepared,
            reason,
            reason_code,
            correlation_id,
            claim,
            unclaimed,
            _in_flight,
        } = ready;
        // Unclaimed (emergency mode) only while that mode runs, decided immediately before
        // the request leaves.
        if unclaimed.is_some()
            && let Err(error) = self.refuse_past_emergency()
        {
            return Err(self.refused_before_sending(entry, error));
        }
        let marked = match (claim, &unclaimed) {
            (Some((id, _)), _) => in_place(|| self.journal.mark_sent_claimed(entry.id, id))?,
            (None, Some(consumer)) => {
                in_place(|| self.journal.mark_sent_unclaimed(entry.id, consumer))?
            }
            (None, None) => in_place(|| self.journal.mark_sent(entry.id))?,
        };
        if !marked {
            // Another console sharing the journal closed it while it was made ready: not sent.
            let written = self.finished(entry.id, None, None);
            self.tell_claim(&written);
            return written;
        }
        if let (Some(emergency), Some(_)) = (self.emergency, &unclaimed) {
            // Flagged in the trail before it leaves (an alert once it reaches the store); the
            // journal already notes it is to be claimed once the store is back.
            let flagged = in_place(|| {
                self.audit.record_call(
                    crate::audit_log::AuditEvent::EmergencyWrite,
                    Some(&entry.intent.target),
                    &format!(
                        "sent unclaimed, the team store out of reach; emergency mode declared by {} until {}",
                        emergency.operator, emergency.until
                    ),
                    None,
                    Some(&entry.intent.correlation_id),
                )
            });
            if let Err(error) = flagged {
                return Err(self.refused_before_sending(entry, error));
            }
        }
        // The last look before the request leaves (after the journal's write, so nothing slow
        // stands between it and the send): this process was not stopped or asleep past its
        // claim's lease (nor, for a batch item, past its hold of the batch).
        if let (Some(claims), Some((_, window))) = (self.claims, claim)
            && !claims.may_send(window)
        {
            let id = entry.id;
            let error = self.refused_before_sending(
                entry,
                Error::AlreadyInProgress(
                    "the team store may no longer hold this write's claim for this workstation (its lease ran out while this process was stopped or asleep, or its batch was taken over); nothing was sent: look at the team's operations before trying again".into(),
                ),
            );
            if let Ok(Some(closed)) = self.journal.get(id) {
                claims.tell_later(closed);
            }
            return Err(error);
        }
        let sent = send(
            self.session,
            kind,
            prepared,
            reason,
            reason_code,
            correlation_id,
        )
        .await;
        let retry_after = sent.as_ref().err().and_then(slow_down);
        let recorded = in_place(|| match sent {
            Ok(accepted) => self.journal.record(
                entry.id,
                state_of(&accepted.status),
                Some(&accepted.operation_id),
                None,
                None,
            ),
            Err(error) => self.journal.record(
                entry.id,
                state_after(&error),
                None,
                Some(&error.to_string()),
                retry_after.map(|_| Note::SlowDown),
            ),
        })?;
        let written = in_place(|| self.finished(entry.id, recorded, retry_after));
        self.tell_claim(&written);
        written
    }

    /// Closes a write made ready that will not leave after all (`why`: its batch was paused or
    /// cancelled while it waited for its turn) as not applied, safe to send again, and frees its
    /// claim before it returns (so that the item can be claimed again at once on resume).
    pub(crate) async fn withdraw(&self, ready: Ready<'a>, why: &str) -> Result<Written> {
        let entry = ready.entry;
        if let Some((claim, _)) = ready.claim {
            self.journal.note_claim(entry.id, claim)?;
        }
        let recorded = self.close_not_applied(&entry, &format!("{}: {why}", Note::NOT_APPLIED))?;
        let written = self.finished(entry.id, recorded, None)?;
        if let Some(claims) = self.claims
            && let Err(error) = claims.tell(&written.entry).await
        {
            tracing::warn!(entry = written.entry.id, code = ?error.code(), %error, "the team store will be told later that this write never left");
        }
        Ok(written)
    }

    /// Tells the team store what became of the write, in the background.
    fn tell_claim(&self, written: &Result<Written>) {
        if let (Some(claims), Ok(written)) = (self.claims, written) {
            claims.tell_later(written.entry.clone());
        }
    }

    /// Closes `entry`, which the team store's claim kept from leaving (`error` says why), as
    /// not applied (safe to send again), records the refusal, and returns `error` (or what
    /// kept it from being recorded).
    fn refused_before_sending(&self, entry: Entry, error: Error) -> Error {
        let closed = || -> Result<()> {
            let recorded = self.close_not_applied(&entry, &format!("not sent: {error}"))?;
            self.audit.record(
                crate::audit_log::AuditEvent::WriteHeld,
                Some(&entry.intent.target),
                &format!("refused: {error}"),
            )?;
            self.finished(entry.id, recorded, None)?;
            Ok(())
        };
        match closed() {
            Ok(()) => error,
            Err(failure) => failure,
        }
    }

    /// Closes `entry`, whose request never left because `error` came first (the token), as
    /// not applied and safe to send again.
    fn never_sent(&self, entry: Entry, error: &d1::Error) -> Result<Written> {
        let recorded =
            self.close_not_applied(&entry, &format!("{}: {error}", Note::NOT_APPLIED))?;
        self.finished(entry.id, recorded, slow_down(error))
    }

    /// Records `entry`, which never left, as FAILED and not applied (safe to send again).
    fn close_not_applied(&self, entry: &Entry, detail: &str) -> Result<Option<Entry>> {
        self.journal.record(
            entry.id,
            State::Failed,
            None,
            Some(detail),
            Some(Note::NotApplied),
        )
    }

    /// Audits the outcome `recorded` for entry `id`; `None` means that another process sharing
    /// the journal finished it first (and audited it), and its entry is read back.
    fn finished(
        &self,
        id: i64,
        recorded: Option<Entry>,
        retry_after: Option<Duration>,
    ) -> Result<Written> {
        let entry = match recorded {
            Some(entry) => {
                record_outcome(&self.audit, self.journal, &entry)?;
                entry
            }
            None => self
                .journal
                .get(id)?
                .ok_or_else(|| Error::Internal(format!("journal entry {id} vanished")))?,
        };
        Ok(Written { entry, retry_after })
    }
}

/// How long D1 asked to wait, when `error` is its 429.
fn slow_down(error: &d1::Error) -> Option<Duration> {
    match error {
        d1::Error::RateLimited { retry_after, .. } => {
            Some(retry_after.unwrap_or(Duration::from_secs(1)))
        }
        _ => None,
    }
}

/// Audits what became of `entry`. When the audit log cannot take it (a full disk, a lock), the
/// outcome waits in the journal's outbox for [`flush_outbox`] instead of being lost.
pub(crate) fn record_outcome(audit: &Recorder<'_>, journal: &Journal, entry: &Entry) -> Result<()> {
    if let Err(error) = audit_outcome(audit, entry) {
        journal.set_unaudited(entry.id, true)?;
        tracing::warn!(entry = entry.id, code = ?error.code(), %error, "an outcome waits for the audit log");
    }
    Ok(())
}

/// Writes the outcomes waiting in the journal's outbox to the audit log, oldest first; stops at
/// the first the log still refuses (its error says why).
pub(crate) fn flush_outbox(audit: &Recorder<'_>, journal: &Journal) -> Result<()> {
    for entry in journal.unaudited()? {
        audit_outcome(audit, &entry)?;
        journal.set_unaudited(entry.id, false)?;
    }
    Ok(())
}

/// Records what became of `entry`, under the operator who asked for the write.
fn audit_outcome(audit: &Recorder<'_>, entry: &Entry) -> Result<()> {
    audit.on_behalf_of(&entry.intent.operator).record_call(
        entry.intent.kind.outcome_event(),
        Some(&entry.intent.target),
        &crate::wire_name(entry.state),
        entry.operation_id.as_deref(),
        Some(&entry.intent.correlation_id),
    )
}

/// Validates ids and, for enrol and update, reads the bank's record the write carries; for a
/// token, reads which card it is of and that card's consumer.
async fn prepare(session: &Session, request: &WriteRequest) -> Result<Prepared> {
    let needs_record = request.kind.needs_record();
    if request.kind.target() == WriteTarget::Token {
        let token = d1::DigitalCardId::new(&request.target)?;
        let owner = token_owner(session, &token).await?;
        Ok(Prepared::Token(token, owner))
    } else if request.kind.target() == WriteTarget::Card {
        let card = d1::CardId::new(&request.target)?;
        let record = match needs_record {
            false => None,
            true => Some(bank_record_of_card(session, &request.target).await?),
        };
        Ok(Prepared::Card(card, record))
    } else {
        let consumer = d1::ConsumerId::new(&request.target)?;
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

/// The card token `token` belongs to (read from D1) and that card's consumer in the bank's
/// records: a token of a card the bank does not hold is not the bank's to write.
pub(crate) async fn token_owner(
    session: &Session,
    token: &d1::DigitalCardId,
) -> Result<TokenOwner> {
    let card_id = session
        .d1
        .digital_card(token, d1::Call::default())
        .await?
        .value
        .card_id;
    let consumer_id = session.records.consumer_of_card(&card_id).await?;
    Ok(TokenOwner {
        card_id,
        consumer_id,
    })
}

/// A token's card, for a token's write.
fn token_card(prepared: &Prepared) -> Option<&str> {
    match prepared {
        Prepared::Token(_, owner) => Some(&owner.card_id),
        _ => None,
    }
}

/// The consumer a write is on, for its claim: the consumer itself, the card's consumer in the
/// bank's records (the card itself when the bank does not know it: then only writes on that
/// card exclude it), or a token's card's consumer.
async fn consumer_of(session: &Session, prepared: &Prepared) -> Result<String> {
    match prepared {
        Prepared::Consumer(consumer, _) => Ok(consumer.as_str().to_owned()),
        Prepared::Token(_, owner) => Ok(owner.consumer_id.clone()),
        Prepared::Card(_, Some((record, _))) => Ok(record.consumer_id.clone()),
        // One search: its summary lists the consumer's cards.
        Prepared::Card(card, None) => Ok(session
            .records
            .search(card.as_str(), 1)
            .await?
            .consumers
            .into_iter()
            .find(|c| c.cards.iter().any(|c| c.card_id == card.as_str()))
            .map_or_else(|| card.as_str().to_owned(), |c| c.consumer_id)),
    }
}

async fn bank_record_of_card(session: &Session, card_id: &str) -> Result<(IssuerConsumer, usize)> {
    let not_found = || Error::NotFound(format!("the bank has no card {card_id}"));
    let found = session.records.search(card_id, 1).await?;
    let summary = found.consumers.into_iter().next().ok_or_else(not_found)?;
    let consumer =
        d1::ConsumerId::new(&summary.consumer_id).map_err(|e| Error::Internal(e.to_string()))?;
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

/// The one D1 call of a write.
async fn send(
    session: &Session,
    kind: WriteKind,
    prepared: Prepared,
    reason: Option<d1::Reason>,
    reason_code: Code,
    correlation_id: d1::CorrelationId,
) -> std::result::Result<Accepted, d1::Error> {
    let d1 = &session.d1;
    let (reason_code, prepared) = match (reason_code, kind.token_action(), prepared) {
        (Code::Token(reason_code), Some(action), Prepared::Token(token, _)) => {
            let write = d1::TokenWrite {
                reason,
                reason_code,
                correlation_id: Some(correlation_id),
            };
            return d1
                .digital_card_write(&token, action, write)
                .await
                .map(|r| r.value);
        }
        (Code::ClickToPay(code), None, prepared) => (code, prepared),
        _ => {
            return Err(d1::Error::InvalidRequest(
                "the write and its target do not match".into(),
            ));
        }
    };
    let write = d1::Write {
        reason,
        reason_code,
        correlation_id: Some(correlation_id),
    };
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

    #[test]
    fn an_outcome_the_full_audit_log_refuses_waits_in_the_outbox_and_is_written_later() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("operations.sqlite")).unwrap();
        let log = crate::audit_log::AuditLog::open(&dir.path().join("audit.sqlite")).unwrap();
        let audit = Recorder::new(&log, "agent1", None, "ws-07");
        let entry = journal
            .record_intent(NewIntent {
                kind: WriteKind::OptOutCard,
                target: "crd-1".into(),
                reason: None,
                reason_code: "ISSUER_DECISION".into(),
                correlation_id: "cid-1".into(),
                environment: "sandbox".into(),
                operator: "agent1".into(),
            })
            .unwrap();
        let done = journal
            .record(entry.id, State::Successful, Some("op-1"), None, None)
            .unwrap()
            .unwrap();
        // Fill the log: a record is several pages' worth of nothing, so add until refused.
        log.set_full(true);
        let refused = (0..64)
            .map(|_| audit_outcome(&audit, &done))
            .find_map(Result::err)
            .expect("the full log refuses a record");
        assert!(refused.to_string().contains("disk is full"), "{refused}");
        let before = log.count().unwrap();
        record_outcome(&audit, &journal, &done).unwrap();
        assert_eq!(
            journal.unaudited().unwrap().len(),
            1,
            "waiting in the outbox"
        );
        assert_eq!(log.count().unwrap(), before);
        flush_outbox(&audit, &journal).unwrap_err();
        log.set_full(false);
        flush_outbox(&audit, &journal).unwrap();
        assert!(journal.unaudited().unwrap().is_empty());
        let last = log.after(before as i64, 10).unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].event.event, "opt_out_card_outcome");
        assert_eq!(last[0].event.result, "SUCCESSFUL");
        assert_eq!(log.verify().unwrap().first_broken, None);
    }
}
