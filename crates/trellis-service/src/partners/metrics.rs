//! The figures partners are tiered on. The lifecycle computes its own (active users, months in
//! the program, fit score); later capabilities write theirs (revenue, deals, certifications,
//! PSAT); vendor users and integrators may set any metric by hand meanwhile.

use serde::Serialize;
use serde_json::json;
use trellis_domain::partners::metrics::{Metric, MetricUnit, Metrics};
use trellis_domain::{OrgId, Permission, Timestamp};
use trellis_store::Exec;
use trellis_store::partners::metrics::{self as store, MetricRow};

use super::profiles::{load, visible};
use crate::outbox::Change;
use crate::platform::parse_stored;
use crate::{Actor, Error, Result, Services};

/// The metrics the lifecycle computes itself; they cannot be set by hand.
pub const COMPUTED: [Metric; 3] = [
    Metric::ActiveUsers,
    Metric::MonthsInProgram,
    Metric::FitScore,
];

/// One metric value.
#[derive(Clone, Debug, Serialize)]
pub struct MetricValue {
    /// Which.
    pub metric: Metric,
    /// Its value (money in minor units of the reporting currency).
    pub value: i64,
    /// Who wrote it: `computed`, `manual`, `api` or a capability.
    pub source: String,
    /// When.
    pub updated_at: Timestamp,
}

impl TryFrom<MetricRow> for MetricValue {
    type Error = Error;
    fn try_from(r: MetricRow) -> Result<Self> {
        Ok(Self {
            metric: parse_stored("metric", &r.metric)?,
            value: r.value,
            source: r.source,
            updated_at: Timestamp::from_millis(r.updated_at),
        })
    }
}

impl Services {
    /// A partner's metrics (its own, for a partner user).
    pub async fn partner_metrics(&self, actor: &Actor, id: OrgId) -> Result<Vec<MetricValue>> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), id).await?;
        // The fit score is the vendor's judgement of the partner; partners do not see it.
        let hidden = |m: &MetricRow| {
            actor.partner_scope().is_some() && m.metric == Metric::FitScore.as_str()
        };
        store::of(&mut c.exec(), id.as_uuid())
            .await?
            .into_iter()
            .filter(|m| !hidden(m))
            .map(MetricValue::try_from)
            .collect()
    }

    /// Sets (or, with `None`, clears) a metric that the lifecycle does not compute. The tier
    /// engine reads it at the next evaluation.
    pub async fn set_partner_metric(
        &self,
        actor: &Actor,
        id: OrgId,
        metric: Metric,
        value: Option<i64>,
        source: &str,
    ) -> Result<Option<MetricValue>> {
        actor.require(Permission::OrgsManage)?;
        visible(actor, id)?;
        if COMPUTED.contains(&metric) {
            return Err(Error::field(
                "metric",
                format!(
                    "{} is computed by Trellis and cannot be set",
                    metric.as_str()
                ),
            ));
        }
        if let Some(v) = value {
            if v < 0 {
                return Err(Error::field("value", "must be 0 or more"));
            }
            if metric.unit() == MetricUnit::Score && v > 100 {
                return Err(Error::field("value", "is a score from 0 to 100"));
            }
        }
        let mut tx = self.db().begin().await?;
        let partner = load(&mut tx.exec(), id).await?;
        let now = self.now();
        let out = if let Some(v) = value {
            {
                let row = MetricRow {
                    org_id: id.as_uuid(),
                    metric: metric.as_str().into(),
                    value: v,
                    source: source.into(),
                    updated_at: now.millis(),
                };
                store::put(&mut tx.exec(), &row).await?;
                Some(MetricValue::try_from(row)?)
            }
        } else {
            store::delete(&mut tx.exec(), id.as_uuid(), metric.as_str()).await?;
            None
        };
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.metric_set",
                object_type: "partner",
                object_id: id.to_string(),
                org_id: Some(id),
                summary: match value {
                    Some(v) => format!("set {} of {} to {v}", metric.label(), partner.name),
                    None => format!("cleared {} of {}", metric.label(), partner.name),
                },
                before: None,
                after: Some(json!({"metric": metric, "value": value})),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// Refreshes the computed metrics of a partner and returns every metric it has.
pub(crate) async fn refresh(ex: &mut Exec<'_>, id: OrgId, now: Timestamp) -> Result<Metrics> {
    let partner = load(ex, id).await?;
    // "Partner users who signed in recently": the metric's window is the last 90 days.
    let since = now.minus(std::time::Duration::from_hours(90 * 24)).date();
    let users = store::active_user_count(ex, id.as_uuid(), &since).await?;
    // "Whole months since the partner was activated" (the metric's definition in the domain):
    // counting from approval let onboarding time earn tiers that ask for tenure.
    let months = partner.activated_at.map_or(0, |a| {
        (now.millis() - a.millis()).max(0) / (30 * 86_400_000)
    });
    let mut computed = vec![
        (Metric::ActiveUsers, users),
        (Metric::MonthsInProgram, months),
    ];
    if let Some(f) = partner.fit_score {
        computed.push((Metric::FitScore, i64::from(f)));
    } else {
        store::delete(ex, id.as_uuid(), Metric::FitScore.as_str()).await?;
    }
    for (metric, value) in computed {
        store::put(
            ex,
            &MetricRow {
                org_id: id.as_uuid(),
                metric: metric.as_str().into(),
                value,
                source: "computed".into(),
                updated_at: now.millis(),
            },
        )
        .await?;
    }
    let mut m = Metrics::new();
    for row in store::of(ex, id.as_uuid()).await? {
        if let Ok(metric) = row.metric.parse::<Metric>() {
            m.set(metric, row.value);
        }
    }
    Ok(m)
}
