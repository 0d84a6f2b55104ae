//! The caller's own long-lived API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_domain::TokenId;
use trellis_service::Services;
use trellis_service::platform::tokens::{ApiToken, TokenInput};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Paging, instant, instant_opt, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, revoke))
}

/// An API token (without its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Label.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Scopes such as `orgs:read`.
    pub scopes: Vec<String>,
    /// Created.
    pub created_at: String,
    /// Last used (to the minute).
    pub last_used_at: Option<String>,
    /// Expiry; absent for no expiry.
    pub expires_at: Option<String>,
    /// Revoked.
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id.as_uuid(),
            name: t.name,
            prefix: t.prefix,
            scopes: t.scopes,
            created_at: instant(t.created_at),
            last_used_at: instant_opt(t.last_used_at),
            expires_at: instant_opt(t.expires_at),
            revoked_at: instant_opt(t.revoked_at),
        }
    }
}

list_type!(TokenList, TokenDto);

/// A token just created; `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenDto {
    /// The secret: send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Metadata.
    #[serde(flatten)]
    pub meta: TokenDto,
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "CRM sync", "scopes": ["orgs:read"], "expires_in_days": 90}))]
pub struct NewToken {
    /// Label.
    pub name: String,
    /// Scopes, within your role.
    pub scopes: Vec<String>,
    /// 1–365 days; absent for no expiry.
    pub expires_in_days: Option<u32>,
}

/// Lists your API tokens, newest first.
#[utoipa::path(get, path = "/tokens", tag = "tokens", operation_id = "list_tokens", params(Paging),
    responses((status = 200, body = TokenList), (status = 401, body = Problem)), security(("bearer" = [])))]
async fn list(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList::from_page(
        s.list_tokens(&actor, &(&p).into()).await?,
        TokenDto::from,
    )))
}

/// Creates an API token for yourself.
#[utoipa::path(post, path = "/tokens", tag = "tokens", operation_id = "create_token", request_body = NewToken,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = CreatedTokenDto), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn create(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<NewToken>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = TokenInput {
        name: b.name,
        scopes: b.scopes,
        expires_in_days: b.expires_in_days,
    };
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.create_token(&actor, &input)
            .await
            .map(|c| CreatedTokenDto {
                token: c.token,
                meta: c.meta.into(),
            })
    })
    .await
}

/// Reads one of your tokens.
#[utoipa::path(get, path = "/tokens/{id}", tag = "tokens", operation_id = "get_token",
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses((status = 200, body = TokenDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TokenId>,
) -> ApiResult<Json<TokenDto>> {
    Ok(Json(s.get_token(&actor, id).await?.into()))
}

/// Revokes one of your tokens (at once, everywhere).
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", operation_id = "revoke_token",
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses((status = 200, body = TokenDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn revoke(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<TokenId>,
) -> ApiResult<Json<TokenDto>> {
    Ok(Json(s.revoke_token(&actor, id).await?.into()))
}
