//! Store contract tests. They run on SQLite, and on PostgreSQL when `TRELLIS_TEST_PG_URL` is
#![allow(clippy::unwrap_used, reason = "test helpers may panic")]
//! set, so every query is proven on both engines.

mod jobs;
mod migrations;
mod platform;
