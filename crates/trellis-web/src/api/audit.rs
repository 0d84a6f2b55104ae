//! The audit log (vendor admins): filter by actor, object, action and time.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use trellis_domain::{Timestamp, UserId};
use trellis_service::platform::PageRequest;
use trellis_service::platform::audit::{AuditEntry, AuditQuery as ServiceQuery};
use trellis_service::{Error, Services};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{instant, list_type};
use super::extract::{ApiActor, ApiQuery};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Acting user (absent for the system).
    pub actor_id: Option<uuid::Uuid>,
    /// Acting user's e-mail, or `system`.
    pub actor: String,
    /// Action such as `user.invited`.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// One line for people.
    pub summary: String,
    /// State before the change.
    pub before: Option<serde_json::Value>,
    /// State after the change.
    pub after: Option<serde_json::Value>,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<AuditEntry> for AuditDto {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            actor_id: e.actor_id.map(UserId::as_uuid),
            actor: e.actor,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            summary: e.summary,
            before: e.before,
            after: e.after,
            created_at: instant(e.created_at),
        }
    }
}

list_type!(AuditList, AuditDto);

/// Audit filters; all optional, all narrowing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Acting user id.
    pub actor_id: Option<uuid::Uuid>,
    /// Object kind (`user`, `org`, `webhook_endpoint`, …).
    pub object_type: Option<String>,
    /// Object id.
    pub object_id: Option<String>,
    /// Action (`user.invited`, …).
    pub action: Option<String>,
    /// From (RFC 3339, inclusive).
    pub from: Option<String>,
    /// Until (RFC 3339, exclusive).
    pub until: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

impl AuditParams {
    /// Parses the filters (instants are RFC 3339).
    pub fn to_query(&self) -> Result<ServiceQuery, Error> {
        let instant = |field: &str, v: &Option<String>| -> Result<Option<Timestamp>, Error> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => Timestamp::parse_rfc3339(s).map(Some).ok_or_else(|| {
                    Error::field(
                        field,
                        "must be an RFC 3339 instant such as 2026-01-31T00:00:00Z",
                    )
                }),
            }
        };
        Ok(ServiceQuery {
            actor_id: self.actor_id.map(UserId::from_uuid),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            action: self.action.clone(),
            from: instant("from", &self.from)?,
            until: instant("until", &self.until)?,
        })
    }
}

/// Lists audit entries, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", operation_id = "list_audit", params(AuditParams),
    responses((status = 200, body = AuditList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditList>> {
    let q = p.to_query()?;
    let page = PageRequest {
        cursor: p.cursor,
        limit: p.limit,
    };
    Ok(Json(AuditList::from_page(
        s.list_audit(&actor, &q, &page).await?,
        AuditDto::from,
    )))
}
