//! The partner's tier: where it stands, every tier's requirements and benefits with the
//! partner's own figures beside them, and the history of decisions with their reasons.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::partners::metrics::format_value;
use trellis_service::partners::Partner;
use trellis_service::partners::metrics::MetricValue;
use trellis_service::partners::tiers::{Tier, TierChange};

use super::super::error::PageResult;
use super::super::session::PartnerSession;
use super::super::view::{Chrome, Look as _};

/// A requirement with the partner's figure.
struct Line {
    label: &'static str,
    needed: String,
    have: String,
    met: bool,
}

/// A tier as the partner sees it.
struct TierView {
    name: String,
    current: bool,
    lines: Vec<Line>,
    benefits: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/tier.html")]
struct TierPage {
    chrome: Chrome,
    p: Partner,
    current_name: Option<String>,
    tiers: Vec<TierView>,
    changes: Vec<TierChange>,
}

pub(super) async fn show(s: PartnerSession) -> PageResult {
    let id = s.scope.org_id();
    let p = s.services.get_partner(&s.actor, id).await?;
    let tiers: Vec<Tier> = s.services.list_tiers(&s.actor).await?;
    let metrics: Vec<MetricValue> = s.services.partner_metrics(&s.actor, id).await?;
    // Money is shown in the program's reporting currency; partners cannot read the settings,
    // so the currency comes from the tier page's own service call.
    let currency = s.services.reporting_currency().await?;
    let views = tiers
        .iter()
        .rev()
        .map(|t| TierView {
            name: t.def.name.clone(),
            current: p.tier.as_deref() == Some(t.def.key.as_str()),
            lines: t
                .def
                .requirements
                .iter()
                .map(|r| {
                    let have = metrics
                        .iter()
                        .find(|m| m.metric == r.metric)
                        .map(|m| m.value);
                    Line {
                        label: r.metric.label(),
                        needed: format_value(r.metric, r.at_least, &currency),
                        have: have.map_or_else(
                            || "no data".into(),
                            |v| format_value(r.metric, v, &currency),
                        ),
                        met: have.is_some_and(|v| v >= r.at_least),
                    }
                })
                .collect(),
            benefits: t.def.benefits.clone(),
        })
        .collect();
    let current_name = p.tier.as_ref().map(|k| {
        tiers
            .iter()
            .find(|t| t.def.key.as_str() == k)
            .map_or_else(|| k.clone(), |t| t.def.name.clone())
    });
    Ok(TierPage {
        chrome: s.chrome("Tier"),
        changes: s.services.partner_tier_changes(&s.actor, id).await?,
        tiers: views,
        current_name,
        p,
    }
    .into_response())
}
