//! The tower stack around every route: request ids, tracing, panics, timeouts, body limits,
//! compression, security headers, and problem+json for the framework's own bare errors.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::WebSettings;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Pages use only our own stylesheet and script; nothing inline, nothing third-party.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'; object-src 'none'";

/// Wraps the application router in the standard stack.
pub fn wrap(router: Router, web: &WebSettings) -> Router {
    let cfg = &web.config;
    let hsts = web.secure_cookies;
    router
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(middleware::from_fn(move |req, next| security_headers(req, next, hsts)))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("http", http.method = %req.method(), http.route = %route, request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal",
                        "something went wrong on our side; quote the x-request-id header when reporting it")
                        .into_response()
                }))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout(cfg.request_timeout)))
                .layer(CompressionLayer::new()),
        )
}

fn timeout(d: Duration) -> Duration {
    if d.is_zero() {
        Duration::from_secs(30)
    } else {
        d
    }
}

async fn security_headers(req: Request, next: Next, hsts: bool) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}

/// axum and tower answer some errors themselves with an empty or plain-text body (405, 408,
/// 413, a bad `Content-Length`); API clients get those as problem+json too.
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let has_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json") || ct.contains("html"));
    if !is_api || has_type || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this route does not accept this HTTP method".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        StatusCode::REQUEST_TIMEOUT => "the request took too long".to_owned(),
        other => other.canonical_reason().unwrap_or("error").to_owned(),
    };
    let mut problem = ApiError::new(status, "http", detail).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = resp.headers().get(&name) {
            problem.headers_mut().insert(name, v.clone());
        }
    }
    let _: Body = resp.into_body();
    problem
}
