//! The JSON API under `/api/v1`, and its OpenAPI 3.1 document, generated from the handlers
//! themselves: a route cannot be added without appearing in the document.

pub mod applications;
pub mod attribution;
pub mod audit;
pub mod auth;
pub mod changes;
pub mod cosell;
pub mod crm;
pub mod deals;
pub mod dto;
pub mod extract;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod mapping;
pub mod metrics;
pub mod orgs;
pub mod partners;
pub mod program;
pub mod psat;
pub mod tokens;
pub mod users;
pub mod webhooks;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Trellis API", description = "Partner ecosystem management. JSON everywhere, \
        snake_case fields, RFC 3339 UTC instants, errors as application/problem+json, cursor \
        pagination, Idempotency-Key on creates, `version` with 409 on stale updates."),
    modifiers(&BearerAuth),
    tags(
        (name = "platform", description = "Health"),
        (name = "auth", description = "Sign-in, invitations, password reset"),
        (name = "orgs", description = "The vendor and partner organisations"),
        (name = "partners", description = "Partner directory, records, onboarding, contacts, metrics and tiers"),
        (name = "program", description = "Program setup: Ideal Partner Profile, tiers, agreements, onboarding templates, settings"),
        (name = "applications", description = "Partner applications and their review"),
        (name = "users", description = "Users and invitations"),
        (name = "tokens", description = "Your long-lived API tokens"),
        (name = "webhooks", description = "Signed outbound webhooks"),
        (name = "audit", description = "Audit log"),
        (name = "jobs", description = "Background jobs and dead letters"),
        (name = "crm", description = "CRM data (accounts, contacts, opportunities), CSV imports and the change feed"),
        (name = "deals", description = "Deal registration, conflict checks, the rules of engagement and partners on opportunities"),
        (name = "co-sell", description = "Co-sell requests between the vendor and its partners, both ways, and the comp-credit report of reps on partner-involved opportunities"),
        (name = "mapping", description = "Account mapping: each side's populations and sharing policies, and the connections between the vendor and its partners"),
        (name = "attribution", description = "Touchpoints on opportunities and accounts, and recorded runs of the attribution models: run, replay on the same journeys, compare"),
        (name = "metrics", description = "Ecosystem metrics: sourced and influenced revenue, win rates, cycles and pipeline velocity against direct, ROPI, CLTV and CAC, per partner, type and tier, the deals behind each figure, partner satisfaction and platform adoption; and the program's costs"),
        (name = "surveys", description = "Partner satisfaction (PSAT) surveys: written, scheduled and sent by the channel team, answered by partner users through their invitations, scored per sending, question and partner"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes with their OpenAPI document, before state is attached.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(health::routes())
                .merge(auth::routes())
                .merge(orgs::routes())
                .merge(partners::routes())
                .merge(program::routes())
                .merge(applications::routes())
                .merge(users::routes())
                .merge(tokens::routes())
                .merge(webhooks::routes())
                .merge(audit::routes())
                .merge(jobs::routes())
                .merge(crm::routes())
                .merge(deals::routes())
                .merge(cosell::routes())
                .merge(mapping::routes())
                .merge(attribution::routes())
                .merge(metrics::routes())
                .merge(psat::routes())
                .merge(imports::routes())
                .merge(changes::routes()),
        )
        .split_for_parts();
    env!("CARGO_PKG_VERSION").clone_into(&mut doc.info.version);
    let json = doc.clone();
    let router = router
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(json) }),
        )
        .route("/api/v1/{*rest}", axum::routing::any(api_not_found))
        .route("/api/v1", axum::routing::any(api_not_found));
    (router, doc)
}

/// The OpenAPI document of every API route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().1
}

async fn api_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no-route",
        "no API route matches this path; see /api/v1/openapi.json",
    )
}
