//! Opportunities: the list (search by name, status, owner, account and archived filters, cursor
//! paging; amounts in their currency) and an opportunity's page.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::attribution::TouchpointKind;
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::{
    AccountId, DealRegistrationId, FieldErrors, OpportunityId, OrgId, Permission, TouchpointId,
    UserId,
};
use trellis_service::Error;
use trellis_service::attribution::{Touchpoint, TouchpointInput};
use trellis_service::cosell::{CoSellQuery, side_of};
use trellis_service::crm::{Account, Opportunity, OpportunityQuery};
use trellis_service::deals::{Involvement, Registration};
use trellis_service::platform::PageRequest;

use super::{AccountNames, ListQuery, Owners, Paging, attributes, filter};
use crate::ui::book::RouteBook;
use crate::ui::cosell;
use crate::ui::csrf::CsrfForm;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, PageId, Query, rerender};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, Look as _, enum_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/opportunities", index)
        .get("/console/opportunities/{id}", show)
        .post("/console/opportunities/{id}/touchpoints", record_touchpoint)
        .post("/console/touchpoints/{id}/remove", remove_touchpoint)
}

/// The filter form as submitted.
struct Filters {
    q: String,
    statuses: Vec<Choice>,
    owners: Vec<Choice>,
    /// The account the list is narrowed to, with the link that widens it again.
    account: Option<(Account, String)>,
    archived: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/opportunities.html")]
struct ListPage {
    chrome: Chrome,
    opportunities: Vec<Opportunity>,
    accounts: AccountNames,
    owners: Owners,
    f: Filters,
    filtered: bool,
    pager: Paging,
    can_import: bool,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let list = ListQuery::read(
        &q,
        "/console/opportunities",
        &["q", "status", "owner", "account", "archived"],
    );
    let account_id = filter::<AccountId>("account", list.get("account"))?;
    let query = OpportunityQuery {
        q: Some(list.get("q").to_owned()),
        status: filter::<OpportunityStatus>("status", list.get("status"))?,
        account_id,
        owner_id: filter::<UserId>("owner", list.get("owner"))?,
        include_archived: list.archived(),
    };
    let found = s
        .services
        .list_opportunities(&s.actor, &query, &list.page())
        .await?;
    let account = match account_id {
        Some(id) => Some((
            s.services.get_account(&s.actor, id).await?,
            list.link("account", ""),
        )),
        None => None,
    };
    let owners = Owners::load(&s).await?;
    let account_ids: Vec<AccountId> = found.items.iter().filter_map(|o| o.account_id).collect();
    let page = ListPage {
        chrome: s.chrome("Opportunities"),
        accounts: AccountNames::load(&s, account_ids).await?,
        opportunities: found.items,
        f: Filters {
            q: list.get("q").to_owned(),
            statuses: enum_choices!(OpportunityStatus, list.get("status"), "Any status"),
            owners: owners.choices(list.get("owner")),
            account,
            archived: list.archived(),
        },
        owners,
        filtered: list.filtered(),
        pager: list.paging(found.next.map(|c| c.encode())),
        can_import: s.can(Permission::CrmManage),
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/opportunity.html")]
struct ShowPage {
    chrome: Chrome,
    o: Opportunity,
    account: Option<Account>,
    owner: String,
    attributes: Vec<(String, String)>,
    /// The partners on it: sourced, co-selling, influencing.
    partners: Vec<Involvement>,
    /// Co-sell requests on it, newest first.
    requests: Vec<cosell::Row>,
    more_requests: bool,
    can_ask: bool,
    /// Its journey: its touchpoints and its account's unclaimed ones, oldest first (empty
    /// without `attribution:read`).
    touchpoints: Vec<Touchpoint>,
    can_read_touches: bool,
    /// The form to record one, with `attribution:write`.
    touch: Option<TouchForm>,
}

/// The touchpoint form: its choices, what was typed and what was wrong with it.
struct TouchForm {
    partners: Vec<Choice>,
    kinds: Vec<Choice>,
    channel: String,
    occurred_at: String,
    note: String,
    errors: Errors,
}

/// A registration's reference, for the template (which passes arguments by reference).
fn reference(id: &DealRegistrationId) -> String {
    Registration::reference_of(*id)
}

async fn show(s: VendorSession, PageId(id): PageId<OpportunityId>) -> PageResult {
    let form = FormData::from_pairs([("occurred_at", s.now().date())]);
    Ok(ShowPage::load(&s, id, &form, Errors::none())
        .await?
        .into_response())
}

impl ShowPage {
    async fn load(
        s: &VendorSession,
        id: OpportunityId,
        form: &FormData,
        errors: Errors,
    ) -> PageResult<Self> {
        let o = s.services.get_opportunity(&s.actor, id).await?;
        let account = match o.account_id {
            Some(a) => Some(s.services.get_account(&s.actor, a).await?),
            None => None,
        };
        let owners = Owners::load(s).await?;
        let partners = s.services.opportunity_partners(&s.actor, id).await?;
        let query = CoSellQuery {
            opportunity_id: Some(id),
            ..CoSellQuery::default()
        };
        let page = PageRequest {
            cursor: None,
            limit: Some(20),
        };
        let requests = s.services.list_cosell(&s.actor, &query, &page).await?;
        let can_read_touches = s.can(Permission::AttributionRead);
        let touchpoints = if can_read_touches {
            s.services.opportunity_touchpoints(&s.actor, id).await?
        } else {
            Vec::new()
        };
        let touch = if s.can(Permission::AttributionManage) {
            let orgs = cosell::partners(s).await?;
            Some(TouchForm {
                partners: cosell::org_choices(
                    &orgs,
                    &form.text("partner_id"),
                    "No partner: a channel",
                ),
                kinds: Choice::list(
                    std::iter::once(("", "Choose what was done"))
                        .chain(TouchpointKind::ALL.iter().map(|k| (k.as_str(), k.label()))),
                    &form.text("kind"),
                ),
                channel: form.text("channel"),
                occurred_at: form.text("occurred_at"),
                note: form.text("note"),
                errors,
            })
        } else {
            None
        };
        Ok(Self {
            chrome: s.chrome(o.name.clone()),
            owner: owners.name(o.owner_id, &o.owner_name),
            attributes: attributes(&o.attributes),
            account,
            partners,
            requests: cosell::rows(requests.items, side_of(&s.actor)),
            more_requests: requests.next.is_some(),
            can_ask: s.can(Permission::CoSellRequest) && !o.archived,
            touchpoints,
            can_read_touches,
            touch,
            o,
        })
    }
}

async fn record_touchpoint(
    s: VendorSession,
    PageId(id): PageId<OpportunityId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let Ok(partner_id) = filter::<OrgId>("partner_id", &form.text("partner_id")) else {
        let errors = FieldErrors::single("partner_id", "is not one of the choices");
        let page = ShowPage::load(&s, id, &form, Errors::none()).await?;
        return rerender(Error::Validation(errors), |e| with_errors(page, e));
    };
    let input = TouchpointInput {
        opportunity_id: Some(id),
        partner_id,
        channel: form.text("channel"),
        kind: form.text("kind"),
        occurred_at: form.text("occurred_at"),
        note: form.text("note"),
        ..TouchpointInput::default()
    };
    match s.services.record_touchpoint(&s.actor, &input).await {
        Ok(t) => Ok(s.redirect(
            &format!("/console/opportunities/{id}#touchpoints"),
            &Flash::success(format!("Recorded: {} by {}.", t.kind.label(), t.channel)),
        )),
        Err(e) => {
            let page = ShowPage::load(&s, id, &form, Errors::none()).await?;
            rerender(e, |errors| with_errors(page, errors))
        }
    }
}

fn with_errors(mut page: ShowPage, errors: Errors) -> ShowPage {
    if let Some(t) = page.touch.as_mut() {
        t.errors = errors;
    }
    page
}

async fn remove_touchpoint(
    s: VendorSession,
    PageId(id): PageId<TouchpointId>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let t = s.services.remove_touchpoint(&s.actor, id).await?;
    let back = t.opportunity_id.map_or_else(
        || "/console/opportunities".to_owned(),
        |o| format!("/console/opportunities/{o}#touchpoints"),
    );
    Ok(s.redirect(
        &back,
        &Flash::success(format!("Removed: {} by {}.", t.kind.label(), t.channel)),
    ))
}
