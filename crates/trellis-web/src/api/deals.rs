//! Deal registration: partners register and update deals and check a customer for
//! conflicts first; channel managers review with every candidate conflict and the rules'
//! advice, decide, settle disputes and extensions, and convert approved registrations into
//! opportunities. The rules of engagement are readable by everyone signed in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::deals::{DealStage, DealStatus, Decision, EngagementPolicy, Verdict};
use trellis_domain::{AccountId, DealRegistrationId, OpportunityId, OrgId, UserId};
use trellis_service::Services;
use trellis_service::deals::{
    CompanyProbe, ConflictCandidate, ConflictCheck, Conversion, DealQuery, DealUpdate, Involvement,
    PolicyVersion, Registration, RegistrationInput, Review, TrailStep,
};
use trellis_service::platform::PageRequest;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::crm::{MoneyDto, OpportunityDto};
use super::dto::{instant, instant_opt, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register, list))
        .routes(routes!(check))
        .routes(routes!(get, update))
        .routes(routes!(trail))
        .routes(routes!(review))
        .routes(routes!(decide))
        .routes(routes!(resolve))
        .routes(routes!(withdraw))
        .routes(routes!(dispute))
        .routes(routes!(settle_dispute))
        .routes(routes!(request_extension))
        .routes(routes!(decide_extension))
        .routes(routes!(convert))
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(policy_versions))
        .routes(routes!(policy_version))
        .routes(routes!(opportunity_partners))
}

/// A decision on a registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionDto {
    /// When.
    pub at: String,
    /// Who (absent when the rules decided on their own).
    pub by: Option<uuid::Uuid>,
    /// The rule: `auto_approval`, `existing_customer`, `direct_opportunity`,
    /// `first_registration`, `manual` or `protection_expired`.
    pub rule: String,
    /// Why.
    pub reason: String,
}

/// An open request of the partner (extension or dispute).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestDto {
    /// When.
    pub at: String,
    /// The partner's reason.
    pub reason: String,
}

/// A deal registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Short reference: `DR-1A2B3C4D`.
    pub reference: String,
    /// The registering partner.
    pub partner_id: uuid::Uuid,
    /// Its name.
    pub partner_name: String,
    /// The partner user who submitted it.
    pub submitted_by: uuid::Uuid,
    /// Customer company.
    pub company_name: String,
    /// Website.
    pub website: String,
    /// Registrable domain (of the website, else of the contact's company e-mail).
    pub domain: String,
    /// ISO 3166 alpha-2 country, or empty.
    pub country: String,
    /// Customer contact.
    pub contact_name: String,
    /// Their e-mail.
    pub contact_email: String,
    /// Their phone.
    pub contact_phone: String,
    /// Product.
    pub product: String,
    /// Expected amount.
    pub amount: MoneyDto,
    /// Expected close, `YYYY-MM-DD`.
    pub expected_close: String,
    /// Description.
    pub description: String,
    /// `pending`, `approved`, `rejected`, `expired` or `withdrawn`.
    pub status: DealStatus,
    /// `discovery`, `qualified`, `proposal`, `negotiation`, `won` or `lost`.
    pub stage: DealStage,
    /// Next step.
    pub next_step: String,
    /// The rules of engagement version it was submitted under.
    pub policy_version: i64,
    /// Whether a possible conflict was found at submission.
    pub possible_conflict: bool,
    /// When a decision is due.
    pub sla_due_at: Option<String>,
    /// The latest decision.
    pub decision: Option<DecisionDto>,
    /// End of the protection.
    pub protected_until: Option<String>,
    /// Extensions granted.
    pub extensions: i64,
    /// An open extension request.
    pub extension_request: Option<RequestDto>,
    /// An open dispute.
    pub dispute: Option<RequestDto>,
    /// The opportunity it became.
    pub opportunity_id: Option<uuid::Uuid>,
    /// Send back with changes.
    pub version: i64,
    /// Submitted.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl From<Registration> for RegistrationDto {
    fn from(r: Registration) -> Self {
        let request = |q: Option<trellis_service::deals::Request>| {
            q.map(|q| RequestDto {
                at: instant(q.at),
                reason: q.reason,
            })
        };
        Self {
            id: r.id.as_uuid(),
            reference: r.reference,
            partner_id: r.partner_id.as_uuid(),
            partner_name: r.partner_name,
            submitted_by: r.submitted_by.as_uuid(),
            company_name: r.company_name,
            website: r.website,
            domain: r.domain,
            country: r.country,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            contact_phone: r.contact_phone,
            product: r.product,
            amount: r.amount.into(),
            expected_close: r.expected_close,
            description: r.description,
            status: r.status,
            stage: r.stage,
            next_step: r.next_step,
            policy_version: r.policy_version,
            possible_conflict: r.conflicts > 0,
            sla_due_at: instant_opt(r.sla_due_at),
            decision: r.decision.map(|d| DecisionDto {
                at: instant(d.at),
                by: d.by.map(UserId::as_uuid),
                rule: d.rule.as_str().to_owned(),
                reason: d.reason,
            }),
            protected_until: instant_opt(r.protected_until),
            extensions: r.extensions,
            extension_request: request(r.extension_request),
            dispute: request(r.dispute),
            opportunity_id: r.opportunity_id.map(OpportunityId::as_uuid),
            version: r.version,
            created_at: instant(r.created_at),
            updated_at: instant(r.updated_at),
        }
    }
}

