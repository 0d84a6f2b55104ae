//! Co-selling in the demo: the vendor's CRM (Salesforce accounts, contacts and opportunities),
//! the rules of engagement a real vendor would publish, and deal registrations from a dozen
//! partners in every state. It all plays on the demo's clock in time order, with the
//! registration sweep run before every step as the job would, so that SLA timers, protection
//! windows, warnings and trails look real at "now".

mod attribution;
mod companies;
mod cosell;
mod crm;
mod engagement;
mod mapping;
mod stories;

use std::cmp::Reverse;
use std::time::Duration;

use anyhow::Context as _;
use trellis_domain::deals::{AutoApproval, ConflictRule, Decision, EngagementPolicy};
use trellis_domain::{Currency, DealRegistrationId, Money, OrgId, Role, Timestamp, UserId};
use trellis_service::deals::{Conversion, DealUpdate, RegistrationInput};
use trellis_service::platform::orgs::Org;
use trellis_service::{Actor, FakeClock, Services};

use self::companies::Company;
use self::stories::{Act, Customer, NEW_CUSTOMERS, STORIES, Spelling, Story};
use crate::cli::admin::service_error;

/// The demo's account-mapping files: `(file name, CSV)`, the vendor's accounts export first;
/// `slug` names a partner by its index.
pub(super) fn mapping_files(
    slug: &dyn Fn(usize) -> String,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let plan = crm::plan();
    let mut files = vec![("vendor-accounts.csv".to_owned(), plan.accounts_csv(0)?)];
    files.extend(mapping::MAPPERS.iter().map(|(i, ..)| {
        (
            format!("{}-accounts.csv", slug(*i)),
            mapping::partner_book(&plan, *i).into_bytes(),
        )
    }));
    Ok(files)
}

/// What the pipeline added.
#[derive(Debug)]
pub(crate) struct Pipeline {
    /// Vendor accounts in the CRM.
    pub accounts: usize,
    /// Deal registrations.
    pub registrations: usize,
    /// Co-sell requests, both ways.
    pub cosell_requests: usize,
    /// Account mapping: the partners' books and the mappings run.
    pub mapping: mapping::Mapping,
    /// Attribution: touchpoints on closed deals and model runs.
    pub attribution: attribution::Attribution,
    /// Partner satisfaction surveys and days of use.
    pub engagement: engagement::Engagement,
}

/// The people who act: the vendor, the partners and every demo user `(e-mail, id, version)`.
pub(super) struct Cast<'a> {
    pub vendor: OrgId,
    pub partners: &'a [Org],
    pub users: &'a [(String, UserId, i64)],
}

/// One step of the script.
#[derive(Clone, Copy, Debug)]
enum Beat {
    /// Salesforce exports as of this many days ago are imported.
    Import { days_ago: u32, latest: bool },
    /// The second version of the rules of engagement.
    Policy,
    /// A story's registration.
    Register(usize),
    /// A story's `k`th act.
    Act(usize, usize),
    /// Only the registration sweep, which runs before every beat.
    Sweep,
}

/// Hours between two runs of the registration sweep when nothing else happens.
const SWEEP_EVERY_HOURS: u32 = 24;

