//! Partner metrics: the figures tiers are judged on. Each capability writes the metrics it
//! owns (the lifecycle its counts, co-selling its deals, attribution its revenue); people and
//! integrators may set the rest.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `partner_metrics` row.
#[derive(Clone, Debug, FromRow)]
pub struct MetricRow {
    pub org_id: Uuid,
    pub metric: String,
    pub value: i64,
    /// Who wrote it: `computed`, `manual`, `api` or a capability's name.
    pub source: String,
    pub updated_at: i64,
}

/// Sets a metric, replacing its previous value.
pub async fn put(ex: &mut Exec<'_>, row: &MetricRow) -> Result<()> {
    execute!(
        ex,
        "delete from partner_metrics where org_id = $1 and metric = $2",
        [row.org_id, &row.metric]
    )?;
    execute!(
        ex,
        "insert into partner_metrics (org_id, metric, value, source, updated_at) \
         values ($1, $2, $3, $4, $5)",
        [
            row.org_id,
            &row.metric,
            row.value,
            &row.source,
            row.updated_at
        ]
    )?;
    Ok(())
}

/// Removes a metric (back to "no data").
pub async fn delete(ex: &mut Exec<'_>, org_id: Uuid, metric: &str) -> Result<bool> {
    Ok(execute!(
        ex,
        "delete from partner_metrics where org_id = $1 and metric = $2",
        [org_id, metric]
    )? == 1)
}

/// A partner's metrics.
pub async fn of(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<MetricRow>> {
    Ok(fetch!(
        ex,
        MetricRow,
        "select org_id, metric, value, source, updated_at from partner_metrics \
         where org_id = $1 order by metric",
        [org_id],
        fetch_all
    )?)
}

/// Users of an organisation who can sign in (not invited, not disabled) and used Trellis on or
/// after `since` (`YYYY-MM-DD`): `active_users`.
pub async fn active_user_count(ex: &mut Exec<'_>, org_id: Uuid, since: &str) -> Result<i64> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select count(*) from users u where u.org_id = $1 and u.status = 'active' \
         and exists (select 1 from sign_in_days s where s.user_id = u.id and s.day >= $2)",
        [org_id, since],
        fetch_one
    )?)
}

/// Sets to 0 every `metrics` figure that `source` wrote, before it writes the new ones: a
/// partner whose deals aged out of the window has none, not its old figure.
pub async fn zero_from(ex: &mut Exec<'_>, source: &str, metrics: &[&str], at: i64) -> Result<()> {
    for metric in metrics {
        execute!(
            &mut *ex,
            "update partner_metrics set value = 0, updated_at = $1 \
             where source = $2 and metric = $3",
            [at, source, *metric]
        )?;
    }
    Ok(())
}
