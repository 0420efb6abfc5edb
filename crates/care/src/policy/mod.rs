//! Who the operator is and what their role lets them do. The policy file lives in the system
//! configuration directory, writable only by administrators; a user-level one is honoured only
//! on the sandbox, so nobody can grant themselves a role on a real environment. Every action is
//! checked here, in the core, so neither face (desktop or CLI) can skip the check.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod system_file;

use system_file::SystemFile;

use crate::{Error, Result};

/// A role in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Support agent: search, view, opt out, enrol, update from the bank's record; suspend,
    /// resume or delete one token for a reason the customer gives.
    Agent,
    /// Fraud analyst: what an agent may, plus batch opt-out and the fraud team's token actions.
    Fraud,
    /// Auditor: search, view, audit export; no writes.
    Auditor,
    /// Administrator: adds, replaces and removes environments and their credentials, and
    /// recovers after a damaged journal or audit log; nothing else (not a superset of the other
    /// roles). Only the administrators' policy file grants it, as a role, or (environments and
    /// credentials only) as `"admin": true` beside another role of a named account.
    Admin,
}

impl Role {
    /// The role's name as the policy file spells it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Fraud => "fraud",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// Whether the role may see a card's BIN; agents see the last four only.
    pub fn sees_bin(self) -> bool {
        !matches!(self, Role::Agent)
    }
}

/// Something an operator may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Permission {
    /// Search consumers.
    Search,
    /// Open a consumer's profiles.
    View,
    /// Opt a card out.
    OptOutCard,
    /// Opt a consumer out of every directory.
    OptOutConsumer,
    /// Enrol a card.
    Enrol,
    /// Push the bank's record to a directory.
    Update,
    /// Opt out a list of cards or consumers.
    BatchOptOut,
    /// Suspend, resume or delete one token of a card, for a reason the customer gives.
    TokenWrite,
    /// The fraud team's token actions: a fraud reason code (`FRAUD_DETECTED`, `CARD_LOST`,
    /// `CARD_STOLEN`, `ISSUER_DECISION`), every token of a card at once, a token batch, and
    /// lifting a suspension the bank made for fraud.
    TokenFraud,
    /// Export the audit log or an audit report.
    AuditExport,
    /// Audit the profiles of a list of consumers (read-only) and export the report.
    AuditProfiles,
    /// Read every operator's records in the audit log (others read only their own).
    AuditRead,
    /// Add, replace or remove an environment or its credentials (admin only).
    ManageEnvironments,
    /// Start a new journal or audit log after a damaged one was kept aside (admin only).
    Recover,
}

impl Permission {
    /// Whether only an administrator may do it.
    pub fn is_admin(self) -> bool {
        allows(Role::Admin, self)
    }

    /// Whether it concerns the whole workstation rather than the environment in use (the audit
    /// trail of every environment, environments and credentials, recovery): only the
    /// administrators' policy file decides it.
    pub fn spans_workstation(self) -> bool {
        use Permission::*;
        matches!(self, AuditRead | AuditExport | ManageEnvironments | Recover)
    }

    /// Whether it sends a write to D1 (refused while the journal is kept aside).
    pub fn is_write(self) -> bool {
        use Permission::*;
        matches!(
            self,
            OptOutCard | OptOutConsumer | Enrol | Update | BatchOptOut | TokenWrite | TokenFraud
        )
    }

    /// Every action, for the role matrix.
    pub const ALL: [Permission; 14] = [
        Permission::Search,
        Permission::View,
        Permission::OptOutCard,
        Permission::OptOutConsumer,
        Permission::Enrol,
        Permission::Update,
        Permission::BatchOptOut,
        Permission::TokenWrite,
        Permission::TokenFraud,
        Permission::AuditExport,
        Permission::AuditProfiles,
        Permission::AuditRead,
        Permission::ManageEnvironments,
        Permission::Recover,
    ];

