//! The embedded simulator (cargo feature `embedded-sandbox`, on for the desktop app and the
//! tests): started on 127.0.0.1 with generated credentials stored in the keychain exactly as a
//! real environment's, and its keys removed when it stops.

use d1_sandbox::{Sandbox, SandboxConfig};

use super::Console;
use crate::audit_log::Recorder;
use crate::credentials::SecretKind;
use crate::environments::Environment;
use crate::journal::Note;
use crate::{Error, Result, SANDBOX_ENVIRONMENT};

/// The embedded sandbox and how it is reached.
pub(super) struct Embedded {
    sandbox: Sandbox,
    environment: Environment,
    /// Its secrets' name in the keychain: unique per start, so that two consoles on one
    /// machine never overwrite each other's sandbox keys.
    keychain_name: String,
}

/// The detail written beside [`Note::SandboxGone`].
const SANDBOX_GONE: &str =
    "the embedded sandbox that held this write has stopped, and its simulated data with it";

/// How the embedded sandbox's keychain entries begin; the console's process id follows.
const SANDBOX_KEYCHAIN_PREFIX: &str = "sandbox-p";

/// Whether process `pid` is running (on Linux: it has an entry in `/proc`). Elsewhere every
/// process counts as running, so that no other console's keys are ever taken.
fn process_alive(pid: u32) -> bool {
    !cfg!(target_os = "linux") || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl Console {
    /// Starts the built-in sandbox on 127.0.0.1 and stores its generated client credentials in
    /// the keychain like any other environment's.
    pub async fn start_sandbox(&self, config: SandboxConfig) -> Result<()> {
        let started_at = crate::journal::now();
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
            // The sandbox's consumers are a Japanese bank's.
            country: Some("JP".into()),
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
        crate::blocking(move || {
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
            crate::blocking(move || vault.remove(&name)).await?;
            old.sandbox.stop().await;
        }
        self.drop_session().await;
        tracing::info!(keychain_entries = %self.keychain_name(SANDBOX_ENVIRONMENT), "sandbox started");
        // Writes left unfinished on an earlier embedded sandbox can never end: its data is gone.
        let closed = self.journal.close_unfinished(
            SANDBOX_ENVIRONMENT,
            &started_at,
            Note::SandboxGone,
            SANDBOX_GONE,
        )?;
        let (operator, role) = self.who();
        let audit = Recorder::new(&self.audit, &operator, role, &self.identity.workstation);
        for entry in &closed {
            crate::writes::send::record_outcome(&audit, &self.journal, entry)?;
        }
        if !closed.is_empty() {
            tracing::info!(
                closed = closed.len(),
                "closed the writes left on an earlier embedded sandbox"
            );
        }
        Ok(())
    }

    /// The embedded sandbox, when started (for tests and benchmarks).
    pub fn with_sandbox<T>(&self, f: impl FnOnce(&Sandbox) -> T) -> Option<T> {
        let guard = self.sandbox.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(|embedded| f(&embedded.sandbox))
    }

    pub(super) fn sandbox_environment(&self) -> Option<Environment> {
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
