//! THE API: the one object both faces (desktop and `c2p`) drive, and the only place with
//! `impl Console`. Every action goes the same way: role check ([`Console::authorise`] gives a
//! [`Permit`]) → the domain call, given the parts it needs → an audit record. One file per area:
//!
//! - `environments.rs`: list, add and use environments, the policy in force, the connection test
//! - `credentials.rs`: import and remove credentials
//! - `consumers.rs`: search, a consumer's view
//! - `writes.rs`: a write (opt out, enrol, update) and what an opt-out would remove
//! - `operations.rs`: the journal's operations, and following them until final
//! - `batches.rs`: the fraud team's batch opt-outs
//! - `profile_audit.rs`: the auditors' profile audit and its report
//! - `audit_log.rs`: read, verify and export the audit trail
//! - `preferences.rs`: the operator's language and theme
//! - `recovery.rs`: a new journal or audit log after a damaged one was kept aside
//! - `sandbox.rs`: the embedded simulator (cargo feature `embedded-sandbox`)

mod audit_log;
mod batches;
mod consumers;
mod credentials;
mod emergency;
mod environments;
mod history;
mod operations;
mod preferences;
mod profile_audit;
mod recovery;
#[cfg(feature = "embedded-sandbox")]
mod sandbox;
mod search_record;
mod team;
mod team_batches;
mod team_claims;
mod team_trail;
mod token_batches;
mod tokens;
mod writes;

use std::sync::Arc;

pub use ::team::batches::TeamBatch;
pub use ::team::claims::TeamWrite;
pub use ::team::trail::{TeamFilter, TeamRecord};
pub use audit_log::AuditPage;
pub use consumers::Contact;
pub use environments::EnvironmentStatus;
pub use history::History;
pub use recovery::Recovered;
pub use team::{LoginFor, TeamLink, TeamStatus};
pub use team_trail::{TeamAuditPage, TeamVerification};
pub use tokens::{CardTokensWrite, TokenWritten};

use crate::audit_log::{AuditEvent, AuditLog, Recorder};
use crate::credentials::Vault;
use crate::environments::{Session, SettingsStore};
use crate::journal::Journal;
use crate::policy::{Gate, Identity, Permission, Permit, Policy, PolicyPaths, Role};
use crate::storage::AppDirs;
use crate::storage::quarantine::{self, Quarantine};
use crate::writes::InFlight;
use crate::{Result, SANDBOX_ENVIRONMENT};

/// What the audit trail names instead of an id that was refused as personal data.
pub const INVALID_ID: &str = "invalid id";

/// What a console is opened with.
pub struct Options {
    /// Where its files live.
    pub dirs: AppDirs,
    /// The keychain.
    pub vault: Vault,
    /// Where the policy files are.
    pub policy: PolicyPaths,
    /// Who runs it, as the OS says ([`Identity::of_this_process`] in the faces).
    pub identity: Identity,
}

/// The console's core.
pub struct Console {
    dirs: AppDirs,
    settings: SettingsStore,
    vault: Vault,
    policy_paths: PolicyPaths,
    journal: Arc<Journal>,
    audit: AuditLog,
    /// What the last recorded search showed (searching as you type is one record).
    searches: search_record::SearchRecord,
    /// The files found damaged at start and kept aside: while one is, its stand-in above holds
    /// nothing, and what would use it is refused.
    damaged: Damaged,
    identity: Identity,
    #[cfg(feature = "embedded-sandbox")]
    sandbox: std::sync::Mutex<Option<sandbox::Embedded>>,
    session: tokio::sync::Mutex<Option<Arc<Session>>>,
    settle: std::time::Duration,
    /// Journal entries whose D1 call this process is making now: the tracker leaves them alone.
    in_flight: InFlight,
    /// The operator id and role (by name) the trail last named: a change is recorded.
    policy_seen: std::sync::Mutex<Option<(String, String)>>,
    /// Team mode: how the forwarder's last try went.
    team_link: std::sync::Mutex<Option<team::TeamLink>>,
    /// Team mode: the connection writes claim their targets over, made when first needed.
    team_claims: tokio::sync::Mutex<Option<Arc<crate::writes::claim::Connections>>>,
    /// Team mode: writes' outcomes on their way to the store.
    team_tells: Arc<crate::writes::claim::Tells>,
}

/// The console's files kept aside at start.
#[derive(Default)]
struct Damaged {
    journal: Option<Quarantine>,
    audit: Option<Quarantine>,
}

/// An in-memory stand-in for a file kept aside: it holds nothing and nothing is kept in it.
const STAND_IN: &str = ":memory:";

