//! The partner lifecycle in the demo: the program's setup (tiers, Ideal Partner Profile,
//! agreements, an onboarding template, settings), each partner's path from approval through
//! onboarding to activation and a first deal, a few suspended and terminated partners, and a
//! queue of applications. It runs on a clock set months back, so dates and durations (time to
//! activation, time to first deal) look like a program that has been running for a while.

use std::time::Duration;

use anyhow::Context as _;
use trellis_domain::partners::ipp::{Attribute, Criterion, Rule};
use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::{OrgId, Role, Timestamp, UserId};
use trellis_service::partners::PartnerPatch;
use trellis_service::partners::agreements::AgreementInput;
use trellis_service::partners::applications::ApplicationInput;
use trellis_service::partners::contacts::ContactInput;
use trellis_service::partners::onboarding::default_tasks;
use trellis_service::partners::settings::ProgramSettings;
use trellis_service::platform::auth::ClientInfo;
use trellis_service::platform::orgs::Org;
use trellis_service::{Actor, FakeClock, Services};

use crate::cli::admin::service_error;

/// A day.
const DAY: Duration = Duration::from_hours(24);

fn days(n: usize) -> Duration {
    DAY * u32::try_from(n).unwrap_or(u32::MAX)
}

/// The program's setup: the IPP, the agreements, the MSP onboarding template and the
/// settings (the locator is on in the demo).
pub(super) async fn setup(services: &Services) -> anyhow::Result<()> {
    let system = Actor::System;
    let criteria = ipp_criteria();
    services
        .save_ipp(
            &system,
            0,
            criteria,
            "First profile: MSPs, SIs and resellers in our core industries",
        )
        .await
        .map_err(service_error)
        .context("saving the demo Ideal Partner Profile")?;
    let body = "1. Scope. This agreement governs your participation in the Lumen Cloud partner program.\n\n\
        2. Deal registration. Registered deals are protected for 90 days under the published rules of engagement.\n\n\
        3. Use of marks. You may use the partner badge of your tier in your marketing.\n\n\
        4. Confidentiality. Information shared through the partner portal is confidential.";
    services
        .publish_agreement(
            &system,
            "all",
            0,
            &AgreementInput {
                title: "Partner Program Agreement".into(),
                body: body.into(),
                changes: String::new(),
            },
        )
        .await
        .map_err(service_error)
        .context("publishing the demo agreement")?;
    let mut tasks = default_tasks();
    tasks.insert(
        3,
        trellis_service::partners::onboarding::TemplateTask {
            title: "Technical enablement workshop".into(),
            description: "Two hours with our solutions engineers on managed-service operations."
                .into(),
            kind: trellis_service::partners::onboarding::TaskKind::Custom,
            owner_side: trellis_service::partners::onboarding::Side::Vendor,
            due_days: 21,
            required: false,
        },
    );
    services
        .create_template(&system, "msp", "MSP onboarding", tasks)
        .await
        .map_err(service_error)
        .context("creating the demo onboarding template")?;
    let settings = ProgramSettings {
        reporting_currency: "USD".into(),
        locator_enabled: true,
        ..ProgramSettings::default()
    };
    services
        .update_program_settings(&system, 0, settings)
        .await
        .map_err(service_error)
        .context("saving the demo program settings")?;
    Ok(())
}

/// The demo's Ideal Partner Profile.
fn ipp_criteria() -> Vec<Criterion> {
    let c = |key: &str, label: &str, attribute: Attribute, weight: u32, rule: Rule| Criterion {
        key: key.into(),
        label: label.into(),
        attribute,
        rule,
        weight,
    };
    let values = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        c(
            "motion",
            "Go-to-market",
            Attribute::PartnerType,
            30,
            Rule::AnyOf {
                values: values(&["msp", "si", "reseller"]),
            },
        ),
        c(
            "industries",
            "Target industries",
            Attribute::Industries,
            30,
            Rule::Coverage {
                values: values(&[
                    "manufacturing",
                    "healthcare",
                    "financial_services",
                    "retail",
                ]),
                full_at: 2,
            },
        ),
        c(
            "size",
            "Company size",
            Attribute::Employees,
            20,
            Rule::Band {
                min: 10,
                ideal_min: 50,
                ideal_max: Some(1000),
                max: Some(5000),
            },
        ),
        c(
            "reach",
            "Core regions",
            Attribute::RegionsServed,
            20,
            Rule::AnyOf {
                values: values(&["emea", "na"]),
            },
        ),
    ]
}

