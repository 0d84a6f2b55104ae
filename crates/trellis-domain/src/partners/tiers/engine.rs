//! The tier engine: given the ladder, the policy, a partner's metrics and its tier state,
//! decide its tier now. Pure and total; `now` is passed in.

use serde::{Deserialize, Serialize};

use super::{Ladder, TierDef, TierKey, TierPolicy};
use crate::Timestamp;
use crate::partners::metrics::{Metric, Metrics};

/// A manual tier set by the vendor, e.g. for a strategic partner ramping up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct TierOverride {
    /// The tier the partner is held at.
    pub tier: TierKey,
    /// Why, for the audit trail and the partner's page.
    pub reason: String,
    /// When the override ends by itself; `None` until lifted by hand.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub until: Option<Timestamp>,
}

impl TierOverride {
    /// Whether the override holds at `now`; it ends at `until` exactly.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// What the engine remembers about a partner between evaluations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct TierState {
    /// The partner's tier, if any.
    pub current: Option<TierKey>,
    /// Since when the partner has been below its tier's keep thresholds: a running grace
    /// period.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub below_since: Option<Timestamp>,
    /// A manual override, if one is set.
    pub overridden: Option<TierOverride>,
}

/// What an evaluation decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing changed (no tier and none qualifies, or the tier is held).
    Unchanged,
    /// A partner without a tier, or whose tier left the ladder (`from`), got one.
    Assigned {
        /// The former tier, when it is no longer on the ladder.
        from: Option<TierKey>,
        /// The tier assigned.
        to: TierKey,
    },
    /// Moved up, at once.
    Upgraded {
        /// The tier before.
        from: TierKey,
        /// The tier now.
        to: TierKey,
    },
    /// Back above the keep thresholds during a grace period; the grace period ends.
    Recovered {
        /// The tier kept.
        tier: TierKey,
    },
    /// Fell below the keep thresholds; the tier is kept until `until`.
    GraceStarted {
        /// The tier at risk.
        tier: TierKey,
        /// When the grace period ends.
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        until: Timestamp,
    },
    /// Still below the keep thresholds, still within the grace period.
    InGrace {
        /// The tier at risk.
        tier: TierKey,
        /// When the grace period ends.
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        until: Timestamp,
    },
    /// Moved down (or off the ladder when `to` is `None`).
    Downgraded {
        /// The tier before.
        from: TierKey,
        /// The tier now, if any.
        to: Option<TierKey>,
    },
    /// A manual override holds the tier.
    Overridden {
        /// The tier before this evaluation.
        from: Option<TierKey>,
        /// The overriding tier.
        tier: TierKey,
        /// The tier the partner would have right now if the override were lifted.
        would_be: Option<TierKey>,
    },
}

impl Outcome {
    /// `(from, to)` when the partner's tier changes.
    pub fn changes_tier(&self) -> Option<(Option<TierKey>, Option<TierKey>)> {
        match self {
            Outcome::Assigned { from, to } => Some((from.clone(), Some(to.clone()))),
            Outcome::Upgraded { from, to } => Some((Some(from.clone()), Some(to.clone()))),
            Outcome::Downgraded { from, to } => Some((Some(from.clone()), to.clone())),
            Outcome::Overridden { from, tier, .. } if from.as_ref() != Some(tier) => {
                Some((from.clone(), Some(tier.clone())))
            }
            _ => None,
        }
    }

    /// Whether the service must record (and notify) this outcome: every change of tier and
    /// every change of grace status. Only "nothing new" is quiet: no change, a grace period
    /// still running, an override still holding the same tier.
    pub fn needs_record(&self) -> bool {
        match self {
            Outcome::Unchanged | Outcome::InGrace { .. } => false,
            Outcome::Overridden { .. } => self.changes_tier().is_some(),
            _ => true,
        }
    }
}

/// One requirement of one tier against the partner's figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct Check {
    /// The metric.
    pub metric: Metric,
    /// The partner's figure; `None` when there is no data.
    pub value: Option<i64>,
    /// Needed to enter the tier.
    pub entry: i64,
    /// Needed to keep the tier (entry less the hysteresis).
    pub keep: i64,
    /// `value ≥ entry`.
    pub met_entry: bool,
    /// `value ≥ keep`.
    pub met_keep: bool,
}