/// A new registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"company_name": "Acme Corporation", "website": "acme.co.uk", "country": "GB",
    "contact_name": "Jo Bloggs", "contact_email": "jo@acme.co.uk", "product": "Data platform",
    "amount_minor": 4_500_000, "currency": "GBP", "expected_close": "2027-03-31",
    "description": "Replacing their on-premise warehouse", "stage": "qualified", "next_step": "Demo on 3 December"}))]
pub struct RegistrationBody {
    /// Customer company (required).
    pub company_name: String,
    /// Website or domain.
    #[serde(default)]
    pub website: String,
    /// Country, code or name.
    #[serde(default)]
    pub country: String,
    /// Customer contact (required).
    pub contact_name: String,
    /// Their e-mail (required).
    pub contact_email: String,
    /// Their phone.
    #[serde(default)]
    pub contact_phone: String,
    /// Product (required).
    pub product: String,
    /// Expected amount in the currency's minor units (required, positive).
    pub amount_minor: i64,
    /// ISO 4217 currency (required).
    pub currency: String,
    /// Expected close, `YYYY-MM-DD`, today or later (required).
    pub expected_close: String,
    /// The opportunity in your words.
    #[serde(default)]
    pub description: String,
    /// Stage (default `discovery`).
    pub stage: Option<DealStage>,
    /// Next step.
    #[serde(default)]
    pub next_step: String,
}

/// Registers a deal for your partner organisation. The customer is checked for conflicts;
/// the rules of engagement may approve it at once, else it waits for review.
#[utoipa::path(post, path = "/deal-registrations", tag = "deals", operation_id = "register_deal", request_body = RegistrationBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = RegistrationDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn register(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<RegistrationBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = RegistrationInput {
        company_name: b.company_name,
        website: b.website,
        country: b.country,
        contact_name: b.contact_name,
        contact_email: b.contact_email,
        contact_phone: b.contact_phone,
        product: b.product,
        amount_minor: b.amount_minor,
        currency: b.currency,
        expected_close: b.expected_close,
        description: b.description,
        stage: b.stage,
        next_step: b.next_step,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        Box::pin(s.register_deal(&actor, &input))
            .await
            .map(RegistrationDto::from)
    })
    .await
}

/// A customer to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"company_name": "Acme Corp", "website": "www.acme.co.uk", "contact_email": "", "country": "UK"}))]
pub struct CheckBody {
    /// Company name (required).
    pub company_name: String,
    /// Website or domain.
    #[serde(default)]
    pub website: String,
    /// The contact's e-mail (its domain stands in for a missing website).
    #[serde(default)]
    pub contact_email: String,
    /// Country.
    #[serde(default)]
    pub country: String,
}

/// A candidate conflict.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateDto {
    /// `account`, `opportunity` or `registration`.
    pub kind: String,
    /// Its id.
    pub id: uuid::Uuid,
    /// Account, opportunity or registered company name.
    pub name: String,
    /// What matters about it, in one line.
    pub detail: String,
    /// Match score, 0–1.
    pub score: f64,
    /// Why it matched.
    pub reason: String,
    /// Counts as a conflict (else only related).
    pub conflict: bool,
    /// The registering partner (registrations).
    pub partner_id: Option<uuid::Uuid>,
}

impl From<ConflictCandidate> for CandidateDto {
    fn from(c: ConflictCandidate) -> Self {
        Self {
            kind: serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            id: c.id,
            name: c.name,
            detail: c.detail,
            score: c.score,
            reason: c.reason,
            conflict: c.conflict,
            partner_id: c.partner_id.map(OrgId::as_uuid),
        }
    }
}

