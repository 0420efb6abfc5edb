//! A connection to the team store over TLS, verified against the bank's CA and nothing else
//! (TLS cannot be turned off), with a login's SCRAM password.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_postgres::config::SslMode;

use crate::{Error, Result};

/// Where the team store is, as the administrators' policy names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Host name or IP address (checked against the server's certificate).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The database.
    pub database: String,
    /// The CA that signs the server's certificate (PEM).
    pub ca_pem: String,
}

/// Connects as `login` with `password`; the connection runs on a task of its own until the
/// returned client is dropped.
pub async fn connect(
    address: &Address,
    login: &str,
    password: &str,
) -> Result<tokio_postgres::Client> {
    let mut roots = rustls::RootCertStore::empty();
    let certificates = CertificateDer::pem_slice_iter(address.ca_pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidInput(format!("the team store's CA is not PEM: {e}")))?;
    if certificates.is_empty() {
        return Err(Error::InvalidInput(
            "the team store's CA holds no certificate".into(),
        ));
    }
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|e| Error::InvalidInput(format!("the team store's CA is not usable: {e}")))?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::InvalidInput(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut config = tokio_postgres::Config::new();
    config
        .host(&address.host)
        .port(address.port)
        .dbname(&address.database)
        .user(login)
        .password(password)
        .ssl_mode(SslMode::Require)
        .application_name("c2p-care")
        .connect_timeout(std::time::Duration::from_secs(10));
    let (client, connection) = config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "the team store's connection ended");
        }
    });
    Ok(client)
}
