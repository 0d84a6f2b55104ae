//! The change feed (DESIGN.md §4): every published event in commit order, for connectors
//! that pull instead of receiving webhooks.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use trellis_service::Services;
use trellis_service::platform::changes::ChangeEvent;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::instant;
use super::extract::{ApiActor, ApiQuery};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeDto {
    /// The event id (stable; the `webhook-id` of its deliveries).
    pub id: uuid::Uuid,
    /// `account.updated`, `deal.approved`, ….
    #[serde(rename = "type")]
    pub event_type: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// The event's data. CRM record events carry the record's id, key and version; fetch the
    /// record for its fields.
    pub data: serde_json::Value,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<ChangeEvent> for ChangeDto {
    fn from(e: ChangeEvent) -> Self {
        Self {
            id: e.id.as_uuid(),
            event_type: e.event_type,
            object_type: e.object_type,
            object_id: e.object_id,
            data: e.payload,
            created_at: instant(e.created_at),
        }
    }
}

/// A page of changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeList {
    /// Changes, oldest first.
    pub items: Vec<ChangeDto>,
    /// Pass as `after` next time, also when `items` is empty.
    pub next_cursor: String,
    /// More changes are waiting: ask again at once.
    pub has_more: bool,
}

/// Where to read from.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// `next_cursor` of the previous page; from the beginning when absent.
    pub after: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<usize>,
    /// Comma-separated event types or families (`account.*,deal.approved`); all when absent.
    pub types: Option<String>,
}

/// Every change after a cursor, in commit order.
#[utoipa::path(get, path = "/changes", tag = "crm", operation_id = "list_changes", params(ChangeParams),
    responses((status = 200, body = ChangeList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<ChangeParams>,
) -> ApiResult<Json<ChangeList>> {
    let types: Vec<String> = p
        .types
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let page = s
        .list_changes(&actor, p.after.as_deref(), p.limit, &types)
        .await?;
    Ok(Json(ChangeList {
        items: page.events.into_iter().map(ChangeDto::from).collect(),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }))
}
