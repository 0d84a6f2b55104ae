//! Account mapping in the demo: a second, partner-side data set. Three partners bring their
//! own CRM exports (each spells the companies its own way: another legal form, a bare domain
//! or none at all, the country by name), about half of them companies the vendor also has.
//! Each side sets a sharing policy, two connections are active and mapped, the third waits
//! for the partner to opt in.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use trellis_domain::mapping::{
    AccountField, Condition, Filter, Op, Share, ShareLevel, SharedField, SharingPolicy,
};
use trellis_domain::{OrgId, Role};
use trellis_match::benchmark::SplitMix64;
use trellis_service::mapping::{PolicyScope, PopulationInput};
use trellis_service::{Actor, Services};

use super::Cast;
use super::companies::{self, Company};
use super::crm::Plan;
use crate::cli::admin::service_error;

/// A partner's book: how many of its accounts the vendor also has, and how many only it has.
const SHARED: usize = 70;
const OWN: usize = 60;
/// One seed per partner book, far from the vendor CRM's.
const SEED: u64 = 0x005E_ED0F_FA27;

/// Which partners map, and how: `(partner index, partner shares, mapped)`.
pub(super) const MAPPERS: [(usize, Sharing, bool); 3] = [
    (0, Sharing::Records, true),
    (3, Sharing::Counts, true),
    (6, Sharing::Records, false),
];

#[derive(Clone, Copy)]
pub(super) enum Sharing {
    /// Customers and open opportunities as records, prospects as counts.
    Records,
    /// Counts only, none below 5.
    Counts,
}

/// What the demo mapped.
#[derive(Debug)]
pub(crate) struct Mapping {
    /// Accounts the partners brought.
    pub partner_accounts: usize,
    /// Mappings run.
    pub runs: usize,
}

/// The partner's export of its book: Salesforce headers for even partners, HubSpot's for odd
/// ones, as the upload reads either.
pub(super) fn partner_book(plan: &Plan, partner: usize) -> String {
    let mut rng = SplitMix64::new(SEED ^ (partner as u64 + 1).wrapping_mul(0x9E37_79B9));
    let hubspot = partner % 2 == 1;
    let mut out = if hubspot {
        "Record ID,Company name,Company Domain Name,Country/Region,Industry,Lifecycle Stage,Number of Employees,Open Deals,Company owner\n".to_owned()
    } else {
        "Account ID,Account Name,Website,Billing Country,Industry,Type,Employees,Open Opportunities,Account Owner\n".to_owned()
    };
    let mut picked: Vec<Company> = Vec::new();
    // About half of the book the vendor has too: the partner's picks from the vendor's CRM.
    let mut taken = std::collections::BTreeSet::new();
    while picked.len() < SHARED.min(plan.accounts.len()) {
        let i = rng.below(plan.accounts.len());
        if taken.insert(i) {
            picked.push(plan.accounts[i].company.clone());
        }
    }
    let vendor_domains: std::collections::HashSet<&str> = plan
        .accounts
        .iter()
        .map(|a| a.company.domain.as_str())
        .collect();
    picked.extend(
        companies::companies(OWN * 2, SEED + partner as u64)
            .into_iter()
            .filter(|c| !vendor_domains.contains(c.domain.as_str()))
            .take(OWN),
    );
    let owners = ["Kim Ray", "Pat Lee", "Sam Okafor", "Noor Haddad"];
    for (i, c) in picked.iter().enumerate() {
        // Partners spell companies their own way: the brand alone, a full URL, no website.
        let name = if rng.percent(40) { &c.brand } else { &c.name };
        let website = match rng.below(10) {
            0..2 => String::new(),
            2..6 => format!("https://www.{}/", c.domain),
            _ => c.domain.clone(),
        };
        let (kind, open) = match rng.below(10) {
            0..4 => ("Customer", rng.below(3)),
            4..8 => ("Prospect", rng.below(2)),
            _ => ("Other", 0),
        };
        let stage = match kind {
            "Customer" => "customer",
            "Prospect" => "lead",
            _ => "other",
        };
        let industry = companies::INDUSTRIES[c.industry];
        let employees = 20 + rng.below(20_000);
        let owner = owners[rng.below(owners.len())];
        let id = format!("P{partner}-{:05}", i + 1);
        let _ = if hubspot {
            writeln!(
                out,
                "{id},{},{website},{},{industry},{stage},{employees},{open},{owner}",
                csv_cell(name),
                c.country.name
            )
        } else {
            writeln!(
                out,
                "{id},{},{website},{},{industry},{kind},{employees},{open},{owner}",
                csv_cell(name),
                c.country.name
            )
        };
    }
    out
}

