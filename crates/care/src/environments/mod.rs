//! Where the console connects: the built-in sandbox or a configured D1 environment (staging,
//! production). Only public parts live here; the environment's secrets are in the vault. The
//! clients built from them are a [`Session`]; the file they are kept in is [`settings`].

pub mod connection_test;
pub mod session;
pub mod settings;

use serde::{Deserialize, Serialize};

pub use session::Session;
pub use settings::{Language, Settings, SettingsStore, Theme};

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
    /// The bank's country (ISO 3166-1 alpha-2, e.g. `JP`): phone numbers of that country are
    /// shown in national format, others in international format. `None`: all international.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// What an operator fills in to add an environment (the desktop wizard, `c2p env add`).
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentForm {
    /// Its name.
    pub name: String,
    /// The banking API base URL.
    pub base_url: String,
    /// The token endpoint URL.
    pub token_url: String,
    /// The bank's issuer-records API base URL.
    pub issuer_records_url: String,
    /// The issuerId.
    pub issuer_id: String,
    /// The signing key's key id.
    pub kid: String,
    /// A CA certificate file (PEM) to trust instead of the platform's roots (from the desktop
    /// app, the token of a file picked in the system's picker, which the app turns into its path).
    pub ca_file: Option<String>,
    /// The bank's country (ISO 3166-1 alpha-2), if given.
    #[serde(default)]
    pub country: Option<String>,
}

impl EnvironmentForm {
    /// The environment it describes, checked, with its CA file read and parsed.
    pub fn into_environment(self) -> Result<Environment> {
        let trusted_ca_pem = match self.ca_file.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(path) => Some(read_ca(std::path::Path::new(path))?),
        };
        let environment = Environment {
            name: self.name.trim().to_owned(),
            base_url: self.base_url.trim().to_owned(),
            token_url: self.token_url.trim().to_owned(),
            issuer_records_url: self.issuer_records_url.trim().to_owned(),
            issuer_id: self.issuer_id.trim().to_owned(),
            kid: self.kid.trim().to_owned(),
            trusted_ca_pem,
            client_chain_pem: None,
            certificate_not_after: None,
            simulated: false,
            country: self
                .country
                .map(|c| c.trim().to_uppercase())
                .filter(|c| !c.is_empty()),
        };
        environment.validate()?;
        Ok(environment)
    }
}

/// What the console reads of `sandbox.json`, the file `d1-sandbox serve --state-dir` writes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SandboxState {
    base_url: String,
    token_url: String,
    issuer_records_url: String,
    issuer_id: String,
    kid: String,
}

impl Environment {
    /// An environment `name` for the sandbox whose state directory is `dir` (`sandbox.json`
    /// and `server-ca.pem`, written by `d1-sandbox serve --state-dir DIR`).
    pub fn from_sandbox_state(name: &str, dir: &std::path::Path) -> Result<Self> {
        let path = dir.join("sandbox.json");
        let text = crate::credentials::read_text(&path, "sandbox summary")?;
        let state: SandboxState = serde_json::from_str(&text).map_err(|e| {
            Error::InvalidInput(format!("{} is not a sandbox summary: {e}", path.display()))
        })?;
        Ok(Self {
            name: name.to_owned(),
            base_url: state.base_url,
            token_url: state.token_url,
            issuer_records_url: state.issuer_records_url,
            issuer_id: state.issuer_id,
            kid: state.kid,
            trusted_ca_pem: Some(read_ca(&dir.join("server-ca.pem"))?),
            client_chain_pem: None,
            certificate_not_after: None,
            simulated: true,
            country: None,
        })
    }
}

/// A CA file's PEM text, once it is known to hold at least one certificate.
pub fn read_ca(path: &std::path::Path) -> Result<String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let pem = crate::credentials::read_text(path, "CA certificate")?;
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::InvalidInput(format!("{} is not a PEM certificate: {e}", path.display()))
        })?;
    if certificates.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(pem)
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
        d1::IssuerId::new(&self.issuer_id)?;
        if self.kid.trim().is_empty() {
            return Err(Error::InvalidInput("the key id (kid) is empty".into()));
        }
        if let Some(country) = &self.country
            && country.parse::<phonenumber::country::Id>().is_err()
        {
            return Err(Error::InvalidInput(format!(
                "the country {country:?} is not an ISO 3166-1 alpha-2 code such as JP or GB"
            )));
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
            country: None,
        }
    }

    fn form(ca_file: Option<String>) -> EnvironmentForm {
        let e = staging();
        EnvironmentForm {
            name: format!(" {} ", e.name),
            base_url: e.base_url,
            token_url: e.token_url,
            issuer_records_url: e.issuer_records_url,
            issuer_id: e.issuer_id,
            kid: e.kid,
            ca_file,
            country: None,
        }
    }

    #[test]
    fn a_form_gives_a_checked_environment_with_its_ca_read() {
        assert_eq!(form(None).into_environment().unwrap(), staging());
        assert_eq!(
            form(Some(" ".into())).into_environment().unwrap(),
            staging()
        );
        let dir = tempfile::tempdir().unwrap();
        let ca = rcgen::CertificateParams::new(vec!["ca.test".into()])
            .unwrap()
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap()
            .pem();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &ca).unwrap();
        let with_ca = form(Some(ca_path.display().to_string()))
            .into_environment()
            .unwrap();
        assert_eq!(with_ca.trusted_ca_pem.as_deref(), Some(ca.as_str()));

        let not_pem = dir.path().join("notes.txt");
        std::fs::write(&not_pem, "hello").unwrap();
        for (path, expected) in [
            (not_pem, "holds no PEM certificate"),
            (
                dir.path().join("absent.pem"),
                "cannot read the CA certificate",
            ),
        ] {
            let error = form(Some(path.display().to_string()))
                .into_environment()
                .unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::InvalidInput);
            assert!(error.to_string().contains(expected), "{error}");
        }
        let mut japan = form(None);
        japan.country = Some(" jp ".into());
        assert_eq!(
            japan.into_environment().unwrap().country.as_deref(),
            Some("JP")
        );
        let mut nowhere = form(None);
        nowhere.country = Some("Japan".into());
        assert!(
            nowhere
                .into_environment()
                .unwrap_err()
                .to_string()
                .contains("ISO 3166-1 alpha-2")
        );
        let mut plain = form(None);
        plain.base_url = "http://d1.example".into();
        assert!(
            plain
                .into_environment()
                .unwrap_err()
                .to_string()
                .contains("https://")
        );
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
