//! Team mode's side of the console: the team store's address from the administrators' policy,
//! this operator's login in the keychain, the store's administration (`c2p team init`, logins),
//! and the local audit chain forwarded to the store.

use super::Console;
use crate::audit_log::AuditEvent;
use crate::audit_log::centre::{CentreCheck, compare};
use crate::audit_log::forward::{ChainOwner, forward};
use crate::credentials::{SecretKind, TEAM_STORE};
use crate::policy::Permission;
use crate::{Error, Result};

/// Whom a new team store login is for.
#[derive(Debug, Clone, Copy)]
pub enum LoginFor<'a> {
    /// An operator (by their id in the policy), reading the whole trail when `auditor`.
    Operator {
        /// The operator id.
        id: &'a str,
        /// An auditor's login.
        auditor: bool,
        /// A fraud team member's login (batches).
        fraud: bool,
    },
    /// The SIEM feed (`c2p team siem`): it reads every record and alert, sends none.
    Feed,
}

/// The team store as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamStatus {
    /// Whether team mode is on (the trail goes to the team store).
    pub on: bool,
    /// Whether the environment in use writes through the team's journal (team mode on, and a
    /// configured environment rather than the embedded sandbox): the team's operations and a
    /// consumer's History can be read.
    pub journal: bool,
    /// How the last try to send the trail went; `None` before the first.
    pub link: Option<TeamLink>,
    /// Records the store does not hold yet.
    pub unforwarded: u32,
    /// When the oldest of them was written (RFC 3339).
    pub oldest_unforwarded: Option<String>,
    /// Its age, in seconds, when this was read.
    pub oldest_age_seconds: Option<u32>,
    /// Past this age writes are held.
    pub limit_seconds: u32,
    /// Emergency mode, while it runs on this workstation.
    pub emergency: Option<crate::journal::Emergency>,
    /// Whether this operator may declare emergency mode now (a fraud analyst, the policy
    /// allowing it, the store out of reach, none running).
    pub emergency_offered: bool,
}

/// How the last try to send the trail to the team store went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum TeamLink {
    /// The store took what there was.
    Delivered,
    /// The store could not be reached.
    Unreachable,
    /// The store refuses a record of this workstation's trail: nothing after it goes.
    Refused {
        /// Which record and why, in words.
        why: String,
    },
}

/// Seconds since `time` (RFC 3339) by this computer's clock; 0 for a time to come.
fn age_seconds(time: &str) -> u32 {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|then| (chrono::Utc::now() - then.to_utc()).num_seconds().max(0))
        .map_or(0, |age| u32::try_from(age).unwrap_or(u32::MAX))
}

impl Console {
    /// The limit on the trail's backlog when team mode is on; `None` when it is off.
    fn team_limit(&self) -> Result<Option<u32>> {
        Ok(crate::policy::team_config(&self.policy_paths)?.map(|c| c.backlog_limit_seconds))
    }

    /// Whether team mode is on: the administrators' policy names a team store. The trail goes
    /// there whatever the environment in use (the embedded sandbox's records too).
    pub(super) fn team_on(&self) -> Result<bool> {
        Ok(self.team_limit()?.is_some())
    }

    fn note_link<T>(&self, result: &Result<T>) {
        let link = match result {
            Ok(_) => TeamLink::Delivered,
            Err(Error::TrailRefused(why)) => TeamLink::Refused { why: why.clone() },
            Err(_) => TeamLink::Unreachable,
        };
        *self.team_link.lock().unwrap_or_else(|p| p.into_inner()) = Some(link);
    }

    /// In team mode, one pass of [`Console::forward_audit_now`] (the command line's, before and
    /// after each command); `None` when team mode is off.
    pub async fn forward_if_team_mode(&self) -> Result<Option<u64>> {
        if !self.team_on()? {
            return Ok(None);
        }
        let result = self.forward_audit_now().await;
        self.note_link(&result);
        result.map(Some)
    }

    /// The team store's state and this workstation's backlog, for the status bar.
    pub fn team_status(&self) -> Result<TeamStatus> {
        let Some(limit) = self.team_limit()? else {
            return Ok(TeamStatus {
                on: false,
                journal: false,
                link: None,
                unforwarded: 0,
                oldest_unforwarded: None,
                oldest_age_seconds: None,
                limit_seconds: 0,
                emergency: None,
                emergency_offered: false,
            });
        };
        let backlog = self.audit.backlog()?;
        let journal = !self.is_the_embedded_sandbox(&self.active_name()?);
        // Read on its own: the lock is not held while the rest is read.
        let link = self
            .team_link
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Ok(TeamStatus {
            on: true,
            journal,
            link,
            unforwarded: backlog
                .as_ref()
                .map_or(0, |b| u32::try_from(b.records).unwrap_or(u32::MAX)),
            oldest_age_seconds: backlog.as_ref().map(|b| age_seconds(&b.oldest)),
            oldest_unforwarded: backlog.map(|b| b.oldest),
            limit_seconds: limit,
            emergency: self.emergency()?,
            emergency_offered: self.emergency_offered()?,
        })
    }

