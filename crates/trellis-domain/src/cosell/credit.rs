//! Comp credit: the internal compensation credit a vendor rep earns on an opportunity partners
//! are on, so that working with a partner never costs the rep (channel-neutral comp).
//!
//! The credit of an opportunity is its amount times the credit rate of the partners' role on
//! it. With several partners on one opportunity, the role with the highest rate applies: the
//! rep is credited once per opportunity, never once per partner. Won opportunities earn their
//! credit, open ones show what they would earn, lost ones earn nothing.
//!
//! Money stays in integer minor units and its own currency: nothing is converted, so totals
//! are per currency. Rates are basis points (1 % = 100), and credit is rounded to the nearest
//! minor unit with halves rounded away from zero, in integer arithmetic.

use std::collections::BTreeMap;

use crate::crm::OpportunityStatus;
use crate::money::{Currency, Money};
use crate::orgs::string_enum;
use crate::validation::FieldErrors;

use std::fmt;
use std::str::FromStr;

string_enum!(
    /// How a partner is on a vendor opportunity.
    PartnerRole {
        /// The partner brought the deal (a converted registration).
        Sourced = "sourced" / "Sourced",
        /// The partner sells with the rep (an accepted co-sell request).
        CoSell = "co_sell" / "Co-sell",
        /// The partner influenced the buying decision.
        Influence = "influence" / "Influence",
    }
);

/// One hundred percent, in basis points.
pub const FULL: u32 = 10_000;
/// The highest rate accepted: 200 %, for programs that pay accelerators on partner deals.
pub const MAX_RATE: u32 = 2 * FULL;

/// The credit rate of each role, in basis points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rates {
    /// Rate on partner-sourced opportunities.
    pub sourced: u32,
    /// Rate on co-sold opportunities.
    pub co_sell: u32,
    /// Rate on partner-influenced opportunities.
    pub influence: u32,
}

impl Default for Rates {
    /// 100 % for every role: channel-neutral comp.
    fn default() -> Self {
        Self {
            sourced: FULL,
            co_sell: FULL,
            influence: FULL,
        }
    }
}

impl Rates {
    /// The rate of one role.
    pub const fn of(&self, role: PartnerRole) -> u32 {
        match role {
            PartnerRole::Sourced => self.sourced,
            PartnerRole::CoSell => self.co_sell,
            PartnerRole::Influence => self.influence,
        }
    }

    /// The role whose rate applies among `roles`: the highest rate, and on a tie the first
    /// in the order sourced, co-sell, influence. `None` without roles.
    pub fn applied(&self, roles: &[PartnerRole]) -> Option<PartnerRole> {
        PartnerRole::ALL
            .iter()
            .copied()
            .filter(|r| roles.contains(r))
            .fold(None, |best: Option<PartnerRole>, r| match best {
                Some(b) if self.of(b) >= self.of(r) => Some(b),
                _ => Some(r),
            })
    }

    /// Reads the three rates as percentages typed by a person or sent in a query
    /// (`100`, `50`, `12.5`, `33.33`); blank keeps the default. Errors name
    /// `sourced_rate`, `co_sell_rate` and `influence_rate`.
    pub fn read(sourced: &str, co_sell: &str, influence: &str) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let d = Self::default();
        let rates = Self {
            sourced: percent(&mut e, "sourced_rate", sourced).unwrap_or(d.sourced),
            co_sell: percent(&mut e, "co_sell_rate", co_sell).unwrap_or(d.co_sell),
            influence: percent(&mut e, "influence_rate", influence).unwrap_or(d.influence),
        };
        e.into_result()?;
        Ok(rates)
    }
}

/// A percentage with up to two decimals, 0–200, as basis points; blank is `None`.
fn percent(e: &mut FieldErrors, field: &str, raw: &str) -> Option<u32> {
    let t = raw.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return None;
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !(frac.is_empty() || digits(frac)) {
        e.add(field, "must be a percentage such as 100 or 12.5");
        return None;
    }
    if frac.len() > 2 {
        e.add(field, "may have at most two decimals");
        return None;
    }
    let bp = whole
        .parse::<u32>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|w| w.checked_add(format!("{frac:0<2}").parse::<u32>().ok()?));
    match bp {
        Some(bp) if bp <= MAX_RATE => Some(bp),
        _ => {
            e.add(field, "must be between 0 and 200 %");
            None
        }
    }
}

