//! Versions of the rules of engagement. A version is never changed: an edit adds one, so a
//! decision's recorded version always says which rules applied.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `engagement_policies` row.
#[derive(Clone, Debug, FromRow)]
pub struct PolicyRow {
    pub version: i64,
    /// The policy, as the domain serialises it.
    pub rules: Json<Value>,
    /// What changed, in the editor's words.
    pub note: String,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
}

const COLUMNS: &str = "version, rules, note, created_by, created_at";

/// Inserts a new version; `Conflict` if that number exists (a concurrent edit).
pub async fn insert(ex: &mut Exec<'_>, row: &PolicyRow) -> Result<()> {
    execute!(
        ex,
        "insert into engagement_policies (version, rules, note, created_by, created_at) \
         values ($1, $2, $3, $4, $5)",
        [
            row.version,
            &row.rules,
            &row.note,
            row.created_by,
            row.created_at
        ]
    )?;
    Ok(())
}

/// The newest version.
pub async fn current(ex: &mut Exec<'_>) -> Result<Option<PolicyRow>> {
    let sql = format!("select {COLUMNS} from engagement_policies order by version desc limit 1");
    Ok(fetch!(ex, PolicyRow, &sql, [], fetch_optional)?)
}

/// One version.
pub async fn find(ex: &mut Exec<'_>, version: i64) -> Result<Option<PolicyRow>> {
    let sql = format!("select {COLUMNS} from engagement_policies where version = $1");
    Ok(fetch!(ex, PolicyRow, &sql, [version], fetch_optional)?)
}

/// Every version, newest first.
pub async fn versions(ex: &mut Exec<'_>) -> Result<Vec<PolicyRow>> {
    let sql = format!("select {COLUMNS} from engagement_policies order by version desc");
    Ok(fetch!(ex, PolicyRow, &sql, [], fetch_all)?)
}

/// Inserts a version unless that number exists (the defaults, written by whoever needs them
/// first).
pub async fn insert_default(ex: &mut Exec<'_>, row: &PolicyRow) -> Result<()> {
    execute!(
        ex,
        "insert into engagement_policies (version, rules, note, created_by, created_at) \
         values ($1, $2, $3, $4, $5) on conflict (version) do nothing",
        [
            row.version,
            &row.rules,
            &row.note,
            row.created_by,
            row.created_at
        ]
    )?;
    Ok(())
}
