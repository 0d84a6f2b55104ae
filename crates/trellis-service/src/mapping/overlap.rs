//! What one side learns from a mapping: pure computation over both sides' accounts, each
//! side's sharing policy applied for the other. Private mode (PSI) reaches the same view
//! without either side holding the other's data; these are its semantics:
//!
//! - the overlapping pairs match on **any** exact key (domain, or name + country) between our
//!   accounts and their records shared as records, each of their records once per account of
//!   ours, with the fields their policy shares for the populations the record is in;
//! - a matrix cell of a population they share as records counts our accounts in our
//!   population with a pair in theirs: exactly the accounts its drill-down lists;
//! - a cell of a population they share as counts only counts the distinct companies by
//!   **primary key** (the domain key, else name + country) in both: PSI-cardinality carries
//!   one key per account, so a company whose domain only one side knows is not counted;
//! - a count below their minimum is hidden.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};
use trellis_domain::mapping::{Builtin, ShareLevel, SharedField, SharingPolicy};
use trellis_psi::Key;
use trellis_store::mapping::facts::FactsRow;

use super::populations::facts_of;

/// One population as a mapping uses it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PopulationRef {
    pub key: String,
    pub name: String,
    /// Its accounts when the mapping ran.
    pub size: u64,
}

/// One side of a mapping: its accounts, their populations, and its policy for this
/// connection.
pub(crate) struct Side {
    pub populations: Vec<PopulationRef>,
    pub accounts: Vec<FactsRow>,
    /// Per account, the populations it is in (bit `i` = `populations[i]`).
    pub members: Vec<u64>,
    /// Per account, its match keys: primary first.
    pub keys: Vec<Vec<Key>>,
    pub policy: SharingPolicy,
}

impl Side {
    /// Sorts a side's accounts into its populations (at most 64, which creating them
    /// enforces) and derives their keys.
    pub(super) fn new(
        populations: &[super::Population],
        accounts: Vec<FactsRow>,
        policy: SharingPolicy,
    ) -> Self {
        let populations = &populations[..populations.len().min(64)];
        let members: Vec<u64> = accounts
            .iter()
            .map(|a| {
                let facts = facts_of(a);
                populations
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.filter.matches(&facts))
                    .fold(0, |m, (i, _)| m | (1 << i))
            })
            .collect();
        let refs = populations
            .iter()
            .enumerate()
            .map(|(i, p)| PopulationRef {
                key: p.key.clone(),
                name: p.name.clone(),
                size: members.iter().filter(|m| *m & (1 << i) != 0).count() as u64,
            })
            .collect();
        let keys = accounts.iter().map(keys_of).collect();
        Self {
            populations: refs,
            accounts,
            members,
            keys,
            policy,
        }
    }

    pub(super) fn mask_of(&self, level: impl Fn(ShareLevel) -> bool) -> u64 {
        self.populations
            .iter()
            .enumerate()
            .filter(|(_, p)| level(self.policy.share(&p.key).level))
            .fold(0, |m, (i, _)| m | (1 << i))
    }

    pub(super) fn keys_in(&self, mask: u64) -> impl Iterator<Item = String> + '_ {
        self.populations
            .iter()
            .enumerate()
            .filter(move |(i, _)| mask & (1 << i) != 0)
            .map(|(_, p)| p.key.clone())
    }

    fn mask_of_keys(&self, keys: &[String]) -> u64 {
        keys.iter().fold(0, |m, k| m | self.bit_of(k))
    }

    pub(super) fn bit_of(&self, key: &str) -> u64 {
        self.populations
            .iter()
            .position(|p| p.key == key)
            .map_or(0, |i| 1 << i)
    }
}

/// An account's exact keys (DESIGN.md §5), the domain key first when it has one. Its domain
/// is already the registrable domain the CRM import derived from its website.
pub(crate) fn keys_of(a: &FactsRow) -> Vec<Key> {
    let mut keys = Vec::with_capacity(2);
    if !a.domain.is_empty() {
        keys.extend(trellis_psi::keys::registrable_domain(&a.domain));
    }
    keys.extend(trellis_psi::keys::name_country(&a.name, &a.country));
    keys
}

/// One cell of a side's matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    pub ours: String,
    pub theirs: String,
    /// `None` below their minimum count.
    pub overlap: Option<u64>,
}

/// One overlapping pair in a side's view.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pair {
    /// Index into our accounts.
    pub ours: usize,
    pub our_populations: Vec<String>,
    pub their_populations: Vec<String>,
    pub their_fields: Map<String, Value>,
    /// Their customer × our open opportunity: worth a co-sell.
    pub flagged: bool,
}

/// What `ours` learns from `theirs`: the matrix and the pairs their policy lets it see.
pub(crate) struct View {
    pub cells: Vec<Cell>,
    pub pairs: Vec<Pair>,
}

