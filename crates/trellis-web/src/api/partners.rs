//! Partners: the directory, each partner's record, status, checklist, contacts, metrics, tier
//! decisions, agreement status and timeline. A partner user reaches only its own partner.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::partners::metrics::Metric;
use trellis_domain::partners::profile::{PartnerStatus, Specialisations};
use trellis_domain::partners::tiers::Evaluation;
use trellis_domain::{ContactId, OrgId, TaskId, UserId};
use trellis_service::Services;
use trellis_service::partners::contacts::{Contact, ContactInput};
use trellis_service::partners::directory::{DirectoryQuery, FacetCounts};
use trellis_service::partners::metrics::MetricValue;
use trellis_service::partners::onboarding::{Checklist, Task};
use trellis_service::partners::tiers::{TierChange, TierDecision};
use trellis_service::partners::{Partner, PartnerPatch};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Ack, double_option, instant, instant_opt};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(get, update))
        .routes(routes!(set_status))
        .routes(routes!(timeline))
        .routes(routes!(checklist))
        .routes(routes!(set_task))
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(metrics))
        .routes(routes!(set_metric))
        .routes(routes!(tier_changes))
        .routes(routes!(evaluate_tier))
        .routes(routes!(set_override))
        .routes(routes!(clear_override))
}

/// A partner: its organisation record and its program profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerDto {
    /// The partner organisation's id.
    pub id: uuid::Uuid,
    /// Display name.
    pub name: String,
    /// Handle.
    pub slug: String,
    /// `reseller`, `distributor`, `msp`, `isv`, `si`, `referral`, `influence`, `marketplace`.
    pub partner_type: Option<String>,
    /// Tier key (see `GET /tiers`).
    pub tier: Option<String>,
    /// Headquarters region: `na`, `latam`, `emea`, `apj`.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// `onboarding`, `active`, `suspended` or `terminated`.
    pub status: String,
    /// The channel manager who looks after the partner.
    pub owner_id: Option<uuid::Uuid>,
    /// What the partner does.
    pub description: String,
    /// Head count.
    pub employees: Option<u32>,
    /// Year founded.
    pub founded_year: Option<i32>,
    /// Active customers.
    pub customers: Option<u32>,
    /// Listed in the public partner locator.
    pub listed: bool,
    /// Industries, technologies, segments, regions served.
    pub specialisations: Specialisations,
    /// Fit with the Ideal Partner Profile, 0–100 (vendor users only).
    pub fit_score: Option<u8>,
    /// IPP version of that score (vendor users only).
    pub fit_ipp_version: Option<i64>,
    /// Approved (RFC 3339).
    pub approved_at: Option<String>,
    /// Activated: every required onboarding task done.
    pub activated_at: Option<String>,
    /// First deal registered.
    pub first_deal_at: Option<String>,
    /// Days from approval to activation.
    pub days_to_activation: Option<i64>,
    /// Days from approval to the first deal.
    pub days_to_first_deal: Option<i64>,
    /// Below the tier's keep thresholds since then (grace period running).
    pub tier_below_since: Option<String>,
    /// Manual tier override in force.
    pub tier_override: Option<TierOverrideDto>,
    /// Send back on update.
    pub version: i64,
    /// Created.
    pub created_at: String,
    /// Changed.
    pub updated_at: String,
}

/// A manual tier override.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierOverrideDto {
    /// Tier key.
    pub tier: String,
    /// Why.
    pub reason: String,
    /// Ends (RFC 3339); absent until removed.
    pub until: Option<String>,
}

impl PartnerDto {
    /// Converts; fit figures are the vendor's judgement and are left out for partners.
    pub fn of(p: Partner, vendor_view: bool) -> Self {
        Self {
            id: p.id.as_uuid(),
            days_to_activation: p.days_to_activation(),
            days_to_first_deal: p.days_to_first_deal(),
            name: p.name,
            slug: p.slug,
            partner_type: p.partner_type.map(|v| v.as_str().into()),
            tier: p.tier,
            region: p.region.map(|v| v.as_str().into()),
            country: p.country,
            website: p.website,
            status: p.status.as_str().into(),
            owner_id: p.owner_id.map(UserId::as_uuid),
            description: p.description,
            employees: p.employees,
            founded_year: p.founded_year,
            customers: p.customers,
            listed: p.listed,
            specialisations: p.specialisations,
            fit_score: p.fit_score.filter(|_| vendor_view),
            fit_ipp_version: p.fit_ipp_version.filter(|_| vendor_view),
            approved_at: instant_opt(p.approved_at),
            activated_at: instant_opt(p.activated_at),
            first_deal_at: instant_opt(p.first_deal_at),
            tier_below_since: instant_opt(p.tier_below_since),
            tier_override: p.tier_override.map(|o| TierOverrideDto {
                tier: o.tier,
                reason: o.reason,
                until: instant_opt(o.until),
            }),
            version: p.version,
            created_at: instant(p.created_at),
            updated_at: instant(p.updated_at),
        }
    }
}

