//! Operations: the journal's writes, and following the unfinished ones until they are final
//! (PENDING polled, UNKNOWN and crashed intents resolved from D1's operations lists).

use std::time::Duration;

use super::Console;
use crate::audit_log::Recorder;
use crate::journal::{Entry, State};
use crate::writes::claim::TeamClaims;
use crate::writes::tracker::Tracker;
use crate::{Error, Result};

impl Console {
    /// Operations started from this workstation, newest first, optionally in one state.
    pub fn operations(&self, state: Option<State>, limit: i64) -> Result<Vec<Entry>> {
        self.journal.recent(state, limit)
    }

    /// One operation of the journal.
    pub fn operation(&self, id: i64) -> Result<Option<Entry>> {
        self.journal.get(id)
    }

    /// Operations not yet final (Intent, Pending, Unknown), oldest first.
    pub fn unfinished_operations(&self) -> Result<Vec<Entry>> {
        self.journal.unfinished()
    }

    /// One pass over every unfinished entry of the environment in use. Returns the entries
    /// that changed.
    pub async fn track_once(&self) -> Result<Vec<Entry>> {
        // Nothing to follow, to audit, or to tell the team store (an outcome it missed, a write
        // sent in emergency mode to claim).
        if self.journal.unfinished()?.is_empty()
            && self.journal.unaudited()?.is_empty()
            && self.journal.claims_not_final()?.is_empty()
            && self.journal.emergency_writes()?.is_empty()
        {
            return Ok(Vec::new());
        }
        let session = self.session().await?;
        let (operator, role) = self.who();
        let audit = Recorder::new(&self.audit, &operator, role, &self.identity.workstation);
        // The team store told what it missed when it can be reached; followed either way.
        let claims = self.team_claims(&session).await.ok().flatten();
        self.tracker(&session, audit, claims.as_ref())
            .track_once()
            .await
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

    /// The tracker on `session`, recording the outcomes it finds with `audit` and, in team
    /// mode, telling them to the team store over `claims`.
    pub(super) fn tracker<'a>(
        &'a self,
        session: &'a crate::environments::Session,
        audit: Recorder<'a>,
        claims: Option<&'a TeamClaims>,
    ) -> Tracker<'a> {
        Tracker {
            journal: &self.journal,
            session,
            in_flight: &self.in_flight,
            settle: self.settle,
            audit,
            claims,
        }
    }
}
