//! CSV imports of CRM exports. `POST /imports?kind=…` takes the file as the raw body
//! (`Content-Type: text/csv`), answers 202 with the running import, and `GET /imports/{id}`
//! reports its progress and, at the end, its outcome and row-level report.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_domain::ImportId;
use trellis_domain::crm::DateOrder;
use trellis_service::Services;
use trellis_service::crm::import::{Import, ImportKind, ImportOptions, ImportReport};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Paging, instant, instant_opt, list_type};
use super::extract::{ApiActor, ApiId, ApiQuery};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    // `start` reads the raw body under the import limit; the JSON body limit applies only to
    // extractors, not to `Body`.
    OpenApiRouter::new()
        .routes(routes!(list, start))
        .routes(routes!(get))
}

/// An import run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportDto {
    /// Id.
    pub id: uuid::Uuid,
    /// `accounts`, `contacts` or `opportunities`.
    pub kind: String,
    /// The source system the records were keyed under.
    pub source_system: String,
    /// The file's name.
    pub file_name: String,
    /// `running`, `succeeded` or `failed` (nothing written).
    pub status: String,
    /// Whether good rows were imported despite bad ones.
    pub partial: bool,
    /// `reading`, `checking`, `writing` or `done`.
    pub phase: String,
    /// Rows through the phase.
    pub done: u64,
    /// Rows in the phase.
    pub total: u64,
    /// Records created.
    pub created: i64,
    /// Records changed.
    pub updated: i64,
    /// Records sent again unchanged.
    pub unchanged: i64,
    /// Rows not imported.
    pub rejected: i64,
    /// Encoding, delimiter, columns read, and every row error and warning (line, column,
    /// message), up to 10,000 of each.
    #[schema(value_type = Object)]
    pub report: ImportReport,
    /// Who started it.
    pub started_by: Option<uuid::Uuid>,
    /// When.
    pub started_at: String,
    /// When it ended.
    pub finished_at: Option<String>,
}

impl From<Import> for ImportDto {
    fn from(i: Import) -> Self {
        Self {
            id: i.id.as_uuid(),
            kind: i.kind.as_str().to_owned(),
            source_system: i.source_system,
            file_name: i.file_name,
            status: i.status.as_str().to_owned(),
            partial: i.partial,
            phase: i.progress.phase.as_str().to_owned(),
            done: i.progress.done,
            total: i.progress.total,
            created: i.created,
            updated: i.updated,
            unchanged: i.unchanged,
            rejected: i.rejected,
            report: i.report,
            started_by: i.started_by.map(trellis_domain::UserId::as_uuid),
            started_at: instant(i.started_at),
            finished_at: instant_opt(i.finished_at),
        }
    }
}

list_type!(ImportList, ImportDto);

/// What the file holds and how to read it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `accounts`, `contacts` or `opportunities`.
    pub kind: String,
    /// The system the records come from (`salesforce`, `hubspot`, …); guessed from the
    /// headers when absent.
    pub source_system: Option<String>,
    /// `field=Column, …` overriding the column detection (the saved mapping when absent).
    pub mapping: Option<String>,
    /// Save `mapping` for later imports of this kind from this source.
    #[serde(default)]
    pub save_mapping: bool,
    /// Import the good rows even if some are bad (default: nothing unless every row is good).
    #[serde(default)]
    pub partial: bool,
    /// `ymd`, `mdy` or `dmy`, when the file's dates do not tell.
    #[param(inline)]
    pub date_order: Option<DateOrder>,
    /// The file's name, for the history.
    pub file_name: Option<String>,
}

/// Starts importing a CSV export; poll `GET /imports/{id}` for the outcome.
#[utoipa::path(post, path = "/imports", tag = "crm", operation_id = "start_import",
    params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The CSV file as exported (UTF-8, UTF-16 or a legacy encoding; comma, semicolon or tab)"),
    responses((status = 202, body = ImportDto), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn start(
    State(s): State<Services>,
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let kind: ImportKind = p
        .kind
        .parse()
        .map_err(|m: String| ApiError::field(StatusCode::BAD_REQUEST, "bad-query", "kind", m))?;
    let bytes = csv_body(&state, &headers, body).await?;
    let options = ImportOptions {
        file_name: p.file_name.unwrap_or_else(|| format!("{kind}.csv")),
        source_system: p.source_system,
        mapping: p.mapping,
        save_mapping: p.save_mapping,
        partial: p.partial,
        date_order: p.date_order,
    };
    let import = s
        .start_import(&actor, kind, bytes.to_vec(), options)
        .await?;
    let location = format!("/api/v1/imports/{}", import.id);
    let mut resp = (StatusCode::ACCEPTED, Json(ImportDto::from(import))).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// A CSV file sent as the request body itself, within `web.max_import_bytes`.
pub(crate) async fn csv_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<axum::body::Bytes> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/") || ct.starts_with("application/json"));
    if is_form {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send the CSV file itself as the body, with `Content-Type: text/csv`",
        ));
    }
    let limit = state.web.config.max_import_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            format!("the file is larger than {limit} bytes (web.max_import_bytes)"),
        )
    })?;
    Ok(bytes)
}

/// Imports, newest first.
#[utoipa::path(get, path = "/imports", tag = "crm", operation_id = "list_imports", params(Paging),
    responses((status = 200, body = ImportList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ImportList>> {
    let page = s.list_imports(&actor, &(&p).into()).await?;
    Ok(Json(ImportList::from_page(page, ImportDto::from)))
}

/// One import: progress while it runs, then its outcome and report.
#[utoipa::path(get, path = "/imports/{id}", tag = "crm", operation_id = "get_import",
    params(("id" = uuid::Uuid, Path, description = "Import id")),
    responses((status = 200, body = ImportDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ImportId>,
) -> ApiResult<Json<ImportDto>> {
    Ok(Json(s.get_import(&actor, id).await?.into()))
}
