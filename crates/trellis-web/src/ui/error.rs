//! `PageError`: why a page could not be shown, answered as a full HTML error page with the
//! right status (or, for a missing session, a redirect to the sign-in page).
//!
//! Form validation errors are not `PageError`s: the handler re-renders the form with the field
//! errors and status 422 (see [`super::form::rerender`]). Internal errors are logged once here
//! and shown only as a generic message.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use trellis_service::Error;

use super::view::Chrome;

/// A page that failed, as the user will see it.
#[derive(Debug)]
pub(crate) struct PageError(Kind);

#[derive(Debug)]
enum Kind {
    Redirect(String),
    Page {
        status: StatusCode,
        heading: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
}

/// Result of a page handler.
pub(crate) type PageResult<T = Response> = Result<T, PageError>;

impl PageError {
    /// A 303 redirect (sign-in, the other area).
    pub(crate) fn redirect(to: &str) -> Self {
        Self(Kind::Redirect(to.to_owned()))
    }

    /// An error page.
    pub(crate) fn page(
        status: StatusCode,
        heading: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self(Kind::Page {
            status,
            heading,
            message: message.into(),
            retry_after: None,
        })
    }

    /// The 404 page.
    pub(crate) fn not_found_page() -> Self {
        Self::page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing here, or you do not have access to it. Check the address, or go back \
             to your start page.",
        )
    }

    /// The 403 answer to a form without a valid CSRF token; nothing was changed.
    pub(crate) fn csrf() -> Self {
        Self::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Nothing was changed. The form was out of date or did not come from this site. Go back, \
             reload the page and try again.",
        )
    }
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        match e {
            Error::Unauthenticated => Self::redirect("/login"),
            Error::Forbidden => Self::page(
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your role does not allow this. Ask an administrator if you need access.",
            ),
            Error::NotFound => Self::not_found_page(),
            Error::Validation(fe) => Self::page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request",
                fe.to_string(),
            ),
            Error::Conflict(msg) => Self::page(StatusCode::CONFLICT, "Conflict", msg),
            Error::StaleVersion { .. } => Self::page(
                StatusCode::CONFLICT,
                "Changed by someone else",
                "Someone else changed this since you opened it. Nothing was saved; reload the page \
                 to see the latest version and try again.",
            ),
            Error::InvalidState(msg) => {
                Self::page(StatusCode::CONFLICT, "Not possible right now", msg)
            }
            e @ Error::AgreementRequired { .. } => Self::page(
                StatusCode::CONFLICT,
                "Program agreement to accept",
                format!(
                    "Please {e}. Your partner admin can accept it on the Agreement page of the portal."
                ),
            ),
            Error::RateLimited { retry_after_secs } => Self(Kind::Page {
                status: StatusCode::TOO_MANY_REQUESTS,
                heading: "Too many attempts",
                message: format!("Please wait {retry_after_secs} seconds and try again."),
                retry_after: Some(retry_after_secs),
            }),
            Error::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                Self::page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side and nothing was changed. Please try again in a \
                     moment; if it keeps happening, tell your administrator the time it happened.",
                )
            }
        }
    }
}

/// The error page.
#[derive(Template, WebTemplate)]
#[template(path = "public/error.html")]
pub(crate) struct ErrorPage {
    chrome: Chrome,
    status: u16,
    heading: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            Kind::Redirect(to) => Redirect::to(&to).into_response(),
            Kind::Page {
                status,
                heading,
                message,
                retry_after,
            } => {
                let page = ErrorPage {
                    chrome: Chrome::public(heading, "Trellis", None),
                    status: status.as_u16(),
                    heading,
                    message,
                };
                let mut resp = (status, page).into_response();
                if let Some(v) =
                    retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
                {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                resp
            }
        }
    }
}

/// Any unknown page under the two areas.
pub(crate) async fn not_found() -> PageError {
    PageError::not_found_page()
}
