//! The fraud team's batch opt-out of a list of cards and consumers: reading the list
//! ([`input`]), the dry run ([`preview`]), the run with its brake and controls ([`run`],
//! [`brake`], [`control`]), and the report ([`report`]). Batches and their items are kept in
//! the operations journal ([`crate::journal::batches`]).

pub mod brake;
pub mod control;
pub mod input;
pub mod preview;
pub mod report;
pub mod run;

pub use control::{DEFAULT_CONCURRENCY, MAX_CONCURRENCY, RunControl};
pub use input::ParsedList;
pub use preview::Preview;
pub use run::Progress;
