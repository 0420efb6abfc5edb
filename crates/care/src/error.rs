//! The one error type of the console's core and the stable codes it crosses IPC with.

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What kind of failure an [`Error`] is, as the UI sees it: the UI chooses its words (in the
/// user's language) and its advice from this code, never from the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// A file the console keeps (settings, logs, journal, audit log) could not be read or written.
    Storage,
    /// The request itself was wrong (a malformed value); nothing was done.
    InvalidInput,
    /// A fault inside the console that the user cannot fix; the log has the details.
    Internal,
    /// There is no OS keychain (e.g. no Secret Service running); credentials cannot be used.
    KeychainUnavailable,
    /// The OS keychain is locked; unlock it and restart.
    KeychainLocked,
    /// The environment has no credentials in the keychain yet: import them.
    CredentialsMissing,
    /// Credentials offered for import are unusable (wrong key, expired, wrong curve, …).
    CredentialsInvalid,
    /// No such consumer, card, environment or operation.
    NotFound,
    /// The operator's role does not allow this action.
    Forbidden,
    /// The request could not be sent: nothing reached the server.
    Unreachable,
    /// A write was sent but its answer was lost: it may have been applied.
    OutcomeUnknown,
    /// The server refused the request (4xx/5xx).
    Rejected,
    /// The server refused the credentials (token or API key).
    Unauthorized,
    /// The server asked to slow down.
    RateLimited,
    /// The TLS handshake failed (certificate rejected, expired, wrong host, …).
    TlsFailed,
    /// The server's answer could not be read.
    BadAnswer,
    /// The same write on the same card or consumer is still in progress.
    AlreadyInProgress,
    /// Team mode: the audit trail has not reached the team store for longer than the policy
    /// allows, so writes are held; reads still work.
    TrailUndelivered,
    /// Team mode: the team store could not be reached or refused the call.
    TeamStore,
    /// Team mode: the team store refuses a record of this workstation's trail (a fork, a gap,
    /// another operator's): nothing after it can go until the security team looks.
    TrailRefused,
    /// Team mode: a write could not be claimed in the team store (it cannot be reached), so it
    /// was refused and nothing was sent; reads still work.
    ClaimUnavailable,
    /// Team mode: another fraud workstation runs the batch (it took it over, or holds it), so
    /// this one sends nothing of it.
    BatchTaken,
}

/// A failure of the console's core, with a message that says what happened and what to check.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory of the console could not be read or written.
    #[error(
        "could not {action} {path}: {source}. Check that the disk is not full and that this user may write there"
    )]
    Storage {
        /// What was being done, e.g. "write".
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A file of the console was found damaged and kept aside; it says what to do.
    #[error("{0}")]
    Damaged(String),
    /// A value given to the core was not valid; nothing was done.
    #[error("{0}")]
    InvalidInput(String),
    /// A fault inside the console.
    #[error("internal error: {0}")]
    Internal(String),
    /// No keychain: the text says which one and how to start it.
    #[error("{0}")]
    KeychainUnavailable(String),
    /// The keychain is locked.
    #[error("{0}")]
    KeychainLocked(String),
    /// The environment's credentials are not in the keychain.
    #[error(
        "environment {environment} has no {what} in the keychain: import its credentials first"
    )]
    CredentialsMissing {
        /// The environment.
        environment: String,
        /// Which secret is missing.
        what: &'static str,
    },
    /// Credentials offered for import were refused; nothing was stored.
    #[error("{0}; nothing was stored")]
    CredentialsInvalid(String),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The operator's role does not allow the action; it was not done (and was audited).
    #[error(
        "operator {operator} (role {role}) may not {action}; ask an administrator to change the policy if this is wrong"
    )]
    Forbidden {
        /// Who asked.
        operator: String,
        /// Their role.
        role: String,
        /// What they asked for.
        action: String,
    },
    /// A call to D1 failed.
    #[error(transparent)]
    D1(#[from] d1::Error),
    /// A call to the bank's issuer-records API failed.
    #[error("the bank's records could not be read: {detail}")]
    IssuerRecords {
        /// What kind of failure.
        code: ErrorCode,
        /// What happened and what to check.
        detail: String,
    },
    /// The same write is still in progress; it was not sent again.
    #[error("{0}")]
    AlreadyInProgress(String),
    /// Writes are held until the audit trail reaches the team store; the text says for how long
    /// it has not.
    #[error("{0}")]
    TrailUndelivered(String),
    /// The team store could not be reached or refused the call (the text says which).
    #[error("{0}")]
    TeamStore(String),
    /// The team store refuses a record of this workstation's trail; the text says which and why.
    #[error("{0}")]
    TrailRefused(String),
    /// A write was refused because the team store, which claims it, cannot be reached.
    #[error("{0}")]
    ClaimUnavailable(String),
    /// Another workstation runs the batch now.
    #[error("{0}")]
    BatchTaken(String),
}

impl Error {
    /// The stable code the UI maps to words and advice.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Storage { .. } | Error::Damaged(_) => ErrorCode::Storage,
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::Internal(_) => ErrorCode::Internal,
            Error::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
            Error::KeychainLocked(_) => ErrorCode::KeychainLocked,
            Error::CredentialsMissing { .. } => ErrorCode::CredentialsMissing,
            Error::CredentialsInvalid(_) => ErrorCode::CredentialsInvalid,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::D1(error) => d1_code(error),
            Error::IssuerRecords { code, .. } => *code,
            Error::AlreadyInProgress(_) => ErrorCode::AlreadyInProgress,
            Error::TrailUndelivered(_) => ErrorCode::TrailUndelivered,
            Error::TeamStore(_) => ErrorCode::TeamStore,
            Error::TrailRefused(_) => ErrorCode::TrailRefused,
            Error::ClaimUnavailable(_) => ErrorCode::ClaimUnavailable,
            Error::BatchTaken(_) => ErrorCode::BatchTaken,
        }
    }

    /// A [`Error::Storage`] for `action` on `path`.
    pub fn storage(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Storage {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<team::Error> for Error {
    /// The team store's refusal of a value is invalid input; anything else is the store's.
    fn from(error: team::Error) -> Self {
        match error {
            team::Error::InvalidInput(words) => Error::InvalidInput(words),
            other => Error::TeamStore(other.to_string()),
        }
    }
}

impl From<d1::InvalidId> for Error {
    /// An id or reason an operator typed that does not follow D1's pattern.
    fn from(error: d1::InvalidId) -> Self {
        Error::InvalidInput(error.to_string())
    }
}

/// The code of a D1 failure: a 404 is "not found", other refusals are "rejected".
fn d1_code(error: &d1::Error) -> ErrorCode {
    match error {
        d1::Error::InvalidRequest(_) => ErrorCode::InvalidInput,
        d1::Error::NotSent { .. } => ErrorCode::Unreachable,
        d1::Error::MaybeSent { write: true, .. } => ErrorCode::OutcomeUnknown,
        d1::Error::MaybeSent { write: false, .. } => ErrorCode::Unreachable,
        d1::Error::Rejected { status: 404, .. } => ErrorCode::NotFound,
        d1::Error::Rejected { .. } => ErrorCode::Rejected,
        d1::Error::Unauthorized { .. } => ErrorCode::Unauthorized,
        d1::Error::RateLimited { .. } => ErrorCode::RateLimited,
        d1::Error::Tls { .. } => ErrorCode::TlsFailed,
        d1::Error::Decode { .. } => ErrorCode::BadAnswer,
    }
}

/// The result type of the console's core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