/// The outcome of a check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDto {
    /// `clear`, `possible_conflict` or `own_duplicate`.
    pub outcome: String,
    /// What it means.
    pub message: String,
    /// Your own registrations of this customer.
    pub own_registrations: Vec<String>,
    /// Every candidate (vendor users only; empty for partners).
    pub candidates: Vec<CandidateDto>,
}

impl From<ConflictCheck> for CheckDto {
    fn from(c: ConflictCheck) -> Self {
        Self {
            outcome: serde_json::to_value(c.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            message: c.message,
            own_registrations: c.own_registrations,
            candidates: c.candidates.into_iter().map(CandidateDto::from).collect(),
        }
    }
}

/// Checks a customer for conflicts before registering. A partner learns whether it may
/// conflict (never with what); a vendor user gets every candidate with score and reason.
#[utoipa::path(post, path = "/deal-registrations/check", tag = "deals", operation_id = "check_deal", request_body = CheckBody,
    responses((status = 200, body = CheckDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn check(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<CheckBody>,
) -> ApiResult<Json<CheckDto>> {
    let b = body.value;
    let probe = CompanyProbe {
        company_name: b.company_name,
        website: b.website,
        contact_email: b.contact_email,
        country: b.country,
    };
    Ok(Json(s.check_deal(&actor, &probe).await?.into()))
}

list_type!(RegistrationList, RegistrationDto);

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistrationQuery {
    /// One status.
    #[param(inline)]
    pub status: Option<DealStatus>,
    /// Part of the company name.
    pub q: Option<String>,
    /// One partner (vendor users).
    pub partner_id: Option<uuid::Uuid>,
    /// Only the partners you manage.
    #[serde(default)]
    pub mine: bool,
    /// `newest` (default) or `oldest` first; the review queue is `status=pending&order=oldest`.
    pub order: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// Registrations: a partner sees its own.
#[utoipa::path(get, path = "/deal-registrations", tag = "deals", operation_id = "list_deals", params(RegistrationQuery),
    responses((status = 200, body = RegistrationList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RegistrationQuery>,
) -> ApiResult<Json<RegistrationList>> {
    let oldest_first = match q.order.as_deref() {
        None | Some("" | "newest") => false,
        Some("oldest") => true,
        Some(_) => {
            return Err(trellis_service::Error::field("order", "must be newest or oldest").into());
        }
    };
    let query = DealQuery {
        status: q.status,
        q: q.q,
        partner_id: q.partner_id.map(OrgId::from_uuid),
        my_partners: q.mine,
        oldest_first,
    };
    let page = PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let p = s.list_deals(&actor, &query, &page).await?;
    Ok(Json(RegistrationList::from_page(p, RegistrationDto::from)))
}

const ID: &str = "Registration id";

/// Reads a registration.
#[utoipa::path(get, path = "/deal-registrations/{id}", tag = "deals", operation_id = "get_deal",
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
) -> ApiResult<Json<RegistrationDto>> {
    Ok(Json(s.get_deal(&actor, id).await?.into()))
}

/// A partner's update of its deal; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 2, "stage": "proposal", "next_step": "Quote sent, call on Friday"}))]
pub struct UpdateBody {
    /// The version you read.
    pub version: i64,
    /// Stage.
    pub stage: Option<DealStage>,
    /// Next step.
    pub next_step: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Amount in minor units (same currency).
    pub amount_minor: Option<i64>,
    /// Expected close.
    pub expected_close: Option<String>,
}

/// Updates your deal: stage, next step, description, amount, expected close. The customer
/// cannot change.
#[utoipa::path(patch, path = "/deal-registrations/{id}", tag = "deals", operation_id = "update_deal", request_body = UpdateBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<UpdateBody>,
) -> ApiResult<Json<RegistrationDto>> {
    let b = body.value;
    let update = DealUpdate {
        version: b.version,
        stage: b.stage,
        next_step: b.next_step,
        description: b.description,
        amount_minor: b.amount_minor,
        expected_close: b.expected_close,
    };
    Ok(Json(s.update_deal(&actor, id, &update).await?.into()))
}

/// One step of a registration's life.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailStepDto {
    /// `submitted`, `approved`, `rejected`, `escalated`, `disputed`, `dispute_upheld`,
    /// `dispute_overturned`, `extension_requested`, `extended`, `extension_denied`,
    /// `expiring`, `expired`, `converted`, `withdrawn` or `updated`.
    pub step: String,
    /// The rule behind a decision.
    pub rule: Option<String>,
    /// The rules of engagement version applied.
    pub policy_version: Option<i64>,
    /// Why, or what changed.
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: String,
}

impl From<TrailStep> for TrailStepDto {
    fn from(t: TrailStep) -> Self {
        Self {
            step: t.step,
            rule: t.rule.map(|r| r.as_str().to_owned()),
            policy_version: t.policy_version,
            reason: t.reason,
            actor: t.actor,
            at: instant(t.at),
        }
    }
}

/// A registration's trail, oldest first.
#[utoipa::path(get, path = "/deal-registrations/{id}/trail", tag = "deals", operation_id = "deal_trail",
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = Vec<TrailStepDto>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn trail(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
) -> ApiResult<Json<Vec<TrailStepDto>>> {
    let steps = s.deal_trail(&actor, id).await?;
    Ok(Json(steps.into_iter().map(TrailStepDto::from).collect()))
}

/// What the rules of engagement advise.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictDto {
    /// `approve` or `reject`.
    pub decision: Decision,
    /// The rule.
    pub rule: String,
    /// Why.
    pub reason: String,
}

impl From<Verdict> for VerdictDto {
    fn from(v: Verdict) -> Self {
        Self {
            decision: v.decision,
            rule: v.rule.as_str().to_owned(),
            reason: v.reason,
        }
    }
}

/// A registration under review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    /// The registration.
    pub registration: RegistrationDto,
    /// Every candidate conflict, best first.
    pub candidates: Vec<CandidateDto>,
    /// The rules of engagement version it was submitted under.
    pub policy: PolicyDto,
    /// What those rules advise (absent when no rule decides).
    pub advice: Option<VerdictDto>,
}

