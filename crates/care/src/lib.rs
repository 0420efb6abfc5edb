//! The console's domain: everything the desktop app and the `c2p` command line do, with no Tauri
//! in it (DESIGN.md). A Tauri command only converts its arguments, calls into this crate and
//! converts the result.

pub mod audit;
pub mod batch;
pub mod compare;
pub mod connection_test;
pub mod console;
pub mod credentials;
mod csv;
pub mod environments;
pub mod error;
pub mod exports;
pub mod findings;
pub mod grid;
pub mod issuer_records;
pub mod journal;
pub mod logging;
pub mod mask;
pub mod notifications;
pub mod paths;
pub mod policy;
pub mod records;
pub mod settings;
mod sqlite;
pub mod vault;
pub mod view;
pub mod writes;

pub use error::{Error, ErrorCode, Result};

/// The name of the environment the console opens on: the embedded D1 simulator.
pub const SANDBOX_ENVIRONMENT: &str = "sandbox";
