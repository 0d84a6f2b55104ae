//! The registrations list: the pending queue (oldest first, the decision clock on each) by
//! default, every other status newest first, with counts per status, a company search and
//! "my partners only" for channel managers.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::deals::DealStatus;
use trellis_service::deals::DealQuery;
use trellis_service::platform::PageRequest;

use crate::ui::assets;
use crate::ui::deal_view::DealView;
use crate::ui::error::PageResult;
use crate::ui::form::Query;
use crate::ui::live;
use crate::ui::session::VendorSession;
use crate::ui::view::{Chrome, Look as _};

/// One status tab.
struct Tab {
    label: &'static str,
    href: String,
    count: i64,
    current: bool,
    badge: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/deals.html")]
struct QueuePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    status: DealStatus,
    deals: Vec<DealView>,
    q: String,
    mine: bool,
    paged: bool,
    first: String,
    next: Option<String>,
    now_ms: i64,
    live_url: &'static str,
    script: &'static str,
}

pub(super) async fn index(s: VendorSession, query: Query) -> PageResult {
    let status = query
        .opt("status")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DealStatus::Pending);
    let q = query.text("q").trim().to_owned();
    let mine = query.opt("mine").is_some();
    let cursor = query.opt("cursor");
    let found = s
        .services
        .list_deals(
            &s.actor,
            &DealQuery {
                status: Some(status),
                q: Some(q.clone()).filter(|q| !q.is_empty()),
                partner_id: None,
                my_partners: mine,
                oldest_first: status == DealStatus::Pending,
            },
            &PageRequest {
                cursor: cursor.clone(),
                limit: None,
            },
        )
        .await?;
    let policy = s.services.engagement_policy(&s.actor).await?;
    let mine_param = if mine { "on" } else { "" };
    let link = |st: DealStatus, cursor: &str| {
        Query::link(
            "/console/deals",
            &[
                ("status", st.as_str()),
                ("q", &q),
                ("mine", mine_param),
                ("cursor", cursor),
            ],
        )
    };
    let tabs = s
        .services
        .deal_counts(&s.actor)
        .await?
        .into_iter()
        .map(|(st, count)| Tab {
            label: st.label(),
            href: link(st, ""),
            count,
            current: st == status,
            badge: if st == DealStatus::Pending && count > 0 {
                st.badge()
            } else {
                "badge-gray"
            },
        })
        .collect();
    let now = s.now();
    let page = QueuePage {
        chrome: s.chrome("Deal registrations"),
        tabs,
        status,
        deals: DealView::many(found.items, now, &policy.policy),
        mine,
        paged: cursor.is_some(),
        first: link(status, ""),
        next: found.next.map(|c| link(status, &c.encode())),
        q,
        now_ms: now.millis(),
        live_url: "/console/deals/live",
        script: assets::live_url(),
    };
    Ok(page.into_response())
}

/// The stamp the list polls.
pub(super) async fn live(s: VendorSession) -> PageResult {
    Ok(live::stamp(s.services.deals_stamp(&s.actor).await?))
}
