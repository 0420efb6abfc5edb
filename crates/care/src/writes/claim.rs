//! Team mode's side of a write: its target claimed in the team store immediately before the
//! request leaves (one write per card or consumer across every workstation), as sending with a
//! lease, and its outcome told to the store in the background. The local journal stays the
//! first record of the intent: it is written before the claim, and it remembers what the store
//! was last told, so an outcome the store missed is told on a later pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use team::claims::{Claimed, Holder, Outcome, Target, TargetKind};

use crate::environments::Environment;
use crate::journal::{Entry, Journal, Note, State};
use crate::writes::WriteKind;
use crate::writes::kind::WriteTarget;
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

/// Outcomes on their way to the team store, told in the background so that a write does not
/// wait for the store's answer: one task at a time tells all that have gathered (the store's
/// calls in one round, the journal's notes in one write). [`Tells::settled`] waits for them
/// (before the team's operations are read, at the end of a batch, before the command line
/// exits); a caller that stops waiting stops nothing.
#[derive(Default)]
pub(crate) struct Tells {
    waiting: std::sync::Mutex<Vec<Entry>>,
    telling: std::sync::atomic::AtomicBool,
    idle: tokio::sync::Notify,
}

impl Tells {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The outcomes gathered so far, or none when there are none left and no task is telling
    /// (the caller then stops telling).
    fn next_round(&self) -> Vec<Entry> {
        loop {
            let round = std::mem::take(&mut *self.waiting());
            if !round.is_empty() {
                return round;
            }
            self.telling.store(false, Ordering::SeqCst);
            // One may have come between the look and the flag: tell it unless another task does.
            if self.waiting().is_empty() || self.telling.swap(true, Ordering::SeqCst) {
                self.idle.notify_waiters();
                return Vec::new();
            }
        }
    }

    /// Waits until every outcome told so far has reached the store (or failed to: it is then
    /// told on a later pass).
    pub(crate) async fn settled(&self) {
        loop {
            let idle = self.idle.notified();
            if !self.telling.load(Ordering::SeqCst) && self.waiting().is_empty() {
                return;
            }
            idle.await;
        }
    }
}

/// Connections to the team store and what names this workstation's writes there.
#[derive(Clone)]
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
    /// The console's journal, where what the store was told is noted.
    pub(crate) journal: Arc<Journal>,
    /// The outcomes being told.
    pub(crate) tells: Arc<Tells>,
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

/// Until when a write whose claim was just made may still leave: well inside its lease, by
/// [`boot_clock`].
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

/// How a write sent unclaimed notes what it will be claimed under: its consumer, and after a
/// space a token's card (ids hold no spaces).
pub(crate) fn owner_key(consumer: &str, card: Option<&str>) -> String {
    match card {
        Some(card) => format!("{consumer} {card}"),
        None => consumer.to_owned(),
    }
}

