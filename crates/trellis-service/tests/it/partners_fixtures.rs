//! Shared fixtures of the partner lifecycle tests: a program with a vendor admin and a channel
//! manager, partners, applications, and readers for the queued jobs and published events.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use trellis_domain::partners::metrics::Metric;
use trellis_domain::partners::tiers::Requirement;
use trellis_domain::{OrgId, OrgKind, Role, Timestamp};
use trellis_service::partners::applications::{Application, ApplicationInput};
use trellis_service::partners::tiers::TierInput;
use trellis_service::platform::PageRequest;
use trellis_service::platform::auth::{ActionPurpose, ClientInfo};
use trellis_service::platform::email::EmailMessage;
use trellis_service::platform::jobs::Job;
use trellis_service::platform::orgs::{Org, OrgInput};
use trellis_service::platform::users::User;
use trellis_service::secrets::PasswordHash;
use trellis_service::{Actor, AuthMethod, Error, FakeClock, ServiceConfig, Services, UserActor};
use trellis_store::platform::events::{self, EventRow};
use trellis_store::testing::TestDb;

/// 2026-01-01T00:00:00Z.
pub(crate) const START: i64 = 1_767_225_600_000;
pub(crate) const DAY: Duration = Duration::from_hours(24);
pub(crate) const PASSWORD: &str = "correct horse battery";

/// A fresh program: a vendor with an admin and a channel manager.
pub(crate) struct Program {
    _db: TestDb,
    pub s: Services,
    pub clock: FakeClock,
    pub vendor: Org,
    pub admin: Actor,
    pub cm: Actor,
    hash: PasswordHash,
}

impl Program {
    pub(crate) async fn new() -> Self {
        let db = TestDb::create().await.unwrap();
        let clock = FakeClock::new(Timestamp::from_millis(START));
        let s = Services::new(
            db.db().clone(),
            Arc::new(clock.clone()),
            ServiceConfig::default(),
        );
        let vendor = s
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
        let hash = PasswordHash::of(&trellis_domain::Password::parse(PASSWORD).unwrap()).unwrap();
        let mut p = Self {
            _db: db,
            s,
            clock,
            vendor: vendor.clone(),
            admin: Actor::System,
            cm: Actor::System,
            hash,
        };
        p.admin = p
            .user(vendor.id, Role::VendorAdmin, "admin@vendor.example")
            .await;
        p.cm = p
            .user(vendor.id, Role::ChannelManager, "cm@vendor.example")
            .await;
        p
    }

    /// An active user of `org` with `role`, signed in through a session.
    pub(crate) async fn user(&self, org: OrgId, role: Role, email: &str) -> Actor {
        let u = self
            .s
            .create_user_with_hash(
                &Actor::System,
                org,
                email,
                "Pat Example",
                role.as_str(),
                &self.hash,
            )
            .await
            .unwrap();
        Actor::User(UserActor {
            user_id: u.id,
            org_id: org,
            role,
            email: u.email,
            name: u.name,
            via: AuthMethod::Session,
        })
    }

    /// A partner added by the vendor admin (status `onboarding`).
    pub(crate) async fn partner(&self, name: &str, partner_type: &str) -> Org {
        self.partner_with(OrgInput {
            name: name.into(),
            partner_type: Some(partner_type.into()),
            ..OrgInput::default()
        })
        .await
    }

    pub(crate) async fn partner_with(&self, input: OrgInput) -> Org {
        self.s
            .create_org(&self.admin, OrgKind::Partner, &input)
            .await
            .unwrap()
    }

    /// Moves the clock forward by whole days.
    pub(crate) fn advance_days(&self, days: u64) {
        self.clock.advance(DAY * u32::try_from(days).unwrap());
    }

