//! Applications to join the program: submitted publicly (no sign-in, rate limited per client
//! address) and reviewed by channel managers. Also the public partner locator.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use trellis_domain::partners::ipp::FitScore;
use trellis_domain::partners::profile::Specialisations;
use trellis_domain::{ApplicationId, UserId};
use trellis_service::Services;
use trellis_service::partners::applications::{Application, ApplicationInput, Approval};
use trellis_service::partners::directory::LocatorEntry;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{instant, instant_opt, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery};
use super::partners::{DirectoryParams, FacetDto, PartnerDto};
use crate::client::Client;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit, list))
        .routes(routes!(get))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(locator))
}

/// An application.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDto {
    /// Id.
    pub id: uuid::Uuid,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Company.
    pub company_name: String,
    /// Website.
    pub website: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Headquarters region.
    pub region: Option<String>,
    /// Partner type applied for.
    pub partner_type: String,
    /// Specialisations.
    pub specialisations: Specialisations,
    /// Head count.
    pub employees: Option<u32>,
    /// Year founded.
    pub founded_year: Option<i32>,
    /// Active customers.
    pub customers: Option<u32>,
    /// The applicant's pitch.
    pub description: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// Contact phone.
    pub contact_phone: String,
    /// Fit with the current IPP.
    pub fit_score: Option<u8>,
    /// IPP version of that score.
    pub ipp_version: Option<i64>,
    /// Reviewer.
    pub reviewer_id: Option<uuid::Uuid>,
    /// Decided.
    pub decided_at: Option<String>,
    /// The reviewer's reason.
    pub decision_reason: Option<String>,
    /// The partner created on approval.
    pub org_id: Option<uuid::Uuid>,
    /// Send back with a decision.
    pub version: i64,
    /// Received.
    pub created_at: String,
}

impl From<Application> for ApplicationDto {
    fn from(a: Application) -> Self {
        Self {
            id: a.id.as_uuid(),
            status: a.status,
            company_name: a.company_name,
            website: a.website,
            country: a.country,
            region: a.region.map(|r| r.as_str().into()),
            partner_type: a.partner_type.as_str().into(),
            specialisations: a.specialisations,
            employees: a.employees,
            founded_year: a.founded_year,
            customers: a.customers,
            description: a.description,
            contact_name: a.contact_name,
            contact_email: a.contact_email,
            contact_phone: a.contact_phone,
            fit_score: a.fit_score,
            ipp_version: a.ipp_version,
            reviewer_id: a.reviewer_id.map(UserId::as_uuid),
            decided_at: instant_opt(a.decided_at),
            decision_reason: a.decision_reason,
            org_id: a.org_id.map(trellis_domain::OrgId::as_uuid),
            version: a.version,
            created_at: instant(a.created_at),
        }
    }
}

/// What an applicant sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"company_name": "Fjord Cloud AS", "website": "https://fjordcloud.example", "country": "NO", "region": "emea", "partner_type": "msp",
    "industries": ["manufacturing", "energy"], "technologies": ["Azure", "Kubernetes"], "segments": ["mid_market"], "regions_served": ["emea"],
    "employees": 85, "founded_year": 2012, "customers": 140, "description": "Managed cloud operations for Nordic manufacturers and utilities.",
    "contact_name": "Ingrid Solberg", "contact_email": "ingrid@fjordcloud.example", "contact_phone": "+47 22 12 34 56"}))]
pub struct ApplicationBody {
    /// Company name.
    pub company_name: String,
    /// Website.
    pub website: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// `na`, `latam`, `emea`, `apj`.
    pub region: Option<String>,
    /// How you want to partner.
    pub partner_type: String,
    /// Industry ids.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Technologies.
    #[serde(default)]
    pub technologies: Vec<String>,
    /// Segment ids.
    #[serde(default)]
    pub segments: Vec<String>,
    /// Regions served.
    #[serde(default)]
    pub regions_served: Vec<String>,
    /// Head count.
    pub employees: Option<u32>,
    /// Year founded.
    pub founded_year: Option<i32>,
    /// Active customers.
    pub customers: Option<u32>,
    /// What your company does and why you want to partner (20–2,000 characters).
    pub description: String,
    /// Your name.
    pub contact_name: String,
    /// Your e-mail; you become the partner admin on approval.
    pub contact_email: String,
    /// Your phone.
    #[serde(default)]
    pub contact_phone: String,
}

impl From<ApplicationBody> for ApplicationInput {
    fn from(b: ApplicationBody) -> Self {
        Self {
            company_name: b.company_name,
            website: b.website,
            country: b.country,
            region: b.region,
            partner_type: b.partner_type,
            industries: b.industries,
            technologies: b.technologies,
            segments: b.segments,
            regions_served: b.regions_served,
            employees: b.employees,
            founded_year: b.founded_year,
            customers: b.customers,
            description: b.description,
            contact_name: b.contact_name,
            contact_email: b.contact_email,
            contact_phone: b.contact_phone,
        }
    }
}

/// The answer to an applicant: no internal figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    /// Reference of the application.
    pub id: uuid::Uuid,
    /// `pending`.
    pub status: String,
}