    /// Whether the forwarder's last try found the team store out of reach (not refusing).
    pub(super) fn store_unreachable(&self) -> bool {
        self.team_link
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            == Some(&TeamLink::Unreachable)
    }

    /// Holds a write (refused, and the refusal recorded) while team mode is on and a record
    /// has not been known to be in the team store for longer than the policy's limit: by this
    /// process's own clock since the store last confirmed every record, or by the oldest
    /// record the local note says it lacks. Reads are never held, nor writes to the embedded
    /// sandbox (simulated).
    pub(super) fn hold_while_trail_undelivered(
        &self,
        permit: &crate::policy::Permit,
        resource: Option<&str>,
    ) -> Result<()> {
        let Some(limit) = self.team_limit()? else {
            return Ok(());
        };
        if self.is_the_embedded_sandbox(permit.environment()) {
            return Ok(());
        }
        let unconfirmed = self
            .audit
            .unconfirmed_for()
            .map_or(0, |age| u32::try_from(age.as_secs()).unwrap_or(u32::MAX));
        let backlog = self.audit.backlog()?;
        let noted = backlog.as_ref().map_or(0, |b| age_seconds(&b.oldest));
        let age = unconfirmed.max(noted);
        // A fraud analyst's emergency mode, while the store cannot be reached (never while it
        // refuses this workstation's trail): the write goes on, flagged in the trail.
        if age <= limit || (self.store_unreachable() && self.emergency_for(permit)?.is_some()) {
            return Ok(());
        }
        let words = format!(
            "{} audit records of this workstation have not reached the team store for {} min (the policy allows {} min)",
            backlog.map_or(0, |b| b.records).max(1),
            age / 60,
            limit / 60
        );
        self.recorder(permit).record(
            AuditEvent::WriteHeld,
            resource,
            &format!("refused: {words}"),
        )?;
        Err(Error::TrailUndelivered(format!(
            "writes are held: {words}. Reads still work; writes resume by themselves once the trail is delivered. Check the network, or tell IT that the team store cannot be reached"
        )))
    }

    /// Where the team store is, from the administrators' policy; an error without team mode.
    pub fn team_address(&self) -> Result<team::Address> {
        crate::policy::team_address(&self.policy_paths)
    }

    /// A connection as the database owner (`c2p team init`, logins), for an administrator.
    async fn team_owner(&self, owner: &str, password: &str) -> Result<tokio_postgres::Client> {
        let address = self.team_address()?;
        team::connect(&address, owner, password)
            .await
            .map_err(Error::from)
    }

    /// Creates or upgrades the team store's schema and roles (idempotent); returns the versions
    /// applied now. Role `admin`, with the database owner's account; recorded.
    pub async fn team_init(&self, owner: &str, password: &str) -> Result<Vec<i32>> {
        let permit = self.authorise(Permission::ManageEnvironments, Some(TEAM_STORE))?;
        let mut client = self.team_owner(owner, password).await?;
        let result = team::schema::init(&mut client).await.map_err(Error::from);
        let outcome = match &result {
            Ok(applied) if applied.is_empty() => "already up to date".to_owned(),
            Ok(applied) => format!("applied versions {applied:?}"),
            Err(error) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::TeamInit, Some(TEAM_STORE), &outcome)?;
        result
    }

    /// Makes `login` for an operator or for the SIEM feed. Role `admin`; recorded.
    pub async fn team_add_login(
        &self,
        (owner, owner_password): (&str, &str),
        login: &str,
        password: &str,
        holder: LoginFor<'_>,
    ) -> Result<()> {
        let permit = self.authorise(Permission::ManageEnvironments, Some(login))?;
        let mut client = self.team_owner(owner, owner_password).await?;
        let result = match holder {
            LoginFor::Operator { id, auditor, fraud } => {
                match team::schema::add_login(&mut client, login, password, id, auditor).await {
                    Ok(()) if fraud => team::schema::grant_fraud(&mut client, login).await,
                    other => other,
                }
            }
            LoginFor::Feed => team::schema::add_feed_login(&mut client, login, password).await,
        }
        .map_err(Error::from);
        let outcome = match (&result, holder) {
            (Ok(()), LoginFor::Operator { id, auditor, fraud }) => format!(
                "for {id}{}{}",
                if auditor { ", auditor" } else { "" },
                if fraud { ", fraud team" } else { "" }
            ),
            (Ok(()), LoginFor::Feed) => "for the SIEM feed".to_owned(),
            (Err(error), _) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::TeamLoginAdd, Some(login), &outcome)?;
        result
    }

