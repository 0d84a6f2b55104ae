//! Ecosystem metrics: the program's figures for a period and segment, one partner's, the
//! deals behind a figure, a refresh on demand, and the program's costs (entered, imported,
//! removed). The results are the service's own types: plain data, one definition.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::metrics::Origin;
use trellis_domain::{CostId, OrgId};
use trellis_service::Services;
use trellis_service::metrics::{
    Adoption, Cost, CostImport, CostInput, CostQuery, Dashboard, DealLine, Drill, MetricsQuery,
    PartnerDashboard, Period,
};
use trellis_service::platform::PageRequest;
use trellis_service::psat::ProgramPsat;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Ack, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(partner_dashboard))
        .routes(routes!(deals))
        .routes(routes!(psat))
        .routes(routes!(adoption))
        .routes(routes!(refresh))
        .routes(routes!(list_costs, create_cost))
        .routes(routes!(delete_cost))
        .routes(routes!(import_costs))
}

/// The period and segments of a figure.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day, `YYYY-MM-DD`; eleven months before the last day's month when absent.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`; today when absent.
    pub to: Option<String>,
    /// The account's industry.
    pub industry: Option<String>,
    /// The account's country (ISO code).
    pub country: Option<String>,
    /// The account's size band: `1–49`, `50–249`, `250–999`, `1,000–4,999`, `5,000+`.
    pub size_band: Option<String>,
    /// The lead partner's type.
    pub partner_type: Option<String>,
    /// The lead partner's tier.
    pub tier: Option<String>,
}

impl PeriodQuery {
    fn check(self, s: &Services) -> ApiResult<Period> {
        let query = MetricsQuery {
            from: self.from.unwrap_or_default(),
            to: self.to.unwrap_or_default(),
            industry: self.industry.unwrap_or_default(),
            country: self.country.unwrap_or_default(),
            size_band: self.size_band.unwrap_or_default(),
            partner_type: self.partner_type.unwrap_or_default(),
            tier: self.tier.unwrap_or_default(),
        };
        Ok(query.check(s.now())?)
    }
}