    /// The action in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Search => "search consumers",
            Permission::View => "view profiles",
            Permission::OptOutCard => "opt out a card",
            Permission::OptOutConsumer => "opt out a consumer",
            Permission::Enrol => "enrol a card",
            Permission::Update => "update a directory from the bank's record",
            Permission::BatchOptOut => "run a batch opt-out",
            Permission::TokenWrite => "suspend, resume or delete a token",
            Permission::TokenFraud => {
                "act on tokens for fraud (a fraud reason code, every token of a card, a token batch, lifting the bank's fraud suspension)"
            }
            Permission::AuditExport => "export the audit log",
            Permission::AuditProfiles => "audit consumer profiles in batch",
            Permission::AuditRead => "read every operator's audit records",
            Permission::ManageEnvironments => {
                "add, replace or remove an environment or its credentials"
            }
            Permission::Recover => "start a new journal or audit log after a damaged one",
        }
    }
}

/// Whether `role` may take `action`.
pub fn allows(role: Role, action: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Agent => matches!(
            action,
            Search | View | OptOutCard | OptOutConsumer | Enrol | Update | TokenWrite
        ),
        Role::Fraud => !matches!(
            action,
            AuditExport | AuditProfiles | AuditRead | ManageEnvironments | Recover
        ),
        Role::Auditor => matches!(
            action,
            Search | View | AuditExport | AuditProfiles | AuditRead
        ),
        Role::Admin => matches!(action, ManageEnvironments | Recover),
    }
}

/// Proof that the policy in force on one environment allowed one permission to one operator:
/// only the console's role check makes one (through `Policy::permit`, private to this crate),
/// and the domain functions that act take it, so nothing acts without the role check, and
/// nothing acts on another environment than the one whose policy allowed it.
#[derive(Debug, PartialEq, Eq)]
pub struct Permit {
    operator: String,
    role: Role,
    permission: Permission,
    environment: String,
}

impl Permit {
    /// Who it was given to, as the audit trail records them.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// Their role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// What it allows.
    pub fn permission(&self) -> Permission {
        self.permission
    }

    /// The environment whose policy allowed it.
    pub fn environment(&self) -> &str {
        &self.environment
    }
}

/// Asks the policy in force for a [`Permit`] (read afresh each time, so an administrator's
/// change applies at once, also in the middle of a batch); a refusal is audited.
pub(crate) trait Gate: Sync {
    /// A permit for `permission` on `resource`, or [`Error::Forbidden`].
    fn permit(&self, permission: Permission, resource: Option<&str>) -> Result<Permit>;
}

/// Who is at the keyboard, as the operating system knows them: the faces read it from the OS
/// ([`Identity::of_this_process`]); the core takes it as a value, so tests run two operators side
/// by side. Never read from an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The OS account the process runs as.
    pub account: String,
    /// This computer's host name.
    pub workstation: String,
}

impl Identity {
    /// The account this process runs as (its effective user, through the system's user
    /// database) and the host name, from the operating system.
    pub fn of_this_process() -> Result<Self> {
        let unknown = |what: &str, e: whoami::Error| {
            Error::Internal(format!(
                "the operating system does not say which {what} this is ({e}); the console records every action under the real account and cannot start without it"
            ))
        };
        Ok(Self {
            account: whoami::account().map_err(|e| unknown("account", e))?,
            workstation: whoami::hostname().map_err(|e| unknown("computer", e))?,
        })
    }
}