    /// Ends `login`'s access (a lost laptop, a leaver). Role `admin`; recorded.
    pub async fn team_revoke(
        &self,
        (owner, owner_password): (&str, &str),
        login: &str,
    ) -> Result<()> {
        let permit = self.authorise(Permission::ManageEnvironments, Some(login))?;
        let mut client = self.team_owner(owner, owner_password).await?;
        let result = team::schema::revoke(&mut client, login)
            .await
            .map_err(Error::from);
        let outcome = match &result {
            Ok(()) => "revoked".to_owned(),
            Err(error) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::TeamLoginRevoke, Some(login), &outcome)?;
        result
    }

    /// Releases claim `id`, stuck in UNKNOWN (or PENDING, its workstation gone) after
    /// reconciliation failed, with `reason`. Role
    /// `admin`, with the database owner's account; recorded.
    pub async fn claim_release(
        &self,
        (owner, owner_password): (&str, &str),
        id: i64,
        reason: &str,
    ) -> Result<()> {
        let resource = format!("claim-{id}");
        let permit = self.authorise(Permission::ManageEnvironments, Some(&resource))?;
        crate::privacy::refuse_personal_data_in_reason(reason)?;
        let client = self.team_owner(owner, owner_password).await?;
        let result = team::claims::release(&client, id, reason)
            .await
            .map_err(Error::from)
            .and_then(|released| match released {
                true => Ok(()),
                false => Err(Error::InvalidInput(format!(
                    "claim {id} is not stuck in UNKNOWN or PENDING: nothing was released"
                ))),
            });
        let outcome = match &result {
            Ok(()) => format!("released; reason: {}", reason.trim()),
            Err(error) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::ClaimRelease, Some(&resource), &outcome)?;
        result
    }

    /// Keeps this operator's team store login in the keychain (IT hands it over); checked by
    /// connecting first. Recorded (the login, never the password).
    pub async fn import_team_credentials(&self, login: &str, password: &str) -> Result<()> {
        let address = self.team_address()?;
        let client = team::connect(&address, login, password)
            .await
            .map_err(Error::from)?;
        self.refuse_another_s_login(&client).await?;
        let vault = self.vault.clone();
        let entry = self.team_keychain_name()?;
        let (login_owned, password_owned) = (login.to_owned(), password.to_owned());
        crate::blocking(move || {
            vault.put(&entry, SecretKind::TeamLogin, login_owned.as_bytes())?;
            vault.put(&entry, SecretKind::TeamPassword, password_owned.as_bytes())
        })
        .await?;
        self.record(
            AuditEvent::TeamCredentialsImport,
            Some(login),
            "stored in the keychain",
        )
    }

    /// This workstation account's audit chain as the team store knows it: its id (a chain
    /// begun before ids gets one now, in a new `audit_chain_id` record) and the OS account.
    pub fn audit_chain(&self) -> Result<ChainOwner> {
        let chain = match self.audit.chain_id()? {
            Some(chain) => chain,
            None => {
                let chain = crate::audit_log::new_chain_id()?;
                self.record(
                    AuditEvent::AuditChainId,
                    Some(&chain),
                    "this audit chain began before chains had ids: this is its id",
                )?;
                chain
            }
        };
        Ok(ChainOwner {
            chain,
            account: self.identity.account.clone(),
        })
    }

    /// Sends the audit records the team store does not hold yet over `client` (see
    /// [`forward`]); returns how many went.
    pub async fn forward_audit(&self, client: &mut tokio_postgres::Client) -> Result<u64> {
        let owner = self.audit_chain()?;
        forward(&self.audit, &owner, client).await
    }

    /// This workstation's chain compared with the team store's copy, as this operator's login.
    pub(super) async fn compare_with_centre(&self) -> Result<CentreCheck> {
        let owner = self.audit_chain()?;
        let client = self.team_login().await?;
        compare(&self.audit, &owner, &self.identity.workstation, &client).await
    }

    /// [`Console::forward_audit`] as this operator's login from the keychain.
    pub async fn forward_audit_now(&self) -> Result<u64> {
        let mut client = self.team_login().await?;
        self.forward_audit(&mut client).await
    }

    /// A connection as this operator's login from the keychain.
    pub(super) async fn team_login(&self) -> Result<tokio_postgres::Client> {
        Ok(self.team_login_listening(None).await?.0)
    }

