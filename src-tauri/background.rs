//! Work the app does on its own: start the embedded sandbox, then follow every unfinished
//! operation until it ends and tell the UI of each change, and (team mode) send each audit
//! record to the team store.

use std::sync::Arc;
use std::time::Duration;

use care::console::Console;
use tauri_specta::Event;

use crate::events::{OperationChanged, TeamBatchChanged, TeamStatusChanged};

/// How often unfinished operations are checked when nothing else wakes the tracker.
const TRACK_EVERY: Duration = Duration::from_secs(1);

/// How long the sandbox's start waits for the window's page before it goes ahead anyway.
const PAGE_LOAD_WAIT: Duration = Duration::from_secs(2);

/// Starts the sandbox and the tracker on Tauri's async runtime; `started` is set once the
/// sandbox is up (or could not start), so that commands waiting for it go on. The sandbox (and
/// the keychain's first use) waits for `page_loaded`: on two cores, starting it alongside the
/// webview slows down the moment an agent can type.
pub fn start(
    app: tauri::AppHandle,
    console: Arc<Console>,
    started: tokio::sync::watch::Sender<bool>,
    page_loaded: Arc<tokio::sync::Notify>,
) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(exit_on_signal(app.clone()));
    tauri::async_runtime::spawn(async move {
        let _ = tokio::time::timeout(PAGE_LOAD_WAIT, page_loaded.notified()).await;
        #[cfg(feature = "embedded-sandbox")]
        start_sandbox(&console).await;
        started.send_replace(true);
        // Team mode: each audit record goes to the team store as it is written, and the status
        // bar hears of the store's state.
        let forwarding = console.clone();
        tauri::async_runtime::spawn(async move { forwarding.forward_continuously().await });
        tauri::async_runtime::spawn(tell_team_status(app.clone(), console.clone()));
        tauri::async_runtime::spawn(tell_team_batches(app.clone(), console.clone()));
        loop {
            match console.track_once().await {
                Ok(changed) => {
                    for entry in changed {
                        if let Err(error) = (OperationChanged { entry }).emit(&app) {
                            tracing::warn!(%error, "could not tell the UI of an operation change");
                        }
                    }
                }
                Err(error) => tracing::debug!(code = ?error.code(), %error, "tracker pass failed"),
            }
            tokio::time::sleep(TRACK_EVERY).await;
        }
    });
}

/// Tells the UI of each change of the team store's state or of the backlog (its age the UI
/// counts itself).
async fn tell_team_status(app: tauri::AppHandle, console: Arc<Console>) {
    let mut told = None;
    loop {
        match console.team_status() {
            Ok(mut status) => {
                status.oldest_age_seconds = None;
                if told.as_ref() != Some(&status) {
                    told = Some(status.clone());
                    if let Err(error) = (TeamStatusChanged { status }).emit(&app) {
                        tracing::warn!(%error, "could not tell the UI of the team store's state");
                    }
                }
            }
            Err(error) => tracing::debug!(code = ?error.code(), %error, "team status unread"),
        }
        tokio::time::sleep(TRACK_EVERY).await;
    }
}

/// How long the team's batch changes are gathered before the UI hears of them: a running batch
/// changes with every item.
const GATHER: Duration = Duration::from_millis(250);

/// Tells the UI of each team batch that changed, as the team store notifies it (team mode):
/// the changes of a quarter second are told once per batch.
async fn tell_team_batches(app: tauri::AppHandle, console: Arc<Console>) {
    let (changed, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let watching = console.clone();
    tauri::async_runtime::spawn(async move {
        watching
            .watch_team_batches(|batch| {
                let _ = changed.send(batch);
            })
            .await;
    });
    while let Some(first) = heard.recv().await {
        tokio::time::sleep(GATHER).await;
        let mut batches = std::collections::BTreeSet::from([first]);
        while let Ok(batch) = heard.try_recv() {
            // The screen reads the list again anyway: a few ids are enough to tell it.
            if batches.len() < 100 {
                batches.insert(batch);
            }
        }
        for batch_id in batches {
            if let Err(error) = (TeamBatchChanged { batch_id }).emit(&app) {
                tracing::warn!(%error, "could not tell the UI of a team batch's change");
            }
        }
    }
}

/// Ends the app the orderly way (so the exit handler runs) on SIGTERM or SIGINT, as sent by a
/// session logout or a terminal's Ctrl+C.
#[cfg(unix)]
async fn exit_on_signal(app: tauri::AppHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot listen for SIGTERM: the sandbox's keys stay if the app is killed");
        return;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = interrupt.recv() => {},
    }
    tracing::info!("asked to stop by a signal");
    app.exit(0);
}

/// Starts the embedded sandbox, with the fault rules of `C2P_SANDBOX_FAULTS` if any.
#[cfg(feature = "embedded-sandbox")]
async fn start_sandbox(console: &Console) {
    let config = d1_sandbox::SandboxConfig {
        faults: sandbox_faults(),
        ..d1_sandbox::SandboxConfig::default()
    };
    if let Err(error) = console.start_sandbox(config).await {
        tracing::error!(code = ?error.code(), %error, "the embedded sandbox could not start");
    }
}

/// Fault rules for the embedded sandbox from `C2P_SANDBOX_FAULTS` (the JSON list `d1-sandbox
/// serve --faults` takes), for trying the console with a slow or failing directory. Simulated
/// data only; an unreadable value is logged and ignored.
#[cfg(feature = "embedded-sandbox")]
fn sandbox_faults() -> Vec<d1_sandbox::faults::Fault> {
    let Ok(json) = std::env::var("C2P_SANDBOX_FAULTS") else {
        return Vec::new();
    };
    serde_json::from_str(&json).unwrap_or_else(|error| {
        tracing::error!(%error, "C2P_SANDBOX_FAULTS is not a list of fault rules; ignored");
        Vec::new()
    })
}
