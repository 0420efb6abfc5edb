//! What the app keeps between commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use care::batch::RunControl;
use tokio::sync::watch;

use care::console::{Console, Options};
use care::credentials::Vault;
use care::policy::PolicyPaths;
use care::storage::AppDirs;

/// The app's state, managed by Tauri and shared by every command.
pub struct AppState {
    /// The console's core: environments, views, writes, journal, audit log.
    pub console: Arc<Console>,
    /// Becomes true once start-up work (the embedded sandbox) is done, successful or not.
    started: tokio::sync::watch::Receiver<bool>,
    /// The sending side, for the start-up task.
    pub started_tx: tokio::sync::watch::Sender<bool>,
    /// The control of each batch (or profile audit) running in this window, by id.
    runs: Mutex<HashMap<String, watch::Sender<RunControl>>>,
    /// The files the operator picked in this session, by token.
    pub picks: crate::picker::Picks,
}

impl AppState {
    /// The state for a console whose files live in `dirs`, on the platform's keychain.
    pub fn open(dirs: AppDirs) -> care::Result<Self> {
        let console = Console::open(Options {
            policy: PolicyPaths::platform(&dirs.config),
            // Probed by the sandbox's start in the background, not before the window shows.
            vault: Vault::platform_deferred(),
            dirs,
            identity: care::policy::Identity::of_this_process()?,
        })?;
        let (started_tx, started) = tokio::sync::watch::channel(false);
        Ok(Self {
            console: Arc::new(console),
            started,
            started_tx,
            runs: Mutex::default(),
            picks: crate::picker::Picks::default(),
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

    fn runs(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<RunControl>>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers run `id` and gives its control; refused when it is already running here.
    pub fn start_run(&self, id: &str) -> care::Result<watch::Receiver<RunControl>> {
        let mut runs = self.runs();
        if runs.contains_key(id) {
            return Err(care::Error::InvalidInput(format!(
                "{id} is already running in this window"
            )));
        }
        let (control, receiver) = watch::channel(RunControl::Run);
        runs.insert(id.to_owned(), control);
        Ok(receiver)
    }

    /// Forgets run `id` once it has ended.
    pub fn end_run(&self, id: &str) {
        self.runs().remove(id);
    }

    /// Whether run `id` is running in this window.
    pub fn is_running(&self, id: &str) -> bool {
        self.runs().contains_key(id)
    }

    /// Pauses, resumes or cancels run `id`.
    pub fn control_run(&self, id: &str, control: RunControl) -> care::Result<()> {
        let runs = self.runs();
        let sender = runs
            .get(id)
            .ok_or_else(|| care::Error::NotFound(format!("{id} is not running")))?;
        sender.send_replace(control);
        Ok(())
    }
}
