//! Co-sell requests, the pages both areas share (the handlers are generic over the area's
//! session): the list of requests both ways with its filters, a request's page with the
//! steps the reader's side can take (accept, decline, withdraw, complete), and those steps.
//! Asking is per area: a rep asks from an account or opportunity (console), a partner from
//! its registrations (portal).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::cosell::{Action, Direction, HelpKind, RequestStatus, Side as CoSellSide};
use trellis_domain::{CoSellRequestId, DealRegistrationId, OrgKind, Permission};
use trellis_service::cosell::{CoSellQuery, CoSellRequest, side_of};
use trellis_service::deals::Registration;
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::Org;

use super::book::RouteBook;
use super::csrf::CsrfForm;
use super::error::PageResult;
use super::flash::Flash;
use super::form::{Errors, PageId, Query, failed, filter};
use super::session::{Session, Side, SideSession};
use super::view::{Choice, Chrome, Look as _, enum_choices};

/// The routes of one area's co-sell pages.
pub(crate) struct Paths {
    pub(crate) list: &'static str,
    pub(crate) show: &'static str,
    pub(crate) accept: &'static str,
    pub(crate) decline: &'static str,
    pub(crate) withdraw: &'static str,
    pub(crate) complete: &'static str,
}

pub(crate) const CONSOLE: Paths = Paths {
    list: "/console/co-sell",
    show: "/console/co-sell/{id}",
    accept: "/console/co-sell/{id}/accept",
    decline: "/console/co-sell/{id}/decline",
    withdraw: "/console/co-sell/{id}/withdraw",
    complete: "/console/co-sell/{id}/complete",
};

pub(crate) const PORTAL: Paths = Paths {
    list: "/portal/co-sell",
    show: "/portal/co-sell/{id}",
    accept: "/portal/co-sell/{id}/accept",
    decline: "/portal/co-sell/{id}/decline",
    withdraw: "/portal/co-sell/{id}/withdraw",
    complete: "/portal/co-sell/{id}/complete",
};

/// Registers the shared pages of one area.
pub(crate) fn routes<S: SideSession>(book: RouteBook, paths: &Paths) -> RouteBook {
    book.get(paths.list, index::<S>)
        .get(paths.show, show::<S>)
        .post(paths.accept, |s: S, id, form| {
            act(s, id, form, Action::Accept)
        })
        .post(paths.decline, |s: S, id, form| {
            act(s, id, form, Action::Decline)
        })
        .post(paths.withdraw, |s: S, id, form| {
            act(s, id, form, Action::Withdraw)
        })
        .post(paths.complete, |s: S, id, form| {
            act(s, id, form, Action::Complete)
        })
}

/// `/console/co-sell` or `/portal/co-sell`.
pub(crate) fn base(s: &Session) -> String {
    format!("{}/co-sell", s.side.base())
}

/// Which way a request goes, as the reader says it: "asked of you" or "asked by you".
pub(crate) fn way(direction: Direction, reader: CoSellSide) -> &'static str {
    match (direction, reader) {
        (Direction::ToPartner, CoSellSide::Vendor) => "We asked the partner",
        (Direction::ToPartner, CoSellSide::Partner) => "The vendor asked you",
        (Direction::ToVendor, CoSellSide::Vendor) => "The partner asked us",
        (Direction::ToVendor, CoSellSide::Partner) => "You asked the vendor",
    }
}

/// A request in a list, with its direction in the reader's words.
pub(crate) struct Row {
    pub(crate) r: CoSellRequest,
    pub(crate) way: &'static str,
}

/// Rows of requests for a reader on `reader`'s side.
pub(crate) fn rows(items: Vec<CoSellRequest>, reader: CoSellSide) -> Vec<Row> {
    items
        .into_iter()
        .map(|r| Row {
            way: way(r.direction, reader),
            r,
        })
        .collect()
}

/// The partner filter's and the ask form's choices: the first 200 partners by name.
pub(crate) async fn partners(s: &Session) -> PageResult<Vec<Org>> {
    let page = PageRequest {
        cursor: None,
        limit: Some(200),
    };
    Ok(s.services
        .list_orgs(&s.actor, Some(OrgKind::Partner), None, &page)
        .await?
        .items)
}

/// `(id, name)` choices after a blank first option.
pub(crate) fn org_choices(orgs: &[Org], current: &str, blank: &str) -> Vec<Choice> {
    let ids: Vec<(String, &str)> = orgs
        .iter()
        .map(|o| (o.id.to_string(), o.name.as_str()))
        .collect();
    Choice::list(
        std::iter::once(("", blank)).chain(ids.iter().map(|(id, n)| (id.as_str(), *n))),
        current,
    )
}

