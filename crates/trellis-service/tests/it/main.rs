//! Service tests: permissions and tenancy rules, checked once here for every door.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests may panic"
)]

mod attribution;
mod cosell;
mod deals;
mod mapping;
mod metrics;
mod partners_applications;
mod partners_directory;
mod partners_fixtures;
mod partners_jobs;
mod partners_onboarding;
mod partners_tenancy;
mod partners_tiers;
mod permissions;
mod psat;
