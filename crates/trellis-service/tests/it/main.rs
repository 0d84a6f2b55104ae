//! Service tests: permissions and tenancy rules, checked once here for every door.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests may panic"
)]

mod permissions;
