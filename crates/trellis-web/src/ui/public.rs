//! Pages before sign-in: the start page, signing in and out, and (in the submodules) the
//! password-reset and invitation links sent by e-mail.

mod apply;
mod invitations;
mod reset;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use trellis_service::Error;
use trellis_service::platform::auth::NewSession;

use super::book::RouteBook;
use super::csrf::{CsrfForm, PublicCsrf, PublicForm};
use super::error::{PageError, PageResult};
use super::flash::{self, Flash, Incoming};
use super::form::{Errors, Query, rerender};
use super::session::{AnySession, Side, set_cookie};
use super::view::Chrome;
use crate::client::Client;
use crate::state::{AppState, WebSettings};

pub(crate) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/", root)
        .get("/login", login_form)
        .post("/login", login)
        .post("/logout", logout);
    apply::routes(invitations::routes(reset::routes(book)))
}

/// `/`: the signed-in user's area, or the sign-in page.
async fn root(session: Result<AnySession, PageError>) -> Redirect {
    match session {
        Ok(AnySession(s)) => Redirect::to(s.side.base()),
        Err(_) => Redirect::to("/login"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    email: String,
    next: String,
    errors: Errors,
}

async fn login_form(
    State(state): State<AppState>,
    session: Result<AnySession, PageError>,
    csrf: PublicCsrf,
    Incoming(flash): Incoming,
    q: Query,
) -> Response {
    let next = q.text("next");
    if let Ok(AnySession(s)) = session {
        return Redirect::to(safe_next(&next).unwrap_or(s.side.base())).into_response();
    }
    let page = LoginPage {
        chrome: Chrome::public("Sign in", &state.services.config().product_name, flash),
        csrf: csrf.token.clone(),
        email: String::new(),
        next: safe_next(&next).unwrap_or_default().to_owned(),
        errors: Errors::none(),
    };
    (csrf, page).into_response()
}

async fn login(State(state): State<AppState>, Client(client): Client, f: PublicForm) -> PageResult {
    let (email, next) = (f.form.text("email"), f.form.text("next"));
    let page = |errors| LoginPage {
        chrome: Chrome::public("Sign in", &state.services.config().product_name, None),
        csrf: f.csrf.clone(),
        email: email.clone(),
        next: safe_next(&next).unwrap_or_default().to_owned(),
        errors,
    };
    match state
        .services
        .start_session(&email, &f.form.text("password"), &client)
        .await
    {
        Ok(new) => {
            let home = Side::of_role(new.user.role).base();
            Ok(start(&state.web, &new, safe_next(&next).unwrap_or(home)))
        }
        Err(Error::RateLimited { retry_after_secs }) => {
            let notice = format!(
                "Too many sign-in attempts. Please wait {retry_after_secs} seconds and try again."
            );
            Ok((StatusCode::TOO_MANY_REQUESTS, page(Errors::notice(notice))).into_response())
        }
        Err(e) => rerender(e, page),
    }
}

async fn logout(
    State(state): State<AppState>,
    AnySession(s): AnySession,
    _: CsrfForm,
) -> PageResult {
    state.services.end_session(s.id).await?;
    let mut resp = flash::redirect(&state.web, "/login", &Flash::info("You have signed out."));
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state.web, state.web.session_cookie(), "", Some(0)),
    );
    Ok(resp)
}

/// Sets the new session's cookie and goes to `to`.
fn start(web: &WebSettings, new: &NewSession, to: &str) -> Response {
    let cookie = set_cookie(web, web.session_cookie(), &new.token, None);
    ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}

/// `next` if it is a path on this site: it must start with a single `/` and contain only
/// visible ASCII without backslashes, so it can never lead to another origin.
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let ok = next.len() <= 2000
        && next.starts_with('/')
        && !next.starts_with("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    ok.then_some(next)
}

impl Side {
    /// The area of a role's users.
    pub(crate) fn of_role(role: trellis_domain::Role) -> Self {
        if role.is_partner() {
            Side::Portal
        } else {
            Side::Console
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_allows_only_local_paths() {
        assert_eq!(
            safe_next("/console/partners?q=acme"),
            Some("/console/partners?q=acme")
        );
        assert_eq!(safe_next("/"), Some("/"));
        for bad in [
            "",
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "\\\\evil.example",
            "/%0d%0a\r\nSet-Cookie: x",
            "/ path",
            "/\tevil",
            "javascript:alert(1)",
            "console",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?} must be refused");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3000))), None);
    }
}
