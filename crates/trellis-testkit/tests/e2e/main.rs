//! End-to-end suites against the real application (`TestApp`): the HTTP API and its
//! conventions, sign-in and sessions, the console's CRM pages and imports, tenant isolation driven by the route list, webhooks and
//! e-mail through real listeners, and a real browser. They run on SQLite, and on PostgreSQL
//! when `TRELLIS_TEST_PG_URL` is set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests may panic"
)]

mod api_conventions;
mod attribution;
mod attribution_pages;
mod auth;
mod browser;
mod cosell;
mod cosell_pages;
mod crm;
mod crm_pages;
mod deal_pages;
mod deals;
mod isolation;
mod mapping_pages;
mod mapping_private;
mod openapi;
mod pages;
mod platform;
mod survey_pages;
