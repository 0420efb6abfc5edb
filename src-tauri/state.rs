//! What the app keeps between commands.

use std::sync::Arc;

use care::console::{Console, Options};
use care::paths::AppDirs;
use care::policy::PolicyPaths;
use care::settings::SettingsStore;
use care::vault::Vault;

/// The app's state, managed by Tauri and shared by every command.
pub struct AppState {
    /// Where settings, data and logs live.
    pub dirs: AppDirs,
    /// The operator's saved preferences.
    pub settings: SettingsStore,
    /// The console's core: environments, views, writes, journal, audit log.
    pub console: Arc<Console>,
}

impl AppState {
    /// The state for a console whose files live in `dirs`, on the platform's keychain.
    pub fn open(dirs: AppDirs) -> care::Result<Self> {
        let console = Console::open(Options {
            policy: PolicyPaths::platform(&dirs.config),
            vault: Vault::platform(),
            dirs: dirs.clone(),
        })?;
        Ok(Self {
            settings: SettingsStore::new(&dirs.config),
            dirs,
            console: Arc::new(console),
        })
    }
}
