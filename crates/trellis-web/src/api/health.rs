//! `GET /health`: is the process up and the database reachable.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use trellis_service::Services;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Health report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// Trellis version.
    pub version: &'static str,
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Liveness and database reachability (no authentication).
#[utoipa::path(get, path = "/health", tag = "platform", operation_id = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(s): State<Services>) -> (StatusCode, Json<Health>) {
    let database = match s.db().backend() {
        trellis_service::platform::Backend::Sqlite => "sqlite",
        trellis_service::platform::Backend::Postgres => "postgres",
    };
    let ok = s.db().ping().await.is_ok();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if ok { "ok" } else { "degraded" },
            database,
            version: env!("CARGO_PKG_VERSION"),
        }),
    )
}