/// The help that can be asked for in `direction`, `current` selected.
pub(crate) fn kind_choices(direction: Direction, current: &str) -> Vec<Choice> {
    let kinds = HelpKind::for_direction(direction);
    Choice::list(
        std::iter::once(("", "Choose the help you need"))
            .chain(kinds.iter().map(|k| (k.as_str(), k.label()))),
        current,
    )
}

/// The list's filter form.
struct Filters {
    directions: Vec<Choice>,
    statuses: Vec<Choice>,
    /// The vendor's partner filter (empty in the portal).
    partners: Vec<Choice>,
    filtered: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/cosell_list.html")]
struct ListPage {
    chrome: Chrome,
    base: String,
    vendor: bool,
    can_ask: bool,
    rows: Vec<Row>,
    f: Filters,
    paged: bool,
    first: String,
    next: Option<String>,
}

async fn index<S: SideSession>(s: S, q: Query) -> PageResult {
    let base = base(&s);
    let vendor = s.side == Side::Console;
    let (direction, status, partner) = (q.text("direction"), q.text("status"), q.text("partner"));
    let query = CoSellQuery {
        direction: filter("direction", &direction)?,
        status: filter("status", &status)?,
        partner_id: if vendor {
            filter("partner", &partner)?
        } else {
            None
        },
        ..CoSellQuery::default()
    };
    let cursor = q.opt("cursor");
    let page = PageRequest {
        cursor: cursor.clone(),
        limit: None,
    };
    let found = s.services.list_cosell(&s.actor, &query, &page).await?;
    let reader = side_of(&s.actor);
    let link = |c: &str| {
        Query::link(
            &base,
            &[
                ("direction", &direction),
                ("status", &status),
                ("partner", &partner),
                ("cursor", c),
            ],
        )
    };
    let directions = Choice::list(
        [
            ("", "Both ways"),
            (
                Direction::ToPartner.as_str(),
                way(Direction::ToPartner, reader),
            ),
            (
                Direction::ToVendor.as_str(),
                way(Direction::ToVendor, reader),
            ),
        ],
        &direction,
    );
    let partners = if vendor {
        org_choices(&partners(&s).await?, &partner, "Every partner")
    } else {
        Vec::new()
    };
    let page = ListPage {
        chrome: s.chrome("Co-sell"),
        vendor,
        can_ask: s.can(Permission::CoSellRequest),
        rows: rows(found.items, reader),
        f: Filters {
            directions,
            statuses: enum_choices!(RequestStatus, &status, "Any status"),
            partners,
            filtered: [&direction, &status, &partner]
                .iter()
                .any(|v| !v.is_empty()),
        },
        paged: cursor.is_some(),
        first: link(""),
        next: found.next.map(|c| link(&c.encode())),
        base,
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/cosell_request.html")]
struct ShowPage {
    chrome: Chrome,
    base: String,
    vendor: bool,
    r: CoSellRequest,
    way: &'static str,
    /// The registration's id and reference.
    registration: Option<(DealRegistrationId, String)>,
    actions: Vec<Action>,
    errors: Errors,
}

impl ShowPage {
    fn can(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }
}

async fn page(s: &Session, id: CoSellRequestId, errors: Errors) -> PageResult<ShowPage> {
    let r = s.services.get_cosell(&s.actor, id).await?;
    let reader = side_of(&s.actor);
    Ok(ShowPage {
        chrome: s.chrome(format!("{} for {}", r.kind.label(), r.customer_name)),
        base: base(s),
        vendor: s.side == Side::Console,
        way: way(r.direction, reader),
        registration: r
            .registration_id
            .map(|id| (id, Registration::reference_of(id))),
        actions: r.actions_for(&s.actor),
        errors,
        r,
    })
}

async fn show<S: SideSession>(s: S, PageId(id): PageId<CoSellRequestId>) -> PageResult {
    Ok(page(&s, id, Errors::none()).await?.into_response())
}

/// Takes `action` on the request: back to it with a message, or its page again with what
/// went wrong.
async fn act<S: SideSession>(
    s: S,
    PageId(id): PageId<CoSellRequestId>,
    CsrfForm(form): CsrfForm,
    action: Action,
) -> PageResult {
    let note = form.text(if action.needs_reason() {
        "reason"
    } else {
        "note"
    });
    match s
        .services
        .act_on_cosell(&s.actor, id, form.version(), action, &note)
        .await
    {
        Ok(r) => Ok(s.redirect(
            &format!("{}/{}", base(&s), r.id),
            &Flash::success(format!(
                "You {} the request {}.",
                action.past(),
                r.reference
            )),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            Ok((status, page(&s, id, errors).await?).into_response())
        }
    }
}
