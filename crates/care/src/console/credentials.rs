//! Credentials: checked, then stored in the keychain together with their certificate, or not at
//! all; removed on request. There is no export of secrets.

use super::Console;
use crate::Result;
use crate::audit_log::AuditEvent;
use crate::credentials::{ImportRequest, SecretKind};
use crate::policy::Permission;

impl Console {
    /// Checks and stores credentials for `name` (admin only): secrets into the keychain, the
    /// public chain into the settings file, all or nothing. Returns the certificate's subject
    /// and expiry.
    pub async fn import_credentials(
        &self,
        name: &str,
        request: ImportRequest,
    ) -> Result<(String, String)> {
        let permit = self.authorise(Permission::ManageEnvironments, Some(name))?;
        let recorder = self.recorder(&permit);
        let environment = self.environment(name)?;
        self.vault.status()?;
        let checked = match crate::blocking(move || crate::credentials::check(request)).await {
            Ok(checked) => checked,
            Err(error) => {
                recorder.record(AuditEvent::CredentialsImport, Some(name), "refused")?;
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
        let stored = crate::blocking(move || {
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
            recorder.record(AuditEvent::CredentialsImport, Some(name), "failed")?;
            return Err(error);
        }
        self.drop_session().await;
        recorder.record(AuditEvent::CredentialsImport, Some(name), "ok")?;
        Ok((checked.subject, checked.not_after))
    }

    /// Removes `name`'s secrets from the keychain (admin only).
    pub async fn remove_credentials(&self, name: &str) -> Result<()> {
        let permit = self.authorise(Permission::ManageEnvironments, Some(name))?;
        let vault = self.vault.clone();
        let env_name = self.keychain_name(name);
        crate::blocking(move || vault.remove(&env_name)).await?;
        self.drop_session().await;
        self.recorder(&permit)
            .record(AuditEvent::CredentialsRemove, Some(name), "ok")
    }

    /// Whether the keychain can be used now: an error says why not (missing, locked) and what
    /// to do.
    pub fn keychain_status(&self) -> Result<()> {
        self.vault.status()
    }
}
