//! The console's start page: partners by tier and type, users, the job queue and the latest
//! audit entries (the last two for roles that may see them).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::Permission;
use trellis_service::platform::PageRequest;
use trellis_service::platform::audit::{AuditEntry, AuditQuery};

use super::super::error::PageResult;
use super::super::session::VendorSession;
use super::super::view::{Chrome, Look as _};

/// One bar of a breakdown.
struct Bar {
    label: String,
    count: i64,
}

/// Partners counted by one attribute; values nobody has are left out.
struct Breakdown {
    bars: Vec<Bar>,
    /// The largest count, the full length of a bar.
    max: i64,
}

impl Breakdown {
    fn of(counts: impl IntoIterator<Item = (String, i64)>) -> Self {
        let bars: Vec<Bar> = counts
            .into_iter()
            .map(|(label, count)| Bar { label, count })
            .collect();
        let max = bars.iter().map(|b| b.count).max().unwrap_or(1);
        Self { bars, max }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    partners: i64,
    users: i64,
    by_tier: Breakdown,
    by_type: Breakdown,
    jobs: Option<(i64, i64)>,
    /// Registrations waiting for a decision.
    pending_deals: Option<i64>,
    audit: Option<Vec<AuditEntry>>,
}

pub(super) async fn show(s: VendorSession) -> PageResult {
    let counts = s.services.program_counts(&s.actor).await?;
    let jobs = if s.can(Permission::JobsManage) {
        Some(s.services.job_counts(&s.actor).await?)
    } else {
        None
    };
    let pending_deals = if s.can(Permission::DealsRead) {
        let counts = s.services.deal_counts(&s.actor).await?;
        Some(
            counts
                .iter()
                .find(|(st, _)| *st == trellis_domain::deals::DealStatus::Pending)
                .map_or(0, |(_, n)| *n),
        )
    } else {
        None
    };
    let audit = if s.can(Permission::AuditRead) {
        let page = PageRequest {
            cursor: None,
            limit: Some(8),
        };
        Some(
            s.services
                .list_audit(&s.actor, &AuditQuery::default(), &page)
                .await?
                .items,
        )
    } else {
        None
    };
    let page = DashboardPage {
        chrome: s.chrome("Dashboard"),
        pending_deals,
        partners: counts.partners,
        users: counts.users,
        by_tier: Breakdown::of(counts.by_tier.iter().map(|(_, name, n)| (name.clone(), *n))),
        by_type: Breakdown::of(
            counts
                .by_type
                .iter()
                .map(|(t, n)| (t.label().to_owned(), *n)),
        ),
        jobs,
        audit,
    };
    Ok(page.into_response())
}
