//! The console's domain: everything the desktop app and the `c2p` command line do, with no Tauri
//! in it (DESIGN.md). Both faces call [`console::Console`], the one API; a face only converts
//! arguments and results.
//!
//! Where things are:
//!
//! | to find | entry (role check + audit) | logic |
//! |---|---|---|
//! | opt out a card | [`console`] `writes.rs`: `Console::write` | [`writes::send`], [`journal::intents`], then [`writes::tracker`] |
//! | compare a profile | [`console`] `consumers.rs`: `Console::consumer_view` | [`profile::view`] → [`profile::compare`], [`profile::findings`], [`profile::grid`] |
//! | import credentials | [`console`] `credentials.rs` | [`credentials::import`], [`credentials::vault`] |
//! | verify the audit chain | [`console`] `audit_log.rs`: `Console::audit_verify` | [`audit_log::chain`] |
//! | resume a batch | [`console`] `batches.rs`: `Console::batch_run` | [`batch::run`], [`journal::batches`] |
//! | resolve an unknown write | [`console`] `operations.rs`: `Console::track_once` | [`writes::tracker`] |
//!
//! The folders: [`console`] (the API, one file per area, the only `impl Console`), [`policy`]
//! (roles, permissions, the [`policy::Permit`] every action needs), [`profile`] (a consumer's
//! view and findings), [`bank`] (the bank's records), [`writes`] (one write, never lost),
//! [`journal`] (the operations journal), [`batch`] (the fraud team's lists), [`profile_audit`]
//! (the auditors' read-only audit), [`audit_log`] (the hash-chained trail), [`credentials`]
//! (import and the OS keychain), [`environments`] (environments, sessions, settings),
//! [`privacy`] (masking and the log scrubber), [`storage`] (paths, SQLite, whole files, CSV),
//! [`logging`].

// The tests' hooks (an administrators' policy file and a file picker named by environment
// variables) never reach an optimised build: a shipped console cannot have them.
#[cfg(all(feature = "test-hooks", not(debug_assertions)))]
compile_error!(
    "the test-hooks feature is for the tests' debug builds only: no optimised (shipped) build may enable it"
);

pub mod audit_log;
pub mod bank;
pub mod batch;
pub mod console;
pub mod credentials;
pub mod environments;
pub mod error;
pub mod history;
pub mod journal;
pub mod logging;
pub mod policy;
pub mod privacy;
pub mod profile;
pub mod profile_audit;
pub mod storage;
pub mod tokens;
pub mod writes;

pub use console::Console;
pub use error::{Error, ErrorCode, Result};

/// The name of the environment the console opens on: the embedded D1 simulator.
pub const SANDBOX_ENVIRONMENT: &str = "sandbox";

/// How an enum value is spelled on the wire and in the console's files (its serde name, e.g.
/// `SUCCESSFUL`, `ISSUER_DECISION`).
pub fn wire_name(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Runs `f`, which blocks on a file (a journal or audit write and its `fsync`, or a wait for
/// the lock of one), on this thread without holding up the async tasks queued behind it: on a
/// multi-threaded runtime another thread takes them over meanwhile.
pub(crate) fn in_place<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Runs blocking work (the keychain, file checks) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("a blocking task failed: {e}")))?
}
