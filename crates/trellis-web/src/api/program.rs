//! Setting the partner program up: settings and figures, the Ideal Partner Profile, tiers and
//! the record of tier decisions, onboarding templates and program agreements.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::partners::ipp::{Criterion, FitScore};
use trellis_domain::partners::tiers::{Requirement, TierPolicy};
use trellis_domain::{AgreementId, OrgId, TemplateId, UserId};
use trellis_service::Services;
use trellis_service::partners::agreements::{
    Acceptance, Agreement, AgreementInput, AgreementStatus,
};
use trellis_service::partners::figures::{DayStats, ProgramFigures};
use trellis_service::partners::ipp::{IppVersion, ScoredFit};
use trellis_service::partners::onboarding::{Template, TemplateTask};
use trellis_service::partners::settings::{ProgramSettings, VersionedSettings};
use trellis_service::partners::tiers::{Tier, TierInput};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Ack, Paging, instant, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use super::partners::TierChangeDto;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(figures))
        .routes(routes!(get_ipp, put_ipp))
        .routes(routes!(ipp_versions))
        .routes(routes!(preview_ipp))
        .routes(routes!(fit_history))
        .routes(routes!(list_tiers, create_tier))
        .routes(routes!(update_tier, delete_tier))
        .routes(routes!(tier_changes))
        .routes(routes!(evaluate_all))
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(list_agreements, publish_agreement))
        .routes(routes!(get_agreement))
        .routes(routes!(accept_agreement))
        .routes(routes!(agreement_status))
        .routes(routes!(acceptances))
}

// ---------------------------------------------------------------- settings and figures

/// The program settings with their version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "tier_policy": {"hysteresis_percent": 10, "grace_days": 30}, "reporting_currency": "EUR", "applications_open": true, "locator_enabled": true, "reminder_interval_days": 3}))]
pub struct SettingsDto {
    /// Send back on update (0 while never saved).
    pub version: i64,
    /// Hysteresis (percent below entry thresholds a partner keeps its tier) and grace period.
    pub tier_policy: TierPolicy,
    /// ISO 4217 code of money metrics.
    pub reporting_currency: String,
    /// The public application form accepts applications.
    pub applications_open: bool,
    /// The public partner locator is served.
    pub locator_enabled: bool,
    /// Days between reminders of an overdue onboarding task.
    pub reminder_interval_days: u16,
}

impl From<VersionedSettings> for SettingsDto {
    fn from(v: VersionedSettings) -> Self {
        let s = v.settings;
        Self {
            version: v.version,
            tier_policy: s.tier_policy,
            reporting_currency: s.reporting_currency,
            applications_open: s.applications_open,
            locator_enabled: s.locator_enabled,
            reminder_interval_days: s.reminder_interval_days,
        }
    }
}

