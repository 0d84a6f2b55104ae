//! Program tiers: the ladder of tiers with their requirements and benefits, the policy that
//! softens moves between them, and the engine that decides a partner's tier from its metrics.
//!
//! The product promises that tiers change "never silently, with hysteresis and grace": every
//! decision here comes with the figures behind it, and the service records and notifies every
//! outcome that [`Outcome::needs_record`]. Loading metrics, storing state and sending the
//! notifications are the service's job.

mod engine;
mod explain;
mod ladder;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::metrics::Metric;
use crate::FieldErrors;
use crate::orgs::{Slug, SlugError};

pub use engine::{Check, Evaluation, Outcome, TierCheck, TierOverride, TierState, evaluate};
pub use ladder::Ladder;

/// A tier's stable identifier (`gold`), with the same rules as an organisation [`Slug`] so it
/// is safe in URLs, webhook payloads and filters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct TierKey(String);

impl TierKey {
    /// Parses a tier key.
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        Slug::parse(input).map(|s| Self(s.as_str().to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TierKey {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TierKey> for String {
    fn from(k: TierKey) -> Self {
        k.0
    }
}

impl fmt::Display for TierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tier requirement: `metric` must be at least `at_least` to enter the tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct Requirement {
    /// The metric compared.
    pub metric: Metric,
    /// The entry threshold, in the metric's unit (money in minor units); 0 or more.
    pub at_least: i64,
}

/// One tier of the program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct TierDef {
    /// Stable identifier.
    pub key: TierKey,
    /// Display name (`Gold`).
    pub name: String,
    /// Position on the ladder; higher is better. Unique within the ladder.
    pub rank: u32,
    /// All must hold to enter the tier; none means everyone qualifies.
    pub requirements: Vec<Requirement>,
    /// What the tier gives the partner, for pages.
    pub benefits: Vec<String>,
}

/// How gently partners move down: hysteresis keeps a tier below its entry thresholds, the
/// grace period gives a partner time to recover before it is downgraded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "TierPolicyInput")]
pub struct TierPolicy {
    /// 0–50: how far below an entry threshold a partner keeps its tier.
    hysteresis_percent: u8,
    /// 0–365: how long a partner below its keep thresholds has to recover.
    grace_days: u16,
}

#[derive(Deserialize)]
struct TierPolicyInput {
    hysteresis_percent: u8,
    grace_days: u16,
}

impl TryFrom<TierPolicyInput> for TierPolicy {
    type Error = FieldErrors;
    fn try_from(input: TierPolicyInput) -> Result<Self, Self::Error> {
        Self::new(input.hysteresis_percent, input.grace_days)
    }
}

impl Default for TierPolicy {
    /// 10 % hysteresis and 30 days' grace: a partner keeps Gold at 90 % of the entry figures
    /// and has a month to recover below that, which absorbs one slow quarter-end without
    /// hiding a real decline.
    fn default() -> Self {
        Self {
            hysteresis_percent: 10,
            grace_days: 30,
        }
    }
}

impl TierPolicy {
    /// Most hysteresis; more would let a partner keep a tier at less than half its entry bar.
    pub const MAX_HYSTERESIS_PERCENT: u8 = 50;
    /// Longest grace period.
    pub const MAX_GRACE_DAYS: u16 = 365;

    /// Checks a policy.
    pub fn new(hysteresis_percent: u8, grace_days: u16) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        if hysteresis_percent > Self::MAX_HYSTERESIS_PERCENT {
            e.add("hysteresis_percent", "must be between 0 and 50");
        }
        if grace_days > Self::MAX_GRACE_DAYS {
            e.add("grace_days", "must be between 0 and 365");
        }
        e.into_result()?;
        Ok(Self {
            hysteresis_percent,
            grace_days,
        })
    }

    /// How far below an entry threshold a partner may fall and keep the tier, in percent.
    pub fn hysteresis_percent(self) -> u8 {
        self.hysteresis_percent
    }

    /// Days a partner below its keep thresholds has to recover.
    pub fn grace_days(self) -> u16 {
        self.grace_days
    }

    /// The grace period.
    pub fn grace(self) -> Duration {
        Duration::from_secs(u64::from(self.grace_days) * 24 * 60 * 60)
    }

    /// The keep threshold for an entry threshold: `entry × (100 − h) / 100`, rounded up, so
    /// that the bar is never lower than the percentage promises (a partner needs 3 of 3
    /// certified people at 10 %, not 2.7 rounded down to 2) and 0 % hysteresis keeps exactly
    /// the entry bar.
    pub fn keep_threshold(self, entry: i64) -> i64 {
        let h = i128::from(self.hysteresis_percent.min(Self::MAX_HYSTERESIS_PERCENT));
        let scaled = i128::from(entry) * (100 - h);
        let keep = scaled.div_euclid(100) + i128::from(scaled.rem_euclid(100) > 0);
        i64::try_from(keep).unwrap_or(entry)
    }
}