/// A CSV cell, quoted when it must be.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn share(level: ShareLevel, fields: &[SharedField]) -> Share {
    Share {
        level,
        fields: fields.to_vec(),
    }
}

fn vendor_policy() -> SharingPolicy {
    use SharedField::{Name, OpenOpportunities, Owner};
    SharingPolicy {
        populations: BTreeMap::from([
            ("customers".to_owned(), share(ShareLevel::Counts, &[])),
            (
                "open_opportunities".to_owned(),
                share(ShareLevel::Records, &[Name, Owner, OpenOpportunities]),
            ),
            ("prospects".to_owned(), share(ShareLevel::Counts, &[])),
            ("enterprise".to_owned(), share(ShareLevel::Counts, &[])),
        ]),
        min_count: Some(3),
    }
}

fn partner_policy(sharing: Sharing) -> SharingPolicy {
    use SharedField::{Industry, Name, OpenOpportunities, Owner, Relationship};
    match sharing {
        Sharing::Records => SharingPolicy {
            populations: BTreeMap::from([
                (
                    "customers".to_owned(),
                    share(ShareLevel::Records, &[Name, Owner, Industry, Relationship]),
                ),
                (
                    "open_opportunities".to_owned(),
                    share(ShareLevel::Records, &[Name, Owner, OpenOpportunities]),
                ),
                ("prospects".to_owned(), share(ShareLevel::Counts, &[])),
            ]),
            min_count: None,
        },
        Sharing::Counts => SharingPolicy {
            populations: BTreeMap::from([
                ("customers".to_owned(), share(ShareLevel::Counts, &[])),
                ("prospects".to_owned(), share(ShareLevel::Counts, &[])),
            ]),
            min_count: Some(5),
        },
    }
}

/// The vendor's own population beyond the built-ins.
fn enterprise() -> PopulationInput {
    PopulationInput {
        key: "enterprise".into(),
        name: "Enterprise".into(),
        description: "Accounts of 5,000 employees or more.".into(),
        filter: Filter {
            conditions: vec![Condition {
                field: AccountField::Employees,
                op: Op::AtLeast,
                values: vec!["5000".into()],
            }],
        },
    }
}

/// Seeds the partner books, the policies, the connections and their mappings.
pub(super) async fn seed(
    services: &Services,
    cast: &Cast<'_>,
    plan: &Plan,
) -> anyhow::Result<Mapping> {
    let admin = cast.person("admin@vendor.example", cast.vendor, Role::VendorAdmin)?;
    services
        .create_population(&admin, &enterprise())
        .await
        .map_err(service_error)?;
    services
        .put_sharing_policy(&admin, PolicyScope::Default, 0, &vendor_policy())
        .await
        .map_err(service_error)?;
    let mut brought = 0;
    let mut runs = 0;
    for (index, sharing, mapped) in MAPPERS {
        let Some(partner) = cast.partners.get(index) else {
            continue;
        };
        let partner_admin = partner_admin(cast, partner.id, &partner.slug)?;
        let report = services
            .upload_partner_accounts(&partner_admin, partner_book(plan, index).as_bytes(), true)
            .await
            .map_err(service_error)?;
        brought += usize::try_from(report.rows).unwrap_or(0);
        services
            .put_sharing_policy(
                &partner_admin,
                PolicyScope::Default,
                0,
                &partner_policy(sharing),
            )
            .await
            .map_err(service_error)?;
        let connection = services
            .opt_in_mapping(&admin, Some(partner.id))
            .await
            .map_err(service_error)?;
        if mapped {
            services
                .opt_in_mapping(&partner_admin, None)
                .await
                .map_err(service_error)?;
            let run = services
                .request_mapping_run(&partner_admin, connection.id)
                .await
                .map_err(service_error)?;
            // The demo runs it now rather than leaving it to the worker, so the first page
            // already shows the result.
            services
                .execute_mapping_run(run.id)
                .await
                .map_err(service_error)?;
            runs += 1;
        }
    }
    Ok(Mapping {
        partner_accounts: brought,
        runs,
    })
}

fn partner_admin(cast: &Cast<'_>, org: OrgId, slug: &str) -> anyhow::Result<Actor> {
    cast.person(&format!("admin@{slug}.example"), org, Role::PartnerAdmin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partner_book_mixes_the_vendors_companies_and_its_own() {
        let plan = super::super::crm::plan();
        let book = partner_book(&plan, 0);
        assert_eq!(book.lines().count(), 1 + SHARED + OWN, "{book}");
        assert_eq!(book, partner_book(&plan, 0), "the same on every run");
        assert_ne!(book, partner_book(&plan, 1));
        assert!(partner_book(&plan, 1).starts_with("Record ID,Company name"));
    }
}