impl From<Review> for ReviewDto {
    fn from(r: Review) -> Self {
        Self {
            registration: r.registration.into(),
            candidates: r.candidates.into_iter().map(CandidateDto::from).collect(),
            policy: r.policy.into(),
            advice: r.advice.map(VerdictDto::from),
        }
    }
}

/// A registration with every candidate conflict and the rules' advice (vendor reviewers).
#[utoipa::path(get, path = "/deal-registrations/{id}/review", tag = "deals", operation_id = "review_deal",
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = ReviewDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn review(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
) -> ApiResult<Json<ReviewDto>> {
    Ok(Json(s.review_deal(&actor, id).await?.into()))
}

/// A reviewer's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "decision": "reject", "reason": "Existing direct opportunity in negotiation"}))]
pub struct DecideBody {
    /// The version you read.
    pub version: i64,
    /// `approve` or `reject`.
    pub decision: Decision,
    /// Why (required to reject).
    #[serde(default)]
    pub reason: String,
}

/// Approves or rejects a pending registration by hand (recorded as the rule `manual`).
#[utoipa::path(post, path = "/deal-registrations/{id}/decision", tag = "deals", operation_id = "decide_deal", request_body = DecideBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn decide(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<DecideBody>,
) -> ApiResult<Json<RegistrationDto>> {
    let b = body.value;
    let r = s
        .decide_deal(&actor, id, b.version, b.decision, &b.reason)
        .await?;
    Ok(Json(r.into()))
}

/// The version read, to act on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1}))]
pub struct VersionBody {
    /// The version you read.
    pub version: i64,
}

/// Decides a pending registration, and the pending registrations it conflicts with, by the
/// rules of engagement. 409 when no rule decides it.
#[utoipa::path(post, path = "/deal-registrations/{id}/resolve", tag = "deals", operation_id = "resolve_deal", request_body = VersionBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = Vec<RegistrationDto>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn resolve(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<VersionBody>,
) -> ApiResult<Json<Vec<RegistrationDto>>> {
    let decided = s.resolve_deal(&actor, id, body.value.version).await?;
    Ok(Json(
        decided.into_iter().map(RegistrationDto::from).collect(),
    ))
}

/// A version and a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 3, "reason": "The customer postponed the project to next year"}))]
pub struct ReasonBody {
    /// The version you read.
    pub version: i64,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// Withdraws your registration.
#[utoipa::path(post, path = "/deal-registrations/{id}/withdraw", tag = "deals", operation_id = "withdraw_deal", request_body = ReasonBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn withdraw(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<ReasonBody>,
) -> ApiResult<Json<RegistrationDto>> {
    let b = body.value;
    Ok(Json(
        s.withdraw_deal(&actor, id, b.version, &b.reason)
            .await?
            .into(),
    ))
}

