//! The vendor's CRM in the demo: a few hundred Salesforce accounts with their contacts and
//! opportunities, loaded the way a vendor loads them: Salesforce exports imported when the
//! program started, and a fresh export imported yesterday, in which deals have moved on, some
//! have closed, new prospects have appeared and some prospects have become customers.
//!
//! The plan is pure and fixed (a seeded generator): each opportunity has a life (created,
//! closes, won, lost or still open), and an export shows it as it stood on the export's day.

mod exports;

use std::time::Duration;

use trellis_domain::Timestamp;
use trellis_match::benchmark::SplitMix64;

use super::companies::{self, Company, INDUSTRIES};

/// Accounts in the CRM.
const ACCOUNTS: usize = 320;
/// The generator's seed.
const SEED: u64 = 0x7E11_15DE_0CE5;
/// The source system of every record.
pub(super) const SALESFORCE: &str = "salesforce";

/// Salesforce's open stages in order, with their default probability.
const OPEN_STAGES: [(&str, i64); 8] = [
    ("Prospecting", 10),
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 50),
    ("Id. Decision Makers", 60),
    ("Perception Analysis", 70),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
];

/// The next step a rep writes at each open stage.
const NEXT_STEPS: [&str; 8] = [
    "Intro call with the IT leadership",
    "Confirm budget, timeline and decision process",
    "Discovery workshop with the platform team",
    "Present the business case to the CFO",
    "Map the buying committee; meet the CISO",
    "Answer the security questionnaire",
    "Send the revised quote with three-year pricing",
    "Legal review of the MSA redlines",
];

/// The vendor's products: (name, smallest and largest deal in major units).
pub(super) const PRODUCTS: [(&str, i64, i64); 5] = [
    ("Lumen Cloud Platform", 80_000, 600_000),
    ("Lumen Analytics", 40_000, 250_000),
    ("Lumen Edge", 25_000, 180_000),
    ("Lumen Security Suite", 30_000, 200_000),
    ("Lumen Premier Support", 10_000, 60_000),
];

const TITLES: [&str; 8] = [
    "Chief Information Officer",
    "VP Engineering",
    "Head of IT Operations",
    "Procurement Manager",
    "Director of Data Platforms",
    "Chief Financial Officer",
    "Cloud Architect",
    "IT Manager",
];

const SOURCES: [&str; 5] = [
    "Web",
    "Trade Show",
    "Partner Referral",
    "Outbound",
    "Webinar",
];

/// The rep who owns a region's accounts, by the name the CRM gives them.
pub(super) fn rep_of(region: &str) -> &'static str {
    match region {
        "emea" => super::super::REGIONAL_REPS[0].1,
        "apj" => super::super::REGIONAL_REPS[1].1,
        _ => super::super::VENDOR_STAFF[2].1,
    }
}

/// The rep who left, who still owns deals he closed.
const FORMER_REP: &str = "Tom Becker";

fn days(n: i64) -> Duration {
    Duration::from_hours(24 * n.unsigned_abs())
}

/// The date `d` days before `now` (after it, for negative `d`).
pub(super) fn day(now: Timestamp, d: i64) -> String {
    if d >= 0 {
        now.minus(days(d)).date()
    } else {
        now.plus(days(d)).date()
    }
}

/// A vendor account.
#[derive(Debug)]
pub(super) struct AccountPlan {
    pub id: String,
    pub company: Company,
    pub owner: &'static str,
    pub employees: i64,
    /// Days ago it was created in the CRM.
    pub created: i64,
    /// A customer since before the program started.
    pub legacy_customer: bool,
    /// Customers here buy through a partner ("Customer - Channel").
    pub channel: bool,
    pub source: &'static str,
}

/// A person at an account.
#[derive(Debug)]
pub(super) struct ContactPlan {
    pub id: String,
    pub account: usize,
    pub first: &'static str,
    pub last: &'static str,
    pub title: &'static str,
    pub email: String,
    pub phone: String,
}

/// How an opportunity ends (by now).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Open,
    Won,
    Lost,
}

/// An opportunity and its life.
#[derive(Debug)]
pub(super) struct OppPlan {
    pub id: String,
    pub account: usize,
    pub name: String,
    pub amount_minor: i64,
    pub currency: &'static str,
    pub owner: &'static str,
    /// Days ago it was created.
    pub created: i64,
    /// Days ago it closes (negative: ahead).
    pub closes: i64,
    pub outcome: Outcome,
    /// Days since its last activity in the latest export (open opportunities).
    pub quiet: i64,
    pub kind: &'static str,
}

impl OppPlan {
    /// Closed as of `at` days ago.
    fn closed_at(&self, at: i64) -> bool {
        self.outcome != Outcome::Open && self.closes >= at
    }

