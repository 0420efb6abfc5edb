//! Where the console connects: the built-in sandbox or a configured D1 environment (staging,
//! production). Only public parts live here; the environment's secrets are in the vault.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A D1 environment's public configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// Its name (`staging`, `production`, …): letters, digits, `-` and `_`.
    pub name: String,
    /// The banking API base, e.g. `https://…/banking/v1`.
    pub base_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The bank's issuer-records API base.
    pub issuer_records_url: String,
    /// The issuer's D1 id (10 characters).
    pub issuer_id: String,
    /// The key id of the ES256 signing key.
    pub kid: String,
    /// A CA to trust instead of the platform's roots (PEM); `None` for the real D1.
    #[serde(default)]
    pub trusted_ca_pem: Option<String>,
    /// The mTLS client certificate chain (PEM, public), set by the credential import.
    #[serde(default)]
    pub client_chain_pem: Option<String>,
    /// When the client certificate expires (RFC 3339), set by the credential import.
    #[serde(default)]
    pub certificate_not_after: Option<String>,
    /// Whether it serves simulated data (the built-in sandbox).
    #[serde(default)]
    pub simulated: bool,
}

impl Environment {
    /// Checks the name, the URLs (HTTPS only) and the ids; nothing is contacted.
    pub fn validate(&self) -> Result<()> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 32
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(Error::InvalidInput(format!(
                "environment name {:?}: use 1 to 32 letters, digits, '-' or '_'",
                self.name
            )));
        }
        for (what, url) in [
            ("base URL", &self.base_url),
            ("token URL", &self.token_url),
            ("issuer-records URL", &self.issuer_records_url),
        ] {
            if !url.starts_with("https://") || url.len() <= "https://".len() {
                return Err(Error::InvalidInput(format!(
                    "the {what} {url:?} must start with https:// (TLS cannot be turned off)"
                )));
            }
        }
        d1::IssuerId::new(&self.issuer_id).map_err(|e| Error::InvalidInput(e.to_string()))?;
        if self.kid.trim().is_empty() {
            return Err(Error::InvalidInput("the key id (kid) is empty".into()));
        }
        Ok(())
    }

    /// How the client trusts the server.
    pub fn trust(&self) -> d1::Trust {
        match &self.trusted_ca_pem {
            Some(ca) => d1::Trust::OnlyCa(vec![ca.clone()]),
            None => d1::Trust::PlatformRoots,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staging() -> Environment {
        Environment {
            name: "staging".into(),
            base_url: "https://d1.example/banking/v1".into(),
            token_url: "https://d1.example/authz/v1/oauth2/token".into(),
            issuer_records_url: "https://bank.example/issuer/v1".into(),
            issuer_id: "ISSUER0001".into(),
            kid: "kid-1".into(),
            trusted_ca_pem: None,
            client_chain_pem: None,
            certificate_not_after: None,
            simulated: false,
        }
    }

    #[test]
    fn a_well_formed_environment_passes_and_each_bad_field_is_named() {
        staging().validate().unwrap();
        type Spoil = fn(&mut Environment);
        let cases: [(Spoil, &str); 4] = [
            (|e| e.name = "prod/1".into(), "environment name"),
            (|e| e.base_url = "http://d1.example".into(), "base URL"),
            (|e| e.issuer_id = "SHORT".into(), "issuerId"),
            (|e| e.kid = " ".into(), "kid"),
        ];
        for (spoil, expected) in cases {
            let mut environment = staging();
            spoil(&mut environment);
            let error = environment.validate().unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::InvalidInput);
            assert!(error.to_string().contains(expected), "{error}");
        }
    }
}
