//! CSRF protection of every state-changing form.
//!
//! - Signed in: the session's CSRF token (stored with the session) goes in a hidden `_csrf`
//!   field; [`CsrfForm`] checks it before the handler runs.
//! - Before sign-in there is no session, so the public forms use a double-submit cookie:
//!   [`PublicCsrf`] sets a random token cookie with the form, and [`PublicForm`] checks that
//!   the field repeats the cookie.
//!
//! Comparisons are constant-time. A missing or wrong token is answered with a 403 page and the
//! handler never runs.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponseParts, ResponseParts};
use axum_extra::extract::CookieJar;
use subtle::ConstantTimeEq as _;

use super::error::PageError;
use super::form::FormData;
use super::session::{resolve, set_cookie};
use crate::state::AppState;

/// The hidden field carrying the token.
const FIELD: &str = "_csrf";

/// Whether a submitted token equals the expected one (constant-time; empty never matches).
pub(crate) fn tokens_match(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// A form body whose `_csrf` field matched the session's token.
#[derive(Debug)]
pub(crate) struct CsrfForm(pub(crate) FormData);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let expected = resolve(&mut parts, state)
            .await?
            .map(|s| s.csrf_token)
            .unwrap_or_default();
        let mut form = read_form(Request::from_parts(parts, body), state).await?;
        let given = form.take(FIELD).unwrap_or_default();
        if !tokens_match(&expected, &given) {
            return Err(PageError::csrf());
        }
        Ok(Self(form))
    }
}

/// A public form body whose `_csrf` field repeated the pre-login CSRF cookie.
#[derive(Debug)]
pub(crate) struct PublicForm {
    pub(crate) form: FormData,
    /// The token, to re-render the form with.
    pub(crate) csrf: String,
}

impl FromRequest<AppState> for PublicForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let cookie = CookieJar::from_headers(req.headers())
            .get(state.web.csrf_cookie())
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        let mut form = read_form(req, state).await?;
        let given = form.take(FIELD).unwrap_or_default();
        if !tokens_match(&cookie, &given) {
            return Err(PageError::csrf());
        }
        Ok(Self { form, csrf: cookie })
    }
}

async fn read_form(req: Request, state: &AppState) -> Result<FormData, PageError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        // Not one of our forms: no token can be read, so it is refused like a forged form.
        return Err(PageError::csrf());
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PageError::page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much data",
                "The form was too large to accept; nothing was changed.",
            )
        } else {
            PageError::page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "The form could not be read; nothing was changed.",
            )
        }
    })?;
    Ok(FormData::parse(&bytes))
}

/// The pre-login CSRF token for a public form: the cookie's if it has one, else a new one that
/// is set with the response.
#[derive(Debug)]
pub(crate) struct PublicCsrf {
    pub(crate) token: String,
    set: Option<axum::http::HeaderValue>,
}

impl FromRequestParts<AppState> for PublicCsrf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let existing = CookieJar::from_headers(&parts.headers)
            .get(state.web.csrf_cookie())
            .map(|c| c.value().to_owned())
            .filter(|t| {
                (32..=100).contains(&t.len())
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        // The cookie is (re)set with every form so that it outlives the page by a day.
        let token = existing.unwrap_or_else(|| trellis_service::secrets::new_token(""));
        let set = Some(set_cookie(
            &state.web,
            state.web.csrf_cookie(),
            &token,
            Some(24 * 60 * 60),
        ));
        Ok(Self { token, set })
    }
}

impl IntoResponseParts for PublicCsrf {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if let Some(v) = self.set {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_match_exactly_and_never_when_empty() {
        assert!(tokens_match("abc123", "abc123"));
        assert!(!tokens_match("abc123", "abc124"));
        assert!(!tokens_match("abc123", "abc12"));
        assert!(!tokens_match("abc123", ""));
        assert!(!tokens_match("", ""));
    }
}