/// The policy file's content: one operator and role for whoever uses the machine (the first
/// form, still honoured), or each OS account's operator id and role, with an optional role for
/// accounts not listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum PolicyFile {
    /// `{"operator": "A-0042", "role": "agent"}`.
    Single(Single),
    /// `{"operators": {"alice": {"id": "A-0042", "role": "fraud"}}, "default": "agent"}`.
    PerAccount(PerAccount),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Single {
    operator: Option<String>,
    role: Role,
    #[serde(default)]
    admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PerAccount {
    operators: std::collections::BTreeMap<String, Operator>,
    #[serde(default)]
    default: Option<Role>,
    /// Team mode (read from the administrators' file only: see [`team_config`]).
    #[serde(default)]
    team: Option<TeamConfig>,
    /// The most tokens one token batch may act on (see [`token_batch_max`]).
    #[serde(default)]
    token_batch_max: Option<u32>,
}

/// The most tokens one token batch acts on unless the administrators' file says otherwise.
pub const TOKEN_BATCH_MAX: usize = 500;

/// The most tokens one token batch may act on: the administrators' `"tokenBatchMax"`, else
/// [`TOKEN_BATCH_MAX`]. Only the administrators' file counts.
pub fn token_batch_max(paths: &PolicyPaths) -> Result<usize> {
    let set = match system_file::read(&paths.system, paths.system_owner)? {
        SystemFile::Trusted(text) => match parse(&text, &paths.system)? {
            PolicyFile::PerAccount(per_account) => per_account.token_batch_max,
            PolicyFile::Single(_) => None,
        },
        SystemFile::Untrusted(_) | SystemFile::Absent => None,
    };
    Ok(set.map_or(TOKEN_BATCH_MAX, |n| n as usize))
}

/// Team mode's settings, in the administrators' policy file only:
/// `"team": {"host": "db.bank.example", "port": 5432, "database": "c2p", "caFile": "/etc/c2p-care/team-ca.pem",
/// "backlogLimitSeconds": 300, "claimLeaseSeconds": 120, "batchLeaseSeconds": 30,
/// "takeoverGraceSeconds": 600}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamConfig {
    /// The team store's host (checked against its certificate).
    pub host: String,
    /// Its port.
    #[serde(default = "default_team_port")]
    pub port: u16,
    /// The database.
    pub database: String,
    /// The CA that signs the store's certificate (PEM); TLS cannot be turned off.
    pub ca_file: PathBuf,
    /// How old the oldest record the store does not hold yet may grow before writes are held.
    #[serde(default = "default_backlog_limit")]
    pub backlog_limit_seconds: u32,
    /// How long a write's claim is held for its send: the request leaves within it, or the
    /// claim becomes UNKNOWN (reconciled from D1). Longer than a write can take.
    #[serde(default = "default_claim_lease")]
    pub claim_lease_seconds: u32,
    /// How long a batch's runner holds it without renewing (it renews every third of this)
    /// before another fraud workstation may take it over.
    #[serde(default = "default_batch_lease")]
    pub batch_lease_seconds: u32,
    /// After a batch is taken over, how long a write its old runner had on its way, of which D1
    /// shows no trace, stays UNKNOWN before it is called not applied and sent again: the old
    /// runner (a laptop closed mid-request) may still send it until then.
    #[serde(default = "default_takeover_grace")]
    pub takeover_grace_seconds: u32,
    /// How long a fraud analyst's emergency mode lasts at most: while the team store cannot be
    /// reached, their writes go out unclaimed, each flagged in the trail and raised as an
    /// alert, then claimed and reconciled once the store is back. 0 (the default): no
    /// emergency mode.
    #[serde(default)]
    pub emergency_minutes: u32,
}

fn default_team_port() -> u16 {
    5432
}

fn default_backlog_limit() -> u32 {
    300
}

fn default_claim_lease() -> u32 {
    120
}

fn default_batch_lease() -> u32 {
    30
}

fn default_takeover_grace() -> u32 {
    600
}

/// Team mode's settings: only the administrators' file sets them (a user's own file never
/// does), and only when that file is trusted; `None` without team mode.
pub fn team_config(paths: &PolicyPaths) -> Result<Option<TeamConfig>> {
    match system_file::read(&paths.system, paths.system_owner)? {
        SystemFile::Trusted(text) => match parse(&text, &paths.system)? {
            PolicyFile::PerAccount(per_account) => Ok(per_account.team),
            PolicyFile::Single(_) => Ok(None),
        },
        SystemFile::Untrusted(why) => Err(Error::InvalidInput(format!(
            "the administrators' policy file cannot be trusted ({why}), so team mode's settings cannot be read: ask an administrator to fix it"
        ))),
        SystemFile::Absent => Ok(None),
    }
}