    /// Open as of `at` days ago.
    pub(super) fn open_at(&self, at: i64) -> bool {
        self.created >= at && !self.closed_at(at)
    }

    /// (stage, probability, next step) as of `at` days ago.
    fn stage_at(&self, at: i64) -> (&'static str, i64, &'static str) {
        if self.closed_at(at) {
            return match self.outcome {
                Outcome::Won => ("Closed Won", 100, ""),
                _ => ("Closed Lost", 0, ""),
            };
        }
        let span = (self.created - self.closes).max(1);
        let i = usize::try_from(((self.created - at) * 8 / span).clamp(0, 7)).unwrap_or(0);
        (OPEN_STAGES[i].0, OPEN_STAGES[i].1, NEXT_STEPS[i])
    }

    /// Days ago of its last activity as of `at` days ago.
    fn last_activity_at(&self, at: i64, latest: bool) -> i64 {
        let d = if self.closed_at(at) {
            self.closes + self.created % 4
        } else if latest {
            self.quiet.max(at)
        } else {
            at + 1 + self.created % 20
        };
        d.min(self.created)
    }
}

/// The CRM: accounts, contacts and opportunities.
#[derive(Debug)]
pub(super) struct Plan {
    pub accounts: Vec<AccountPlan>,
    pub contacts: Vec<ContactPlan>,
    pub opportunities: Vec<OppPlan>,
}

/// A Salesforce-style 18-character id with a key prefix (`001` accounts, `003` contacts,
/// `006` opportunities).
fn sf_id(prefix: &str, i: usize) -> String {
    format!("{prefix}Dn0000{i:06}IAA")
}

/// The plan (the same on every run).
pub(super) fn plan() -> Plan {
    let mut rng = SplitMix64::new(SEED);
    let mut plan = Plan {
        accounts: Vec::new(),
        contacts: Vec::new(),
        opportunities: Vec::new(),
    };
    for (i, company) in companies::companies(ACCOUNTS, SEED).into_iter().enumerate() {
        let created = if rng.percent(10) {
            20 + below(&mut rng, 150)
        } else {
            200 + below(&mut rng, 900)
        };
        let legacy_customer = created > 200 && rng.percent(30);
        let employees = match rng.below(4) {
            0 => 50 + below(&mut rng, 150),
            1 => 200 + below(&mut rng, 800),
            2 => 1_000 + below(&mut rng, 4_000),
            _ => 5_000 + below(&mut rng, 35_000),
        };
        let account = AccountPlan {
            id: sf_id("001", i + 1),
            owner: rep_of(company.country.region),
            employees,
            created,
            legacy_customer,
            channel: i % 5 == 0,
            source: SOURCES[rng.below(SOURCES.len())],
            company,
        };
        add_contacts(
            &mut plan,
            i,
            &account,
            1 + rng.below(3) + usize::from(legacy_customer),
        );
        let n = if legacy_customer {
            1 + rng.below(3)
        } else {
            rng.below(3)
        };
        for k in 0..n {
            let o = opportunity(&mut rng, &account, plan.opportunities.len() + 1, k);
            plan.opportunities.push(OppPlan { account: i, ..o });
        }
        plan.accounts.push(account);
    }
    plan
}

fn below(rng: &mut SplitMix64, n: i64) -> i64 {
    i64::try_from(rng.below(usize::try_from(n).unwrap_or(1))).unwrap_or(0)
}

fn add_contacts(plan: &mut Plan, i: usize, account: &AccountPlan, n: usize) {
    let (given, family) = super::super::name_pool(account.company.country.region);
    for k in 0..n {
        let first = given[(i * 3 + k * 5) % 16];
        let last = family[(i * 7 + k * 11) % 16];
        plan.contacts.push(ContactPlan {
            id: sf_id("003", plan.contacts.len() + 1),
            account: i,
            first,
            last,
            title: TITLES[(i + k * 3) % TITLES.len()],
            email: companies::mailbox(first, last, &account.company.domain),
            phone: format!(
                "{} {:03} {:04}",
                account.company.country.dial,
                100 + (i * 37 + k * 11) % 900,
                (i * 7_919 + k * 104_729) % 10_000
            ),
        });
    }
}

