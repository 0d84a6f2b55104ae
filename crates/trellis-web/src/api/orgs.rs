//! Organisations: the vendor and its partners. A partner sees only its own organisation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::{OrgId, OrgKind};
use trellis_service::Services;
use trellis_service::platform::orgs::{Org, OrgInput};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Paging, instant, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDto {
    /// Id.
    pub id: uuid::Uuid,
    /// `vendor` or `partner`.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// URL-safe handle.
    pub slug: String,
    /// `reseller`, `distributor`, `msp`, `isv`, `si`, `referral`, `influence`, `marketplace`.
    pub partner_type: Option<String>,
    /// Tier key (see `GET /tiers`); set by the tier engine or a tier override.
    pub tier: Option<String>,
    /// `na`, `latam`, `emea`, `apj`.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Send back on update.
    pub version: i64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Changed (RFC 3339).
    pub updated_at: String,
}

impl From<Org> for OrgDto {
    fn from(o: Org) -> Self {
        Self {
            id: o.id.as_uuid(),
            kind: o.kind.as_str().into(),
            name: o.name,
            slug: o.slug,
            partner_type: o.partner_type.map(|v| v.as_str().into()),
            tier: o.tier.map(|v| v.as_str().into()),
            region: o.region.map(|v| v.as_str().into()),
            country: o.country,
            website: o.website,
            version: o.version,
            created_at: instant(o.created_at),
            updated_at: instant(o.updated_at),
        }
    }
}

list_type!(OrgList, OrgDto);

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// `vendor` or `partner`.
    pub kind: Option<String>,
    /// Case-insensitive part of the name.
    pub q: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// A new partner organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Northwind Systems", "partner_type": "reseller", "region": "emea", "country": "DE", "website": "https://northwind.example"}))]
pub struct NewOrg {
    /// Display name.
    pub name: String,
    /// Handle; derived from the name when absent.
    pub slug: Option<String>,
    /// Partner type (required).
    pub partner_type: Option<String>,
    /// First tier (a tier key); the tier engine assigns one when absent.
    pub tier: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Website.
    pub website: Option<String>,
}

/// Changes to an organisation: absent fields stay as they are, an empty string clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "country": "DE"}))]
pub struct OrgPatch {
    /// The version you read.
    pub version: i64,
    /// Display name.
    pub name: Option<String>,
    /// Partner type.
    pub partner_type: Option<String>,
    /// Tier: only its current value is accepted; tiers change through the tier engine or
    /// `POST /partners/{id}/tier-override`.
    pub tier: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Website.
    pub website: Option<String>,
}

/// Lists organisations by name.
#[utoipa::path(get, path = "/orgs", tag = "orgs", operation_id = "list_orgs", params(OrgQuery),
    responses((status = 200, body = OrgList), (status = 400, body = Problem), (status = 401, body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> ApiResult<Json<OrgList>> {
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(str::parse::<OrgKind>)
        .transpose()
        .map_err(|m| trellis_service::Error::field("kind", m))?;
    let paging = Paging {
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = s
        .list_orgs(&actor, kind, q.q.as_deref(), &(&paging).into())
        .await?;
    Ok(Json(OrgList::from_page(page, OrgDto::from)))
}

/// Creates a partner organisation.
#[utoipa::path(post, path = "/orgs", tag = "orgs", operation_id = "create_org", request_body = NewOrg,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = OrgDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<NewOrg>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = OrgInput {
        name: b.name,
        slug: b.slug,
        partner_type: b.partner_type,
        tier: b.tier,
        region: b.region,
        country: b.country,
        website: b.website,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.create_org(&actor, OrgKind::Partner, &input)
            .await
            .map(OrgDto::from)
    })
    .await
}

/// Reads an organisation.
#[utoipa::path(get, path = "/orgs/{id}", tag = "orgs", operation_id = "get_org",
    params(("id" = uuid::Uuid, Path, description = "Organisation id")),
    responses((status = 200, body = OrgDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
) -> ApiResult<Json<OrgDto>> {
    Ok(Json(s.get_org(&actor, id).await?.into()))
}

/// Updates an organisation's profile.
#[utoipa::path(patch, path = "/orgs/{id}", tag = "orgs", operation_id = "update_org", request_body = OrgPatch,
    params(("id" = uuid::Uuid, Path, description = "Organisation id")),
    responses((status = 200, body = OrgDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OrgId>,
    body: ApiJson<OrgPatch>,
) -> ApiResult<Json<OrgDto>> {
    let p = body.value;
    let cur = s.get_org(&actor, id).await?;
    let keep = |new: Option<String>, old: Option<String>| new.or(old);
    let input = OrgInput {
        name: p.name.unwrap_or(cur.name),
        slug: Some(cur.slug),
        partner_type: keep(p.partner_type, cur.partner_type.map(|v| v.as_str().into())),
        tier: keep(p.tier, cur.tier.map(|v| v.as_str().into())),
        region: keep(p.region, cur.region.map(|v| v.as_str().into())),
        country: keep(p.country, cur.country),
        website: keep(p.website, cur.website),
    };
    Ok(Json(
        s.update_org(&actor, id, p.version, &input).await?.into(),
    ))
}
