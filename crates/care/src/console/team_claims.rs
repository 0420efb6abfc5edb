//! Team mode's journal of writes, the console's side: the connection writes claim their targets
//! over (made when first needed, made again when it drops), and the team's operations as the
//! Operations screen, the History panel and `c2p ops --team` show them.

use std::sync::Arc;
use std::time::Duration;

use super::Console;
use crate::environments::Session;
use crate::writes::claim::{Connections, TeamClaims, identity, unreachable};
use crate::{Error, Result};
use team::claims::TeamWrite;

/// How long a write waits for the team store before it is refused.
const CONNECT_WITHIN: Duration = Duration::from_secs(5);
/// Connections claims go over, used in turn (a login has at most 8 sessions: these, the trail's
/// forwarder, the batches' listener, and the command line beside the window).
const CONNECTIONS: usize = 2;

impl Console {
    /// The team store's claims for writes in `session`'s environment: `None` without team mode
    /// and for the embedded sandbox; [`Error::ClaimUnavailable`] when the store cannot be
    /// reached (a write is then refused).
    pub(super) async fn team_claims(&self, session: &Session) -> Result<Option<TeamClaims>> {
        let Some(config) = crate::policy::team_config(&self.policy_paths)? else {
            return Ok(None);
        };
        if self.is_the_embedded_sandbox(&session.environment.name) {
            return Ok(None);
        }
        let connections = self.team_claims_connections().await?;
        Ok(Some(TeamClaims {
            connections,
            environment: identity(&session.environment),
            workstation: self.identity.workstation.clone(),
            lease: Duration::from_secs(u64::from(config.claim_lease_seconds.max(1))),
            batch: None,
            batch_held_until: None,
            journal: self.journal.clone(),
            tells: self.team_tells.clone(),
        }))
    }

    /// Waits until the team store has been told the outcome of every write this console made
    /// (those it could not be told are told on a later pass): the command line calls it before
    /// it exits.
    pub async fn team_outcomes_told(&self) {
        self.team_tells.settled().await;
    }

    /// Whether `environment` is the sandbox this process started (simulated, it dies with the
    /// process): never a `simulated` flag in the settings file, which is the operator's to edit.
    pub(super) fn is_the_embedded_sandbox(&self, environment: &str) -> bool {
        environment == crate::SANDBOX_ENVIRONMENT && self.sandbox_environment().is_some()
    }

    /// The connections claims go over: those open, or new ones as this operator's login.
    async fn team_claims_connections(&self) -> Result<Arc<Connections>> {
        let mut open = self.team_claims.lock().await;
        if let Some(connections) = open.as_ref().filter(|c| !c.is_closed()) {
            return Ok(connections.clone());
        }
        *open = None;
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            clients.push(Arc::new(self.team_claims_connect().await?));
        }
        let connections = Arc::new(Connections::new(clients));
        *open = Some(connections.clone());
        Ok(connections)
    }

    /// One connection as this operator's login, refused when the store does not answer soon.
    async fn team_claims_connect(&self) -> Result<tokio_postgres::Client> {
        match tokio::time::timeout(CONNECT_WITHIN, self.team_login()).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(Error::TeamStore(words))) => Err(unreachable(&words)),
            Ok(Err(other)) => Err(other),
            Err(_) => Err(unreachable(&format!(
                "the team store did not answer within {} s",
                CONNECT_WITHIN.as_secs()
            ))),
        }
    }

    /// The team's writes in the environment in use, newest first (at most `limit`): all of
    /// them, or those on `consumer` and their cards. Every operator's login may read them.
    pub async fn team_operations(
        &self,
        consumer: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TeamWrite>> {
        if let Some(consumer) = consumer {
            self.refuse_personal_data_as_id(crate::policy::Permission::View, consumer)?;
            d1::ConsumerId::new(consumer)?;
        }
        let permit = self.authorise(crate::policy::Permission::View, consumer)?;
        let session = self.session().await?;
        let writes = match self.team_writes(&session, consumer, limit).await {
            Ok(Some(writes)) => writes,
            Ok(None) => {
                return Err(Error::InvalidInput(
                    "team mode is off for the environment in use: there are only this workstation's operations".into(),
                ));
            }
            Err(Error::ClaimUnavailable(_)) => {
                return Err(Error::TeamStore(
                    "the team's operations cannot be read now: the team store cannot be reached. Check the network; if it lasts, tell IT".into(),
                ));
            }
            Err(error) => return Err(error),
        };
        self.recorder(&permit).record(
            crate::audit_log::AuditEvent::TeamOperationsRead,
            consumer,
            &format!("{} operations", writes.len()),
        )?;
        Ok(writes)
    }

    /// The team's writes in `session`'s environment, newest first (at most `limit`), all or
    /// those on `consumer` and their cards, this workstation's outcomes told first; `None`
    /// without team mode. Not recorded: the caller records what it reads.
    pub(super) async fn team_writes(
        &self,
        session: &crate::environments::Session,
        consumer: Option<&str>,
        limit: i64,
    ) -> Result<Option<Vec<TeamWrite>>> {
        // This workstation's own writes as they ended, not as they were a moment ago.
        self.team_outcomes_told().await;
        let Some(claims) = self.team_claims(session).await? else {
            return Ok(None);
        };
        let writes =
            team::claims::team_writes(claims.client(), &claims.environment, consumer, limit)
                .await?;
        Ok(Some(writes))
    }
}
