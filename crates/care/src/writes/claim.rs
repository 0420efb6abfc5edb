//! Team mode's side of a write: its target claimed in the team store before the request may
//! leave (one write per card or consumer across every workstation), held with a lease
//! immediately before it leaves, and its outcome told to the store. The local journal stays
//! the first record of the intent: it is written before the claim, and it remembers what the
//! store was last told, so an outcome the store missed is told on a later pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use team::claims::{Claimed, Holder, Outcome, Target, TargetKind};

use crate::environments::Environment;
use crate::journal::{Entry, Journal, Note, State};
use crate::writes::WriteKind;
use crate::{Error, Result};

/// How long the same write on the same target, once applied, keeps another from being sent:
/// two agents acting on one customer's call send it once.
pub(crate) const DONE_WITHIN: Duration = Duration::from_secs(600);

/// A few connections to the team store as this operator's login, used in turn, so that
/// concurrent writes' claims do not queue behind each other on one connection.
pub(crate) struct Connections {
    clients: Vec<Arc<tokio_postgres::Client>>,
    next: AtomicUsize,
}

impl Connections {
    /// `clients` (at least one) used in turn.
    pub(crate) fn new(clients: Vec<Arc<tokio_postgres::Client>>) -> Self {
        Self {
            clients,
            next: AtomicUsize::new(0),
        }
    }

    /// The next connection in turn.
    pub(crate) fn next(&self) -> &tokio_postgres::Client {
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        &self.clients[turn % self.clients.len()]
    }

    /// One connection to keep (a batch's heartbeat).
    pub(crate) fn shared(&self) -> Arc<tokio_postgres::Client> {
        self.clients[0].clone()
    }

    /// Whether any of them has closed (the store went away): they are all made again.
    pub(crate) fn is_closed(&self) -> bool {
        self.clients.iter().any(|c| c.is_closed())
    }
}

/// Connections to the team store and what names this workstation's writes there.
pub(crate) struct TeamClaims {
    /// This operator's login's connections.
    pub(crate) connections: Arc<Connections>,
    /// The D1 environment's identity (see [`identity`]).
    pub(crate) environment: String,
    /// This workstation's name.
    pub(crate) workstation: String,
    /// How long a claim is held for its send (renewed immediately before it).
    pub(crate) lease: Duration,
    /// The batch in the team store whose items the writes are, when they are: only its runner
    /// may claim them.
    pub(crate) batch: Option<String>,
    /// Until when (on [`boot_clock`], in milliseconds) this process holds that batch, as its
    /// heartbeat last renewed it.
    pub(crate) batch_held_until: Option<Arc<AtomicU64>>,
}

/// A clock that keeps counting while this process is stopped and while the computer sleeps
/// (Linux: `CLOCK_BOOTTIME`), so that a sender stopped past its lease knows it on waking.
pub(crate) fn boot_clock() -> Duration {
    #[cfg(target_os = "linux")]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        Duration::new(
            u64::try_from(now.tv_sec).unwrap_or(0),
            u32::try_from(now.tv_nsec).unwrap_or(0),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed()
    }
}

/// [`boot_clock`] in whole milliseconds.
pub(crate) fn boot_millis() -> u64 {
    u64::try_from(boot_clock().as_millis()).unwrap_or(u64::MAX)
}

/// Until when a write whose claim was just marked sending may still leave: well inside its
/// lease, by [`boot_clock`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendWindow {
    until_millis: u64,
}

/// The identity of a D1 environment across workstations: its base URL (however it was typed)
/// and issuerId, never the name an operator gave it.
pub(crate) fn identity(environment: &Environment) -> String {
    format!(
        "{} {}",
        canonical_url(&environment.base_url),
        environment.issuer_id
    )
}