/// One value of a facet.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValueDto {
    /// Filter value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Matching partners with it, given the other facets' filters.
    pub count: i64,
    /// Selected by this query.
    pub selected: bool,
}

/// A facet with its values.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetDto {
    /// `partner_type`, `tier`, `status`, `region`, `industry`, `segment`, `technology`.
    pub facet: String,
    /// Label.
    pub label: String,
    /// Values, most frequent first.
    pub values: Vec<FacetValueDto>,
}

impl From<FacetCounts> for FacetDto {
    fn from(f: FacetCounts) -> Self {
        Self {
            facet: f.facet.into(),
            label: f.label.into(),
            values: f
                .values
                .into_iter()
                .map(|v| FacetValueDto {
                    value: v.value,
                    label: v.label,
                    count: v.count,
                    selected: v.selected,
                })
                .collect(),
        }
    }
}

/// A page of directory results.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryPage {
    /// Partners on this page.
    pub items: Vec<PartnerDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    /// Matching partners in all.
    pub total: i64,
    /// Counts per facet value.
    pub facets: Vec<FacetDto>,
}

/// Directory filters. List filters take comma-separated values (`partner_type=msp,si`):
/// values of one filter are alternatives, different filters all apply.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DirectoryParams {
    /// Words to find in the name, description, country, website and specialisations.
    pub q: Option<String>,
    /// Partner types.
    pub partner_type: Option<String>,
    /// Tier keys.
    pub tier: Option<String>,
    /// Statuses.
    pub status: Option<String>,
    /// Industries.
    pub industry: Option<String>,
    /// Technologies.
    pub technology: Option<String>,
    /// Segments.
    pub segment: Option<String>,
    /// Regions (headquarters or served).
    pub region: Option<String>,
    /// Only this channel manager's partners.
    pub owner_id: Option<uuid::Uuid>,
    /// `name` (default) or `fit`.
    pub sort: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size, 1–200.
    pub limit: Option<usize>,
}

