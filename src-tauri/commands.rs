//! The IPC commands. Each converts its arguments, calls [`care`], and converts the result.

use care::settings::Language;
use serde::Serialize;
use tauri::State;
use tauri_specta::Event;

use crate::error::IpcError;
use crate::events::LanguageChanged;
use crate::state::AppState;

/// What the UI shows about this installation.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The console's version.
    pub version: String,
    /// The environment the console talks to, e.g. `sandbox`.
    pub environment: String,
    /// Whether that environment is the embedded simulator (simulated data).
    pub simulated: bool,
    /// The operator's saved language; `None` means "follow the system".
    pub language: Option<Language>,
    /// Where settings are kept.
    pub config_dir: String,
    /// Where the journal and the audit log are kept.
    pub data_dir: String,
    /// Where the log files are written.
    pub log_dir: String,
}

/// Version, environment, saved language and the console's directories.
#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, IpcError> {
    let settings = state.settings.load()?;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        environment: care::SANDBOX_ENVIRONMENT.to_owned(),
        simulated: true,
        language: settings.language,
        config_dir: state.dirs.config.display().to_string(),
        data_dir: state.dirs.data.display().to_string(),
        log_dir: state.dirs.logs.display().to_string(),
    })
}

/// Saves the operator's language and tells every window.
#[tauri::command]
#[specta::specta]
pub fn set_language(
    language: Language,
    state: State<'_, AppState>,
    app: tauri::AppHandle,
) -> Result<(), IpcError> {
    state.settings.update(|s| s.language = Some(language))?;
    LanguageChanged { language }.emit(&app)?;
    Ok(())
}
