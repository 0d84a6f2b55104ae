//! Partner lifecycle tables: profiles and specialisations, contacts, status history, the
//! directory search, the Ideal Partner Profile and fit scores, applications, agreements,
//! onboarding, tiers and partner metrics.

pub mod agreements;
pub mod applications;
pub mod contacts;
pub mod directory;
pub mod ipp;
pub mod metrics;
pub mod onboarding;
pub mod profiles;
pub mod tiers;
