//! The desktop shell of C2P Care: Tauri set-up, IPC commands and events. Commands stay thin: they
//! convert arguments, call [`care`], and convert the result (DESIGN.md).

mod background;
pub mod batches;
pub mod commands;
pub mod error;
pub mod events;
pub mod ipc;
mod navigation;
mod opener;
pub mod picker;
mod start_hints;
mod state;

use std::sync::Arc;

use state::AppState;

/// Starts the console and blocks until its window closes.
pub fn run() {
    // One TLS provider for the whole process: aws-lc-rs (STACK.md).
    rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .expect("no other TLS provider is installed before this point");

    // Owner-only files and no core dumps, for this process and the web view's it starts.
    let dirs = match care::storage::AppDirs::resolve()
        .and_then(|dirs| care::storage::private::harden(&dirs).map(|()| dirs))
    {
        Ok(dirs) => dirs,
        Err(error) => {
            eprintln!("C2P Care cannot start: {error}");
            std::process::exit(1);
        }
    };
    let _log_guard = match care::logging::init(&dirs.logs) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("C2P Care cannot start: {error}");
            std::process::exit(1);
        }
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), logs = %dirs.logs.display(), "starting");

    let builder = ipc::builder();
    #[cfg(all(debug_assertions, not(feature = "custom-protocol")))]
    if let Err(error) = ipc::export_bindings(std::path::Path::new(ipc::BINDINGS_PATH)) {
        tracing::warn!(%error, "could not refresh ui/src/lib/ipc/bindings.ts");
    }

    let state = match AppState::open(dirs) {
        Ok(state) => state,
        Err(error) => {
            eprintln!("C2P Care cannot start: {error}");
            std::process::exit(1);
        }
    };
    let start_hints = start_hints::StartHints::of(&state.console.preferences().unwrap_or_default());
    let console = state.console.clone();
    #[cfg(feature = "embedded-sandbox")]
    let on_exit = state.console.clone();
    let started = state.started_tx.clone();
    let page_loaded = Arc::new(tokio::sync::Notify::new());
    let on_page_load = page_loaded.clone();
    tauri::Builder::default()
        .manage(state)
        .plugin(tauri_plugin_dialog::init())
        // Rust opens reports; the window's links open nothing (and it has no opener permission).
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .invoke_handler(builder.invoke_handler())
        .append_invoke_initialization_script(start_hints.script())
        .on_page_load(move |_, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                on_page_load.notify_one();
            }
        })
        .setup(move |app| {
            navigation::open_main_window(app)?;
            builder.mount_events(app);
            background::start(app.handle().clone(), console, started, page_loaded);
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the Tauri event loop failed to start")
        .run(move |_, event| {
            // Tauri exits the process without dropping its state: the sandbox's keys go here.
            if let tauri::RunEvent::Exit = event {
                #[cfg(feature = "embedded-sandbox")]
                on_exit.forget_sandbox();
                tracing::info!("stopped");
            }
        });
}
