//! Where and how the console keeps its files: the platform's directories, its SQLite files,
//! files written whole or not at all, and CSV rows.

pub mod csv;
pub mod files;
pub mod paths;
pub mod private;
pub mod quarantine;
pub mod sqlite;

pub use paths::{APP_IDENTIFIER, AppDirs};
