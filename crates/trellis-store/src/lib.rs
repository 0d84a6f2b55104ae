//! Storage for Trellis: the only crate that contains SQL.
//!
//! Every query is one SQL text with `$1…$n` placeholders that runs unchanged on SQLite and
//! PostgreSQL (see [`db`] for how). Store functions take and return plain row structs; they
//! never decide permissions.

pub mod args;
pub mod attribution;
pub mod config;
pub mod cosell;
pub mod crm;
pub mod db;
pub mod deals;
pub mod error;
pub mod mapping;
pub mod metrics;
pub mod page;
pub mod partners;
pub mod platform;
pub mod psat;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{DatabaseUrl, StoreConfig};
pub use db::{Backend, Db, Exec, Tx};
pub use error::{Error, Result};
pub use page::{Cursor, Page};
pub use sqlx::types::Json;
