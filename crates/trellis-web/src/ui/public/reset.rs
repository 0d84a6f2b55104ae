//! Password reset: asking for a link (always the same answer, so it does not reveal who has an
//! account) and choosing a new password from the link (`/password-reset/{token}`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use trellis_domain::FieldErrors;
use trellis_service::platform::auth::ActionPurpose;

use super::super::book::RouteBook;
use super::super::csrf::{PublicCsrf, PublicForm};
use super::super::error::PageResult;
use super::super::flash::{self, Flash};
use super::super::form::{Errors, FormData, Query, rerender};
use super::super::view::Chrome;
use crate::client::Client;
use crate::state::AppState;

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/password-reset", request_form)
        .post("/password-reset", request)
        .get("/password-reset/{token}", choose_form)
        .post("/password-reset/{token}", choose)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/reset_request.html")]
struct RequestPage {
    chrome: Chrome,
    csrf: String,
    email: String,
    sent: bool,
    minutes: u64,
    errors: Errors,
}

impl RequestPage {
    fn new(state: &AppState, csrf: String, email: String, sent: bool, errors: Errors) -> Self {
        let cfg = state.services.config();
        let chrome = Chrome::public("Reset your password", &cfg.product_name, None);
        Self {
            chrome,
            csrf,
            email,
            sent,
            minutes: cfg.password_reset_ttl.as_secs() / 60,
            errors,
        }
    }
}

async fn request_form(State(state): State<AppState>, csrf: PublicCsrf, q: Query) -> Response {
    let page = RequestPage::new(
        &state,
        csrf.token.clone(),
        String::new(),
        q.opt("sent").is_some(),
        Errors::none(),
    );
    (csrf, page).into_response()
}

async fn request(
    State(state): State<AppState>,
    Client(client): Client,
    f: PublicForm,
) -> PageResult {
    let email = f.form.text("email");
    match state.services.request_password_reset(&email, &client).await {
        Ok(()) => Ok(Redirect::to("/password-reset?sent=1").into_response()),
        Err(e) => rerender(e, |errors| {
            RequestPage::new(&state, f.csrf.clone(), email.clone(), false, errors)
        }),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/reset_choose.html")]
struct ChoosePage {
    chrome: Chrome,
    csrf: String,
    token: String,
    email: String,
    errors: Errors,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/link_invalid.html")]
pub(super) struct LinkInvalidPage {
    pub(super) chrome: Chrome,
    /// `reset` or `invitation`.
    pub(super) kind: &'static str,
}

pub(super) fn invalid_link(state: &AppState, kind: &'static str) -> Response {
    let title = if kind == "reset" {
        "Reset link not valid"
    } else {
        "Invitation not valid"
    };
    let chrome = Chrome::public(title, &state.services.config().product_name, None);
    (StatusCode::NOT_FOUND, LinkInvalidPage { chrome, kind }).into_response()
}

async fn choose_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: PublicCsrf,
) -> Response {
    let Ok((user, _)) = state
        .services
        .check_action_token(ActionPurpose::PasswordReset, &token)
        .await
    else {
        return invalid_link(&state, "reset");
    };
    let chrome = Chrome::public(
        "Choose a new password",
        &state.services.config().product_name,
        None,
    );
    let page = ChoosePage {
        chrome,
        csrf: csrf.token.clone(),
        token,
        email: user.email,
        errors: Errors::none(),
    };
    (csrf, page).into_response()
}

async fn choose(
    State(state): State<AppState>,
    Path(token): Path<String>,
    f: PublicForm,
) -> PageResult {
    let services = &state.services;
    let Ok((user, _)) = services
        .check_action_token(ActionPurpose::PasswordReset, &token)
        .await
    else {
        return Ok(invalid_link(&state, "reset"));
    };
    let page = |errors| ChoosePage {
        chrome: Chrome::public(
            "Choose a new password",
            &services.config().product_name,
            None,
        ),
        csrf: f.csrf.clone(),
        token: token.clone(),
        email: user.email.clone(),
        errors,
    };
    if let Err(fe) = check_new_password(&f.form) {
        return rerender(fe.into(), page);
    }
    match services
        .complete_action_token(
            ActionPurpose::PasswordReset,
            &token,
            &f.form.text("password"),
        )
        .await
    {
        Ok(_) => {
            let msg = Flash::success("Your password was changed. Sign in with your new password.");
            Ok(flash::redirect(&state.web, "/login", &msg))
        }
        Err(trellis_service::Error::NotFound) => Ok(invalid_link(&state, "reset")),
        Err(e) => rerender(e, page),
    }
}

/// The new password and its confirmation: checked here so that a typo is caught before the
/// one-time link is used up.
pub(super) fn check_new_password(form: &FormData) -> Result<(), FieldErrors> {
    let (password, confirm) = (form.text("password"), form.text("password_confirm"));
    let mut e = FieldErrors::new();
    e.check("password", trellis_domain::Password::parse(&password));
    if password != confirm {
        e.add("password_confirm", "does not match the new password");
    }
    e.into_result()
}
