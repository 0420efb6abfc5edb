//! Typed events the app sends to the UI.

use care::journal::Entry;
use care::settings::Language;
use serde::{Deserialize, Serialize};

/// The operator chose another language; every window switches to it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct LanguageChanged {
    /// The language now in use.
    pub language: Language,
}

/// An audit export wrote another page of records.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct AuditExportProgress {
    /// Records written so far.
    pub written: u32,
    /// Records in the log.
    pub total: u32,
}

/// An operation of this workstation changed state (pending → successful, unknown → resolved…).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct OperationChanged {
    /// The journal entry as it is now.
    pub entry: Entry,
}
