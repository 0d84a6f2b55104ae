//! A data cut's closed opportunities as journeys: each one's touches in time order, won with
//! its amount or lost. Kept with the run (as [`StoredJourneys`]) so the run can be replayed on
//! exactly the data it read.
//!
//! What counts: live opportunities closed (won or lost) in the cut's close-date range, in the
//! reporting currency; their touches up to the end of the close day, and the touches on their
//! account that no opportunity claims within the look-back window before it. Opportunities
//! without a touch are direct: counted, not modelled. Amounts in other currencies convert at
//! the rate valid on the close date (see [`super::fx`]); a deal without one is counted and
//! left out.

use serde::{Deserialize, Serialize};
use trellis_attribution::{Journey, Journeys};
use trellis_domain::Timestamp;
use trellis_store::attribution::touchpoints::{ClosedTotalRow, JourneyTouchRow};
use uuid::Uuid;

use super::fx::RateTable;

const DAY_MS: i64 = 86_400_000;

/// Which data a run reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    /// First close date, `YYYY-MM-DD`.
    pub from: String,
    /// Last close date, `YYYY-MM-DD`.
    pub to: String,
    /// The reporting currency the amounts are in.
    pub currency: String,
    /// Days before the close within which an account's touches count.
    pub lookback_days: u32,
}

/// What the cut held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutSummary {
    /// Opportunities won in the range, in the reporting currency.
    pub won: u64,
    /// Opportunities lost in the range, in the reporting currency.
    pub lost: u64,
    /// Their won amount, in minor units.
    pub won_amount_minor: i64,
    /// Won opportunities with at least one touch (the modelled conversions).
    pub touched_won: u64,
    /// Lost opportunities with at least one touch.
    pub touched_lost: u64,
    /// The touched won amount: what the model attributes, in minor units.
    pub attributed_amount_minor: i64,
    /// Touches read.
    pub touches: u64,
    /// Closed opportunities converted from another currency.
    pub converted: u64,
    /// Closed opportunities left out: no exchange rate for their currency on their close date.
    pub no_rate: u64,
}

/// A channel of the stored journeys: a partner, or a channel named on touches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredChannel {
    /// Its name, what the model credits.
    pub name: String,
    /// The partner, for a partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<Uuid>,
}

/// One opportunity's journey.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredJourney {
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// Channel numbers, in time order.
    pub touches: Vec<u32>,
    /// Each touch's age at the close, in days.
    pub ages: Vec<f64>,
    /// The sourced touch (the one that created the opportunity), for the W-shaped model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<usize>,
    /// Won (else lost).
    pub won: bool,
    /// The won amount, in minor units (0 when lost).
    pub value_minor: i64,
}

/// The journeys a run read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredJourneys {
    pub channels: Vec<StoredChannel>,
    pub journeys: Vec<StoredJourney>,
}

impl StoredJourneys {
    /// The journeys as the models read them: one journey per opportunity, ages in days.
    pub(super) fn to_model(&self) -> Journeys {
        let mut out = Journeys::default();
        for c in &self.channels {
            out.channel(&c.name);
        }
        for j in &self.journeys {
            out.push(Journey {
                touches: j.touches.clone(),
                ages: Some(j.ages.clone()),
                milestone: j.milestone,
                conversions: u64::from(j.won),
                value: j.value_minor,
                nulls: u64::from(!j.won),
            });
        }
        out
    }
}

