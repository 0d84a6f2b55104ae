//! Users of both sides.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch, scalar};

/// One `users` row.
#[derive(Clone, Debug, FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub password_hash: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub last_login_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, org_id, email, name, role, status, password_hash, failed_logins, \
                       locked_until, last_login_at, version, created_at, updated_at";

/// Inserts a user; `Conflict` when the e-mail address is taken.
pub async fn insert(ex: &mut Exec<'_>, row: &UserRow) -> Result<()> {
    execute!(
        ex,
        "insert into users (id, org_id, email, email_norm, name, role, status, password_hash, \
         failed_logins, version, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, 0, 1, $9, $9)",
        [
            row.id,
            row.org_id,
            &row.email,
            row.email.to_lowercase(),
            &row.name,
            &row.role,
            &row.status,
            &row.password_hash,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Finds a user by id; with `org` set, only within that organisation (partner scope).
pub async fn find(ex: &mut Exec<'_>, id: Uuid, org: Option<Uuid>) -> Result<Option<UserRow>> {
    let sql = format!("select {COLUMNS} from users where id = $1 and ($2 is null or org_id = $2)");
    Ok(fetch!(ex, UserRow, &sql, [id, org], fetch_optional)?)
}

/// Finds a user by normalised e-mail address.
pub async fn find_by_email(ex: &mut Exec<'_>, email_norm: &str) -> Result<Option<UserRow>> {
    let sql = format!("select {COLUMNS} from users where email_norm = $1");
    Ok(fetch!(ex, UserRow, &sql, [email_norm], fetch_optional)?)
}

/// Lists users by e-mail; with `org` set, only that organisation's.
pub async fn list(
    ex: &mut Exec<'_>,
    org: Option<Uuid>,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<UserRow>> {
    let sql = format!(
        "select {COLUMNS} from users \
         where ($1 is null or org_id = $1) \
           and ($2 is null or email_norm > $2 or (email_norm = $2 and id > $3)) \
         order by email_norm, id limit $4"
    );
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (Some(c.key.clone()), c.id));
    let limit_plus = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows = fetch!(ex, UserRow, &sql, [org, key, id, limit_plus], fetch_all)?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.email.to_lowercase(),
        id: r.id,
    }))
}

/// Writes name, role and status if `expected_version` is current.
pub async fn update_profile(
    ex: &mut Exec<'_>,
    row: &UserRow,
    expected_version: i64,
) -> Result<bool> {
    let n = execute!(
        ex,
        "update users set name = $2, role = $3, status = $4, version = version + 1, \
         updated_at = $5 where id = $1 and version = $6",
        [
            row.id,
            &row.name,
            &row.role,
            &row.status,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Sets a new password hash, activates the user and clears any lock-out.
pub async fn set_password(ex: &mut Exec<'_>, id: Uuid, hash: &str, now: i64) -> Result<()> {
    execute!(
        ex,
        "update users set password_hash = $2, status = 'active', failed_logins = 0, \
         locked_until = null, version = version + 1, updated_at = $3 where id = $1",
        [id, hash, now]
    )?;
    Ok(())
}

/// Records a failed login and, at `lock_after` failures, locks until `lock_until`.
/// One statement, so concurrent failures cannot under-count.
pub async fn record_failed_login(
    ex: &mut Exec<'_>,
    id: Uuid,
    lock_after: i64,
    lock_until: i64,
) -> Result<()> {
    execute!(
        ex,
        "update users set failed_logins = failed_logins + 1, \
         locked_until = case when failed_logins + 1 >= $2 then $3 else locked_until end \
         where id = $1",
        [id, lock_after, lock_until]
    )?;
    Ok(())
}

/// Records a successful login.
pub async fn record_login(ex: &mut Exec<'_>, id: Uuid, now: i64) -> Result<()> {
    execute!(
        ex,
        "update users set failed_logins = 0, locked_until = null, last_login_at = $2 where id = $1",
        [id, now]
    )?;
    Ok(())
}

/// Counts all users.
pub async fn count(ex: &mut Exec<'_>) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select count(*) from users",
        [],
        fetch_one
    )?)
}

/// E-mail addresses of the active vendor admins and channel managers, who review partner
/// applications (at most 50).
pub async fn reviewers(ex: &mut Exec<'_>) -> Result<Vec<String>> {
    Ok(scalar!(
        ex,
        String,
        "select email from users where status = 'active' \
         and role in ('vendor_admin', 'channel_manager') order by email limit 50",
        [],
        fetch_all
    )?)
}

/// E-mail addresses of an organisation's active partner admins.
pub async fn admins_of(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<String>> {
    Ok(scalar!(
        ex,
        String,
        "select email from users where org_id = $1 and status = 'active' \
         and role = 'partner_admin' order by email",
        [org_id],
        fetch_all
    )?)
}

/// Users of an organisation who are invited or active.
pub async fn count_enabled(ex: &mut Exec<'_>, org_id: Uuid) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select count(*) from users where org_id = $1 and status <> 'disabled'",
        [org_id],
        fetch_one
    )?)
}

/// `(id, name, e-mail)` of every vendor-side user, to recognise CRM record owners.
pub async fn vendor_people(ex: &mut Exec<'_>) -> Result<Vec<(Uuid, String, String)>> {
    Ok(fetch!(
        ex,
        (Uuid, String, String),
        "select u.id, u.name, u.email_norm from users u join orgs o on o.id = u.org_id \
         where o.kind = 'vendor'",
        [],
        fetch_all
    )?)
}

/// The e-mail address of a partner's channel manager, if they are an active user.
pub async fn partner_owner_email(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Option<String>> {
    Ok(scalar!(
        ex,
        String,
        "select u.email from partner_profiles p join users u on u.id = p.owner_id \
         where p.org_id = $1 and u.status = 'active'",
        [org_id],
        fetch_optional
    )?)
}

/// A user's e-mail address, if they are active.
pub async fn active_email(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<String>> {
    Ok(scalar!(
        ex,
        String,
        "select email from users where id = $1 and status = 'active'",
        [id],
        fetch_optional
    )?)
}
