//! Attribution: touchpoints on opportunities and accounts, and recorded runs of the
//! attribution models (run, read, replay on the same journeys, compare).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::attribution::{TouchpointKind, TouchpointOrigin};
use trellis_domain::{AccountId, ModelRunId, OpportunityId, OrgId, TouchpointId};
use trellis_service::Services;
use trellis_service::attribution::{
    ChannelFigure, Comparison, Cut, CutSummary, FxRate, FxRateInput, ModelParams, ModelRun,
    RunInput, Touchpoint, TouchpointInput, TouchpointQuery,
};
use trellis_service::platform::PageRequest;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::crm::MoneyDto;
use super::dto::{Ack, instant, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_touchpoint, list_touchpoints))
        .routes(routes!(import_touchpoints))
        .routes(routes!(get_touchpoint, delete_touchpoint))
        .routes(routes!(opportunity_touchpoints))
        .routes(routes!(run_model, list_runs))
        .routes(routes!(get_run))
        .routes(routes!(replay_run))
        .routes(routes!(compare_runs))
        .routes(routes!(list_rates, set_rate, delete_rate))
}

/// A touch by a partner (or a channel) on a vendor opportunity or account.
#[derive(Debug, Serialize, ToSchema)]
pub struct TouchpointDto {
    /// Id.
    pub id: uuid::Uuid,
    /// The opportunity touched.
    pub opportunity_id: Option<uuid::Uuid>,
    /// Its name.
    pub opportunity_name: Option<String>,
    /// The account touched.
    pub account_id: Option<uuid::Uuid>,
    /// Its name.
    pub account_name: Option<String>,
    /// The partner that made the touch.
    pub partner_id: Option<uuid::Uuid>,
    /// The partner's name, else the channel's: what attribution credits.
    pub channel: String,
    /// What was done.
    pub kind: TouchpointKind,
    /// When.
    pub occurred_at: String,
    /// Who made or entered it.
    pub actor_id: Option<uuid::Uuid>,
    /// Their name.
    pub actor_label: String,
    /// `registration` and `co_sell`: captured by Trellis; `manual`, `import`, `backfill`.
    pub origin: TouchpointOrigin,
    /// A note.
    pub note: String,
    /// Recorded.
    pub created_at: String,
}

impl From<Touchpoint> for TouchpointDto {
    fn from(t: Touchpoint) -> Self {
        Self {
            id: t.id.as_uuid(),
            opportunity_id: t.opportunity_id.map(OpportunityId::as_uuid),
            opportunity_name: t.opportunity_name,
            account_id: t.account_id.map(AccountId::as_uuid),
            account_name: t.account_name,
            partner_id: t.partner_id.map(OrgId::as_uuid),
            channel: t.channel,
            kind: t.kind,
            occurred_at: instant(t.occurred_at),
            actor_id: t.actor_id.map(trellis_domain::UserId::as_uuid),
            actor_label: t.actor_label,
            origin: t.origin,
            note: t.note,
            created_at: instant(t.created_at),
        }
    }
}

/// A touchpoint to record: a partner or a channel, on an opportunity or an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opportunity_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "partner_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "kind": "influence",
    "occurred_at": "2026-10-14", "note": "Reference call with their CTO"}))]
pub struct TouchpointBody {
    /// The opportunity touched.
    pub opportunity_id: Option<uuid::Uuid>,
    /// The account touched, when no opportunity is.
    pub account_id: Option<uuid::Uuid>,
    /// The partner that made the touch.
    pub partner_id: Option<uuid::Uuid>,
    /// Or the channel, when no partner did (`AWS Marketplace`, `Spring webinar`).
    #[serde(default)]
    pub channel: String,
    /// `sourced`, `referral`, `co_sell`, `influence`, `marketplace` or `campaign`.
    pub kind: String,
    /// `YYYY-MM-DD` or an RFC 3339 instant; now when absent.
    #[serde(default)]
    pub occurred_at: String,
    /// A note (at most 1,000 characters).
    #[serde(default)]
    pub note: String,
}

/// Records a touchpoint; `touchpoint.recorded` is published.
#[utoipa::path(post, path = "/touchpoints", tag = "attribution", operation_id = "create_touchpoint", request_body = TouchpointBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = TouchpointDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_touchpoint(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<TouchpointBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = TouchpointInput {
        opportunity_id: b.opportunity_id.map(OpportunityId::from_uuid),
        account_id: b.account_id.map(AccountId::from_uuid),
        partner_id: b.partner_id.map(OrgId::from_uuid),
        channel: b.channel,
        kind: b.kind,
        occurred_at: b.occurred_at,
        note: b.note,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.record_touchpoint(&actor, &input)
            .await
            .map(TouchpointDto::from)
    })
    .await
}

