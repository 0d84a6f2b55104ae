//! Co-selling: co-sell requests both ways (a rep asks a partner for help on an account, a
//! partner asks the vendor for support on its deal) and their answers; the comp-credit report
//! of reps on partner-involved opportunities.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::cosell::credit::{CurrencyTotal, PartnerRole};
use trellis_domain::cosell::{Action, Direction, HelpKind, RequestStatus};
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::{
    AccountId, CoSellRequestId, DealRegistrationId, Money, OpportunityId, OrgId, UserId,
};
use trellis_service::Services;
use trellis_service::cosell::{
    CoSellInput, CoSellQuery, CoSellRequest, CompCreditQuery, CompCreditReport, CreditLine, Note,
    RepCredit,
};
use trellis_service::platform::PageRequest;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::crm::MoneyDto;
use super::dto::{instant, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(withdraw))
        .routes(routes!(complete))
        .routes(routes!(comp_credit))
}

/// Someone's step on a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteDto {
    /// When.
    pub at: String,
    /// Who.
    pub by: uuid::Uuid,
    /// Their name.
    pub by_name: String,
    /// Their note, or the reason for declining (may be empty).
    pub text: String,
}

impl From<Note> for NoteDto {
    fn from(n: Note) -> Self {
        Self {
            at: instant(n.at),
            by: n.by.as_uuid(),
            by_name: n.by_name,
            text: n.text,
        }
    }
}

/// A co-sell request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoSellRequestDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Short reference: `CS-1A2B3C4D`.
    pub reference: String,
    /// `vendor_to_partner` or `partner_to_vendor`.
    pub direction: Direction,
    /// The help asked for.
    pub kind: HelpKind,
    /// `open`, `accepted`, `declined`, `withdrawn` or `completed`.
    pub status: RequestStatus,
    /// The partner: asked, or asking.
    pub partner_id: uuid::Uuid,
    /// Its name.
    pub partner_name: String,
    /// The vendor account the help is for (vendor → partner).
    pub account_id: Option<uuid::Uuid>,
    /// Its name.
    pub account_name: Option<String>,
    /// The vendor opportunity the help is for.
    pub opportunity_id: Option<uuid::Uuid>,
    /// Its name.
    pub opportunity_name: Option<String>,
    /// The partner's registration the support is for (partner → vendor).
    pub registration_id: Option<uuid::Uuid>,
    /// The customer.
    pub customer_name: String,
    /// What is asked.
    pub message: String,
    /// Who asked.
    pub requested_by: uuid::Uuid,
    /// Their name.
    pub requested_by_name: String,
    /// Their e-mail address.
    pub requested_by_email: String,
    /// The answer: an accepting note or the reason for declining.
    pub answer: Option<NoteDto>,
    /// The withdrawal or completion.
    pub closing: Option<NoteDto>,
    /// Send back with a step.
    pub version: i64,
    /// Asked.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl From<CoSellRequest> for CoSellRequestDto {
    fn from(r: CoSellRequest) -> Self {
        Self {
            id: r.id.as_uuid(),
            reference: r.reference,
            direction: r.direction,
            kind: r.kind,
            status: r.status,
            partner_id: r.partner_id.as_uuid(),
            partner_name: r.partner_name,
            account_id: r.account_id.map(AccountId::as_uuid),
            account_name: r.account_name,
            opportunity_id: r.opportunity_id.map(OpportunityId::as_uuid),
            opportunity_name: r.opportunity_name,
            registration_id: r.registration_id.map(DealRegistrationId::as_uuid),
            customer_name: r.customer_name,
            message: r.message,
            requested_by: r.requested_by.as_uuid(),
            requested_by_name: r.requested_by_name,
            requested_by_email: r.requested_by_email,
            answer: r.answer.map(NoteDto::from),
            closing: r.closing.map(NoteDto::from),
            version: r.version,
            created_at: instant(r.created_at),
            updated_at: instant(r.updated_at),
        }
    }
}

/// A request for help. A vendor user names the partner and the account (or an opportunity);
/// a partner names one of its registrations, or the customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "intro", "message": "You know their CIO: could you introduce us before the renewal?",
    "partner_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "account_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"}))]