/// What `ours` learns from `theirs` under their policy.
pub(crate) fn view(ours: &Side, theirs: &Side) -> View {
    let counted = theirs.mask_of(|l| l != ShareLevel::Nothing);
    let recorded = theirs.mask_of(|l| l == ShareLevel::Records);
    let pairs = pairs(ours, theirs, recorded);
    View {
        cells: matrix(ours, theirs, counted, recorded, &pairs),
        pairs,
    }
}

/// Every primary key of a side with the populations (within `mask`) holding it.
fn primary_keys(side: &Side, mask: u64) -> HashMap<&Key, u64> {
    let mut out: HashMap<&Key, u64> = HashMap::with_capacity(side.accounts.len());
    for (keys, m) in side.keys.iter().zip(&side.members) {
        if let Some(k) = keys.first().filter(|_| m & mask != 0) {
            *out.entry(k).or_default() |= m & mask;
        }
    }
    out
}

fn matrix(ours: &Side, theirs: &Side, counted: u64, recorded: u64, pairs: &[Pair]) -> Vec<Cell> {
    let n = ours.populations.len();
    let m = theirs.populations.len();
    let mut counts = vec![0_u64; n * m];
    // Columns shared as records: our accounts with a pair in them, each once.
    let listed: BTreeSet<(usize, usize)> = pairs
        .iter()
        .flat_map(|p| {
            bits(theirs.mask_of_keys(&p.their_populations) & recorded).map(move |j| (p.ours, j))
        })
        .collect();
    for (o, j) in listed {
        for i in bits(ours.members[o]) {
            counts[i * m + j] += 1;
        }
    }
    // Columns shared as counts only: companies by primary key.
    let their_keys = primary_keys(theirs, counted & !recorded);
    for (key, our_mask) in primary_keys(ours, u64::MAX) {
        let Some(their_mask) = their_keys.get(key) else {
            continue;
        };
        for i in bits(our_mask) {
            for j in bits(*their_mask) {
                counts[i * m + j] += 1;
            }
        }
    }
    let mut cells = Vec::new();
    for (i, o) in ours.populations.iter().enumerate() {
        for (j, t) in theirs.populations.iter().enumerate() {
            if counted & (1 << j) != 0 {
                cells.push(Cell {
                    ours: o.key.clone(),
                    theirs: t.key.clone(),
                    overlap: theirs.policy.shown(counts[i * m + j]),
                });
            }
        }
    }
    cells
}

fn bits(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |i| mask & (1 << i) != 0)
}

fn pairs(ours: &Side, theirs: &Side, recorded: u64) -> Vec<Pair> {
    // Their shared records by every key.
    let mut by_key: HashMap<&Key, Vec<usize>> = HashMap::new();
    for (t, keys) in theirs.keys.iter().enumerate() {
        if theirs.members[t] & recorded != 0 {
            for k in keys {
                by_key.entry(k).or_default().push(t);
            }
        }
    }
    let their_customers = theirs.bit_of(Builtin::Customers.as_str());
    let our_open = ours.bit_of(Builtin::OpenOpportunities.as_str());
    let mut out = Vec::new();
    for (o, keys) in ours.keys.iter().enumerate() {
        let matched: BTreeSet<usize> = keys
            .iter()
            .filter_map(|k| by_key.get(k))
            .flatten()
            .copied()
            .collect();
        for t in matched {
            let shared = theirs.members[t] & recorded;
            out.push(Pair {
                ours: o,
                our_populations: ours.keys_in(ours.members[o]).collect(),
                their_populations: theirs.keys_in(shared).collect(),
                their_fields: record_label(theirs, t, shared),
                flagged: shared & their_customers != 0 && ours.members[o] & our_open != 0,
            });
        }
    }
    out
}

/// The fields of one of a side's records that its shares for the record's populations
/// allow, together.
pub(super) fn record_label(side: &Side, index: usize, shared: u64) -> Map<String, Value> {
    let wanted: Vec<SharedField> = side
        .keys_in(shared)
        .flat_map(|key| side.policy.share(&key).fields.clone())
        .collect();
    // In the one order every view lists fields in.
    let fields: Vec<SharedField> = SharedField::ALL
        .iter()
        .copied()
        .filter(|f| wanted.contains(f))
        .collect();
    super::shared_fields(&side.accounts[index], &fields)
}

/// Accounts, built-in populations and policies for the tests of both modes' views.
#[cfg(test)]
pub(crate) mod fixtures {
    use trellis_domain::mapping::{Builtin, Share, ShareLevel, SharedField, SharingPolicy};
    use trellis_store::mapping::facts::FactsRow;

    use crate::mapping::Population;

    /// An account in Germany.
    pub(crate) fn account(name: &str, domain: &str, relationship: &str, open: i64) -> FactsRow {
        FactsRow {
            id: uuid::Uuid::now_v7(),
            name: name.into(),
            domain: domain.into(),
            country: "DE".into(),
            industry: "Software".into(),
            account_type: String::new(),
            relationship: relationship.into(),
            owner_name: format!("owner of {name}"),
            employees: Some(50),
            open_opportunities: open,
        }
    }

