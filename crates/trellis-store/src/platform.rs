//! Platform tables: organisations, users, sessions, tokens, throttles, audit log, events,
//! jobs, webhooks and idempotency keys.

pub mod audit;
pub mod events;
pub mod idempotency;
pub mod jobs;
pub mod orgs;
pub mod sessions;
pub mod throttles;
pub mod tokens;
pub mod users;
pub mod webhooks;