/// Where the team store is, from the administrators' policy (its CA read now); an error
/// without team mode.
pub fn team_address(paths: &PolicyPaths) -> Result<team::Address> {
    let config = team_config(paths)?.ok_or_else(|| {
        Error::InvalidInput(
            "team mode is off: the administrators' policy file has no \"team\" section".into(),
        )
    })?;
    // The CA decides which server is the team store: like the policy, only the administrators
    // may change it.
    let ca_pem = match system_file::read(&config.ca_file, paths.system_owner)? {
        SystemFile::Trusted(text) => text,
        SystemFile::Absent => {
            return Err(Error::InvalidInput(format!(
                "the team store's CA file {} named in the administrators' policy is missing: ask an administrator",
                config.ca_file.display()
            )));
        }
        SystemFile::Untrusted(why) => {
            return Err(Error::InvalidInput(format!(
                "the team store's CA file {} cannot be trusted ({why}): like the policy, it must be the administrators' alone; ask an administrator",
                config.ca_file.display()
            )));
        }
    };
    Ok(team::Address {
        host: config.host,
        port: config.port,
        database: config.database,
        ca_pem,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Operator {
    id: String,
    role: Role,
    /// Also an administrator (environments and credentials), beside `role`.
    #[serde(default)]
    admin: bool,
}

/// Where the operator's policy came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind", content = "path")]
pub enum Source {
    /// The administrators' file.
    System(String),
    /// The user's own file (sandbox only).
    User(String),
    /// No file: the OS user as an agent.
    Default,
    /// The administrators' file exists but cannot be trusted (owned by another account, or
    /// writable by others): the console only searches and views until an administrator fixes it.
    Untrusted(String),
}

/// The operator and their role, as the console enforces them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Who is recorded in the audit log.
    pub operator: String,
    /// What they may do.
    pub role: Role,
    /// Whether they may also manage environments and credentials (only the administrators'
    /// file grants it).
    pub admin: bool,
    /// Where this came from.
    pub source: Source,
}

/// Where the policy files are looked for, and who must own the administrators' one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPaths {
    /// The administrators' file.
    pub system: PathBuf,
    /// The user's file, honoured only on the sandbox.
    pub user: PathBuf,
    /// The account that must own the administrators' file and its folder (Unix: root, uid 0;
    /// tests name their own).
    pub system_owner: u32,
}

impl PolicyPaths {
    /// The platform's locations: `/etc/c2p-care/policy.json` (macOS: `/Library/Application
    /// Support/C2P Care`, Windows: the ProgramData known folder's `C2P Care`, never what the
    /// `ProgramData` variable says) and `<config>/policy.json`.
    pub fn platform(config_dir: &Path) -> Self {
        #[cfg(target_os = "windows")]
        let system = known_folders::get_known_folder_path(known_folders::KnownFolder::ProgramData)
            .unwrap_or_else(|| PathBuf::from("C:\\ProgramData"))
            .join("C2P Care");
        #[cfg(target_os = "macos")]
        let system = PathBuf::from("/Library/Application Support/C2P Care");
        #[cfg(not(any(target_os = "windows", target_os = "macos")))]
        let system = PathBuf::from("/etc/c2p-care");
        let paths = Self {
            system: system.join("policy.json"),
            user: config_dir.join("policy.json"),
            system_owner: 0,
        };
        #[cfg(feature = "test-hooks")]
        let paths = paths.for_tests();
        paths
    }

    /// Test builds only (cargo feature `test-hooks`, which no shipped build enables): the
    /// administrators' file is the one `C2P_TEST_SYSTEM_POLICY` names, owned by whoever runs
    /// the test, so the end-to-end tests can give the console's account a role.
    #[cfg(feature = "test-hooks")]
    fn for_tests(self) -> Self {
        tracing::warn!(
            "test build: the administrators' policy may come from C2P_TEST_SYSTEM_POLICY"
        );
        match std::env::var_os("C2P_TEST_SYSTEM_POLICY") {
            #[cfg(unix)]
            Some(path) => Self {
                system: path.into(),
                system_owner: rustix::process::geteuid().as_raw(),
                ..self
            },
            _ => self,
        }
    }
}

impl Policy {
    /// The policy for an environment: the system file when there is one; else, on the sandbox
    /// only, the user's file; else the OS user as an agent. An unreadable file is an error, never
    /// a silent default.
    pub fn load(paths: &PolicyPaths, sandbox: bool, identity: &Identity) -> Result<Self> {
        match system_file::read(&paths.system, paths.system_owner)? {
            SystemFile::Trusted(text) => {
                let file = parse(&text, &paths.system)?;
                let source = Source::System(paths.system.display().to_string());
                return Self::from_file(file, source, identity);
            }
            SystemFile::Untrusted(why) => {
                return Ok(Self {
                    operator: identity.account.clone(),
                    role: Role::Agent,
                    admin: false,
                    source: Source::Untrusted(format!("{}: {why}", paths.system.display())),
                });
            }
            SystemFile::Absent => {}
        }
        if sandbox && let Some(file) = read(&paths.user)? {
            let source = Source::User(paths.user.display().to_string());
            return Self::from_file(file, source, identity);
        }
        Ok(Self {
            operator: identity.account.clone(),
            role: Role::Agent,
            admin: false,
            source: Source::Default,
        })
    }

    /// The policy `file` gives `identity`'s account; an account the file does not list, when it
    /// names no default role, may do nothing. A user's own file that grants `admin` is refused.
    fn from_file(file: PolicyFile, source: Source, identity: &Identity) -> Result<Self> {
        let (operator, role, admin) = match file {
            PolicyFile::Single(single) => {
                if single.admin || single.role == Role::Admin {
                    return Err(Error::InvalidInput(
                        "the one-operator policy applies to every account on this computer, so it cannot grant admin: name each administrator's account under \"operators\" (ask an administrator to fix it)".into(),
                    ));
                }
                (
                    single.operator.unwrap_or_else(|| identity.account.clone()),
                    single.role,
                    false,
                )
            }
            PolicyFile::PerAccount(per_account) => {
                if per_account.default == Some(Role::Admin) {
                    return Err(Error::InvalidInput(
                        "the policy's default role cannot be admin: name each administrator's account (ask an administrator to fix it)".into(),
                    ));
                }
                match per_account.operators.get(&identity.account) {
                    Some(listed) => (listed.id.clone(), listed.role, listed.admin),
                    None => match per_account.default {
                        Some(role) => (identity.account.clone(), role, false),
                        None => {
                            return Err(Error::Forbidden {
                                operator: identity.account.clone(),
                                role: "none".into(),
                                action: "use the console: the policy does not list this account and gives no default role (ask an administrator)".into(),
                            });
                        }
                    },
                }
            }
        };
        let admin = admin || role == Role::Admin;
        if admin && let Source::User(path) = &source {
            return Err(Error::InvalidInput(format!(
                "your own policy file {path} grants admin, which only the administrators' file can: remove it from that file"
            )));
        }
        Ok(Self {
            operator,
            role,
            admin,
            source,
        })
    }

    /// Every action this policy allows.
    #[cfg(test)]
    fn allowed(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|action| self.check(*action).is_ok())
            .collect()
    }

    /// A [`Permit`] on `environment` (the one this policy was loaded for) when the role allows
    /// `action`, else [`Error::Forbidden`].
    pub(crate) fn permit(&self, action: Permission, environment: &str) -> Result<Permit> {
        self.check(action)?;
        Ok(Permit {
            operator: self.operator.clone(),
            role: if action.is_admin() {
                Role::Admin
            } else {
                self.role
            },
            permission: action,
            environment: environment.to_owned(),
        })
    }

    /// `Ok` when this policy allows `action`, else why not ([`Error::Forbidden`]).
    fn check(&self, action: Permission) -> Result<()> {
        if let Source::Untrusted(why) = &self.source
            && !matches!(action, Permission::Search | Permission::View)
        {
            return Err(Error::Forbidden {
                operator: self.operator.clone(),
                role: "read-only".into(),
                action: format!(
                    "{}: the policy file is not trusted ({why}); ask an administrator to make it root's and writable by nobody else",
                    action.describe()
                ),
            });
        }
        // `"admin": true` beside a working role adds environments and credentials, never
        // recovery: an operator does not begin their own trail again.
        if allows(self.role, action) || (self.admin && action == Permission::ManageEnvironments) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                operator: self.operator.clone(),
                role: self.role.name().to_owned(),
                action: action.describe().to_owned(),
            })
        }
    }
}

