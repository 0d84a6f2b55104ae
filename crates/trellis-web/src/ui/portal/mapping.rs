//! The partner's accounts for mapping in hosted mode: the list it uploaded, and the upload
//! of its CRM's export (all or nothing; each bad row named by line and column).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use trellis_domain::{FieldErrors, Permission};
use trellis_service::mapping::PartnerAccount;
use trellis_service::platform::PageRequest;

use crate::state::WebSettings;
use crate::ui::book::RouteBook;
use crate::ui::csrf::tokens_match;
use crate::ui::error::{PageError, PageResult};
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, Query, failed};
use crate::ui::session::PartnerSession;
use crate::ui::view::Chrome;

const PATH: &str = "/portal/mapping/accounts";

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get(PATH, index).post_upload(PATH, upload)
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/mapping_accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    can_upload: bool,
    accounts: Vec<PartnerAccount>,
    q: String,
    paged: bool,
    first: String,
    next: Option<String>,
    errors: Errors,
}

impl AccountsPage {
    async fn load(s: &PartnerSession, q: &Query, errors: Errors) -> PageResult<Self> {
        let search = q.text("q");
        let cursor = q.opt("cursor");
        let page = PageRequest {
            cursor: cursor.clone(),
            limit: None,
        };
        let found = s
            .services
            .list_partner_accounts(
                &s.actor,
                Some(search.trim()).filter(|q| !q.is_empty()),
                &page,
            )
            .await?;
        let link = |c: &str| Query::link(PATH, &[("q", &search), ("cursor", c)]);
        Ok(Self {
            chrome: s.chrome("Your accounts for mapping"),
            can_upload: s.can(Permission::MappingManage),
            accounts: found.items,
            paged: cursor.is_some(),
            first: link(""),
            next: found.next.map(|c| link(&c.encode())),
            q: search,
            errors,
        })
    }
}

async fn index(s: PartnerSession, q: Query) -> PageResult {
    Ok(AccountsPage::load(&s, &q, Errors::none())
        .await?
        .into_response())
}

/// The form's fields: the CSRF token first (so nothing of a forged form is read further),
/// then whether the file replaces the list, then the file, held in memory up to the limit.
async fn receive(
    s: &PartnerSession,
    limit: usize,
    mut multipart: Multipart,
) -> PageResult<Result<(bool, Vec<u8>), FieldErrors>> {
    let unreadable = || {
        PageError::page(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "The upload could not be read; nothing was uploaded. Go back and try again.",
        )
    };
    let mut csrf_ok = false;
    let mut replace = false;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let value = field.text().await.map_err(|_| unreadable())?;
            match name.as_str() {
                "_csrf" => csrf_ok = tokens_match(&s.csrf, &value),
                "replace" => replace = value == "on" || value == "true",
                _ => return Err(unreadable()),
            }
            continue;
        }
        if !csrf_ok {
            return Err(PageError::csrf());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
            if bytes.len() + chunk.len() > limit {
                return Ok(Err(FieldErrors::single(
                    "file",
                    format!(
                        "is larger than {limit} bytes, the most an upload takes \
                         (web.max_import_bytes)"
                    ),
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Ok(Err(FieldErrors::single(
                "file",
                "choose your accounts' CSV file",
            )));
        }
        return Ok(Ok((replace, bytes)));
    }
    if !csrf_ok {
        return Err(PageError::csrf());
    }
    Ok(Err(FieldErrors::single(
        "file",
        "choose your accounts' CSV file",
    )))
}

async fn upload(
    s: PartnerSession,
    State(web): State<Arc<WebSettings>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    s.actor.require(Permission::MappingManage)?;
    // Not a multipart form: no token can be read, so it is refused like a forged form.
    let multipart = multipart.map_err(|_| PageError::csrf())?;
    let (replace, bytes) = match receive(&s, web.config.max_import_bytes, multipart).await? {
        Ok(file) => file,
        Err(e) => {
            let page = AccountsPage::load(&s, &Query::default(), Errors::fields(e)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match s
        .services
        .upload_partner_accounts(&s.actor, &bytes, replace)
        .await
    {
        Ok(r) => Ok(s.redirect(
            PATH,
            &Flash::success(format!(
                "{} rows read: {} added, {} updated, {} removed.",
                r.rows, r.added, r.updated, r.removed
            )),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            let page = AccountsPage::load(&s, &Query::default(), errors).await?;
            Ok((status, page).into_response())
        }
    }
}
