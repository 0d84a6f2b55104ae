//! The catalogue of partner metrics the tier engine reads, with their units and measurement
//! windows, and the formatting explanations use to name figures.
//!
//! Computing the figures (summing deals, counting certifications) is the service's job; this
//! module only says what each metric means.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::orgs::string_enum;

string_enum!(
    /// A measurable fact about a partner that tier requirements can refer to.
    #[derive(PartialOrd, Ord)]
    Metric {
        /// Revenue of won deals the partner sourced (registered or referred).
        SourcedRevenue = "sourced_revenue" / "Sourced revenue",
        /// Revenue of won deals the partner took part in without sourcing them.
        InfluencedRevenue = "influenced_revenue" / "Influenced revenue",
        /// Deals won.
        WonDeals = "won_deals" / "Won deals",
        /// Deals registered, whatever their outcome.
        RegisteredDeals = "registered_deals" / "Registered deals",
        /// People holding a current certification.
        CertifiedPeople = "certified_people" / "Certified people",
        /// Partner users who signed in recently.
        ActiveUsers = "active_users" / "Active users",
        /// Partner satisfaction survey score.
        Psat = "psat" / "PSAT",
        /// The partner's current Ideal Partner Profile fit score.
        FitScore = "fit_score" / "Fit score",
        /// Whole months since the partner was activated.
        MonthsInProgram = "months_in_program" / "Months in program",
    }
);

/// What a metric's number counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MetricUnit {
    /// Minor units (cents) of the deployment's reporting currency.
    Money,
    /// A plain count.
    Count,
    /// A score from 0 to 100.
    Score,
    /// Whole months.
    Months,
}

impl MetricUnit {
    /// The largest meaningful value, when the unit has one; a requirement above it could never
    /// be met.
    pub fn max(self) -> Option<i64> {
        match self {
            MetricUnit::Score => Some(100),
            MetricUnit::Money | MetricUnit::Count | MetricUnit::Months => None,
        }
    }
}

impl Metric {
    /// The metric's unit.
    pub fn unit(self) -> MetricUnit {
        match self {
            Metric::SourcedRevenue | Metric::InfluencedRevenue => MetricUnit::Money,
            Metric::WonDeals
            | Metric::RegisteredDeals
            | Metric::CertifiedPeople
            | Metric::ActiveUsers => MetricUnit::Count,
            Metric::Psat | Metric::FitScore => MetricUnit::Score,
            Metric::MonthsInProgram => MetricUnit::Months,
        }
    }

    /// The period the figure covers, for pages and explanations. Revenue and deals are
    /// trailing so that a tier reflects recent performance, not a lifetime total.
    pub fn window(self) -> &'static str {
        match self {
            Metric::SourcedRevenue
            | Metric::InfluencedRevenue
            | Metric::WonDeals
            | Metric::RegisteredDeals
            | Metric::Psat => "trailing 12 months",
            Metric::ActiveUsers => "last 90 days",
            Metric::CertifiedPeople | Metric::FitScore => "now",
            Metric::MonthsInProgram => "since activation",
        }
    }

    /// The label as it reads inside a sentence ("sourced revenue", but "PSAT").
    pub(crate) fn phrase(self) -> String {
        let label = self.label();
        let first_word = label.split(' ').next().unwrap_or(label);
        if first_word.len() > 1 && first_word.chars().all(|c| c.is_ascii_uppercase()) {
            label.to_owned()
        } else {
            label.to_lowercase()
        }
    }
}

/// One partner's metric figures. A metric that is absent has no data, which is not the same as
/// zero: the tier engine treats it as an unmet requirement and says so.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Metrics(BTreeMap<Metric, i64>);

impl Metrics {
    /// No data at all.
    pub fn new() -> Self {
        Self::default()
    }

    /// The figure for `metric`, if there is data.
    pub fn get(&self, metric: Metric) -> Option<i64> {
        self.0.get(&metric).copied()
    }

    /// Records the figure for `metric`.
    pub fn set(&mut self, metric: Metric, value: i64) {
        self.0.insert(metric, value);
    }

    /// Forgets the figure for `metric`.
    pub fn remove(&mut self, metric: Metric) {
        self.0.remove(&metric);
    }

    /// Every figure, in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, i64)> + '_ {
        self.0.iter().map(|(m, v)| (*m, *v))
    }
}

impl FromIterator<(Metric, i64)> for Metrics {
    fn from_iter<I: IntoIterator<Item = (Metric, i64)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Formats a figure for explanations: `EUR 12,500.00`, `12`, `87/100`, `14 months`. Money
/// assumes two decimal places, true of every currency the program reports in.
pub fn format_value(metric: Metric, value: i64, currency: &str) -> String {
    let magnitude = crate::text::group_thousands(value.unsigned_abs());
    let sign = if value < 0 { "-" } else { "" };
    match metric.unit() {
        MetricUnit::Money => {
            let minor = value.unsigned_abs();
            let major = crate::text::group_thousands(minor / 100);
            format!("{currency} {sign}{major}.{:02}", minor % 100)
        }
        MetricUnit::Count => format!("{sign}{magnitude}"),
        MetricUnit::Score => format!("{value}/100"),
        MetricUnit::Months if value == 1 => "1 month".to_owned(),
        MetricUnit::Months => format!("{sign}{magnitude} months"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_unit_a_window_and_a_phrase() {
        for m in Metric::ALL {
            assert!(!m.window().is_empty());
            assert_eq!(m.as_str().parse::<Metric>().unwrap(), *m);
            let _ = m.unit();
        }
        assert_eq!(Metric::SourcedRevenue.unit(), MetricUnit::Money);
        assert_eq!(Metric::SourcedRevenue.window(), "trailing 12 months");
        assert_eq!(Metric::CertifiedPeople.window(), "now");
        assert_eq!(Metric::Psat.unit().max(), Some(100));
        assert_eq!(Metric::SourcedRevenue.phrase(), "sourced revenue");
        assert_eq!(Metric::Psat.phrase(), "PSAT");
    }

    #[test]
    fn values_format_by_unit() {
        let f = |m, v| format_value(m, v, "EUR");
        assert_eq!(f(Metric::SourcedRevenue, 1_250_000), "EUR 12,500.00");
        assert_eq!(
            f(Metric::SourcedRevenue, 12_500_000_005),
            "EUR 125,000,000.05"
        );
        assert_eq!(f(Metric::InfluencedRevenue, 7), "EUR 0.07");
        assert_eq!(f(Metric::InfluencedRevenue, -150), "EUR -1.50");
        assert_eq!(
            f(Metric::InfluencedRevenue, i64::MIN),
            "EUR -92,233,720,368,547,758.08"
        );
        assert_eq!(f(Metric::WonDeals, 12), "12");
        assert_eq!(f(Metric::ActiveUsers, 1_200), "1,200");
        assert_eq!(f(Metric::Psat, 87), "87/100");
        assert_eq!(f(Metric::MonthsInProgram, 14), "14 months");
        assert_eq!(f(Metric::MonthsInProgram, 1), "1 month");
    }

    #[test]
    fn a_missing_metric_is_not_zero() {
        let mut m: Metrics = [(Metric::WonDeals, 0)].into_iter().collect();
        assert_eq!(m.get(Metric::WonDeals), Some(0));
        assert_eq!(m.get(Metric::Psat), None);
        m.set(Metric::Psat, 80);
        m.remove(Metric::WonDeals);
        assert_eq!(m.iter().collect::<Vec<_>>(), vec![(Metric::Psat, 80)]);
    }
}