/// Reads the program settings.
#[utoipa::path(get, path = "/program/settings", tag = "program", operation_id = "get_program_settings",
    responses((status = 200, body = SettingsDto), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn get_settings(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<SettingsDto>> {
    Ok(Json(s.get_program_settings(&actor).await?.into()))
}

/// Saves the program settings.
#[utoipa::path(put, path = "/program/settings", tag = "program", operation_id = "put_program_settings", request_body = SettingsDto,
    responses((status = 200, body = SettingsDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_settings(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<SettingsDto>,
) -> ApiResult<Json<SettingsDto>> {
    let b = body.value;
    let settings = ProgramSettings {
        tier_policy: b.tier_policy,
        reporting_currency: b.reporting_currency,
        applications_open: b.applications_open,
        locator_enabled: b.locator_enabled,
        reminder_interval_days: b.reminder_interval_days,
    };
    Ok(Json(
        s.update_program_settings(&actor, b.version, settings)
            .await?
            .into(),
    ))
}

/// Summary of a duration in days.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayStatsDto {
    /// Partners measured.
    pub count: usize,
    /// Median.
    pub median: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
}

impl From<DayStats> for DayStatsDto {
    fn from(d: DayStats) -> Self {
        Self {
            count: d.count,
            median: d.median,
            mean: d.mean,
            p90: d.p90,
        }
    }
}

/// Partners in one status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCount {
    /// Status.
    pub status: String,
    /// Partners.
    pub count: i64,
}

/// Lifecycle figures of the program.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresDto {
    /// Partners per status.
    pub by_status: Vec<StatusCount>,
    /// Approval to activation, in days.
    pub time_to_activation: DayStatsDto,
    /// Approval to first deal, in days.
    pub time_to_first_deal: DayStatsDto,
    /// Open onboarding tasks past due.
    pub overdue_tasks: i64,
}

impl From<ProgramFigures> for FiguresDto {
    fn from(f: ProgramFigures) -> Self {
        Self {
            by_status: f
                .by_status
                .into_iter()
                .map(|(s, n)| StatusCount {
                    status: s.as_str().into(),
                    count: n,
                })
                .collect(),
            time_to_activation: f.time_to_activation.into(),
            time_to_first_deal: f.time_to_first_deal.into(),
            overdue_tasks: f.overdue_tasks,
        }
    }
}

/// Program figures: partners by status, time to activation and to first deal.
#[utoipa::path(get, path = "/program/figures", tag = "program", operation_id = "program_figures",
    responses((status = 200, body = FiguresDto), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn figures(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<FiguresDto>> {
    Ok(Json(s.program_figures(&actor).await?.into()))
}

// ---------------------------------------------------------------- Ideal Partner Profile

/// One saved version of the Ideal Partner Profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct IppDto {
    /// Version number.
    pub version: i64,
    /// Weighted criteria.
    pub criteria: Vec<Criterion>,
    /// What changed.
    pub note: String,
    /// Saved by.
    pub created_by: Option<uuid::Uuid>,
    /// Saved.
    pub created_at: String,
}

impl From<IppVersion> for IppDto {
    fn from(v: IppVersion) -> Self {
        Self {
            version: v.version,
            criteria: v.ipp.criteria().to_vec(),
            note: v.note,
            created_by: v.created_by.map(UserId::as_uuid),
            created_at: instant(v.created_at),
        }
    }
}

/// A new version of the IPP.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_version": 0, "note": "First profile: MSPs and SIs in manufacturing", "criteria": [
    {"key": "type", "label": "Partner type", "attribute": "partner_type", "weight": 40, "rule": {"kind": "any_of", "values": ["msp", "si"]}},
    {"key": "industry", "label": "Industries", "attribute": "industries", "weight": 35, "rule": {"kind": "coverage", "values": ["manufacturing", "healthcare", "retail"], "full_at": 2}},
    {"key": "size", "label": "Employees", "attribute": "employees", "weight": 25, "rule": {"kind": "band", "min": 10, "ideal_min": 50, "ideal_max": 1000, "max": 5000}}]}))]
pub struct IppBody {
    /// The newest version you read (0 before the first).
    pub current_version: i64,
    /// Criteria.
    pub criteria: Vec<Criterion>,
    /// What changed and why.
    #[serde(default)]
    pub note: String,
}