fn split(v: Option<&String>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

impl DirectoryParams {
    /// The service query.
    pub fn query(&self) -> DirectoryQuery {
        DirectoryQuery {
            q: self.q.clone(),
            partner_types: split(self.partner_type.as_ref()),
            tiers: split(self.tier.as_ref()),
            statuses: split(self.status.as_ref()),
            industries: split(self.industry.as_ref()),
            technologies: split(self.technology.as_ref()),
            segments: split(self.segment.as_ref()),
            regions: split(self.region.as_ref()),
            owner_id: self.owner_id.map(UserId::from_uuid),
            sort: self.sort.clone(),
        }
    }
}

/// Searches the partner directory (vendor users).
#[utoipa::path(get, path = "/partners", tag = "partners", operation_id = "search_partners", params(DirectoryParams),
    responses((status = 200, body = DirectoryPage), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn search(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<DirectoryParams>,
) -> ApiResult<Json<DirectoryPage>> {
    let page = trellis_service::platform::PageRequest {
        cursor: q.cursor.clone(),
        limit: q.limit,
    };
    let r = s.search_directory(&actor, &q.query(), &page).await?;
    Ok(Json(DirectoryPage {
        items: r
            .items
            .into_iter()
            .map(|p| PartnerDto::of(p, true))
            .collect(),
        next_cursor: r.next.map(|c| c.encode()),
        total: r.total,
        facets: r.facets.into_iter().map(FacetDto::from).collect(),
    }))
}

/// Reads a partner.
#[utoipa::path(get, path = "/partners/{id}", tag = "partners", operation_id = "get_partner",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = PartnerDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<PartnerDto>> {
    let vendor = actor.is_vendor_side();
    Ok(Json(PartnerDto::of(
        s.get_partner(&actor, id).await?,
        vendor,
    )))
}

/// Changes to a partner: absent fields stay as they are; `null` clears a nullable field.
/// List fields replace the whole list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "description": "Cloud and security integrator for mid-sized manufacturers.", "industries": ["manufacturing"], "technologies": ["AWS", "Kubernetes"], "listed": true}))]
pub struct PartnerPatchDto {
    /// The version you read.
    pub version: i64,
    /// Name (vendor users only).
    pub name: Option<String>,
    /// Partner type (vendor users only).
    pub partner_type: Option<String>,
    /// Headquarters region.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub region: Option<Option<String>>,
    /// Country.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    /// Website.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    /// Owning channel manager (vendor users only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub owner_id: Option<Option<uuid::Uuid>>,
    /// Description.
    pub description: Option<String>,
    /// Head count.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>)]
    pub employees: Option<Option<u32>>,
    /// Year founded.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub founded_year: Option<Option<i32>>,
    /// Active customers.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>)]
    pub customers: Option<Option<u32>>,
    /// Listed in the public locator.
    pub listed: Option<bool>,
    /// Industry ids.
    pub industries: Option<Vec<String>>,
    /// Technologies.
    pub technologies: Option<Vec<String>>,
    /// Segment ids.
    pub segments: Option<Vec<String>>,
    /// Region ids served.
    pub regions_served: Option<Vec<String>>,
}

/// Changes a partner's record and profile.
#[utoipa::path(patch, path = "/partners/{id}", tag = "partners", operation_id = "update_partner", request_body = PartnerPatchDto,
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = PartnerDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
    body: ApiJson<PartnerPatchDto>,
) -> ApiResult<Json<PartnerDto>> {
    let p = body.value;
    let patch = PartnerPatch {
        name: p.name,
        partner_type: p.partner_type,
        region: p.region,
        country: p.country,
        website: p.website,
        owner_id: p.owner_id.map(|o| o.map(UserId::from_uuid)),
        description: p.description,
        employees: p.employees,
        founded_year: p.founded_year,
        customers: p.customers,
        listed: p.listed,
        industries: p.industries,
        technologies: p.technologies,
        segments: p.segments,
        regions_served: p.regions_served,
    };
    let vendor = actor.is_vendor_side();
    let partner = s.update_partner(&actor, id, p.version, &patch).await?;
    Ok(Json(PartnerDto::of(partner, vendor)))
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 3, "status": "suspended", "reason": "Contract under review after a compliance finding"}))]
pub struct StatusChange {
    /// The version you read.
    pub version: i64,
    /// `onboarding`, `active`, `suspended` or `terminated`.
    pub status: String,
    /// Why; shown on the partner's timeline.
    pub reason: String,
}

/// Suspends, reactivates, terminates or activates a partner.
#[utoipa::path(post, path = "/partners/{id}/status", tag = "partners", operation_id = "set_partner_status", request_body = StatusChange,
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = PartnerDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn set_status(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
    body: ApiJson<StatusChange>,
) -> ApiResult<Json<PartnerDto>> {
    let b = body.value;
    let to = b
        .status
        .parse::<PartnerStatus>()
        .map_err(|m| trellis_service::Error::field("status", m))?;
    let p = s
        .set_partner_status(&actor, id, b.version, to, &b.reason)
        .await?;
    Ok(Json(PartnerDto::of(p, true)))
}

/// One entry of a partner's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// When.
    pub at: String,
    /// `status`, `tier` or `agreement`.
    pub kind: String,
    /// What happened, in a sentence.
    pub summary: String,
    /// Who did it; absent for Trellis itself.
    pub actor_id: Option<uuid::Uuid>,
}

/// The partner's history: status changes, tier decisions and agreement acceptances, newest
/// first.
#[utoipa::path(get, path = "/partners/{id}/timeline", tag = "partners", operation_id = "partner_timeline",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn timeline(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
    let entries = s.partner_timeline(&actor, id).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| TimelineEntry {
                at: instant(e.at),
                kind: e.kind.into(),
                summary: e.summary,
                actor_id: e.actor_id.map(UserId::as_uuid),
            })
            .collect(),
    ))
}