const INDUSTRIES: [&str; 8] = [
    "manufacturing",
    "healthcare",
    "financial_services",
    "retail",
    "software",
    "public_sector",
    "energy",
    "education",
];
const TECHNOLOGIES: [&str; 10] = [
    "AWS",
    "Microsoft Azure",
    "Google Cloud",
    "Kubernetes",
    "Salesforce",
    "SAP",
    "ServiceNow",
    "Snowflake",
    "Terraform",
    "HubSpot",
];
const SEGMENTS: [&str; 4] = ["smb", "mid_market", "enterprise", "public_sector"];

/// A partner admin acting in the portal.
fn partner_admin(org: OrgId, user: UserId, email: &str) -> Actor {
    super::person(org, user, email, Role::PartnerAdmin)
}

/// Walks every partner through its lifecycle, from its approval date on. Partner `i` was
/// approved at `approved[i]`; `admins` maps a partner to its admin's user id and e-mail.
pub(super) async fn partners(
    services: &Services,
    clock: &FakeClock,
    partners: &[Org],
    admins: &[(OrgId, UserId, String)],
) -> anyhow::Result<()> {
    for (i, org) in partners.iter().enumerate() {
        profile(services, clock, i, org).await?;
        onboard(services, clock, i, org, admins).await?;
        end(services, clock, i, org).await?;
    }
    Ok(())
}

/// `d` days after the partner's approval.
fn after(org: &Org, d: usize) -> Timestamp {
    org.created_at.plus(days(d))
}

fn fail(org: &Org, what: &str) -> String {
    format!("{what} for the demo partner {}", org.name)
}

/// The profile and a contact, filled in by the partner within its first week.
async fn profile(
    services: &Services,
    clock: &FakeClock,
    i: usize,
    org: &Org,
) -> anyhow::Result<()> {
    let system = Actor::System;
    let at = |d: usize| after(org, d);
    let fail = |what: &str| fail(org, what);
    // The profile, filled in by the partner within its first week.
    clock.set(at(1 + i % 5));
    let current = services
        .get_partner(&system, org.id)
        .await
        .map_err(service_error)?;
    let pick = |pool: &[&str], n: usize, k: usize| -> Vec<String> {
        (0..n)
            .map(|j| pool[(i * k + j * 3) % pool.len()].to_owned())
            .collect()
    };
    let patch = PartnerPatch {
        description: Some(format!(
            "{} helps {} customers run their business on modern cloud platforms, from \
             assessment and migration to managed operations.",
            org.name,
            ["mid-sized", "enterprise", "growing", "public-sector"][i % 4]
        )),
        employees: Some(Some(u32::try_from(12 + (i * 97) % 1900).unwrap_or(100))),
        founded_year: Some(Some(1995 + i32::try_from(i % 25).unwrap_or(0))),
        customers: Some(Some(u32::try_from(8 + (i * 37) % 400).unwrap_or(50))),
        industries: Some(pick(&INDUSTRIES, 1 + i % 3, 5)),
        technologies: Some(pick(&TECHNOLOGIES, 2 + i % 3, 3)),
        segments: Some(pick(&SEGMENTS, 1 + i % 2, 1)),
        listed: Some(!i.is_multiple_of(3)),
        ..PartnerPatch::default()
    };
    services
        .update_partner(&system, org.id, current.version, &patch)
        .await
        .map_err(service_error)
        .with_context(|| fail("filling in the profile"))?;
    services
        .create_contact(
            &system,
            org.id,
            &ContactInput {
                name: format!(
                    "{} Alliances",
                    org.name.split_whitespace().next().unwrap_or("Partner")
                ),
                email: format!("alliances@{}.example", org.slug),
                phone: format!("+1 555 01{:02}", i % 100),
                title: "Head of Alliances".into(),
                role: "primary".into(),
            },
        )
        .await
        .map_err(service_error)
        .with_context(|| fail("adding a contact"))?;
    Ok(())
}

