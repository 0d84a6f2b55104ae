//! Account mapping: each side's populations, its sharing policies (a default and overrides
//! per connection, with a preview of what the other side may learn), and the connections
//! between the vendor and its partners. Every route acts on the caller's own side.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_domain::mapping::{Filter, Share, SharingPolicy};
use trellis_domain::{MappingConnectionId, OrgId, PopulationId};
use trellis_service::Services;
use trellis_service::mapping::{
    Connection, PartnerAccount, PolicyScope, Population, PopulationInput, PreviewLine,
    StoredPolicy, UploadReport,
};
use trellis_service::platform::PageRequest;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Ack, instant, instant_opt, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub mod links;
pub mod runs;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_populations, create_population))
        .routes(routes!(update_population, delete_population))
        .routes(routes!(list_connections))
        .routes(routes!(get_connection))
        .routes(routes!(opt_in))
        .routes(routes!(opt_out))
        .routes(routes!(get_default_policy, put_default_policy))
        .routes(routes!(list_policies))
        .routes(routes!(
            get_connection_policy,
            put_connection_policy,
            delete_connection_policy
        ))
        .routes(routes!(preview))
        .routes(routes!(list_accounts, upload_accounts))
        .merge(runs::routes())
        .merge(links::routes())
}

/// A population of your side's accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PopulationDto {
    /// Id.
    pub id: uuid::Uuid,
    /// `customers`, `open_opportunities`, `prospects`, or your custom key.
    pub key: String,
    /// Name.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// Which accounts belong: every condition must hold.
    pub filter: Filter,
    /// One of the three every side has; it cannot be changed or deleted.
    pub builtin: bool,
    /// Accounts in it.
    pub member_count: u64,
    /// When they were counted (recounted whenever your accounts change).
    pub counted_at: Option<String>,
    /// Send back to change it.
    pub version: i64,
}

impl From<Population> for PopulationDto {
    fn from(p: Population) -> Self {
        Self {
            id: p.id.as_uuid(),
            key: p.key,
            name: p.name,
            description: p.description,
            filter: p.filter,
            builtin: p.builtin,
            member_count: p.member_count,
            counted_at: instant_opt(p.counted_at),
            version: p.version,
        }
    }
}

/// A custom population.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "DACH enterprise", "description": "Large accounts in Germany, Austria and Switzerland",
    "filter": {"conditions": [{"field": "country", "op": "is_one_of", "values": ["DE", "AT", "CH"]},
        {"field": "employees", "op": "at_least", "values": ["1000"]}]}}))]
pub struct PopulationBody {
    /// Key: lower-case letters, digits and `_` (made from the name when left out; fixed once
    /// created).
    #[serde(default)]
    pub key: String,
    /// Name (required).
    pub name: String,
    /// What it holds.
    #[serde(default)]
    pub description: String,
    /// Which accounts belong.
    #[serde(default)]
    pub filter: Filter,
}

/// A change to a custom population.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "name": "DACH enterprise", "description": "",
    "filter": {"conditions": [{"field": "country", "op": "is_one_of", "values": ["DE", "AT", "CH"]}]}}))]
pub struct PopulationChange {
    /// The version you read.
    pub version: i64,
    /// Name (required).
    pub name: String,
    /// What it holds.
    #[serde(default)]
    pub description: String,
    /// Which accounts belong.
    #[serde(default)]
    pub filter: Filter,
}

