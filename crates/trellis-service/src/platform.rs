//! Platform use cases: organisations, users, sign-in, tokens, webhooks, audit, jobs.

pub mod audit;
pub mod auth;
pub mod changes;
pub mod email;
pub mod idempotency;
pub mod jobs;
pub mod orgs;
pub mod schedules;
pub mod tokens;
pub mod users;
pub mod webhooks;

pub use trellis_store::Backend;

use crate::error::{Error, Result};

/// Default and maximum page sizes for every list.
pub const DEFAULT_PAGE: usize = 50;
/// The largest page a client may ask for.
pub const MAX_PAGE: usize = 200;

/// A client's paging request: an opaque cursor and a size.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size; defaults to [`DEFAULT_PAGE`], at most [`MAX_PAGE`].
    pub limit: Option<usize>,
}

impl PageRequest {
    pub(crate) fn parse(&self) -> Result<(Option<trellis_store::Cursor>, usize)> {
        let cursor =
            match self.cursor.as_deref().filter(|c| !c.is_empty()) {
                None => None,
                Some(c) => Some(trellis_store::Cursor::decode(c).ok_or_else(|| {
                    Error::field("cursor", "is not a cursor returned by this API")
                })?),
            };
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(Error::field(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        Ok((cursor, limit))
    }
}

/// Maps a row field that the database guarantees to be valid; a bad value is data
/// corruption, reported as an internal error rather than a panic.
pub(crate) fn parse_stored<T: std::str::FromStr>(field: &str, value: &str) -> Result<T> {
    value
        .parse()
        .map_err(|_| Error::Internal(anyhow::anyhow!("stored {field} {value:?} is not valid")))
}
