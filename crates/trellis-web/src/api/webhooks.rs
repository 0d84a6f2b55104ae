//! Webhook endpoints, their delivery attempts and replay (vendor admins).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::{EventId, WebhookEndpointId};
use trellis_service::Services;
use trellis_service::platform::webhooks::{Attempt, Endpoint, EndpointInput, EndpointWithSecret};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Ack, Paging, instant, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(attempts))
        .routes(routes!(replay))
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Target URL.
    pub url: String,
    /// Description.
    pub description: String,
    /// Event types received (`*`, `user.*`, `org.created`).
    pub event_filter: Vec<String>,
    /// Deliveries are made.
    pub enabled: bool,
    /// Send back on update.
    pub version: i64,
    /// Created.
    pub created_at: String,
    /// Changed.
    pub updated_at: String,
    /// The signing secret (`whsec_…`), only in create and rotate responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<Endpoint> for WebhookDto {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id.as_uuid(),
            url: e.url,
            description: e.description,
            event_filter: e.event_filter,
            enabled: e.enabled,
            version: e.version,
            created_at: instant(e.created_at),
            updated_at: instant(e.updated_at),
            secret: None,
        }
    }
}

impl From<EndpointWithSecret> for WebhookDto {
    fn from(e: EndpointWithSecret) -> Self {
        Self {
            secret: Some(e.secret),
            ..Self::from(e.endpoint)
        }
    }
}

list_type!(WebhookList, WebhookDto);

/// A delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Event id (the `webhook-id` header).
    pub event_id: uuid::Uuid,
    /// Event type.
    pub event_type: String,
    /// 1 for the first try.
    pub attempt: i64,
    /// A 2xx came back.
    pub succeeded: bool,
    /// HTTP status.
    pub status_code: Option<i64>,
    /// Transport error.
    pub error: Option<String>,
    /// Start of the response body.
    pub response_excerpt: Option<String>,
    /// Round trip in ms.
    pub duration_ms: i64,
    /// When.
    pub created_at: String,
}

impl From<Attempt> for AttemptDto {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id.as_uuid(),
            event_id: a.event_id.as_uuid(),
            event_type: a.event_type,
            attempt: a.attempt,
            succeeded: a.succeeded,
            status_code: a.status_code,
            error: a.error,
            response_excerpt: a.response_excerpt,
            duration_ms: a.duration_ms,
            created_at: instant(a.created_at),
        }
    }
}

list_type!(AttemptList, AttemptDto);

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/trellis", "description": "CRM sync", "event_filter": ["user.*", "org.created"]}))]
pub struct NewWebhook {
    /// Target URL (http or https).
    pub url: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Event filter; empty or absent for every event.
    #[serde(default)]
    pub event_filter: Vec<String>,
    /// Enabled (default true).
    pub enabled: Option<bool>,
}

/// Changes to an endpoint; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "enabled": false}))]
pub struct WebhookPatch {
    /// The version you read.
    pub version: i64,
    /// Target URL.
    pub url: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Event filter.
    pub event_filter: Option<Vec<String>>,
    /// Enabled.
    pub enabled: Option<bool>,
    /// Issue a new signing secret (returned in the response).
    #[serde(default)]
    pub rotate_secret: bool,
}

/// Which event to deliver again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_id": "01930000-0000-7000-8000-000000000000"}))]
pub struct ReplayRequest {
    /// Event id (from an attempt or a delivery's `webhook-id`).
    pub event_id: uuid::Uuid,
}

/// Lists endpoints.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", operation_id = "list_webhooks", params(Paging),
    responses((status = 200, body = WebhookList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<WebhookList>> {
    Ok(Json(WebhookList::from_page(
        s.list_webhooks(&actor, &(&p).into()).await?,
        WebhookDto::from,
    )))
}

/// Creates an endpoint; the response carries its signing secret, shown once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", operation_id = "create_webhook", request_body = NewWebhook,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = WebhookDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<NewWebhook>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = EndpointInput {
        url: b.url,
        description: b.description,
        event_filter: b.event_filter,
        enabled: b.enabled.unwrap_or(true),
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.create_webhook(&actor, &input).await.map(WebhookDto::from)
    })
    .await
}

/// Reads an endpoint.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", operation_id = "get_webhook",
    params(("id" = uuid::Uuid, Path, description = "Endpoint id")),
    responses((status = 200, body = WebhookDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<WebhookEndpointId>,
) -> ApiResult<Json<WebhookDto>> {
    Ok(Json(s.get_webhook(&actor, id).await?.into()))
}

/// Updates an endpoint, optionally rotating its secret.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", operation_id = "update_webhook", request_body = WebhookPatch,
    params(("id" = uuid::Uuid, Path, description = "Endpoint id")),
    responses((status = 200, body = WebhookDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<WebhookEndpointId>,
    body: ApiJson<WebhookPatch>,
) -> ApiResult<Json<WebhookDto>> {
    let p = body.value;
    let cur = s.get_webhook(&actor, id).await?;
    let input = EndpointInput {
        url: p.url.unwrap_or(cur.url),
        description: p.description.unwrap_or(cur.description),
        event_filter: p.event_filter.unwrap_or(cur.event_filter),
        enabled: p.enabled.unwrap_or(cur.enabled),
    };
    let updated = s
        .update_webhook(&actor, id, p.version, &input, p.rotate_secret)
        .await?;
    Ok(Json(if p.rotate_secret {
        updated.into()
    } else {
        updated.endpoint.into()
    }))
}

/// Deletes an endpoint and its delivery history.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", operation_id = "delete_webhook",
    params(("id" = uuid::Uuid, Path, description = "Endpoint id")),
    responses((status = 200, body = Ack), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn delete(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<WebhookEndpointId>,
) -> ApiResult<Json<Ack>> {
    s.delete_webhook(&actor, id).await?;
    Ok(Json(Ack { ok: true }))
}

/// Every delivery attempt to an endpoint, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/attempts", tag = "webhooks", operation_id = "list_webhook_attempts",
    params(("id" = uuid::Uuid, Path, description = "Endpoint id"), Paging),
    responses((status = 200, body = AttemptList), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn attempts(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<WebhookEndpointId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<AttemptList>> {
    Ok(Json(AttemptList::from_page(
        s.list_webhook_attempts(&actor, id, &(&p).into()).await?,
        AttemptDto::from,
    )))
}

/// Delivers a past event to this endpoint again (with the same `webhook-id`).
#[utoipa::path(post, path = "/webhooks/{id}/replay", tag = "webhooks", operation_id = "replay_webhook", request_body = ReplayRequest,
    params(("id" = uuid::Uuid, Path, description = "Endpoint id")),
    responses((status = 202, body = Ack), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn replay(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<WebhookEndpointId>,
    body: ApiJson<ReplayRequest>,
) -> ApiResult<(StatusCode, Json<Ack>)> {
    s.replay_webhook(&actor, id, EventId::from_uuid(body.value.event_id))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Ack { ok: true })))
}
