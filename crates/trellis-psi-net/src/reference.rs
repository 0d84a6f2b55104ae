//! The outcome of a mapping computed in the clear from both sides' inputs: the specification
//! the private protocol is tested against, and what the hosted mode (where one server holds
//! both sides) computes. The semantics are in [`input`](crate::input)'s docs.

use std::collections::{BTreeMap, BTreeSet};

use trellis_psi::Key;

use crate::input::{Cell, Outcome, Overlap, SideInput};

/// What `ours` learns from a mapping with `theirs` (no costs: `stats` is empty).
pub fn outcome(ours: &SideInput, theirs: &SideInput) -> Outcome {
    let mut out = Outcome {
        their_min_count: theirs.min_count,
        their_record_populations: theirs.record_populations,
        ..Outcome::default()
    };
    if theirs.share.counts != 0 {
        out.their_populations = theirs.shared_populations();
        let primary = |side: &SideInput, slot: u8| -> BTreeSet<Key> {
            side.accounts
                .iter()
                .filter(|a| a.populations >> slot & 1 == 1)
                .filter_map(|a| a.keys.first().cloned())
                .collect()
        };
        for o in ours.slots() {
            let mine = primary(ours, o);
            for t in &out.their_populations {
                let count = primary(theirs, t.slot).intersection(&mine).count() as u64;
                out.matrix.push(Cell {
                    ours: o,
                    theirs: t.slot,
                    count,
                });
            }
        }
    }
    if !theirs.share.records.is_empty() {
        // Without a non-empty label the protocol carries none, and cannot count records.
        let labelled = theirs.share.records.iter().any(|(_, l)| !l.is_empty());
        let mut found: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
        for (i, account) in ours.accounts.iter().enumerate() {
            for (r, label) in &theirs.share.records {
                if theirs.accounts[*r]
                    .keys
                    .iter()
                    .any(|k| account.keys.contains(k))
                {
                    let labels = found.entry(i).or_default();
                    if labelled {
                        labels.push(label.clone());
                    }
                }
            }
        }
        out.overlaps = found
            .into_iter()
            .map(|(ours, mut labels)| {
                labels.sort();
                Overlap { ours, labels }
            })
            .collect();
    }
    out
}
