//! Browser sessions, stored server-side so several instances can share them.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `sessions` row.
#[derive(Clone, Debug, FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub token_hash: String,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// Inserts a session.
pub async fn insert(ex: &mut Exec<'_>, row: &SessionRow) -> Result<()> {
    execute!(
        ex,
        "insert into sessions (id, token_hash, user_id, csrf_token, ip, user_agent, created_at, \
         last_seen_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
        [
            row.id,
            &row.token_hash,
            row.user_id,
            &row.csrf_token,
            &row.ip,
            &row.user_agent,
            row.created_at,
            row.expires_at
        ]
    )?;
    Ok(())
}

/// Finds a live session by token hash.
pub async fn find_live(
    ex: &mut Exec<'_>,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionRow>> {
    Ok(fetch!(
        ex,
        SessionRow,
        "select id, token_hash, user_id, csrf_token, ip, user_agent, created_at, last_seen_at, \
         expires_at from sessions where token_hash = $1 and expires_at > $2",
        [token_hash, now],
        fetch_optional
    )?)
}

/// Slides the idle expiry forward.
pub async fn touch(ex: &mut Exec<'_>, id: Uuid, now: i64, expires_at: i64) -> Result<()> {
    execute!(
        ex,
        "update sessions set last_seen_at = $2, expires_at = $3 where id = $1",
        [id, now, expires_at]
    )?;
    Ok(())
}

/// Deletes one session (logout).
pub async fn delete(ex: &mut Exec<'_>, id: Uuid) -> Result<()> {
    execute!(ex, "delete from sessions where id = $1", [id])?;
    Ok(())
}

/// Deletes every session of a user (password change, deactivation).
pub async fn delete_for_user(ex: &mut Exec<'_>, user_id: Uuid) -> Result<u64> {
    Ok(execute!(
        ex,
        "delete from sessions where user_id = $1",
        [user_id]
    )?)
}

/// Deletes expired sessions.
pub async fn purge_expired(ex: &mut Exec<'_>, now: i64) -> Result<u64> {
    Ok(execute!(
        ex,
        "delete from sessions where expires_at <= $1",
        [now]
    )?)
}