/// The consumer and token's card of an [`owner_key`].
fn split_owner(key: &str) -> (&str, Option<&str>) {
    match key.split_once(' ') {
        Some((consumer, card)) => (consumer, Some(card)),
        None => (key, None),
    }
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

    /// Claims `target` (of `owner`: its consumer, and a token's card) for a write of `kind`
    /// carrying `correlation_id`, about to leave: its id and until when it may leave, or
    /// [`Error::AlreadyInProgress`] naming who holds it, or [`Error::ClaimUnavailable`].
    pub(crate) async fn claim(
        &self,
        kind: WriteKind,
        target: &str,
        owner: (&str, Option<&str>),
        correlation_id: &str,
        batch: Option<(&str, i32)>,
    ) -> Result<(i64, SendWindow)> {
        // Counted from before the store was asked: the lease began no earlier.
        let start = boot_millis();
        let (consumer, card) = owner;
        let target = Target {
            environment: self.environment.clone(),
            kind: crate::wire_name(kind),
            target_kind: match kind.target() {
                WriteTarget::Card => TargetKind::Card,
                WriteTarget::Consumer => TargetKind::Consumer,
                WriteTarget::Token => TargetKind::Token,
            },
            target: target.to_owned(),
            consumer: consumer.to_owned(),
            card: card.map(str::to_owned),
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
            Claimed::Ours(id) => {
                let margin = u64::try_from((self.lease / 4).as_millis()).unwrap_or(u64::MAX);
                let lease = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
                let window = SendWindow {
                    until_millis: start.saturating_add(lease.saturating_sub(margin)),
                };
                Ok((id, window))
            }
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

    /// Whether a write whose claim was made with `window` may leave now: inside the window, and
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

    /// Tells the store what became of `entry`'s write in the background (see [`Tells`]); an
    /// outcome it misses is told on a later pass ([`TeamClaims::tell_untold`]).
    pub(crate) fn tell_later(&self, entry: Entry) {
        let tells = &self.tells;
        tells.waiting().push(entry);
        if tells.telling.swap(true, Ordering::SeqCst) {
            return;
        }
        let claims = self.clone();
        tokio::spawn(async move {
            loop {
                let round = claims.tells.next_round();
                if round.is_empty() {
                    return;
                }
                if let Err(error) = claims.tell_all(&round).await {
                    tracing::warn!(writes = round.len(), code = ?error.code(), %error, "the team store will be told these writes' outcomes later");
                }
            }
        });
    }

    /// Tells the store what became of each of `entries` that has something new to tell, the
    /// calls on their way together, and notes it in the journal in one write.
    async fn tell_all(&self, entries: &[Entry]) -> Result<()> {
        let client = self.client();
        let due: Vec<(&Entry, i64, Outcome)> = entries
            .iter()
            .filter_map(|entry| {
                let claim = entry.claim.as_ref()?;
                let outcome = due(entry)?;
                (claim.told.as_deref() != Some(outcome.word()))
                    .then_some((entry, claim.id, outcome))
            })
            .collect();
        let told = futures_util::future::join_all(due.iter().map(|(entry, claim, outcome)| {
            team::claims::finish(client, *claim, *outcome, entry.operation_id.as_deref())
        }))
        .await;
        let mut noted = Vec::new();
        let mut failed = None;
        for ((entry, claim, outcome), told) in due.iter().zip(told) {
            match told {
                Ok(taken) => {
                    if !taken {
                        tracing::warn!(
                            entry = entry.id,
                            claim,
                            "the team store no longer takes this write's outcome"
                        );
                    }
                    noted.push((entry.id, outcome.word()));
                }
                Err(error) => failed = Some(Error::from(error)),
            }
        }
        crate::in_place(|| self.journal.set_claims_told(&noted))?;
        failed.map_or(Ok(()), Err)
    }

    /// Tells the store what became of `entry`'s write, when there is something new to tell,
    /// and notes it in the journal.
    pub(crate) async fn tell(&self, entry: &Entry) -> Result<()> {
        self.tell_all(std::slice::from_ref(entry)).await
    }

    /// Tells the store every outcome it has not been told yet (after it was out of reach), and
    /// abandons the claims whose answer was lost for writes that never left; an error says the
    /// store could not be told all of it.
    pub(crate) async fn tell_untold(&self, in_flight: &super::InFlight) -> Result<()> {
        let journal = &self.journal;
        for (id, correlation_id) in journal.claims_unsure()? {
            let gone = team::claims::abandon(self.client(), &correlation_id)
                .await
                .map_err(|e| claim_error(&e))?;
            if gone {
                journal.set_claim_told(id, "NOT_SENT")?;
            } else {
                tracing::warn!(
                    entry = id,
                    "a claim whose answer was lost cannot be abandoned: an administrator may release it"
                );
            }
        }
        let untold: Vec<Entry> = journal
            .claims_not_final()?
            .into_iter()
            .filter(|entry| !in_flight.contains(entry))
            .collect();
        self.tell_all(&untold).await
    }
}

impl TeamClaims {
    /// Claims the writes of environment `local` (its name here) sent unclaimed in emergency
    /// mode, now that the store is back: each as it would have been claimed (its outcome then
    /// told like any other's), or, when another workstation's write on the same target is in
    /// the way, recorded naming it (the target may have been written twice). Recorded in the
    /// trail under the operator who sent it.
    pub(crate) async fn claim_emergency_writes(
        &self,
        local: &str,
        audit: &crate::audit_log::Recorder<'_>,
    ) -> Result<()> {
        for (entry, consumer) in self.journal.emergency_writes()? {
            if entry.intent.environment != local {
                continue;
            }
            let intent = &entry.intent;
            let claimed = self
                .claim(
                    intent.kind,
                    &intent.target,
                    split_owner(&consumer),
                    &intent.correlation_id,
                    None,
                )
                .await;
            let result = match claimed {
                Ok((id, _)) => {
                    self.journal.set_emergency_claimed(entry.id, Some(id))?;
                    format!("claimed (claim {id})")
                }
                Err(Error::AlreadyInProgress(words)) => {
                    self.journal.set_emergency_claimed(entry.id, None)?;
                    format!("in the way of another write: {words}")
                }
                // The store refuses this one (it names a target it does not take): recorded,
                // and the others are claimed.
                Err(Error::TeamStore(words)) => {
                    self.journal.set_emergency_claimed(entry.id, None)?;
                    format!("refused by the team store: {words}")
                }
                Err(other) => return Err(other),
            };
            audit.on_behalf_of(&intent.operator).record_call(
                crate::audit_log::AuditEvent::EmergencyClaim,
                Some(&intent.target),
                &result,
                entry.operation_id.as_deref(),
                Some(&intent.correlation_id),
            )?;
            if let Some(claimed) = self.journal.get(entry.id)?
                && claimed.claim.is_some()
            {
                self.tell(&claimed).await?;
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
