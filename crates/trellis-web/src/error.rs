//! API errors as RFC 9457 `application/problem+json`, with field-level messages.
//!
//! Internal errors are logged once here and answered with a generic message; the client quotes
//! the `x-request-id` response header to find the log line.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use trellis_domain::FieldErrors;
use trellis_service::Error;
use utoipa::ToSchema;

/// The problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Field-level problems, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// The current version, for a 409 on a stale `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// One field's problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field (`email`, `scopes[1]`, or a JSON path for malformed bodies).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error answered as problem+json.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    slug: &'static str,
    detail: String,
    errors: Vec<ProblemField>,
    current_version: Option<i64>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// A problem of the given status with a detail sentence.
    pub fn new(status: StatusCode, slug: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            slug,
            detail: detail.into(),
            errors: vec![],
            current_version: None,
            retry_after: None,
        }
    }

    /// A 400/422 naming one field (or JSON path).
    pub fn field(
        status: StatusCode,
        slug: &'static str,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        let mut e = Self::new(status, slug, format!("{field}: {message}"));
        e.errors.push(ProblemField {
            field: field.to_owned(),
            message,
        });
        e
    }

    fn validation(fe: &FieldErrors) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            fe.to_string(),
        );
        e.errors = fe
            .iter()
            .map(|f| ProblemField {
                field: f.field.clone(),
                message: f.message.clone(),
            })
            .collect();
        e
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send a valid token as `Authorization: Bearer …` (POST /api/v1/auth/login issues one)",
            ),
            Error::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "your role or token scopes do not allow this",
            ),
            Error::NotFound => Self::new(StatusCode::NOT_FOUND, "not-found", "no such object"),
            Error::Validation(fe) => Self::validation(&fe),
            Error::Conflict(msg) => Self::new(StatusCode::CONFLICT, "conflict", msg),
            Error::StaleVersion { current } => {
                let mut e = Self::new(
                    StatusCode::CONFLICT,
                    "stale-version",
                    format!(
                        "the object was changed by someone else; re-read it (current version {current}) and retry"
                    ),
                );
                e.current_version = Some(current);
                e
            }
            Error::InvalidState(msg) => Self::new(StatusCode::CONFLICT, "invalid-state", msg),
            e @ Error::AgreementRequired { .. } => Self::new(
                StatusCode::CONFLICT,
                "agreement-required",
                format!(
                    "{e}: a partner admin accepts it in the portal or with POST /api/v1/agreements/{{id}}/accept"
                ),
            ),
            Error::RateLimited { retry_after_secs } => {
                let mut e = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    format!("too many attempts; try again in {retry_after_secs} s"),
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            Error::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; quote the x-request-id header when reporting it",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error").to_owned();
        let body = Problem {
            kind: format!("https://trellis.dev/problems/{}", self.slug),
            title,
            status: self.status.as_u16(),
            detail: self.detail,
            errors: self.errors,
            current_version: self.current_version,
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"trellis\""),
            );
        }
        if let Some(v) = self
            .retry_after
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// API handler result.
pub type ApiResult<T> = Result<T, ApiError>;