/// The current IPP; `null` before one is saved.
#[utoipa::path(get, path = "/ipp", tag = "program", operation_id = "get_ipp",
    responses((status = 200, body = Option<IppDto>), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn get_ipp(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Option<IppDto>>> {
    Ok(Json(s.get_ipp(&actor).await?.map(IppDto::from)))
}

/// Saves a new IPP version; every partner and pending application is rescored in the
/// background.
#[utoipa::path(put, path = "/ipp", tag = "program", operation_id = "put_ipp", request_body = IppBody,
    responses((status = 200, body = IppDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_ipp(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<IppBody>,
) -> ApiResult<Json<IppDto>> {
    let b = body.value;
    Ok(Json(
        s.save_ipp(&actor, b.current_version, b.criteria, &b.note)
            .await?
            .into(),
    ))
}

/// Every IPP version, newest first.
#[utoipa::path(get, path = "/ipp/versions", tag = "program", operation_id = "ipp_versions",
    responses((status = 200, body = Vec<IppDto>), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn ipp_versions(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<IppDto>>> {
    Ok(Json(
        s.ipp_history(&actor)
            .await?
            .into_iter()
            .map(IppDto::from)
            .collect(),
    ))
}

/// A draft to preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"criteria": [{"key": "type", "label": "Partner type", "attribute": "partner_type", "weight": 100, "rule": {"kind": "any_of", "values": ["msp"]}}]}))]
pub struct PreviewBody {
    /// Draft criteria.
    pub criteria: Vec<Criterion>,
}

/// One partner in a preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewRowDto {
    /// Partner.
    pub partner_id: uuid::Uuid,
    /// Name.
    pub name: String,
    /// Score under the current IPP.
    pub current: Option<u8>,
    /// Score under the draft, with contributions.
    pub draft: FitScore,
}

/// A draft's scores over a sample of partners.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewDto {
    /// Best draft score first.
    pub rows: Vec<PreviewRowDto>,
    /// Mean draft score.
    pub mean_draft: f64,
    /// Mean current score.
    pub mean_current: Option<f64>,
}

/// Scores up to 200 partners with a draft IPP, without saving anything.
#[utoipa::path(post, path = "/ipp/preview", tag = "program", operation_id = "preview_ipp", request_body = PreviewBody,
    responses((status = 200, body = PreviewDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn preview_ipp(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<PreviewBody>,
) -> ApiResult<Json<PreviewDto>> {
    let p = s.preview_ipp(&actor, body.value.criteria).await?;
    Ok(Json(PreviewDto {
        rows: p
            .rows
            .into_iter()
            .map(|r| PreviewRowDto {
                partner_id: r.partner_id.as_uuid(),
                name: r.name,
                current: r.current,
                draft: r.draft,
            })
            .collect(),
        mean_draft: p.mean_draft,
        mean_current: p.mean_current,
    }))
}

/// A fit score under one IPP version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoredFitDto {
    /// IPP version.
    pub ipp_version: i64,
    /// Score and contributions.
    pub fit: FitScore,
    /// Computed.
    pub scored_at: String,
}

impl From<ScoredFit> for ScoredFitDto {
    fn from(f: ScoredFit) -> Self {
        Self {
            ipp_version: f.ipp_version,
            fit: f.fit,
            scored_at: instant(f.scored_at),
        }
    }
}

/// A partner's fit under every IPP version, newest first (vendor users).
#[utoipa::path(get, path = "/partners/{id}/fit", tag = "program", operation_id = "partner_fit_history",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = Vec<ScoredFitDto>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn fit_history(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<Vec<ScoredFitDto>>> {
    Ok(Json(
        s.fit_history(&actor, id)
            .await?
            .into_iter()
            .map(ScoredFitDto::from)
            .collect(),
    ))
}

// ---------------------------------------------------------------- tiers

/// A tier of the program.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierDto {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Higher is better.
    pub rank: u32,
    /// Description.
    pub description: String,
    /// All must hold to enter the tier.
    pub requirements: Vec<Requirement>,
    /// What the tier gives.
    pub benefits: Vec<String>,
    /// Partners holding it (vendor users only; 0 for partners).
    pub holders: i64,
    /// Send back on update.
    pub version: i64,
}

impl From<Tier> for TierDto {
    fn from(t: Tier) -> Self {
        Self {
            key: t.def.key.to_string(),
            name: t.def.name,
            rank: t.def.rank,
            description: t.description,
            requirements: t.def.requirements,
            benefits: t.def.benefits,
            holders: t.holders,
            version: t.version,
        }
    }
}

/// A new tier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "gold", "name": "Gold", "rank": 3, "description": "Established partners with certified staff", "requirements": [{"metric": "sourced_revenue", "at_least": 25_000_000}, {"metric": "certified_people", "at_least": 5}], "benefits": ["20 % resale discount", "Market development funds"]}))]
pub struct NewTier {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Rank.
    pub rank: u32,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Requirements.
    #[serde(default)]
    pub requirements: Vec<Requirement>,
    /// Benefits.
    #[serde(default)]
    pub benefits: Vec<String>,
}

/// A tier change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "name": "Gold", "rank": 3, "description": "", "requirements": [{"metric": "sourced_revenue", "at_least": 30_000_000}], "benefits": ["20 % resale discount"]}))]
pub struct TierUpdate {
    /// The version you read.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Rank.
    pub rank: u32,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Requirements.
    #[serde(default)]
    pub requirements: Vec<Requirement>,
    /// Benefits.
    #[serde(default)]
    pub benefits: Vec<String>,
}

/// The program's tiers, lowest first. Partners may read them too.
#[utoipa::path(get, path = "/tiers", tag = "program", operation_id = "list_tiers",
    responses((status = 200, body = Vec<TierDto>)), security(("bearer" = [])))]
async fn list_tiers(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<TierDto>>> {
    Ok(Json(
        s.list_tiers(&actor)
            .await?
            .into_iter()
            .map(TierDto::from)
            .collect(),
    ))
}

/// Adds a tier.
#[utoipa::path(post, path = "/tiers", tag = "program", operation_id = "create_tier", request_body = NewTier,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = TierDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_tier(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<NewTier>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = TierInput {
        key: b.key,
        name: b.name,
        rank: b.rank,
        description: b.description,
        requirements: b.requirements,
        benefits: b.benefits,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.create_tier(&actor, &input).await.map(TierDto::from)
    })
    .await
}