/// The program's figures for a period: per origin (partner-sourced, partner-influenced,
/// direct) with win rate, deal size, cycle and pipeline velocity; won revenue per month; per
/// partner, partner type and tier with attributed revenue, costs and ROPI; CLTV and CAC of the
/// partner and direct channels. Figures come from the last refresh (`refreshed`).
#[utoipa::path(get, path = "/metrics/dashboard", tag = "metrics", operation_id = "metrics_dashboard",
    params(PeriodQuery),
    responses((status = 200, body = Dashboard), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn dashboard(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Dashboard>> {
    let period = q.check(&s)?;
    Ok(Json(s.metrics_dashboard(&actor, &period).await?))
}

/// Partner satisfaction over a period, every survey together: responses, score, NPS, per
/// quarter, and the partners scoring lowest in the last quarter beside their quarter before.
/// Segments do not apply.
#[utoipa::path(get, path = "/metrics/psat", tag = "metrics", operation_id = "metrics_psat",
    params(PeriodQuery),
    responses((status = 200, body = ProgramPsat), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn psat(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<ProgramPsat>> {
    let period = q.check(&s)?;
    Ok(Json(s.program_psat(&actor, &period).await?))
}

/// Platform adoption over a period: partner users and partners active, user-days of use, deals
/// registered, per month. Segments do not apply.
#[utoipa::path(get, path = "/metrics/adoption", tag = "metrics", operation_id = "metrics_adoption",
    params(PeriodQuery),
    responses((status = 200, body = Adoption), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn adoption(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Adoption>> {
    let period = q.check(&s)?;
    Ok(Json(s.adoption(&actor, &period).await?))
}

/// One partner's figures for a period: the vendor's view, or a partner user's own.
#[utoipa::path(get, path = "/metrics/partners/{id}", tag = "metrics", operation_id = "partner_metrics_dashboard",
    params(("id" = uuid::Uuid, Path, description = "Partner id"), PeriodQuery),
    responses((status = 200, body = PartnerDashboard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn partner_dashboard(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<PartnerDashboard>> {
    let period = q.check(&s)?;
    Ok(Json(s.partner_dashboard(&actor, id, &period).await?))
}

/// Which deals behind a figure.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DealsQuery {
    /// First day.
    pub from: Option<String>,
    /// Last day.
    pub to: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Size band.
    pub size_band: Option<String>,
    /// Lead partner type.
    pub partner_type: Option<String>,
    /// Lead partner tier.
    pub tier: Option<String>,
    /// `opened` (deals opened in the period, the default) or `closed`.
    pub measure: Option<String>,
    /// `sourced`, `influenced` or `direct` (for a partner: its role).
    #[param(value_type = Option<String>)]
    pub origin: Option<Origin>,
    /// `open`, `won` or `lost`.
    pub status: Option<String>,
    /// One partner's deals.
    pub partner_id: Option<uuid::Uuid>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

list_type!(DealLineList, DealLine);

/// The deals behind a figure, by day.
#[utoipa::path(get, path = "/metrics/deals", tag = "metrics", operation_id = "metrics_deals",
    params(DealsQuery),
    responses((status = 200, body = DealLineList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn deals(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<DealsQuery>,
) -> ApiResult<Json<DealLineList>> {
    let closed = match q.measure.as_deref() {
        None | Some("opened") => false,
        Some("closed") => true,
        Some(_) => {
            return Err(crate::error::ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "measure",
                "must be opened or closed",
            ));
        }
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<OpportunityStatus>().map_err(|_| {
            crate::error::ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "status",
                "must be open, won or lost",
            )
        })?),
    };
    let drill = Drill {
        closed,
        origin: q.origin,
        status,
        partner: q.partner_id.map(OrgId::from_uuid),
    };
    let page = PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let period = PeriodQuery {
        from: q.from,
        to: q.to,
        industry: q.industry,
        country: q.country,
        size_band: q.size_band,
        partner_type: q.partner_type,
        tier: q.tier,
    }
    .check(&s)?;
    let p = s.metrics_deals(&actor, &period, &drill, &page).await?;
    Ok(Json(DealLineList::from_page(p, |l| l)))
}

/// Queues a refresh of the figures now, ahead of the hourly one.
#[utoipa::path(post, path = "/metrics/refresh", tag = "metrics", operation_id = "refresh_metrics",
    responses((status = 202, body = Ack), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn refresh(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<(StatusCode, Json<Ack>)> {
    s.queue_metrics_refresh(&actor).await?;
    Ok((StatusCode::ACCEPTED, Json(Ack { ok: true })))
}

/// Which costs.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CostListQuery {
    /// First day incurred.
    pub from: Option<String>,
    /// Last day incurred.
    pub to: Option<String>,
    /// One partner's.
    pub partner_id: Option<uuid::Uuid>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

list_type!(CostList, Cost);

/// Costs incurred in a period (the last twelve months by default), newest first.
#[utoipa::path(get, path = "/costs", tag = "metrics", operation_id = "list_costs", params(CostListQuery),
    responses((status = 200, body = CostList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list_costs(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CostListQuery>,
) -> ApiResult<Json<CostList>> {
    let query = CostQuery {
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        partner: q.partner_id.map(OrgId::from_uuid),
    };
    let page = PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let p = s.costs(&actor, &query, &page).await?;
    Ok(Json(CostList::from_page(p, |c| c)))
}

/// A cost to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partner_id": "0193b3c2-7f00-7000-8000-000000000001", "category": "mdf", "amount": "12500.00", "currency": "EUR", "incurred_on": "2026-03-31", "note": "Spring roadshow"}))]
pub struct CostBody {
    /// `partner` (with `partner_id`), `program` or `direct`; `partner` when a partner is
    /// named, else `program`.
    #[serde(default)]
    pub channel: String,
    /// The partner, for a partner's cost.
    pub partner_id: Option<uuid::Uuid>,
    /// `mdf`, `incentive`, `enablement`, `tech`, `sales`, `marketing` or `other`.
    pub category: String,
    /// The amount as a decimal string, `12500.00`.
    pub amount: String,
    /// ISO 4217 code; the reporting currency when absent.
    #[serde(default)]
    pub currency: String,
    /// The day it was incurred, `YYYY-MM-DD`; not in the future.
    pub incurred_on: String,
    /// What it was.
    #[serde(default)]
    pub note: String,
}

/// Records a cost; `cost.recorded` is published.
#[utoipa::path(post, path = "/costs", tag = "metrics", operation_id = "create_cost", request_body = CostBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe retries")),
    responses((status = 201, body = Cost), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_cost(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<CostBody>,
) -> ApiResult<axum::response::Response> {
    let b = &body.value;
    let input = CostInput {
        channel: b.channel.clone(),
        partner: b.partner_id.map(OrgId::from_uuid),
        category: b.category.clone(),
        amount: b.amount.clone(),
        currency: b.currency.clone(),
        incurred_on: b.incurred_on.clone(),
        note: b.note.clone(),
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.record_cost(&actor, &input, "api").await
    })
    .await
}

/// Removes a cost; `cost.removed` is published.
#[utoipa::path(delete, path = "/costs/{id}", tag = "metrics", operation_id = "delete_cost",
    params(("id" = uuid::Uuid, Path, description = "Cost id")),
    responses((status = 200, body = Cost), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn delete_cost(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<CostId>,
) -> ApiResult<Json<Cost>> {
    Ok(Json(s.remove_cost(&actor, id).await?))
}

/// Records the costs of a CSV file, every row or none: columns partner (name or id, for a
/// partner's cost), channel (`partner`, `program`, `direct`), category, amount, currency, date,
/// note. A bad cell is named by line and column; `costs.imported` is published.
#[utoipa::path(post, path = "/costs/import", tag = "metrics", operation_id = "import_costs",
    request_body(content = String, content_type = "text/csv", description = "Partner,Channel,Category,Amount,Currency,Date,Note"),
    responses((status = 201, body = CostImport), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn import_costs(
    State(s): State<Services>,
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<CostImport>)> {
    let bytes = super::imports::csv_body(&state, &headers, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(s.import_costs(&actor, &bytes).await?),
    ))
}
