//! Users of every organisation: the list (filtered by organisation), the invitation form, and a
//! user's page with the edit form (name, role), disable/enable and "resend invitation".

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{FieldErrors, OrgId, OrgKind, Permission, Role, UserId};
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::Org;
use trellis_service::platform::users::{InviteInput, User, UserPatch};

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, PageId, Query, rerender};
use super::super::session::{Session, VendorSession};
use super::super::user_actions;
use super::super::view::{Choice, Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/console/users", index)
        .post("/console/users", invite)
        .get("/console/users/new", new)
        .get("/console/users/{id}", show)
        .post("/console/users/{id}/edit", update);
    user_actions::routes::<VendorSession>(
        book,
        "/console/users/{id}/status",
        "/console/users/{id}/resend-invitation",
    )
}

/// The first 200 organisations by name: the choices of the organisation selects and the names
/// shown in the list.
async fn orgs(s: &Session) -> trellis_service::Result<Vec<Org>> {
    let page = PageRequest {
        cursor: None,
        limit: Some(200),
    };
    Ok(s.services
        .list_orgs(&s.actor, None, None, &page)
        .await?
        .items)
}

fn org_choices(orgs: &[Org], current: &str, blank: &str) -> Vec<Choice> {
    let mut list = vec![Choice {
        value: String::new(),
        label: blank.to_owned(),
        selected: current.is_empty(),
    }];
    list.extend(orgs.iter().map(|o| Choice {
        value: o.id.to_string(),
        label: if o.kind == OrgKind::Vendor {
            format!("{} (vendor)", o.name)
        } else {
            o.name.clone()
        },
        selected: o.id.to_string() == current,
    }));
    list
}

/// Role choices, only those of one side when `partner` is given.
pub(crate) fn role_choices(
    partner: Option<bool>,
    current: &str,
    blank: Option<&str>,
) -> Vec<Choice> {
    let roles = Role::ALL
        .iter()
        .filter(|r| partner.is_none_or(|p| r.is_partner() == p));
    blank
        .map(|b| Choice {
            value: String::new(),
            label: b.to_owned(),
            selected: current.is_empty(),
        })
        .into_iter()
        .chain(roles.map(|r| Choice {
            value: r.as_str().into(),
            label: r.label().into(),
            selected: r.as_str() == current,
        }))
        .collect()
}

struct Row {
    user: User,
    org: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/users.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    orgs: Vec<Choice>,
    org: String,
    paged: bool,
    first: String,
    next: Option<String>,
    can_invite: bool,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let (org, cursor) = (q.text("org"), q.opt("cursor"));
    let org_id = org.parse::<OrgId>().ok();
    let page = PageRequest {
        cursor: cursor.clone(),
        limit: None,
    };
    let list = s.services.list_users(&s.actor, org_id, &page).await?;
    let all_orgs = orgs(&s).await?;
    let names: HashMap<OrgId, &str> = all_orgs.iter().map(|o| (o.id, o.name.as_str())).collect();
    let rows = list
        .items
        .into_iter()
        .map(|user| Row {
            org: names
                .get(&user.org_id)
                .map_or_else(|| "—".into(), |n| (*n).to_owned()),
            user,
        })
        .collect();
    let link = |c: &str| Query::link("/console/users", &[("org", &org), ("cursor", c)]);
    let page = ListPage {
        chrome: s.chrome("Users"),
        rows,
        orgs: org_choices(&all_orgs, &org, "All organisations"),
        paged: cursor.is_some(),
        first: link(""),
        next: list.next.map(|c| link(&c.encode())),
        org,
        can_invite: s.can(Permission::UsersManage),
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/invite.html")]
struct InvitePage {
    chrome: Chrome,
    email: String,
    name: String,
    roles: Vec<Choice>,
    orgs: Vec<Choice>,
    errors: Errors,
}

impl InvitePage {
    fn new(s: &Session, orgs: &[Org], form: &FormData, errors: Errors) -> Self {
        Self {
            chrome: s.chrome("Invite a user"),
            email: form.text("email"),
            name: form.text("name"),
            roles: role_choices(None, &form.text("role"), Some("Choose a role")),
            orgs: org_choices(orgs, &form.text("org_id"), "Choose an organisation"),
            errors,
        }
    }
}

async fn new(s: VendorSession, q: Query) -> PageResult {
    s.actor.require(Permission::UsersManage)?;
    let orgs = orgs(&s).await?;
    let form = FormData::from_pairs(q.opt("org").map(|org| ("org_id", org)));
    Ok(InvitePage::new(&s, &orgs, &form, Errors::none()).into_response())
}

async fn invite(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let org_id = match form.opt("org_id").map(|o| o.parse::<OrgId>()) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            let orgs = orgs(&s).await?;
            let e = FieldErrors::single("org_id", "choose an organisation from the list");
            return rerender(e.into(), |errors| InvitePage::new(&s, &orgs, &form, errors));
        }
    };
    let input = InviteInput {
        email: form.text("email"),
        name: form.text("name"),
        role: form.text("role"),
        org_id,
    };
    match s.services.invite_user(&s.actor, &input).await {
        Ok(user) => Ok(s.redirect(
            &format!("/console/users/{}", user.id),
            &Flash::success(format!("Invitation sent to {}.", user.email)),
        )),
        Err(e) => {
            let orgs = orgs(&s).await?;
            rerender(e, |errors| InvitePage::new(&s, &orgs, &form, errors))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/user.html")]
struct ShowPage {
    chrome: Chrome,
    user: User,
    org: Org,
    is_self: bool,
    can_manage: bool,
    name: String,
    roles: Vec<Choice>,
    errors: Errors,
}

async fn page(
    s: &VendorSession,
    id: UserId,
    form: Option<&FormData>,
    errors: Errors,
) -> PageResult<ShowPage> {
    let user = s.services.get_user(&s.actor, id).await?;
    let org = s.services.get_org(&s.actor, user.org_id).await?;
    let name = form.map_or_else(|| user.name.clone(), |f| f.text("name"));
    let role = form
        .and_then(|f| f.opt("role"))
        .unwrap_or_else(|| user.role.as_str().into());
    Ok(ShowPage {
        chrome: s.chrome(user.name.clone()),
        roles: role_choices(Some(user.role.is_partner()), &role, None),
        is_self: user.id == s.user.user_id,
        can_manage: s.can(Permission::UsersManage),
        name,
        user,
        org,
        errors,
    })
}

async fn show(s: VendorSession, PageId(id): PageId<UserId>) -> PageResult {
    Ok(page(&s, id, None, Errors::none()).await?.into_response())
}

async fn update(
    s: VendorSession,
    PageId(id): PageId<UserId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let patch = UserPatch {
        name: Some(form.text("name")),
        role: form.opt("role"),
        status: None,
    };
    match s
        .services
        .update_user(&s.actor, id, form.version(), &patch)
        .await
    {
        Ok(user) => Ok(s.redirect(
            &format!("/console/users/{id}"),
            &Flash::success(format!("Saved {}.", user.name)),
        )),
        Err(e) => {
            let page = page(&s, id, Some(&form), Errors::none()).await?;
            rerender(e, |errors| ShowPage { errors, ..page })
        }
    }
}
