//! Attribution: touchpoints on opportunities and accounts, and recorded model runs.

pub mod runs;
pub mod touchpoints;