    /// Every queued job, oldest first.
    pub(crate) async fn jobs(&self) -> Vec<Job> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .s
                .list_jobs(
                    &self.admin,
                    "queued",
                    &PageRequest {
                        cursor,
                        limit: Some(200),
                    },
                )
                .await
                .unwrap();
            out.extend(page.items);
            match page.next {
                Some(c) => cursor = Some(c.encode()),
                None => return out,
            }
        }
    }

    /// Queued jobs of one kind.
    pub(crate) async fn jobs_of(&self, kind: &str) -> Vec<Job> {
        self.jobs()
            .await
            .into_iter()
            .filter(|j| j.kind == kind)
            .collect()
    }

    /// Every queued e-mail.
    pub(crate) async fn emails(&self) -> Vec<EmailMessage> {
        self.jobs_of("email.send")
            .await
            .into_iter()
            .map(|j| serde_json::from_value(j.payload).unwrap())
            .collect()
    }

    /// Queued e-mails to `to`.
    pub(crate) async fn emails_to(&self, to: &str) -> Vec<EmailMessage> {
        self.emails()
            .await
            .into_iter()
            .filter(|m| m.to == to)
            .collect()
    }

    /// Published events of `event_type`, oldest first.
    pub(crate) async fn events(&self, event_type: &str) -> Vec<EventRow> {
        let mut c = self.s.db().read().await.unwrap();
        events::list_after(&mut c.exec(), 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.event_type == event_type)
            .collect()
    }

    /// Accepts the invitation of `email` (the link from its invitation e-mail) and returns the
    /// now active user, signed in.
    pub(crate) async fn accept_invitation(&self, email: &str) -> (User, Actor) {
        let invitation = self
            .emails_to(email)
            .await
            .into_iter()
            .find(|m| m.body.contains("/invitations/"))
            .expect("an invitation e-mail");
        let token = invitation
            .body
            .split("/invitations/")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let user = self
            .s
            .complete_action_token(ActionPurpose::Invitation, &token, PASSWORD)
            .await
            .unwrap();
        let actor = Actor::User(UserActor {
            user_id: user.id,
            org_id: user.org_id,
            role: user.role,
            email: user.email.clone(),
            name: user.name.clone(),
            via: AuthMethod::Session,
        });
        (user, actor)
    }

    /// Creates the Registered / Silver / Gold ladder: Silver needs 5 won deals, Gold 10 won
    /// deals and 10,000.00 of sourced revenue.
    pub(crate) async fn ladder(&self) {
        for input in ladder_inputs() {
            self.s.create_tier(&self.admin, &input).await.unwrap();
        }
    }
}

pub(crate) fn ladder_inputs() -> Vec<TierInput> {
    let req = |metric, at_least| Requirement { metric, at_least };
    vec![
        TierInput {
            key: "registered".into(),
            name: "Registered".into(),
            rank: 1,
            description: "Everyone starts here.".into(),
            requirements: vec![],
            benefits: vec!["Portal access".into()],
        },
        TierInput {
            key: "silver".into(),
            name: "Silver".into(),
            rank: 2,
            description: String::new(),
            requirements: vec![req(Metric::WonDeals, 5)],
            benefits: vec!["10% discount".into()],
        },
        TierInput {
            key: "gold".into(),
            name: "Gold".into(),
            rank: 3,
            description: String::new(),
            requirements: vec![
                req(Metric::WonDeals, 10),
                req(Metric::SourcedRevenue, 1_000_000),
            ],
            benefits: vec!["20% discount".into(), "Co-marketing funds".into()],
        },
    ]
}

/// A valid application from `email`.
pub(crate) fn application(company: &str, email: &str) -> ApplicationInput {
    ApplicationInput {
        company_name: company.into(),
        website: Some("https://applicant.example".into()),
        country: Some("de".into()),
        region: Some("emea".into()),
        partner_type: "msp".into(),
        industries: vec![],
        technologies: vec!["Kubernetes".into()],
        segments: vec!["mid_market".into()],
        regions_served: vec![],
        employees: Some(40),
        founded_year: Some(2015),
        customers: Some(120),
        description: "We run managed cloud platforms for hospitals and clinics.".into(),
        contact_name: "Petra Keller".into(),
        contact_email: email.into(),
        contact_phone: "+49 30 1234567".into(),
    }
}

/// A client at `ip`.
pub(crate) fn client(ip: &str) -> ClientInfo {
    ClientInfo {
        ip: Some(ip.into()),
        user_agent: None,
    }
}

/// Submits a valid application from `email` (each from its own address, clear of the rate
/// limit) and returns it.
pub(crate) async fn apply(p: &Program, company: &str, email: &str) -> Application {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    p.s.submit_application(&application(company, email), &client(&ip))
        .await
        .unwrap()
}

/// The field names of a validation error (panics on any other result).
pub(crate) fn fields<T: std::fmt::Debug>(r: Result<T, Error>) -> Vec<String> {
    match r {
        Err(Error::Validation(fe)) => fe.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// An IPP that wants MSPs (half the points) with at least 30 employees (the other half,
/// rising from 10).
pub(crate) fn ipp_criteria() -> Vec<trellis_domain::partners::ipp::Criterion> {
    use trellis_domain::partners::ipp::{Attribute, Criterion, Rule};
    vec![
        Criterion {
            key: "type".into(),
            label: "Partner type".into(),
            attribute: Attribute::PartnerType,
            rule: Rule::AnyOf {
                values: vec!["msp".into()],
            },
            weight: 50,
        },
        Criterion {
            key: "size".into(),
            label: "Size".into(),
            attribute: Attribute::Employees,
            rule: Rule::Band {
                min: 10,
                ideal_min: 30,
                ideal_max: None,
                max: None,
            },
            weight: 50,
        },
    ]
}
