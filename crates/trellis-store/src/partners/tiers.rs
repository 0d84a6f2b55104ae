//! Tier definitions and the record of every tier decision.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch};

/// One `tiers` row.
#[derive(Clone, Debug, FromRow)]
pub struct TierRow {
    pub key: String,
    pub name: String,
    /// Higher is better; unique.
    pub rank: i64,
    pub description: String,
    /// `[{"metric": "...", "at_least": n}, ...]`.
    pub requirements: Json<Value>,
    /// `["...", ...]`.
    pub benefits: Json<Value>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "key, name, rank, description, requirements, benefits, version, created_at, updated_at";

/// Inserts a tier; `Conflict` if the key or the rank is taken.
pub async fn insert(ex: &mut Exec<'_>, row: &TierRow) -> Result<()> {
    execute!(
        ex,
        "insert into tiers (key, name, rank, description, requirements, benefits, version, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
        [
            &row.key,
            &row.name,
            row.rank,
            &row.description,
            &row.requirements,
            &row.benefits,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Every tier, lowest rank first.
pub async fn list(ex: &mut Exec<'_>) -> Result<Vec<TierRow>> {
    let sql = format!("select {COLUMNS} from tiers order by rank");
    Ok(fetch!(ex, TierRow, &sql, [], fetch_all)?)
}

/// Finds a tier.
pub async fn find(ex: &mut Exec<'_>, key: &str) -> Result<Option<TierRow>> {
    let sql = format!("select {COLUMNS} from tiers where key = $1");
    Ok(fetch!(ex, TierRow, &sql, [key], fetch_optional)?)
}

/// Writes a tier if `expected_version` is current; `Conflict` if the new rank is taken.
pub async fn update(ex: &mut Exec<'_>, row: &TierRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update tiers set name = $2, rank = $3, description = $4, requirements = $5, \
         benefits = $6, version = version + 1, updated_at = $7 where key = $1 and version = $8",
        [
            &row.key,
            &row.name,
            row.rank,
            &row.description,
            &row.requirements,
            &row.benefits,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Deletes a tier.
pub async fn delete(ex: &mut Exec<'_>, key: &str) -> Result<bool> {
    Ok(execute!(ex, "delete from tiers where key = $1", [key])? == 1)
}

/// How many partners hold a tier.
pub async fn holders(ex: &mut Exec<'_>, key: &str) -> Result<i64> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select count(*) from orgs where kind = 'partner' and tier = $1",
        [key],
        fetch_one
    )?)
}

/// One `tier_changes` row.
#[derive(Clone, Debug, FromRow)]
pub struct TierChangeRow {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `assigned`, `upgraded`, `downgraded`, `grace_started`, `recovered`, `overridden`,
    /// `override_ended`.
    pub outcome: String,
    pub from_tier: Option<String>,
    pub to_tier: Option<String>,
    /// The sentence shown to people.
    pub reason: String,
    /// The figures behind the decision.
    pub figures: Json<Value>,
    /// The person who decided; `None` for the tier engine.
    pub actor_id: Option<Uuid>,
    pub created_at: i64,
}

const CHANGE_COLUMNS: &str =
    "id, org_id, outcome, from_tier, to_tier, reason, figures, actor_id, created_at";

/// Records a decision.
pub async fn insert_change(ex: &mut Exec<'_>, row: &TierChangeRow) -> Result<()> {
    execute!(
        ex,
        "insert into tier_changes (id, org_id, outcome, from_tier, to_tier, reason, figures, \
         actor_id, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            row.id,
            row.org_id,
            &row.outcome,
            &row.from_tier,
            &row.to_tier,
            &row.reason,
            &row.figures,
            row.actor_id,
            row.created_at
        ]
    )?;
    Ok(())
}

/// A partner's tier decisions, newest first.
pub async fn changes_of(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<TierChangeRow>> {
    let sql = format!(
        "select {CHANGE_COLUMNS} from tier_changes where org_id = $1 \
         order by created_at desc, id desc"
    );
    Ok(fetch!(ex, TierChangeRow, &sql, [org_id], fetch_all)?)
}

/// Every partner's tier decisions, newest first, paged.
pub async fn changes(
    ex: &mut Exec<'_>,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<TierChangeRow>> {
    let sql = format!(
        "select {CHANGE_COLUMNS} from tier_changes \
         where ($1 is null or created_at < $1 or (created_at = $1 and id < $2)) \
         order by created_at desc, id desc limit $3"
    );
    let (key, id) = after.map_or((None, Uuid::max()), |c| (c.key.parse::<i64>().ok(), c.id));
    let rows = fetch!(
        ex,
        TierChangeRow,
        &sql,
        [key, id, i64::try_from(limit + 1).unwrap_or(i64::MAX)],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.created_at.to_string(),
        id: r.id,
    }))
}
