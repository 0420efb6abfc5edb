//! Typed events the app sends to the UI.

use care::settings::Language;
use serde::{Deserialize, Serialize};

/// The operator chose another language; every window switches to it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct LanguageChanged {
    /// The language now in use.
    pub language: Language,
}