    /// [`Console::team_login`], listening on `channel` when one is given: its notifications'
    /// payloads come out of the receiver.
    pub(super) async fn team_login_listening(
        &self,
        channel: Option<&str>,
    ) -> Result<(
        tokio_postgres::Client,
        Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
    )> {
        let address = self.team_address()?;
        let vault = self.vault.clone();
        let entry = self.team_keychain_name()?;
        let (login, password) = crate::blocking(move || {
            Ok((
                vault.get(&entry, SecretKind::TeamLogin)?,
                vault.get(&entry, SecretKind::TeamPassword)?,
            ))
        })
        .await?;
        // Borrowed from the secrets (which wipe themselves), never copied.
        fn text(secret: &d1::Secret) -> Result<&str> {
            std::str::from_utf8(secret.expose()).map_err(|_| {
                Error::InvalidInput("the team store's login in the keychain is not text".into())
            })
        }
        let (login, password) = (text(&login)?, text(&password)?);
        let (client, notes) = match channel {
            Some(channel) => {
                let (client, notes) = team::connect_listening(&address, login, password, channel)
                    .await
                    .map_err(Error::from)?;
                (client, Some(notes))
            }
            None => (
                team::connect(&address, login, password)
                    .await
                    .map_err(Error::from)?,
                None,
            ),
        };
        self.refuse_another_s_login(&client).await?;
        Ok((client, notes))
    }

    /// Where this operator's team store login is in the keychain: under their operator id, so
    /// that a login kept for another operator id of this account is never used.
    fn team_keychain_name(&self) -> Result<String> {
        let (policy, _) = self.policy_for(Permission::AuditRead)?;
        Ok(format!("{TEAM_STORE}:{}", policy.operator))
    }

    /// Refuses a team store login that is not bound to the operator the administrators'
    /// policy names for this account (another operator's login in this keychain, a revoked one).
    async fn refuse_another_s_login(&self, client: &tokio_postgres::Client) -> Result<()> {
        let (policy, _) = self.policy_for(Permission::AuditRead)?;
        match team::trail::login_operator(client).await? {
            Some(operator) if operator == policy.operator => Ok(()),
            Some(operator) => Err(Error::InvalidInput(format!(
                "the team store login for this account is {operator}'s, but the policy names this account {}: import your own login (c2p team import-credentials)",
                policy.operator
            ))),
            None => Err(Error::InvalidInput(
                "the team store login for this account is revoked or bound to no operator: ask IT for your login".into(),
            )),
        }
    }

    /// Refuses a login that is not an auditor's (the team's trail is theirs to read).
    pub(super) async fn refuse_all_but_an_auditor_s_login(
        &self,
        client: &tokio_postgres::Client,
    ) -> Result<()> {
        match team::trail::is_auditor(client).await? {
            true => Ok(()),
            false => Err(Error::InvalidInput(
                "this account's team store login is not an auditor's, so it reads only its own records: ask IT for an auditor's login".into(),
            )),
        }
    }
}

/// The longest wait between two tries to reach the team store.
const MOST_BACKOFF: std::time::Duration = std::time::Duration::from_secs(60);
/// How often the forwarder looks even when no record was written (team mode turned on).
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How long the forwarder lets records gather after one is written: a write's records go in one
/// call, and the forwarding stays out of the way of the write's own claim in the store.
const GATHER: std::time::Duration = std::time::Duration::from_millis(100);

impl Console {
    /// Team mode, for as long as the console runs: each audit record goes to the team store as
    /// soon as it is written (a catch-up in batches after a time offline), over one connection
    /// kept open and made again, with backoff, when it fails. Does nothing without team mode or
    /// while the embedded sandbox is in use.
    pub async fn forward_continuously(&self) {
        let mut client: Option<tokio_postgres::Client> = None;
        let mut backoff = LOOK_EVERY;
        loop {
            if self.team_on().unwrap_or(false) {
                let result = self.forward_once(&mut client).await;
                self.note_link(&result);
                match result {
                    Ok(_) => backoff = LOOK_EVERY,
                    Err(error) => {
                        tracing::warn!(code = ?error.code(), %error, "the audit trail could not be sent to the team store");
                        client = None;
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MOST_BACKOFF);
                        continue;
                    }
                }
            }
            if tokio::time::timeout(LOOK_EVERY, self.audit.written())
                .await
                .is_ok()
            {
                tokio::time::sleep(GATHER).await;
            }
        }
    }

    /// One pass: connects when there is no connection, then forwards what the store lacks.
    async fn forward_once(&self, client: &mut Option<tokio_postgres::Client>) -> Result<u64> {
        let connected = match client.take() {
            Some(open) if !open.is_closed() => open,
            _ => self.team_login().await?,
        };
        let connected = client.insert(connected);
        self.forward_audit(connected).await
    }
}
