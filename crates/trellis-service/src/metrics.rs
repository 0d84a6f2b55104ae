//! Ecosystem metrics (PRODUCT.md §4): partner-sourced and partner-influenced revenue, win
//! rates, deal size, cycle and pipeline velocity against direct selling, ROPI, CLTV and CAC by
//! channel; per partner, per partner type and tier; with the deals behind every figure.
//!
//! - [`refresh`]: the facts dashboards read, rebuilt whole from opportunities, touchpoints and
//!   exchange rates (hourly, on demand, and by the demo).
//! - [`dashboard`]: the figures of a period and segment, program-wide or of one partner.
//! - [`costs`]: what the program spends (MDF, incentives, enablement, tech; program-wide and
//!   direct costs), entered, imported or removed; ROPI and CAC divide by them.
//!
//! The definitions are in `trellis_domain::metrics`.
//!
//! Who: vendor users with `attribution:read` see every figure; `attribution:write` refreshes;
//! `costs:write` keeps the costs. A partner user sees its own organisation's figures.

mod adoption;
mod costs;
mod dashboard;
mod refresh;

pub use adoption::{Adoption, AdoptionMonth};
pub use costs::{Cost, CostImport, CostInput, CostQuery};
pub use dashboard::{
    CategoryCost, ChannelEconomics, CostFigures, Dashboard, DealLine, Drill, GroupFigures,
    MonthFigures, OriginFigures, PartnerDashboard, PartnerFigures,
};
pub use refresh::Refresh;
pub(crate) use refresh::refresh_soon;

use trellis_domain::metrics::SIZE_BANDS;
use trellis_domain::{FieldErrors, OrgId, PartnerType, Permission, Timestamp};
use trellis_store::metrics::figures::{FactFilter, MonthSplit};

use crate::{Actor, Error, Result};

