//! How `c2p` ends: its exit codes, and the failure that carries one with its message.

use care::{Error, ErrorCode};

/// Done.
pub(crate) const DONE: u8 = 0;
/// Failed: the network, the keychain, a broken audit chain, …
pub(crate) const FAILED: u8 = 1;
/// Usage or invalid input.
pub(crate) const USAGE: u8 = 2;
/// Refused, by D1 or by the role policy.
pub(crate) const REFUSED: u8 = 3;
/// The outcome is unknown: the write may have been applied.
pub(crate) const UNKNOWN: u8 = 4;
/// Still pending when the wait ended.
pub(crate) const PENDING: u8 = 5;
/// Cancelled with Ctrl+C at a prompt.
pub(crate) const CANCELLED: u8 = 130;

/// A failure with its exit code; its message goes to standard error.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match error.code() {
            ErrorCode::InvalidInput | ErrorCode::NotFound => USAGE,
            ErrorCode::Forbidden
            | ErrorCode::Rejected
            | ErrorCode::AlreadyInProgress
            | ErrorCode::TrailUndelivered
            | ErrorCode::TrailRefused
            | ErrorCode::ClaimUnavailable
            | ErrorCode::BatchTaken => REFUSED,
            ErrorCode::OutcomeUnknown => UNKNOWN,
            _ => FAILED,
        };
        Failure::new(code, format!("error [{:?}]: {error}", error.code()))
    }
}

/// A usage or input failure (exit code 2).
pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::new(USAGE, message)
}

/// What a command comes to: done, or a failure.
pub(crate) type Outcome = Result<(), Failure>;
