//! The comp-credit report: per rep (the opportunity's owner), the partner-involved
//! opportunities closing in a date range, with the partners and their roles, and the credit
//! at the rates asked for (see [`trellis_domain::cosell::credit`] for how it is computed).
//!
//! Readable by vendor admins, channel managers, finance and sales reps; a sales rep sees
//! only the opportunities they own.

use time::Date;
use time::macros::format_description;
use trellis_domain::cosell::credit::{self, CurrencyTotal, PartnerRole, Rates};
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::{
    AccountId, Currency, DealRegistrationId, FieldErrors, Money, OpportunityId, OrgId, Permission,
    Role, Timestamp, UserId,
};
use trellis_store::cosell::credit::{self as store, InvolvedRow};

use crate::platform::parse_stored;
use crate::{Actor, Error, Result, Services};

/// What the report covers. Blank dates mean the current calendar quarter; blank rates 100 %.
#[derive(Clone, Debug, Default)]
pub struct CompCreditQuery {
    /// First close date, `YYYY-MM-DD`.
    pub from: String,
    /// Last close date, `YYYY-MM-DD`.
    pub to: String,
    /// Credit rate on partner-sourced opportunities, in percent (`100`, `12.5`).
    pub sourced_rate: String,
    /// Credit rate on co-sold opportunities, in percent.
    pub co_sell_rate: String,
    /// Credit rate on partner-influenced opportunities, in percent.
    pub influence_rate: String,
}

/// The report.
#[derive(Clone, Debug)]
pub struct CompCreditReport {
    /// First close date covered.
    pub from: String,
    /// Last close date covered.
    pub to: String,
    /// The rates applied.
    pub rates: Rates,
    /// Only the reader's own opportunities (a sales rep).
    pub own_only: bool,
    /// Each rep's lines and totals, by name.
    pub reps: Vec<RepCredit>,
}

/// One rep's part of the report.
#[derive(Clone, Debug)]
pub struct RepCredit {
    /// The rep, when the opportunities' owner is a vendor user.
    pub owner_id: Option<UserId>,
    /// Their name (as the CRM wrote it when not a user; empty when no one owns them).
    pub owner_name: String,
    /// Their opportunities, by close date.
    pub lines: Vec<CreditLine>,
    /// Figures per currency: nothing is converted.
    pub totals: Vec<CurrencyTotal>,
}

/// One partner-involved opportunity and its credit.
#[derive(Clone, Debug)]
pub struct CreditLine {
    /// The opportunity.
    pub opportunity_id: OpportunityId,
    /// Its name.
    pub opportunity_name: String,
    /// Its account.
    pub account_id: Option<AccountId>,
    /// The account's name.
    pub account_name: Option<String>,
    /// Close date, `YYYY-MM-DD`.
    pub close_date: String,
    /// Open, won or lost.
    pub status: OpportunityStatus,
    /// Amount, in its currency.
    pub amount: Money,
    /// The partners on it.
    pub partners: Vec<LinePartner>,
    /// The role whose rate applied.
    pub role: PartnerRole,
    /// That rate, in basis points.
    pub rate: u32,
    /// The credit (zero when lost).
    pub credit: Money,
}

/// A partner on a line.
#[derive(Clone, Debug)]
pub struct LinePartner {
    /// The partner.
    pub partner_id: OrgId,
    /// Its name.
    pub partner_name: String,
    /// How it is on the opportunity.
    pub role: PartnerRole,
    /// The registration it came from (sourced).
    pub registration_id: Option<DealRegistrationId>,
}

impl Services {
    /// The comp-credit report for a close-date range at the given rates.
    pub async fn comp_credit(
        &self,
        actor: &Actor,
        q: &CompCreditQuery,
    ) -> Result<CompCreditReport> {
        actor.require(Permission::CompCreditRead)?;
        if !actor.is_vendor_side() {
            return Err(Error::Forbidden);
        }
        let mut e = FieldErrors::new();
        let dates = range(&mut e, q, self.now());
        let rates = Rates::read(&q.sourced_rate, &q.co_sell_rate, &q.influence_rate)
            .map_err(|bad| {
                for f in bad.iter() {
                    e.add(f.field.clone(), f.message.clone());
                }
            })
            .ok();
        e.into_result()?;
        let (Some((from, to)), Some(rates)) = (dates, rates) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "checked input without a value"
            )));
        };
        let own = actor
            .user()
            .filter(|u| u.role == Role::SalesRep)
            .map(|u| u.user_id);
        let mut c = self.db().read().await?;
        let rows = store::involved(&mut c.exec(), &from, &to, own.map(UserId::as_uuid)).await?;
        Ok(CompCreditReport {
            reps: report(rows, &rates)?,
            from,
            to,
            rates,
            own_only: own.is_some(),
        })
    }
}

