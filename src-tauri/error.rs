//! How errors cross IPC: always `{code, message}`, with `code` from [`care::ErrorCode`].

use care::ErrorCode;
use serde::Serialize;

/// The error every command returns. The UI chooses its words from `code`; `message` is the
/// English detail for the log and for support.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct IpcError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// What happened and what to check, in English.
    pub message: String,
}

impl From<care::Error> for IpcError {
    fn from(error: care::Error) -> Self {
        tracing::warn!(code = ?error.code(), %error, "command failed");
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl From<tauri::Error> for IpcError {
    fn from(error: tauri::Error) -> Self {
        care::Error::Internal(error.to_string()).into()
    }
}
