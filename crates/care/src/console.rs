//! The console: one object both faces (desktop and `c2p`) drive. It owns the settings, the
//! vault, the journal and the audit log, knows the active environment and its policy, and does
//! every action the same way: role check, then the action, then an audit record.

use std::sync::{Arc, Mutex};

use d1_sandbox::{Sandbox, SandboxConfig};

use crate::audit::{AuditLog, Event};
use crate::environments::Environment;
use crate::issuer_records::{IssuerRecords, SearchResults};
use crate::journal::Journal;
use crate::paths::AppDirs;
use crate::policy::{Action, Policy, PolicyPaths};
use crate::settings::SettingsStore;
use crate::vault::{SecretKind, Vault};
use crate::view::ConsumerView;
use crate::{Error, Result, SANDBOX_ENVIRONMENT};

/// What a console is opened with.
pub struct Options {
    /// Where its files live.
    pub dirs: AppDirs,
    /// The keychain.
    pub vault: Vault,
    /// Where the policy files are.
    pub policy: PolicyPaths,
}

/// The clients of the active environment, built once from the vault and reused.
pub struct Session {
    /// The environment.
    pub environment: Environment,
    /// The D1 client.
    pub d1: d1::Client,
    /// The issuer-records client.
    pub records: IssuerRecords,
}

/// An environment as the switcher lists it.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentStatus {
    /// The environment.
    pub environment: Environment,
    /// Whether it is the one in use.
    pub active: bool,
    /// Whether its secrets are in the keychain (`None` when the keychain cannot be read).
    pub has_credentials: Option<bool>,
}

/// The embedded sandbox and how it is reached.
struct Embedded {
    sandbox: Sandbox,
    environment: Environment,
    /// Its secrets' name in the keychain: unique per start, so that two consoles on one
    /// machine never overwrite each other's sandbox keys.
    keychain_name: String,
}

/// How the embedded sandbox's keychain entries begin; the console's process id follows.
const SANDBOX_KEYCHAIN_PREFIX: &str = "sandbox-p";

