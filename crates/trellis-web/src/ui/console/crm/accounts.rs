//! Accounts: the list (search by name or domain, relationship, owner and archived filters,
//! cursor paging) and an account's page with every field, its other CRM fields, its contacts
//! (paged) and its opportunities.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::crm::Relationship;
use trellis_domain::{AccountId, Permission, UserId};
use trellis_service::crm::{
    Account, AccountQuery, CrmContact, CrmContactQuery, Opportunity, OpportunityQuery,
};
use trellis_service::platform::PageRequest;

use super::{ListQuery, Owners, Paging, attributes, filter};
use crate::ui::book::RouteBook;
use crate::ui::error::PageResult;
use crate::ui::form::{PageId, Query};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, Look as _, enum_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/accounts", index)
        .get("/console/accounts/{id}", show)
}

/// The filter form as submitted.
struct Filters {
    q: String,
    relationships: Vec<Choice>,
    owners: Vec<Choice>,
    archived: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/accounts.html")]
struct ListPage {
    chrome: Chrome,
    accounts: Vec<Account>,
    owners: Owners,
    f: Filters,
    filtered: bool,
    pager: Paging,
    can_import: bool,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let list = ListQuery::read(
        &q,
        "/console/accounts",
        &["q", "relationship", "owner", "archived"],
    );
    let query = AccountQuery {
        q: Some(list.get("q").to_owned()),
        relationship: filter::<Relationship>("relationship", list.get("relationship"))?,
        owner_id: filter::<UserId>("owner", list.get("owner"))?,
        include_archived: list.archived(),
    };
    let found = s
        .services
        .list_accounts(&s.actor, &query, &list.page())
        .await?;
    let owners = Owners::load(&s).await?;
    let page = ListPage {
        chrome: s.chrome("Accounts"),
        accounts: found.items,
        f: Filters {
            q: list.get("q").to_owned(),
            relationships: enum_choices!(
                Relationship,
                list.get("relationship"),
                "Any relationship"
            ),
            owners: owners.choices(list.get("owner")),
            archived: list.archived(),
        },
        owners,
        filtered: list.filtered(),
        pager: list.paging(found.next.map(|c| c.encode())),
        can_import: s.can(Permission::CrmManage),
    };
    Ok(page.into_response())
}

/// Opportunities shown on an account's page; the rest are a link away.
const OPPORTUNITIES_SHOWN: usize = 50;

#[derive(Template, WebTemplate)]
#[template(path = "console/account.html")]
struct ShowPage {
    chrome: Chrome,
    a: Account,
    owner: String,
    attributes: Vec<(String, String)>,
    contacts: Vec<CrmContact>,
    contacts_paged: bool,
    contacts_first: String,
    contacts_next: Option<String>,
    opportunities: Vec<Opportunity>,
    more_opportunities: bool,
    owners: Owners,
    can_ask: bool,
}

async fn show(s: VendorSession, PageId(id): PageId<AccountId>, q: Query) -> PageResult {
    let a = s.services.get_account(&s.actor, id).await?;
    let cursor = q.opt("contacts");
    let contacts = s
        .services
        .list_crm_contacts(
            &s.actor,
            &CrmContactQuery {
                account_id: Some(id),
                ..CrmContactQuery::default()
            },
            &PageRequest {
                cursor: cursor.clone(),
                limit: Some(25),
            },
        )
        .await?;
    let opportunities = s
        .services
        .list_opportunities(
            &s.actor,
            &OpportunityQuery {
                account_id: Some(id),
                ..OpportunityQuery::default()
            },
            &PageRequest {
                cursor: None,
                limit: Some(OPPORTUNITIES_SHOWN),
            },
        )
        .await?;
    let here = format!("/console/accounts/{id}");
    let owners = Owners::load(&s).await?;
    let page = ShowPage {
        chrome: s.chrome(a.name.clone()),
        owner: owners.name(a.owner_id, &a.owner_name),
        attributes: attributes(&a.attributes),
        contacts: contacts.items,
        contacts_paged: cursor.is_some(),
        contacts_first: format!("{here}#contacts"),
        contacts_next: contacts.next.map(|c| {
            format!(
                "{}#contacts",
                Query::link(&here, &[("contacts", &c.encode())])
            )
        }),
        opportunities: opportunities.items,
        more_opportunities: opportunities.next.is_some(),
        owners,
        can_ask: s.can(Permission::CoSellRequest) && !a.archived,
        a,
    };
    Ok(page.into_response())
}
