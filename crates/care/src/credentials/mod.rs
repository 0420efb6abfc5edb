//! An environment's credentials: importing and checking them ([`import`], reading the files in
//! [`parse`]) and keeping the secrets in the OS keychain ([`vault`]).

pub mod import;
mod parse;
pub mod vault;

pub use import::{
    Checked, ImportForm, ImportRequest, MtlsFiles, MtlsSource, check, read_api_key, read_text,
};
pub use vault::{SecretKind, TEAM_STORE, Vault};
