//! The clients of one environment, built once from its keychain entries and reused: one HTTP
//! client per identity.

use super::Environment;
use crate::bank::IssuerRecords;
use crate::credentials::{SecretKind, Vault};
use crate::{Error, Result};

/// The clients of the active environment.
pub struct Session {
    /// The environment.
    pub environment: Environment,
    /// The D1 client.
    pub d1: d1::Client,
    /// The issuer-records client.
    pub records: IssuerRecords,
}

impl Session {
    /// Builds the clients of `environment` from the keychain entries named `keychain_name`
    /// (read off the async threads).
    pub async fn connect(
        environment: Environment,
        vault: &Vault,
        keychain_name: String,
    ) -> Result<Self> {
        let vault = vault.clone();
        let (mtls, signing, api) = crate::blocking(move || {
            Ok((
                vault.get(&keychain_name, SecretKind::MtlsKey)?,
                vault.get(&keychain_name, SecretKind::SigningKey)?,
                vault.get(&keychain_name, SecretKind::IssuerApiKey)?,
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
        let issuer_id = d1::IssuerId::new(&environment.issuer_id)?;
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
        Ok(Self {
            environment,
            d1,
            records,
        })
    }
}
