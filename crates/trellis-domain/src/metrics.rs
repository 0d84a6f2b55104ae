//! Ecosystem metrics (PRODUCT.md §4): what partners bring in, what they cost, and how the
//! partner channel compares with direct selling.
//!
//! Pure: how a deal's touches make it partner-sourced, partner-influenced or direct; the
//! funnel figures of a set of deals (win rate, deal size, cycle, pipeline velocity); ROPI and
//! CLTV/CAC as ratios; the kinds of cost. The service counts the deals and the costs.
//!
//! Definitions, as the dashboards state them:
//! - A deal is **partner-sourced** when a partner sourced or referred it, **partner-influenced**
//!   when partners touched it otherwise, and **direct** when no partner touched it (a channel
//!   such as a marketplace or a campaign alone leaves a deal direct).
//! - **Win rate** is won ÷ (won + lost) among deals closed in the period.
//! - **Deal size** is the average won amount; **cycle** the average days from opening to close
//!   of the won deals.
//! - **Pipeline velocity** is opportunities opened × win rate × deal size ÷ cycle: revenue a
//!   day the channel's pipeline is worth.
//! - **ROPI** (return on partner investment) is partner-attributed revenue ÷ partner costs.
//! - **CLTV** is the average lifetime won revenue of the customers a channel acquired (their
//!   first won deal came through it); **CAC** is the channel's costs ÷ customers acquired.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::attribution::TouchpointKind;
use crate::orgs::string_enum;

string_enum!(
    /// How a deal came about, from its partner touches.
    #[derive(PartialOrd, Ord)]
    Origin {
        /// A partner sourced or referred it.
        Sourced = "sourced" / "Partner-sourced",
        /// Partners touched it without sourcing it.
        Influenced = "influenced" / "Partner-influenced",
        /// No partner touched it.
        Direct = "direct" / "Direct",
    }
);

impl Origin {
    /// The origin of a deal whose partner touches are of `kinds` (channel touches excluded).
    pub fn of(kinds: impl IntoIterator<Item = TouchpointKind>) -> Self {
        let mut out = Origin::Direct;
        for k in kinds {
            if sources(k) {
                return Origin::Sourced;
            }
            out = Origin::Influenced;
        }
        out
    }
}

/// True for the touches that bring a deal: sourcing it, or referring the customer.
pub const fn sources(kind: TouchpointKind) -> bool {
    matches!(kind, TouchpointKind::Sourced | TouchpointKind::Referral)
}

string_enum!(
    /// Whose cost it is.
    CostChannel {
        /// One partner's: its MDF, incentives, enablement, tech costs.
        Partner = "partner" / "A partner",
        /// The partner program's, not one partner's: the channel team, the portal, events.
        Program = "program" / "Partner program",
        /// The direct channel's acquisition costs, which CAC compares the partner channel with.
        Direct = "direct" / "Direct sales and marketing",
    }
);

string_enum!(
    /// What a cost paid for.
    CostCategory {
        /// Market development funds.
        Mdf = "mdf" / "MDF",
        /// Rebates, SPIFs, referral fees, margins paid out.
        Incentive = "incentive" / "Incentives",
        /// Training, certification, enablement content.
        Enablement = "enablement" / "Enablement",
        /// Integrations, sandboxes, tooling.
        Tech = "tech" / "Technology",
        /// Sales people and their costs.
        Sales = "sales" / "Sales",
        /// Marketing programmes.
        Marketing = "marketing" / "Marketing",
        /// Anything else.
        Other = "other" / "Other",
    }
);

/// Account size bands by employees, as segment filters offer them.
pub const SIZE_BANDS: [&str; 5] = ["1–49", "50–249", "250–999", "1,000–4,999", "5,000+"];

