//! The partner's users. A partner admin lists them, invites partner users and admins to the
//! own organisation, edits them and disables or enables them; a partner user sees only
//! themselves and may change their own name. Another organisation's user ids are 404s.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{Permission, UserId};
use trellis_service::platform::PageRequest;
use trellis_service::platform::users::{InviteInput, User, UserPatch};

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, PageId, Query, rerender};
use super::super::session::PartnerSession;
use super::super::user_actions;
use super::super::view::{Choice, Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/portal/users", index)
        .post("/portal/users", invite)
        .get("/portal/users/new", new)
        .get("/portal/users/{id}", show)
        .post("/portal/users/{id}/edit", update);
    user_actions::routes::<PartnerSession>(
        book,
        "/portal/users/{id}/status",
        "/portal/users/{id}/resend-invitation",
    )
}

fn partner_roles(current: &str) -> Vec<Choice> {
    Choice::list(
        [
            ("partner_user", "Partner user"),
            ("partner_admin", "Partner admin"),
        ],
        current,
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/users.html")]
struct ListPage {
    chrome: Chrome,
    users: Vec<User>,
    is_admin: bool,
    paged: bool,
    next: Option<String>,
}

async fn index(s: PartnerSession, q: Query) -> PageResult {
    let cursor = q.opt("cursor");
    let is_admin = s.can(Permission::UsersRead);
    let (users, next) = if is_admin {
        let list = s
            .services
            .list_users(
                &s.actor,
                None,
                &PageRequest {
                    cursor: cursor.clone(),
                    limit: None,
                },
            )
            .await?;
        (
            list.items,
            list.next
                .map(|c| Query::link("/portal/users", &[("cursor", &c.encode())])),
        )
    } else {
        (
            vec![s.services.get_user(&s.actor, s.user.user_id).await?],
            None,
        )
    };
    let title = if is_admin { "Users" } else { "Your profile" };
    Ok(ListPage {
        chrome: s.chrome(title),
        users,
        is_admin,
        paged: cursor.is_some(),
        next,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/invite.html")]
struct InvitePage {
    chrome: Chrome,
    email: String,
    name: String,
    roles: Vec<Choice>,
    errors: Errors,
}

impl InvitePage {
    fn new(s: &PartnerSession, form: &FormData, errors: Errors) -> Self {
        let role = form.opt("role").unwrap_or_else(|| "partner_user".into());
        Self {
            chrome: s.chrome("Invite a user"),
            email: form.text("email"),
            name: form.text("name"),
            roles: partner_roles(&role),
            errors,
        }
    }
}

async fn new(s: PartnerSession) -> PageResult {
    s.actor.require(Permission::UsersManage)?;
    Ok(InvitePage::new(&s, &FormData::default(), Errors::none()).into_response())
}

async fn invite(s: PartnerSession, CsrfForm(form): CsrfForm) -> PageResult {
    let input = InviteInput {
        email: form.text("email"),
        name: form.text("name"),
        role: form.text("role"),
        org_id: None,
    };
    match s.services.invite_user(&s.actor, &input).await {
        Ok(user) => Ok(s.redirect(
            &format!("/portal/users/{}", user.id),
            &Flash::success(format!("Invitation sent to {}.", user.email)),
        )),
        Err(e) => rerender(e, |errors| InvitePage::new(&s, &form, errors)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/user.html")]
struct ShowPage {
    chrome: Chrome,
    user: User,
    is_self: bool,
    can_manage: bool,
    name: String,
    roles: Vec<Choice>,
    errors: Errors,
}

async fn page(s: &PartnerSession, id: UserId, form: Option<&FormData>) -> PageResult<ShowPage> {
    let user = s.services.get_user(&s.actor, id).await?;
    let name = form.map_or_else(|| user.name.clone(), |f| f.text("name"));
    let role = form
        .and_then(|f| f.opt("role"))
        .unwrap_or_else(|| user.role.as_str().into());
    Ok(ShowPage {
        chrome: s.chrome(user.name.clone()),
        is_self: user.id == s.user.user_id,
        can_manage: s.can(Permission::UsersManage),
        roles: partner_roles(&role),
        name,
        user,
        errors: Errors::none(),
    })
}

async fn show(s: PartnerSession, PageId(id): PageId<UserId>) -> PageResult {
    Ok(page(&s, id, None).await?.into_response())
}

async fn update(
    s: PartnerSession,
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
            &format!("/portal/users/{id}"),
            &Flash::success(format!("Saved {}.", user.name)),
        )),
        Err(e) => {
            let page = page(&s, id, Some(&form)).await?;
            rerender(e, |errors| ShowPage { errors, ..page })
        }
    }
}