/// Whether process `pid` is running (on Linux: it has an entry in `/proc`). Elsewhere every
/// process counts as running, so that no other console's keys are ever taken.
fn process_alive(pid: u32) -> bool {
    !cfg!(target_os = "linux") || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The console's core.
pub struct Console {
    dirs: AppDirs,
    settings: SettingsStore,
    vault: Vault,
    policy_paths: PolicyPaths,
    pub(crate) journal: Journal,
    audit: AuditLog,
    workstation: String,
    sandbox: Mutex<Option<Embedded>>,
    session: tokio::sync::Mutex<Option<Arc<Session>>>,
    pub(crate) settle: std::time::Duration,
    /// Journal entries whose D1 call this process is making now: the tracker leaves them alone.
    pub(crate) in_flight: crate::writes::InFlight,
}

impl Console {
    /// Opens the console's files. Nothing is contacted.
    pub fn open(options: Options) -> Result<Self> {
        let Options {
            dirs,
            vault,
            policy,
        } = options;
        Ok(Self {
            settings: SettingsStore::new(&dirs.config),
            journal: Journal::open(&dirs.data.join("operations.sqlite"))?,
            audit: AuditLog::open(&dirs.data.join("audit.sqlite"))?,
            dirs,
            vault,
            policy_paths: policy,
            workstation: crate::policy::workstation(),
            sandbox: Mutex::new(None),
            session: tokio::sync::Mutex::new(None),
            settle: crate::writes::SETTLE,
            in_flight: crate::writes::InFlight::default(),
        })
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

    /// The settings file.
    pub fn settings(&self) -> &SettingsStore {
        &self.settings
    }

    /// The keychain.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// The operations journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Starts the built-in sandbox on 127.0.0.1 and stores its generated client credentials in
    /// the keychain like any other environment's.
    pub async fn start_sandbox(&self, config: SandboxConfig) -> Result<()> {
        let sandbox = Sandbox::start(config)
            .await
            .map_err(|e| Error::Internal(format!("the sandbox did not start: {e}")))?;
        let c = sandbox.credentials().clone();
        let environment = Environment {
            name: SANDBOX_ENVIRONMENT.to_owned(),
            base_url: sandbox.base_url(),
            token_url: sandbox.token_url(),
            issuer_records_url: sandbox.issuer_records_url(),
            issuer_id: c.issuer_id.clone(),
            kid: c.kid.clone(),
            trusted_ca_pem: Some(c.server_ca_pem.clone()),
            client_chain_pem: Some(c.client_chain_pem.clone()),
            certificate_not_after: None,
            simulated: true,
        };
        let mut suffix = [0u8; 6];
        aws_lc_rs::rand::fill(&mut suffix).map_err(|_| Error::Internal("no randomness".into()))?;
        // The process id lets a later console tell these keys from a running console's; the `x`
        // keeps an all-digit suffix from looking like a phone number to the log scrubber.
        let keychain_name = format!(
            "{SANDBOX_KEYCHAIN_PREFIX}{}-x{}",
            std::process::id(),
            hex::encode(suffix)
        );
        let vault = self.vault.clone();
        let name = keychain_name.clone();
        blocking(move || {
            vault.put(&name, SecretKind::MtlsKey, c.client_key_pem.as_bytes())?;
            vault.put(&name, SecretKind::SigningKey, c.signing_key_pem.as_bytes())?;
            vault.put(&name, SecretKind::IssuerApiKey, c.issuer_api_key.as_bytes())?;
            // A console killed outright (SIGKILL, a crash, power off) could not remove its
            // sandbox's keys: the next one does.
            match vault.remove_orphans(SANDBOX_KEYCHAIN_PREFIX, process_alive) {
                Ok(0) => {}
                Ok(removed) => tracing::info!(
                    removed,
                    "removed the sandbox keys of consoles that are gone"
                ),
                Err(error) => tracing::warn!(%error, "could not look for sandbox keys left behind"),
            }
            Ok(())
        })
        .await?;
        let old = self
            .sandbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(Embedded {
                sandbox,
                environment,
                keychain_name,
            });
        if let Some(old) = old {
            let vault = self.vault.clone();
            let name = old.keychain_name.clone();
            blocking(move || vault.remove(&name)).await?;
            old.sandbox.stop().await;
        }
        self.session.lock().await.take();
        tracing::info!(keychain_entries = %self.keychain_name(SANDBOX_ENVIRONMENT), "sandbox started");
        Ok(())
    }

    /// The embedded sandbox, when started (for tests and the admin view).
    pub fn with_sandbox<T>(&self, f: impl FnOnce(&Sandbox) -> T) -> Option<T> {
        let guard = self.sandbox.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(|embedded| f(&embedded.sandbox))
    }

    fn sandbox_environment(&self) -> Option<Environment> {
        let guard = self.sandbox.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(|embedded| embedded.environment.clone())
    }

    /// The name an environment's secrets have in the keychain: its own name, except for the
    /// embedded sandbox, whose secrets are per start.
    pub fn keychain_name(&self, environment: &str) -> String {
        let guard = self.sandbox.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(embedded) if environment == SANDBOX_ENVIRONMENT => embedded.keychain_name.clone(),
            _ => environment.to_owned(),
        }
    }

    /// Every environment: the sandbox (when started) and the configured ones.
    pub async fn environments(&self) -> Result<Vec<EnvironmentStatus>> {
        let settings = self.settings.load()?;
        let active = self.active_name()?;
        let mut all: Vec<Environment> = self.sandbox_environment().into_iter().collect();
        all.extend(settings.environments);
        let mut out = Vec::new();
        for environment in all {
            let vault = self.vault.clone();
            let name = self.keychain_name(&environment.name);
            let has_credentials = blocking(move || vault.has_all(&name)).await.ok();
            out.push(EnvironmentStatus {
                active: environment.name == active,
                environment,
                has_credentials,
            });
        }
        Ok(out)
    }

    /// The name of the environment in use (the sandbox unless another was chosen).
    pub fn active_name(&self) -> Result<String> {
        Ok(self
            .settings
            .load()?
            .active_environment
            .unwrap_or_else(|| SANDBOX_ENVIRONMENT.to_owned()))
    }

    /// The environment named `name`.
    pub fn environment(&self, name: &str) -> Result<Environment> {
        if name == SANDBOX_ENVIRONMENT {
            return self.sandbox_environment().ok_or_else(|| {
                Error::NotFound("the sandbox is not running in this process; use the desktop console, or add `d1-sandbox serve` as an environment".into())
            });
        }
        self.settings
            .load()?
            .environments
            .into_iter()
            .find(|e| e.name == name)
            .ok_or_else(|| Error::NotFound(format!("no environment named {name}: add it first")))
    }

    /// Adds (or replaces) a configured environment; its credentials are imported separately.
    pub fn add_environment(&self, environment: Environment) -> Result<()> {
        environment.validate()?;
        // `sandbox-…` names the embedded sandbox's keychain entries, which a console removes
        // when their process is gone.
        if environment.name == SANDBOX_ENVIRONMENT
            || environment
                .name
                .starts_with(&format!("{SANDBOX_ENVIRONMENT}-"))
        {
            return Err(Error::InvalidInput(format!(
                "{:?}: \"sandbox\" and names beginning \"sandbox-\" belong to the built-in environment: choose another",
                environment.name
            )));
        }
        let name = environment.name.clone();
        self.settings.update(|s| {
            s.environments.retain(|e| e.name != environment.name);
            s.environments.push(environment);
        })?;
        self.record_event("environment_add", Some(&name), "ok", None, None)
    }

    /// Switches the console to `name`; later calls use its credentials and policy.
    pub async fn use_environment(&self, name: &str) -> Result<()> {
        self.environment(name)?;
        self.settings
            .update(|s| s.active_environment = Some(name.to_owned()))?;
        self.session.lock().await.take();
        self.record_event("environment_change", Some(name), "ok", None, None)
    }

    /// Checks and stores credentials for `name`: secrets into the keychain, the public chain
    /// into the settings file. Returns the certificate's subject and expiry.
    pub async fn import_credentials(
        &self,
        name: &str,
        request: crate::credentials::ImportRequest,
    ) -> Result<(String, String)> {
        let environment = self.environment(name)?;
        self.vault.status()?;
        let checked = match blocking(move || crate::credentials::check(request)).await {
            Ok(checked) => checked,
            Err(error) => {
                self.record_event("credentials_import", Some(name), "refused", None, None)?;
                return Err(error);
            }
        };
        let (vault, settings) = (self.vault.clone(), self.settings.clone());
        let env_name = environment.name.clone();
        let (mtls, signing, api) = (
            checked.client_key_pem.clone(),
            checked.signing_key_pem.clone(),
            checked.issuer_api_key.clone(),
        );
        let (chain, not_after) = (checked.client_chain_pem.clone(), checked.not_after.clone());
        // The keys and the certificate they go with change together or not at all.
        let stored = blocking(move || {
            let secrets = [
                (SecretKind::MtlsKey, mtls.expose()),
                (SecretKind::SigningKey, signing.expose()),
                (SecretKind::IssuerApiKey, api.expose()),
            ];
            vault.replace_all(&env_name, &secrets, || {
                settings
                    .update(|s| {
                        if let Some(e) = s.environments.iter_mut().find(|e| e.name == env_name) {
                            e.client_chain_pem = Some(chain);
                            e.certificate_not_after = Some(not_after);
                        }
                    })
                    .map(|_| ())
            })
        })
        .await;
        if let Err(error) = stored {
            self.record_event("credentials_import", Some(name), "failed", None, None)?;
            return Err(error);
        }
        self.session.lock().await.take();
        self.record_event("credentials_import", Some(name), "ok", None, None)?;
        Ok((checked.subject, checked.not_after))
    }

    /// Removes `name`'s secrets from the keychain.
    pub async fn remove_credentials(&self, name: &str) -> Result<()> {
        let vault = self.vault.clone();
        let env_name = self.keychain_name(name);
        blocking(move || vault.remove(&env_name)).await?;
        self.session.lock().await.take();
        self.record_event("credentials_remove", Some(name), "ok", None, None)
    }

    /// The policy in force on the active environment. The user's own policy file counts only
    /// on the sandbox this process started: a `simulated` flag in the settings file is the
    /// user's to edit, so it never grants a role.
    pub fn policy(&self) -> Result<Policy> {
        let embedded =
            self.active_name()? == SANDBOX_ENVIRONMENT && self.sandbox_environment().is_some();
        Policy::load(&self.policy_paths, embedded)
    }

    /// The active environment's clients, built on first use.
    pub async fn session(&self) -> Result<Arc<Session>> {
        let mut guard = self.session.lock().await;
        if let Some(session) = guard.as_ref() {
            return Ok(session.clone());
        }
        let environment = self.environment(&self.active_name()?)?;
        let session = Arc::new(self.connect(environment).await?);
        *guard = Some(session.clone());
        Ok(session)
    }

    /// Builds the clients of `environment` from its keychain entries.
    pub(crate) async fn connect(&self, environment: Environment) -> Result<Session> {
        let vault = self.vault.clone();
        let name = self.keychain_name(&environment.name);
        let (mtls, signing, api) = blocking(move || {
            Ok((
                vault.get(&name, SecretKind::MtlsKey)?,
                vault.get(&name, SecretKind::SigningKey)?,
                vault.get(&name, SecretKind::IssuerApiKey)?,
            ))
        })
        .await?;
        let chain =
            environment
                .client_chain_pem
                .clone()
                .ok_or_else(|| Error::CredentialsMissing {
                    environment: environment.name.clone(),
                    what: "client certificate",
                })?;
        let issuer_id = d1::IssuerId::new(&environment.issuer_id)
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let config = d1::Config::new(
            &environment.base_url,
            &environment.token_url,
            issuer_id,
            &environment.kid,
            environment.trust(),
        );
        let identity = d1::Identity {
            client_chain_pem: chain.clone(),
            client_key_pem: mtls.clone(),
            signing_key_pem: signing,
        };
        let d1 = d1::Client::new(config, &identity)?;
        let records = IssuerRecords::new(
            &environment.issuer_records_url,
            &chain,
            &mtls,
            environment.trusted_ca_pem.as_deref(),
            api,
        )?;
        Ok(Session {
            environment,
            d1,
            records,
        })
    }

    /// Checks `action` against the policy in force now (read afresh, so an administrator's
    /// change applies at once); a refusal is audited. Returns that policy.
    pub(crate) fn authorise(&self, action: Action, resource: Option<&str>) -> Result<Policy> {
        let policy = self.policy()?;
        if let Err(error) = policy.check(action) {
            self.audit.append(Event {
                operator: policy.operator.clone(),
                workstation: self.workstation.clone(),
                event: format!("{action:?}").to_lowercase() + "_denied",
                resource: resource.map(str::to_owned),
                result: "denied".into(),
                operation_id: None,
                correlation_id: None,
            })?;
            return Err(error);
        }
        Ok(policy)
    }

    /// Appends an audit record for the current operator.
    pub(crate) fn record_event(
        &self,
        event: &str,
        resource: Option<&str>,
        result: &str,
        operation_id: Option<&str>,
        correlation_id: Option<&str>,
    ) -> Result<()> {
        let operator = self
            .policy()
            .map(|p| p.operator)
            .unwrap_or_else(|_| crate::policy::os_user());
        self.audit.append(Event {
            operator,
            workstation: self.workstation.clone(),
            event: event.to_owned(),
            resource: resource.map(str::to_owned),
            result: result.to_owned(),
            operation_id: operation_id.map(str::to_owned),
            correlation_id: correlation_id.map(str::to_owned),
        })?;
        Ok(())
    }

    /// Consumers matching `text`. The search text itself is not audited (it may be a name or
    /// a phone number); the number of results is.
    pub async fn search(&self, text: &str, limit: u32) -> Result<SearchResults> {
        self.authorise(Action::Search, None)?;
        let session = self.session().await?;
        let result = session.records.search(text, limit).await;
        let outcome = match &result {
            Ok(found) => format!("{} found", found.consumers.len()),
            Err(error) => format!("{:?}", error.code()),
        };
        self.record_event("search", None, &outcome, None, None)?;
        result
    }

    /// One consumer's bank record and directory profiles, compared.
    pub async fn consumer_view(&self, consumer_id: &str) -> Result<ConsumerView> {
        let consumer =
            d1::ConsumerId::new(consumer_id).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let policy = self.authorise(Action::View, Some(consumer_id))?;
        let session = self.session().await?;
        let mut view = crate::view::consumer_view(&session.d1, &session.records, &consumer).await;
        view.mask_for(policy.role);
        let result = if view.complete { "ok" } else { "partial" };
        self.record_event(
            "profile_view",
            Some(consumer_id),
            result,
            None,
            view.correlation_id.as_deref(),
        )?;
        Ok(view)
    }
}

/// Runs blocking keychain work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("a keychain task failed: {e}")))?
}