pub struct CoSellBody {
    /// `intro`, `technical`, `services` or `reference` (of a partner); `presales`, `pricing`,
    /// `executive` or `demo` (of the vendor); `other` (either way).
    pub kind: String,
    /// What you ask, in your words (required).
    pub message: String,
    /// The partner you ask (vendor users).
    pub partner_id: Option<uuid::Uuid>,
    /// The vendor account the help is for (vendor users; or give the opportunity).
    pub account_id: Option<uuid::Uuid>,
    /// One of its opportunities (vendor users).
    pub opportunity_id: Option<uuid::Uuid>,
    /// Your registration the support is for (partners).
    pub registration_id: Option<uuid::Uuid>,
    /// The customer, when you name no registration (partners).
    #[serde(default)]
    pub customer_name: String,
}

/// Asks the other side for co-selling help: a vendor user asks a partner, a partner asks the
/// vendor. The other side is e-mailed and `cosell.requested` is published.
#[utoipa::path(post, path = "/co-sell-requests", tag = "co-sell", operation_id = "request_cosell", request_body = CoSellBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = CoSellRequestDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<CoSellBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = CoSellInput {
        kind: b.kind,
        message: b.message,
        partner_id: b.partner_id.map(OrgId::from_uuid),
        account_id: b.account_id.map(AccountId::from_uuid),
        opportunity_id: b.opportunity_id.map(OpportunityId::from_uuid),
        registration_id: b.registration_id.map(DealRegistrationId::from_uuid),
        customer_name: b.customer_name,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        Box::pin(s.request_cosell(&actor, &input))
            .await
            .map(CoSellRequestDto::from)
    })
    .await
}

list_type!(CoSellList, CoSellRequestDto);

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoSellListQuery {
    /// `vendor_to_partner` or `partner_to_vendor`.
    #[param(inline)]
    pub direction: Option<Direction>,
    /// One status.
    #[param(inline)]
    pub status: Option<RequestStatus>,
    /// One partner (vendor users).
    pub partner_id: Option<uuid::Uuid>,
    /// Requests on one vendor account.
    pub account_id: Option<uuid::Uuid>,
    /// Requests on one vendor opportunity.
    pub opportunity_id: Option<uuid::Uuid>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// Co-sell requests, newest first: a partner sees its own organisation's.
#[utoipa::path(get, path = "/co-sell-requests", tag = "co-sell", operation_id = "list_cosell", params(CoSellListQuery),
    responses((status = 200, body = CoSellList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CoSellListQuery>,
) -> ApiResult<Json<CoSellList>> {
    let query = CoSellQuery {
        direction: q.direction,
        status: q.status,
        partner_id: q.partner_id.map(OrgId::from_uuid),
        account_id: q.account_id.map(AccountId::from_uuid),
        opportunity_id: q.opportunity_id.map(OpportunityId::from_uuid),
    };
    let page = PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let p = s.list_cosell(&actor, &query, &page).await?;
    Ok(Json(CoSellList::from_page(p, CoSellRequestDto::from)))
}

const ID: &str = "Co-sell request id";

/// Reads a co-sell request.
#[utoipa::path(get, path = "/co-sell-requests/{id}", tag = "co-sell", operation_id = "get_cosell",
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = CoSellRequestDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<CoSellRequestId>,
) -> ApiResult<Json<CoSellRequestDto>> {
    Ok(Json(s.get_cosell(&actor, id).await?.into()))
}

/// A step with an optional note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "note": "Our architect can join the workshop on Tuesday"}))]
pub struct NoteBody {
    /// The version you read.
    pub version: i64,
    /// A note for the other side.
    #[serde(default)]
    pub note: String,
}

/// Declining, with the reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "reason": "No capacity in that region this quarter"}))]
pub struct DeclineBody {
    /// The version you read.
    pub version: i64,
    /// Why not (required).
    pub reason: String,
}

async fn step(
    s: &Services,
    actor: &trellis_service::Actor,
    id: CoSellRequestId,
    (version, action, note): (i64, Action, &str),
) -> ApiResult<Json<CoSellRequestDto>> {
    let r = s.act_on_cosell(actor, id, version, action, note).await?;
    Ok(Json(r.into()))
}

/// Accepts a request made of your side (with an optional note). A partner that accepts a
/// request on an opportunity joins the opportunity as `co_sell`.
#[utoipa::path(post, path = "/co-sell-requests/{id}/accept", tag = "co-sell", operation_id = "accept_cosell", request_body = NoteBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = CoSellRequestDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn accept(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<CoSellRequestId>,
    body: ApiJson<NoteBody>,
) -> ApiResult<Json<CoSellRequestDto>> {
    let b = body.value;
    step(&s, &actor, id, (b.version, Action::Accept, &b.note)).await
}

