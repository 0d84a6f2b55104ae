//! The demo ecosystem: the vendor "Lumen Cloud" with its four staff logins, 48 partner
//! organisations across every partner type, tier and region with two logins each, the vendor's
//! CRM and a pipeline of deal registrations (`pipeline`), and a few extras so that no page is
//! empty (a pending invitation, a disabled user, a paused webhook).
//!
//! Everything is created through the service layer, as `Actor::System` or as the demo user who
//! would do it, so the demo obeys the same validation and writes the same audit trail and events
//! as real use. The data is fixed: the same on every run, with no randomness (ids and
//! timestamps aside; the CRM comes from a seeded generator).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use trellis_domain::partners::metrics::Metric;
use trellis_domain::partners::tiers::Requirement;
use trellis_domain::{OrgId, OrgKind, Password, Role, Slug, UserId};
use trellis_service::partners::tiers::TierInput;
use trellis_service::platform::orgs::{Org, OrgInput};
use trellis_service::platform::users::{InviteInput, UserPatch};
use trellis_service::platform::webhooks::EndpointInput;
use trellis_service::{Actor, AuthMethod, FakeClock, Services, UserActor};

use crate::cli::admin::service_error;

mod lifecycle;
mod pipeline;

/// How far back the demo program's history starts.
const HISTORY: Duration = Duration::from_hours(24 * 200);
/// Days between two demo partners' approvals.
const PARTNER_EVERY: Duration = Duration::from_hours(24 * 3);

/// The password of every demo login unless `--demo-password` says otherwise.
pub(crate) const DEFAULT_PASSWORD: &str = "trellis-demo";
/// The demo vendor's name, by which `trellis demo` recognises an existing demo.
pub(crate) const VENDOR_NAME: &str = "Lumen Cloud";

/// The vendor's staff: (local part, name, role). The address is `<local>@vendor.example`.
pub(crate) const VENDOR_STAFF: [(&str, &str, &str); 4] = [
    ("admin", "Maya Lindqvist", "vendor_admin"),
    ("manager", "Daniel Okafor", "channel_manager"),
    ("rep", "Sofia Marquez", "sales_rep"),
    ("finance", "Hiroshi Tanaka", "finance"),
];

/// The sales reps besides `rep@vendor.example` (who covers the Americas): EMEA's and APJ's,
/// who own those regions' accounts in the CRM. (e-mail, name).
const REGIONAL_REPS: [(&str, &str); 2] = [
    ("james.whitaker@vendor.example", "James Whitaker"),
    ("priya.raman@vendor.example", "Priya Raman"),
];

/// The e-mail of the rep who covers a region.
fn rep_email(region: &str) -> &'static str {
    match region {
        "emea" => REGIONAL_REPS[0].0,
        "apj" => REGIONAL_REPS[1].0,
        _ => "rep@vendor.example",
    }
}

/// A demo user acting in a browser session.
fn person(org: OrgId, user: UserId, email: &str, role: Role) -> Actor {
    Actor::User(UserActor {
        user_id: user,
        org_id: org,
        role,
        email: email.to_owned(),
        name: email.split('@').next().unwrap_or(email).to_owned(),
        via: AuthMethod::Session,
    })
}

