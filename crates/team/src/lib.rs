//! The team store: a PostgreSQL database the bank already runs, holding every workstation's
//! audit records (and, later, the team's journal). This crate knows its schema, its roles and
//! the calls an operator's login may make; it knows nothing of the console or of Tauri.
//!
//! - [`connect`]: a TLS connection that verifies the server against the bank's CA only.
//! - [`schema`]: `c2p team init` (versioned migrations, idempotent), logins bound to operators.
//! - [`claims`]: one write per card or consumer across every workstation.
//! - [`batches`]: the fraud team's batches, seen by all, run by one, taken over when it stops.
//! - [`ingest`]: one local audit record into the centre, chained and idempotent.
//! - [`retention`]: old months detached, exported with checksums, dropped past the retention.
//! - [`siem`]: every record and alert to the bank's syslog collector (RFC 5424 over TLS).
//! - [`trail`]: the trail read back, to compare a workstation's log with and to check it whole.

pub mod batches;
pub mod claims;
pub mod connect;
pub mod error;
pub mod ingest;
pub mod private_file;
pub mod retention;
pub mod schema;
pub mod siem;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trail;

pub use connect::{Address, connect, connect_listening};
pub use error::{Error, Result};
pub use ingest::{CentralRecord, Verdict, ingest, ingest_batch};
