//! The CRM's Salesforce exports as of a day (accounts, contacts, opportunities as Salesforce
//! writes them, websites as people typed them), and their import through the same path as
//! `trellis import`.

use anyhow::Context as _;
use trellis_domain::Timestamp;
use trellis_service::crm::import::ImportStatus;
use trellis_service::crm::{ImportKind, ImportOptions};
use trellis_service::{Actor, Services};

use super::{INDUSTRIES, Plan, SALESFORCE, day};
use crate::cli::admin::service_error;

impl Plan {
    /// The accounts export as of `at` days ago.
    pub(in crate::demo::pipeline) fn accounts_csv(&self, at: i64) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "Account ID",
            "Account Name",
            "Type",
            "Industry",
            "Website",
            "Billing City",
            "Billing Country",
            "Employees",
            "Phone",
            "Account Owner",
            "Account Source",
        ])?;
        for (i, a) in self.accounts.iter().enumerate() {
            if a.created < at {
                continue;
            }
            let c = &a.company;
            let kind = match (self.customer_at(i, at), a.channel) {
                (true, true) => "Customer - Channel",
                (true, false) => "Customer - Direct",
                (false, _) => "Prospect",
            };
            // CRM exports hold websites as people typed them.
            let website = match i % 4 {
                0 => format!("https://www.{}", c.domain),
                1 => format!("www.{}", c.domain),
                2 => c.domain.clone(),
                _ => format!("http://{}/", c.domain),
            };
            w.write_record([
                a.id.as_str(),
                &c.name,
                kind,
                INDUSTRIES[c.industry],
                &website,
                c.city,
                c.country.name,
                &a.employees.to_string(),
                &format!(
                    "{} {:03} {:04}",
                    c.country.dial,
                    200 + i % 700,
                    1000 + i * 13 % 9000
                ),
                a.owner,
                a.source,
            ])?;
        }
        w.into_inner().context("writing the demo accounts export")
    }

    /// The contacts export as of `at` days ago.
    fn contacts_csv(&self, at: i64) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "Contact ID",
            "Account ID",
            "First Name",
            "Last Name",
            "Title",
            "Email",
            "Phone",
            "Contact Owner",
        ])?;
        for c in &self.contacts {
            let a = &self.accounts[c.account];
            if a.created < at {
                continue;
            }
            w.write_record([
                c.id.as_str(),
                &a.id,
                c.first,
                c.last,
                c.title,
                &c.email,
                &c.phone,
                a.owner,
            ])?;
        }
        w.into_inner().context("writing the demo contacts export")
    }

    /// The opportunities export as of `at` days ago (`latest`: the newest export).
    fn opportunities_csv(&self, now: Timestamp, at: i64, latest: bool) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "Opportunity ID",
            "Account ID",
            "Opportunity Name",
            "Stage",
            "Amount",
            "Opportunity Currency",
            "Close Date",
            "Created Date",
            "Probability (%)",
            "Opportunity Owner",
            "Next Step",
            "Last Activity",
            "Type",
        ])?;
        for o in &self.opportunities {
            if o.created < at {
                continue;
            }
            let (stage, probability, next_step) = o.stage_at(at);
            w.write_record([
                o.id.as_str(),
                &self.accounts[o.account].id,
                &o.name,
                stage,
                &format!("{}.{:02}", o.amount_minor / 100, o.amount_minor % 100),
                o.currency,
                &day(now, o.closes),
                &day(now, o.created),
                &probability.to_string(),
                o.owner,
                next_step,
                &day(now, o.last_activity_at(at, latest)),
                o.kind,
            ])?;
        }
        w.into_inner()
            .context("writing the demo opportunities export")
    }

    /// Imports the exports as of `at` days ago (the clock must say so), as `actor`.
    pub(in crate::demo::pipeline) async fn import(
        &self,
        services: &Services,
        actor: &Actor,
        now: Timestamp,
        at: i64,
        latest: bool,
    ) -> anyhow::Result<()> {
        let files = [
            (ImportKind::Accounts, self.accounts_csv(at)?),
            (ImportKind::Contacts, self.contacts_csv(at)?),
            (
                ImportKind::Opportunities,
                self.opportunities_csv(now, at, latest)?,
            ),
        ];
        for (kind, bytes) in files {
            let options = ImportOptions {
                file_name: format!("salesforce-{kind}-{}.csv", day(now, at)),
                source_system: Some(SALESFORCE.into()),
                ..ImportOptions::default()
            };
            let done = services
                .import_csv(actor, kind, &bytes, &options, &|_| {})
                .await
                .map_err(service_error)
                .with_context(|| format!("importing the demo {kind}"))?;
            let report = &done.report;
            if done.status != ImportStatus::Succeeded
                || report.errors_total + report.warnings_total > 0
            {
                anyhow::bail!(
                    "the demo {kind} import found problems: {:?}",
                    report.errors.iter().chain(&report.warnings).next()
                );
            }
        }
        Ok(())
    }
}