/// A rate in basis points as a percentage for people: `100 %`, `12.5 %`, `33.33 %`.
pub fn format_rate(bp: u32) -> String {
    format!("{} %", rate_percent(bp))
}

/// A rate in basis points as the number of percent, as [`Rates::read`] reads it back and
/// spreadsheets read it: `100`, `12.5`, `33.33`.
pub fn rate_percent(bp: u32) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    match frac {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// `amount × rate`, rounded to the nearest minor unit, halves away from zero. Computed in
/// 128-bit integers, so no amount overflows before the result is clamped to `i64`.
pub fn credit(amount_minor: i64, rate_bp: u32) -> i64 {
    let product = i128::from(amount_minor) * i128::from(rate_bp);
    let half = i128::from(FULL / 2);
    let rounded = if product >= 0 {
        (product + half) / i128::from(FULL)
    } else {
        (product - half) / i128::from(FULL)
    };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

/// An opportunity's credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credit {
    /// The role whose rate applied.
    pub role: PartnerRole,
    /// That rate, in basis points.
    pub rate: u32,
    /// The credit, in the opportunity's currency: zero when lost.
    pub amount: Money,
}

impl Rates {
    /// The credit of an opportunity with `amount` and `status` that partners are on in
    /// `roles`; `None` without partners (no partner involvement, no credit line).
    pub fn credit_of(
        &self,
        status: OpportunityStatus,
        amount: Money,
        roles: &[PartnerRole],
    ) -> Option<Credit> {
        let role = self.applied(roles)?;
        let rate = self.of(role);
        let minor = match status {
            OpportunityStatus::Lost => 0,
            OpportunityStatus::Open | OpportunityStatus::Won => credit(amount.amount_minor, rate),
        };
        Some(Credit {
            role,
            rate,
            amount: Money::new(minor, amount.currency),
        })
    }
}

/// One currency's figures of a rep: amounts and credit of won and open opportunities, and
/// the amount lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// The currency of every figure.
    pub currency: Currency,
    /// Won opportunities' amounts.
    pub won_amount: i64,
    /// Credit earned on them.
    pub won_credit: i64,
    /// Open opportunities' amounts.
    pub open_amount: i64,
    /// Credit they would earn.
    pub open_credit: i64,
    /// Lost opportunities' amounts (no credit).
    pub lost_amount: i64,
}

