//! The one error type of the console's core and the stable codes it crosses IPC with.

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What kind of failure an [`Error`] is, as the UI sees it: the UI chooses its words (in the
/// user's language) and its advice from this code, never from the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// A file the console keeps (settings, logs) could not be read or written.
    Storage,
    /// The request itself was wrong (a malformed value); nothing was done.
    InvalidInput,
    /// A fault inside the console that the user cannot fix; the log has the details.
    Internal,
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
    /// A value given to the core was not valid; nothing was done.
    #[error("{0}")]
    InvalidInput(String),
    /// A fault inside the console.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code the UI maps to words and advice.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Storage { .. } => ErrorCode::Storage,
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::Internal(_) => ErrorCode::Internal,
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

/// The result type of the console's core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