/// Accepting the agreement and finishing the checklist; a first deal for most.
async fn onboard(
    services: &Services,
    clock: &FakeClock,
    i: usize,
    org: &Org,
    admins: &[(OrgId, UserId, String)],
) -> anyhow::Result<()> {
    let system = Actor::System;
    let at = |d: usize| after(org, d);
    let fail = |what: &str| fail(org, what);
    // Two partners are still onboarding: one has not accepted the agreement, one is waiting
    // for its kick-off call.
    let stalled = i % 16 == 5;
    let waiting = i % 16 == 7;
    if !stalled && let Some((_, user, email)) = admins.iter().find(|(o, _, _)| *o == org.id) {
        clock.set(at(3 + i % 7));
        let actor = partner_admin(org.id, *user, email);
        let status = services
            .agreement_status(&actor, org.id)
            .await
            .map_err(service_error)?
            .context("the demo agreement applies to every partner")?;
        services
            .accept_agreement(&actor, status.agreement.id)
            .await
            .map_err(service_error)
            .with_context(|| fail("accepting the agreement"))?;
    }
    if !stalled && !waiting {
        clock.set(at(6 + i % 17));
        let checklist = services
            .checklist(&system, org.id)
            .await
            .map_err(service_error)?;
        for t in checklist
            .tasks
            .iter()
            .filter(|t| t.status == "open" && t.required && t.kind.manual())
        {
            services
                .set_task_status(&system, t.id, "done")
                .await
                .map_err(service_error)
                .with_context(|| fail("ticking an onboarding task"))?;
        }
        if i % 4 != 3 {
            services
                .record_deal_registered(&system, org.id, at(12 + (i * 7) % 45))
                .await
                .map_err(service_error)
                .with_context(|| fail("recording the first deal"))?;
        }
    }
    Ok(())
}

/// One partner suspended and one terminated.
async fn end(services: &Services, clock: &FakeClock, i: usize, org: &Org) -> anyhow::Result<()> {
    let system = Actor::System;
    let at = |d: usize| after(org, d);
    let fail = |what: &str| fail(org, what);
    let ending = match i {
        13 => Some((
            PartnerStatus::Suspended,
            "Payment of the program fee is 60 days overdue",
        )),
        29 => Some((
            PartnerStatus::Terminated,
            "The partner left the program after its acquisition",
        )),
        _ => None,
    };
    if let Some((to, reason)) = ending {
        clock.set(at(90));
        let p = services
            .get_partner(&system, org.id)
            .await
            .map_err(service_error)?;
        services
            .set_partner_status(&system, org.id, p.version, to, reason)
            .await
            .map_err(service_error)
            .with_context(|| fail("changing the status"))?;
    }
    Ok(())
}

/// (company, partner type, country, region, industries, employees, contact e-mail).
type DemoApplication = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    u32,
    &'static str,
);

/// Applications waiting for review (and one already rejected), a few days old.
const APPLICATIONS: [DemoApplication; 6] = [
    (
        "Fjord Cloud AS",
        "msp",
        "NO",
        "emea",
        &["manufacturing", "energy"],
        85,
        "ingrid@fjordcloud.example",
    ),
    (
        "Andes Data Partners",
        "si",
        "CL",
        "latam",
        &["financial_services", "retail"],
        240,
        "mateo@andesdata.example",
    ),
    (
        "Sakura Integration KK",
        "si",
        "JP",
        "apj",
        &["manufacturing"],
        1200,
        "yui@sakura-int.example",
    ),
    (
        "Prairie Tech Resale",
        "reseller",
        "CA",
        "na",
        &["education"],
        18,
        "owen@prairietech.example",
    ),
    (
        "Solo Consulting",
        "influence",
        "GB",
        "emea",
        &[],
        3,
        "sam@soloconsult.example",
    ),
    (
        "Quick Bucks Ltd",
        "referral",
        "US",
        "na",
        &[],
        1,
        "deals@quickbucks.example",
    ),
];

