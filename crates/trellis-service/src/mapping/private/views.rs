//! Private mode's two conversions, pure: a side as the PSI engine takes it (its policy
//! applied), and what the engine taught us as the same [`View`] hosted mode stores.
//!
//! A record's label carries the populations it is shared from and its shared fields, so a
//! receiver rebuilds exactly hosted mode's pairs: the columns shared as records are counted
//! from the pairs, the counts-only columns come from the PSI matrix, and the sender's announced
//! minimum count hides what hosted mode hides.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use trellis_domain::mapping::{Builtin, Share, ShareLevel, SharingPolicy};
use trellis_psi_net::{AccountInput, Outcome, PopulationInfo, SideInput};

use super::super::overlap::{Cell, Pair, PopulationRef, Side, View, record_label};

/// What a shared record's label holds.
#[derive(Debug, Serialize, Deserialize)]
struct Label {
    /// The sender's populations the record is shared from (as records).
    populations: Vec<String>,
    /// The fields their policy shares of it.
    fields: Map<String, Value>,
}

/// A side's input to the PSI engine: populations by index, every account's keys and
/// populations, its policy as what it shares.
pub(crate) fn side_input(side: &Side) -> SideInput {
    let counted = side.mask_of(|l| l != ShareLevel::Nothing);
    let recorded = side.mask_of(|l| l == ShareLevel::Records);
    let mut input = SideInput {
        populations: side
            .populations
            .iter()
            .enumerate()
            .map(|(i, p)| PopulationInfo {
                slot: u8::try_from(i).unwrap_or(u8::MAX),
                key: p.key.clone(),
                name: p.name.clone(),
            })
            .collect(),
        accounts: side
            .keys
            .iter()
            .zip(&side.members)
            .map(|(keys, m)| AccountInput {
                keys: keys.clone(),
                populations: *m,
            })
            .collect(),
        min_count: side.policy.min_count.map(u64::from),
        record_populations: recorded,
        ..SideInput::default()
    };
    input.share.counts = counted;
    input.share.records = side
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| *m & recorded != 0)
        .map(|(i, m)| {
            let label = Label {
                populations: side.keys_in(m & recorded).collect(),
                fields: record_label(side, i, m & recorded),
            };
            (i, serde_json::to_vec(&label).unwrap_or_default())
        })
        .collect();
    input
}

/// Their populations as a run keeps them: the ones they share, by slot.
pub(crate) fn their_populations(outcome: &Outcome) -> Vec<PopulationRef> {
    outcome
        .their_populations
        .iter()
        .map(|p| PopulationRef {
            key: p.key.clone(),
            name: p.name.clone(),
            size: p.size,
        })
        .collect()
}

/// Their policy as far as the mapping announced it: the level of each population they share
/// and their minimum count (which fields, only their labels say).
pub(crate) fn their_policy(outcome: &Outcome) -> SharingPolicy {
    SharingPolicy {
        populations: outcome
            .their_populations
            .iter()
            .map(|p| {
                let level = if outcome.their_record_populations >> p.slot & 1 == 1 {
                    ShareLevel::Records
                } else {
                    ShareLevel::Counts
                };
                let share = Share {
                    level,
                    fields: Vec::new(),
                };
                (p.key.clone(), share)
            })
            .collect(),
        min_count: outcome
            .their_min_count
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

/// What we learned, as hosted mode's view of `ours`. Fails on a label this version cannot
/// read.
pub(crate) fn view(ours: &Side, outcome: &Outcome) -> Result<View, String> {
    let their_customers = Builtin::Customers.as_str();
    let our_open = ours.bit_of(Builtin::OpenOpportunities.as_str());
    let mut pairs = Vec::new();
    for o in &outcome.overlaps {
        let members = *ours
            .members
            .get(o.ours)
            .ok_or_else(|| format!("the outcome names account {} we do not have", o.ours))?;
        for bytes in &o.labels {
            let label: Label = serde_json::from_slice(bytes)
                .map_err(|e| format!("the other server shared a record we cannot read: {e}"))?;
            pairs.push(Pair {
                ours: o.ours,
                our_populations: ours.keys_in(members).collect(),
                flagged: label.populations.iter().any(|p| p == their_customers)
                    && members & our_open != 0,
                their_populations: label.populations,
                their_fields: label.fields,
            });
        }
    }
    // Columns shared as records: our accounts with a pair in them, each once.
    let mut listed: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for p in &pairs {
        for t in &p.their_populations {
            listed.entry(t.as_str()).or_default().insert(p.ours);
        }
    }
    let mut cells = Vec::new();
    for (i, mine) in ours.populations.iter().enumerate() {
        for t in &outcome.their_populations {
            let count = if outcome.their_record_populations >> t.slot & 1 == 1 {
                listed.get(t.key.as_str()).map_or(0, |accounts| {
                    accounts
                        .iter()
                        .filter(|a| ours.members[**a] >> i & 1 == 1)
                        .count() as u64
                })
            } else {
                let slot = u8::try_from(i).unwrap_or(u8::MAX);
                outcome.count(slot, t.slot).unwrap_or(0)
            };
            cells.push(Cell {
                ours: mine.key.clone(),
                theirs: t.key.clone(),
                overlap: outcome.shown(count),
            });
        }
    }
    Ok(View { cells, pairs })
}

#[cfg(test)]
#[path = "views_tests.rs"]
mod tests;