/// Writes the demo's two sides of account mapping as CSV files into `dir` (created if
/// missing): `vendor-accounts.csv` and `<partner-slug>-accounts.csv` for each partner that
/// maps in the demo. Returns the paths written.
pub(crate) fn write_mapping_files(
    dir: &std::path::Path,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (name, body) in pipeline::mapping_files(&|i| {
        let name = PARTNERS.get(i).map_or("partner", |p| p.0);
        Slug::from_name(name).map_or_else(|_| format!("partner-{i}"), |s| s.to_string())
    })? {
        let path = dir.join(name);
        std::fs::write(&path, body)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// (name, partner type, tier, region, country). Slugs derive from the names; six per type.
#[rustfmt::skip]
const PARTNERS: [(&str, &str, &str, &str, &str); 48] = [
    ("Northwind Systems",                "reseller",    "gold",       "emea",  "DE"),
    ("Bluepeak Solutions",               "reseller",    "silver",     "na",    "US"),
    ("Cascadia Tech Partners",           "reseller",    "registered", "na",    "CA"),
    ("Andes Digital",                    "reseller",    "silver",     "latam", "CL"),
    ("Kestrel IT",                       "reseller",    "platinum",   "emea",  "GB"),
    ("Sakura Networks",                  "reseller",    "registered", "apj",   "JP"),
    ("Meridian Distribution",            "distributor", "platinum",   "na",    "US"),
    ("Baltic Tech Supply",               "distributor", "gold",       "emea",  "LT"),
    ("Pampas Channel Group",             "distributor", "silver",     "latam", "AR"),
    ("Southern Cross Distribution",      "distributor", "gold",       "apj",   "AU"),
    ("Iberia Tech Wholesale",            "distributor", "registered", "emea",  "ES"),
    ("Lion City Distribution",           "distributor", "silver",     "apj",   "SG"),
    ("Harbor Managed Services",          "msp",         "gold",       "na",    "US"),
    ("Fjordline Managed IT",             "msp",         "silver",     "emea",  "NO"),
    ("Quetzal Cloud Ops",                "msp",         "registered", "latam", "MX"),
    ("Kiwi Stack",                       "msp",         "silver",     "apj",   "NZ"),
    ("Rhinegate Managed Cloud",          "msp",         "platinum",   "emea",  "DE"),
    ("Lakeshore IT Services",            "msp",         "registered", "na",    "US"),
    ("Parsec Analytics",                 "isv",         "gold",       "na",    "US"),
    ("Tulip Data Labs",                  "isv",         "silver",     "emea",  "NL"),
    ("Ember Security",                   "isv",         "platinum",   "na",    "US"),
    ("Koala Observability",              "isv",         "registered", "apj",   "AU"),
    ("Samba Payments",                   "isv",         "silver",     "latam", "BR"),
    ("Nordlys Identity",                 "isv",         "registered", "emea",  "FI"),
    ("Granite Consulting Group",         "si",          "platinum",   "na",    "US"),
    ("Alpenrose Integration",            "si",          "gold",       "emea",  "CH"),
    ("Monsoon Systems Integrators",      "si",          "silver",     "apj",   "IN"),
    ("Ipanema Integration",              "si",          "registered", "latam", "BR"),
    ("Carrick Digital Engineering",      "si",          "silver",     "emea",  "IE"),
    ("Hanok Systems",                    "si",          "gold",       "apj",   "KR"),
    ("Brightpath Advisors",              "referral",    "registered", "na",    "US"),
    ("Olivewood Partners",               "referral",    "silver",     "emea",  "IT"),
    ("Condor Referral Network",          "referral",    "registered", "latam", "CO"),
    ("Jade Harbor Consulting",           "referral",    "registered", "apj",   "HK"),
    ("Maple Ridge Advisory",             "referral",    "gold",       "na",    "CA"),
    ("Atlas Souk Ventures",              "referral",    "registered", "emea",  "MA"),
    ("Clearview Research",               "influence",   "gold",       "na",    "US"),
    ("Lighthouse Strategy",              "influence",   "silver",     "emea",  "GB"),
    ("Vantage Point Analysts",           "influence",   "registered", "apj",   "SG"),
    ("Terracotta Marketing",             "influence",   "silver",     "latam", "PE"),
    ("Polaris Digital Agency",           "influence",   "registered", "emea",  "SE"),
    ("Saffron Growth Partners",          "influence",   "platinum",   "apj",   "IN"),
    ("Cloudbridge Marketplace Services", "marketplace", "platinum",   "na",    "US"),
    ("Stratos Cloud Exchange",           "marketplace", "gold",       "emea",  "FR"),
    ("Yarra Cloud Commerce",             "marketplace", "silver",     "apj",   "AU"),
    ("Tropico Cloud Store",              "marketplace", "registered", "latam", "MX"),
    ("Danube Cloud Partners",            "marketplace", "silver",     "emea",  "AT"),
    ("Bayside Cloud Brokers",            "marketplace", "registered", "na",    "US"),
];

/// Given and family names per region, combined deterministically for partner contacts.
fn name_pool(region: &str) -> (&'static [&'static str; 16], &'static [&'static str; 16]) {
    #[rustfmt::skip]
    const NA: ([&str; 16], [&str; 16]) = (
        [
            "Olivia", "Marcus", "Jasmine", "Ethan", "Rachel", "Tyler", "Brianna", "Kevin",
            "Megan", "Andre", "Lauren", "Derek", "Natalie", "Caleb", "Hannah", "Jordan",
        ],
        [
            "Brooks", "Carter", "Nguyen", "Patel", "Foster", "Hayes", "Kim", "Bennett",
            "Ramirez", "Coleman", "Price", "Sullivan", "Ward", "Jenkins", "Fischer", "Morgan",
        ],
    );
    #[rustfmt::skip]
    const LATAM: ([&str; 16], [&str; 16]) = (
        [
            "Camila", "Mateo", "Valentina", "Santiago", "Lucía", "Diego", "Isabela", "Tomás",
            "Mariana", "Joaquín", "Fernanda", "Nicolás", "Gabriela", "Andrés", "Daniela", "Rafael",
        ],
        [
            "González", "Rodríguez", "Silva", "Fernández", "López", "Pereira", "Martínez", "Castro",
            "Rojas", "Oliveira", "Herrera", "Vargas", "Morales", "Costa", "Mendoza", "Ortiz",
        ],
    );
    #[rustfmt::skip]
    const EMEA: ([&str; 16], [&str; 16]) = (
        [
            "Lena", "Jonas", "Chloé", "Luca", "Sofia", "Erik", "Amélie", "Matteo",
            "Ingrid", "Pieter", "Aisha", "Tomasz", "Clara", "Niamh", "Youssef", "Elif",
        ],
        [
            "Schneider", "Dubois", "Rossi", "Jansen", "Nowak", "Lindberg", "O'Brien", "García",
            "Müller", "Virtanen", "Haddad", "Novak", "Petrov", "Andersen", "Keller", "Moreau",
        ],
    );
    #[rustfmt::skip]
    const APJ: ([&str; 16], [&str; 16]) = (
        [
            "Haruto", "Mei", "Arjun", "Ji-woo", "Chloe", "Wei", "Ananya", "Kenji",
            "Siti", "Liam", "Yuna", "Ravi", "Hana", "Minh", "Aiko", "Rohan",
        ],
        [
            "Sato", "Chen", "Sharma", "Park", "Wong", "Tan", "Iyer", "Nakamura",
            "Lim", "Walker", "Suzuki", "Kumar", "Lee", "Tran", "Watanabe", "Mehta",
        ],
    );
    let pool = match region {
        "na" => &NA,
        "latam" => &LATAM,
        "emea" => &EMEA,
        _ => &APJ,
    };
    (&pool.0, &pool.1)
}

