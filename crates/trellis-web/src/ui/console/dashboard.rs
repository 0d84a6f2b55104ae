//! The console's start page: partners by tier and type, users, the job queue and the latest
//! audit entries (the last two for roles that may see them).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{OrgKind, PartnerType, Permission, Tier};
use trellis_service::platform::PageRequest;
use trellis_service::platform::audit::{AuditEntry, AuditQuery};
use trellis_service::platform::orgs::Org;
use trellis_service::{Result, Services};

use super::super::error::PageResult;
use super::super::session::VendorSession;
use super::super::view::{Chrome, Look as _};

/// Counting stops after this many pages of 200 (see the note in `count_partners`).
const MAX_PAGES: usize = 25;

/// One bar of a breakdown.
struct Bar {
    label: &'static str,
    count: usize,
}

/// Partners counted by one attribute; values nobody has are left out.
struct Breakdown {
    bars: Vec<Bar>,
    /// The largest count, the full length of a bar.
    max: usize,
}

impl Breakdown {
    fn of<T: Copy>(
        orgs: &[Org],
        values: &[T],
        has: impl Fn(&Org, &T) -> bool,
        label: fn(T) -> &'static str,
    ) -> Self {
        let bars: Vec<Bar> = values
            .iter()
            .map(|v| Bar {
                label: label(*v),
                count: orgs.iter().filter(|o| has(o, v)).count(),
            })
            .filter(|b| b.count > 0)
            .collect();
        let max = bars.iter().map(|b| b.count).max().unwrap_or(1);
        Self { bars, max }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    partners: usize,
    users: usize,
    capped: bool,
    by_tier: Breakdown,
    by_type: Breakdown,
    jobs: Option<(i64, i64)>,
    audit: Option<Vec<AuditEntry>>,
}

pub(super) async fn show(s: VendorSession) -> PageResult {
    let (orgs, capped_orgs) = count_partners(&s.services, &s).await?;
    let (users, capped_users) = count_users(&s.services, &s).await?;
    let jobs = if s.can(Permission::JobsManage) {
        Some(s.services.job_counts(&s.actor).await?)
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
        partners: orgs.len(),
        users,
        capped: capped_orgs || capped_users,
        by_tier: Breakdown::of(&orgs, Tier::ALL, |o, t| o.tier == Some(*t), Tier::label),
        by_type: Breakdown::of(
            &orgs,
            PartnerType::ALL,
            |o, t| o.partner_type == Some(*t),
            PartnerType::label,
        ),
        jobs,
        audit,
    };
    Ok(page.into_response())
}

// The services have no counting use case yet, so the dashboard pages through the lists, up to
// MAX_PAGES * 200 rows; beyond that the counts are shown as lower bounds.
async fn count_partners(services: &Services, s: &VendorSession) -> Result<(Vec<Org>, bool)> {
    let mut all = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = PageRequest {
            cursor,
            limit: Some(200),
        };
        let list = services
            .list_orgs(&s.actor, Some(OrgKind::Partner), None, &page)
            .await?;
        all.extend(list.items);
        match list.next {
            Some(c) => cursor = Some(c.encode()),
            None => return Ok((all, false)),
        }
    }
    Ok((all, true))
}

async fn count_users(services: &Services, s: &VendorSession) -> Result<(usize, bool)> {
    let mut n = 0;
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = PageRequest {
            cursor,
            limit: Some(200),
        };
        let list = services.list_users(&s.actor, None, &page).await?;
        n += list.items.len();
        match list.next {
            Some(c) => cursor = Some(c.encode()),
            None => return Ok((n, false)),
        }
    }
    Ok((n, true))
}