/// Every requirement of one tier, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct TierCheck {
    /// The tier.
    pub tier: TierKey,
    /// Its requirements, in ladder order.
    pub requirements: Vec<Check>,
}

impl TierCheck {
    /// All requirements met at entry thresholds (true for a tier without requirements).
    pub fn met_entry(&self) -> bool {
        self.requirements.iter().all(|c| c.met_entry)
    }

    /// All requirements met at keep thresholds.
    pub fn met_keep(&self) -> bool {
        self.requirements.iter().all(|c| c.met_keep)
    }
}

/// The full result of one evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct Evaluation {
    /// The decision.
    pub outcome: Outcome,
    /// The highest tier whose entry thresholds are all met, ignoring history.
    pub qualifies_for: Option<TierKey>,
    /// Every tier checked, lowest first: the figures behind the decision.
    pub checks: Vec<TierCheck>,
    /// The state to store.
    pub next_state: TierState,
    /// An override ended: its `until` passed, or its tier is no longer on the ladder.
    pub override_expired: bool,
}

impl Evaluation {
    /// Whether the service must record this evaluation: the outcome needs it, or an override
    /// ended (which the partner is told about even when the tier stays).
    pub fn needs_record(&self) -> bool {
        self.outcome.needs_record() || self.override_expired
    }
}

/// Decides a partner's tier at `now`. The rules, in order, are the product's promise that
/// tiers change "never silently, with hysteresis and grace":
///
/// 1. An override active at `now` wins; the engine still works out what it `would_be`, and
///    any grace period is cleared. An override that has ended (or names a tier no longer on
///    the ladder) is dropped, `override_expired` is set, and the rules below run from the
///    override's tier, so the partner gets the usual grace period rather than a sudden drop.
/// 2. A requirement whose metric has no data is not met: missing data never earns a tier.
/// 3. The partner `qualifies_for` the highest tier whose requirements are all met at entry
///    thresholds; a tier without requirements always qualifies.
/// 4. Without a current tier, or with one no longer on the ladder, the partner is assigned
///    what it qualifies for (or leaves the ladder if nothing qualifies).
/// 5. Qualifying above the current tier upgrades at once: good news is never delayed.
/// 6. Meeting the current tier's keep thresholds (entry less the hysteresis) keeps it, and
///    ends a running grace period (`Recovered`).
/// 7. Below the keep thresholds, a grace period starts, then runs; only when it is over (or
///    the policy has none) is the partner downgraded, to the highest lower tier whose keep
///    thresholds it meets, or off the ladder if even the lowest tier's are unmet.
pub fn evaluate(
    ladder: &Ladder,
    policy: &TierPolicy,
    metrics: &Metrics,
    state: &TierState,
    now: Timestamp,
) -> Evaluation {
    let checks: Vec<TierCheck> = ladder.iter().map(|t| check(t, *policy, metrics)).collect();
    // Rule 3.
    let qualifies = checks.iter().rposition(TierCheck::met_entry);
    let key_at = |i: usize| checks[i].tier.clone();

    let mut start = TierState {
        overridden: None,
        ..state.clone()
    };
    let mut override_expired = false;
    if let Some(o) = &state.overridden {
        // Rule 1.
        if o.is_active(now) && ladder.get(&o.tier).is_some() {
            let lifted = TierState {
                current: Some(o.tier.clone()),
                ..TierState::default()
            };
            let (_, would_be) = decide(ladder, *policy, &checks, qualifies, &lifted, now);
            return Evaluation {
                outcome: Outcome::Overridden {
                    from: state.current.clone(),
                    tier: o.tier.clone(),
                    would_be: would_be.current,
                },
                qualifies_for: qualifies.map(key_at),
                next_state: TierState {
                    current: Some(o.tier.clone()),
                    below_since: None,
                    overridden: Some(o.clone()),
                },
                checks,
                override_expired: false,
            };
        }
        override_expired = true;
        start = TierState {
            current: Some(o.tier.clone()),
            ..TierState::default()
        };
    }
    let (outcome, next_state) = decide(ladder, *policy, &checks, qualifies, &start, now);
    Evaluation {
        outcome,
        qualifies_for: qualifies.map(key_at),
        checks,
        next_state,
        override_expired,
    }
}