impl Console {
    /// Opens the console's files (a damaged one is kept aside: see [`quarantine`]); the first
    /// record of a new audit log says that a new chain began. Nothing is contacted.
    pub fn open(options: Options) -> Result<Self> {
        let Options {
            dirs,
            vault,
            policy,
            identity,
        } = options;
        let journal_path = dirs.data.join("operations.sqlite");
        let audit_path = dirs.data.join("audit.sqlite");
        let damaged = Damaged {
            journal: quarantine::inspect(&journal_path)?,
            audit: quarantine::inspect(&audit_path)?,
        };
        let audit_existed = audit_path.exists();
        let stand_in = std::path::Path::new(STAND_IN);
        let console = Self {
            settings: SettingsStore::new(&dirs.config),
            journal: Arc::new(
                Journal::open(match damaged.journal {
                    Some(_) => stand_in,
                    None => &journal_path,
                })?
                .owned(),
            ),
            audit: match &damaged.audit {
                Some(aside) => AuditLog::refusing(aside.refusal("audit log").to_string())?,
                None => AuditLog::open(&audit_path)?,
            },
            searches: search_record::SearchRecord::default(),
            damaged,
            dirs,
            vault,
            policy_paths: policy,
            identity,
            #[cfg(feature = "embedded-sandbox")]
            sandbox: std::sync::Mutex::new(None),
            session: tokio::sync::Mutex::new(None),
            settle: crate::writes::SETTLE,
            in_flight: InFlight::default(),
            policy_seen: std::sync::Mutex::new(None),
            team_link: std::sync::Mutex::new(None),
            team_claims: tokio::sync::Mutex::new(None),
            team_tells: Arc::default(),
        };
        if console.damaged.audit.is_none() && console.audit.count()? == 0 {
            let result = match audit_existed {
                false => "new audit log: there was none in this data folder",
                true => {
                    "the audit log's file was there but held no record (emptied outside the console?)"
                }
            };
            // The chain's id is made now and kept in its first record.
            let chain = crate::audit_log::new_chain_id()?;
            console.record(AuditEvent::AuditChainStart, Some(&chain), result)?;
        }
        if console.damaged.audit.is_none() {
            *console.seen() = console.audit.last_role()?;
        }
        Ok(console)
    }

    /// Refuses `permission` while a file it needs is kept aside: everything (nothing could be
    /// recorded) while the audit log is, writes while the journal is.
    fn refuse_while_damaged(&self, permission: Permission) -> Result<()> {
        if let Some(aside) = &self.damaged.audit {
            return Err(aside.refusal("audit log"));
        }
        match &self.damaged.journal {
            Some(aside) if permission.is_write() => Err(aside.refusal("operations journal")),
            _ => Ok(()),
        }
    }

    /// How long a write with no answer and no trace in D1 is given before the tracker concludes
    /// that it never left (default [`crate::writes::SETTLE`], longer than a write can take).
    pub fn with_settle(mut self, settle: std::time::Duration) -> Self {
        self.settle = settle;
        self
    }

    /// The console's directories.
    pub fn dirs(&self) -> &AppDirs {
        &self.dirs
    }

    /// The policy in force on the active environment. The user's own policy file counts only
    /// on the sandbox this process started: a `simulated` flag in the settings file is the
    /// user's to edit, so it never grants a role.
    pub fn policy(&self) -> Result<Policy> {
        Ok(self.policy_in_force()?.0)
    }

    /// Every permission the operator has now, each decided by its own policy (see
    /// [`Console::policy_for`]), for the faces to enable (the core checks again anyway).
    pub fn allowed(&self) -> Result<Vec<Permission>> {
        let (in_force, environment) = self.policy_in_force()?;
        let administrators = Policy::load(&self.policy_paths, false, &self.identity)?;
        Ok(Permission::ALL
            .into_iter()
            .filter(|permission| {
                let policy = match permission.spans_workstation() {
                    true => &administrators,
                    false => &in_force,
                };
                policy.permit(*permission, &environment).is_ok()
            })
            .collect())
    }

    /// The policy that decides `permission`: the one in force on the active environment,
    /// except for what spans the whole workstation (its audit trail, which holds every
    /// environment's records; environments and credentials; recovery), which only the
    /// administrators' file decides: a user's own file, honoured on the sandbox, never does.
    fn policy_for(&self, permission: Permission) -> Result<(Policy, String)> {
        let (in_force, environment) = self.policy_in_force()?;
        if !permission.spans_workstation() {
            return Ok((in_force, environment));
        }
        let administrators = Policy::load(&self.policy_paths, false, &self.identity)?;
        Ok((administrators, environment))
    }

    /// The policy in force and the environment it is in force on, read together.
    fn policy_in_force(&self) -> Result<(Policy, String)> {
        let active = self.active_name()?;
        let embedded = active == SANDBOX_ENVIRONMENT && self.sandbox_environment().is_some();
        Ok((
            Policy::load(&self.policy_paths, embedded, &self.identity)?,
            active,
        ))
    }

    /// Checks `permission` against the policy in force now (read afresh, so an administrator's
    /// change applies at once); a refusal is audited (a resource that looks like a card
    /// number, e-mail or phone recorded as "invalid id"). The permit names the environment it is
    /// good for; domain calls take it and refuse to act on another.
    pub(crate) fn authorise(
        &self,
        permission: Permission,
        resource: Option<&str>,
    ) -> Result<Permit> {
        self.refuse_while_damaged(permission)?;
        let (policy, environment) = self.policy_for(permission)?;
        if !permission.spans_workstation() {
            self.note_policy(&policy)?;
        }
        match policy.permit(permission, &environment) {
            Ok(permit) if sends_a_write(permission) => {
                self.hold_while_trail_undelivered(&permit, resource.map(safe_resource))?;
                Ok(permit)
            }
            Ok(permit) => Ok(permit),
            Err(refused) => {
                let resource = resource.map(safe_resource);
                Recorder::new(
                    &self.audit,
                    &policy.operator,
                    Some(policy.role),
                    &self.identity.workstation,
                )
                .record(AuditEvent::denied(permission), resource, "denied")?;
                Err(refused)
            }
        }
    }

