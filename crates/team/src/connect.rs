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
    let (config, tls) = settings(address, login, password)?;
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "the team store's connection ended");
        }
    });
    Ok(client)
}

/// [`connect`], listening on `channel`: each notification's payload comes out of the receiver,
/// which ends when the connection does.
pub async fn connect_listening(
    address: &Address,
    login: &str,
    password: &str,
    channel: &str,
) -> Result<(
    tokio_postgres::Client,
    tokio::sync::mpsc::UnboundedReceiver<String>,
)> {
    use futures_util::StreamExt;
    let (config, tls) = settings(address, login, password)?;
    let (client, mut connection) = config.connect(tls).await?;
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(note)) => {
                    if sender.send(note.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "the team store's connection ended");
                    return;
                }
            }
        }
    });
    // A channel is an identifier: quoted, so no name can reach the statement as SQL.
    let quoted = format!("\"{}\"", channel.replace('"', "\"\""));
    client.batch_execute(&format!("LISTEN {quoted}")).await?;
    Ok((client, receiver))
}

/// The connection settings and TLS for `login` at `address`.
fn settings(
    address: &Address,
    login: &str,
    password: &str,
) -> Result<(
    tokio_postgres::Config,
    tokio_postgres_rustls::MakeRustlsConnect,
)> {
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
    Ok((config, tokio_postgres_rustls::MakeRustlsConnect::new(tls)))
}