list_type!(TouchpointList, TouchpointDto);

/// What an import wrote.
#[derive(Debug, Serialize, ToSchema)]
pub struct TouchpointImportDto {
    /// Touchpoints recorded: one per row.
    pub created: usize,
}

/// Records the touchpoints of a CSV file, every row or none: columns for the opportunity (its
/// Trellis id or CRM id), the partner (name or id) or a channel, the kind, the date and an
/// optional note. A bad cell is named by line and column; `touchpoints.imported` is published.
#[utoipa::path(post, path = "/touchpoints/import", tag = "attribution", operation_id = "import_touchpoints",
    request_body(content = String, content_type = "text/csv", description = "Opportunity ID,Partner,Channel,Kind,Date,Note"),
    responses((status = 201, body = TouchpointImportDto), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn import_touchpoints(
    State(s): State<Services>,
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<TouchpointImportDto>)> {
    let bytes = super::imports::csv_body(&state, &headers, body).await?;
    let done = s.import_touchpoints(&actor, &bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(TouchpointImportDto {
            created: done.created,
        }),
    ))
}

/// Touchpoint filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TouchpointListQuery {
    /// On one opportunity.
    pub opportunity_id: Option<uuid::Uuid>,
    /// On one account.
    pub account_id: Option<uuid::Uuid>,
    /// By one partner.
    pub partner_id: Option<uuid::Uuid>,
    /// Of one kind.
    #[param(inline)]
    pub kind: Option<TouchpointKind>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// Touchpoints, latest first.