impl Console {
    /// Walks the audit chain; the verification itself is audited.
    pub fn audit_verify(&self) -> Result<crate::audit::Verification> {
        let verification = self.audit.verify()?;
        let result = match verification.first_broken {
            None => format!("intact ({} records)", verification.records),
            Some(seq) => format!("broken at record {seq}"),
        };
        self.record_event("audit_verify", None, &result, None, None)?;
        Ok(verification)
    }

    /// Exports the audit log to a new file in `<data>/exports` named after the time, e.g.
    /// `audit-20261125T093000Z.csv`; returns where, and how many records.
    pub fn audit_export_new_file(
        &self,
        format: crate::audit::ExportFormat,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(std::path::PathBuf, u64)> {
        let dir = self.exports_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::storage("create", &dir, e))?;
        let extension = match format {
            crate::audit::ExportFormat::Csv => "csv",
            crate::audit::ExportFormat::JsonLines => "jsonl",
        };
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let path = dir.join(format!("audit-{stamp}.{extension}"));
        let count = self.audit_export(format, &path, progress)?;
        Ok((path, count))
    }

    /// Exports the audit log to `path` (written whole or not at all); needs the auditor role.
    /// `progress` hears (written, total) as the export goes.
    pub fn audit_export(
        &self,
        format: crate::audit::ExportFormat,
        path: &std::path::Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        self.authorise(Action::AuditExport, None)?;
        let temp = path.with_extension("partial");
        let mut write = || -> Result<u64> {
            let file =
                std::fs::File::create(&temp).map_err(|e| Error::storage("create", &temp, e))?;
            let mut out = std::io::BufWriter::new(file);
            let count = self.audit.export(format, &mut out, progress)?;
            let file = out
                .into_inner()
                .map_err(|e| Error::storage("write", &temp, e.into_error()))?;
            file.sync_all()
                .map_err(|e| Error::storage("write", &temp, e))?;
            std::fs::rename(&temp, path).map_err(|e| Error::storage("write", path, e))?;
            Ok(count)
        };
        let result = write();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        let outcome = match &result {
            Ok(count) => format!("{count} records"),
            Err(error) => format!("{:?}", error.code()),
        };
        self.record_event("audit_export", None, &outcome, None, None)?;
        result
    }
}

impl Console {
    /// Stops using the embedded sandbox and removes its keys from the keychain. For a process
    /// that exits without dropping the console (the desktop app's event loop never returns).
    pub fn forget_sandbox(&self) {
        let embedded = self
            .sandbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(embedded) = embedded
            && let Err(error) = self.vault.remove(&embedded.keychain_name)
        {
            tracing::warn!(%error, "could not remove the sandbox's keys from the keychain");
        }
    }
}

impl Drop for Console {
    /// The embedded sandbox's keys die with it.
    fn drop(&mut self) {
        self.forget_sandbox();
    }
}
