//! Private mapping between two Trellis servers: invite the other server to link a connection,
//! link with an invitation it gave, and read the link's state. The vendor's admins only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_domain::MappingConnectionId;
use trellis_service::Services;
use trellis_service::mapping::{PsiInvitation, PsiLink};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::super::dto::{instant, instant_opt};
use super::super::extract::{ApiActor, ApiId, ApiJson};
use super::CONNECTION;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_invitation))
        .routes(routes!(get_link, link))
}

/// An invitation for the other server, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct PsiInvitationDto {
    /// The one-time token: give it to the other server's admin with `url`. Shown only now.
    pub token: String,
    /// This server's PSI address, for the other server to link with.
    pub url: String,
    /// Until when it can be used.
    pub expires_at: String,
}

impl From<PsiInvitation> for PsiInvitationDto {
    fn from(i: PsiInvitation) -> Self {
        Self {
            token: i.token,
            url: i.url,
            expires_at: instant(i.expires_at),
        }
    }
}

/// A connection's link to its other side on another Trellis server.
#[derive(Debug, Serialize, ToSchema)]
pub struct PsiLinkDto {
    /// The connection maps privately with another server.
    pub linked: bool,
    /// `server` (we invited; the other server starts mappings) or `client` (we linked; our
    /// runs start them).
    pub role: Option<String>,
    /// On the client side: the other server's PSI address.
    pub peer_url: Option<String>,
    /// When it was linked.
    pub linked_at: Option<String>,
    /// When a mapping over it last finished.
    pub last_mapped_at: Option<String>,
    /// When the newest unused invitation expires.
    pub invitation_expires_at: Option<String>,
}

impl From<PsiLink> for PsiLinkDto {
    fn from(l: PsiLink) -> Self {
        Self {
            linked: l.linked,
            role: l.role,
            peer_url: l.peer_url,
            linked_at: instant_opt(l.linked_at),
            last_mapped_at: instant_opt(l.last_mapped_at),
            invitation_expires_at: instant_opt(l.invitation_expires_at),
        }
    }
}

/// Where the other server is and the token it gave.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://trellis.partner.example", "token": "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"}))]
pub struct PsiLinkBody {
    /// The other server's address (its base URL, or its PSI address ending in `/api/v1/psi`).
    pub url: String,
    /// The invitation token it gave.
    pub token: String,
}

/// Invites the other side's own Trellis server to map this connection privately: a one-time
/// token (valid 7 days) for its admin to link with. Redeeming it counts as the other side's
/// opt-in.
#[utoipa::path(post, path = "/mapping/connections/{id}/invitations", tag = "mapping", operation_id = "create_psi_invitation",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 201, body = PsiInvitationDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn create_invitation(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Response> {
    let invitation = s.create_psi_invitation(&actor, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(PsiInvitationDto::from(invitation)),
    )
        .into_response())
}

/// The connection's link to another Trellis server, and any invitation waiting.
#[utoipa::path(get, path = "/mapping/connections/{id}/link", tag = "mapping", operation_id = "get_psi_link",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)),
    responses((status = 200, body = PsiLinkDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_link(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
) -> ApiResult<Json<PsiLinkDto>> {
    Ok(Json(s.psi_link(&actor, id).await?.into()))
}

/// Links the connection with the other side's Trellis server, using the invitation it gave:
/// this server becomes the client, and its runs of the connection map with that server.
#[utoipa::path(post, path = "/mapping/connections/{id}/link", tag = "mapping", operation_id = "link_psi",
    params(("id" = uuid::Uuid, Path, description = CONNECTION)), request_body = PsiLinkBody,
    responses((status = 200, body = PsiLinkDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn link(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<MappingConnectionId>,
    body: ApiJson<PsiLinkBody>,
) -> ApiResult<Json<PsiLinkDto>> {
    let b = body.value;
    Ok(Json(s.link_psi(&actor, id, &b.url, &b.token).await?.into()))
}
