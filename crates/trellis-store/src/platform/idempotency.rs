//! Saved responses of create requests that carried an `Idempotency-Key`.

use sqlx::FromRow;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One saved response.
#[derive(Clone, Debug, FromRow)]
pub struct IdempotencyRow {
    pub owner: String,
    pub key: String,
    pub request_hash: String,
    pub status: i64,
    pub response: String,
    pub created_at: i64,
}

/// Finds the saved response for `(owner, key)`.
pub async fn find(ex: &mut Exec<'_>, owner: &str, key: &str) -> Result<Option<IdempotencyRow>> {
    Ok(fetch!(
        ex,
        IdempotencyRow,
        "select owner, key, request_hash, status, response, created_at from idempotency_keys \
         where owner = $1 and key = $2",
        [owner, key],
        fetch_optional
    )?)
}

/// Saves a response; `Conflict` when a concurrent request saved one first.
pub async fn insert(ex: &mut Exec<'_>, row: &IdempotencyRow) -> Result<()> {
    execute!(
        ex,
        "insert into idempotency_keys (owner, key, request_hash, status, response, created_at) \
         values ($1, $2, $3, $4, $5, $6)",
        [
            &row.owner,
            &row.key,
            &row.request_hash,
            row.status,
            &row.response,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Forgets responses saved before `before` (keys are honoured for 24 hours).
pub async fn purge(ex: &mut Exec<'_>, before: i64) -> Result<u64> {
    Ok(execute!(
        ex,
        "delete from idempotency_keys where created_at < $1",
        [before]
    )?)
}

/// Deletes one key (an abandoned or failed reservation).
pub async fn delete(ex: &mut Exec<'_>, owner: &str, key: &str) -> Result<()> {
    execute!(
        ex,
        "delete from idempotency_keys where owner = $1 and key = $2",
        [owner, key]
    )?;
    Ok(())
}

/// Fills in the response of a reservation (status 0 until then).
pub async fn complete(
    ex: &mut Exec<'_>,
    owner: &str,
    key: &str,
    status: i64,
    response: &str,
) -> Result<()> {
    execute!(
        ex,
        "update idempotency_keys set status = $3, response = $4 where owner = $1 and key = $2",
        [owner, key, status, response]
    )?;
    Ok(())
}