/// The vendor's figures: a partner asking, even with the permission, finds nothing.
fn readable(actor: &Actor) -> Result<()> {
    actor.require(Permission::AttributionRead)?;
    if actor.is_vendor_side() {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Which deals a figure counts: a day range and optional segments, as people pick them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsQuery {
    /// First day, `YYYY-MM-DD`; the first day of the month eleven months back when empty.
    pub from: String,
    /// Last day, `YYYY-MM-DD`; today when empty.
    pub to: String,
    /// The account's industry, as the CRM writes it.
    pub industry: String,
    /// The account's country (ISO code).
    pub country: String,
    /// The account's size band (one of `trellis_domain::metrics::SIZE_BANDS`).
    pub size_band: String,
    /// The (lead) partner's type.
    pub partner_type: String,
    /// The (lead) partner's tier key.
    pub tier: String,
}

/// A checked [`MetricsQuery`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// First day counted.
    pub from: String,
    /// Last day counted.
    pub to: String,
    /// Industry filter.
    pub industry: Option<String>,
    /// Country filter.
    pub country: Option<String>,
    /// Size band filter.
    pub size_band: Option<String>,
    /// Partner type filter.
    pub partner_type: Option<String>,
    /// Tier filter.
    pub tier: Option<String>,
}

impl Period {
    /// True when an account or partner segment narrows the deals (costs are not segmented,
    /// so ROPI and CAC are only shown without one).
    pub fn segmented(&self) -> bool {
        self.industry.is_some()
            || self.country.is_some()
            || self.size_band.is_some()
            || self.partner_type.is_some()
            || self.tier.is_some()
    }

    pub(crate) fn facts(&self, org: Option<OrgId>) -> FactFilter {
        FactFilter {
            from: self.from.clone(),
            to: self.to.clone(),
            industry: self.industry.clone(),
            country: self.country.clone(),
            size_band: self.size_band.clone(),
            partner_type: self.partner_type.clone(),
            tier: self.tier.clone(),
            org_id: org.map(OrgId::as_uuid),
            months: month_split(&self.from, &self.to),
        }
    }
}

/// The whole months inside `from..=to` and the days around them; `None` when no month is
/// whole.
fn month_split(from: &str, to: &str) -> Option<MonthSplit> {
    let first = month_number(from)?;
    // The day after the last, so that every range is half-open.
    let end = Timestamp::from_date(to)?
        .plus(std::time::Duration::from_hours(24))
        .date();
    let end_month = month_number(&end)?;
    let start_of = |m: i32| format!("{}-01", month_text(m));
    let first_whole = if from.ends_with("-01") {
        first
    } else {
        first + 1
    };
    let last_whole = end_month - 1;
    if first_whole > last_whole {
        return None;
    }
    let mut days = Vec::new();
    if from < start_of(first_whole).as_str() {
        days.push((from.to_owned(), start_of(first_whole)));
    }
    if start_of(end_month) < end {
        days.push((start_of(end_month), end));
    }
    Some(MonthSplit {
        months: (month_text(first_whole), month_text(last_whole)),
        days,
    })
}

/// The longest period, in days: ten years.
const MAX_DAYS: i64 = 3_660;

impl MetricsQuery {
    /// Checks the query: every bad field named, defaults filled in.
    pub fn check(&self, today: Timestamp) -> Result<Period> {
        let mut e = FieldErrors::new();
        let day = |e: &mut FieldErrors, field: &str, text: &str| -> Option<Timestamp> {
            let t = Timestamp::from_date(text.trim());
            if t.is_none() {
                e.add(field, "must be a date such as 2026-01-31");
            }
            t
        };
        let to = if self.to.trim().is_empty() {
            Some(today)
        } else {
            day(&mut e, "to", &self.to)
        };
        let from = if self.from.trim().is_empty() {
            to.map(year_before)
        } else {
            day(&mut e, "from", &self.from)
        };
        if let (Some(f), Some(t)) = (from, to) {
            if f.millis() > t.millis() {
                e.add("from", "must not be after the last day");
            } else if (t.millis() - f.millis()) / 86_400_000 > MAX_DAYS {
                e.add("to", "a period is at most ten years");
            }
        }
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let size_band = text(&self.size_band);
        if size_band
            .as_deref()
            .is_some_and(|b| !SIZE_BANDS.contains(&b))
        {
            e.add(
                "size_band",
                format!("must be one of {}", SIZE_BANDS.join(", ")),
            );
        }
        let partner_type = text(&self.partner_type);
        if let Some(t) = &partner_type
            && let Err(msg) = t.parse::<PartnerType>()
        {
            e.add("partner_type", msg);
        }
        e.into_result()?;
        let (Some(from), Some(to)) = (from, to) else {
            return Err(Error::Internal(anyhow::anyhow!("checked dates missing")));
        };
        Ok(Period {
            from: from.date(),
            to: to.date(),
            industry: text(&self.industry),
            country: text(&self.country).map(|c| c.to_ascii_uppercase()),
            size_band,
            partner_type,
            tier: text(&self.tier),
        })
    }
}

/// The first day of the month eleven months before `t`'s: with `t`'s month, a year.
fn year_before(t: Timestamp) -> Timestamp {
    month_number(&t.date())
        .and_then(|m| Timestamp::from_date(&format!("{}-01", month_text(m - 11))))
        .unwrap_or(t)
}

/// Months since year 0 of a `YYYY-MM…` date, for month arithmetic.
fn month_number(date: &str) -> Option<i32> {
    Some(date.get(..4)?.parse::<i32>().ok()? * 12 + date.get(5..7)?.parse::<i32>().ok()? - 1)
}

/// `YYYY-MM` of a [`month_number`].
fn month_text(n: i32) -> String {
    format!("{:04}-{:02}", n / 12, n % 12 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_splits_into_whole_months_and_the_days_around_them() {
        let split = |f: &str, t: &str| {
            month_split(f, t).map(|s| {
                let days: Vec<String> = s.days.iter().map(|(a, b)| format!("{a}..{b}")).collect();
                (s.months.0, s.months.1, days)
            })
        };
        assert_eq!(
            split("2025-12-01", "2026-11-25"),
            Some((
                "2025-12".into(),
                "2026-10".into(),
                vec!["2026-11-01..2026-11-26".into()]
            ))
        );
        assert_eq!(
            split("2026-01-15", "2026-03-31"),
            Some((
                "2026-02".into(),
                "2026-03".into(),
                vec!["2026-01-15..2026-02-01".into()]
            ))
        );
        assert_eq!(
            split("2025-12-31", "2026-01-31"),
            Some((
                "2026-01".into(),
                "2026-01".into(),
                vec!["2025-12-31..2026-01-01".into()]
            ))
        );
        assert_eq!(split("2026-01-10", "2026-01-20"), None);
        assert_eq!(split("2026-01-10", "2026-02-20"), None);
    }

    fn today() -> Timestamp {
        Timestamp::from_date("2026-11-25").unwrap()
    }

    #[test]
    fn an_empty_query_is_the_last_twelve_months() {
        let p = MetricsQuery::default().check(today()).unwrap();
        assert_eq!(
            (p.from.as_str(), p.to.as_str()),
            ("2025-12-01", "2026-11-25")
        );
        assert!(!p.segmented());
        let jan = Timestamp::from_date("2026-01-15").unwrap();
        let p = MetricsQuery::default().check(jan).unwrap();
        assert_eq!(p.from, "2025-02-01");
    }

    #[test]
    fn bad_fields_are_named() {
        let q = MetricsQuery {
            from: "2026-13-01".into(),
            size_band: "huge".into(),
            partner_type: "pirate".into(),
            ..MetricsQuery::default()
        };
        let fields: Vec<String> = match q.check(today()) {
            Err(Error::Validation(e)) => e.iter().map(|f| f.field.clone()).collect(),
            other => vec![format!("{other:?}")],
        };
        assert_eq!(fields, ["from", "size_band", "partner_type"]);
        let backwards = MetricsQuery {
            from: "2026-05-01".into(),
            to: "2026-04-01".into(),
            ..MetricsQuery::default()
        };
        assert!(backwards.check(today()).is_err());
    }

    #[test]
    fn segments_are_trimmed_and_countries_upper_cased() {
        let q = MetricsQuery {
            country: " de ".into(),
            industry: "Retail".into(),
            ..MetricsQuery::default()
        };
        let p = q.check(today()).unwrap();
        assert_eq!(p.country.as_deref(), Some("DE"));
        assert_eq!(p.industry.as_deref(), Some("Retail"));
        assert!(p.segmented());
    }
}
