//! Accepting an invitation (`/invitations/{token}`): the invitee sees the organisation and
//! their name, chooses a password and is signed in.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use trellis_service::platform::auth::ActionPurpose;

use super::super::book::RouteBook;
use super::super::csrf::{PublicCsrf, PublicForm};
use super::super::error::PageResult;
use super::super::flash::{self, Flash};
use super::super::form::{Errors, rerender};
use super::super::session::Side;
use super::super::view::Chrome;
use super::reset::{check_new_password, invalid_link};
use super::start;
use crate::client::Client;
use crate::state::AppState;

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/invitations/{token}", show)
        .post("/invitations/{token}", accept)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    org_name: String,
    name: String,
    email: String,
    role: &'static str,
    errors: Errors,
}

async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: PublicCsrf,
) -> Response {
    let Ok((user, org_name)) = state
        .services
        .check_action_token(ActionPurpose::Invitation, &token)
        .await
    else {
        return invalid_link(&state, "invitation");
    };
    let page = InvitationPage {
        chrome: Chrome::public(
            format!("Join {org_name}"),
            &state.services.config().product_name,
            None,
        ),
        csrf: csrf.token.clone(),
        token,
        org_name,
        name: user.name,
        email: user.email,
        role: user.role.label(),
        errors: Errors::none(),
    };
    (csrf, page).into_response()
}

async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    f: PublicForm,
) -> PageResult {
    let services = &state.services;
    let Ok((user, org_name)) = services
        .check_action_token(ActionPurpose::Invitation, &token)
        .await
    else {
        return Ok(invalid_link(&state, "invitation"));
    };
    let page = |errors| InvitationPage {
        chrome: Chrome::public(
            format!("Join {org_name}"),
            &services.config().product_name,
            None,
        ),
        csrf: f.csrf.clone(),
        token: token.clone(),
        org_name: org_name.clone(),
        name: user.name.clone(),
        email: user.email.clone(),
        role: user.role.label(),
        errors,
    };
    if let Err(fe) = check_new_password(&f.form) {
        return rerender(fe.into(), page);
    }
    let password = f.form.text("password");
    let user = match services
        .complete_action_token(ActionPurpose::Invitation, &token, &password)
        .await
    {
        Ok(user) => user,
        Err(trellis_service::Error::NotFound) => return Ok(invalid_link(&state, "invitation")),
        Err(e) => return rerender(e, page),
    };
    // Sign the new user in with the password they just chose; if that is refused (throttled),
    // they sign in by hand.
    match services
        .start_session(&user.email, &password, &client)
        .await
    {
        Ok(new) => {
            let mut resp = start(&state.web, &new, Side::of_role(user.role).base());
            let welcome = Flash::success(format!("Welcome to {org_name}, {}.", user.name));
            resp.headers_mut()
                .append(header::SET_COOKIE, flash::cookie(&state.web, &welcome));
            Ok(resp)
        }
        Err(_) => Ok(flash::redirect(
            &state.web,
            "/login",
            &Flash::success("Your account is ready. Sign in with your new password."),
        )),
    }
}