/// What the seeding did.
#[derive(Debug)]
pub(crate) struct Seeded {
    /// Partner organisations created.
    pub partners: usize,
    /// Users created (invitations included).
    pub users: usize,
    /// The slug of the first partner, for the printed example logins.
    pub example_partner: String,
    /// Vendor accounts in the CRM and deal registrations.
    pub pipeline: pipeline::Pipeline,
    /// Wall time.
    pub elapsed: Duration,
}

/// A user to create with the demo password.
#[derive(Clone, Debug)]
struct NewUser {
    org_id: OrgId,
    email: String,
    name: String,
    role: &'static str,
}

/// Creates the demo ecosystem unless the database already has a vendor organisation, in which
/// case it returns `None` and changes nothing.
pub(crate) async fn seed(services: &Services, password: &str) -> anyhow::Result<Option<Seeded>> {
    if services
        .vendor_org()
        .await
        .map_err(service_error)?
        .is_some()
    {
        return Ok(None);
    }
    Password::parse(password).map_err(|e| anyhow::anyhow!("--demo-password: {e}"))?;
    let started = Instant::now();
    // The program's history is seeded on a clock that starts months ago, so approval dates,
    // time to activation and time to first deal look like a program that has been running.
    let now = services.now();
    let clock = FakeClock::new(now.minus(HISTORY));
    let live = services;
    let services = &Services::new(
        live.db().clone(),
        Arc::new(clock.clone()),
        live.config().clone(),
    );
    let vendor = create_org(
        services,
        OrgKind::Vendor,
        OrgInput {
            name: VENDOR_NAME.into(),
            slug: Some("vendor".into()),
            region: Some("na".into()),
            country: Some("US".into()),
            website: Some("https://vendor.example".into()),
            ..OrgInput::default()
        },
    )
    .await?;
    let mut users = vendor_users(vendor.id);
    seed_tiers(services).await?;
    lifecycle::setup(services).await?;
    let mut per_region = std::collections::HashMap::<&str, usize>::new();
    let mut partners = Vec::new();
    for (name, partner_type, tier, region, country) in PARTNERS {
        let slug = Slug::from_name(name)
            .map_err(|e| anyhow::anyhow!("the demo partner name {name:?} gives no slug: {e}"))?;
        let input = OrgInput {
            name: name.into(),
            slug: Some(slug.to_string()),
            partner_type: Some(partner_type.into()),
            tier: Some(tier.into()),
            region: Some(region.into()),
            country: Some(country.into()),
            website: Some(format!("https://{slug}.example")),
        };
        clock.set(
            now.minus(HISTORY)
                .plus(PARTNER_EVERY * u32::try_from(partners.len()).unwrap_or(0)),
        );
        let org = create_org(services, OrgKind::Partner, input).await?;
        seed_metrics(services, org.id, tier, partners.len()).await?;
        let j = {
            let n = per_region.entry(region).or_default();
            *n += 1;
            *n - 1
        };
        let (given, family) = name_pool(region);
        for (k, (local, role)) in [("admin", "partner_admin"), ("seller", "partner_user")]
            .into_iter()
            .enumerate()
        {
            users.push(NewUser {
                org_id: org.id,
                email: format!("{local}@{}.example", org.slug),
                name: format!(
                    "{} {}",
                    given[(2 * j + k) % 16],
                    family[(3 * j + 7 * k) % 16]
                ),
                role,
            });
        }
        partners.push(org);
    }
    let created = create_users(services, users, password).await?;
    let admins = admins_of(&partners, &created);
    lifecycle::partners(services, &clock, &partners, &admins).await?;
    lifecycle::tier_stories(services, &clock, &partners, now).await?;
    lifecycle::agreement_update(services, &clock, &admins, now).await?;
    lifecycle::applications(services, &clock, now).await?;
    let cast = pipeline::Cast {
        vendor: vendor.id,
        partners: &partners,
        users: &created,
    };
    let pipeline = pipeline::seed(services, &clock, now, &cast).await?;
    extras(live, &created).await?;
    Ok(Some(Seeded {
        partners: partners.len(),
        users: created.len() + 1,
        example_partner: partners.first().map(|o| o.slug.clone()).unwrap_or_default(),
        pipeline,
        elapsed: started.elapsed(),
    }))
}

