//! Trellis use cases. Every door (API, console, portal, CLI, jobs) calls these functions, so
//! this is the one place that checks permissions, validates input, opens write transactions
//! and appends the audit entry and domain events of each change.
#![warn(missing_docs)]

pub mod actor;
pub mod clock;
pub mod config;
pub mod error;
pub mod outbox;
pub mod platform;
pub mod secrets;

use std::sync::Arc;

pub use actor::{Actor, AuthMethod, PartnerScope, UserActor};
pub use clock::{Clock, FakeClock, SystemClock};
pub use config::ServiceConfig;
pub use error::{Error, Result};
pub use trellis_store::{Cursor, Db, Page};

/// The handle every door holds: cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    db: Db,
    clock: Arc<dyn Clock>,
    config: Arc<ServiceConfig>,
}

impl Services {
    /// Builds the services over a connected, migrated database.
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: ServiceConfig) -> Self {
        Self {
            db,
            clock,
            config: Arc::new(config),
        }
    }

    /// The database (for health checks and the job runtime).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The current instant from the injected clock.
    pub fn now(&self) -> trellis_domain::Timestamp {
        self.clock.now()
    }

    /// The service settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }
}