/// Changes a tier.
#[utoipa::path(put, path = "/tiers/{key}", tag = "program", operation_id = "update_tier", request_body = TierUpdate,
    params(("key" = String, Path, description = "Tier key")),
    responses((status = 200, body = TierDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update_tier(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    body: ApiJson<TierUpdate>,
) -> ApiResult<Json<TierDto>> {
    let b = body.value;
    let input = TierInput {
        key: key.clone(),
        name: b.name,
        rank: b.rank,
        description: b.description,
        requirements: b.requirements,
        benefits: b.benefits,
    };
    Ok(Json(
        s.update_tier(&actor, &key, b.version, &input).await?.into(),
    ))
}

/// Removes a tier nobody holds.
#[utoipa::path(delete, path = "/tiers/{key}", tag = "program", operation_id = "delete_tier",
    params(("key" = String, Path, description = "Tier key")),
    responses((status = 200, body = Ack), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn delete_tier(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Json<Ack>> {
    s.delete_tier(&actor, &key).await?;
    Ok(Json(Ack { ok: true }))
}

list_type!(TierChangeList, TierChangeDto);

/// Every tier decision, newest first.
#[utoipa::path(get, path = "/tier-changes", tag = "program", operation_id = "list_tier_changes", params(Paging),
    responses((status = 200, body = TierChangeList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn tier_changes(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<TierChangeList>> {
    let page = s.list_tier_changes(&actor, &(&p).into()).await?;
    Ok(Json(TierChangeList::from_page(page, TierChangeDto::from)))
}

/// Evaluates every partner's tier in the background (it also runs daily).
#[utoipa::path(post, path = "/tier-evaluations", tag = "program", operation_id = "evaluate_all_tiers",
    responses((status = 202, body = Ack), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn evaluate_all(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<(StatusCode, Json<Ack>)> {
    s.queue_tier_evaluation(&actor).await?;
    Ok((StatusCode::ACCEPTED, Json(Ack { ok: true })))
}

// ---------------------------------------------------------------- onboarding templates

/// A checklist template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDto {
    /// Id.
    pub id: uuid::Uuid,
    /// A partner type, or `all`.
    pub scope: String,
    /// Name.
    pub name: String,
    /// Tasks in order.
    pub tasks: Vec<TemplateTaskDto>,
    /// Send back on update.
    pub version: i64,
}

/// One task of a template.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateTaskDto {
    /// Title.
    pub title: String,
    /// What to do.
    #[serde(default)]
    pub description: String,
    /// `profile`, `agreement`, `invite_team`, `training`, `first_deal` or `custom`.
    pub kind: String,
    /// `partner` or `vendor`.
    pub owner_side: String,
    /// Due this many days after approval.
    pub due_days: u16,
    /// Activation waits for it.
    pub required: bool,
}

impl From<TemplateTask> for TemplateTaskDto {
    fn from(t: TemplateTask) -> Self {
        Self {
            title: t.title,
            description: t.description,
            kind: t.kind.as_str().into(),
            owner_side: t.owner_side.as_str().into(),
            due_days: t.due_days,
            required: t.required,
        }
    }
}

fn tasks_of(dtos: Vec<TemplateTaskDto>) -> Result<Vec<TemplateTask>, trellis_service::Error> {
    let mut e = trellis_domain::FieldErrors::new();
    let mut out = Vec::with_capacity(dtos.len());
    for (i, t) in dtos.into_iter().enumerate() {
        let kind = e.check(&format!("tasks[{i}].kind"), t.kind.parse());
        let side = e.check(&format!("tasks[{i}].owner_side"), t.owner_side.parse());
        if let (Some(kind), Some(owner_side)) = (kind, side) {
            out.push(TemplateTask {
                title: t.title,
                description: t.description,
                kind,
                owner_side,
                due_days: t.due_days,
                required: t.required,
            });
        }
    }
    e.into_result()?;
    Ok(out)
}

impl From<Template> for TemplateDto {
    fn from(t: Template) -> Self {
        Self {
            id: t.id.as_uuid(),
            scope: t.scope,
            name: t.name,
            tasks: t.tasks.into_iter().map(TemplateTaskDto::from).collect(),
            version: t.version,
        }
    }
}

/// A new template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": "msp", "name": "MSP onboarding", "tasks": [
    {"title": "Complete your company profile", "description": "", "kind": "profile", "owner_side": "partner", "due_days": 7, "required": true},
    {"title": "Accept the MSP agreement", "description": "", "kind": "agreement", "owner_side": "partner", "due_days": 7, "required": true},
    {"title": "Technical enablement workshop", "description": "Two hours with our solutions engineers.", "kind": "custom", "owner_side": "vendor", "due_days": 21, "required": true}]}))]
pub struct NewTemplate {
    /// A partner type, or `all`.
    pub scope: String,
    /// Name.
    pub name: String,
    /// Tasks.
    pub tasks: Vec<TemplateTaskDto>,
}

/// A template change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "name": "MSP onboarding", "tasks": [{"title": "Complete your company profile", "description": "", "kind": "profile", "owner_side": "partner", "due_days": 7, "required": true}]}))]
pub struct TemplateUpdate {
    /// The version you read.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Tasks.
    pub tasks: Vec<TemplateTaskDto>,
}

/// Onboarding checklist templates.
#[utoipa::path(get, path = "/onboarding-templates", tag = "program", operation_id = "list_templates",
    responses((status = 200, body = Vec<TemplateDto>), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list_templates(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<TemplateDto>>> {
    Ok(Json(
        s.list_templates(&actor)
            .await?
            .into_iter()
            .map(TemplateDto::from)
            .collect(),
    ))
}

/// Creates the template of a partner type (or `all`).
#[utoipa::path(post, path = "/onboarding-templates", tag = "program", operation_id = "create_template", request_body = NewTemplate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = TemplateDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_template(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<NewTemplate>,
) -> ApiResult<Response> {
    let b = body.value;
    let tasks = tasks_of(b.tasks)?;
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.create_template(&actor, &b.scope, &b.name, tasks)
            .await
            .map(TemplateDto::from)
    })
    .await
}

/// Reads a template.
#[utoipa::path(get, path = "/onboarding-templates/{id}", tag = "program", operation_id = "get_template",
    params(("id" = uuid::Uuid, Path, description = "Template id")),
    responses((status = 200, body = TemplateDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_template(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TemplateId>,
) -> ApiResult<Json<TemplateDto>> {
    Ok(Json(s.get_template(&actor, id).await?.into()))
}

/// Replaces a template's name and tasks; existing checklists keep theirs.
#[utoipa::path(put, path = "/onboarding-templates/{id}", tag = "program", operation_id = "update_template", request_body = TemplateUpdate,
    params(("id" = uuid::Uuid, Path, description = "Template id")),
    responses((status = 200, body = TemplateDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update_template(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TemplateId>,
    body: ApiJson<TemplateUpdate>,
) -> ApiResult<Json<TemplateDto>> {
    let b = body.value;
    let tasks = tasks_of(b.tasks)?;
    Ok(Json(
        s.update_template(&actor, id, b.version, &b.name, tasks)
            .await?
            .into(),
    ))
}

/// Deletes a template.
#[utoipa::path(delete, path = "/onboarding-templates/{id}", tag = "program", operation_id = "delete_template",
    params(("id" = uuid::Uuid, Path, description = "Template id")),
    responses((status = 200, body = Ack), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn delete_template(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TemplateId>,
) -> ApiResult<Json<Ack>> {
    s.delete_template(&actor, id).await?;
    Ok(Json(Ack { ok: true }))
}

// ---------------------------------------------------------------- agreements

/// One version of a program agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDto {
    /// Id of this version.
    pub id: uuid::Uuid,
    /// A partner type, or `all`.
    pub scope: String,
    /// Version number.
    pub version: i64,
    /// Title.
    pub title: String,
    /// Full text.
    pub body: String,
    /// What changed since the previous version.
    pub changes: String,
    /// Published by.
    pub published_by: Option<uuid::Uuid>,
    /// Published.
    pub published_at: String,
}

impl From<Agreement> for AgreementDto {
    fn from(a: Agreement) -> Self {
        Self {
            id: a.id.as_uuid(),
            scope: a.scope,
            version: a.version,
            title: a.title,
            body: a.body,
            changes: a.changes,
            published_by: a.published_by.map(UserId::as_uuid),
            published_at: instant(a.published_at),
        }
    }
}

/// An acceptance.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptanceDto {
    /// The version accepted.
    pub agreement_id: uuid::Uuid,
    /// Its scope.
    pub scope: String,
    /// Its number.
    pub version: i64,
    /// Its title.
    pub title: String,
    /// The partner.
    pub org_id: uuid::Uuid,
    /// The accepting user.
    pub user_id: uuid::Uuid,
    /// Their name at the time.
    pub accepted_name: String,
    /// When.
    pub accepted_at: String,
}

impl From<Acceptance> for AcceptanceDto {
    fn from(a: Acceptance) -> Self {
        Self {
            agreement_id: a.agreement_id.as_uuid(),
            scope: a.scope,
            version: a.version,
            title: a.title,
            org_id: a.org_id.as_uuid(),
            user_id: a.user_id.as_uuid(),
            accepted_name: a.accepted_name,
            accepted_at: instant(a.accepted_at),
        }
    }
}

/// The agreement that applies to a partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementStatusDto {
    /// The current version.
    pub agreement: AgreementDto,
    /// The partner's acceptance of it.
    pub accepted: Option<AcceptanceDto>,
    /// The last version accepted before, when the partner must accept again.
    pub previously_accepted_version: Option<i64>,
}

impl From<AgreementStatus> for AgreementStatusDto {
    fn from(s: AgreementStatus) -> Self {
        Self {
            agreement: s.agreement.into(),
            accepted: s.accepted.map(AcceptanceDto::from),
            previously_accepted_version: s.previously_accepted_version,
        }
    }
}

/// A scope's current version with its acceptances.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementSummaryDto {
    /// Current version.
    pub agreement: AgreementDto,
    /// Partners that accepted it.
    pub acceptances: i64,
}

/// Filter of the agreement list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// Every version of this scope instead of the current version of each.
    pub scope: Option<String>,
}

/// A new version of an agreement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": "all", "current_version": 0, "title": "Partner Program Agreement", "body": "1. Scope. This agreement governs participation in the partner program…", "changes": ""}))]
pub struct NewAgreement {
    /// A partner type, or `all`.
    pub scope: String,
    /// The newest version of this scope you read (0 before the first).
    pub current_version: i64,
    /// Title.
    pub title: String,
    /// Full text.
    pub body: String,
    /// What changed (required from version 2).
    #[serde(default)]
    pub changes: String,
}

/// Agreements: the current version of every scope, or every version of one scope.
#[utoipa::path(get, path = "/agreements", tag = "program", operation_id = "list_agreements", params(AgreementQuery),
    responses((status = 200, body = Vec<AgreementSummaryDto>), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list_agreements(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AgreementQuery>,
) -> ApiResult<Json<Vec<AgreementSummaryDto>>> {
    if let Some(scope) = q.scope.as_deref().filter(|s| !s.is_empty()) {
        return Ok(Json(
            s.agreement_history(&actor, scope)
                .await?
                .into_iter()
                .map(|a| AgreementSummaryDto {
                    agreement: a.into(),
                    acceptances: 0,
                })
                .collect(),
        ));
    }
    Ok(Json(
        s.list_agreements(&actor)
            .await?
            .into_iter()
            .map(|a| AgreementSummaryDto {
                agreement: a.agreement.into(),
                acceptances: a.acceptances,
            })
            .collect(),
    ))
}

/// Publishes a new version; partners it applies to accept it before protected actions.
#[utoipa::path(post, path = "/agreements", tag = "program", operation_id = "publish_agreement", request_body = NewAgreement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = AgreementDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn publish_agreement(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<NewAgreement>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = AgreementInput {
        title: b.title,
        body: b.body,
        changes: b.changes,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.publish_agreement(&actor, &b.scope, b.current_version, &input)
            .await
            .map(AgreementDto::from)
    })
    .await
}

