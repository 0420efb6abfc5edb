//! A consumer's view and what is wrong with it: the bank's record and each directory's profile
//! read side by side ([`view`]), compared field by field ([`compare`]) into findings
//! ([`findings`]) and the screen's grid ([`grid`]), from the parts in [`model`].

pub mod compare;
pub mod findings;
pub mod grid;
pub mod model;
pub mod phone;
pub mod view;

pub use findings::{Finding, FindingKind, Severity};
pub use model::{BankSide, Directory, DirectoryState, Problem};
pub use view::ConsumerView;
