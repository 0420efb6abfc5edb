//! Batch jobs: the fraud team's emergency opt-out of a list of cards and consumers, and the
//! auditors' profile audit over a list of consumers (issue 7). Both run on the console's core:
//! the same policy, journal and audit log as a single write or view.

pub mod input;
pub mod opt_out;
pub mod preview;
pub mod profile_audit;
pub mod report;
pub mod store;
