//! Opportunities: the list (search by name, status, owner, account and archived filters, cursor
//! paging; amounts in their currency) and an opportunity's page.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::{AccountId, DealRegistrationId, OpportunityId, Permission, UserId};
use trellis_service::cosell::{CoSellQuery, side_of};
use trellis_service::crm::{Account, Opportunity, OpportunityQuery};
use trellis_service::deals::{Involvement, Registration};
use trellis_service::platform::PageRequest;

use super::{AccountNames, ListQuery, Owners, Paging, attributes, filter};
use crate::ui::book::RouteBook;
use crate::ui::cosell;
use crate::ui::error::PageResult;
use crate::ui::form::{PageId, Query};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, Look as _, enum_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/opportunities", index)
        .get("/console/opportunities/{id}", show)
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
}

/// A registration's reference, for the template (which passes arguments by reference).
fn reference(id: &DealRegistrationId) -> String {
    Registration::reference_of(*id)
}

async fn show(s: VendorSession, PageId(id): PageId<OpportunityId>) -> PageResult {
    let o = s.services.get_opportunity(&s.actor, id).await?;
    let account = match o.account_id {
        Some(a) => Some(s.services.get_account(&s.actor, a).await?),
        None => None,
    };
    let owners = Owners::load(&s).await?;
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
    let page = ShowPage {
        chrome: s.chrome(o.name.clone()),
        owner: owners.name(o.owner_id, &o.owner_name),
        attributes: attributes(&o.attributes),
        account,
        partners,
        requests: cosell::rows(requests.items, side_of(&s.actor)),
        more_requests: requests.next.is_some(),
        can_ask: s.can(Permission::CoSellRequest) && !o.archived,
        o,
    };
    Ok(page.into_response())
}