/// Disputes the rejection of your registration (a reason is required).
#[utoipa::path(post, path = "/deal-registrations/{id}/dispute", tag = "deals", operation_id = "dispute_deal", request_body = ReasonBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn dispute(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<ReasonBody>,
) -> ApiResult<Json<RegistrationDto>> {
    let b = body.value;
    Ok(Json(
        s.dispute_deal(&actor, id, b.version, &b.reason)
            .await?
            .into(),
    ))
}

/// How a dispute ends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 4, "overturn": true, "reason": "The partner's first meeting predates our opportunity"}))]
pub struct SettleBody {
    /// The version you read.
    pub version: i64,
    /// `true` approves the registration; `false` upholds the rejection.
    pub overturn: bool,
    /// Why (required).
    pub reason: String,
}

/// Settles an open dispute.
#[utoipa::path(post, path = "/deal-registrations/{id}/dispute/resolution", tag = "deals", operation_id = "settle_deal_dispute", request_body = SettleBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn settle_dispute(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<SettleBody>,
) -> ApiResult<Json<RegistrationDto>> {
    let b = body.value;
    let r = s
        .resolve_dispute(&actor, id, b.version, b.overturn, &b.reason)
        .await?;
    Ok(Json(r.into()))
}

/// Asks for more protection time (a reason is required), within the policy's limit.
#[utoipa::path(post, path = "/deal-registrations/{id}/extension-request", tag = "deals", operation_id = "request_deal_extension", request_body = ReasonBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn request_extension(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<ReasonBody>,
) -> ApiResult<Json<RegistrationDto>> {
    let b = body.value;
    let r = s
        .request_extension(&actor, id, b.version, &b.reason)
        .await?;
    Ok(Json(r.into()))
}

/// A reviewer's answer to an extension request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 5, "grant": true, "reason": ""}))]
pub struct ExtensionBody {
    /// The version you read.
    pub version: i64,
    /// Grant or deny.
    pub grant: bool,
    /// Why (required to deny).
    #[serde(default)]
    pub reason: String,
}

/// Grants or denies an open extension request.
#[utoipa::path(post, path = "/deal-registrations/{id}/extension-decision", tag = "deals", operation_id = "decide_deal_extension", request_body = ExtensionBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = RegistrationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn decide_extension(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<ExtensionBody>,
) -> ApiResult<Json<RegistrationDto>> {
    let b = body.value;
    let r = s
        .decide_extension(&actor, id, b.version, b.grant, &b.reason)
        .await?;
    Ok(Json(r.into()))
}

/// How to convert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 2, "account_id": null, "owner": "rep@vendor.example", "name": ""}))]
pub struct ConvertBody {
    /// The version you read.
    pub version: i64,
    /// The account (default: the best match, else a new account).
    pub account_id: Option<uuid::Uuid>,
    /// The owning rep, by e-mail or name (default: the account's owner).
    #[serde(default)]
    pub owner: String,
    /// Opportunity name (default: "company – product").
    #[serde(default)]
    pub name: String,
}

/// The converted registration and its opportunity.
#[derive(Debug, Serialize, ToSchema)]
pub struct Converted {
    /// The registration.
    pub registration: RegistrationDto,
    /// The opportunity, with the partner attached as its source.
    pub opportunity: OpportunityDto,
}

/// Converts an approved registration into an opportunity with the partner attached.
#[utoipa::path(post, path = "/deal-registrations/{id}/conversion", tag = "deals", operation_id = "convert_deal", request_body = ConvertBody,
    params(("id" = uuid::Uuid, Path, description = ID)),
    responses((status = 200, body = Converted), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn convert(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<DealRegistrationId>,
    body: ApiJson<ConvertBody>,
) -> ApiResult<Json<Converted>> {
    let b = body.value;
    let conversion = Conversion {
        account_id: b.account_id.map(AccountId::from_uuid),
        owner: b.owner,
        name: b.name,
    };
    let (registration, opportunity) = s.convert_deal(&actor, id, b.version, &conversion).await?;
    Ok(Json(Converted {
        registration: registration.into(),
        opportunity: opportunity.into(),
    }))
}

/// One version of the rules of engagement.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    /// Version, from 1.
    pub version: i64,
    /// The rules.
    pub policy: EngagementPolicy,
    /// The rules in sentences, for partners.
    pub summary: Vec<String>,
    /// What changed.
    pub note: String,
    /// Published.
    pub created_at: String,
}