/// One onboarding task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    /// Id.
    pub id: uuid::Uuid,
    /// The partner.
    pub org_id: uuid::Uuid,
    /// `profile`, `agreement`, `invite_team`, `training`, `first_deal` or `custom`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// What to do.
    pub description: String,
    /// `partner` or `vendor`.
    pub owner_side: String,
    /// Activation waits for it.
    pub required: bool,
    /// Due.
    pub due_at: String,
    /// `open`, `done` or `skipped`.
    pub status: String,
    /// Who completed it; absent when it completed itself.
    pub completed_by: Option<uuid::Uuid>,
    /// When.
    pub completed_at: Option<String>,
}

impl From<Task> for TaskDto {
    fn from(t: Task) -> Self {
        Self {
            id: t.id.as_uuid(),
            org_id: t.org_id.as_uuid(),
            kind: t.kind.as_str().into(),
            title: t.title,
            description: t.description,
            owner_side: t.owner_side.as_str().into(),
            required: t.required,
            due_at: instant(t.due_at),
            status: t.status,
            completed_by: t.completed_by.map(UserId::as_uuid),
            completed_at: instant_opt(t.completed_at),
        }
    }
}

/// A partner's onboarding checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistDto {
    /// Tasks in order.
    pub tasks: Vec<TaskDto>,
    /// Done or skipped.
    pub finished: usize,
    /// Required tasks still open.
    pub required_open: usize,
    /// Open tasks past due.
    pub overdue: usize,
}

impl From<Checklist> for ChecklistDto {
    fn from(c: Checklist) -> Self {
        Self {
            tasks: c.tasks.into_iter().map(TaskDto::from).collect(),
            finished: c.finished,
            required_open: c.required_open,
            overdue: c.overdue,
        }
    }
}

/// The partner's onboarding checklist.
#[utoipa::path(get, path = "/partners/{id}/checklist", tag = "partners", operation_id = "partner_checklist",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = ChecklistDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn checklist(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<ChecklistDto>> {
    Ok(Json(s.checklist(&actor, id).await?.into()))
}

/// A task status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done"}))]
pub struct TaskStatus {
    /// `done`, `open` or (vendor users) `skipped`.
    pub status: String,
}

/// Ticks, reopens or skips an onboarding task.
#[utoipa::path(patch, path = "/onboarding-tasks/{id}", tag = "partners", operation_id = "set_task_status", request_body = TaskStatus,
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn set_task(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TaskId>,
    body: ApiJson<TaskStatus>,
) -> ApiResult<Json<TaskDto>> {
    Ok(Json(
        s.set_task_status(&actor, id, &body.value.status)
            .await?
            .into(),
    ))
}

/// A contact person at a partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    /// Id.
    pub id: uuid::Uuid,
    /// The partner.
    pub org_id: uuid::Uuid,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Job title.
    pub title: String,
    /// `primary`, `sales`, `technical`, `marketing`, `billing`, `executive`.
    pub role: String,
    /// Send back on update.
    pub version: i64,
    /// Added.
    pub created_at: String,
}

impl From<Contact> for ContactDto {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id.as_uuid(),
            org_id: c.org_id.as_uuid(),
            name: c.name,
            email: c.email,
            phone: c.phone,
            title: c.title,
            role: c.role,
            version: c.version,
            created_at: instant(c.created_at),
        }
    }
}

/// A contact's fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Priya Raman", "email": "priya@northwind.example", "phone": "+49 30 1234567", "title": "Head of Alliances", "role": "primary"}))]
pub struct ContactBody {
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Job title.
    #[serde(default)]
    pub title: String,
    /// Role.
    pub role: String,
}

impl From<ContactBody> for ContactInput {
    fn from(b: ContactBody) -> Self {
        Self {
            name: b.name,
            email: b.email,
            phone: b.phone,
            title: b.title,
            role: b.role,
        }
    }
}

/// A contact change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "name": "Priya Raman", "email": "priya@northwind.example", "phone": "", "title": "VP Alliances", "role": "executive"}))]
pub struct ContactUpdate {
    /// The version you read.
    pub version: i64,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Job title.
    #[serde(default)]
    pub title: String,
    /// Role.
    pub role: String,
}

/// A partner's contacts.
#[utoipa::path(get, path = "/partners/{id}/contacts", tag = "partners", operation_id = "list_contacts",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = Vec<ContactDto>), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn list_contacts(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<Vec<ContactDto>>> {
    Ok(Json(
        s.list_contacts(&actor, id)
            .await?
            .into_iter()
            .map(ContactDto::from)
            .collect(),
    ))
}