#[utoipa::path(get, path = "/touchpoints", tag = "attribution", operation_id = "list_touchpoints", params(TouchpointListQuery),
    responses((status = 200, body = TouchpointList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list_touchpoints(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TouchpointListQuery>,
) -> ApiResult<Json<TouchpointList>> {
    let query = TouchpointQuery {
        opportunity_id: q.opportunity_id.map(OpportunityId::from_uuid),
        account_id: q.account_id.map(AccountId::from_uuid),
        partner_id: q.partner_id.map(OrgId::from_uuid),
        kind: q.kind,
    };
    let page = PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let p = s.touchpoints(&actor, &query, &page).await?;
    Ok(Json(TouchpointList::from_page(p, TouchpointDto::from)))
}

/// Reads a touchpoint.
#[utoipa::path(get, path = "/touchpoints/{id}", tag = "attribution", operation_id = "get_touchpoint",
    params(("id" = uuid::Uuid, Path, description = "Touchpoint id")),
    responses((status = 200, body = TouchpointDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_touchpoint(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TouchpointId>,
) -> ApiResult<Json<TouchpointDto>> {
    Ok(Json(s.touchpoint(&actor, id).await?.into()))
}

/// Removes a touchpoint (captured ones too); `touchpoint.removed` is published.
#[utoipa::path(delete, path = "/touchpoints/{id}", tag = "attribution", operation_id = "delete_touchpoint",
    params(("id" = uuid::Uuid, Path, description = "Touchpoint id")),
    responses((status = 200, body = Ack), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn delete_touchpoint(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TouchpointId>,
) -> ApiResult<Json<Ack>> {
    s.remove_touchpoint(&actor, id).await?;
    Ok(Json(Ack { ok: true }))
}

/// An opportunity's journey: its touchpoints and those on its account that no opportunity
/// claims, oldest first.
#[utoipa::path(get, path = "/opportunities/{id}/touchpoints", tag = "attribution", operation_id = "opportunity_touchpoints",
    params(("id" = uuid::Uuid, Path, description = "Opportunity id")),
    responses((status = 200, body = Vec<TouchpointDto>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn opportunity_touchpoints(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OpportunityId>,
) -> ApiResult<Json<Vec<TouchpointDto>>> {
    let list = s.opportunity_touchpoints(&actor, id).await?;
    Ok(Json(list.into_iter().map(TouchpointDto::from).collect()))
}

/// A model and its parameters; parameters of other models are refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"model": "shapley", "exact_max": 10, "seed": 7}))]
pub struct ModelParamsDto {
    /// `first`, `last`, `linear`, `time-decay`, `u`, `w`, `markov` or `shapley`.
    pub model: String,
    /// Markov: the chain's order, 1 to 4 [default 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<usize>,
    /// Time-decay: a touch this many days older counts half as much [default 30].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_days: Option<f64>,
    /// U: first and last shares [default 0.4, 0.4]; W: first, middle (the sourced touch),
    /// last [default 0.3 each].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// Shapley: journeys with more distinct partners than this are sampled [default 12].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_max: Option<usize>,
    /// Shapley: random orders per sampled set [default 2000].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permutations: Option<usize>,
    /// Shapley: the seed of the random orders [default 0].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl From<ModelParamsDto> for ModelParams {
    fn from(p: ModelParamsDto) -> Self {
        Self {
            model: p.model,
            order: p.order,
            half_life_days: p.half_life_days,
            weights: p.weights,
            exact_max: p.exact_max,
            permutations: p.permutations,
            seed: p.seed,
        }
    }
}

impl From<ModelParams> for ModelParamsDto {
    fn from(p: ModelParams) -> Self {
        Self {
            model: p.model,
            order: p.order,
            half_life_days: p.half_life_days,
            weights: p.weights,
            exact_max: p.exact_max,
            permutations: p.permutations,
            seed: p.seed,
        }
    }
}

/// What to run: a model over the opportunities closed in a date range.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"model": "markov", "order": 2, "from": "2026-01-01", "to": "2026-09-30"}))]
pub struct RunBody {
    /// `first`, `last`, `linear`, `time-decay`, `u`, `w`, `markov` or `shapley`.
    pub model: String,
    /// Markov: the chain's order, 1 to 4 [default 1].
    pub order: Option<usize>,
    /// Time-decay: a touch this many days older counts half as much [default 30].
    pub half_life_days: Option<f64>,
    /// U: first and last shares; W: first, middle (the sourced touch), last.
    pub weights: Option<Vec<f64>>,
    /// Shapley: journeys with more distinct partners than this are sampled [default 12].
    pub exact_max: Option<usize>,
    /// Shapley: random orders per sampled set [default 2000].
    pub permutations: Option<usize>,
    /// Shapley: the seed of the random orders [default 0].
    pub seed: Option<u64>,
    /// First close date, `YYYY-MM-DD` [default: a year before `to`].
    #[serde(default)]
    pub from: String,
    /// Last close date, `YYYY-MM-DD` [default: today].
    #[serde(default)]
    pub to: String,
    /// Days before the close within which touches on the account count [default 365].
    pub lookback_days: Option<u32>,
}

/// The data a run read.
#[derive(Debug, Serialize, ToSchema)]
pub struct CutDto {
    /// First close date.
    pub from: String,
    /// Last close date.
    pub to: String,
    /// The reporting currency; deals in others convert at their close date's rate.
    pub currency: String,
    /// Days before the close within which account touches count.
    pub lookback_days: u32,
    /// Deals won in the range (reporting currency).
    pub won: u64,
    /// Deals lost in the range.
    pub lost: u64,
    /// Their won amount, in minor units.
    pub won_amount_minor: i64,
    /// Won deals with a touch: the conversions modelled.
    pub touched_won: u64,
    /// Lost deals with a touch.
    pub touched_lost: u64,
    /// The revenue attributed (the touched won amount), in minor units.
    pub attributed_amount_minor: i64,
    /// Touches read.
    pub touches: u64,
    /// Closed deals converted from another currency at their close date's rate.
    pub converted: u64,
    /// Closed deals left out: no exchange rate for their currency on their close date.
    pub no_rate: u64,
}

impl CutDto {
    fn of(c: Cut, s: &CutSummary) -> Self {
        Self {
            from: c.from,
            to: c.to,
            currency: c.currency,
            lookback_days: c.lookback_days,
            won: s.won,
            lost: s.lost,
            won_amount_minor: s.won_amount_minor,
            touched_won: s.touched_won,
            touched_lost: s.touched_lost,
            attributed_amount_minor: s.attributed_amount_minor,
            touches: s.touches,
            converted: s.converted,
            no_rate: s.no_rate,
        }
    }
}

/// What a run credited one channel with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelFigureDto {
    /// The partner's name, or the channel's.
    pub channel: String,
    /// The partner.
    pub partner_id: Option<uuid::Uuid>,
    /// Attributed conversions (won deals, in fractions).
    pub conversions: f64,
    /// Sampled Shapley values: the bound on the error of the conversions (95 %).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions_error: Option<f64>,
    /// Attributed revenue; the channels' parts sum exactly to the revenue attributed.
    pub value: MoneyDto,
}

impl From<ChannelFigure> for ChannelFigureDto {
    fn from(c: ChannelFigure) -> Self {
        Self {
            channel: c.channel,
            partner_id: c.partner_id.map(OrgId::as_uuid),
            conversions: c.conversions,
            conversions_error: c.conversions_error,
            value: c.value.into(),
        }
    }
}

/// A recorded model run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelRunDto {
    /// Id.
    pub id: uuid::Uuid,
    /// The model and its parameters, defaults filled in.
    pub params: ModelParamsDto,
    /// The data it read.
    pub cut: CutDto,
    /// The run whose journeys it replayed.
    pub replay_of: Option<uuid::Uuid>,
    /// Per channel, largest value first.
    pub channels: Vec<ChannelFigureDto>,
    /// What the model found on the way (Markov: removal effects per channel and the
    /// conversion probability; Shapley: sets solved and sampled).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Who ran it.
    pub created_by: Option<uuid::Uuid>,
    /// Their name.
    pub created_by_name: String,
    /// When.
    pub created_at: String,
}

impl From<ModelRun> for ModelRunDto {
    fn from(r: ModelRun) -> Self {
        Self {
            id: r.id.as_uuid(),
            params: r.params.into(),
            cut: CutDto::of(r.cut, &r.summary),
            replay_of: r.replay_of.map(ModelRunId::as_uuid),
            channels: r.channels.into_iter().map(ChannelFigureDto::from).collect(),
            details: r.details,
            created_by: r.created_by.map(trellis_domain::UserId::as_uuid),
            created_by_name: r.created_by_name,
            created_at: instant(r.created_at),
        }
    }
}

/// Runs a model over the deals closed in a date range and records the run with the journeys
/// it read.
#[utoipa::path(post, path = "/attribution/runs", tag = "attribution", operation_id = "run_model", request_body = RunBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = ModelRunDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn run_model(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<RunBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = RunInput {
        params: ModelParams {
            model: b.model,
            order: b.order,
            half_life_days: b.half_life_days,
            weights: b.weights,
            exact_max: b.exact_max,
            permutations: b.permutations,
            seed: b.seed,
        },
        from: b.from,
        to: b.to,
        lookback_days: b.lookback_days,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.run_model(&actor, &input).await.map(ModelRunDto::from)
    })
    .await
}

list_type!(ModelRunList, ModelRunDto);

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// Recorded runs, latest first.
#[utoipa::path(get, path = "/attribution/runs", tag = "attribution", operation_id = "list_model_runs", params(RunListQuery),
    responses((status = 200, body = ModelRunList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list_runs(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RunListQuery>,
) -> ApiResult<Json<ModelRunList>> {
    let page = PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let p = s.model_runs(&actor, &page).await?;
    Ok(Json(ModelRunList::from_page(p, ModelRunDto::from)))
}

const RUN_ID: &str = "Model run id";

/// Reads a run as it was recorded.
#[utoipa::path(get, path = "/attribution/runs/{id}", tag = "attribution", operation_id = "get_model_run",
    params(("id" = uuid::Uuid, Path, description = RUN_ID)),
    responses((status = 200, body = ModelRunDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_run(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ModelRunId>,
) -> ApiResult<Json<ModelRunDto>> {
    Ok(Json(s.model_run(&actor, id).await?.into()))
}

/// Runs a model (with its own parameters) on exactly the journeys a run read, and records it
/// as a new run.
#[utoipa::path(post, path = "/attribution/runs/{id}/replay", tag = "attribution", operation_id = "replay_model_run", request_body = ModelParamsDto,
    params(("id" = uuid::Uuid, Path, description = RUN_ID)),
    responses((status = 201, body = ModelRunDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn replay_run(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ModelRunId>,
    body: ApiJson<ModelParamsDto>,
) -> ApiResult<(StatusCode, Json<ModelRunDto>)> {
    let run = s.replay_run(&actor, id, &body.value.into()).await?;
    Ok((StatusCode::CREATED, Json(run.into())))
}

/// The other run.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// The run to compare with (required).
    pub with: Option<uuid::Uuid>,
}

/// One channel in both runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonRowDto {
    /// The channel.
    pub channel: String,
    /// Its value in the first run (zero when absent).
    pub a: MoneyDto,
    /// In the second.
    pub b: MoneyDto,
    /// `b − a`.
    pub change: MoneyDto,
    /// Attributed conversions in the first run.
    pub a_conversions: f64,
    /// In the second.
    pub b_conversions: f64,
}

/// Two runs side by side.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonDto {
    /// The first run.
    pub a: ModelRunDto,
    /// The second run.
    pub b: ModelRunDto,
    /// Every channel of either, largest change first.
    pub rows: Vec<ComparisonRowDto>,
}

impl From<Comparison> for ComparisonDto {
    fn from(c: Comparison) -> Self {
        Self {
            a: c.a.into(),
            b: c.b.into(),
            rows: c
                .rows
                .into_iter()
                .map(|r| ComparisonRowDto {
                    channel: r.channel,
                    a: r.a.into(),
                    b: r.b.into(),
                    change: r.change.into(),
                    a_conversions: r.a_conversions,
                    b_conversions: r.b_conversions,
                })
                .collect(),
        }
    }
}

/// Two runs channel by channel.
#[utoipa::path(get, path = "/attribution/runs/{id}/compare", tag = "attribution", operation_id = "compare_model_runs",
    params(("id" = uuid::Uuid, Path, description = RUN_ID), CompareQuery),
    responses((status = 200, body = ComparisonDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn compare_runs(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ModelRunId>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> ApiResult<Json<ComparisonDto>> {
    let c = s
        .compare_runs(&actor, id, q.with.map(ModelRunId::from_uuid))
        .await?;
    Ok(Json(c.into()))
}

/// An exchange rate into the reporting currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct FxRateDto {
    /// The currency converted (ISO 4217).
    pub currency: String,
    /// The reporting currency it converts into.
    pub quote: String,
    /// First day it applies (until the next rate of the currency), `YYYY-MM-DD`.
    pub valid_from: String,
    /// Reporting-currency units per unit, as a decimal string: `"1.0825"`.
    pub rate: String,
    /// Who set it.
    pub created_by_name: String,
    /// When.
    pub created_at: String,
}

impl From<FxRate> for FxRateDto {
    fn from(r: FxRate) -> Self {
        Self {
            currency: r.currency,
            quote: r.quote,
            valid_from: r.valid_from,
            rate: r.rate,
            created_by_name: r.created_by_name,
            created_at: instant(r.created_at),
        }
    }
}

/// A rate to set: replaces the currency's rate of the same day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"currency": "EUR", "valid_from": "2026-10-01", "rate": "1.0825"}))]
pub struct FxRateBody {
    /// ISO 4217 code.
    pub currency: String,
    /// First day it applies, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Reporting-currency units per unit, as a decimal string (up to nine decimals).
    pub rate: String,
}

/// Exchange rates into the reporting currency, by currency and date. Closed deals convert at
/// the rate valid on their close date.
#[utoipa::path(get, path = "/fx-rates", tag = "attribution", operation_id = "list_fx_rates",
    responses((status = 200, body = Vec<FxRateDto>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_rates(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<FxRateDto>>> {
    let rates = s.fx_rates(&actor).await?;
    Ok(Json(rates.into_iter().map(FxRateDto::from).collect()))
}

/// Sets an exchange rate into the reporting currency.
#[utoipa::path(post, path = "/fx-rates", tag = "attribution", operation_id = "set_fx_rate", request_body = FxRateBody,
    responses((status = 200, body = FxRateDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn set_rate(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<FxRateBody>,
) -> ApiResult<Json<FxRateDto>> {
    let b = body.value;
    let input = FxRateInput {
        currency: b.currency,
        valid_from: b.valid_from,
        rate: b.rate,
    };
    Ok(Json(s.set_fx_rate(&actor, &input).await?.into()))
}

/// Which rate to remove.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FxRateKey {
    /// ISO 4217 code.
    pub currency: String,
    /// The day it applies from, `YYYY-MM-DD`.
    pub valid_from: String,
}

/// Removes an exchange rate.
#[utoipa::path(delete, path = "/fx-rates", tag = "attribution", operation_id = "delete_fx_rate", params(FxRateKey),
    responses((status = 200, body = Ack), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn delete_rate(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<FxRateKey>,
) -> ApiResult<Json<Ack>> {
    s.remove_fx_rate(&actor, &q.currency, &q.valid_from).await?;
    Ok(Json(Ack { ok: true }))
}
