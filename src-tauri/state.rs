//! What the app keeps between commands.

use care::paths::AppDirs;
use care::settings::SettingsStore;

/// The app's state, managed by Tauri and shared by every command.
pub struct AppState {
    /// Where settings, data and logs live.
    pub dirs: AppDirs,
    /// The operator's saved preferences.
    pub settings: SettingsStore,
}

impl AppState {
    /// The state for a console whose files live in `dirs`.
    pub fn new(dirs: AppDirs) -> Self {
        let settings = SettingsStore::new(&dirs.config);
        Self { dirs, settings }
    }
}
