//! The job queue and its dead-letter list (vendor admins).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use trellis_domain::JobId;
use trellis_service::Services;
use trellis_service::platform::PageRequest;
use trellis_service::platform::jobs::Job;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{instant, list_type};
use super::extract::{ApiActor, ApiId, ApiQuery};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retry))
}

/// A job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDto {
    /// Id.
    pub id: uuid::Uuid,
    /// `email.send`, `webhook.deliver`, …
    pub kind: String,
    /// Arguments.
    pub payload: serde_json::Value,
    /// `queued` or `dead`.
    pub status: String,
    /// Next run.
    pub run_at: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: String,
}

impl From<Job> for JobDto {
    fn from(j: Job) -> Self {
        Self {
            id: j.id.as_uuid(),
            kind: j.kind,
            payload: j.payload,
            status: j.status,
            run_at: instant(j.run_at),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            created_at: instant(j.created_at),
        }
    }
}

list_type!(JobList, JobDto);

/// Which jobs.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobParams {
    /// `queued` (default) or `dead`.
    pub status: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// Lists queued or dead jobs.
#[utoipa::path(get, path = "/jobs", tag = "jobs", operation_id = "list_jobs", params(JobParams),
    responses((status = 200, body = JobList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<JobParams>,
) -> ApiResult<Json<JobList>> {
    let page = PageRequest {
        cursor: p.cursor,
        limit: p.limit,
    };
    let status = p.status.as_deref().unwrap_or("queued");
    Ok(Json(JobList::from_page(
        s.list_jobs(&actor, status, &page).await?,
        JobDto::from,
    )))
}

/// Puts a dead job back in the queue with fresh attempts.
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "jobs", operation_id = "retry_job",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobDto), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn retry(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<JobId>,
) -> ApiResult<Json<JobDto>> {
    Ok(Json(s.retry_job(&actor, id).await?.into()))
}
