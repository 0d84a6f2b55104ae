//! The service error: what a caller can branch on. No HTTP types here; the web layer maps it.

use thiserror::Error;
use trellis_domain::FieldErrors;

/// Why a use case did not happen. Every variant but `Internal` leaves the database unchanged
/// and is the caller's to fix.
#[derive(Debug, Error)]
pub enum Error {
    /// No valid session or token.
    #[error("authentication required")]
    Unauthenticated,
    /// Signed in, but the role or token scope does not allow this.
    #[error("you do not have permission to do this")]
    Forbidden,
    /// The object does not exist, or is not visible to the actor (never 403 across tenants).
    #[error("not found")]
    NotFound,
    /// Input failed validation; every problem is listed.
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// The change conflicts with existing data (a taken e-mail address, a duplicate slug).
    #[error("{0}")]
    Conflict(String),
    /// The `version` sent is not the current one: someone else changed the object.
    #[error("the object was changed by someone else (current version {current})")]
    StaleVersion {
        /// The version the client should re-read.
        current: i64,
    },
    /// The object is in a state that does not allow this.
    #[error("{0}")]
    InvalidState(&'static str),
    /// A partner must accept the current version of its program agreement first.
    #[error("accept version {version} of the {title} first")]
    AgreementRequired {
        /// The agreement's title.
        title: String,
        /// The version to accept.
        version: i64,
    },
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the window resets.
        retry_after_secs: u64,
    },
    /// A bug or an outage; details are logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Service result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Error::Validation(FieldErrors::single(field, message))
    }
}

impl From<trellis_store::Error> for Error {
    fn from(e: trellis_store::Error) -> Self {
        match e {
            trellis_store::Error::NotFound => Error::NotFound,
            trellis_store::Error::Conflict => {
                Error::Conflict("conflicts with an existing record".into())
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl From<FieldErrors> for Error {
    fn from(e: FieldErrors) -> Self {
        Error::Validation(e)
    }
}
