//! The validated tier ladder.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{TierDef, TierKey};
use crate::FieldErrors;

/// The program's tiers, lowest rank first. Built only through [`Ladder::new`], also when
/// deserialised, so the engine can rely on unique keys and ranks and at least one tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "LadderInput")]
pub struct Ladder {
    /// 1–12 tiers with unique keys and ranks, lowest rank first.
    tiers: Vec<TierDef>,
}

#[derive(Deserialize)]
struct LadderInput {
    tiers: Vec<TierDef>,
}

impl TryFrom<LadderInput> for Ladder {
    type Error = FieldErrors;
    fn try_from(input: LadderInput) -> Result<Self, Self::Error> {
        Self::new(input.tiers)
    }
}

impl Ladder {
    /// Most tiers.
    pub const MAX_TIERS: usize = 12;
    /// Most benefits per tier.
    pub const MAX_BENEFITS: usize = 20;

    /// Validates tiers (reporting every problem under `tiers[i].…`, indexed as given), trims
    /// names and benefits and sorts by rank.
    pub fn new(mut tiers: Vec<TierDef>) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        if tiers.is_empty() {
            e.add("tiers", "a program needs at least one tier");
        } else if tiers.len() > Self::MAX_TIERS {
            e.add(
                "tiers",
                format!(
                    "at most {} tiers, please ({} given)",
                    Self::MAX_TIERS,
                    tiers.len()
                ),
            );
        }
        let mut keys: HashMap<TierKey, usize> = HashMap::new();
        let mut ranks: HashMap<u32, usize> = HashMap::new();
        for (i, t) in tiers.iter_mut().enumerate() {
            let at = format!("tiers[{i}]");
            if let Some(first) = keys.insert(t.key.clone(), i) {
                e.add(
                    format!("{at}.key"),
                    format!("is already used by tiers[{first}]"),
                );
                keys.insert(t.key.clone(), first);
            }
            if let Some(first) = ranks.insert(t.rank, i) {
                e.add(
                    format!("{at}.rank"),
                    format!("is the same as tiers[{first}]'s"),
                );
                ranks.insert(t.rank, first);
            }
            t.name = t.name.trim().to_owned();
            check_text(&mut e, &format!("{at}.name"), &t.name, 40);
            validate_requirements(&mut e, &at, t);
            if t.benefits.len() > Self::MAX_BENEFITS {
                e.add(
                    format!("{at}.benefits"),
                    format!("at most {} benefits, please", Self::MAX_BENEFITS),
                );
            }
            for (j, b) in t.benefits.iter_mut().enumerate() {
                *b = b.trim().to_owned();
                check_text(&mut e, &format!("{at}.benefits[{j}]"), b, 200);
            }
        }
        e.into_result()?;
        tiers.sort_by_key(|t| t.rank);
        Ok(Self { tiers })
    }

    /// The tier with `key`.
    pub fn get(&self, key: &TierKey) -> Option<&TierDef> {
        self.tiers.iter().find(|t| &t.key == key)
    }

    /// The tiers, lowest first.
    pub fn iter(&self) -> std::slice::Iter<'_, TierDef> {
        self.tiers.iter()
    }

    /// The entry tier.
    pub fn lowest(&self) -> &TierDef {
        // `new` refuses an empty ladder and is the only way to build one.
        &self.tiers[0]
    }

    /// Where `key` stands, counted from the lowest tier.
    pub(crate) fn position(&self, key: &TierKey) -> Option<usize> {
        self.tiers.iter().position(|t| &t.key == key)
    }

    /// The display name for `key`, or the key itself for a tier no longer on the ladder.
    pub(crate) fn name_of(&self, key: &TierKey) -> String {
        self.get(key)
            .map_or_else(|| key.to_string(), |t| t.name.clone())
    }
}

impl<'a> IntoIterator for &'a Ladder {
    type Item = &'a TierDef;
    type IntoIter = std::slice::Iter<'a, TierDef>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

fn check_text(e: &mut FieldErrors, field: &str, text: &str, max: usize) {
    if text.is_empty() {
        e.add(field, "is required");
    } else if text.chars().count() > max {
        e.add(field, format!("can be at most {max} characters"));
    } else if text.chars().any(char::is_control) {
        e.add(field, "contains control characters");
    }
}

fn validate_requirements(e: &mut FieldErrors, at: &str, t: &TierDef) {
    let mut seen = HashMap::new();
    for (j, r) in t.requirements.iter().enumerate() {
        let here = format!("{at}.requirements[{j}]");
        if let Some(first) = seen.insert(r.metric, j) {
            e.add(
                format!("{here}.metric"),
                format!(
                    "{} is already required by requirements[{first}]",
                    r.metric.label()
                ),
            );
            seen.insert(r.metric, first);
        }
        if r.at_least < 0 {
            e.add(format!("{here}.at_least"), "must be 0 or more");
        } else if let Some(max) = r.metric.unit().max()
            && r.at_least > max
        {
            e.add(
                format!("{here}.at_least"),
                format!(
                    "{} is at most {max}, so this could never be met",
                    r.metric.label()
                ),
            );
        }
    }
}
