//! The only code in the project that speaks D1's wire protocol (`shared/d1-api-contract.md`).
//!
//! A [`Client`] is built from a [`Config`] (where the environment is) and an [`Identity`] (the
//! mTLS certificate and key and the ES256 signing key, supplied by the caller from the keychain).
//! It keeps one HTTP/2 connection pool and one access token, refreshed single-flight. Ids are
//! validated when made, so an invalid one is never sent. Reads are retried with backoff; writes
//! are sent once, and a write whose answer was lost is [`Error::MaybeSent`]: reconcile through the
//! operations endpoints.

mod assertion;
mod client;
mod config;
mod error;
mod ids;
mod secret;
pub mod shape;
mod token;
pub mod wire;

pub use client::{Call, Client, Page, Response, TokenWrite, Write};
pub use config::{Config, Identity, Trust};
pub use error::{Error, TlsFailure};
pub use ids::{
    CardId, ConsumerId, CorrelationId, DigitalCardId, InvalidId, IssuerId, OperationId, Reason,
};
pub use secret::Secret;