/// Your side's populations, built-ins first, with their current counts.
#[utoipa::path(get, path = "/mapping/populations", tag = "mapping", operation_id = "list_populations",
    responses((status = 200, body = Vec<PopulationDto>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_populations(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<PopulationDto>>> {
    let all = s.list_populations(&actor).await?;
    Ok(Json(all.into_iter().map(PopulationDto::from).collect()))
}

/// Defines a custom population of your side's accounts.
#[utoipa::path(post, path = "/mapping/populations", tag = "mapping", operation_id = "create_population", request_body = PopulationBody,
    responses((status = 201, body = PopulationDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_population(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<PopulationBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = PopulationInput {
        key: b.key,
        name: b.name,
        description: b.description,
        filter: b.filter,
    };
    let p = s.create_population(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(PopulationDto::from(p))).into_response())
}

const POPULATION: &str = "Population id";

/// Changes a custom population's name, description or filter; its key stays.
#[utoipa::path(put, path = "/mapping/populations/{id}", tag = "mapping", operation_id = "update_population", request_body = PopulationChange,
    params(("id" = uuid::Uuid, Path, description = POPULATION)),
    responses((status = 200, body = PopulationDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update_population(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<PopulationId>,
    body: ApiJson<PopulationChange>,
) -> ApiResult<Json<PopulationDto>> {
    let b = body.value;
    let input = PopulationInput {
        key: String::new(),
        name: b.name,
        description: b.description,
        filter: b.filter,
    };
    let p = s.update_population(&actor, id, b.version, &input).await?;
    Ok(Json(p.into()))
}

/// Deletes a custom population; your sharing policies forget it.
#[utoipa::path(delete, path = "/mapping/populations/{id}", tag = "mapping", operation_id = "delete_population",
    params(("id" = uuid::Uuid, Path, description = POPULATION)),
    responses((status = 200, body = Ack), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn delete_population(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<PopulationId>,
) -> ApiResult<Json<Ack>> {
    s.delete_population(&actor, id).await?;
    Ok(Json(Ack { ok: true }))
}

/// A mapping connection between the vendor and a partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct MappingConnectionDto {
    /// Id.
    pub id: uuid::Uuid,
    /// The partner.
    pub partner_id: uuid::Uuid,
    /// Its name.
    pub partner_name: String,
    /// When the vendor opted in.
    pub vendor_opted_in_at: Option<String>,
    /// When the partner opted in.
    pub partner_opted_in_at: Option<String>,
    /// Both sides have opted in.
    pub active: bool,
    /// Version.
    pub version: i64,
}

impl From<Connection> for MappingConnectionDto {
    fn from(c: Connection) -> Self {
        Self {
            id: c.id.as_uuid(),
            partner_id: c.partner_id.as_uuid(),
            partner_name: c.partner_name,
            vendor_opted_in_at: instant_opt(c.vendor_opted_in_at),
            partner_opted_in_at: instant_opt(c.partner_opted_in_at),
            active: c.active,
            version: c.version,
        }
    }
}

/// Which connection to opt in to or out of.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partner_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}))]
pub struct MappingOptBody {
    /// The partner (the vendor's users; a partner's users leave it out).
    pub partner_id: Option<uuid::Uuid>,
}

/// The connections your side takes part in: every one for the vendor, your own for a
/// partner.
#[utoipa::path(get, path = "/mapping/connections", tag = "mapping", operation_id = "list_mapping_connections",
    responses((status = 200, body = Vec<MappingConnectionDto>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_connections(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<MappingConnectionDto>>> {
    let all = s.mapping_connections(&actor).await?;
    Ok(Json(
        all.into_iter().map(MappingConnectionDto::from).collect(),
    ))
}

const CONNECTION: &str = "Mapping connection id";

/// One connection your side takes part in.
#[utoipa::path(get, path = "/mapping/connections/{id}", tag = "mapping", operation_id = "get_mapping_connection",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 200, body = MappingConnectionDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_connection(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Json<MappingConnectionDto>> {
    Ok(Json(s.mapping_connection(&actor, id).await?.into()))
}

/// Opts your side in to account mapping with the other: the vendor names the partner. The
/// other side's people are e-mailed; mappings run once both sides are in.
#[utoipa::path(post, path = "/mapping/connections/opt-in", tag = "mapping", operation_id = "opt_in_mapping", request_body = MappingOptBody,
    responses((status = 200, body = MappingConnectionDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn opt_in(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<MappingOptBody>,
) -> ApiResult<Json<MappingConnectionDto>> {
    let partner = body.value.partner_id.map(OrgId::from_uuid);
    Ok(Json(s.opt_in_mapping(&actor, partner).await?.into()))
}

/// Opts your side out: no mapping runs until it opts in again.
#[utoipa::path(post, path = "/mapping/connections/opt-out", tag = "mapping", operation_id = "opt_out_mapping", request_body = MappingOptBody,
    responses((status = 200, body = MappingConnectionDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn opt_out(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<MappingOptBody>,
) -> ApiResult<Json<MappingConnectionDto>> {
    let partner = body.value.partner_id.map(OrgId::from_uuid);
    Ok(Json(s.opt_out_mapping(&actor, partner).await?.into()))
}

/// A sharing policy of your side.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingPolicyDto {
    /// The connection of an override; none for your default.
    pub connection_id: Option<uuid::Uuid>,
    /// The policy as written (an override names only what it changes).
    pub policy: SharingPolicy,
    /// The policy in force: for an override, the override over your default.
    pub effective: SharingPolicy,
    /// Send back to change it (0: never saved).
    pub version: i64,
    /// Who saved it last.
    pub updated_by: Option<uuid::Uuid>,
    /// When.
    pub updated_at: Option<String>,
}

impl From<StoredPolicy> for SharingPolicyDto {
    fn from(p: StoredPolicy) -> Self {
        Self {
            connection_id: match p.scope {
                PolicyScope::Default => None,
                PolicyScope::Connection(id) => Some(id.as_uuid()),
            },
            policy: p.policy,
            effective: p.effective,
            version: p.version,
            updated_by: p.updated_by.map(trellis_domain::UserId::as_uuid),
            updated_at: p.updated_at.map(instant),
        }
    }
}

/// A policy to save: per population key, nothing, counts or records with fields; counts
/// below `min_count` are hidden from the other side.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 0, "policy": {"populations": {
    "customers": {"level": "records", "fields": ["name", "owner"]},
    "open_opportunities": {"level": "counts"}}, "min_count": 3}}))]
pub struct SharingPolicyBody {
    /// The version you read (0 for a first save).
    pub version: i64,
    /// The policy.
    pub policy: SharingPolicy,
}

/// Your side's policies: the default first, then the overrides.
#[utoipa::path(get, path = "/mapping/policies", tag = "mapping", operation_id = "list_sharing_policies",
    responses((status = 200, body = Vec<SharingPolicyDto>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_policies(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<SharingPolicyDto>>> {
    let all = s.sharing_policies(&actor).await?;
    Ok(Json(all.into_iter().map(SharingPolicyDto::from).collect()))
}

/// Your side's default sharing policy (for every connection without an override).
#[utoipa::path(get, path = "/mapping/policies/default", tag = "mapping", operation_id = "get_default_sharing_policy",
    responses((status = 200, body = SharingPolicyDto), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn get_default_policy(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<SharingPolicyDto>> {
    Ok(Json(
        s.sharing_policy(&actor, PolicyScope::Default).await?.into(),
    ))
}

/// Saves your side's default sharing policy. Audited; it takes effect on the next mapping.
#[utoipa::path(put, path = "/mapping/policies/default", tag = "mapping", operation_id = "put_default_sharing_policy", request_body = SharingPolicyBody,
    responses((status = 200, body = SharingPolicyDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_default_policy(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    body: ApiJson<SharingPolicyBody>,
) -> ApiResult<Json<SharingPolicyDto>> {
    let b = body.value;
    let saved = s
        .put_sharing_policy(&actor, PolicyScope::Default, b.version, &b.policy)
        .await?;
    Ok(Json(saved.into()))
}

/// Your side's override for one connection (empty, version 0, when there is none).
#[utoipa::path(get, path = "/mapping/connections/{id}/policy", tag = "mapping", operation_id = "get_connection_sharing_policy",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 200, body = SharingPolicyDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_connection_policy(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Json<SharingPolicyDto>> {
    let p = s
        .sharing_policy(&actor, PolicyScope::Connection(id))
        .await?;
    Ok(Json(p.into()))
}

/// Saves your side's override for one connection: what it leaves out is your default's.
#[utoipa::path(put, path = "/mapping/connections/{id}/policy", tag = "mapping", operation_id = "put_connection_sharing_policy", request_body = SharingPolicyBody,
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 200, body = SharingPolicyDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_connection_policy(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
    body: ApiJson<SharingPolicyBody>,
) -> ApiResult<Json<SharingPolicyDto>> {
    let b = body.value;
    let saved = s
        .put_sharing_policy(&actor, PolicyScope::Connection(id), b.version, &b.policy)
        .await?;
    Ok(Json(saved.into()))
}

/// Removes your side's override for a connection: your default applies again.
#[utoipa::path(delete, path = "/mapping/connections/{id}/policy", tag = "mapping", operation_id = "delete_connection_sharing_policy",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 200, body = Ack), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn delete_connection_policy(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Json<Ack>> {
    s.delete_sharing_override(&actor, id).await?;
    Ok(Json(Ack { ok: true }))
}

/// What the other side of a connection may learn of one of your populations.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingPreviewDto {
    /// Your population.
    pub population: PopulationDto,
    /// What the policy in force shares of it.
    pub share: Share,
    /// For shared records: one of its accounts as the other side would see it, should it
    /// overlap (only the shared fields).
    #[schema(value_type = Option<Object>)]
    pub example: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A preview of what the other side of a connection may learn from yours under the policy
/// in force.
#[utoipa::path(get, path = "/mapping/connections/{id}/preview", tag = "mapping", operation_id = "preview_sharing",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 200, body = Vec<SharingPreviewDto>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn preview(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Json<Vec<SharingPreviewDto>>> {
    let lines = s.sharing_preview(&actor, id).await?;
    Ok(Json(
        lines
            .into_iter()
            .map(|l: PreviewLine| SharingPreviewDto {
                population: l.population.into(),
                share: l.share,
                example: l.example,
            })
            .collect(),
    ))
}

/// An account your organisation brought for mapping (partners).
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerAccountDto {
    /// Your id for it (your CRM's, else `domain:…` or `name:…`).
    pub external_id: String,
    /// Company name.
    pub name: String,
    /// Website as given.
    pub website: String,
    /// Its registrable domain.
    pub domain: String,
    /// ISO country code.
    pub country: String,
    /// Industry.
    pub industry: String,
    /// Head count.
    pub employees: Option<i64>,
    /// Your account type.
    pub account_type: String,
    /// Customer, prospect, partner or other.
    pub relationship: String,
    /// Your open opportunities on it.
    pub open_opportunities: i64,
    /// Its owner at your organisation.
    pub owner: String,
    /// Last written.
    pub updated_at: String,
}

impl From<PartnerAccount> for PartnerAccountDto {
    fn from(a: PartnerAccount) -> Self {
        Self {
            external_id: a.external_id,
            name: a.name,
            website: a.website,
            domain: a.domain,
            country: a.country,
            industry: a.industry,
            employees: a.employees,
            account_type: a.account_type,
            relationship: a.relationship,
            open_opportunities: a.open_opportunities,
            owner: a.owner,
            updated_at: instant(a.updated_at),
        }
    }
}

list_type!(PartnerAccountList, PartnerAccountDto);

/// Filters of the account list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountListQuery {
    /// Part of the name.
    pub q: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// The accounts your organisation brought for mapping, by name (partners only: the vendor
/// maps its CRM).
#[utoipa::path(get, path = "/mapping/accounts", tag = "mapping", operation_id = "list_partner_accounts", params(AccountListQuery),
    responses((status = 200, body = PartnerAccountList), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list_accounts(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AccountListQuery>,
) -> ApiResult<Json<PartnerAccountList>> {
    let page = PageRequest {
        cursor: q.cursor,
        limit: q.limit,
    };
    let p = s
        .list_partner_accounts(
            &actor,
            q.q.as_deref().filter(|q| !q.trim().is_empty()),
            &page,
        )
        .await?;
    Ok(Json(PartnerAccountList::from_page(
        p,
        PartnerAccountDto::from,
    )))
}

/// How an upload treats the accounts you had.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// `true` (the default): the file is your whole list, accounts missing from it are
    /// removed. `false`: the file's accounts are added or updated.
    pub replace: Option<bool>,
}

/// What an upload did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadReportDto {
    /// Rows in the file.
    pub rows: u64,
    /// Accounts new to your list.
    pub added: u64,
    /// Accounts you had, written again.
    pub updated: u64,
    /// Accounts no longer in your list.
    pub removed: u64,
}

impl From<UploadReport> for UploadReportDto {
    fn from(r: UploadReport) -> Self {
        Self {
            rows: r.rows,
            added: r.added,
            updated: r.updated,
            removed: r.removed,
        }
    }
}

/// Uploads your organisation's accounts for mapping (partner admins), as your CRM exports
/// them (Salesforce, HubSpot or a spreadsheet; an `Open Deals` or `Open Opportunities`
/// column counts your open opportunities). A bad row fails the whole file: each problem names
/// its line and column, and nothing is written.
#[utoipa::path(post, path = "/mapping/accounts", tag = "mapping", operation_id = "upload_partner_accounts", params(UploadParams),
    request_body(content = String, content_type = "text/csv", description = "The CSV file as exported"),
    responses((status = 200, body = UploadReportDto), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn upload_accounts(
    State(s): State<Services>,
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<UploadReportDto>> {
    let bytes = super::imports::csv_body(&state, &headers, body).await?;
    let report = s
        .upload_partner_accounts(&actor, &bytes, p.replace.unwrap_or(true))
        .await?;
    Ok(Json(report.into()))
}