    /// The three built-in populations.
    pub(crate) fn builtins() -> Vec<Population> {
        Builtin::ALL
            .iter()
            .map(|b| Population {
                id: trellis_domain::PopulationId::new(),
                org_id: trellis_domain::OrgId::new(),
                key: b.as_str().into(),
                name: b.as_str().into(),
                description: String::new(),
                filter: b.filter(),
                builtin: true,
                member_count: 0,
                counted_at: None,
                version: 1,
            })
            .collect()
    }

    /// A policy from `(population, level, fields)`.
    pub(crate) fn policy(
        shares: &[(&str, ShareLevel, &[SharedField])],
        min: Option<u32>,
    ) -> SharingPolicy {
        SharingPolicy {
            populations: shares
                .iter()
                .map(|(k, level, fields)| {
                    let share = Share {
                        level: *level,
                        fields: fields.to_vec(),
                    };
                    ((*k).to_owned(), share)
                })
                .collect(),
            min_count: min,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{account, builtins, policy};
    use super::*;

    fn cell<'a>(v: &'a View, ours: &str, theirs: &str) -> Option<&'a Cell> {
        v.cells
            .iter()
            .find(|c| c.ours == ours && c.theirs == theirs)
    }

    #[test]
    fn each_side_sees_only_what_the_other_shares() {
        let vendor = Side::new(
            &builtins(),
            vec![
                account("Acme", "acme.com", "prospect", 2),
                account("Globex", "globex.com", "customer", 0),
                account("Initech", "", "customer", 0),
            ],
            policy(&[("customers", ShareLevel::Counts, &[])], None),
        );
        let partner = Side::new(
            &builtins(),
            vec![
                // Same company by domain, another name.
                account("ACME GmbH", "acme.com", "customer", 0),
                // Same company by name + country only.
                account("Initech", "initech.de", "customer", 1),
                account("Hidden Co", "hidden.com", "customer", 0),
            ],
            policy(
                &[
                    ("customers", ShareLevel::Records, &[SharedField::Name]),
                    ("prospects", ShareLevel::Counts, &[]),
                ],
                None,
            ),
        );
        let v = view(&vendor, &partner);
        let columns: BTreeSet<&str> = v.cells.iter().map(|c| c.theirs.as_str()).collect();
        assert_eq!(columns, BTreeSet::from(["customers", "prospects"]));
        // Their customers are shared as records: the cells count the accounts listed, Acme
        // by domain and Initech by name + country (no domain on our side).
        assert_eq!(cell(&v, "prospects", "customers").unwrap().overlap, Some(1));
        assert_eq!(cell(&v, "customers", "customers").unwrap().overlap, Some(1));
        assert!(cell(&v, "customers", "open_opportunities").is_none());
        let names: Vec<_> = v
            .pairs
            .iter()
            .map(|p| (v_name(&vendor, p), p.their_fields["name"].clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("Acme".to_owned(), serde_json::json!("ACME GmbH")),
                ("Initech".to_owned(), serde_json::json!("Initech"))
            ]
        );
        assert_eq!(v.pairs[0].their_fields.len(), 1, "only the shared field");
        assert!(v.pairs[0].flagged, "their customer × our open opportunity");
        assert!(!v.pairs[1].flagged);

        // The other way the vendor shares counts of its customers only.
        let p = view(&partner, &vendor);
        assert!(p.pairs.is_empty());
        assert!(p.cells.iter().all(|c| c.theirs == "customers"));
    }

    fn v_name(side: &Side, p: &Pair) -> String {
        side.accounts[p.ours].name.clone()
    }

    #[test]
    fn counts_only_columns_count_companies_by_primary_key() {
        let ours = Side::new(
            &builtins(),
            vec![
                account("Acme", "acme.com", "customer", 0),
                account("Acme Europe", "acme.com", "customer", 0),
                account("Initech", "initech.de", "customer", 0),
            ],
            SharingPolicy::default(),
        );
        let theirs = Side::new(
            &builtins(),
            vec![
                account("ACME", "acme.com", "customer", 0),
                // No website: its primary key is its name, ours is the domain.
                account("Initech", "", "customer", 0),
            ],
            policy(&[("customers", ShareLevel::Counts, &[])], None),
        );
        let v = view(&ours, &theirs);
        // Two accounts of ours, one company by domain; Initech's keys differ.
        assert_eq!(cell(&v, "customers", "customers").unwrap().overlap, Some(1));
    }

    #[test]
    fn counts_below_the_minimum_are_hidden() {
        let ours = Side::new(
            &builtins(),
            vec![account("Acme", "acme.com", "customer", 0)],
            SharingPolicy::default(),
        );
        let theirs = Side::new(
            &builtins(),
            vec![account("Acme", "acme.com", "customer", 0)],
            policy(&[("customers", ShareLevel::Counts, &[])], Some(5)),
        );
        let v = view(&ours, &theirs);
        assert_eq!(cell(&v, "customers", "customers").unwrap().overlap, None);
        assert!(v.pairs.is_empty(), "counts share no records");
    }
}
