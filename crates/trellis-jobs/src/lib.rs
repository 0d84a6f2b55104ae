//! The Trellis worker: runs the jobs that the service layer queues in the same transaction as
//! the change that caused them (e-mail over SMTP, signed webhook deliveries), retrying with
//! backoff and burying jobs in the dead-letter list after their last attempt.
//!
//! Everything goes through [`trellis_service::Services`]; this crate has no SQL.
//!
//! - [`JobsConfig`] / [`SmtpConfig`]: the `[jobs]` settings.
//! - [`Runner`]: `run` for the worker loops of `trellis serve` and `trellis worker`,
//!   `run_until_idle` for deterministic tests.

mod config;
mod email;
mod runtime;
mod webhooks;

pub use config::{JobsConfig, SmtpConfig, SmtpSecurity};
pub use runtime::Runner;