/// The `k`th opportunity of an account: a legacy customer's first is the deal that made it
/// one, closed before the program started.
fn opportunity(rng: &mut SplitMix64, account: &AccountPlan, n: usize, k: usize) -> OppPlan {
    let (product, min, max) = PRODUCTS[rng.below(PRODUCTS.len())];
    let amount = (min + below(rng, max - min)) / 500 * 500;
    let outcome = if account.legacy_customer && k == 0 {
        Outcome::Won
    } else {
        match rng.below(100) {
            0..45 => Outcome::Open,
            45..70 => Outcome::Won,
            _ => Outcome::Lost,
        }
    };
    let (mut created, mut closes) = match outcome {
        Outcome::Open => (5 + below(rng, 300), -(7 + below(rng, 230))),
        _ if account.legacy_customer && k == 0 => {
            let closes = 200 + below(rng, 300);
            (closes + 30 + below(rng, 120), closes)
        }
        _ => {
            let closes = 2 + below(rng, 360);
            (closes + 20 + below(rng, 130), closes)
        }
    };
    if created > account.created {
        created = account.created;
        if closes >= created {
            closes = created * 2 / 3;
        }
    }
    let quiet = match rng.below(100) {
        0..35 => 1 + below(rng, 14),
        35..65 => 15 + below(rng, 31),
        _ => 46 + below(rng, 105),
    }
    .min(created);
    let existing = account.legacy_customer && k > 0;
    let owner = if outcome != Outcome::Open && closes > 200 && rng.percent(40) {
        FORMER_REP
    } else {
        account.owner
    };
    let short = product.trim_start_matches("Lumen ");
    OppPlan {
        id: sf_id("006", n),
        account: 0,
        name: if existing {
            format!("{} - {short} expansion", account.company.brand)
        } else {
            format!("{} - {short}", account.company.brand)
        },
        amount_minor: amount * 100,
        currency: account.company.country.currency,
        owner,
        created,
        closes,
        outcome,
        quiet,
        kind: if existing {
            "Existing Business"
        } else {
            "New Business"
        },
    }
}

impl Plan {
    /// Whether the account is a customer as of `at` days ago.
    fn customer_at(&self, i: usize, at: i64) -> bool {
        self.accounts[i].legacy_customer
            || self
                .opportunities
                .iter()
                .any(|o| o.account == i && o.outcome == Outcome::Won && o.closes >= at)
    }

    fn has_opportunities(&self, i: usize) -> bool {
        self.opportunities.iter().any(|o| o.account == i)
    }

    /// Accounts in `country` that were in the first export, with their index.
    fn early_in(
        &self,
        country: &'static str,
        first_export: i64,
    ) -> impl Iterator<Item = (usize, &AccountPlan)> {
        self.accounts
            .iter()
            .enumerate()
            .filter(move |(_, a)| a.company.country.code == country && a.created >= first_export)
    }

    /// A customer from before the program in `country`.
    pub(super) fn customer_in(
        &self,
        country: &'static str,
        first_export: i64,
    ) -> Option<&AccountPlan> {
        self.early_in(country, first_export)
            .find(|(_, a)| a.legacy_customer)
            .map(|(_, a)| a)
    }

    /// A prospect in `country` with no opportunity at all.
    pub(super) fn quiet_prospect_in(
        &self,
        country: &'static str,
        first_export: i64,
    ) -> Option<&AccountPlan> {
        self.early_in(country, first_export)
            .find(|(i, _)| !self.customer_at(*i, 0) && !self.has_opportunities(*i))
            .map(|(_, a)| a)
    }

    /// A prospect in `country` with an open opportunity whose last activity in the latest
    /// export is at most `quiet` days old.
    pub(super) fn active_prospect_in(
        &self,
        country: &'static str,
        first_export: i64,
        quiet: i64,
    ) -> Option<&AccountPlan> {
        self.early_in(country, first_export)
            .find(|(i, _)| {
                !self.customer_at(*i, 0)
                    && self
                        .opportunities
                        .iter()
                        .any(|o| o.account == *i && o.open_at(0) && o.quiet <= quiet)
            })
            .map(|(_, a)| a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crm_has_customers_prospects_and_deals_in_every_state() {
        let p = plan();
        assert_eq!(p.accounts.len(), ACCOUNTS);
        assert!(p.contacts.len() > 2 * ACCOUNTS, "{}", p.contacts.len());
        let customers = (0..ACCOUNTS).filter(|i| p.customer_at(*i, 0)).count();
        assert!((60..200).contains(&customers), "{customers}");
        let open = p.opportunities.iter().filter(|o| o.open_at(0)).count();
        let recent = p
            .opportunities
            .iter()
            .filter(|o| o.open_at(0) && o.quiet <= 30)
            .count();
        assert!(open > 100 && recent > 30, "{open} open, {recent} recent");
        for outcome in [Outcome::Won, Outcome::Lost] {
            assert!(
                p.opportunities
                    .iter()
                    .filter(|o| o.outcome == outcome)
                    .count()
                    > 40
            );
        }
        let fresh = p.opportunities.iter().filter(|o| o.created < 190).count();
        assert!(
            fresh > 50,
            "opportunities new since the first export: {fresh}"
        );
        for o in &p.opportunities {
            assert!(o.created >= p.accounts[o.account].created.min(o.created));
            assert!(o.closes < o.created, "{o:?}");
        }
    }
}
