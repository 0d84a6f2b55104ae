//! One-sentence explanations of tier evaluations, naming the figures, for notifications, the
//! partner's tier page and the audit log.

use super::{Check, Evaluation, Ladder, Outcome, TierKey};
use crate::Timestamp;
use crate::partners::metrics::format_value;

/// Which threshold a sentence compares against.
#[derive(Clone, Copy)]
enum Bar {
    Entry,
    Keep,
}

impl Evaluation {
    /// Explains the decision in one sentence, e.g. "Upgraded from Silver to Gold: sourced
    /// revenue EUR 1,250,000.00 ≥ EUR 1,000,000.00; certified people 4 ≥ 3". Money is shown
    /// in `currency`, the deployment's reporting currency.
    pub fn explain(&self, ladder: &Ladder, currency: &str) -> String {
        let name = |k: &TierKey| ladder.name_of(k);
        let figures =
            |k: &TierKey, bar: Bar, unmet_only: bool| self.figures(k, bar, unmet_only, currency);
        let sentence = match &self.outcome {
            Outcome::Unchanged => {
                if let Some(k) = &self.next_state.current {
                    format!("Stays {}: {}", name(k), figures(k, Bar::Keep, false))
                } else {
                    let lowest = &ladder.lowest().key;
                    format!(
                        "No tier: {}'s requirements are not met ({})",
                        name(lowest),
                        figures(lowest, Bar::Entry, true)
                    )
                }
            }
            Outcome::Assigned { from, to } => {
                let assigned = format!("{}: {}", name(to), figures(to, Bar::Entry, false));
                match from {
                    Some(old) => format!("{old} is no longer a tier; assigned {assigned}"),
                    None => format!("Assigned {assigned}"),
                }
            }
            Outcome::Upgraded { from, to } => format!(
                "Upgraded from {} to {}: {}",
                name(from),
                name(to),
                figures(to, Bar::Entry, false)
            ),
            Outcome::Recovered { tier } => format!(
                "Back above {}'s keep thresholds ({}); the grace period is over",
                name(tier),
                figures(tier, Bar::Keep, false)
            ),
            Outcome::GraceStarted { tier, until } | Outcome::InGrace { tier, until } => {
                let still = if matches!(self.outcome, Outcome::InGrace { .. }) {
                    "Still below"
                } else {
                    "Below"
                };
                format!(
                    "{still} {}'s keep thresholds ({}); grace period until {}",
                    name(tier),
                    figures(tier, Bar::Keep, true),
                    date(*until)
                )
            }
            Outcome::Downgraded { from, to } => {
                self.explain_downgrade(ladder, from, to.as_ref(), currency)
            }
            Outcome::Overridden { tier, would_be, .. } => {
                let o = self.next_state.overridden.as_ref();
                let until = o.and_then(|o| o.until).map_or_else(
                    || " until lifted".to_owned(),
                    |u| format!(" until {}", date(u)),
                );
                let reason = o.map_or(String::new(), |o| format!(" ({})", o.reason));
                let without = would_be.as_ref().map_or_else(|| "no tier".to_owned(), name);
                format!(
                    "Held at {} by override{until}{reason}; without it: {without}",
                    name(tier)
                )
            }
        };
        if self.override_expired {
            format!("Override ended. {sentence}")
        } else {
            sentence
        }
    }

    fn explain_downgrade(
        &self,
        ladder: &Ladder,
        from: &TierKey,
        to: Option<&TierKey>,
        currency: &str,
    ) -> String {
        let from_name = ladder.name_of(from);
        if ladder.get(from).is_none() {
            return format!("{from} is no longer a tier and no tier's requirements are met");
        }
        let why = format!(
            "below {from_name}'s keep thresholds ({})",
            self.figures(from, Bar::Keep, true, currency)
        );
        match to {
            Some(to) => format!(
                "Downgraded from {from_name} to {}: {why}",
                ladder.name_of(to)
            ),
            None => format!("Left the ladder: {why}, and no lower tier's requirements are met"),
        }
    }

    /// "sourced revenue EUR 1,250,000.00 ≥ EUR 1,000,000.00; certified people 4 ≥ 3".
    fn figures(&self, tier: &TierKey, bar: Bar, unmet_only: bool, currency: &str) -> String {
        let Some(check) = self.checks.iter().find(|c| &c.tier == tier) else {
            return "tier not on the ladder".to_owned();
        };
        if check.requirements.is_empty() {
            return "no requirements".to_owned();
        }
        let parts: Vec<String> = check
            .requirements
            .iter()
            .filter(|c| !unmet_only || !met(c, bar))
            .map(|c| figure(c, bar, currency))
            .collect();
        parts.join("; ")
    }
}

fn met(c: &Check, bar: Bar) -> bool {
    match bar {
        Bar::Entry => c.met_entry,
        Bar::Keep => c.met_keep,
    }
}

fn figure(c: &Check, bar: Bar, currency: &str) -> String {
    let threshold = match bar {
        Bar::Entry => c.entry,
        Bar::Keep => c.keep,
    };
    let fmt = |v| format_value(c.metric, v, currency);
    let what = c.metric.phrase();
    match c.value {
        None => format!("{what}: no data (needs {})", fmt(threshold)),
        Some(v) if met(c, bar) => format!("{what} {} ≥ {}", fmt(v), fmt(threshold)),
        Some(v) => format!("{what} {} < {}", fmt(v), fmt(threshold)),
    }
}

/// `2027-01-05`: a day is precise enough for a grace period.
fn date(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    s.get(..10).map_or(s.clone(), str::to_owned)
}