/// Seeds the CRM, the rules of engagement and the registrations. `now` is the real time;
/// `clock` drives `services`.
pub(super) async fn seed(
    services: &Services,
    clock: &FakeClock,
    now: Timestamp,
    cast: &Cast<'_>,
) -> anyhow::Result<Pipeline> {
    let minutes = |hours: u32| hours * 60;
    let mut beats = vec![
        (
            minutes(stories::FIRST_EXPORT * 24),
            Beat::Import {
                days_ago: stories::FIRST_EXPORT,
                latest: false,
            },
        ),
        (minutes(stories::POLICY_V2_AT), Beat::Policy),
        (
            minutes(stories::LATEST_EXPORT * 24),
            Beat::Import {
                days_ago: stories::LATEST_EXPORT,
                latest: true,
            },
        ),
    ];
    // People do not act on the hour: each step is up to three and a half hours earlier than
    // scripted.
    let jitter = |i: usize, k: usize| u32::try_from((i * 53 + k * 29) % 210).unwrap_or(0);
    for (i, s) in STORIES.iter().enumerate() {
        beats.push((minutes(s.at) + jitter(i, 0), Beat::Register(i)));
        for (k, (at, _)) in s.acts.iter().enumerate() {
            beats.push((minutes(*at) + jitter(i, k + 1), Beat::Act(i, k)));
        }
    }
    // The sweep job runs every 15 minutes; once a day is enough for the trails to read right.
    beats.extend(
        (1..stories::FIRST_EXPORT * 24 / SWEEP_EVERY_HOURS)
            .map(|k| (minutes(k * SWEEP_EVERY_HOURS), Beat::Sweep)),
    );
    // Oldest first; a stable sort keeps a story's own order.
    beats.sort_by_key(|(at, _)| Reverse(*at));
    let run = Run {
        services,
        plan: crm::plan(),
        cast,
        manager: cast.person("manager@vendor.example", cast.vendor, Role::ChannelManager)?,
        admin: cast.person("admin@vendor.example", cast.vendor, Role::VendorAdmin)?,
    };
    let mut ids = vec![None; STORIES.len()];
    for (minutes_ago, beat) in beats {
        clock.set(now.minus(Duration::from_mins(minutes_ago.into())));
        run.sweep().await?;
        match beat {
            Beat::Sweep => {}
            Beat::Import { days_ago, latest } => {
                run.plan
                    .import(services, &run.admin, now, days_ago.into(), latest)
                    .await?;
            }
            Beat::Policy => run.publish_policy().await?,
            Beat::Register(i) => ids[i] = Some(run.register(i).await?),
            Beat::Act(i, k) => {
                let id = ids[i].context("a demo story acts before it registers")?;
                run.act(i, id, STORIES[i].acts[k].1).await?;
            }
        }
    }
    clock.set(now);
    run.sweep().await?;
    let cosell_requests = cosell::seed(services, clock, now, cast).await?;
    let mapping = mapping::seed(services, cast, &run.plan).await?;
    let today = time::Date::parse(
        &now.date(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )?;
    let engagement = engagement::seed(services, clock, now, cast).await?;
    let attribution = attribution::seed(services, cast, today).await?;
    Ok(Pipeline {
        accounts: run.plan.accounts.len(),
        registrations: STORIES.len(),
        cosell_requests,
        mapping,
        attribution,
        engagement,
    })
}

impl Cast<'_> {
    /// A demo user acting in a browser session.
    fn person(&self, email: &str, org: OrgId, role: Role) -> anyhow::Result<Actor> {
        let (_, id, _) = self
            .users
            .iter()
            .find(|(e, ..)| e == email)
            .with_context(|| format!("the demo user {email} exists"))?;
        Ok(super::person(org, *id, email, role))
    }
}

struct Run<'a> {
    services: &'a Services,
    plan: crm::Plan,
    cast: &'a Cast<'a>,
    manager: Actor,
    admin: Actor,
}

/// What partners write about each product's deal.
const PITCHES: [&str; 5] = [
    "is moving its core systems off an ageing data centre and wants one platform for every site",
    "wants one analytics layer over its ERP and shop-floor data instead of three reporting tools",
    "needs to run workloads close to its plants and stores, with central management",
    "had a ransomware scare last quarter and is consolidating its security tooling",
    "wants a named support engineer after repeated outages with its current provider",
];