/// The program's tiers: `(key, name, rank, requirements, benefits)`. Money is in cents of the
/// reporting currency (USD).
type DemoTier = (
    &'static str,
    &'static str,
    u32,
    &'static [(Metric, i64)],
    &'static [&'static str],
);

const TIERS: [DemoTier; 4] = [
    (
        "registered",
        "Registered",
        1,
        &[],
        &[
            "Partner portal and deal registration",
            "Self-paced training",
        ],
    ),
    (
        "silver",
        "Silver",
        2,
        &[(Metric::RegisteredDeals, 5), (Metric::CertifiedPeople, 2)],
        &["10 % resale discount", "Co-branded marketing assets"],
    ),
    (
        "gold",
        "Gold",
        3,
        &[
            (Metric::SourcedRevenue, 25_000_000),
            (Metric::CertifiedPeople, 5),
        ],
        &[
            "20 % resale discount",
            "Market development funds",
            "Named channel manager",
        ],
    ),
    (
        "platinum",
        "Platinum",
        4,
        &[
            (Metric::SourcedRevenue, 100_000_000),
            (Metric::CertifiedPeople, 10),
            (Metric::Psat, 80),
        ],
        &[
            "30 % resale discount",
            "Priority deal protection",
            "Joint business planning",
            "Listed first in the partner locator",
        ],
    ),
];