    /// Refuses an `id` that is a card number, e-mail or phone, before any role check or call:
    /// the attempt is audited as a refused `permission` on "invalid id", never with the input.
    fn refuse_personal_data_as_id(&self, permission: Permission, id: &str) -> Result<()> {
        let refused = crate::privacy::refuse_personal_data_as_id(id);
        if refused.is_err() {
            self.record(AuditEvent::denied(permission), Some(INVALID_ID), "refused")?;
        }
        refused
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Option<(String, String)>> {
        self.policy_seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the operator id and role in force when they differ from the ones the trail last
    /// named, so that an administrator's change (or a switch between the sandbox's own policy
    /// and the administrators') shows in the trail at the first action under it.
    fn note_policy(&self, policy: &Policy) -> Result<()> {
        let now = (policy.operator.clone(), policy.role.name().to_owned());
        let mut seen = self.seen();
        if seen.as_ref() == Some(&now) {
            return Ok(());
        }
        if let Some((operator, role)) = seen.as_ref() {
            let from = match &policy.source {
                crate::policy::Source::System(_) => "the administrators' policy file",
                crate::policy::Source::User(_) => "the user's own policy file, on the sandbox",
                crate::policy::Source::Default => "no policy file",
                crate::policy::Source::Untrusted(_) => "an untrusted policy file: read-only",
            };
            let change = format!("{operator} ({role}) → {} ({}), from {from}", now.0, now.1);
            Recorder::new(
                &self.audit,
                &policy.operator,
                Some(policy.role),
                &self.identity.workstation,
            )
            .record(AuditEvent::PolicyChange, None, &change)?;
        }
        *seen = Some(now);
        Ok(())
    }

    /// Who the audit trail names now, and in which role: the policy's, or the OS account (and
    /// no role) when the policy cannot be read.
    fn who(&self) -> (String, Option<Role>) {
        match self.policy() {
            Ok(policy) => {
                if let Err(error) = self.note_policy(&policy) {
                    tracing::warn!(code = ?error.code(), %error, "a change of operator or role could not be recorded yet");
                }
                (policy.operator, Some(policy.role))
            }
            Err(_) => (self.identity.account.clone(), None),
        }
    }

    /// A recorder for what `permit`'s holder does, on this workstation.
    fn recorder<'a>(&'a self, permit: &'a Permit) -> Recorder<'a> {
        Recorder::new(
            &self.audit,
            permit.operator(),
            Some(permit.role()),
            &self.identity.workstation,
        )
    }

    /// Appends an audit record for the current operator.
    fn record(&self, event: AuditEvent, resource: Option<&str>, result: &str) -> Result<()> {
        if let Some(aside) = &self.damaged.audit {
            return Err(aside.refusal("audit log"));
        }
        let (operator, role) = self.who();
        Recorder::new(&self.audit, &operator, role, &self.identity.workstation)
            .record(event, resource, result)
    }

    /// The active environment's clients, built on first use, and again when the environment in
    /// use is no longer theirs (the settings file changed under the console).
    async fn session(&self) -> Result<Arc<Session>> {
        let active = self.active_name()?;
        let mut guard = self.session.lock().await;
        if let Some(session) = guard.as_ref()
            && session.environment.name == active
        {
            return Ok(session.clone());
        }
        let environment = self.environment(&active)?;
        let name = self.keychain_name(&environment.name);
        let session = Arc::new(Session::connect(environment, &self.vault, name).await?);
        *guard = Some(session.clone());
        Ok(session)
    }

    /// Forgets the active environment's clients: the next call builds them afresh.
    async fn drop_session(&self) {
        self.session.lock().await.take();
    }
}

/// `resource` as the trail may name it: a card number, e-mail or phone never.
fn safe_resource(resource: &str) -> &str {
    match crate::privacy::refuse_personal_data_as_id(resource) {
        Ok(()) => resource,
        Err(_) => INVALID_ID,
    }
}

/// Whether `permission` sends one write to D1 (a batch's items each ask for theirs).
fn sends_a_write(permission: Permission) -> bool {
    permission.is_write() && permission != Permission::BatchOptOut
}

impl Gate for Console {
    fn permit(&self, permission: Permission, resource: Option<&str>) -> Result<Permit> {
        self.authorise(permission, resource)
    }
}

#[cfg(not(feature = "embedded-sandbox"))]
impl Console {
    /// Without the simulator there is no embedded sandbox.
    fn sandbox_environment(&self) -> Option<crate::environments::Environment> {
        None
    }

    /// An environment's secrets are named after it in the keychain.
    pub fn keychain_name(&self, environment: &str) -> String {
        environment.to_owned()
    }
}
