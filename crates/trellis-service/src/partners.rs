//! The partner lifecycle: partner records and their profiles, the directory, the Ideal Partner
//! Profile, applications, agreements, onboarding, tiers and the metrics tiers are judged on.

pub mod agreements;
pub mod applications;
pub mod contacts;
pub mod directory;
pub(crate) mod directory_index;
pub mod figures;
pub mod ipp;
pub mod metrics;
pub mod onboarding;
pub mod profiles;
pub mod settings;
pub mod tiers;
pub mod timeline;

pub use profiles::{Partner, PartnerPatch};