/// Adds a contact.
#[utoipa::path(post, path = "/partners/{id}/contacts", tag = "partners", operation_id = "create_contact", request_body = ContactBody,
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = ContactDto), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_contact(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
    idem: Idempotency,
    body: ApiJson<ContactBody>,
) -> ApiResult<Response> {
    let input = ContactInput::from(body.value);
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.create_contact(&actor, id, &input)
            .await
            .map(ContactDto::from)
    })
    .await
}

/// Reads a contact.
#[utoipa::path(get, path = "/contacts/{id}", tag = "partners", operation_id = "get_contact",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_contact(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ContactId>,
) -> ApiResult<Json<ContactDto>> {
    Ok(Json(s.get_contact(&actor, id).await?.into()))
}

/// Changes a contact.
#[utoipa::path(put, path = "/contacts/{id}", tag = "partners", operation_id = "update_contact", request_body = ContactUpdate,
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update_contact(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ContactId>,
    body: ApiJson<ContactUpdate>,
) -> ApiResult<Json<ContactDto>> {
    let b = body.value;
    let input = ContactInput {
        name: b.name,
        email: b.email,
        phone: b.phone,
        title: b.title,
        role: b.role,
    };
    Ok(Json(
        s.update_contact(&actor, id, b.version, &input)
            .await?
            .into(),
    ))
}

/// Removes a contact.
#[utoipa::path(delete, path = "/contacts/{id}", tag = "partners", operation_id = "delete_contact",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, body = Ack), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn delete_contact(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<ContactId>,
) -> ApiResult<Json<Ack>> {
    s.delete_contact(&actor, id).await?;
    Ok(Json(Ack { ok: true }))
}

/// One metric value.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricDto {
    /// Metric id.
    pub metric: Metric,
    /// Value; money in minor units of the program's reporting currency.
    pub value: i64,
    /// `computed`, `manual`, `api`, `demo` or the capability that wrote it.
    pub source: String,
    /// When.
    pub updated_at: String,
}

impl From<MetricValue> for MetricDto {
    fn from(m: MetricValue) -> Self {
        Self {
            metric: m.metric,
            value: m.value,
            source: m.source,
            updated_at: instant(m.updated_at),
        }
    }
}

/// The figures the partner's tier is judged on.
#[utoipa::path(get, path = "/partners/{id}/metrics", tag = "partners", operation_id = "partner_metrics",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = Vec<MetricDto>), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn metrics(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<Vec<MetricDto>>> {
    Ok(Json(
        s.partner_metrics(&actor, id)
            .await?
            .into_iter()
            .map(MetricDto::from)
            .collect(),
    ))
}

/// A metric value to set; `null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"value": 125_000_000}))]
pub struct MetricBody {
    /// The value (money in minor units), or `null` for "no data".
    pub value: Option<i64>,
}

/// Sets a metric the lifecycle does not compute (revenue, deals, certifications, PSAT until
/// their capabilities supply them).
#[utoipa::path(put, path = "/partners/{id}/metrics/{metric}", tag = "partners", operation_id = "set_partner_metric", request_body = MetricBody,
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id"), ("metric" = String, Path, description = "Metric id")),
    responses((status = 200, body = Option<MetricDto>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn set_metric(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path((id, metric)): Path<(String, String)>,
    body: ApiJson<MetricBody>,
) -> ApiResult<Json<Option<MetricDto>>> {
    let id: OrgId = id.parse().map_err(|_| trellis_service::Error::NotFound)?;
    // Someone else's partner is a 404 whatever the metric says.
    s.get_partner(&actor, id).await?;
    let metric = metric
        .parse::<Metric>()
        .map_err(|m| trellis_service::Error::field("metric", m))?;
    let v = s
        .set_partner_metric(&actor, id, metric, body.value.value, "api")
        .await?;
    Ok(Json(v.map(MetricDto::from)))
}

/// One recorded tier decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierChangeDto {
    /// Id.
    pub id: uuid::Uuid,
    /// The partner.
    pub org_id: uuid::Uuid,
    /// `assigned`, `upgraded`, `downgraded`, `grace_started`, `recovered`, `overridden`,
    /// `override_ended`.
    pub outcome: String,
    /// Tier before.
    pub from_tier: Option<String>,
    /// Tier after.
    pub to_tier: Option<String>,
    /// The reason, naming the figures.
    pub reason: String,
    /// Each tier's requirements with the partner's values at the time.
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
    /// Who decided; absent for the tier engine.
    pub actor_id: Option<uuid::Uuid>,
    /// When.
    pub created_at: String,
}

impl From<TierChange> for TierChangeDto {
    fn from(c: TierChange) -> Self {
        Self {
            id: c.id,
            org_id: c.org_id.as_uuid(),
            outcome: c.outcome,
            from_tier: c.from_tier,
            to_tier: c.to_tier,
            reason: c.reason,
            figures: c.figures,
            actor_id: c.actor_id.map(UserId::as_uuid),
            created_at: instant(c.created_at),
        }
    }
}

/// The partner's tier decisions, newest first.
#[utoipa::path(get, path = "/partners/{id}/tier-changes", tag = "partners", operation_id = "partner_tier_changes",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = Vec<TierChangeDto>), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn tier_changes(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<Vec<TierChangeDto>>> {
    Ok(Json(
        s.partner_tier_changes(&actor, id)
            .await?
            .into_iter()
            .map(TierChangeDto::from)
            .collect(),
    ))
}

