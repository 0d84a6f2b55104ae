//! Mapping runs: start one on a connection, follow its progress, and read your side's view of
//! the result: the overlap matrix, the overlapping accounts (also as CSV), each with only
//! what the other side's policy shares.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_domain::{MappingConnectionId, MappingRunId};
use trellis_service::Services;
use trellis_service::mapping::{
    MappingRun, MatrixCell, MatrixPopulation, OverlapFilter, OverlapItem, OverlapMatrix,
};
use trellis_service::platform::PageRequest;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::super::dto::{instant, instant_opt, list_type};
use super::super::extract::{ApiActor, ApiId, ApiQuery};
use super::CONNECTION;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs, start_run))
        .routes(routes!(get_run))
        .routes(routes!(get_matrix))
        .routes(routes!(list_overlaps))
        .routes(routes!(export_overlaps))
}

const RUN: &str = "Mapping run id";

/// One mapping of a connection.
#[derive(Debug, Serialize, ToSchema)]
pub struct MappingRunDto {
    /// Id.
    pub id: uuid::Uuid,
    /// The connection.
    pub connection_id: uuid::Uuid,
    /// The partner.
    pub partner_id: uuid::Uuid,
    /// `hosted` or `private`.
    pub mode: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// 0–100.
    pub progress: u8,
    /// What it is doing.
    pub stage: String,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was asked for.
    pub requested_at: String,
    /// When it started.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// The vendor's accounts mapped.
    pub vendor_accounts: Option<u64>,
    /// The partner's accounts mapped.
    pub partner_accounts: Option<u64>,
}

impl From<MappingRun> for MappingRunDto {
    fn from(r: MappingRun) -> Self {
        Self {
            id: r.id.as_uuid(),
            connection_id: r.connection_id.as_uuid(),
            partner_id: r.partner_id.as_uuid(),
            mode: r.mode,
            status: r.status,
            progress: r.progress,
            stage: r.stage,
            error: r.error,
            requested_at: instant(r.requested_at),
            started_at: instant_opt(r.started_at),
            finished_at: instant_opt(r.finished_at),
            vendor_accounts: r.vendor_accounts,
            partner_accounts: r.partner_accounts,
        }
    }
}

/// Starts a mapping of the connection (both sides must have opted in). If one is already
/// queued or running, that one is returned. Poll `GET /mapping/runs/{id}` for progress.
#[utoipa::path(post, path = "/mapping/connections/{id}/runs", tag = "mapping", operation_id = "start_mapping_run",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 202, body = MappingRunDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn start_run(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Response> {
    let run = s.request_mapping_run(&actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(MappingRunDto::from(run))).into_response())
}

/// The connection's latest mappings, newest first.
#[utoipa::path(get, path = "/mapping/connections/{id}/runs", tag = "mapping", operation_id = "list_mapping_runs",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 200, body = Vec<MappingRunDto>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn list_runs(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Json<Vec<MappingRunDto>>> {
    let runs = s.mapping_runs(&actor, id).await?;
    Ok(Json(runs.into_iter().map(MappingRunDto::from).collect()))
}

/// One mapping, with its progress.
#[utoipa::path(get, path = "/mapping/runs/{id}", tag = "mapping", operation_id = "get_mapping_run",
    params(("id" = uuid::Uuid, Path, description = RUN)),
    responses((status = 200, body = MappingRunDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_run(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingRunId>,
) -> ApiResult<Json<MappingRunDto>> {
    Ok(Json(s.mapping_run(&actor, id).await?.into()))
}

/// A row or column of the overlap matrix.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixPopulationDto {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Its accounts when the mapping ran.
    pub size: u64,
    /// Theirs only: its overlapping records are shared (else counts only).
    pub records: bool,
}

impl From<MatrixPopulation> for MatrixPopulationDto {
    fn from(p: MatrixPopulation) -> Self {
        Self {
            key: p.key,
            name: p.name,
            size: p.size,
            records: p.records,
        }
    }
}

/// One cell of the overlap matrix.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixCellDto {
    /// Your population.
    pub ours: String,
    /// Theirs.
    pub theirs: String,
    /// Companies in both (by primary key: domain, else name + country); absent where their
    /// minimum count hides it.
    pub overlap: Option<u64>,
}

impl From<MatrixCell> for MatrixCellDto {
    fn from(c: MatrixCell) -> Self {
        Self {
            ours: c.ours,
            theirs: c.theirs,
            overlap: c.overlap,
        }
    }
}