/// Applies to join the partner program. No sign-in; at most 5 applications per client
/// address per hour.
#[utoipa::path(post, path = "/applications", tag = "applications", operation_id = "submit_application", request_body = ApplicationBody,
    responses((status = 201, body = Received), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn submit(
    State(s): State<Services>,
    Client(client): Client,
    body: ApiJson<ApplicationBody>,
) -> ApiResult<(StatusCode, Json<Received>)> {
    let input = ApplicationInput::from(body.value);
    let app = s.submit_application(&input, &client).await?;
    Ok((
        StatusCode::CREATED,
        Json(Received {
            id: app.id.as_uuid(),
            status: app.status,
        }),
    ))
}

list_type!(ApplicationList, ApplicationDto);

/// Review-queue filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// `pending`, `approved` or `rejected`; all when absent.
    pub status: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// Applications, oldest first (the review queue with `status=pending`).
#[utoipa::path(get, path = "/applications", tag = "applications", operation_id = "list_applications", params(ApplicationQuery),
    responses((status = 200, body = ApplicationList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ApplicationQuery>,
) -> ApiResult<Json<ApplicationList>> {
    let page = trellis_service::platform::PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let p = s.list_applications(&actor, status, &page).await?;
    Ok(Json(ApplicationList::from_page(p, ApplicationDto::from)))
}

/// An application with its fit breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDetailDto {
    /// The application.
    pub application: ApplicationDto,
    /// Its fit under the current IPP, per criterion.
    pub fit: Option<FitScore>,
    /// A user with the contact's e-mail exists, so approval would fail.
    pub contact_has_account: bool,
}

/// Reads an application.
#[utoipa::path(get, path = "/applications/{id}", tag = "applications", operation_id = "get_application",
    params(("id" = uuid::Uuid, Path, description = "Application id")),
    responses((status = 200, body = ApplicationDetailDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ApplicationId>,
) -> ApiResult<Json<ApplicationDetailDto>> {
    let d = s.get_application(&actor, id).await?;
    Ok(Json(ApplicationDetailDto {
        application: d.application.into(),
        fit: d.fit.map(|f| f.fit),
        contact_has_account: d.contact_has_account,
    }))
}

/// An approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "reason": "Strong fit in manufacturing", "owner_id": null}))]
pub struct ApproveBody {
    /// The version you read.
    pub version: i64,
    /// A note for the record.
    pub reason: Option<String>,
    /// The channel manager who will own the partner (default: the reviewer, if a channel
    /// manager).
    pub owner_id: Option<uuid::Uuid>,
}

/// The approved application and the partner it created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    /// The application.
    pub application: ApplicationDto,
    /// The new partner, onboarding.
    pub partner: PartnerDto,
}

/// Approves an application: creates the partner with its checklist and invites the applicant
/// as its admin.
#[utoipa::path(post, path = "/applications/{id}/approve", tag = "applications", operation_id = "approve_application", request_body = ApproveBody,
    params(("id" = uuid::Uuid, Path, description = "Application id")),
    responses((status = 200, body = Approved), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn approve(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ApplicationId>,
    body: ApiJson<ApproveBody>,
) -> ApiResult<Json<Approved>> {
    let b = body.value;
    let approval = Approval {
        reason: b.reason,
        owner_id: b.owner_id.map(UserId::from_uuid),
    };
    let (app, partner) = s
        .approve_application(&actor, id, b.version, &approval)
        .await?;
    Ok(Json(Approved {
        application: app.into(),
        partner: PartnerDto::of(partner, true),
    }))
}

/// A rejection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "reason": "We are not adding resellers in this region this year", "notify": true}))]
pub struct RejectBody {
    /// The version you read.
    pub version: i64,
    /// Why (required).
    pub reason: String,
    /// E-mail the reason to the applicant.
    #[serde(default)]
    pub notify: bool,
}

/// Rejects an application with a reason.
#[utoipa::path(post, path = "/applications/{id}/reject", tag = "applications", operation_id = "reject_application", request_body = RejectBody,
    params(("id" = uuid::Uuid, Path, description = "Application id")),
    responses((status = 200, body = ApplicationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn reject(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ApplicationId>,
    body: ApiJson<RejectBody>,
) -> ApiResult<Json<ApplicationDto>> {
    let b = body.value;
    Ok(Json(
        s.reject_application(&actor, id, b.version, &b.reason, b.notify)
            .await?
            .into(),
    ))
}

/// A partner in the public locator.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocatorEntryDto {
    /// Name.
    pub name: String,
    /// Handle.
    pub slug: String,
    /// Partner type.
    pub partner_type: Option<String>,
    /// Tier name.
    pub tier: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Description.
    pub description: String,
    /// Specialisations.
    pub specialisations: Specialisations,
}

impl From<LocatorEntry> for LocatorEntryDto {
    fn from(e: LocatorEntry) -> Self {
        Self {
            name: e.name,
            slug: e.slug,
            partner_type: e.partner_type.map(|t| t.as_str().into()),
            tier: e.tier,
            country: e.country,
            region: e.region.map(|r| r.as_str().into()),
            website: e.website,
            description: e.description,
            specialisations: e.specialisations,
        }
    }
}

/// A page of the locator.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocatorPage {
    /// Partners.
    pub items: Vec<LocatorEntryDto>,
    /// Next page.
    pub next_cursor: Option<String>,
    /// Matching partners.
    pub total: i64,
    /// Facet counts.
    pub facets: Vec<FacetDto>,
}

/// The public partner locator: active partners who chose to be listed. No sign-in; 404 while
/// the program has the locator switched off.
#[utoipa::path(get, path = "/locator", tag = "partners", operation_id = "partner_locator", params(DirectoryParams),
    responses((status = 200, body = LocatorPage), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn locator(
    State(s): State<Services>,
    ApiQuery(q): ApiQuery<DirectoryParams>,
) -> ApiResult<Json<LocatorPage>> {
    let page = trellis_service::platform::PageRequest {
        cursor: q.cursor.clone(),
        limit: q.limit,
    };
    let (items, next, total, facets) = s.search_locator(&q.query(), &page).await?;
    Ok(Json(LocatorPage {
        items: items.into_iter().map(LocatorEntryDto::from).collect(),
        next_cursor: next.map(|c| c.encode()),
        total,
        facets: facets.into_iter().map(FacetDto::from).collect(),
    }))
}