impl Run<'_> {
    async fn sweep(&self) -> anyhow::Result<()> {
        self.services
            .sweep_deals()
            .await
            .map_err(service_error)
            .context("sweeping the demo deal registrations")?;
        Ok(())
    }

    /// Version 2 of the rules of engagement, over the defaults that the first registration
    /// stored as version 1.
    async fn publish_policy(&self) -> anyhow::Result<()> {
        let usd = Currency::parse("USD").map_err(|e| anyhow::anyhow!("USD: {e}"))?;
        let policy = EngagementPolicy {
            protection_days: 90,
            extension_days: 30,
            max_extensions: 2,
            expiry_warning_days: 14,
            approval_sla_hours: 48,
            match_threshold_percent: 80,
            conflict_rules: vec![
                ConflictRule::ExistingCustomer,
                ConflictRule::DirectOpportunity { activity_days: 45 },
                ConflictRule::FirstRegistration,
            ],
            auto_approval: AutoApproval {
                enabled: true,
                min_tier_rank: Some(3),
                max_amount: Some(Money::new(10_000_000, usd)),
            },
            notes: "Protection covers the customer entity and the products named in the \
                    registration. Ask your channel manager before registering a subsidiary of \
                    an existing customer."
                .into(),
        };
        let current = self
            .services
            .engagement_policy(&self.admin)
            .await
            .map_err(service_error)?;
        self.services
            .save_engagement_policy(
                &self.admin,
                current.version,
                policy,
                "Gold and Platinum deals up to USD 100,000 with no conflict are approved at \
                 once; existing customers are house accounts; a direct opportunity counts if \
                 active in the last 45 days (was 60); up to two extensions",
            )
            .await
            .map_err(service_error)
            .context("publishing the demo rules of engagement")?;
        Ok(())
    }

    fn company(&self, customer: Customer) -> anyhow::Result<Company> {
        let first = stories::FIRST_EXPORT.into();
        let account = match customer {
            Customer::New(i) => {
                let (code, brand, form, industry) = NEW_CUSTOMERS[i];
                let country = companies::country(code).context("a demo customer's country")?;
                return Ok(Company::new(country, brand, form, industry));
            }
            Customer::HouseAccount(c) => self.plan.customer_in(c, first),
            Customer::QuietProspect(c) => self.plan.quiet_prospect_in(c, first),
            Customer::ActiveProspect(c) => self.plan.active_prospect_in(c, first, 20),
        };
        account
            .map(|a| a.company.clone())
            .with_context(|| format!("the demo CRM has no account for {customer:?}"))
    }

    fn partner(&self, s: &Story) -> anyhow::Result<(Actor, &Org)> {
        let org = self
            .cast
            .partners
            .iter()
            .find(|o| o.slug == s.partner)
            .with_context(|| format!("the demo partner {}", s.partner))?;
        let (local, role) = if s.seller {
            ("seller", Role::PartnerUser)
        } else {
            ("admin", Role::PartnerAdmin)
        };
        let email = format!("{local}@{}.example", org.slug);
        Ok((self.cast.person(&email, org.id, role)?, org))
    }

    async fn register(&self, i: usize) -> anyhow::Result<DealRegistrationId> {
        let s = &STORIES[i];
        let c = self.company(s.customer)?;
        let (actor, org) = self.partner(s)?;
        let at = self.services.now();
        // Partners register once they have accepted the agreement, a few days after approval.
        if at < org.created_at.plus(Duration::from_hours(24 * 10)) {
            anyhow::bail!("the demo partner {} registers before it joined", org.name);
        }
        let (given, family) = super::name_pool(c.country.region);
        let (first, last) = (given[(i * 5 + 3) % 16], family[(i * 7 + 1) % 16]);
        let (company_name, website) = match s.spelling {
            Spelling::Full => (c.name.clone(), format!("https://www.{}/", c.domain)),
            Spelling::Short => (c.brand.clone(), format!("www.{}", c.domain)),
        };
        let product = crm::PRODUCTS[s.product].0;
        let input = RegistrationInput {
            company_name,
            website,
            country: c.country.code.into(),
            contact_name: format!("{first} {last}"),
            contact_email: companies::mailbox(first, last, &c.domain),
            contact_phone: format!(
                "{} {:03} {:04}",
                c.country.dial,
                300 + i * 17,
                1000 + i * 311
            ),
            product: product.into(),
            amount_minor: s.amount * 100,
            currency: c.country.currency.into(),
            expected_close: at
                .plus(Duration::from_hours(24 * u64::from(s.close_in)))
                .date(),
            description: format!(
                "{} ({}, {}) {}. We have met {first} {last} and the team twice.",
                c.brand, c.city, c.country.name, PITCHES[s.product]
            ),
            stage: Some(s.stage),
            next_step: s.next_step.into(),
        };
        let r = self
            .services
            .register_deal(&actor, &input)
            .await
            .map_err(service_error)
            .with_context(|| format!("registering the demo deal for {}", c.name))?;
        Ok(r.id)
    }

    async fn act(&self, i: usize, id: DealRegistrationId, act: Act) -> anyhow::Result<()> {
        let s = &STORIES[i];
        let (partner, _) = self.partner(s)?;
        let (services, manager) = (self.services, &self.manager);
        let v = services
            .get_deal(manager, id)
            .await
            .map_err(service_error)?
            .version;
        let done = match act {
            Act::Approve(why) => services
                .decide_deal(manager, id, v, Decision::Approve, why)
                .await
                .map(drop),
            Act::Reject(why) => services
                .decide_deal(manager, id, v, Decision::Reject, why)
                .await
                .map(drop),
            Act::Resolve => services.resolve_deal(manager, id, v).await.map(drop),
            Act::Update(stage, next_step) => {
                let update = DealUpdate {
                    version: v,
                    stage: Some(stage),
                    next_step: Some(next_step.into()),
                    ..DealUpdate::default()
                };
                services.update_deal(&partner, id, &update).await.map(drop)
            }
            Act::Convert => {
                let region = self.company(s.customer)?.country.region;
                let conversion = Conversion {
                    owner: super::rep_email(region).into(),
                    ..Conversion::default()
                };
                services
                    .convert_deal(manager, id, v, &conversion)
                    .await
                    .map(drop)
            }
            Act::Withdraw(why) => services.withdraw_deal(&partner, id, v, why).await.map(drop),
            Act::Dispute(why) => services.dispute_deal(&partner, id, v, why).await.map(drop),
            Act::Settle(overturn, why) => services
                .resolve_dispute(manager, id, v, overturn, why)
                .await
                .map(drop),
            Act::AskExtension(why) => services
                .request_extension(&partner, id, v, why)
                .await
                .map(drop),
            Act::Extend => services
                .decide_extension(manager, id, v, true, "")
                .await
                .map(drop),
        };
        done.map_err(service_error)
            .with_context(|| format!("demo deal story {i}: {act:?}"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use trellis_domain::deals::{DealStatus, RuleId};
    use trellis_service::deals::{ConflictKind, DealQuery, Registration};
    use trellis_service::platform::PageRequest;

    use super::*;

    async fn all_registrations(s: &Services) -> Vec<Registration> {
        let page = PageRequest {
            limit: Some(200),
            ..PageRequest::default()
        };
        s.list_deals(&Actor::System, &DealQuery::default(), &page)
            .await
            .unwrap()
            .items
    }

    /// Seeds the whole demo on a fresh SQLite database and checks what the deal pages show.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_has_registrations_in_every_state_and_a_crm_behind_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.store.data_dir = dir.path().to_path_buf();
        let db = crate::cli::serve::open(&config, true).await.unwrap();
        let s = crate::cli::serve::services(db, &config);
        let seeded = super::super::seed(&s, super::super::DEFAULT_PASSWORD)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seeded.pipeline.registrations, STORIES.len());
        assert_eq!(seeded.pipeline.cosell_requests, 6);
        cosell_requests_in_every_state(&s).await;
        mapped_with_partners(&s).await;
        attributed(&s, &seeded.pipeline.attribution).await;
        engaged(&s, &seeded.pipeline.engagement).await;
        let all = all_registrations(&s).await;
        assert_eq!(all.len(), STORIES.len());

        for status in DealStatus::ALL {
            assert!(all.iter().any(|r| r.status == *status), "no {status}");
        }
        let by_rule = |rule: RuleId| {
            all.iter()
                .filter(|r| r.decision.as_ref().is_some_and(|d| d.rule == rule))
                .count()
        };
        for rule in [
            RuleId::AutoApproval,
            RuleId::Manual,
            RuleId::ExistingCustomer,
            RuleId::DirectOpportunity,
            RuleId::FirstRegistration,
            RuleId::ProtectionExpired,
        ] {
            assert!(by_rule(rule) > 0, "no decision by {rule}");
        }
        let pending = |r: &&Registration| r.status == DealStatus::Pending;
        assert!(all.iter().filter(pending).any(|r| r.escalated_at.is_some()));
        assert!(all.iter().filter(pending).any(|r| r.escalated_at.is_none()));
        let approved = |r: &&Registration| r.status == DealStatus::Approved;
        assert!(all.iter().filter(approved).any(|r| r.extensions > 0));
        assert!(
            all.iter()
                .filter(approved)
                .any(|r| r.extension_request.is_some())
        );
        assert!(
            all.iter()
                .filter(approved)
                .any(|r| r.expiry_warned_at.is_some() && r.extension_request.is_none())
        );
        assert!(
            all.iter()
                .any(|r| r.status == DealStatus::Rejected && r.dispute.is_some())
        );
        let mut settled = false;
        for r in all.iter().filter(|r| r.status == DealStatus::Rejected) {
            let trail = s.deal_trail(&Actor::System, r.id).await.unwrap();
            settled |= trail.iter().any(|t| t.step == "dispute_upheld");
        }
        assert!(settled, "a dispute was settled");

        // Converted registrations: an opportunity with the partner attached as its source.
        let converted: Vec<_> = all.iter().filter(|r| r.opportunity_id.is_some()).collect();
        assert!(converted.len() >= 2);
        for r in converted {
            let opportunity = r.opportunity_id.unwrap();
            let partners = s
                .opportunity_partners(&Actor::System, opportunity)
                .await
                .unwrap();
            assert!(
                partners.iter().any(|p| p.partner_id == r.partner_id
                    && p.role == trellis_domain::cosell::credit::PartnerRole::Sourced),
                "{partners:?}"
            );
        }

        // Two partners registered the same customer and wait for the channel manager: the
        // conflict index finds each for the other.
        let mut pairs = HashSet::new();
        for r in all.iter().filter(pending).filter(|r| r.conflicts > 0) {
            let review = s.review_deal(&Actor::System, r.id).await.unwrap();
            for c in review.candidates.iter().filter(|c| {
                c.kind == ConflictKind::Registration
                    && c.conflict
                    && c.partner_id != Some(r.partner_id)
            }) {
                pairs.insert((r.id.as_uuid().min(c.id), r.id.as_uuid().max(c.id)));
            }
        }
        assert_eq!(pairs.len(), 1, "{pairs:?}");

        // Only the registrations meant to conflict do: two for house accounts, one for a
        // customer with an active direct opportunity, the second of each duplicate pair. The
        // new customers match nothing in the generated CRM.
        assert_eq!(all.iter().filter(|r| r.conflicts > 0).count(), 5);
        let policy = s.engagement_policy(&Actor::System).await.unwrap();
        assert_eq!(policy.version, 2);
        assert!(!policy.note.is_empty());
        let accounts = s
            .list_accounts(
                &Actor::System,
                &trellis_service::crm::AccountQuery::default(),
                &PageRequest::default(),
            )
            .await
            .unwrap();
        assert!(!accounts.items.is_empty());
        assert!(seeded.pipeline.accounts >= 300);
    }

    /// Four quarterly sendings, most admins answering, a partner slipping; a year of use.
    async fn engaged(s: &Services, e: &engagement::Engagement) {
        assert_eq!(e.waves, 4, "{e:?}");
        assert!(e.responses > 40 && e.days_of_use > 5_000, "{e:?}");
        let year = trellis_service::metrics::MetricsQuery::default()
            .check(s.now())
            .unwrap();
        let psat = s.program_psat(&Actor::System, &year).await.unwrap();
        assert!(psat.quarters.len() >= 3, "{:?}", psat.quarters);
        assert!(
            psat.score.is_some_and(|v| (4_000..9_000).contains(&v)),
            "{psat:?}"
        );
        assert!(
            psat.lowest.iter().any(|p| p
                .score
                .zip(p.previous)
                .is_some_and(|(now, before)| now < before)),
            "someone is slipping: {:?}",
            psat.lowest
        );
        let a = s.adoption(&Actor::System, &year).await.unwrap();
        assert!(a.active_users > 30 && a.active_partners > 15, "{a:?}");
        assert!(a.registrations > 0, "{a:?}");
    }

    /// Both ways, every request status.
    /// Two connections mapped (one partner shares records, one counts only), one waiting;
    /// the vendor's matrix has overlaps and some overlapping records behind them.
    /// Touchpoints on closed deals, and runs whose partners are credited in the reporting
    /// currency with EUR and GBP deals converted.
    async fn attributed(s: &Services, a: &attribution::Attribution) {
        assert!(a.touchpoints > 100, "{a:?}");
        assert_eq!(a.runs, 5);
        assert_eq!(a.costs, 12 * 24);
        assert!(a.metric_deals > 100, "{a:?}");
        let d = s
            .metrics_dashboard(
                &Actor::System,
                &trellis_service::metrics::MetricsQuery::default()
                    .check(s.now())
                    .unwrap(),
            )
            .await
            .unwrap();
        let won = |k: &str| {
            d.origins
                .iter()
                .find(|o| o.key == k)
                .map_or(0, |o| o.funnel.won_minor)
        };
        let wons = [won("sourced"), won("influenced"), won("direct")];
        assert!(wons.iter().all(|w| *w > 0), "{wons:?} {:?}", d.period);
        assert!(d.ropi.is_some() && d.partners.len() > 10, "{:?}", d.ropi);
        let cycle = d.origins[0].cycle_days.unwrap();
        assert!(
            cycle > 7.0,
            "deals take time from opening to close: {cycle}"
        );
        let runs = s
            .model_runs(
                &Actor::System,
                &trellis_service::platform::PageRequest::default(),
            )
            .await
            .unwrap()
            .items;
        let models: Vec<&str> = runs.iter().map(|r| r.params.model.as_str()).collect();
        assert_eq!(
            models,
            ["time-decay", "shapley", "markov", "markov", "linear"]
        );
        for r in &runs {
            assert!(
                r.summary.touched_won > 20 && r.summary.touched_lost > 10,
                "{:?}",
                r.summary
            );
            assert!(r.summary.converted > 0, "EUR and GBP deals convert");
            assert_eq!(r.summary.no_rate, 0, "every month has its rates");
            let total: i64 = r.channels.iter().map(|c| c.value.amount_minor).sum();
            assert_eq!(total, r.summary.attributed_amount_minor);
            assert!(r.channels.len() > 5, "partners and channels are credited");
        }
    }

    async fn mapped_with_partners(s: &Services) {
        use trellis_service::mapping::OverlapFilter;
        let admin = Actor::System;
        let connections = s.mapping_connections(&admin).await.unwrap();
        assert_eq!(connections.len(), 3);
        assert_eq!(connections.iter().filter(|c| c.active).count(), 2);
        let mut pairs = 0;
        for c in connections.iter().filter(|c| c.active) {
            let runs = s.mapping_runs(&admin, c.id).await.unwrap();
            assert_eq!(runs.len(), 1);
            assert_eq!(runs[0].status, "done", "{:?}", runs[0]);
            let m = s.mapping_matrix(&admin, runs[0].id).await.unwrap();
            assert!(
                m.cells.iter().filter_map(|c| c.overlap).sum::<u64>() > 0,
                "{m:?}"
            );
            pairs += s
                .mapping_overlaps(
                    &admin,
                    runs[0].id,
                    &OverlapFilter::default(),
                    &PageRequest::default(),
                )
                .await
                .unwrap()
                .items
                .len();
        }
        assert!(
            pairs >= 10,
            "the partner sharing records shows some: {pairs}"
        );
    }

    async fn cosell_requests_in_every_state(s: &Services) {
        use trellis_domain::cosell::{Direction, RequestStatus};
        let page = PageRequest {
            cursor: None,
            limit: Some(50),
        };
        let all = s
            .list_cosell(
                &Actor::System,
                &trellis_service::cosell::CoSellQuery::default(),
                &page,
            )
            .await
            .unwrap()
            .items;
        for status in RequestStatus::ALL {
            assert!(all.iter().any(|r| r.status == *status), "no {status}");
        }
        for d in Direction::ALL {
            assert!(all.iter().any(|r| r.direction == *d), "none {d}");
        }
    }
}
