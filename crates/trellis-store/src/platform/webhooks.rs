//! Webhook endpoints and the record of every delivery attempt.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch};

/// One `webhook_endpoints` row.
#[derive(Clone, Debug, FromRow)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub secret: String,
    /// Space-separated filter entries (`*`, `user.*`, `org.created`).
    pub event_filter: String,
    pub enabled: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, url, description, secret, event_filter, enabled, version, created_at, updated_at";

/// Inserts an endpoint.
pub async fn insert(ex: &mut Exec<'_>, row: &EndpointRow) -> Result<()> {
    execute!(
        ex,
        "insert into webhook_endpoints (id, url, description, secret, event_filter, enabled, \
         version, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
        [
            row.id,
            &row.url,
            &row.description,
            &row.secret,
            &row.event_filter,
            row.enabled,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Finds an endpoint.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<EndpointRow>> {
    let sql = format!("select {COLUMNS} from webhook_endpoints where id = $1");
    Ok(fetch!(ex, EndpointRow, &sql, [id], fetch_optional)?)
}

/// Every enabled endpoint (few per deployment; filtered in Rust).
pub async fn list_enabled(ex: &mut Exec<'_>) -> Result<Vec<EndpointRow>> {
    let sql = format!("select {COLUMNS} from webhook_endpoints where enabled = $1 order by id");
    Ok(fetch!(ex, EndpointRow, &sql, [true], fetch_all)?)
}

/// Lists endpoints, oldest first.
pub async fn list(
    ex: &mut Exec<'_>,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<EndpointRow>> {
    let sql = format!(
        "select {COLUMNS} from webhook_endpoints where ($1 is null or id > $2) order by id limit $3"
    );
    let has = after.map(|_| 1_i64);
    let id = after.map_or(Uuid::nil(), |c| c.id);
    let limit_plus = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows = fetch!(ex, EndpointRow, &sql, [has, id, limit_plus], fetch_all)?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    }))
}

/// Writes an update if `expected_version` is current.
pub async fn update(ex: &mut Exec<'_>, row: &EndpointRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update webhook_endpoints set url = $2, description = $3, event_filter = $4, \
         enabled = $5, secret = $6, version = version + 1, updated_at = $7 \
         where id = $1 and version = $8",
        [
            row.id,
            &row.url,
            &row.description,
            &row.event_filter,
            row.enabled,
            &row.secret,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Deletes an endpoint and its attempts.
pub async fn delete(ex: &mut Exec<'_>, id: Uuid) -> Result<bool> {
    execute!(
        ex,
        "delete from webhook_attempts where endpoint_id = $1",
        [id]
    )?;
    Ok(execute!(ex, "delete from webhook_endpoints where id = $1", [id])? == 1)
}

/// One `webhook_attempts` row.
#[derive(Clone, Debug, FromRow)]
pub struct AttemptRow {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub attempt: i64,
    pub succeeded: bool,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
    pub duration_ms: i64,
    pub created_at: i64,
}

/// Records an attempt.
pub async fn insert_attempt(ex: &mut Exec<'_>, row: &AttemptRow) -> Result<()> {
    execute!(
        ex,
        "insert into webhook_attempts (id, endpoint_id, event_id, event_type, attempt, \
         succeeded, status_code, error, response_excerpt, duration_ms, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            row.id,
            row.endpoint_id,
            row.event_id,
            &row.event_type,
            row.attempt,
            row.succeeded,
            row.status_code,
            &row.error,
            &row.response_excerpt,
            row.duration_ms,
            row.created_at
        ]
    )?;
    Ok(())
}

/// An endpoint's attempts, newest first.
pub async fn list_attempts(
    ex: &mut Exec<'_>,
    endpoint_id: Uuid,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<AttemptRow>> {
    let has = after.map(|_| 1_i64);
    let id = after.map_or(Uuid::nil(), |c| c.id);
    let limit_plus = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows = fetch!(
        ex,
        AttemptRow,
        "select id, endpoint_id, event_id, event_type, attempt, succeeded, status_code, error, \
         response_excerpt, duration_ms, created_at from webhook_attempts \
         where endpoint_id = $1 and ($2 is null or id < $3) order by id desc limit $4",
        [endpoint_id, has, id, limit_plus],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    }))
}
