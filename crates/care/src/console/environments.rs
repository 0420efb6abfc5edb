//! Environments: which exist, which is in use, adding one, and the connection test.

use super::Console;
use crate::audit_log::AuditEvent;
use crate::environments::connection_test::{self, Step};
use crate::environments::{Environment, Session};
use crate::policy::Permission;
use crate::{Error, Result, SANDBOX_ENVIRONMENT};

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

impl Console {
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
            let has_credentials = crate::blocking(move || vault.has_all(&name)).await.ok();
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

    /// Adds (or replaces) a configured environment (admin only); its credentials are imported
    /// separately.
    pub fn add_environment(&self, environment: Environment) -> Result<()> {
        let permit = self.authorise(Permission::ManageEnvironments, Some(&environment.name))?;
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
        self.recorder(&permit)
            .record(AuditEvent::EnvironmentAdd, Some(&name), "ok")
    }

    /// Removes a configured environment and its secrets in the keychain (admin only). The one
    /// in use cannot be removed: switch to another first.
    pub async fn remove_environment(&self, name: &str) -> Result<()> {
        let permit = self.authorise(Permission::ManageEnvironments, Some(name))?;
        if name == SANDBOX_ENVIRONMENT {
            return Err(Error::InvalidInput(
                "the sandbox is built in and cannot be removed".into(),
            ));
        }
        self.environment(name)?;
        if self.active_name()? == name {
            return Err(Error::InvalidInput(format!(
                "{name} is the environment in use: switch to another first (c2p env use …)"
            )));
        }
        let vault = self.vault.clone();
        let keychain_name = self.keychain_name(name);
        crate::blocking(move || vault.remove(&keychain_name)).await?;
        self.settings
            .update(|s| s.environments.retain(|e| e.name != name))?;
        self.recorder(&permit)
            .record(AuditEvent::EnvironmentRemove, Some(name), "ok")
    }

    /// Switches the console to `name`; later calls use its credentials and policy.
    pub async fn use_environment(&self, name: &str) -> Result<()> {
        self.environment(name)?;
        self.settings
            .update(|s| s.active_environment = Some(name.to_owned()))?;
        self.drop_session().await;
        self.record(AuditEvent::EnvironmentChange, Some(name), "ok")
    }

    /// Tests `name`: handshake, token, one read from D1, one read from the bank's records, each
    /// timed, with a failure explained (audited).
    pub async fn test_connection(&self, name: &str) -> Result<Vec<Step>> {
        let environment = self.environment(name)?;
        let keychain_name = self.keychain_name(&environment.name);
        let session = Session::connect(environment, &self.vault, keychain_name).await?;
        let steps = connection_test::run(&session).await;
        let result = if steps.iter().all(|s| s.ok) {
            "ok"
        } else {
            "failed"
        };
        self.record(AuditEvent::ConnectionTest, Some(name), result)?;
        Ok(steps)
    }
}
