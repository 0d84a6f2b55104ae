//! The job runtime against real parts: a migrated database (SQLite, or PostgreSQL when
//! `TRELLIS_TEST_PG_URL` is set), a real SMTP server and a real HTTP receiver on loopback. Time
//! is a `FakeClock`, so retries happen when a test moves the clock and never by sleeping.
#![allow(clippy::unwrap_used)]

mod email;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use trellis_domain::{OrgKind, Timestamp};
use trellis_jobs::{JobsConfig, Runner, SmtpConfig};
use trellis_service::outbox;
use trellis_service::platform::PageRequest;
use trellis_service::platform::jobs::Job;
use trellis_service::platform::orgs::OrgInput;
use trellis_service::platform::users::{InviteInput, User};
use trellis_service::{Actor, FakeClock, ServiceConfig, Services};
use trellis_store::testing::TestDb;
use trellis_testkit::smtp::SmtpSink;

/// 2026-01-01T00:00:00Z.
const START: Timestamp = Timestamp::from_millis(1_767_225_600_000);

/// Services over a fresh database, a stopped clock, an SMTP sink and a runner sending to it.
struct Harness {
    _db: TestDb,
    clock: FakeClock,
    services: Services,
    smtp: SmtpSink,
    runner: Runner,
}

impl Harness {
    async fn new() -> Self {
        Self::with_config(ServiceConfig::default()).await
    }

    async fn with_config(config: ServiceConfig) -> Self {
        let db = TestDb::create().await.unwrap();
        let clock = FakeClock::new(START);
        let services = Services::new(db.db().clone(), Arc::new(clock.clone()), config);
        let smtp = SmtpSink::start().unwrap();
        let runner = runner(&services, &jobs_config(smtp.port()));
        Self {
            _db: db,
            clock,
            services,
            smtp,
            runner,
        }
    }

    /// Creates the vendor organisation (which `invite_user` needs).
    async fn vendor(&self) {
        self.services
            .create_org(
                &Actor::System,
                OrgKind::Vendor,
                &OrgInput {
                    name: "Vendor".into(),
                    ..OrgInput::default()
                },
            )
            .await
            .unwrap();
    }

    /// Invites a vendor admin, which queues an invitation e-mail and a `user.invited` event.
    async fn invite(&self, email: &str) -> User {
        self.services
            .invite_user(
                &Actor::System,
                &InviteInput {
                    email: email.into(),
                    name: "Ada Lovelace".into(),
                    role: "vendor_admin".into(),
                    org_id: None,
                },
            )
            .await
            .unwrap()
    }

    /// Jobs with `status` (`queued` or `dead`).
    async fn jobs(&self, status: &str) -> Vec<Job> {
        self.services
            .list_jobs(&Actor::System, status, &PageRequest::default())
            .await
            .unwrap()
            .items
    }
}

/// Runner settings that send mail to `smtp_port` on loopback, with short timeouts.
fn jobs_config(smtp_port: u16) -> JobsConfig {
    JobsConfig {
        webhook_timeout: Duration::from_secs(5),
        // The test receivers listen on loopback.
        webhook_allow_private_targets: true,
        // These tests count the jobs they queue; recurring jobs have their own test.
        schedules: false,
        smtp: SmtpConfig {
            port: smtp_port,
            timeout: Duration::from_secs(5),
            ..SmtpConfig::default()
        },
        ..JobsConfig::default()
    }
}

fn runner(services: &Services, config: &JobsConfig) -> Runner {
    Runner::new(services.clone(), config).unwrap()
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_job_of_unknown_kind_fails_readably_and_ends_in_the_dead_letter_list() {
    let h = Harness::new().await;
    let mut tx = h.services.db().begin().await.unwrap();
    outbox::enqueue(&mut tx, "nonsense.kind", json!({}), START, START, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(h.runner.run_until_idle().await.unwrap(), 1);

    let dead = h.jobs("dead").await;
    assert_eq!(dead.len(), 1);
    let error = dead[0].last_error.as_deref().unwrap();
    assert!(
        error.contains("unknown job kind \"nonsense.kind\""),
        "{error}"
    );
}

#[tokio::test]
async fn a_runner_is_not_built_from_an_unusable_configuration() {
    let h = Harness::new().await;
    let bad_from = JobsConfig {
        smtp: SmtpConfig {
            from: "not a mailbox".into(),
            ..SmtpConfig::default()
        },
        ..JobsConfig::default()
    };
    let err = Runner::new(h.services.clone(), &bad_from).unwrap_err();
    assert!(err.to_string().contains("jobs.smtp.from"), "{err}");

    let short_lease = JobsConfig {
        lease: Duration::from_secs(5),
        ..JobsConfig::default()
    };
    let err = Runner::new(h.services.clone(), &short_lease).unwrap_err();
    assert!(err.to_string().contains("jobs.lease"), "{err}");
}
