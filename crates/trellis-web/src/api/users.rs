//! Users: invitations, roles, deactivation. A partner admin manages its own organisation's
//! users; a partner user can read only itself.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::{OrgId, UserId};
use trellis_service::Services;
use trellis_service::platform::users::{InviteInput, User, UserPatch as ServicePatch};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Ack, Paging, instant, instant_opt, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, invite))
        .routes(routes!(get, update))
        .routes(routes!(resend_invitation))
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Organisation.
    pub org_id: uuid::Uuid,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// One of the six roles.
    pub role: String,
    /// `invited`, `active` or `disabled`.
    pub status: String,
    /// Last sign-in.
    pub last_login_at: Option<String>,
    /// Locked out until.
    pub locked_until: Option<String>,
    /// Send back on update.
    pub version: i64,
    /// Created.
    pub created_at: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.as_uuid(),
            org_id: u.org_id.as_uuid(),
            email: u.email,
            name: u.name,
            role: u.role.as_str().into(),
            status: u.status,
            last_login_at: instant_opt(u.last_login_at),
            locked_until: instant_opt(u.locked_until),
            version: u.version,
            created_at: instant(u.created_at),
        }
    }
}

list_type!(UserList, UserDto);

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only this organisation's users.
    pub org_id: Option<uuid::Uuid>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
}

/// An invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jo@northwind.example", "name": "Jo Park", "role": "partner_user"}))]
pub struct NewInvitation {
    /// Address to invite.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Organisation (default: the vendor, or the partner admin's own).
    pub org_id: Option<uuid::Uuid>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1, "name": "Jo Park-Lee"}))]
pub struct UserPatch {
    /// The version you read.
    pub version: i64,
    /// Display name.
    pub name: Option<String>,
    /// Role (same side only).
    pub role: Option<String>,
    /// `active` or `disabled`; disabling ends sessions and revokes tokens.
    pub status: Option<String>,
}

/// Lists users by e-mail address.
#[utoipa::path(get, path = "/users", tag = "users", operation_id = "list_users", params(UserQuery),
    responses((status = 200, body = UserList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<UserList>> {
    let paging = Paging {
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = s
        .list_users(&actor, q.org_id.map(OrgId::from_uuid), &(&paging).into())
        .await?;
    Ok(Json(UserList::from_page(page, UserDto::from)))
}

/// Invites a user by e-mail.
#[utoipa::path(post, path = "/users", tag = "users", operation_id = "invite_user", request_body = NewInvitation,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = UserDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn invite(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<NewInvitation>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = InviteInput {
        email: b.email,
        name: b.name,
        role: b.role,
        org_id: b.org_id.map(OrgId::from_uuid),
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.invite_user(&actor, &input).await.map(UserDto::from)
    })
    .await
}

/// Reads a user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", operation_id = "get_user",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, body = UserDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<UserId>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(s.get_user(&actor, id).await?.into()))
}

/// Changes a user's name, role or status.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", operation_id = "update_user", request_body = UserPatch,
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, body = UserDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<UserId>,
    body: ApiJson<UserPatch>,
) -> ApiResult<Json<UserDto>> {
    let p = body.value;
    let patch = ServicePatch {
        name: p.name,
        role: p.role,
        status: p.status,
    };
    Ok(Json(
        s.update_user(&actor, id, p.version, &patch).await?.into(),
    ))
}

/// Sends a fresh invitation link (the old one stops working).
#[utoipa::path(post, path = "/users/{id}/resend-invitation", tag = "users", operation_id = "resend_invitation",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, body = Ack), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn resend_invitation(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<UserId>,
) -> ApiResult<Json<Ack>> {
    s.resend_invitation(&actor, id).await?;
    Ok(Json(Ack { ok: true }))
}
