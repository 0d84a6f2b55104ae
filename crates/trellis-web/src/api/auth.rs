//! Signing in through the API, the current user, invitations and password resets.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use trellis_service::Services;
use trellis_service::platform::auth::ActionPurpose;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Ack, instant};
use super::extract::{ApiActor, ApiJson};
use super::users::UserDto;
use crate::client::Client;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
        .routes(routes!(accept_invitation))
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@vendor.example", "password": "trellis-demo"}))]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A bearer token for the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: String,
    /// Who signed in.
    pub user: UserDto,
}

/// Signs in and returns a bearer token. Rate limited per client address; repeated failures
/// lock the account for a while.
#[utoipa::path(post, path = "/auth/login", tag = "auth", operation_id = "login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(s): State<Services>,
    Client(client): Client,
    body: ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let t = s
        .issue_login_token(&body.value.email, &body.value.password, &client)
        .await?;
    Ok(Json(LoginResponse {
        token: t.token,
        expires_at: instant(t.expires_at),
        user: UserDto::from(t.user),
    }))
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "auth", operation_id = "me",
    responses((status = 200, body = UserDto), (status = 401, body = Problem)), security(("bearer" = [])))]
async fn me(State(s): State<Services>, ApiActor(actor): ApiActor) -> ApiResult<Json<UserDto>> {
    let id = actor.require_user().map_err(ApiError::from)?.user_id;
    Ok(Json(UserDto::from(s.get_user(&actor, id).await?)))
}

/// Asks for a password-reset e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@vendor.example"}))]
pub struct ResetRequest {
    /// The account's e-mail address.
    pub email: String,
}

/// Sends a one-time reset link if the address has an active account. Always answers the same,
/// so it does not reveal who has an account.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", operation_id = "request_password_reset",
    request_body = ResetRequest, responses((status = 202, body = Ack), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn request_reset(
    State(s): State<Services>,
    Client(client): Client,
    body: ApiJson<ResetRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<Ack>)> {
    s.request_password_reset(&body.value.email, &client).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(Ack { ok: true })))
}

/// A one-time token from an e-mail and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "rst_…", "password": "a long new passphrase"}))]
pub struct TokenPassword {
    /// The token from the link.
    pub token: String,
    /// The new password (at least 12 characters).
    pub password: String,
}

/// Sets a new password with a reset token; ends every session of the user.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", operation_id = "confirm_password_reset",
    request_body = TokenPassword, responses((status = 200, body = UserDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn confirm_reset(
    State(s): State<Services>,
    body: ApiJson<TokenPassword>,
) -> ApiResult<Json<UserDto>> {
    let u = s
        .complete_action_token(
            ActionPurpose::PasswordReset,
            &body.value.token,
            &body.value.password,
        )
        .await?;
    Ok(Json(UserDto::from(u)))
}

/// Accepts an invitation by choosing a password; the user becomes active.
#[utoipa::path(post, path = "/auth/invitations/accept", tag = "auth", operation_id = "accept_invitation",
    request_body = TokenPassword, responses((status = 200, body = UserDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn accept_invitation(
    State(s): State<Services>,
    body: ApiJson<TokenPassword>,
) -> ApiResult<Json<UserDto>> {
    let u = s
        .complete_action_token(
            ActionPurpose::Invitation,
            &body.value.token,
            &body.value.password,
        )
        .await?;
    Ok(Json(UserDto::from(u)))
}