async fn seed_tiers(services: &Services) -> anyhow::Result<()> {
    for (key, name, rank, requirements, benefits) in TIERS {
        services
            .create_tier(
                &Actor::System,
                &TierInput {
                    key: key.into(),
                    name: name.into(),
                    rank,
                    description: String::new(),
                    requirements: requirements
                        .iter()
                        .map(|(metric, at_least)| Requirement {
                            metric: *metric,
                            at_least: *at_least,
                        })
                        .collect(),
                    benefits: benefits.iter().map(|b| (*b).to_owned()).collect(),
                },
            )
            .await
            .map_err(service_error)
            .with_context(|| format!("creating the demo tier {name}"))?;
    }
    Ok(())
}

/// Figures that put a demo partner comfortably inside its tier, varied by its position.
async fn seed_metrics(services: &Services, org: OrgId, tier: &str, i: usize) -> anyhow::Result<()> {
    let spread = i64::try_from(i % 7).unwrap_or(0);
    let figures: &[(Metric, i64)] = match tier {
        "platinum" => &[
            (Metric::SourcedRevenue, 120_000_000),
            (Metric::CertifiedPeople, 12),
            (Metric::Psat, 86),
            (Metric::RegisteredDeals, 40),
        ],
        "gold" => &[
            (Metric::SourcedRevenue, 32_000_000),
            (Metric::CertifiedPeople, 6),
            (Metric::Psat, 78),
            (Metric::RegisteredDeals, 18),
        ],
        "silver" => &[
            (Metric::SourcedRevenue, 6_000_000),
            (Metric::CertifiedPeople, 3),
            (Metric::Psat, 74),
            (Metric::RegisteredDeals, 7),
        ],
        _ => &[(Metric::RegisteredDeals, 1), (Metric::Psat, 70)],
    };
    for (metric, value) in figures {
        let mut value = value + value * spread / 20;
        if metric.unit() == trellis_domain::partners::metrics::MetricUnit::Score {
            value = value.min(100);
        }
        services
            .set_partner_metric(&Actor::System, org, *metric, Some(value), "demo")
            .await
            .map_err(service_error)
            .with_context(|| format!("setting the demo metric {metric}"))?;
    }
    Ok(())
}

/// The vendor's staff, the regional reps, and a rep who has since left.
fn vendor_users(vendor: OrgId) -> Vec<NewUser> {
    let mut users: Vec<NewUser> = VENDOR_STAFF
        .iter()
        .map(|(local, name, role)| NewUser {
            org_id: vendor,
            email: format!("{local}@vendor.example"),
            name: (*name).into(),
            role,
        })
        .collect();
    users.extend(REGIONAL_REPS.iter().map(|(email, name)| NewUser {
        org_id: vendor,
        email: (*email).into(),
        name: (*name).into(),
        role: "sales_rep",
    }));
    users.push(NewUser {
        org_id: vendor,
        email: "tom.becker@vendor.example".into(),
        name: "Tom Becker".into(),
        role: "sales_rep",
    });
    users
}

/// Each partner's admin: `(partner, user, e-mail)`.
fn admins_of(partners: &[Org], created: &[(String, UserId, i64)]) -> Vec<(OrgId, UserId, String)> {
    partners
        .iter()
        .filter_map(|o| {
            let email = format!("admin@{}.example", o.slug);
            created
                .iter()
                .find(|(e, _, _)| *e == email)
                .map(|(e, id, _)| (o.id, *id, e.clone()))
        })
        .collect()
}

