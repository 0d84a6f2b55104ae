//! Pure domain types and rules of Trellis.
//!
//! No I/O, no async, no clock reads: every rule takes its inputs, including `now`, explicitly.
#![warn(missing_docs)]

pub mod ids;
pub mod orgs;
pub mod roles;
pub mod time;
pub mod validation;
pub mod values;
pub mod webhooks;

pub use ids::*;
pub use orgs::{OrgKind, PartnerType, Region, Slug, Tier};
pub use roles::{Permission, Role, Scope};
pub use time::Timestamp;
pub use validation::{FieldError, FieldErrors};
pub use values::{Email, Password, PersonName, WebUrl};
