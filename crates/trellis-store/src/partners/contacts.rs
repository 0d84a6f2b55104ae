//! People at a partner who are contacts of the program (not necessarily users).

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `partner_contacts` row.
#[derive(Clone, Debug, FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    /// `primary`, `sales`, `technical`, `marketing`, `billing` or `executive`.
    pub role: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, org_id, name, email, phone, title, role, version, created_at, updated_at";

/// Inserts a contact.
pub async fn insert(ex: &mut Exec<'_>, row: &ContactRow) -> Result<()> {
    execute!(
        ex,
        "insert into partner_contacts (id, org_id, name, email, phone, title, role, version, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
        [
            row.id,
            row.org_id,
            &row.name,
            &row.email,
            &row.phone,
            &row.title,
            &row.role,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Finds a contact, only within `org_id` when given (partner scope).
pub async fn find(ex: &mut Exec<'_>, id: Uuid, org_id: Option<Uuid>) -> Result<Option<ContactRow>> {
    let sql = format!(
        "select {COLUMNS} from partner_contacts where id = $1 and ($2 is null or org_id = $2)"
    );
    Ok(fetch!(ex, ContactRow, &sql, [id, org_id], fetch_optional)?)
}

/// A partner's contacts by name.
pub async fn list(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<ContactRow>> {
    let sql = format!("select {COLUMNS} from partner_contacts where org_id = $1 order by name, id");
    Ok(fetch!(ex, ContactRow, &sql, [org_id], fetch_all)?)
}

/// Writes an update if `expected_version` is current; false on a stale version.
pub async fn update(ex: &mut Exec<'_>, row: &ContactRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update partner_contacts set name = $2, email = $3, phone = $4, title = $5, role = $6, \
         version = version + 1, updated_at = $7 where id = $1 and version = $8",
        [
            row.id,
            &row.name,
            &row.email,
            &row.phone,
            &row.title,
            &row.role,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Deletes a contact.
pub async fn delete(ex: &mut Exec<'_>, id: Uuid) -> Result<bool> {
    Ok(execute!(ex, "delete from partner_contacts where id = $1", [id])? == 1)
}