/// The outcome of a tier evaluation.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierDecisionDto {
    /// The engine's evaluation: outcome, the tier qualified for, every requirement checked.
    pub evaluation: Evaluation,
    /// One sentence naming the figures.
    pub explanation: String,
    /// The partner after the decision.
    pub partner: PartnerDto,
}

impl From<TierDecision> for TierDecisionDto {
    fn from(d: TierDecision) -> Self {
        Self {
            evaluation: d.evaluation,
            explanation: d.explanation,
            partner: PartnerDto::of(d.partner, true),
        }
    }
}

/// Evaluates the partner's tier now and applies the decision.
#[utoipa::path(post, path = "/partners/{id}/tier-evaluation", tag = "partners", operation_id = "evaluate_partner_tier",
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = TierDecisionDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn evaluate_tier(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<TierDecisionDto>> {
    Ok(Json(s.evaluate_partner_tier(&actor, id).await?.into()))
}

/// A manual tier override.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 4, "tier": "gold", "reason": "Strategic launch partner for the EMEA region", "until": "2027-06-30T00:00:00Z"}))]
pub struct OverrideBody {
    /// The version you read.
    pub version: i64,
    /// Tier key.
    pub tier: String,
    /// Why; shown to the partner.
    pub reason: String,
    /// Ends (RFC 3339); absent until removed.
    pub until: Option<String>,
}

/// Puts the partner on a tier by hand.
#[utoipa::path(post, path = "/partners/{id}/tier-override", tag = "partners", operation_id = "set_tier_override", request_body = OverrideBody,
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = TierDecisionDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn set_override(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
    body: ApiJson<OverrideBody>,
) -> ApiResult<Json<TierDecisionDto>> {
    let b = body.value;
    let until = match b.until.as_deref().filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => Some(trellis_domain::Timestamp::parse_rfc3339(u).ok_or_else(|| {
            trellis_service::Error::field(
                "until",
                "must be an RFC 3339 instant such as 2027-06-30T00:00:00Z",
            )
        })?),
    };
    Ok(Json(
        s.set_tier_override(&actor, id, b.version, &b.tier, &b.reason, until)
            .await?
            .into(),
    ))
}

/// Ending a tier override.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 5, "reason": "Launch period over"}))]
pub struct ClearOverrideBody {
    /// The version you read.
    pub version: i64,
    /// Why.
    pub reason: String,
}

/// Ends a manual tier override; the engine decides from the figures again.
#[utoipa::path(post, path = "/partners/{id}/tier-override/clear", tag = "partners", operation_id = "clear_tier_override", request_body = ClearOverrideBody,
    params(("id" = uuid::Uuid, Path, description = "Partner organisation id")),
    responses((status = 200, body = TierDecisionDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn clear_override(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
    body: ApiJson<ClearOverrideBody>,
) -> ApiResult<Json<TierDecisionDto>> {
    let b = body.value;
    Ok(Json(
        s.clear_tier_override(&actor, id, b.version, &b.reason)
            .await?
            .into(),
    ))
}