/// The dates asked for, or the calendar quarter of `now`; problems go to `e`.
fn range(e: &mut FieldErrors, q: &CompCreditQuery, now: Timestamp) -> Option<(String, String)> {
    let format = format_description!("[year]-[month]-[day]");
    let (default_from, default_to) = quarter_of(&now.date());
    let mut read = |field: &str, raw: &str, default: String| {
        let raw = raw.trim();
        if raw.is_empty() {
            return Some(default);
        }
        if let Ok(d) = Date::parse(raw, &format) {
            Some(d.to_string())
        } else {
            e.add(field, "must be a date like 2026-12-31");
            None
        }
    };
    let from = read("from", &q.from, default_from);
    let to = read("to", &q.to, default_to);
    let (from, to) = (from?, to?);
    if to < from {
        e.add("to", "must not be before from");
        return None;
    }
    Some((from, to))
}

/// The first and last day of the calendar quarter of a `YYYY-MM-DD` date.
fn quarter_of(date: &str) -> (String, String) {
    let year = date.get(..4).unwrap_or("1970");
    let month: u8 = date.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let (first, last) = match month {
        1..=3 => ("01-01", "03-31"),
        4..=6 => ("04-01", "06-30"),
        7..=9 => ("07-01", "09-30"),
        _ => ("10-01", "12-31"),
    };
    (format!("{year}-{first}"), format!("{year}-{last}"))
}

/// Groups the rows (ordered by owner, then opportunity) into reps and their lines.
fn report(rows: Vec<InvolvedRow>, rates: &Rates) -> Result<Vec<RepCredit>> {
    let mut reps: Vec<RepCredit> = Vec::new();
    let mut lines: Vec<(Option<uuid::Uuid>, String, CreditLine)> = Vec::new();
    for r in rows {
        let partner = LinePartner {
            partner_id: OrgId::from_uuid(r.org_id),
            partner_name: r.org_name,
            role: parse_stored("role", &r.role)?,
            registration_id: r.registration_id.map(DealRegistrationId::from_uuid),
        };
        if let Some((_, _, line)) = lines.last_mut()
            && line.opportunity_id.as_uuid() == r.opportunity_id
        {
            line.partners.push(partner);
            continue;
        }
        let currency: Currency = parse_stored("currency", &r.currency)?;
        let line = CreditLine {
            opportunity_id: OpportunityId::from_uuid(r.opportunity_id),
            opportunity_name: r.opportunity_name,
            account_id: r.account_id.map(AccountId::from_uuid),
            account_name: r.account_name,
            close_date: r.close_date,
            status: parse_stored("status", &r.status)?,
            amount: Money::new(r.amount_minor, currency),
            partners: vec![partner],
            role: PartnerRole::Sourced,
            rate: 0,
            credit: Money::new(0, currency),
        };
        lines.push((r.owner_id, r.owner_name, line));
    }
    for (owner_id, owner_name, mut line) in lines {
        let roles: Vec<PartnerRole> = line.partners.iter().map(|p| p.role).collect();
        if let Some(c) = rates.credit_of(line.status, line.amount, &roles) {
            (line.role, line.rate, line.credit) = (c.role, c.rate, c.amount);
        }
        match reps.last_mut() {
            Some(rep)
                if rep.owner_id.map(UserId::as_uuid) == owner_id
                    && rep.owner_name == owner_name =>
            {
                rep.lines.push(line);
            }
            _ => reps.push(RepCredit {
                owner_id: owner_id.map(UserId::from_uuid),
                owner_name,
                lines: vec![line],
                totals: Vec::new(),
            }),
        }
    }
    for rep in &mut reps {
        rep.totals = credit::totals(rep.lines.iter().map(|l| (l.status, l.amount, l.credit)));
    }
    Ok(reps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_dates_mean_the_current_quarter_and_bad_ones_are_named() {
        assert_eq!(
            quarter_of("2026-11-24"),
            ("2026-10-01".to_owned(), "2026-12-31".to_owned())
        );
        assert_eq!(
            quarter_of("2026-02-01"),
            ("2026-01-01".to_owned(), "2026-03-31".to_owned())
        );
        let now = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01
        let q = CompCreditQuery::default();
        let mut e = FieldErrors::new();
        assert_eq!(
            range(&mut e, &q, now),
            Some(("2026-01-01".to_owned(), "2026-03-31".to_owned()))
        );
        let bad = CompCreditQuery {
            from: "31/12/2026".into(),
            ..q.clone()
        };
        assert_eq!(range(&mut e, &bad, now), None);
        assert_eq!(e.for_field("from"), Some("must be a date like 2026-12-31"));
        let backwards = CompCreditQuery {
            from: "2026-06-30".into(),
            to: "2026-06-01".into(),
            ..q
        };
        let mut e = FieldErrors::new();
        assert_eq!(range(&mut e, &backwards, now), None);
        assert_eq!(e.for_field("to"), Some("must not be before from"));
    }
}
