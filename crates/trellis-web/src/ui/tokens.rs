//! API tokens: the signed-in user's own, the same pages in the console and the portal (the
//! handlers are generic over the area's session). The secret is shown once, on the page that
//! answers the create form; scopes offered are those the role can grant.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{Permission, Scope, TokenId};
use trellis_service::Page;
use trellis_service::platform::PageRequest;
use trellis_service::platform::tokens::{ApiToken, TokenInput};

use super::book::RouteBook;
use super::csrf::CsrfForm;
use super::error::PageResult;
use super::flash::Flash;
use super::form::{Errors, FormData, PageId, Query, rerender};
use super::session::{Session, SideSession};
use super::view::{Choice, Chrome, Look as _};

/// Registers the token pages of one area under `base` (`/console/tokens`).
pub(crate) fn routes<S: SideSession>(
    book: RouteBook,
    base: &'static str,
    revoke_path: &'static str,
) -> RouteBook {
    book.get(base, index::<S>)
        .post(base, create::<S>)
        .post(revoke_path, revoke::<S>)
}

/// A token with its state for the badge.
struct Row {
    token: ApiToken,
    state: String,
}

struct ScopeBox {
    value: &'static str,
    description: &'static str,
    checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    base: &'static str,
    rows: Vec<Row>,
    next: Option<String>,
    paged: bool,
    name: String,
    scopes: Vec<ScopeBox>,
    expiry: Vec<Choice>,
    errors: Errors,
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/token_created.html")]
struct CreatedPage {
    chrome: Chrome,
    base: &'static str,
    secret: String,
    token: ApiToken,
}

fn describe(scope: Scope) -> &'static str {
    match scope.permission() {
        Permission::OrgsRead => "Read organisations",
        Permission::OrgsManage => "Create and edit partners",
        Permission::UsersRead => "Read users",
        Permission::UsersManage => "Invite and manage users",
        Permission::TokensManage => "Manage its owner's API tokens",
        Permission::WebhooksManage => "Manage webhooks",
        Permission::AuditRead => "Read the audit log",
        Permission::JobsManage => "See and retry background jobs",
        Permission::ProgramManage => "Set up the partner program",
        Permission::ApplicationsReview => "Review partner applications",
        Permission::ProfileManage => "Edit partner profiles and contacts",
        Permission::AgreementsAccept => "Accept program agreements",
        Permission::OnboardingWork => "Complete onboarding tasks",
        Permission::CrmRead => "Read accounts, contacts and opportunities",
        Permission::CrmManage => "Sync and import CRM data",
        Permission::EventsRead => "Read the change feed",
        Permission::DealsRead => "Read deal registrations",
        Permission::DealsRegister => "Register and update deals",
        Permission::DealsReview => "Review, decide and convert deal registrations",
        Permission::CoSellRequest => "Ask for and answer co-sell requests",
        Permission::CompCreditRead => "Read the comp-credit report",
        Permission::MappingRead => "Read account-mapping populations, policies and overlaps",
        Permission::MappingManage => "Manage account mapping: populations, sharing, accounts",
        Permission::AttributionRead => "Read touchpoints, attribution runs and metrics",
        Permission::AttributionManage => "Record touchpoints and run attribution models",
        Permission::CostsManage => "Enter, import and remove program costs",
    }
}

fn page(
    s: &Session,
    list: Page<ApiToken>,
    paged: bool,
    form: &FormData,
    errors: Errors,
) -> TokensPage {
    let base = tokens_base(s);
    let now = s.now();
    let chosen = form.all("scopes");
    let fresh = form.text("name").is_empty() && chosen.is_empty();
    let rows = list
        .items
        .into_iter()
        .map(|token| {
            let state = if token.revoked_at.is_some() {
                "revoked"
            } else if token.expires_at.is_some_and(|t| t <= now) {
                "expired"
            } else {
                "active"
            };
            Row {
                token,
                state: state.into(),
            }
        })
        .collect();
    let scopes = s
        .user
        .role
        .grantable_scopes()
        .into_iter()
        .map(|sc| ScopeBox {
            value: sc.as_str(),
            description: describe(sc),
            checked: chosen.iter().any(|c| c == sc.as_str())
                || (fresh && sc.permission() == Permission::OrgsRead),
        })
        .collect();
    let expiry_now = if fresh {
        "90".to_owned()
    } else {
        form.text("expires_in_days")
    };
    let expiry = Choice::list(
        [
            ("30", "30 days"),
            ("90", "90 days"),
            ("180", "180 days"),
            ("365", "1 year"),
            ("", "Never expires"),
        ],
        &expiry_now,
    );
    TokensPage {
        chrome: s.chrome("API tokens"),
        base,
        rows,
        next: list
            .next
            .map(|c| Query::link(base, &[("cursor", &c.encode())])),
        paged,
        name: form.text("name"),
        scopes,
        expiry,
        errors,
    }
}

fn tokens_base(s: &Session) -> &'static str {
    match s.side {
        super::session::Side::Console => "/console/tokens",
        super::session::Side::Portal => "/portal/tokens",
    }
}

async fn index<S: SideSession>(s: S, q: Query) -> PageResult {
    let cursor = q.opt("cursor");
    let list = s
        .services
        .list_tokens(
            &s.actor,
            &PageRequest {
                cursor: cursor.clone(),
                limit: None,
            },
        )
        .await?;
    Ok(page(
        &s,
        list,
        cursor.is_some(),
        &FormData::default(),
        Errors::none(),
    )
    .into_response())
}

async fn create<S: SideSession>(s: S, CsrfForm(form): CsrfForm) -> PageResult {
    let expires_in_days = match form.opt("expires_in_days").map(|d| d.trim().parse::<u32>()) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => Some(0),
    };
    let input = TokenInput {
        name: form.text("name"),
        scopes: form.all("scopes"),
        expires_in_days,
    };
    match s.services.create_token(&s.actor, &input).await {
        Ok(created) => {
            let chrome = s.chrome("Token created");
            let page = CreatedPage {
                chrome,
                base: tokens_base(&s),
                secret: created.token,
                token: created.meta,
            };
            Ok(page.into_response())
        }
        Err(e) => {
            let list = s
                .services
                .list_tokens(&s.actor, &PageRequest::default())
                .await?;
            rerender(e, |errors| page(&s, list, false, &form, errors))
        }
    }
}

async fn revoke<S: SideSession>(s: S, PageId(id): PageId<TokenId>, _: CsrfForm) -> PageResult {
    let token = s.services.revoke_token(&s.actor, id).await?;
    Ok(s.redirect(
        tokens_base(&s),
        &Flash::success(format!(
            "Revoked the token “{}”. It stops working at once.",
            token.name
        )),
    ))
}
