//! Partners: the list (name search, kind filter, cursor paging), a partner's profile with its
//! users, and the create and edit forms (the edit form carries the version it was read at).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{OrgId, OrgKind, PartnerType, Permission, Region};
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::{Org, OrgInput};
use trellis_service::platform::users::User;

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, PageId, Query, rerender};
use super::super::session::VendorSession;
use super::super::view::{Choice, Chrome, Look as _, enum_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/partners", index)
        .post("/console/partners", create)
        .get("/console/partners/new", new)
        .get("/console/partners/{id}", show)
        .get("/console/partners/{id}/edit", edit)
        .post("/console/partners/{id}/edit", update)
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partners.html")]
struct ListPage {
    chrome: Chrome,
    orgs: Vec<Org>,
    q: String,
    kinds: Vec<Choice>,
    filtered: bool,
    paged: bool,
    first: String,
    next: Option<String>,
    can_manage: bool,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let (name, kind_raw, cursor) = (
        q.text("q"),
        q.opt("kind").unwrap_or_else(|| "partner".into()),
        q.opt("cursor"),
    );
    let kind = kind_raw.parse::<OrgKind>().ok();
    let kind_param = if kind.is_some() {
        kind_raw.as_str()
    } else {
        "all"
    };
    let page = PageRequest {
        cursor: cursor.clone(),
        limit: None,
    };
    let list = s
        .services
        .list_orgs(&s.actor, kind, Some(name.as_str()), &page)
        .await?;
    let link = |c: &str| {
        Query::link(
            "/console/partners",
            &[("q", &name), ("kind", kind_param), ("cursor", c)],
        )
    };
    let page = ListPage {
        chrome: s.chrome("Partners"),
        orgs: list.items,
        kinds: Choice::list(
            [
                ("partner", "Partners"),
                ("vendor", "Vendor"),
                ("all", "All organisations"),
            ],
            kind_param,
        ),
        filtered: !name.trim().is_empty() || kind_param != "partner",
        paged: cursor.is_some(),
        first: link(""),
        next: list.next.map(|c| link(&c.encode())),
        q: name,
        can_manage: s.can(Permission::OrgsManage),
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partner.html")]
struct ShowPage {
    chrome: Chrome,
    org: Org,
    users: Vec<User>,
    more_users: bool,
    can_manage: bool,
    can_invite: bool,
}

async fn show(s: VendorSession, PageId(id): PageId<OrgId>) -> PageResult {
    let org = s.services.get_org(&s.actor, id).await?;
    let users = s
        .services
        .list_users(
            &s.actor,
            Some(id),
            &PageRequest {
                cursor: None,
                limit: Some(20),
            },
        )
        .await?;
    let page = ShowPage {
        chrome: s.chrome(org.name.clone()),
        more_users: users.next.is_some(),
        users: users.items,
        can_manage: s.can(Permission::OrgsManage),
        can_invite: s.can(Permission::UsersManage),
        org,
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partner_form.html")]
struct FormPage {
    chrome: Chrome,
    /// The organisation being edited; `None` for a new partner.
    org: Option<Org>,
    action: String,
    name: String,
    slug: String,
    partner_types: Vec<Choice>,
    regions: Vec<Choice>,
    country: String,
    website: String,
    version: i64,
    /// Partner type is asked only of partners.
    is_partner: bool,
    errors: Errors,
}

impl FormPage {
    fn new(
        s: &VendorSession,
        org: Option<Org>,
        input: &OrgInput,
        version: i64,
        errors: Errors,
    ) -> Self {
        let (title, action) = match &org {
            Some(o) => (
                format!("Edit {}", o.name),
                format!("/console/partners/{}/edit", o.id),
            ),
            None => ("New partner".to_owned(), "/console/partners".to_owned()),
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            chrome: s.chrome(title),
            is_partner: org.as_ref().is_none_or(|o| o.kind == OrgKind::Partner),
            org,
            action,
            name: input.name.clone(),
            slug: opt(&input.slug),
            partner_types: enum_choices!(PartnerType, &opt(&input.partner_type), "Choose a type"),
            regions: enum_choices!(Region, &opt(&input.region), "No region"),
            country: opt(&input.country),
            website: opt(&input.website),
            version,
            errors,
        }
    }
}

fn input_of(form: &FormData) -> OrgInput {
    OrgInput {
        name: form.text("name"),
        slug: form.opt("slug"),
        partner_type: form.opt("partner_type"),
        tier: None,
        region: form.opt("region"),
        country: form.opt("country"),
        website: form.opt("website"),
    }
}

fn input_from(org: &Org) -> OrgInput {
    OrgInput {
        name: org.name.clone(),
        slug: Some(org.slug.clone()),
        partner_type: org.partner_type.map(|v| v.as_str().into()),
        tier: None,
        region: org.region.map(|v| v.as_str().into()),
        country: org.country.clone(),
        website: org.website.clone(),
    }
}

async fn new(s: VendorSession) -> PageResult {
    s.actor.require(Permission::OrgsManage)?;
    Ok(FormPage::new(&s, None, &OrgInput::default(), 0, Errors::none()).into_response())
}

async fn create(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let input = input_of(&form);
    match s
        .services
        .create_org(&s.actor, OrgKind::Partner, &input)
        .await
    {
        Ok(org) => Ok(s.redirect(
            &format!("/console/partners/{}", org.id),
            &Flash::success(format!("Created the partner {}.", org.name)),
        )),
        Err(e) => rerender(e, |errors| FormPage::new(&s, None, &input, 0, errors)),
    }
}

async fn edit(s: VendorSession, PageId(id): PageId<OrgId>) -> PageResult {
    s.actor.require(Permission::OrgsManage)?;
    let org = s.services.get_org(&s.actor, id).await?;
    let (input, version) = (input_from(&org), org.version);
    Ok(FormPage::new(&s, Some(org), &input, version, Errors::none()).into_response())
}

async fn update(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let current = s.services.get_org(&s.actor, id).await?;
    let input = OrgInput {
        slug: Some(current.slug.clone()),
        ..input_of(&form)
    };
    match s
        .services
        .update_org(&s.actor, id, form.version(), &input)
        .await
    {
        Ok(org) => Ok(s.redirect(
            &format!("/console/partners/{id}"),
            &Flash::success(format!("Saved {}.", org.name)),
        )),
        Err(e) => rerender(e, |errors| {
            FormPage::new(&s, Some(current), &input, form.version(), errors)
        }),
    }
}
