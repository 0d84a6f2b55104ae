//! Test support for Trellis: real servers on loopback that stand in for the outside world.
//!
//! - [`smtp::SmtpSink`]: an SMTP server that keeps every message.
//! - [`hooks::HookSink`]: an HTTP receiver that records webhook deliveries.
//! - [`app::TestApp`]: the whole application on a fresh database, wired to both.

pub mod app;
pub mod hooks;
pub mod smtp;