/// `base` as one URL is written whatever way it was typed: scheme and host in lower case, no
/// default port, no trailing slash.
fn canonical_url(base: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let scheme = scheme.to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    let authority = match scheme.as_str() {
        "https" => authority.strip_suffix(":443").unwrap_or(&authority),
        _ => &authority,
    };
    match path.trim_end_matches('/') {
        "" => format!("{scheme}://{authority}"),
        path => format!("{scheme}://{authority}/{path}"),
    }
}

/// "already in progress: opt out card by A-0042 on WS-17 since 2026-12-06 10:42 UTC
/// (SENDING)", or "already done: …" for the same write just applied, for the command line and
/// the logs (the window puts the holder in the operator's language).
pub(crate) fn in_progress_words(holder: &Holder) -> String {
    let since = chrono::DateTime::parse_from_rfc3339(&holder.since)
        .map(|t| t.to_utc().format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| holder.since.clone());
    let (what, when) = match holder.state.as_str() {
        "SUCCESSFUL" => ("already done", "at"),
        _ => ("already in progress", "since"),
    };
    format!(
        "{what}: {} by {} on {} {when} {since} ({}); nothing was sent",
        holder.kind.to_lowercase().replace('_', " "),
        holder.operator,
        holder.workstation,
        holder.state
    )
}

/// The refusal of a write while the team store cannot be reached (`why`, in words).
pub(crate) fn unreachable(why: &str) -> Error {
    Error::ClaimUnavailable(format!(
        "writes are refused while the team store cannot be reached, so that no card is written twice by two workstations; nothing was sent. Reads still work. ({why})"
    ))
}

impl TeamClaims {
    /// A connection to the store, the next in turn.
    pub(crate) fn client(&self) -> &tokio_postgres::Client {
        self.connections.next()
    }

    /// Claims `target` (of `consumer`) for a write of `kind` carrying `correlation_id`: its id,
    /// or [`Error::AlreadyInProgress`] naming who holds it, or [`Error::ClaimUnavailable`].
    pub(crate) async fn claim(
        &self,
        kind: WriteKind,
        target: &str,
        consumer: &str,
        correlation_id: &str,
        batch: Option<(&str, i32)>,
    ) -> Result<i64> {
        let target = Target {
            environment: self.environment.clone(),
            kind: crate::wire_name(kind),
            target_kind: match kind.is_card() {
                true => TargetKind::Card,
                false => TargetKind::Consumer,
            },
            target: target.to_owned(),
            consumer: consumer.to_owned(),
        };
        let claimed = team::claims::claim(
            self.client(),
            &target,
            &self.workstation,
            team::claims::Terms {
                correlation_id,
                lease: self.lease,
                done_within: DONE_WITHIN,
                batch,
            },
        )
        .await
        .map_err(|e| claim_error(&e))?;
        match claimed {
            Claimed::Ours(id) => Ok(id),
            Claimed::InProgress(holder) if holder.state == "RUNNER" => {
                let by = match holder.operator.is_empty() {
                    true => "no workstation holds it now".to_owned(),
                    false => format!("it is run by {} on {}", holder.operator, holder.workstation),
                };
                Err(Error::BatchTaken(format!(
                    "this workstation no longer holds the batch ({by}: it was taken over); nothing more is sent from here"
                )))
            }
            Claimed::InProgress(holder) => {
                Err(Error::AlreadyInProgress(in_progress_words(&holder)))
            }
        }
    }

    /// Whether claim `id` is still this login's to send, renewing its lease: asked
    /// immediately before the request leaves. The window says until when it may leave.
    pub(crate) async fn hold_for_send(&self, id: i64) -> Result<Option<SendWindow>> {
        let start = boot_millis();
        let held = team::claims::hold_for_send(self.client(), id, self.lease)
            .await
            .map_err(|e| claim_error(&e))?;
        let margin = u64::try_from((self.lease / 4).as_millis()).unwrap_or(u64::MAX);
        let lease = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
        Ok(held.then_some(SendWindow {
            until_millis: start.saturating_add(lease.saturating_sub(margin)),
        }))
    }

