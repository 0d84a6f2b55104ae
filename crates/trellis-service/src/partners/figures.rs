//! Program figures: partners by status, how long onboarding takes (approval to activation)
//! and how long until a partner's first deal.

use serde::Serialize;
use trellis_domain::partners::profile::PartnerStatus;
use trellis_store::partners::profiles as store;

use super::ipp::require_vendor_reader;
use crate::{Actor, Result, Services};

/// Summary statistics of a duration in days.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DayStats {
    /// Partners measured.
    pub count: usize,
    /// Median days.
    pub median: Option<f64>,
    /// Mean days.
    pub mean: Option<f64>,
    /// 90th percentile (nearest rank).
    pub p90: Option<f64>,
}

impl DayStats {
    /// Statistics of `days`.
    pub fn of(mut days: Vec<f64>) -> Self {
        if days.is_empty() {
            return Self::default();
        }
        days.sort_by(f64::total_cmp);
        let n = days.len();
        let median = if n % 2 == 1 {
            days[n / 2]
        } else {
            f64::midpoint(days[n / 2 - 1], days[n / 2])
        };
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rank = ((0.9 * n as f64).ceil() as usize).clamp(1, n);
        #[allow(clippy::cast_precision_loss)]
        let mean = days.iter().sum::<f64>() / n as f64;
        Self {
            count: n,
            median: Some(median),
            mean: Some(mean),
            p90: Some(days[rank - 1]),
        }
    }
}

/// The lifecycle figures of the program.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramFigures {
    /// Partners per status, in status order.
    pub by_status: Vec<(PartnerStatus, i64)>,
    /// Approval to activation.
    pub time_to_activation: DayStats,
    /// Approval to first registered deal.
    pub time_to_first_deal: DayStats,
    /// Partners still onboarding.
    pub onboarding: i64,
    /// Open onboarding tasks past their due date.
    pub overdue_tasks: i64,
}

#[allow(clippy::cast_precision_loss)]
fn days(from: i64, to: i64) -> f64 {
    (to - from).max(0) as f64 / 86_400_000.0
}

impl Services {
    /// The program's lifecycle figures, for vendor users.
    pub async fn program_figures(&self, actor: &Actor) -> Result<ProgramFigures> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        let rows = store::lifecycle_dates(&mut c.exec()).await?;
        let overdue_tasks = store::overdue_task_count(&mut c.exec(), self.now().millis()).await?;
        let count = |s: PartnerStatus| {
            i64::try_from(rows.iter().filter(|r| r.0 == s.as_str()).count()).unwrap_or(i64::MAX)
        };
        Ok(ProgramFigures {
            by_status: PartnerStatus::ALL.iter().map(|s| (*s, count(*s))).collect(),
            time_to_activation: DayStats::of(
                rows.iter().filter_map(|r| Some(days(r.1?, r.2?))).collect(),
            ),
            time_to_first_deal: DayStats::of(
                rows.iter().filter_map(|r| Some(days(r.1?, r.3?))).collect(),
            ),
            onboarding: count(PartnerStatus::Onboarding),
            overdue_tasks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_stats_use_the_middle_and_the_nearest_rank() {
        let s = DayStats::of(vec![10.0, 2.0, 4.0, 8.0]);
        assert_eq!(s.count, 4);
        assert_eq!(s.median, Some(6.0));
        assert_eq!(s.mean, Some(6.0));
        assert_eq!(s.p90, Some(10.0));
        assert_eq!(DayStats::of(vec![3.0]).median, Some(3.0));
        assert_eq!(DayStats::of(vec![]).median, None);
    }
}
