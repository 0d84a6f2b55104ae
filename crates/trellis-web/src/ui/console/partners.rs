//! Partners: the directory (full-text search, facet filters with counts, cursor paging) and the
//! create and edit forms (the edit form carries the version it was read at). A partner's page
//! and its actions are in [`super::partner`].

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{OrgId, OrgKind, PartnerType, Permission, Region, Role, UserId};
use trellis_service::partners::Partner;
use trellis_service::partners::directory::{DirectoryQuery, FacetCounts, tier_name};
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::{Org, OrgInput};

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, PageId, Query, rerender};
use super::super::profile_form::{ProfileForm, patch_of};
use super::super::session::VendorSession;
use super::super::view::{Choice, Chrome, Look as _, enum_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/partners", index)
        .post("/console/partners", create)
        .get("/console/partners/new", new)
        .get("/console/partners/{id}/edit", edit)
        .post("/console/partners/{id}/edit", update)
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partners.html")]
struct ListPage {
    chrome: Chrome,
    partners: Vec<Partner>,
    tier_names: Vec<(String, String)>,
    total: i64,
    facets: Vec<FacetCounts>,
    q: String,
    sort: String,
    filtered: bool,
    paged: bool,
    first: String,
    next: Option<String>,
    can_manage: bool,
}

impl ListPage {
    fn tier_name(&self, key: &str) -> String {
        tier_name(&self.tier_names, key)
    }
}

/// The query-string names of the facet filters, as the facets name themselves.
const FACET_PARAMS: [&str; 7] = [
    "partner_type",
    "tier",
    "status",
    "region",
    "industry",
    "segment",
    "technology",
];

async fn index(s: VendorSession, q: Query) -> PageResult {
    let (text, sort, cursor) = (q.text("q"), q.text("sort"), q.opt("cursor"));
    let query = DirectoryQuery {
        q: Some(text.clone()),
        partner_types: q.all("partner_type"),
        tiers: q.all("tier"),
        statuses: q.all("status"),
        industries: q.all("industry"),
        technologies: q.all("technology"),
        segments: q.all("segment"),
        regions: q.all("region"),
        owner_id: None,
        sort: Some(sort.clone()),
    };
    let page = PageRequest {
        cursor: cursor.clone(),
        limit: None,
    };
    let result = s.services.search_directory(&s.actor, &query, &page).await?;
    // Links keep every filter; only the cursor changes.
    let mut params: Vec<(&str, String)> = vec![("q", text.clone()), ("sort", sort.clone())];
    for name in FACET_PARAMS {
        params.extend(q.all(name).into_iter().map(|v| (name, v)));
    }
    let link = |c: &str| {
        let mut all: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.push(("cursor", c));
        Query::link("/console/partners", &all)
    };
    let filtered = params
        .iter()
        .any(|(k, v)| *k != "sort" && !v.trim().is_empty());
    let page = ListPage {
        chrome: s.chrome("Partners"),
        tier_names: s.services.tier_names().await?,
        total: result.total,
        facets: result.facets,
        partners: result.items,
        filtered,
        paged: cursor.is_some(),
        first: link(""),
        next: result.next.map(|c| link(&c.encode())),
        q: text,
        sort,
        can_manage: s.can(Permission::OrgsManage),
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

#[derive(Template, WebTemplate)]
#[template(path = "console/partner_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: OrgId,
    current_name: String,
    pf: ProfileForm,
    version: i64,
    errors: Errors,
}

/// Vendor admins and channel managers who can own partners, `(id, name)`.
async fn owners(s: &VendorSession) -> PageResult<Vec<(UserId, String)>> {
    Ok(super::vendor_users(s)
        .await?
        .into_iter()
        .filter(|u| matches!(u.role, Role::VendorAdmin | Role::ChannelManager))
        .filter(|u| u.status != "disabled")
        .map(|u| (u.id, u.name))
        .collect())
}

async fn edit(s: VendorSession, PageId(id): PageId<OrgId>) -> PageResult {
    s.actor.require(Permission::ProfileManage)?;
    let p = s.services.get_partner(&s.actor, id).await?;
    let page = EditPage {
        chrome: s.chrome(format!("Edit {}", p.name)),
        id,
        current_name: p.name.clone(),
        pf: ProfileForm::of(&p, &owners(&s).await?),
        version: p.version,
        errors: Errors::none(),
    };
    Ok(page.into_response())
}

async fn update(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let current = s.services.get_partner(&s.actor, id).await?;
    let outcome = match patch_of(&form, true) {
        Ok(patch) => {
            s.services
                .update_partner(&s.actor, id, form.version(), &patch)
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(p) => Ok(s.redirect(
            &format!("/console/partners/{id}"),
            &Flash::success(format!("Saved {}.", p.name)),
        )),
        Err(e) => {
            let owners = owners(&s).await?;
            rerender(e, |errors| EditPage {
                chrome: s.chrome(format!("Edit {}", current.name)),
                id,
                current_name: current.name.clone(),
                pf: ProfileForm::posted(&form, &owners),
                version: form.version(),
                errors,
            })
        }
    }
}