async fn create_org(services: &Services, kind: OrgKind, input: OrgInput) -> anyhow::Result<Org> {
    services
        .create_org(&Actor::System, kind, &input)
        .await
        .map_err(service_error)
        .with_context(|| format!("creating the demo organisation {}", input.name))
}

/// Creates the users. Everyone shares the demo password, so it is hashed once: argon2 is
/// deliberately slow and memory-hungry, and a hundred hashes would dominate start-up and leave
/// the allocator holding their memory. Returns (e-mail, id, version) of every user.
async fn create_users(
    services: &Services,
    users: Vec<NewUser>,
    password: &str,
) -> anyhow::Result<Vec<(String, trellis_domain::UserId, i64)>> {
    let password = trellis_domain::Password::parse(password)
        .map_err(|e| anyhow::anyhow!("--demo-password {e}"))?;
    let hash = trellis_service::secrets::PasswordHash::of(&password)?;
    let mut created = Vec::with_capacity(users.len());
    for u in &users {
        let user = services
            .create_user_with_hash(&Actor::System, u.org_id, &u.email, &u.name, u.role, &hash)
            .await
            .map_err(service_error)
            .with_context(|| format!("creating the demo user {}", u.email))?;
        created.push((user.email, user.id, user.version));
    }
    created.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(created)
}

/// A rep who left (disabled), a channel manager who has not accepted her invitation yet, and
/// a paused webhook endpoint.
async fn extras(
    services: &Services,
    created: &[(String, trellis_domain::UserId, i64)],
) -> anyhow::Result<()> {
    let system = Actor::System;
    if let Some((_, id, version)) = created
        .iter()
        .find(|(email, _, _)| email == "tom.becker@vendor.example")
    {
        let patch = UserPatch {
            status: Some("disabled".into()),
            ..UserPatch::default()
        };
        services
            .update_user(&system, *id, *version, &patch)
            .await
            .map_err(service_error)
            .context("disabling the demo user tom.becker@vendor.example")?;
    }
    let invitation = InviteInput {
        email: "grace.whitfield@vendor.example".into(),
        name: "Grace Whitfield".into(),
        role: "channel_manager".into(),
        org_id: None,
    };
    services
        .invite_user(&system, &invitation)
        .await
        .map_err(service_error)
        .context("inviting the demo user grace.whitfield@vendor.example")?;
    let endpoint = EndpointInput {
        url: "https://hooks.example.com/trellis".into(),
        description: "CRM sync (paused until the integration goes live)".into(),
        event_filter: vec!["org.*".into(), "user.*".into()],
        enabled: false,
    };
    services
        .create_webhook(&system, &endpoint)
        .await
        .map_err(service_error)
        .context("creating the demo webhook endpoint")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_partner_list_covers_every_type_tier_and_region_without_repeats() {
        let names: HashSet<_> = PARTNERS.iter().map(|p| p.0).collect();
        assert_eq!(names.len(), PARTNERS.len());
        let slugs: HashSet<_> = PARTNERS
            .iter()
            .map(|p| Slug::from_name(p.0).unwrap())
            .collect();
        assert_eq!(slugs.len(), PARTNERS.len());
        for t in trellis_domain::PartnerType::ALL {
            assert_eq!(
                PARTNERS.iter().filter(|p| p.1 == t.as_str()).count(),
                6,
                "{t}"
            );
        }
        for (key, ..) in TIERS {
            assert!(PARTNERS.iter().any(|p| p.2 == key), "{key}");
        }
        for r in trellis_domain::Region::ALL {
            assert!(
                PARTNERS.iter().filter(|p| p.3 == r.as_str()).count() >= 8,
                "{r}"
            );
        }
        let countries: HashSet<_> = PARTNERS.iter().map(|p| p.4).collect();
        assert!(countries.len() >= 20, "{}", countries.len());
    }
}
