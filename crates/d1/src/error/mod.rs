//! The one error type of the client. Callers act on the variant, never on the text; the text
//! says what happened and what to check.

mod classify;

use std::time::Duration;

pub(crate) use classify::transport;

use crate::ids::{CorrelationId, InvalidId};

/// Which side of mutual TLS failed, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// D1 refused our client certificate (missing, from another CA, expired or revoked).
    ClientCertRejected,
    /// D1's certificate does not chain to a trusted CA.
    ServerCertUntrusted,
    /// D1's certificate has expired (or is not yet valid: check the clock).
    ServerCertExpired,
    /// D1's certificate is for another host name.
    ServerCertWrongHost,
    /// No TLS version both sides accept (this client speaks TLS 1.2 and 1.3 only).
    ProtocolVersion,
}

impl TlsFailure {
    /// The TLS failure behind a transport error, if that is what it was (also for other HTTPS
    /// clients of the console, e.g. the issuer-records API).
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        classify::tls_failure(error)
    }

    /// What failed and what to check, in words.
    pub fn advice(self) -> &'static str {
        match self {
            TlsFailure::ClientCertRejected => {
                "D1 rejected the client certificate: check that the environment's certificate is the one Thales issued, has not expired, and matches its private key"
            }
            TlsFailure::ServerCertUntrusted => {
                "the server's certificate is not signed by a trusted CA: check the environment's base URL and its trusted CA"
            }
            TlsFailure::ServerCertExpired => {
                "the server's certificate has expired or is not yet valid: check this computer's clock, then the environment"
            }
            TlsFailure::ServerCertWrongHost => {
                "the server's certificate is for another host name: check the environment's base URL"
            }
            TlsFailure::ProtocolVersion => {
                "the server offers no TLS version this client accepts (1.2 or 1.3): check the environment's base URL"
            }
        }
    }
}

/// Why a call to D1 failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request was invalid and was not sent (an id or field out of format).
    #[error("{0}; nothing was sent")]
    InvalidRequest(String),
    /// The request could not be sent (connection refused, name not resolved): it did not reach D1.
    #[error(
        "could not reach D1 ({detail}); nothing was sent: check the network and the environment's base URL"
    )]
    NotSent {
        /// The call's correlation id.
        correlation_id: CorrelationId,
        /// What the transport said.
        detail: String,
    },
    /// The request left but no answer came (timeout, connection lost): a write may have been
    /// applied. Writes are never retried: reconcile through the operations endpoints.
    #[error("{}", maybe_sent_text(*write, detail))]
    MaybeSent {
        /// The call's correlation id.
        correlation_id: CorrelationId,
        /// Whether the call was a write.
        write: bool,
        /// What the transport said.
        detail: String,
    },
    /// D1 answered with an error status.
    #[error("D1 refused the request ({status}{}): {message}", error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Rejected {
        /// The call's correlation id.
        correlation_id: CorrelationId,
        /// The HTTP status.
        status: u16,
        /// D1's `errorCode`, when it sent one.
        error_code: Option<String>,
        /// D1's `error` text.
        message: String,
    },
    /// D1 refused the credentials: the token could not be obtained or was not accepted.
    #[error(
        "D1 did not accept the credentials ({message}): check the environment's issuerId, key id and signing key, and this computer's clock"
    )]
    Unauthorized {
        /// The call's correlation id.
        correlation_id: CorrelationId,
        /// D1's `error` text.
        message: String,
    },
    /// D1 asked to slow down.
    #[error("D1 asked to slow down{}", retry_after.map(|d| format!("; retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The call's correlation id.
        correlation_id: CorrelationId,
        /// How long D1 asked to wait.
        retry_after: Option<Duration>,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {}", failure.advice())]
    Tls {
        /// The call's correlation id.
        correlation_id: CorrelationId,
        /// Which side failed, and how.
        failure: TlsFailure,
    },
    /// What D1 sent could not be read (malformed, too large, or not the expected shape).
    #[error("D1's answer could not be read ({detail}); nothing in it was used")]
    Decode {
        /// The call's correlation id.
        correlation_id: CorrelationId,
        /// What was wrong.
        detail: String,
    },
}

fn maybe_sent_text(write: bool, detail: &str) -> String {
    if write {
        format!(
            "the request was sent but no answer came ({detail}); it may have been applied and was not retried: check the card's or consumer's operations before trying again"
        )
    } else {
        format!("the request was sent but no answer came ({detail}): try again")
    }
}

impl Error {
    /// The correlation id of the call, for support; `None` when nothing was sent.
    pub fn correlation_id(&self) -> Option<&CorrelationId> {
        match self {
            Error::InvalidRequest(_) => None,
            Error::NotSent { correlation_id, .. }
            | Error::MaybeSent { correlation_id, .. }
            | Error::Rejected { correlation_id, .. }
            | Error::Unauthorized { correlation_id, .. }
            | Error::RateLimited { correlation_id, .. }
            | Error::Tls { correlation_id, .. }
            | Error::Decode { correlation_id, .. } => Some(correlation_id),
        }
    }
}

impl From<InvalidId> for Error {
    fn from(error: InvalidId) -> Self {
        Error::InvalidRequest(error.to_string())
    }
}