/// Rules 4–7 for a state without an active override.
fn decide(
    ladder: &Ladder,
    policy: TierPolicy,
    checks: &[TierCheck],
    qualifies: Option<usize>,
    state: &TierState,
    now: Timestamp,
) -> (Outcome, TierState) {
    let key_at = |i: usize| checks[i].tier.clone();
    let settled = |current: Option<TierKey>| TierState {
        current,
        below_since: None,
        overridden: None,
    };
    let Some(current) = state.current.clone() else {
        // Rule 4, no tier yet.
        return match qualifies {
            Some(q) => (
                Outcome::Assigned {
                    from: None,
                    to: key_at(q),
                },
                settled(Some(key_at(q))),
            ),
            None => (Outcome::Unchanged, settled(None)),
        };
    };
    let Some(c) = ladder.position(&current) else {
        // Rule 4, the tier was removed from the ladder: it cannot be kept, so there is no
        // grace period; the change is still an outcome the service records.
        return match qualifies {
            Some(q) => (
                Outcome::Assigned {
                    from: Some(current),
                    to: key_at(q),
                },
                settled(Some(key_at(q))),
            ),
            None => (
                Outcome::Downgraded {
                    from: current,
                    to: None,
                },
                settled(None),
            ),
        };
    };
    // Rule 5.
    if let Some(q) = qualifies.filter(|&q| q > c) {
        return (
            Outcome::Upgraded {
                from: current,
                to: key_at(q),
            },
            settled(Some(key_at(q))),
        );
    }
    // Rule 6.
    if checks[c].met_keep() {
        let outcome = if state.below_since.is_some() {
            Outcome::Recovered {
                tier: current.clone(),
            }
        } else {
            Outcome::Unchanged
        };
        return (outcome, settled(Some(current)));
    }
    // Rule 7.
    let grace = policy.grace();
    match state.below_since {
        _ if policy.grace_days() == 0 => downgrade(checks, c, current),
        None => (
            Outcome::GraceStarted {
                tier: current.clone(),
                until: now.plus(grace),
            },
            TierState {
                current: Some(current),
                below_since: Some(now),
                overridden: None,
            },
        ),
        Some(since) if now < since.plus(grace) => (
            Outcome::InGrace {
                tier: current.clone(),
                until: since.plus(grace),
            },
            TierState {
                current: Some(current),
                below_since: Some(since),
                overridden: None,
            },
        ),
        Some(_) => downgrade(checks, c, current),
    }
}

/// Down to the highest lower tier whose keep thresholds are met: a partner that slipped from
/// Gold but still holds Silver's bar lands on Silver, not on the tier it would enter afresh.
fn downgrade(checks: &[TierCheck], below: usize, from: TierKey) -> (Outcome, TierState) {
    let to = checks[..below]
        .iter()
        .rev()
        .find(|t| t.met_keep())
        .map(|t| t.tier.clone());
    let next = TierState {
        current: to.clone(),
        below_since: None,
        overridden: None,
    };
    (Outcome::Downgraded { from, to }, next)
}

fn check(tier: &TierDef, policy: TierPolicy, metrics: &Metrics) -> TierCheck {
    let requirements = tier
        .requirements
        .iter()
        .map(|r| {
            let value = metrics.get(r.metric);
            let keep = policy.keep_threshold(r.at_least);
            // Rule 2: no data, not met.
            Check {
                metric: r.metric,
                value,
                entry: r.at_least,
                keep,
                met_entry: value.is_some_and(|v| v >= r.at_least),
                met_keep: value.is_some_and(|v| v >= keep),
            }
        })
        .collect();
    TierCheck {
        tier: tier.key.clone(),
        requirements,
    }
}
