//! Typed events the app sends to the UI.

use care::batch::Progress;
use care::environments::Language;
use care::journal::Entry;
use care::profile_audit::AuditProgress;
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

/// A batch opt-out moved on: its items by status, rate and ETA.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct BatchProgress {
    /// The batch.
    pub batch_id: String,
    /// Where it is.
    pub progress: Progress,
}

/// A batch's dry run read another entry.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct BatchPreviewProgress {
    /// The batch.
    pub batch_id: String,
    /// Entries read so far.
    pub read: u32,
}

/// The team store's state or this workstation's backlog changed (team mode).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct TeamStatusChanged {
    /// As it is now.
    pub status: care::console::TeamStatus,
}

/// A team batch changed in the team store (made, an item sent, paused, taken over, ended), on
/// whichever workstation (team mode).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct TeamBatchChanged {
    /// The batch.
    pub batch_id: String,
}

/// The profile audit read another consumer (or was paused).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct ProfileAuditProgress {
    /// Where it is.
    pub progress: AuditProgress,
}