/// Declines a request made of your side; the reason is required.
#[utoipa::path(post, path = "/co-sell-requests/{id}/decline", tag = "co-sell", operation_id = "decline_cosell", request_body = DeclineBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = CoSellRequestDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn decline(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<CoSellRequestId>,
    body: ApiJson<DeclineBody>,
) -> ApiResult<Json<CoSellRequestDto>> {
    let b = body.value;
    step(&s, &actor, id, (b.version, Action::Decline, &b.reason)).await
}

/// Withdraws a request your side made (open or accepted).
#[utoipa::path(post, path = "/co-sell-requests/{id}/withdraw", tag = "co-sell", operation_id = "withdraw_cosell", request_body = NoteBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = CoSellRequestDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn withdraw(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<CoSellRequestId>,
    body: ApiJson<NoteBody>,
) -> ApiResult<Json<CoSellRequestDto>> {
    let b = body.value;
    step(&s, &actor, id, (b.version, Action::Withdraw, &b.note)).await
}

/// Marks an accepted request completed: the help was given (either side).
#[utoipa::path(post, path = "/co-sell-requests/{id}/complete", tag = "co-sell", operation_id = "complete_cosell", request_body = NoteBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = CoSellRequestDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn complete(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<CoSellRequestId>,
    body: ApiJson<NoteBody>,
) -> ApiResult<Json<CoSellRequestDto>> {
    let b = body.value;
    step(&s, &actor, id, (b.version, Action::Complete, &b.note)).await
}

/// What the report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompCreditParams {
    /// First close date, `YYYY-MM-DD` (default: the first day of this quarter).
    pub from: Option<String>,
    /// Last close date, `YYYY-MM-DD` (default: the last day of this quarter).
    pub to: Option<String>,
    /// Credit rate on partner-sourced opportunities, percent with up to two decimals, 0–200
    /// (default 100).
    pub sourced_rate: Option<String>,
    /// Credit rate on co-sold opportunities (default 100).
    pub co_sell_rate: Option<String>,
    /// Credit rate on partner-influenced opportunities (default 100).
    pub influence_rate: Option<String>,
}

/// Credit rates in basis points (10000 = 100 %).
#[derive(Debug, Serialize, ToSchema)]
pub struct RatesDto {
    /// On partner-sourced opportunities.
    pub sourced: u32,
    /// On co-sold opportunities.
    pub co_sell: u32,
    /// On partner-influenced opportunities.
    pub influence: u32,
}

/// A partner on an opportunity of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinePartnerDto {
    /// The partner.
    pub partner_id: uuid::Uuid,
    /// Its name.
    pub partner_name: String,
    /// `sourced`, `co_sell` or `influence`.
    pub role: PartnerRole,
    /// The registration it came from.
    pub registration_id: Option<uuid::Uuid>,
}

/// One partner-involved opportunity and the rep's credit on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditLineDto {
    /// The opportunity.
    pub opportunity_id: uuid::Uuid,
    /// Its name.
    pub opportunity_name: String,
    /// Its account.
    pub account_id: Option<uuid::Uuid>,
    /// The account's name.
    pub account_name: Option<String>,
    /// Close date.
    pub close_date: String,
    /// `open`, `won` or `lost`.
    pub status: OpportunityStatus,
    /// Amount in its currency.
    pub amount: MoneyDto,
    /// The partners on it.
    pub partners: Vec<LinePartnerDto>,
    /// The role whose rate applied (the highest rate among the partners' roles).
    pub applied_role: PartnerRole,
    /// That rate, in basis points.
    pub rate: u32,
    /// The credit: amount × rate, rounded to the nearest minor unit (halves away from zero);
    /// zero when lost; for open opportunities, what they would earn.
    pub credit: MoneyDto,
}

