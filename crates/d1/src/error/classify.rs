//! Turns transport failures into [`Error`] variants a caller can act on.

use std::error::Error as StdError;

use super::{Error, TlsFailure};
use crate::ids::CorrelationId;

/// The TLS failure somewhere in `error`'s chain, if any. rustls errors arrive wrapped in
/// `io::Error`s whose `source()` skips them, so each `io::Error` is also opened with `get_ref()`;
/// a rejected client certificate over HTTP/2 arrives only as alert text (STACK.md).
pub fn tls_failure(error: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = next {
        if let Some(rustls_error) = current.downcast_ref::<rustls::Error>() {
            return from_rustls(rustls_error);
        }
        if let Some(found) = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| tls_failure(inner))
        {
            return Some(found);
        }
        if let Some(found) = from_text(&current.to_string()) {
            return Some(found);
        }
        next = current.source();
    }
    None
}

fn from_rustls(error: &rustls::Error) -> Option<TlsFailure> {
    use rustls::{AlertDescription as Alert, CertificateError as Cert};
    match error {
        rustls::Error::InvalidCertificate(
            Cert::Expired
            | Cert::ExpiredContext { .. }
            | Cert::NotValidYet
            | Cert::NotValidYetContext { .. },
        ) => Some(TlsFailure::ServerCertExpired),
        rustls::Error::InvalidCertificate(
            Cert::NotValidForName | Cert::NotValidForNameContext { .. },
        ) => Some(TlsFailure::ServerCertWrongHost),
        rustls::Error::InvalidCertificate(_) => Some(TlsFailure::ServerCertUntrusted),
        rustls::Error::PeerIncompatible(_)
        | rustls::Error::AlertReceived(Alert::ProtocolVersion) => Some(TlsFailure::ProtocolVersion),
        rustls::Error::AlertReceived(
            Alert::CertificateRequired
            | Alert::UnknownCA
            | Alert::BadCertificate
            | Alert::CertificateExpired
            | Alert::CertificateRevoked
            | Alert::CertificateUnknown
            | Alert::AccessDenied
            | Alert::DecryptError,
        ) => Some(TlsFailure::ClientCertRejected),
        _ => None,
    }
}

fn from_text(text: &str) -> Option<TlsFailure> {
    const CLIENT: [&str; 6] = [
        "CertificateRequired",
        "UnknownCA",
        "BadCertificate",
        "CertificateExpired",
        "CertificateRevoked",
        "AccessDenied",
    ];
    if text.contains("received fatal alert") {
        if CLIENT.iter().any(|alert| text.contains(alert)) {
            return Some(TlsFailure::ClientCertRejected);
        }
        if text.contains("ProtocolVersion") {
            return Some(TlsFailure::ProtocolVersion);
        }
    }
    None
}

/// The variant for a request that failed in transport.
pub fn transport(error: &reqwest::Error, write: bool, correlation_id: &CorrelationId) -> Error {
    let correlation_id = correlation_id.clone();
    if let Some(failure) = tls_failure(error) {
        return Error::Tls {
            correlation_id,
            failure,
        };
    }
    let detail = chain_text(error);
    // A request that could not even be built (bad URL) or connect never left.
    if error.is_connect() || error.is_builder() {
        Error::NotSent {
            correlation_id,
            detail,
        }
    } else {
        Error::MaybeSent {
            correlation_id,
            write,
            detail,
        }
    }
}

/// The error and its sources on one line.
pub fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        let part = source.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = source.source();
    }
    text
}
