//! A registration's trail: every step of its life (submitted, approved, disputed, extended,
//! converted, …), who took it, and the rule and policy version behind a decision.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `deal_trail` row.
#[derive(Clone, Debug, FromRow)]
pub struct TrailRow {
    pub seq: i64,
    pub registration_id: Uuid,
    /// `submitted`, `approved`, `rejected`, `disputed`, …
    pub step: String,
    pub rule: Option<String>,
    pub policy_version: Option<i64>,
    pub reason: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub created_at: i64,
}

/// Appends a step.
pub async fn append(ex: &mut Exec<'_>, row: &TrailRow) -> Result<()> {
    execute!(
        ex,
        "insert into deal_trail (registration_id, step, rule, policy_version, reason, \
         actor_id, actor_label, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            row.registration_id,
            &row.step,
            &row.rule,
            row.policy_version,
            &row.reason,
            row.actor_id,
            &row.actor_label,
            row.created_at
        ]
    )?;
    Ok(())
}

/// A registration's steps, oldest first.
pub async fn of(ex: &mut Exec<'_>, registration_id: Uuid) -> Result<Vec<TrailRow>> {
    Ok(fetch!(
        ex,
        TrailRow,
        "select seq, registration_id, step, rule, policy_version, reason, actor_id, \
         actor_label, created_at from deal_trail where registration_id = $1 order by seq",
        [registration_id],
        fetch_all
    )?)
}

/// The newest step's sequence number among the registrations of `org_id` (every partner's when
/// `None`): it grows whenever one of them changes, so a page showing them can poll it cheaply
/// instead of rendering itself again.
pub async fn last_seq(ex: &mut Exec<'_>, org_id: Option<Uuid>) -> Result<i64> {
    Ok(fetch!(
        ex,
        (i64,),
        "select coalesce(max(t.seq), 0) from deal_trail t \
         where ($1 is null or t.registration_id in \
                (select id from deal_registrations where org_id = $1))",
        [org_id],
        fetch_one
    )?
    .0)
}
