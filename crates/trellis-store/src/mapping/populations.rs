//! Populations: a side's named groups of accounts, each defined by a filter.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `populations` row.
#[derive(Clone, Debug, FromRow)]
pub struct PopulationRow {
    pub id: Uuid,
    /// The side it belongs to.
    pub org_id: Uuid,
    /// `customers`, `open_opportunities`, `prospects`, or a custom slug.
    pub key: String,
    pub name: String,
    pub description: String,
    /// The filter, as the domain serialises it.
    pub filter: Json<Value>,
    pub builtin: bool,
    /// Accounts in it when last counted.
    pub member_count: i64,
    pub counted_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, org_id, key, name, description, filter, builtin, member_count, \
    counted_at, version, created_at, updated_at";

/// Inserts a population; `Conflict` if the side has one with that key.
pub async fn insert(ex: &mut Exec<'_>, row: &PopulationRow) -> Result<()> {
    execute!(
        ex,
        "insert into populations (id, org_id, key, name, description, filter, builtin, \
         member_count, counted_at, version, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
        [
            row.id,
            row.org_id,
            &row.key,
            &row.name,
            &row.description,
            &row.filter,
            row.builtin,
            row.member_count,
            row.counted_at,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Changes a population's name, description and filter if it is still at
/// `expected_version`.
pub async fn update(ex: &mut Exec<'_>, row: &PopulationRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update populations set name = $1, description = $2, filter = $3, \
         version = version + 1, updated_at = $4 where id = $5 and version = $6",
        [
            &row.name,
            &row.description,
            &row.filter,
            row.updated_at,
            row.id,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Records a count.
pub async fn set_count(ex: &mut Exec<'_>, id: Uuid, count: i64, at: i64) -> Result<()> {
    execute!(
        ex,
        "update populations set member_count = $1, counted_at = $2 where id = $3",
        [count, at, id]
    )?;
    Ok(())
}

/// Marks a side's counts stale (after a change the change stamp cannot see: a deletion).
pub async fn invalidate(ex: &mut Exec<'_>, org_id: Uuid) -> Result<()> {
    execute!(
        ex,
        "update populations set counted_at = null where org_id = $1",
        [org_id]
    )?;
    Ok(())
}

/// Inserts a side's built-in population unless it has it.
pub async fn insert_missing(ex: &mut Exec<'_>, row: &PopulationRow) -> Result<()> {
    execute!(
        ex,
        "insert into populations (id, org_id, key, name, description, filter, builtin, \
         member_count, counted_at, version, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, 0, null, 1, $8, $8) \
         on conflict (org_id, key) do nothing",
        [
            row.id,
            row.org_id,
            &row.key,
            &row.name,
            &row.description,
            &row.filter,
            row.builtin,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Deletes a custom population of the side.
pub async fn delete(ex: &mut Exec<'_>, org_id: Uuid, id: Uuid) -> Result<bool> {
    let n = execute!(
        ex,
        "delete from populations where org_id = $1 and id = $2 and not builtin",
        [org_id, id]
    )?;
    Ok(n == 1)
}

/// A side's populations: built-ins first, then by name.
pub async fn of_org(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<PopulationRow>> {
    let sql = format!(
        "select {COLUMNS} from populations where org_id = $1 \
         order by builtin desc, created_at, name, id"
    );
    Ok(fetch!(ex, PopulationRow, &sql, [org_id], fetch_all)?)
}

/// One population of a side.
pub async fn find(ex: &mut Exec<'_>, org_id: Uuid, id: Uuid) -> Result<Option<PopulationRow>> {
    let sql = format!("select {COLUMNS} from populations where org_id = $1 and id = $2");
    Ok(fetch!(
        ex,
        PopulationRow,
        &sql,
        [org_id, id],
        fetch_optional
    )?)
}
