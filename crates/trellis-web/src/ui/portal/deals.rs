//! The partner's deals: its registrations with their status and clocks (live, so a decision
//! shows up without a refresh), registering a deal with a conflict check while typing, a deal's
//! page (update, withdraw, dispute a rejection, ask for more protection) and the rules of
//! engagement it registers under.

mod detail;
mod register;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::FieldErrors;
use trellis_domain::deals::DealStatus;
use trellis_service::deals::{DealQuery, PolicyVersion};
use trellis_service::platform::PageRequest;

use crate::ui::assets;
use crate::ui::book::RouteBook;
use crate::ui::deal_view::DealView;
use crate::ui::error::PageResult;
use crate::ui::form::Query;
use crate::ui::live;
use crate::ui::session::PartnerSession;
use crate::ui::view::{Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/portal/deals", index)
        .get("/portal/deals/live", stamp)
        .get("/portal/deals/rules", rules);
    detail::routes(register::routes(book))
}

/// One status filter.
struct Tab {
    key: &'static str,
    label: &'static str,
    href: String,
    count: i64,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/deals.html")]
struct ListPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    all: bool,
    total: i64,
    deals: Vec<DealView>,
    q: String,
    paged: bool,
    first: String,
    next: Option<String>,
    can_register: bool,
    now_ms: i64,
    script: &'static str,
}

async fn index(s: PartnerSession, query: Query) -> PageResult {
    let status: Option<DealStatus> = query.opt("status").and_then(|v| v.parse().ok());
    let q = query.text("q").trim().to_owned();
    let cursor = query.opt("cursor");
    let found = s
        .services
        .list_deals(
            &s.actor,
            &DealQuery {
                status,
                q: Some(q.clone()).filter(|q| !q.is_empty()),
                ..DealQuery::default()
            },
            &PageRequest {
                cursor: cursor.clone(),
                limit: None,
            },
        )
        .await?;
    let link = |st: &str, cursor: &str| {
        Query::link(
            "/portal/deals",
            &[("status", st), ("q", &q), ("cursor", cursor)],
        )
    };
    let counts = s.services.deal_counts(&s.actor).await?;
    let tabs = counts
        .iter()
        .map(|(st, count)| Tab {
            key: st.as_str(),
            label: st.label(),
            href: link(st.as_str(), ""),
            count: *count,
            current: status == Some(*st),
        })
        .collect();
    let policy = s.services.engagement_policy(&s.actor).await?;
    let now = s.now();
    let current = status.map_or("", DealStatus::as_str);
    let page = ListPage {
        chrome: s.chrome("Deals"),
        tabs,
        all: status.is_none(),
        total: counts.iter().map(|(_, n)| n).sum(),
        deals: DealView::many(found.items, now, &policy.policy),
        paged: cursor.is_some(),
        first: link(current, ""),
        next: found.next.map(|c| link(current, &c.encode())),
        q,
        can_register: s.can(trellis_domain::Permission::DealsRegister),
        now_ms: now.millis(),
        script: assets::live_url(),
    };
    Ok(page.into_response())
}

/// The stamp the partner's deal pages poll: it moves only with the partner's own
/// registrations, so it tells nothing about anyone else's.
async fn stamp(s: PartnerSession) -> PageResult {
    Ok(live::stamp(s.services.deals_stamp(&s.actor).await?))
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/deal_rules.html")]
struct RulesPage {
    chrome: Chrome,
    p: PolicyVersion,
}

async fn rules(s: PartnerSession) -> PageResult {
    let p = s.services.engagement_policy(&s.actor).await?;
    Ok(RulesPage {
        chrome: s.chrome("Rules of engagement"),
        p,
    }
    .into_response())
}

/// Field errors from the services name the stored field; the forms name some differently
/// (`amount` is typed in major units, the services take `amount_minor`).
fn renamed(fe: &FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for e in fe.iter() {
        let field = if e.field == "amount_minor" {
            "amount"
        } else {
            e.field.as_str()
        };
        out.add(field, e.message.clone());
    }
    out
}
