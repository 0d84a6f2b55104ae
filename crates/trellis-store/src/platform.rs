//! Platform tables: organisations, users, sessions, tokens, throttles, audit log, events,
//! jobs and their schedules, webhooks, idempotency keys and settings.

pub mod audit;
pub mod events;
pub mod idempotency;
pub mod jobs;
pub mod orgs;
pub mod schedules;
pub mod sessions;
pub mod settings;
pub mod throttles;
pub mod tokens;
pub mod users;
pub mod webhooks;
