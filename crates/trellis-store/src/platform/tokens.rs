//! Bearer tokens (from `POST /auth/login`, short-lived) and API tokens (long-lived, scoped),
//! plus single-use action tokens for invitations and password resets. Only hashes are stored.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch};

/// One `api_tokens` row.
#[derive(Clone, Debug, FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub name: String,
    pub prefix: String,
    pub token_hash: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, kind, name, prefix, token_hash, scopes, created_at, \
                       last_used_at, expires_at, revoked_at";

/// Inserts a token.
pub async fn insert(ex: &mut Exec<'_>, row: &TokenRow) -> Result<()> {
    execute!(
        ex,
        "insert into api_tokens (id, user_id, kind, name, prefix, token_hash, scopes, created_at, \
         expires_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            row.id,
            row.user_id,
            &row.kind,
            &row.name,
            &row.prefix,
            &row.token_hash,
            &row.scopes,
            row.created_at,
            row.expires_at
        ]
    )?;
    Ok(())
}

/// Finds a usable token by hash: not revoked, not expired.
pub async fn find_live(ex: &mut Exec<'_>, token_hash: &str, now: i64) -> Result<Option<TokenRow>> {
    let sql = format!(
        "select {COLUMNS} from api_tokens where token_hash = $1 and revoked_at is null \
         and (expires_at is null or expires_at > $2)"
    );
    Ok(fetch!(
        ex,
        TokenRow,
        &sql,
        [token_hash, now],
        fetch_optional
    )?)
}

/// A live token together with the user it belongs to: the one read behind every API request.
#[derive(Clone, Debug, FromRow)]
pub struct TokenOwnerRow {
    pub token_id: Uuid,
    pub kind: String,
    pub scopes: String,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
}

/// Finds a usable token by hash and its owner in one query.
pub async fn find_live_with_owner(
    ex: &mut Exec<'_>,
    token_hash: &str,
    now: i64,
) -> Result<Option<TokenOwnerRow>> {
    Ok(fetch!(
        ex,
        TokenOwnerRow,
        "select t.id as token_id, t.kind, t.scopes, t.last_used_at, t.expires_at, \
         u.id as user_id, u.org_id, u.email, u.name, u.role, u.status \
         from api_tokens t join users u on u.id = t.user_id \
         where t.token_hash = $1 and t.revoked_at is null \
           and (t.expires_at is null or t.expires_at > $2)",
        [token_hash, now],
        fetch_optional
    )?)
}

/// Finds one of a user's tokens.
pub async fn find_for_user(ex: &mut Exec<'_>, user_id: Uuid, id: Uuid) -> Result<Option<TokenRow>> {
    let sql = format!("select {COLUMNS} from api_tokens where id = $1 and user_id = $2");
    Ok(fetch!(ex, TokenRow, &sql, [id, user_id], fetch_optional)?)
}

/// Lists a user's API tokens (not login tokens), newest first.
pub async fn list_api(
    ex: &mut Exec<'_>,
    user_id: Uuid,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<TokenRow>> {
    let sql = format!(
        "select {COLUMNS} from api_tokens where user_id = $1 and kind = 'api' \
         and ($2 is null or id < $3) order by id desc limit $4"
    );
    let has = after.map(|_| 1_i64);
    let id = after.map_or(Uuid::nil(), |c| c.id);
    let limit_plus = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows = fetch!(
        ex,
        TokenRow,
        &sql,
        [user_id, has, id, limit_plus],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    }))
}

/// Records use at most once a minute per token, so a busy client does not turn every read
/// into a write.
pub async fn touch(ex: &mut Exec<'_>, id: Uuid, now: i64) -> Result<()> {
    execute!(
        ex,
        "update api_tokens set last_used_at = $2 where id = $1 \
         and (last_used_at is null or last_used_at < $3)",
        [id, now, now - 60_000]
    )?;
    Ok(())
}

/// Revokes a token; false when it was not live.
pub async fn revoke(ex: &mut Exec<'_>, id: Uuid, now: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update api_tokens set revoked_at = $2 where id = $1 and revoked_at is null",
        [id, now]
    )?;
    Ok(n == 1)
}

/// Revokes every token of a user (deactivation).
pub async fn revoke_for_user(ex: &mut Exec<'_>, user_id: Uuid, now: i64) -> Result<u64> {
    Ok(execute!(
        ex,
        "update api_tokens set revoked_at = $2 where user_id = $1 and revoked_at is null",
        [user_id, now]
    )?)
}

/// One `action_tokens` row.
#[derive(Clone, Debug, FromRow)]
pub struct ActionTokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub purpose: String,
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Inserts an action token, voiding earlier unused ones of the same purpose.
pub async fn insert_action(ex: &mut Exec<'_>, row: &ActionTokenRow) -> Result<()> {
    execute!(
        ex,
        "update action_tokens set used_at = $3 where user_id = $1 and purpose = $2 \
         and used_at is null",
        [row.user_id, &row.purpose, row.created_at]
    )?;
    execute!(
        ex,
        "insert into action_tokens (id, user_id, purpose, token_hash, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6)",
        [
            row.id,
            row.user_id,
            &row.purpose,
            &row.token_hash,
            row.created_at,
            row.expires_at
        ]
    )?;
    Ok(())
}

/// Finds a live action token of a purpose.
pub async fn find_action(
    ex: &mut Exec<'_>,
    purpose: &str,
    token_hash: &str,
    now: i64,
) -> Result<Option<ActionTokenRow>> {
    Ok(fetch!(
        ex,
        ActionTokenRow,
        "select id, user_id, purpose, token_hash, created_at, expires_at, used_at \
         from action_tokens where purpose = $1 and token_hash = $2 and used_at is null \
         and expires_at > $3",
        [purpose, token_hash, now],
        fetch_optional
    )?)
}

/// Marks an action token used; false when someone else used it first.
pub async fn use_action(ex: &mut Exec<'_>, id: Uuid, now: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update action_tokens set used_at = $2 where id = $1 and used_at is null",
        [id, now]
    )?;
    Ok(n == 1)
}
