//! Trellis use cases. Every door (API, console, portal, CLI, jobs) calls these functions, so
//! this is the one place that checks permissions, validates input, opens write transactions
//! and appends the audit entry and domain events of each change.
#![warn(missing_docs)]

pub mod actor;
pub mod attribution;
mod auth_cache;
pub mod clock;
pub mod config;
pub mod cosell;
pub mod crm;
mod csv_file;
pub mod deals;
pub mod error;
pub mod mapping;
pub mod metrics;
pub mod outbox;
pub mod partners;
pub mod platform;
pub mod psat;
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
    auth_cache: Arc<auth_cache::AuthCache>,
    directory: Arc<partners::directory_index::DirectoryIndex>,
    imports: Arc<crm::import::Board>,
    conflict_index: Arc<deals::ConflictIndex>,
    policy_cache: Arc<deals::PolicyCache>,
}

impl Services {
    /// Builds the services over a connected, migrated database.
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: ServiceConfig) -> Self {
        Self {
            db,
            clock,
            auth_cache: Arc::new(auth_cache::AuthCache::new(config.auth_cache_ttl)),
            directory: Arc::default(),
            imports: Arc::default(),
            conflict_index: Arc::default(),
            policy_cache: Arc::default(),
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

    /// Forgets cached token resolutions after a change that may take access away.
    pub(crate) fn access_changed(&self) {
        self.auth_cache.clear();
    }

    /// The service settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }
}
