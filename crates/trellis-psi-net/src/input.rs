//! What a side brings to a mapping and what it learns from one.
//!
//! The caller (the CLI, later the Trellis server) applies its own sharing policy before it
//! builds a [`SideInput`]: nothing that is not in [`Share`] can reach the other side.
//!
//! Semantics, the same in every mode of transport and in the hosted mode
//! ([`reference::outcome`](crate::reference::outcome) computes them in the clear):
//! - An account's **primary key** is its first key (the domain key when it has one, else name +
//!   country). A matrix cell counts the distinct primary keys present both in our population
//!   `ours` and in their population `theirs` (counts mode, one item per distinct primary key).
//!   Counts mode covers only the populations the sender shares as counts; the receiver enters
//!   all of its own. Every pair appears, zero or not.
//! - An **overlap** is one of our accounts (by index) sharing any key with any record the other
//!   side shares (record mode over all keys), with the labels of those records, each record
//!   once, sorted bytewise. When every label they share is empty the protocol carries no labels
//!   (and cannot tell how many of their records matched), so `labels` is empty.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use trellis_psi::Key;
use trellis_psi::counts::{CountsItem, MAX_POPULATIONS};
use trellis_psi::record::SenderRecord;

use crate::manifest::Run;
use crate::{Error, Result};

/// The longest label the protocol carries (its length travels in two bytes).
pub const MAX_LABEL: usize = u16::MAX as usize - 2;

/// A population of a side: its slot (bit in [`AccountInput::populations`], below 64), its key
/// (`customers`) and its display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationInfo {
    pub slot: u8,
    pub key: String,
    pub name: String,
}

/// One account: its match keys (`trellis_psi::keys::company`; none means it never matches) and
/// the populations it belongs to (bit `s` = slot `s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInput {
    pub keys: Vec<Key>,
    pub populations: u64,
}

/// What the other side may learn from this side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Share {
    /// Populations (bits by slot) whose pair counts the other side may learn.
    pub counts: u64,
    /// Accounts (index into [`SideInput::accounts`]) the other side may see when they overlap,
    /// each with its label: opaque bytes holding the fields the policy allows.
    pub records: Vec<(usize, Vec<u8>)>,
}

/// A side's accounts, populations and sharing, policy applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideInput {
    pub populations: Vec<PopulationInfo>,
    pub accounts: Vec<AccountInput>,
    pub share: Share,
    /// The smallest pair count this side lets the other side display (its policy's minimum),
    /// announced in the manifest. Applied by the receiver's honest software
    /// ([`Outcome::shown`]), not by the protocol: see docs/psi.md, "Security model".
    pub min_count: Option<u64>,
    /// Populations (bits by slot) whose overlapping members this side shares as records,
    /// announced so the receiver can tell a column with no pairs from one never shared.
    pub record_populations: u64,
}

/// A population the other side shares as counts, with its size (distinct primary keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPopulation {
    pub slot: u8,
    pub key: String,
    pub name: String,
    pub size: u64,
}

/// The overlap of our population `ours` with their population `theirs` (slots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub ours: u8,
    pub theirs: u8,
    pub count: u64,
}

/// One of our accounts that overlaps records they share, with those records' labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub ours: usize,
    pub labels: Vec<Vec<u8>>,
}

/// The cost of one sub-protocol, as this side saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStats {
    pub run: Run,
    /// Encoded frames (and request bodies) this side sent, and received.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub frames: u64,
    /// Elements this side entered: keys (records) or items (counts).
    pub elements: u64,
    pub wall: Duration,
}

/// Costs per sub-protocol run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub runs: Vec<RunStats>,
}

/// What this side learned: it is the receiver of the sub-protocols it learns from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The populations they share as counts, by slot.
    pub their_populations: Vec<SharedPopulation>,
    /// Every (our population, their shared population) pair, ordered by our slot then theirs.
    pub matrix: Vec<Cell>,
    /// Our overlapping accounts, by index.
    pub overlaps: Vec<Overlap>,
    /// Their announced minimum count ([`SideInput::min_count`]).
    pub their_min_count: Option<u64>,
    /// Their populations (bits by slot) announced as shared as records.
    pub their_record_populations: u64,
    pub stats: Stats,
}

impl Outcome {
    /// The result without the costs, to compare outcomes.
    #[must_use]
    pub fn without_stats(mut self) -> Self {
        self.stats = Stats::default();
        self
    }

    /// A count as this side may display it: `None` below their announced minimum. The
    /// protocol gave us the exact count; honouring their minimum is up to this software.
    pub fn shown(&self, count: u64) -> Option<u64> {
        match self.their_min_count {
            Some(min) if count < min => None,
            _ => Some(count),
        }
    }

    /// The cell of a pair, if both populations are in the matrix.
    pub fn count(&self, ours: u8, theirs: u8) -> Option<u64> {
        self.matrix
            .iter()
            .find(|c| c.ours == ours && c.theirs == theirs)
            .map(|c| c.count)
    }
}