/// The journeys of the touch rows (ordered by opportunity, then time) and what the cut held.
pub(super) fn build(
    cut: &Cut,
    rows: &[JourneyTouchRow],
    totals: &[ClosedTotalRow],
    rates: &RateTable,
) -> (StoredJourneys, CutSummary) {
    let mut summary = CutSummary::default();
    for t in totals {
        let n = u64::try_from(t.opportunities).unwrap_or(0);
        let Some(amount) = rates.convert(t.amount_minor, &t.currency, &t.close_date) else {
            summary.no_rate += n;
            continue;
        };
        if t.currency != cut.currency {
            summary.converted += n;
        }
        if t.status == "won" {
            summary.won += n;
            summary.won_amount_minor += amount;
        } else {
            summary.lost += n;
        }
    }
    let mut out = StoredJourneys::default();
    let mut names: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let lookback = i64::from(cut.lookback_days) * DAY_MS;
    for group in rows.chunk_by(|a, b| a.opportunity_id == b.opportunity_id) {
        let first = &group[0];
        let Some(amount) = rates.convert(first.amount_minor, &first.currency, &first.close_date)
        else {
            continue;
        };
        let Some(close_end) = Timestamp::from_date(&first.close_date).map(|d| d.millis() + DAY_MS)
        else {
            continue;
        };
        let mut journey = StoredJourney {
            opportunity_id: first.opportunity_id,
            touches: Vec::new(),
            ages: Vec::new(),
            milestone: None,
            won: first.status == "won",
            value_minor: if first.status == "won" { amount } else { 0 },
        };
        for t in group.iter().filter(|t| {
            t.occurred_at < close_end && (!t.on_account || t.occurred_at >= close_end - lookback)
        }) {
            let channel = *names.entry(t.label.clone()).or_insert_with(|| {
                out.channels.push(StoredChannel {
                    name: t.label.clone(),
                    partner_id: t.org_id,
                });
                u32::try_from(out.channels.len() - 1).unwrap_or(u32::MAX)
            });
            if journey.milestone.is_none() && t.kind == "sourced" && !t.on_account {
                journey.milestone = Some(journey.touches.len());
            }
            journey.touches.push(channel);
            #[allow(clippy::cast_precision_loss, reason = "ages in days, for weights")]
            journey
                .ages
                .push((close_end - DAY_MS - t.occurred_at).max(0) as f64 / DAY_MS as f64);
        }
        if journey.touches.is_empty() {
            continue;
        }
        summary.touches += journey.touches.len() as u64;
        if journey.won {
            summary.touched_won += 1;
            summary.attributed_amount_minor += journey.value_minor;
        } else {
            summary.touched_lost += 1;
        }
        out.journeys.push(journey);
    }
    (out, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(
        opp: u128,
        status: &str,
        amount: i64,
        label: &str,
        kind: &str,
        at: &str,
    ) -> JourneyTouchRow {
        JourneyTouchRow {
            opportunity_id: Uuid::from_u128(opp),
            status: status.into(),
            amount_minor: amount,
            currency: "EUR".into(),
            close_date: "2026-06-30".into(),
            org_id: None,
            label: label.into(),
            kind: kind.into(),
            occurred_at: Timestamp::from_date(at).unwrap().millis(),
            on_account: kind == "campaign",
        }
    }

    fn cut() -> Cut {
        Cut {
            from: "2026-01-01".into(),
            to: "2026-12-31".into(),
            currency: "EUR".into(),
            lookback_days: 90,
        }
    }

    #[test]
    fn touches_after_the_close_and_old_account_touches_do_not_count() {
        let rows = vec![
            // An account touch long before the close: outside the 90-day look-back.
            touch(1, "won", 10_000, "Webinar", "campaign", "2026-01-02"),
            touch(1, "won", 10_000, "Acme", "influence", "2026-05-01"),
            touch(1, "won", 10_000, "Globex", "sourced", "2026-06-01"),
            // After the close: not part of the journey.
            touch(1, "won", 10_000, "Initech", "influence", "2026-07-15"),
            touch(2, "lost", 5_000, "Acme", "referral", "2026-06-30"),
        ];
        let totals = vec![
            ClosedTotalRow {
                status: "won".into(),
                currency: "EUR".into(),
                close_date: "2026-06-30".into(),
                opportunities: 3,
                amount_minor: 25_000,
            },
            ClosedTotalRow {
                status: "won".into(),
                currency: "USD".into(),
                close_date: "2026-06-30".into(),
                opportunities: 2,
                amount_minor: 1,
            },
        ];
        let (j, s) = build(&cut(), &rows, &totals, &RateTable::new("EUR"));
        let names: Vec<&str> = j.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Acme", "Globex"]);
        assert_eq!(j.journeys.len(), 2);
        assert_eq!(j.journeys[0].touches, [0, 1]);
        assert_eq!(j.journeys[0].milestone, Some(1));
        assert_eq!(j.journeys[0].ages, [60.0, 29.0]);
        assert_eq!(j.journeys[1].touches, [0]);
        assert!(!j.journeys[1].won);
        assert_eq!(
            (s.won, s.touched_won, s.touched_lost, s.no_rate),
            (3, 1, 1, 2),
            "USD deals have no rate into EUR"
        );
        assert_eq!(
            (s.won_amount_minor, s.attributed_amount_minor),
            (25_000, 10_000)
        );
        let model = j.to_model();
        assert_eq!(model.conversions(), 1);
        assert_eq!(model.value(), 10_000);
    }
}
