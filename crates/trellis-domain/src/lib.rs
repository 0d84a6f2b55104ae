//! Pure domain types and rules of Trellis.
//!
//! No I/O, no async, no clock reads: every rule takes its inputs, including `now`, explicitly.
#![warn(missing_docs)]

pub mod attribution;
pub mod cosell;
pub mod crm;
pub mod deals;
pub mod fx;
pub mod ids;
pub mod mapping;
pub mod metrics;
pub mod money;
pub mod orgs;
pub mod partners;
pub mod psat;
pub mod roles;
pub mod text;
pub mod time;
pub mod validation;
pub mod values;
pub mod webhooks;

pub use ids::*;
pub use money::{Currency, Money};
pub use orgs::{OrgKind, PartnerType, Region, Slug};
pub use partners::{
    FitProfile, FitScore, Industry, Ipp, Ladder, Metric, Metrics, PartnerStatus, Segment,
    Specialisations, TechTag, TierKey, TierPolicy, TierState,
};
pub use roles::{Permission, Role, Scope};
pub use time::Timestamp;
pub use validation::{FieldError, FieldErrors};
pub use values::{Email, Password, PersonName, WebUrl};
