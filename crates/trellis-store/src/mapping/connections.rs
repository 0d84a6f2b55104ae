//! Mapping connections between the vendor and a partner: each side opts in (and may opt out).

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `mapping_connections` row with the partner's name.
#[derive(Clone, Debug, FromRow)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub partner_org_id: Uuid,
    /// Read only: joined from `orgs`.
    pub partner_name: String,
    pub vendor_opted_in_at: Option<i64>,
    pub vendor_opted_in_by: Option<Uuid>,
    pub partner_opted_in_at: Option<i64>,
    pub partner_opted_in_by: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "c.id, c.partner_org_id, o.name as partner_name, c.vendor_opted_in_at, \
    c.vendor_opted_in_by, c.partner_opted_in_at, c.partner_opted_in_by, c.version, \
    c.created_at, c.updated_at";

/// Inserts a connection; `Conflict` if the partner has one.
pub async fn insert(ex: &mut Exec<'_>, row: &ConnectionRow) -> Result<()> {
    execute!(
        ex,
        "insert into mapping_connections (id, partner_org_id, vendor_opted_in_at, \
         vendor_opted_in_by, partner_opted_in_at, partner_opted_in_by, version, created_at, \
         updated_at) values ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
        [
            row.id,
            row.partner_org_id,
            row.vendor_opted_in_at,
            row.vendor_opted_in_by,
            row.partner_opted_in_at,
            row.partner_opted_in_by,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Writes both sides' opt-ins if the row is still at `expected_version`.
pub async fn update(ex: &mut Exec<'_>, row: &ConnectionRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update mapping_connections set vendor_opted_in_at = $1, vendor_opted_in_by = $2, \
         partner_opted_in_at = $3, partner_opted_in_by = $4, version = version + 1, \
         updated_at = $5 where id = $6 and version = $7",
        [
            row.vendor_opted_in_at,
            row.vendor_opted_in_by,
            row.partner_opted_in_at,
            row.partner_opted_in_by,
            row.updated_at,
            row.id,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// The connection with one partner.
pub async fn of_partner(ex: &mut Exec<'_>, partner_org_id: Uuid) -> Result<Option<ConnectionRow>> {
    let sql = format!(
        "select {COLUMNS} from mapping_connections c join orgs o on o.id = c.partner_org_id \
         where c.partner_org_id = $1"
    );
    Ok(fetch!(
        ex,
        ConnectionRow,
        &sql,
        [partner_org_id],
        fetch_optional
    )?)
}

/// One connection.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<ConnectionRow>> {
    let sql = format!(
        "select {COLUMNS} from mapping_connections c join orgs o on o.id = c.partner_org_id \
         where c.id = $1"
    );
    Ok(fetch!(ex, ConnectionRow, &sql, [id], fetch_optional)?)
}

/// Every connection, by partner name.
pub async fn all(ex: &mut Exec<'_>) -> Result<Vec<ConnectionRow>> {
    let sql = format!(
        "select {COLUMNS} from mapping_connections c join orgs o on o.id = c.partner_org_id \
         order by o.name_key, c.id"
    );
    Ok(fetch!(ex, ConnectionRow, &sql, [], fetch_all)?)
}