/// Your side's overlap matrix from a mapping.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverlapMatrixDto {
    /// The mapping.
    pub run: MappingRunDto,
    /// Your populations (rows).
    pub ours: Vec<MatrixPopulationDto>,
    /// Their populations they share at least as counts (columns).
    pub theirs: Vec<MatrixPopulationDto>,
    /// One per row × column.
    pub cells: Vec<MatrixCellDto>,
    /// Your overlapping accounts flagged for co-selling (their customer × your open
    /// opportunity).
    pub flagged: u64,
}

impl From<OverlapMatrix> for OverlapMatrixDto {
    fn from(m: OverlapMatrix) -> Self {
        Self {
            run: m.run.into(),
            ours: m.ours.into_iter().map(Into::into).collect(),
            theirs: m.theirs.into_iter().map(Into::into).collect(),
            cells: m.cells.into_iter().map(Into::into).collect(),
            flagged: m.flagged,
        }
    }
}

/// Your side's overlap matrix from a finished mapping (409 until it has finished).
#[utoipa::path(get, path = "/mapping/runs/{id}/matrix", tag = "mapping", operation_id = "get_overlap_matrix",
    params(("id" = uuid::Uuid, Path, description = RUN)),
    responses((status = 200, body = OverlapMatrixDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn get_matrix(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingRunId>,
) -> ApiResult<Json<OverlapMatrixDto>> {
    Ok(Json(s.mapping_matrix(&actor, id).await?.into()))
}

/// One of your accounts that overlaps, with one record the other side shares.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverlapDto {
    /// Your account.
    pub account_id: uuid::Uuid,
    /// Its name.
    pub account_name: String,
    /// Its owner on your side.
    pub owner: String,
    /// Your open opportunities on it.
    pub open_opportunities: u64,
    /// Your populations it is in.
    pub our_populations: Vec<String>,
    /// Their populations (shared as records) their record is in.
    pub their_populations: Vec<String>,
    /// The fields they share of their record.
    #[schema(value_type = Object)]
    pub their_fields: serde_json::Map<String, serde_json::Value>,
    /// Their customer × your open opportunity.
    pub flagged: bool,
}

impl From<OverlapItem> for OverlapDto {
    fn from(i: OverlapItem) -> Self {
        Self {
            account_id: i.account_id,
            account_name: i.account_name,
            owner: i.owner,
            open_opportunities: i.open_opportunities,
            our_populations: i.our_populations,
            their_populations: i.their_populations,
            their_fields: i.their_fields,
            flagged: i.flagged,
        }
    }
}

list_type!(OverlapList, OverlapDto);

/// Which overlapping accounts to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverlapQuery {
    /// In this population of yours (key).
    pub ours: Option<String>,
    /// In this population of theirs (key).
    pub theirs: Option<String>,
    /// Only those flagged for co-selling.
    pub flagged: Option<bool>,
    /// Part of your account's name.
    pub q: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

impl OverlapQuery {
    fn filter(&self) -> OverlapFilter {
        let some = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        OverlapFilter {
            ours: some(&self.ours),
            theirs: some(&self.theirs),
            flagged: self.flagged.unwrap_or(false),
            q: some(&self.q),
        }
    }
}

/// Your overlapping accounts from a mapping, by name, with the fields the other side shares.
#[utoipa::path(get, path = "/mapping/runs/{id}/overlaps", tag = "mapping", operation_id = "list_overlaps",
    params(("id" = uuid::Uuid, Path, description = RUN), OverlapQuery),
    responses((status = 200, body = OverlapList), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list_overlaps(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingRunId>,
    ApiQuery(q): ApiQuery<OverlapQuery>,
) -> ApiResult<Json<OverlapList>> {
    let page = PageRequest {
        cursor: q.cursor.clone(),
        limit: q.limit,
    };
    let p = s.mapping_overlaps(&actor, id, &q.filter(), &page).await?;
    Ok(Json(OverlapList::from_page(p, OverlapDto::from)))
}

/// The same overlapping accounts as a CSV file (cells that would start a formula are
/// neutralised); `cursor` and `limit` are ignored.
#[utoipa::path(get, path = "/mapping/runs/{id}/overlaps.csv", tag = "mapping", operation_id = "export_overlaps",
    params(("id" = uuid::Uuid, Path, description = RUN), OverlapQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn export_overlaps(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingRunId>,
    ApiQuery(q): ApiQuery<OverlapQuery>,
) -> ApiResult<Response> {
    let body = s.mapping_overlaps_csv(&actor, id, &q.filter()).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
}
