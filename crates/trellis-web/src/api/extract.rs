//! Extractors that turn every malformed request into a problem+json answer naming the problem:
//! JSON bodies (content type, syntax, unknown fields, wrong types, with the JSON path), query
//! strings, path ids, bearer tokens and `Idempotency-Key`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};
use trellis_service::platform::idempotency::{Idempotent, SavedResponse};
use trellis_service::{Actor, Services};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A JSON body; also remembers a hash of the raw bytes for `Idempotency-Key` checks.
#[derive(Debug)]
pub struct ApiJson<T> {
    /// The parsed body.
    pub value: T,
    /// SHA-256 of the raw body (hex).
    pub hash: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                ct == "application/json"
                    || (ct.starts_with("application/") && ct.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    format!(
                        "the body is larger than {} bytes",
                        state.web.config.max_body_bytes
                    ),
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad-body",
                    "the request body could not be read",
                )
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let (status, slug) = if inner.is_syntax() || inner.is_eof() {
                (StatusCode::BAD_REQUEST, "malformed-json")
            } else {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid-body")
            };
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::field(status, slug, &field, inner.to_string())
        })?;
        Ok(Self {
            value,
            hash: hex_sha256(&bytes),
        })
    }
}

/// A query string parsed into `T`, with a problem answer naming the bad parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    "bad-query",
                    &field,
                    e.into_inner().to_string(),
                )
            })
    }
}

/// The caller of an API route, from `Authorization: Bearer …`.
#[derive(Debug, Clone)]
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or_else(|| ApiError::from(trellis_service::Error::Unauthenticated))?;
        Ok(Self(state.services.resolve_bearer(token).await?))
    }
}

/// The optional `Idempotency-Key` of a create request.
#[derive(Debug, Clone)]
pub struct Idempotency(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Idempotency {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(Self(None)),
            Some(v) => v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .map(|k| Self(Some(k.to_owned())))
                .ok_or_else(|| {
                    ApiError::field(
                        StatusCode::BAD_REQUEST,
                        "bad-header",
                        "Idempotency-Key",
                        "must be 1–255 visible ASCII characters",
                    )
                }),
        }
    }
}

impl Idempotency {
    /// Runs a create once per key: the key is reserved first, a retry with the same key and
    /// body gets the saved response, the same key with a different body (or while the first
    /// request still runs) is a 409. A failed create frees the key. Without a key, just runs.
    pub async fn run<T, F>(
        self,
        services: &Services,
        actor: &Actor,
        body_hash: &str,
        status: StatusCode,
        create: F,
    ) -> ApiResult<Response>
    where
        T: Serialize,
        F: Future<Output = trellis_service::Result<T>>,
    {
        let Some(key) = self.0 else {
            return Ok((status, axum::Json(create.await?)).into_response());
        };
        if let Idempotent::Replay(saved) =
            services.idempotency_begin(actor, &key, body_hash).await?
        {
            let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
            let mut resp = json_response(status, saved.body);
            resp.headers_mut().insert(
                "idempotent-replayed",
                header::HeaderValue::from_static("true"),
            );
            return Ok(resp);
        }
        let created = create.await.map_err(ApiError::from).and_then(|value| {
            serde_json::to_string(&value)
                .map_err(|e| ApiError::from(trellis_service::Error::Internal(e.into())))
        });
        match created {
            Ok(body) => {
                let saved = SavedResponse {
                    status: status.as_u16(),
                    body,
                };
                services
                    .idempotency_finish(actor, &key, Some(&saved))
                    .await?;
                Ok(json_response(status, saved.body))
            }
            Err(e) => {
                services.idempotency_finish(actor, &key, None).await?;
                Err(e)
            }
        }
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A path id; an id that is not a UUID cannot exist, so it is a 404 like any unknown id.
#[derive(Debug, Clone, Copy)]
pub struct ApiId<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiId<T>
where
    T: std::str::FromStr + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::from(trellis_service::Error::NotFound))?;
        raw.parse()
            .map(ApiId)
            .map_err(|_| ApiError::from(trellis_service::Error::NotFound))
    }
}