impl SideInput {
    /// Checks slots, masks, record indices and label sizes; the error names what is wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Input(m));
        let mut declared = 0u64;
        for p in &self.populations {
            if p.slot >= MAX_POPULATIONS {
                return bad(format!(
                    "population {:?} has slot {} (at most 63)",
                    p.key, p.slot
                ));
            }
            if declared >> p.slot & 1 == 1 {
                return bad(format!("two populations use slot {}", p.slot));
            }
            declared |= 1 << p.slot;
        }
        if let Some((i, _)) = self
            .accounts
            .iter()
            .enumerate()
            .find(|(_, a)| a.populations & !declared != 0)
        {
            return bad(format!(
                "account {i} is in a population slot nobody declared"
            ));
        }
        if self.share.counts & !declared != 0 {
            return bad("the counts share names an undeclared population slot".to_owned());
        }
        for (i, label) in &self.share.records {
            if *i >= self.accounts.len() {
                return bad(format!(
                    "a shared record names account {i}, which does not exist"
                ));
            }
            if label.len() > MAX_LABEL {
                return bad(format!(
                    "the label of account {i} is longer than {MAX_LABEL} bytes"
                ));
            }
        }
        Ok(())
    }

    /// Counts-mode items: one per distinct primary key, its populations (within `mask`) the
    /// union over the accounts holding it; keys in no population of `mask` are left out.
    /// Ordered by key, so the same input always gives the same items.
    pub(crate) fn counts_items(&self, mask: u64) -> Vec<CountsItem> {
        let mut by_key: BTreeMap<&Key, u64> = BTreeMap::new();
        for a in &self.accounts {
            if let Some(k) = a.keys.first() {
                *by_key.entry(k).or_default() |= a.populations & mask;
            }
        }
        by_key
            .into_iter()
            .filter(|(_, m)| *m != 0)
            .map(|(k, populations)| CountsItem {
                key: k.clone(),
                populations,
            })
            .collect()
    }

    /// The populations shared as counts, by slot, sized as counts mode counts them.
    pub fn shared_populations(&self) -> Vec<SharedPopulation> {
        let items = self.counts_items(self.share.counts);
        let mut out: Vec<SharedPopulation> = self
            .populations
            .iter()
            .filter(|p| self.share.counts >> p.slot & 1 == 1)
            .map(|p| SharedPopulation {
                slot: p.slot,
                key: p.key.clone(),
                name: p.name.clone(),
                size: items
                    .iter()
                    .filter(|i| i.populations >> p.slot & 1 == 1)
                    .count() as u64,
            })
            .collect();
        out.sort_by_key(|p| p.slot);
        out
    }

    /// This side's populations, by slot.
    pub(crate) fn slots(&self) -> Vec<u8> {
        let mut s: Vec<u8> = self.populations.iter().map(|p| p.slot).collect();
        s.sort_unstable();
        s
    }

    /// Record mode as sender: the shared records with their labels.
    pub(crate) fn sender_records(&self) -> Vec<SenderRecord> {
        self.share
            .records
            .iter()
            .map(|(i, label)| SenderRecord {
                keys: self.accounts[*i].keys.clone(),
                label: label.clone(),
            })
            .collect()
    }

    /// Record mode as receiver: every account's keys.
    pub(crate) fn receiver_records(&self) -> Vec<Vec<Key>> {
        self.accounts.iter().map(|a| a.keys.clone()).collect()
    }

    /// A digest of the whole input, so a file exchange can tell that a side's accounts or
    /// sharing changed between its steps.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"trellis-psi-net side input v1");
        let len = |h: &mut Sha256, n: usize| h.update((n as u64).to_be_bytes());
        len(&mut h, self.populations.len());
        for p in &self.populations {
            h.update([p.slot]);
            for s in [&p.key, &p.name] {
                len(&mut h, s.len());
                h.update(s.as_bytes());
            }
        }
        len(&mut h, self.accounts.len());
        for a in &self.accounts {
            h.update(a.populations.to_be_bytes());
            len(&mut h, a.keys.len());
            for k in &a.keys {
                len(&mut h, k.as_bytes().len());
                h.update(k.as_bytes());
            }
        }
        h.update(self.share.counts.to_be_bytes());
        h.update(self.min_count.map_or([0xff; 8], u64::to_be_bytes));
        h.update(self.record_populations.to_be_bytes());
        len(&mut h, self.share.records.len());
        for (i, label) in &self.share.records {
            len(&mut h, *i);
            len(&mut h, label.len());
            h.update(label);
        }
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_psi::keys::registrable_domain;

    fn side() -> SideInput {
        let k = |d: &str| registrable_domain(d).unwrap();
        SideInput {
            populations: vec![
                PopulationInfo {
                    slot: 0,
                    key: "customers".into(),
                    name: "Customers".into(),
                },
                PopulationInfo {
                    slot: 2,
                    key: "prospects".into(),
                    name: "Prospects".into(),
                },
            ],
            accounts: vec![
                AccountInput {
                    keys: vec![k("a.example"), k("b.example")],
                    populations: 1,
                },
                AccountInput {
                    keys: vec![k("a.example")],
                    populations: 4,
                },
                AccountInput {
                    keys: vec![],
                    populations: 5,
                },
            ],
            share: Share {
                counts: 4,
                records: vec![(0, b"x".to_vec())],
            },
            ..SideInput::default()
        }
    }

    #[test]
    fn items_are_distinct_primary_keys_with_the_union_of_their_populations() {
        let s = side();
        let items = s.counts_items(u64::MAX);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].populations, 5);
        assert_eq!(s.counts_items(4)[0].populations, 4);
        let shared = s.shared_populations();
        assert_eq!(shared.len(), 1);
        assert_eq!((shared[0].slot, shared[0].size), (2, 1));
    }

    #[test]
    fn bad_slots_masks_and_records_are_named() {
        let mut s = side();
        s.accounts[1].populations = 2;
        assert!(s.validate().unwrap_err().to_string().contains("account 1"));
        let mut s = side();
        s.share.records.push((9, vec![]));
        assert!(s.validate().unwrap_err().to_string().contains("account 9"));
        let mut s = side();
        s.populations[1].slot = 0;
        assert!(s.validate().unwrap_err().to_string().contains("slot 0"));
        assert!(side().validate().is_ok());
        assert_ne!(side().digest(), s.digest());
    }
}