/// The user's own file at `path`, if there is one.
fn read(path: &Path) -> Result<Option<PolicyFile>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::storage("read the policy", path, e)),
    };
    parse(&text, path).map(Some)
}

/// A policy file's `text` (from `path`), or what is wrong with it.
fn parse(text: &str, path: &Path) -> Result<PolicyFile> {
    serde_json::from_str(text).map_err(|e| {
        Error::InvalidInput(format!(
            "the policy file {} is not valid ({e}); expected {{\"operator\": \"…\", \"role\": \"agent|fraud|auditor\"}} or {{\"operators\": {{\"ACCOUNT\": {{\"id\": \"…\", \"role\": \"…\", \"admin\": false}}}}, \"default\": \"agent\"}}: ask an administrator to fix it",
            path.display()
        ))
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn alice() -> Identity {
        Identity {
            account: "alice".into(),
            workstation: "ws-07".into(),
        }
    }

    fn paths(dir: &Path) -> PolicyPaths {
        PolicyPaths {
            system_owner: rustix::process::geteuid().as_raw(),
            system: dir.join("system/policy.json"),
            user: dir.join("user/policy.json"),
        }
    }

    /// Writes a policy file as an administrator would: writable by its owner only, whatever
    /// this process's umask.
    pub(super) fn write(path: &Path, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let folder = path.parent().unwrap();
        std::fs::create_dir_all(folder).unwrap();
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    #[test]
    fn the_role_matrix_is_as_documented() {
        use Permission::*;
        let expected = |role: Role| -> Vec<Permission> {
            match role {
                Role::Agent => vec![
                    Search,
                    View,
                    OptOutCard,
                    OptOutConsumer,
                    Enrol,
                    Update,
                    TokenWrite,
                ],
                Role::Fraud => vec![
                    Search,
                    View,
                    OptOutCard,
                    OptOutConsumer,
                    Enrol,
                    Update,
                    BatchOptOut,
                    TokenWrite,
                    TokenFraud,
                ],
                Role::Auditor => vec![Search, View, AuditExport, AuditProfiles, AuditRead],
                Role::Admin => vec![ManageEnvironments, Recover],
            }
        };
        for role in [Role::Agent, Role::Fraud, Role::Auditor, Role::Admin] {
            let allowed: Vec<Permission> = Permission::ALL
                .into_iter()
                .filter(|a| allows(role, *a))
                .collect();
            assert_eq!(allowed, expected(role), "{role:?}");
        }
    }

    #[test]
    fn the_system_file_wins_and_the_user_file_counts_only_on_the_sandbox() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        write(&paths.user, r#"{"operator":"me","role":"fraud"}"#);
        assert_eq!(
            Policy::load(&paths, true, &alice()).unwrap().role,
            Role::Fraud
        );
        let real = Policy::load(&paths, false, &alice()).unwrap();
        assert_eq!((real.role, real.source), (Role::Agent, Source::Default));
        write(&paths.system, r#"{"operator":"A-0042","role":"auditor"}"#);
        for sandbox in [true, false] {
            let policy = Policy::load(&paths, sandbox, &alice()).unwrap();
            assert_eq!(policy.operator, "A-0042");
            assert_eq!(policy.role, Role::Auditor);
            assert!(matches!(policy.source, Source::System(_)));
        }
    }

    #[test]
    fn only_the_administrators_file_turns_team_mode_on() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        let team = r#"{"operators": {"alice": {"id": "A-0042", "role": "agent"}},
            "team": {"host": "db.bank.example", "database": "c2p", "caFile": "/etc/c2p-care/team-ca.pem"}}"#;
        write(&paths.user, team);
        assert_eq!(
            team_config(&paths).unwrap(),
            None,
            "a user's own file never does"
        );
        write(&paths.system, team);
        assert_eq!(
            team_config(&paths).unwrap(),
            Some(TeamConfig {
                host: "db.bank.example".into(),
                port: 5432,
                database: "c2p".into(),
                ca_file: "/etc/c2p-care/team-ca.pem".into(),
                backlog_limit_seconds: 300,
                claim_lease_seconds: 120,
                batch_lease_seconds: 30,
                takeover_grace_seconds: 600,
                emergency_minutes: 0,
            })
        );
        write(
            &paths.system,
            r#"{"operators": {}, "team": {"host": "h", "database": "d", "caFile": "c", "tls": false}}"#,
        );
        assert!(team_config(&paths).is_err(), "no setting turns TLS off");
    }

    #[test]
    fn each_account_gets_its_own_operator_id_and_role() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        write(
            &paths.system,
            r#"{"operators": {"alice": {"id": "A-0042", "role": "fraud"}, "bob": {"id": "A-0043", "role": "auditor"}}}"#,
        );
        let policy = Policy::load(&paths, false, &alice()).unwrap();
        assert_eq!(
            (policy.operator.as_str(), policy.role),
            ("A-0042", Role::Fraud)
        );
        let bob = Identity {
            account: "bob".into(),
            ..alice()
        };
        let policy = Policy::load(&paths, false, &bob).unwrap();
        assert_eq!(
            (policy.operator.as_str(), policy.role),
            ("A-0043", Role::Auditor)
        );
        // Unlisted, with no default role: nothing is allowed, and the error says why.
        let carol = Identity {
            account: "carol".into(),
            ..alice()
        };
        let error = Policy::load(&paths, false, &carol).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Forbidden);
        assert!(error.to_string().contains("carol"), "{error}");
        // With a default role, an unlisted account works under its own name.
        write(
            &paths.system,
            r#"{"operators": {"alice": {"id": "A-0042", "role": "fraud"}}, "default": "agent"}"#,
        );
        let policy = Policy::load(&paths, false, &carol).unwrap();
        assert_eq!(
            (policy.operator.as_str(), policy.role),
            ("carol", Role::Agent)
        );
        // The first form still names one operator, or the account when it names none.
        write(&paths.system, r#"{"role": "auditor"}"#);
        let policy = Policy::load(&paths, false, &carol).unwrap();
        assert_eq!(
            (policy.operator.as_str(), policy.role),
            ("carol", Role::Auditor)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_policy_file_others_could_change_makes_the_console_read_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        write(&paths.system, r#"{"operator": "A-0042", "role": "fraud"}"#);
        let folder = paths.system.parent().unwrap().to_owned();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&paths.system, std::fs::Permissions::from_mode(0o644)).unwrap();
        let trusted = Policy::load(&paths, false, &alice()).unwrap();
        assert_eq!(trusted.role, Role::Fraud);
        let others = PolicyPaths {
            system_owner: paths.system_owner + 1,
            ..paths.clone()
        };
        for (paths, file_mode, folder_mode) in [
            (&paths, 0o666, 0o755),
            (&paths, 0o644, 0o777),
            (&others, 0o644, 0o755),
        ] {
            std::fs::set_permissions(&paths.system, std::fs::Permissions::from_mode(file_mode))
                .unwrap();
            std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(folder_mode))
                .unwrap();
            let policy = Policy::load(paths, false, &alice()).unwrap();
            assert!(matches!(policy.source, Source::Untrusted(_)), "{policy:?}");
            assert_eq!(
                policy.operator, "alice",
                "the file's operator is not believed"
            );
            assert_eq!(policy.allowed(), [Permission::Search, Permission::View]);
            let refused = policy
                .permit(Permission::OptOutCard, "staging")
                .unwrap_err();
            assert_eq!(refused.code(), crate::ErrorCode::Forbidden);
            assert!(refused.to_string().contains("not trusted"), "{refused}");
            policy.permit(Permission::View, "staging").unwrap();
        }
    }

    #[test]
    fn only_the_administrators_file_grants_admin() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        // A user's own file may not grant it, as a role or beside one.
        for text in [
            r#"{"role":"admin"}"#,
            r#"{"role":"fraud","admin":true}"#,
            r#"{"operators":{"alice":{"id":"A-1","role":"agent","admin":true}}}"#,
        ] {
            write(&paths.user, text);
            let error = Policy::load(&paths, true, &alice()).unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::InvalidInput, "{text}");
            assert!(error.to_string().contains("admin"), "{error}");
        }
        // Without any file nobody may manage environments.
        std::fs::remove_file(&paths.user).unwrap();
        let none = Policy::load(&paths, true, &alice()).unwrap();
        assert!(!none.allowed().contains(&Permission::ManageEnvironments));
        // The administrators' file grants it beside a role: the permit for it names `admin`,
        // the others the operator's role; admin alone allows nothing else.
        write(
            &paths.system,
            r#"{"operators":{"alice":{"id":"A-1","role":"fraud","admin":true},"it":{"id":"IT-1","role":"admin"}},"default":"agent"}"#,
        );
        let alice_policy = Policy::load(&paths, false, &alice()).unwrap();
        let permit = alice_policy
            .permit(Permission::ManageEnvironments, "staging")
            .unwrap();
        assert_eq!(permit.role(), Role::Admin);
        let permit = alice_policy
            .permit(Permission::BatchOptOut, "staging")
            .unwrap();
        assert_eq!(permit.role(), Role::Fraud);
        // Beside a working role it never covers recovery: no one begins their own trail again.
        let refused = alice_policy
            .permit(Permission::Recover, "staging")
            .unwrap_err();
        assert_eq!(refused.code(), crate::ErrorCode::Forbidden);
        let it = Identity {
            account: "it".into(),
            ..alice()
        };
        let it_policy = Policy::load(&paths, false, &it).unwrap();
        assert_eq!(
            it_policy.allowed(),
            [Permission::ManageEnvironments, Permission::Recover]
        );
        let carol = Identity {
            account: "carol".into(),
            ..alice()
        };
        let carol_policy = Policy::load(&paths, false, &carol).unwrap();
        let refused = carol_policy
            .permit(Permission::ManageEnvironments, "staging")
            .unwrap_err();
        assert_eq!(refused.code(), crate::ErrorCode::Forbidden);
        // A default role of admin, or the one-operator form (which every account gets), would
        // make every account an administrator: refused.
        for text in [
            r#"{"operators":{},"default":"admin"}"#,
            r#"{"role":"admin"}"#,
            r#"{"operator":"IT-1","role":"agent","admin":true}"#,
        ] {
            write(&paths.system, text);
            assert!(Policy::load(&paths, false, &carol).is_err(), "{text}");
        }
    }

    #[test]
    fn a_broken_policy_file_is_an_error_not_a_default() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        write(&paths.system, r#"{"role":"root"}"#);
        let error = Policy::load(&paths, false, &alice()).unwrap_err();
        assert!(
            error.to_string().contains("ask an administrator"),
            "{error}"
        );
    }

    #[test]
    fn a_denied_action_says_who_and_what() {
        let policy = Policy {
            operator: "bob".into(),
            role: Role::Auditor,
            admin: false,
            source: Source::Default,
        };
        let permit = policy.permit(Permission::View, "staging").unwrap();
        assert_eq!(
            (
                permit.operator(),
                permit.role(),
                permit.permission(),
                permit.environment()
            ),
            ("bob", Role::Auditor, Permission::View, "staging")
        );
        let error = policy
            .permit(Permission::OptOutCard, "staging")
            .unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Forbidden);
        assert!(
            error
                .to_string()
                .contains("bob (role auditor) may not opt out a card"),
            "{error}"
        );
    }
}