/// The size band of an account with `employees` ("" when unknown).
pub fn size_band(employees: Option<i64>) -> &'static str {
    match employees {
        None | Some(i64::MIN..=0) => "",
        Some(1..=49) => SIZE_BANDS[0],
        Some(50..=249) => SIZE_BANDS[1],
        Some(250..=999) => SIZE_BANDS[2],
        Some(1_000..=4_999) => SIZE_BANDS[3],
        Some(_) => SIZE_BANDS[4],
    }
}

/// What a set of deals did in a period: opened by opening day, closed by close day, open now.
/// Money in minor units of the reporting currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Funnel {
    /// Opportunities opened in the period.
    pub opened: u64,
    /// Their amount.
    pub opened_minor: i64,
    /// Won in the period.
    pub won: u64,
    /// Their amount.
    pub won_minor: i64,
    /// Days from opening to close, summed over the deals won.
    pub won_cycle_days: i64,
    /// Lost in the period.
    pub lost: u64,
    /// Of the deals opened in the period, those still open.
    pub open: u64,
    /// Their amount.
    pub open_minor: i64,
}

impl Funnel {
    /// Adds another set of deals.
    pub fn add(&mut self, o: &Funnel) {
        self.opened += o.opened;
        self.opened_minor += o.opened_minor;
        self.won += o.won;
        self.won_minor += o.won_minor;
        self.won_cycle_days += o.won_cycle_days;
        self.lost += o.lost;
        self.open += o.open;
        self.open_minor += o.open_minor;
    }

    /// Won ÷ closed, when any closed.
    #[allow(
        clippy::cast_precision_loss,
        reason = "a rate, shown to a tenth of a percent"
    )]
    pub fn win_rate(&self) -> Option<f64> {
        let closed = self.won + self.lost;
        (closed > 0).then(|| self.won as f64 / closed as f64)
    }

    /// The average won amount, to the minor unit, when any won.
    pub fn deal_size_minor(&self) -> Option<i64> {
        (self.won > 0).then(|| div_round(i128::from(self.won_minor), i128::from(self.won)))
    }

    /// The average days from opening to close of the deals won, when any won.
    #[allow(
        clippy::cast_precision_loss,
        reason = "an average of days, shown to a tenth"
    )]
    pub fn cycle_days(&self) -> Option<f64> {
        (self.won > 0).then(|| self.won_cycle_days as f64 / self.won as f64)
    }

    /// Pipeline velocity: opened × win rate × deal size ÷ cycle, in minor units a day, when
    /// the period has opened and won deals. Computed exactly as
    /// `opened × won_minor × won ÷ ((won + lost) × cycle days)`; a cycle shorter than a day
    /// counts as one, so same-day wins do not divide by zero.
    pub fn velocity_minor_per_day(&self) -> Option<i64> {
        if self.won == 0 || self.opened == 0 {
            return None;
        }
        let won = i128::from(self.won);
        let days = i128::from(self.won_cycle_days).max(won);
        let num = i128::from(self.opened) * i128::from(self.won_minor) * won;
        let den = i128::from(self.won + self.lost) * days;
        Some(div_round(num, den))
    }
}

