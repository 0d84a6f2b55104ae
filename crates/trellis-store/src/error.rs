//! Storage errors, mapped portably from driver errors by kind, never by constraint name
//! (SQLite does not report names).

use thiserror::Error;

/// What can go wrong in the store.
#[derive(Debug, Error)]
pub enum Error {
    /// A row that must exist does not.
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated.
    #[error("conflicts with an existing record")]
    Conflict,
    /// A foreign key points nowhere.
    #[error("refers to a missing record")]
    ForeignKey,
    /// The database was busy or locked past its timeout.
    #[error("database busy")]
    Busy,
    /// Anything else: a bug or an outage.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Store result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Error::NotFound,
            sqlx::Error::PoolTimedOut => Error::Busy,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => Error::Conflict,
                sqlx::error::ErrorKind::ForeignKeyViolation => Error::ForeignKey,
                // dialect: SQLite reports SQLITE_BUSY (5) / SQLITE_LOCKED (6) as codes only.
                _ if matches!(db.code().as_deref(), Some("5" | "6")) => Error::Busy,
                _ => Error::Other(e.into()),
            },
            _ => Error::Other(e.into()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Other(e.into())
    }
}
