//! Sharing policies: per side, a default (`scope = 'default'`) and overrides per connection
//! (`scope` = the connection's id).

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// The scope of a side's default policy.
pub const DEFAULT_SCOPE: &str = "default";

/// One `sharing_policies` row.
#[derive(Clone, Debug, FromRow)]
pub struct PolicyRow {
    /// The side that shares.
    pub org_id: Uuid,
    /// [`DEFAULT_SCOPE`] or a connection id.
    pub scope: String,
    /// The policy, as the domain serialises it.
    pub policy: Json<Value>,
    pub version: i64,
    pub updated_by: Option<Uuid>,
    pub updated_at: i64,
}

const COLUMNS: &str = "org_id, scope, policy, version, updated_by, updated_at";

/// One policy of a side.
pub async fn find(ex: &mut Exec<'_>, org_id: Uuid, scope: &str) -> Result<Option<PolicyRow>> {
    let sql = format!("select {COLUMNS} from sharing_policies where org_id = $1 and scope = $2");
    Ok(fetch!(
        ex,
        PolicyRow,
        &sql,
        [org_id, scope],
        fetch_optional
    )?)
}

/// Every policy of a side: its default and its overrides.
pub async fn of_org(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<PolicyRow>> {
    let sql = format!("select {COLUMNS} from sharing_policies where org_id = $1 order by scope");
    Ok(fetch!(ex, PolicyRow, &sql, [org_id], fetch_all)?)
}

/// Writes a policy: inserts it when `expected_version` is 0, else updates it if it is still
/// at that version. False when someone else changed it first.
pub async fn put(ex: &mut Exec<'_>, row: &PolicyRow, expected_version: i64) -> Result<bool> {
    let n = if expected_version == 0 {
        execute!(
            ex,
            "insert into sharing_policies (org_id, scope, policy, version, updated_by, \
             updated_at) values ($1, $2, $3, 1, $4, $5) on conflict (org_id, scope) do nothing",
            [
                row.org_id,
                &row.scope,
                &row.policy,
                row.updated_by,
                row.updated_at
            ]
        )?
    } else {
        execute!(
            ex,
            "update sharing_policies set policy = $1, version = version + 1, updated_by = $2, \
             updated_at = $3 where org_id = $4 and scope = $5 and version = $6",
            [
                &row.policy,
                row.updated_by,
                row.updated_at,
                row.org_id,
                &row.scope,
                expected_version
            ]
        )?
    };
    Ok(n == 1)
}

/// Removes an override; the side's default applies again.
pub async fn delete(ex: &mut Exec<'_>, org_id: Uuid, scope: &str) -> Result<bool> {
    let n = execute!(
        ex,
        "delete from sharing_policies where org_id = $1 and scope = $2",
        [org_id, scope]
    )?;
    Ok(n == 1)
}