/// `num ÷ den` rounded half away from zero, saturated into an `i64`; `den` > 0.
fn div_round(num: i128, den: i128) -> i64 {
    let q = (2 * num.abs() + den) / (2 * den);
    let q = if num < 0 { -q } else { q };
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// `revenue ÷ cost` (ROPI, CLTV/CAC), when there was a cost.
#[allow(clippy::cast_precision_loss, reason = "a ratio, shown to two decimals")]
pub fn ratio(revenue_minor: i64, cost_minor: i64) -> Option<f64> {
    (cost_minor > 0).then(|| revenue_minor as f64 / cost_minor as f64)
}

/// `total ÷ count` to the minor unit (an average per customer), when the count is not zero.
pub fn per(total_minor: i64, count: u64) -> Option<i64> {
    (count > 0).then(|| div_round(i128::from(total_minor), i128::from(count)))
}

/// Costs per customer (CAC), when there were costs and customers: no recorded cost is no
/// known CAC, not a CAC of zero.
pub fn cost_per(cost_minor: i64, customers: u64) -> Option<i64> {
    if cost_minor > 0 {
        per(cost_minor, customers)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TouchpointKind as K;

    #[test]
    fn sourcing_touches_decide_the_origin() {
        assert_eq!(Origin::of([]), Origin::Direct);
        assert_eq!(Origin::of([K::Influence, K::CoSell]), Origin::Influenced);
        assert_eq!(Origin::of([K::Influence, K::Referral]), Origin::Sourced);
        assert_eq!(Origin::of([K::Sourced]), Origin::Sourced);
        assert_eq!(Origin::of([K::Marketplace]), Origin::Influenced);
    }

    #[test]
    fn size_bands_have_no_gaps() {
        assert_eq!(size_band(None), "");
        assert_eq!(size_band(Some(0)), "");
        assert_eq!(size_band(Some(1)), "1–49");
        assert_eq!(size_band(Some(49)), "1–49");
        assert_eq!(size_band(Some(50)), "50–249");
        assert_eq!(size_band(Some(999)), "250–999");
        assert_eq!(size_band(Some(1_000)), "1,000–4,999");
        assert_eq!(size_band(Some(5_000)), "5,000+");
    }

    #[test]
    fn funnel_figures_on_a_hand_computed_case() {
        // 10 opened; 3 won for 90,000.00 over 30 + 60 + 90 days; 1 lost.
        let f = Funnel {
            opened: 10,
            opened_minor: 5_000_000,
            won: 3,
            won_minor: 9_000_000,
            won_cycle_days: 180,
            lost: 1,
            open: 6,
            open_minor: 2_000_000,
        };
        assert_eq!(f.win_rate(), Some(0.75));
        assert_eq!(f.deal_size_minor(), Some(3_000_000));
        assert_eq!(f.cycle_days(), Some(60.0));
        // 10 × 0.75 × 30,000.00 ÷ 60 days = 3,750.00 a day.
        assert_eq!(f.velocity_minor_per_day(), Some(375_000));
    }

    #[test]
    fn empty_periods_have_no_rates_rather_than_zeros() {
        let f = Funnel::default();
        assert_eq!(f.win_rate(), None);
        assert_eq!(f.deal_size_minor(), None);
        assert_eq!(f.cycle_days(), None);
        assert_eq!(f.velocity_minor_per_day(), None);
        let lost_only = Funnel {
            opened: 2,
            lost: 2,
            ..Funnel::default()
        };
        assert_eq!(lost_only.win_rate(), Some(0.0));
        assert_eq!(lost_only.velocity_minor_per_day(), None);
    }

    #[test]
    fn same_day_wins_count_a_day_and_rounding_is_half_away_from_zero() {
        let f = Funnel {
            opened: 1,
            won: 2,
            won_minor: 3,
            ..Funnel::default()
        };
        // 1 × 3 × 2 ÷ (2 × max(0, 2)) = 1.5 → 2.
        assert_eq!(f.velocity_minor_per_day(), Some(2));
        assert_eq!(f.deal_size_minor(), Some(2));
        assert_eq!(per(-3, 2), Some(-2));
        assert_eq!(cost_per(0, 4), None);
        assert_eq!(cost_per(10, 4), Some(3));
    }

    #[test]
    fn funnels_add_up() {
        let mut a = Funnel {
            opened: 1,
            won: 1,
            won_minor: 5,
            ..Funnel::default()
        };
        a.add(&Funnel {
            lost: 2,
            open: 1,
            open_minor: 7,
            ..Funnel::default()
        });
        assert_eq!(
            (a.opened, a.won, a.lost, a.open, a.open_minor),
            (1, 1, 2, 1, 7)
        );
        assert_eq!(ratio(300, 100), Some(3.0));
        assert_eq!(ratio(300, 0), None);
    }
}
