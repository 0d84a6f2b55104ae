//! Deal registration: partners' registrations and their trail, the versions of the rules of
//! engagement, and the partners attached to vendor opportunities.

pub mod involvement;
pub mod policies;
pub mod registrations;
pub mod trail;