pub(super) async fn applications(
    services: &Services,
    clock: &FakeClock,
    now: Timestamp,
) -> anyhow::Result<()> {
    for (k, (name, kind, country, region, industries, employees, email)) in
        APPLICATIONS.iter().enumerate()
    {
        clock.set(now.minus(days(6 - k)));
        let input = ApplicationInput {
            company_name: (*name).into(),
            website: Some(format!(
                "https://{}",
                email.split('@').nth(1).unwrap_or("example.com")
            )),
            country: Some((*country).into()),
            region: Some((*region).into()),
            partner_type: (*kind).into(),
            industries: industries.iter().map(|s| (*s).to_owned()).collect(),
            technologies: vec!["Microsoft Azure".into()],
            segments: vec!["mid_market".into()],
            regions_served: vec![(*region).into()],
            employees: Some(*employees),
            founded_year: Some(2010 + i32::try_from(k).unwrap_or(0)),
            customers: Some(employees * 2),
            description: format!(
                "{name} would like to resell and implement Lumen Cloud for its customers."
            ),
            contact_name: email.split('@').next().unwrap_or("Applicant").to_owned(),
            contact_email: (*email).into(),
            contact_phone: String::new(),
        };
        let client = ClientInfo {
            ip: Some(format!("198.51.100.{k}")),
            user_agent: None,
        };
        let app = services
            .submit_application(&input, &client)
            .await
            .map_err(service_error)
            .with_context(|| format!("submitting the demo application of {name}"))?;
        if *name == "Andes Data Partners" {
            clock.set(now.minus(days(1)));
            services
                .approve_application(
                    &Actor::System,
                    app.id,
                    app.version,
                    &trellis_service::partners::applications::Approval {
                        reason: Some("Strong fit in financial services".into()),
                        owner_id: None,
                    },
                )
                .await
                .map_err(service_error)
                .context("approving a demo application")?;
        }
        if *kind == "referral" {
            services
                .reject_application(
                    &Actor::System,
                    app.id,
                    app.version,
                    "Not a fit for the program: no customer base yet",
                    false,
                )
                .await
                .map_err(service_error)
                .context("rejecting a demo application")?;
        }
    }
    Ok(())
}

/// Tier stories worth seeing: a Gold partner whose revenue fell (in its grace period), and a
/// partner put on a higher tier by hand for a launch.
pub(super) async fn tier_stories(
    services: &Services,
    clock: &FakeClock,
    partners: &[Org],
    now: Timestamp,
) -> anyhow::Result<()> {
    use trellis_domain::partners::metrics::Metric;
    let system = Actor::System;
    clock.set(now.minus(days(10)));
    if let Some(org) = partners.iter().find(|o| o.tier.as_deref() == Some("gold")) {
        services
            .set_partner_metric(
                &system,
                org.id,
                Metric::SourcedRevenue,
                Some(18_000_000),
                "demo",
            )
            .await
            .map_err(service_error)
            .with_context(|| fail(org, "lowering the revenue"))?;
        services
            .evaluate_partner_tier(&system, org.id)
            .await
            .map_err(service_error)
            .with_context(|| fail(org, "evaluating the tier"))?;
    }
    if let Some(org) = partners
        .iter()
        .find(|o| o.tier.as_deref() == Some("silver"))
    {
        let p = services
            .get_partner(&system, org.id)
            .await
            .map_err(service_error)?;
        services
            .set_tier_override(
                &system,
                org.id,
                p.version,
                "gold",
                "Launch partner for the new analytics product",
                Some(now.plus(days(80))),
            )
            .await
            .map_err(service_error)
            .with_context(|| fail(org, "overriding the tier"))?;
    }
    Ok(())
}

/// A second version of the agreement, published three days ago: about half the partners have
/// accepted it again, the rest see the "what changed" notice in the portal.
pub(super) async fn agreement_update(
    services: &Services,
    clock: &FakeClock,
    admins: &[(OrgId, UserId, String)],
    now: Timestamp,
) -> anyhow::Result<()> {
    let system = Actor::System;
    clock.set(now.minus(days(3)));
    let current = services
        .list_agreements(&system)
        .await
        .map_err(service_error)?
        .into_iter()
        .find(|a| a.agreement.scope == "all")
        .context("the demo agreement exists")?
        .agreement;
    let v2 = services
        .publish_agreement(&system, "all", current.version, &AgreementInput {
            title: current.title.clone(),
            body: format!(
                "{}\n\n5. Data protection. Each party processes personal data shared through the \
                 program only to run the program.",
                current.body
            ),
            changes: "Section 5 (data protection) is new; nothing else changed.".into(),
        })
        .await
        .map_err(service_error)
        .context("publishing the second demo agreement")?;
    clock.set(now.minus(days(2)));
    for (i, (org, user, email)) in admins.iter().enumerate() {
        if !i.is_multiple_of(2) {
            continue;
        }
        let actor = partner_admin(*org, *user, email);
        let status = services
            .agreement_status(&actor, *org)
            .await
            .map_err(service_error)?;
        // Only partners that accepted the first version (not the stalled one) accept again.
        if status
            .as_ref()
            .and_then(|s| s.previously_accepted_version)
            .is_some()
        {
            services
                .accept_agreement(&actor, v2.id)
                .await
                .map_err(service_error)
                .context("accepting the second demo agreement")?;
        }
    }
    Ok(())
}