/// Reads one version (a partner: only versions that apply to it).
#[utoipa::path(get, path = "/agreements/{id}", tag = "program", operation_id = "get_agreement",
    params(("id" = uuid::Uuid, Path, description = "Agreement version id")),
    responses((status = 200, body = AgreementDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_agreement(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<AgreementId>,
) -> ApiResult<Json<AgreementDto>> {
    Ok(Json(s.get_agreement(&actor, id).await?.into()))
}

/// A partner admin accepts the current version for its organisation.
#[utoipa::path(post, path = "/agreements/{id}/accept", tag = "program", operation_id = "accept_agreement",
    params(("id" = uuid::Uuid, Path, description = "Agreement version id")),
    responses((status = 200, body = AcceptanceDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn accept_agreement(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<AgreementId>,
) -> ApiResult<Json<AcceptanceDto>> {
    Ok(Json(s.accept_agreement(&actor, id).await?.into()))
}

/// The agreement that applies to a partner and whether it accepted it; `null` when none is
/// published.
#[utoipa::path(get, path = "/partners/{id}/agreement", tag = "program", operation_id = "partner_agreement",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = Option<AgreementStatusDto>), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn agreement_status(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<Option<AgreementStatusDto>>> {
    Ok(Json(
        s.agreement_status(&actor, id)
            .await?
            .map(AgreementStatusDto::from),
    ))
}

/// Every acceptance of a partner, newest first.
#[utoipa::path(get, path = "/partners/{id}/acceptances", tag = "program", operation_id = "partner_acceptances",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = Vec<AcceptanceDto>), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn acceptances(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<Vec<AcceptanceDto>>> {
    Ok(Json(
        s.partner_acceptances(&actor, id)
            .await?
            .into_iter()
            .map(AcceptanceDto::from)
            .collect(),
    ))
}
