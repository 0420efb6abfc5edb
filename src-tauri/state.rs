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
    /// Becomes true once start-up work (the embedded sandbox) is done, successful or not.
    started: tokio::sync::watch::Receiver<bool>,
    /// The sending side, for the start-up task.
    pub started_tx: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    /// The state for a console whose files live in `dirs`, on the platform's keychain.
    pub fn open(dirs: AppDirs) -> care::Result<Self> {
        let console = Console::open(Options {
            policy: PolicyPaths::platform(&dirs.config),
            // Probed by the sandbox's start in the background, not before the window shows.
            vault: Vault::platform_deferred(),
            dirs: dirs.clone(),
        })?;
        let (started_tx, started) = tokio::sync::watch::channel(false);
        Ok(Self {
            settings: SettingsStore::new(&dirs.config),
            dirs,
            console: Arc::new(console),
            started,
            started_tx,
        })
    }

    /// The console, once start-up is done: a search typed while the embedded sandbox is still
    /// starting waits for it instead of failing.
    pub async fn console(&self) -> &Console {
        let mut started = self.started.clone();
        // An error means the sender is gone, which only happens once start-up has ended.
        let _ = started.wait_for(|done| *done).await;
        &self.console
    }
}