impl From<PolicyVersion> for PolicyDto {
    fn from(p: PolicyVersion) -> Self {
        Self {
            summary: p.summary(),
            version: p.version,
            policy: p.policy,
            note: p.note,
            created_at: instant(p.created_at),
        }
    }
}

/// The rules of engagement in force (every signed-in user, partners included).
#[utoipa::path(get, path = "/engagement-policy", tag = "deals", operation_id = "get_engagement_policy",
    responses((status = 200, body = PolicyDto), (status = 401, body = Problem)),
    security(("bearer" = [])))]
async fn get_policy(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<PolicyDto>> {
    Ok(Json(s.engagement_policy(&actor).await?.into()))
}

/// A new version of the rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"base_version": 1, "note": "Longer protection", "policy": {
    "protection_days": 120, "extension_days": 30, "max_extensions": 2, "expiry_warning_days": 14,
    "approval_sla_hours": 48, "match_threshold_percent": 75,
    "conflict_rules": [{"rule": "direct_opportunity", "activity_days": 60}, {"rule": "first_registration"}],
    "auto_approval": {"enabled": true, "min_tier_rank": 2, "max_amount": {"amount_minor": 5_000_000, "currency": "EUR"}},
    "notes": ""}}))]
pub struct PolicyBody {
    /// The version you edited.
    pub base_version: i64,
    /// The rules.
    pub policy: EngagementPolicy,
    /// What changed.
    #[serde(default)]
    pub note: String,
}

/// Publishes a new version of the rules of engagement; registrations keep the version they
/// were submitted under.
#[utoipa::path(put, path = "/engagement-policy", tag = "deals", operation_id = "put_engagement_policy", request_body = PolicyBody,
    responses((status = 200, body = PolicyDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_policy(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<PolicyBody>,
) -> ApiResult<Json<PolicyDto>> {
    let b = body.value;
    let saved = s
        .save_engagement_policy(&actor, b.base_version, b.policy, &b.note)
        .await?;
    Ok(Json(saved.into()))
}

/// Every version of the rules, newest first (program managers).
#[utoipa::path(get, path = "/engagement-policy/versions", tag = "deals", operation_id = "list_engagement_policy_versions",
    responses((status = 200, body = Vec<PolicyDto>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn policy_versions(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<PolicyDto>>> {
    let versions = s.engagement_policy_history(&actor).await?;
    Ok(Json(versions.into_iter().map(PolicyDto::from).collect()))
}

/// One version of the rules (a decision names the version it applied).
#[utoipa::path(get, path = "/engagement-policy/versions/{version}", tag = "deals", operation_id = "get_engagement_policy_version",
    params(("version" = i64, Path, description = "Version")),
    responses((status = 200, body = PolicyDto), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn policy_version(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(version): Path<String>,
) -> ApiResult<Json<PolicyDto>> {
    let version = version
        .parse::<i64>()
        .map_err(|_| trellis_service::Error::NotFound)?;
    Ok(Json(
        s.engagement_policy_version(&actor, version).await?.into(),
    ))
}

/// A partner on an opportunity.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvolvementDto {
    /// The partner.
    pub partner_id: uuid::Uuid,
    /// Its name.
    pub partner_name: String,
    /// `sourced`, `co_sell` or `influence`.
    pub role: String,
    /// The registration it came from.
    pub registration_id: Option<uuid::Uuid>,
    /// Since when.
    pub since: String,
}

/// The partners on a vendor opportunity.
#[utoipa::path(get, path = "/opportunities/{id}/partners", tag = "deals", operation_id = "opportunity_partners",
    params(("id" = uuid::Uuid, Path, description = "Opportunity id")),
    responses((status = 200, body = Vec<InvolvementDto>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn opportunity_partners(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OpportunityId>,
) -> ApiResult<Json<Vec<InvolvementDto>>> {
    let partners: Vec<Involvement> = s.opportunity_partners(&actor, id).await?;
    Ok(Json(
        partners
            .into_iter()
            .map(|p| InvolvementDto {
                partner_id: p.partner_id.as_uuid(),
                partner_name: p.partner_name,
                role: p.role.as_str().to_owned(),
                registration_id: p.registration_id.map(DealRegistrationId::as_uuid),
                since: instant(p.since),
            })
            .collect(),
    ))
}