/// One currency's figures of a rep.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrencyTotalDto {
    /// Won amounts.
    pub won_amount: MoneyDto,
    /// Credit earned on them.
    pub won_credit: MoneyDto,
    /// Open amounts.
    pub open_amount: MoneyDto,
    /// Credit they would earn.
    pub open_credit: MoneyDto,
    /// Lost amounts.
    pub lost_amount: MoneyDto,
}

impl From<CurrencyTotal> for CurrencyTotalDto {
    fn from(t: CurrencyTotal) -> Self {
        let m = |minor| Money::new(minor, t.currency).into();
        Self {
            won_amount: m(t.won_amount),
            won_credit: m(t.won_credit),
            open_amount: m(t.open_amount),
            open_credit: m(t.open_credit),
            lost_amount: m(t.lost_amount),
        }
    }
}

/// One rep's opportunities and totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepCreditDto {
    /// The rep, when the owner is a vendor user.
    pub owner_id: Option<uuid::Uuid>,
    /// Their name (as the CRM wrote it when not a user).
    pub owner_name: String,
    /// Their partner-involved opportunities, by close date.
    pub lines: Vec<CreditLineDto>,
    /// Totals per currency (amounts are never converted).
    pub totals: Vec<CurrencyTotalDto>,
}

/// The comp-credit report.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompCreditDto {
    /// First close date covered.
    pub from: String,
    /// Last close date covered.
    pub to: String,
    /// The rates applied.
    pub rates: RatesDto,
    /// Only your own opportunities (sales reps).
    pub own_only: bool,
    /// Per rep.
    pub reps: Vec<RepCreditDto>,
}

impl From<CreditLine> for CreditLineDto {
    fn from(l: CreditLine) -> Self {
        Self {
            opportunity_id: l.opportunity_id.as_uuid(),
            opportunity_name: l.opportunity_name,
            account_id: l.account_id.map(AccountId::as_uuid),
            account_name: l.account_name,
            close_date: l.close_date,
            status: l.status,
            amount: l.amount.into(),
            partners: l
                .partners
                .into_iter()
                .map(|p| LinePartnerDto {
                    partner_id: p.partner_id.as_uuid(),
                    partner_name: p.partner_name,
                    role: p.role,
                    registration_id: p.registration_id.map(DealRegistrationId::as_uuid),
                })
                .collect(),
            applied_role: l.role,
            rate: l.rate,
            credit: l.credit.into(),
        }
    }
}

impl From<RepCredit> for RepCreditDto {
    fn from(r: RepCredit) -> Self {
        Self {
            owner_id: r.owner_id.map(UserId::as_uuid),
            owner_name: r.owner_name,
            lines: r.lines.into_iter().map(CreditLineDto::from).collect(),
            totals: r.totals.into_iter().map(CurrencyTotalDto::from).collect(),
        }
    }
}

impl From<CompCreditReport> for CompCreditDto {
    fn from(r: CompCreditReport) -> Self {
        Self {
            from: r.from,
            to: r.to,
            rates: RatesDto {
                sourced: r.rates.sourced,
                co_sell: r.rates.co_sell,
                influence: r.rates.influence,
            },
            own_only: r.own_only,
            reps: r.reps.into_iter().map(RepCreditDto::from).collect(),
        }
    }
}

/// Comp credit for reps on partner-involved opportunities closing in a date range: per rep,
/// each opportunity with its partners and roles, and amount × the rate of the applied role.
/// Totals are per currency, never converted. A sales rep sees only their own opportunities.
#[utoipa::path(get, path = "/reports/comp-credit", tag = "co-sell", operation_id = "comp_credit_report", params(CompCreditParams),
    responses((status = 200, body = CompCreditDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn comp_credit(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CompCreditParams>,
) -> ApiResult<Json<CompCreditDto>> {
    let query = CompCreditQuery {
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        sourced_rate: q.sourced_rate.unwrap_or_default(),
        co_sell_rate: q.co_sell_rate.unwrap_or_default(),
        influence_rate: q.influence_rate.unwrap_or_default(),
    };
    Ok(Json(s.comp_credit(&actor, &query).await?.into()))
}