/// Totals per currency, ordered by currency code, of `(status, amount, credit)` lines; the
/// credit totals are the sums of the lines' rounded credit, so they add up to what is shown.
pub fn totals(
    lines: impl IntoIterator<Item = (OpportunityStatus, Money, Money)>,
) -> Vec<CurrencyTotal> {
    let mut by: BTreeMap<&'static str, CurrencyTotal> = BTreeMap::new();
    for (status, amount, credit) in lines {
        let t = by
            .entry(amount.currency.code())
            .or_insert_with(|| CurrencyTotal {
                currency: amount.currency,
                won_amount: 0,
                won_credit: 0,
                open_amount: 0,
                open_credit: 0,
                lost_amount: 0,
            });
        let add = |a: &mut i64, b: i64| *a = a.saturating_add(b);
        match status {
            OpportunityStatus::Won => {
                add(&mut t.won_amount, amount.amount_minor);
                add(&mut t.won_credit, credit.amount_minor);
            }
            OpportunityStatus::Open => {
                add(&mut t.open_amount, amount.amount_minor);
                add(&mut t.open_credit, credit.amount_minor);
            }
            OpportunityStatus::Lost => add(&mut t.lost_amount, amount.amount_minor),
        }
    }
    by.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn credit_rounds_to_the_nearest_minor_unit_halves_away_from_zero() {
        assert_eq!(credit(4_500_000, FULL), 4_500_000);
        // 999.50 × 33.33 % = 333.133335 → 333.13
        assert_eq!(credit(99_950, 3_333), 33_313);
        // 999.50 × 12.5 % = 124.9375 → 124.94
        assert_eq!(credit(99_950, 1_250), 12_494);
        // JPY 1,201 × 50 % = 600.5 → 601; and the mirror image of a credit note.
        assert_eq!(credit(1_201, 5_000), 601);
        assert_eq!(credit(-1_201, 5_000), -601);
        assert_eq!(credit(1, 4_999), 0);
        assert_eq!(credit(i64::MAX, MAX_RATE), i64::MAX);
    }

    #[test]
    fn the_highest_rate_among_the_roles_applies_once() {
        let rates = Rates {
            sourced: 10_000,
            co_sell: 5_000,
            influence: 2_500,
        };
        let both = [PartnerRole::Influence, PartnerRole::CoSell];
        assert_eq!(rates.applied(&both), Some(PartnerRole::CoSell));
        assert_eq!(rates.applied(&[]), None);
        assert_eq!(
            Rates::default().applied(&[PartnerRole::Influence, PartnerRole::Sourced]),
            Some(PartnerRole::Sourced),
            "a tie goes to the first role"
        );
        let c = rates
            .credit_of(OpportunityStatus::Won, money(1_001, "EUR"), &both)
            .unwrap();
        assert_eq!(
            (c.role, c.rate, c.amount),
            (PartnerRole::CoSell, 5_000, money(501, "EUR"))
        );
        let lost = rates
            .credit_of(OpportunityStatus::Lost, money(1_001, "EUR"), &both)
            .unwrap();
        assert_eq!(lost.amount, money(0, "EUR"));
        assert_eq!(
            rates.credit_of(OpportunityStatus::Won, money(1, "EUR"), &[]),
            None
        );
    }

    #[test]
    fn rates_read_as_percentages_and_name_each_bad_field() {
        assert_eq!(Rates::read("", " ", "").unwrap(), Rates::default());
        assert_eq!(
            Rates::read("100", "12.5", "33.33%").unwrap(),
            Rates {
                sourced: 10_000,
                co_sell: 1_250,
                influence: 3_333
            }
        );
        let e = Rates::read("250", "1.234", "-5").unwrap_err();
        assert_eq!(
            e.for_field("sourced_rate"),
            Some("must be between 0 and 200 %")
        );
        assert_eq!(
            e.for_field("co_sell_rate"),
            Some("may have at most two decimals")
        );
        assert_eq!(
            e.for_field("influence_rate"),
            Some("must be a percentage such as 100 or 12.5")
        );
        assert_eq!(format_rate(10_000), "100 %");
        assert_eq!(format_rate(1_250), "12.5 %");
        assert_eq!(format_rate(3_333), "33.33 %");
        assert_eq!(format_rate(5), "0.05 %");
        assert_eq!(rate_percent(12_050), "120.5");
    }

    #[test]
    fn totals_are_per_currency_and_sum_the_rounded_lines() {
        let lines = [
            (
                OpportunityStatus::Won,
                money(1_001, "EUR"),
                money(501, "EUR"),
            ),
            (
                OpportunityStatus::Won,
                money(1_001, "EUR"),
                money(501, "EUR"),
            ),
            (
                OpportunityStatus::Open,
                money(500, "USD"),
                money(250, "USD"),
            ),
            (OpportunityStatus::Lost, money(700, "EUR"), money(0, "EUR")),
        ];
        let t = totals(lines);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].currency.code(), "EUR");
        assert_eq!(
            (t[0].won_amount, t[0].won_credit, t[0].lost_amount),
            (2_002, 1_002, 700),
            "1,002, not round(2,002 × 50 %) = 1,001: totals add up the lines"
        );
        assert_eq!((t[1].open_amount, t[1].open_credit), (500, 250));
    }
}
