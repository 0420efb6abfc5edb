//! Writes that never get lost: what a write does ([`kind`]), the one call and its journal
//! entries ([`send`]), its claim in the team store in team mode ([`claim`]), the registry of
//! calls on their way ([`in_flight`]), following them until final ([`tracker`]), and what an
//! opt-out would remove ([`removal`]).

pub mod claim;
pub mod in_flight;
pub mod kind;
pub mod removal;
pub mod send;
pub mod tracker;
pub mod update_preview;

pub use in_flight::InFlight;
pub use kind::WriteKind;
pub use removal::{Removal, removals};
pub use send::WriteRequest;
pub use tracker::SETTLE;
pub use update_preview::Change;
