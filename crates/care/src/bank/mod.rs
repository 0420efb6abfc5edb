//! The bank's own records: what a consumer and their cards look like there ([`record`]) and the
//! client of the issuer-records API ([`client`]).

pub mod client;
pub mod kana;
pub mod record;

pub use client::{IssuerRecords, MAX_RESULTS, SearchResults};
pub use record::{AccountStatus, Address, IssuerCard, IssuerConsumer, Name};