    /// Whether a write whose claim was held with `window` may leave now: inside the window, and
    /// (for a batch item) while this process still holds the batch. False after this process was
    /// stopped or asleep past either: the store may have given the write to another.
    pub(crate) fn may_send(&self, window: SendWindow) -> bool {
        let now = boot_millis();
        let batch_held = self
            .batch_held_until
            .as_ref()
            .is_none_or(|until| now < until.load(Ordering::SeqCst));
        now < window.until_millis && batch_held
    }

    /// Tells the store what became of `entry`'s write, when there is something new to tell,
    /// and notes it in the journal.
    pub(crate) async fn tell(&self, journal: &Journal, entry: &Entry) -> Result<()> {
        let Some(claim) = &entry.claim else {
            return Ok(());
        };
        let Some(outcome) = due(entry) else {
            return Ok(());
        };
        let word = outcome.word();
        if claim.told.as_deref() == Some(word) {
            return Ok(());
        }
        let told = team::claims::finish(
            self.client(),
            claim.id,
            outcome,
            entry.operation_id.as_deref(),
        )
        .await
        .map_err(Error::from)?;
        if !told {
            // The store no longer lets this login change it (released by an administrator,
            // or lapsed): nothing more to tell.
            tracing::warn!(
                entry = entry.id,
                claim = claim.id,
                "the team store no longer takes this write's outcome"
            );
        }
        journal.set_claim_told(entry.id, word)
    }

    /// Tells the store every outcome it has not been told yet (after it was out of reach), and
    /// abandons the claims whose answer was lost for writes that never left; stops at the first
    /// failure.
    pub(crate) async fn tell_untold(
        &self,
        journal: &Journal,
        in_flight: &super::InFlight,
    ) -> Result<()> {
        for (id, correlation_id) in journal.claims_unsure()? {
            team::claims::abandon(self.client(), &correlation_id)
                .await
                .map_err(|e| claim_error(&e))?;
            journal.set_claim_told(id, "NOT_SENT")?;
        }
        for entry in journal.claims_not_final()? {
            if !in_flight.contains(&entry) {
                self.tell(journal, &entry).await?;
            }
        }
        Ok(())
    }
}

/// A team store failure on the way to a write: a refusal by the store is its own error;
/// anything else means the store cannot be reached, and the write is refused.
pub(crate) fn claim_error(error: &team::Error) -> Error {
    match error {
        team::Error::Refused(words) => Error::TeamStore(format!("the team store refused: {words}")),
        other => unreachable(&other.to_string()),
    }
}

/// What the store is to be told of `entry`'s write: nothing while the request may still be on
/// its way; PENDING or UNKNOWN while it is followed; its end once final.
pub(crate) fn due(entry: &Entry) -> Option<Outcome> {
    match entry.state {
        State::Intent => None,
        State::Pending => Some(Outcome::Pending),
        State::Unknown => Some(Outcome::Unknown),
        State::Successful => Some(Outcome::Successful),
        State::Failed if matches!(entry.note, Some(Note::NotApplied | Note::SlowDown)) => {
            Some(Outcome::NotSent)
        }
        State::Failed => Some(Outcome::Failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_d1_has_one_identity_however_its_url_was_typed() {
        for typed in [
            "https://d1.bank.example/banking/v1",
            "HTTPS://D1.Bank.Example/banking/v1/",
            "https://d1.bank.example:443/banking/v1",
            " https://d1.bank.example/banking/v1// ",
        ] {
            assert_eq!(
                canonical_url(typed),
                "https://d1.bank.example/banking/v1",
                "{typed}"
            );
        }
        assert_eq!(
            canonical_url("https://d1.bank.example:8443/banking/v1"),
            "https://d1.bank.example:8443/banking/v1"
        );
        assert_ne!(
            canonical_url("https://d1.bank.example/banking/V1"),
            canonical_url("https://d1.bank.example/banking/v1"),
            "a path is as the server names it"
        );
    }
}
