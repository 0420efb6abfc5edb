//! What can go wrong with the team store, in words an administrator can act on.

/// A team store failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address, CA or a name given is not usable; nothing was contacted.
    #[error("{0}")]
    InvalidInput(String),
    /// The store could not be reached or refused the login.
    #[error(
        "the team store could not be reached ({0}): check the network and the store's address in the administrators' policy (for a certificate error, its CA)"
    )]
    Unreachable(String),
    /// The store answered with an error.
    #[error("the team store refused: {0}")]
    Refused(String),
}

/// A team store result.
pub type Result<T> = std::result::Result<T, Error>;

impl From<tokio_postgres::Error> for Error {
    fn from(error: tokio_postgres::Error) -> Self {
        match error.as_db_error() {
            Some(db) => Error::Refused(format!("{} ({})", db.message(), db.code().code())),
            None => Error::Unreachable(error.to_string()),
        }
    }
}
