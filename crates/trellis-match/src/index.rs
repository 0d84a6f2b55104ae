//! The candidate index: which of many records could be the same company as a probe, found
//! without comparing the probe to every record.
//!
//! Three kinds of block:
//! - the registrable domain, exact;
//! - the compact name key, exact (after folding "ae"/"ä" spellings);
//! - names a typo apart (see [`typo_edits`]), through character trigrams. A name within `k`
//!   edits of the probe's shares all but at most `4k` of its distinct trigrams (an edit spoils
//!   at most four), so it appears in at least `p - 4k` of any `p` of the probe's trigram
//!   lists. Only the rarest few lists are read, of the lengths a typo allows (prefix and
//!   length filtering); the records counted often enough there pass a trigram-count filter
//!   before the edit distance is computed.
//!
//! No pair within the typo bound is missed; the benchmarks measure what the bound costs.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::name::{edits, edits_within, fold_digraphs};
use crate::record::Prepared;
use crate::score::{NameAgreement, Reason, compare, name_agreement, typo_edits};

/// Matching thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// A pair scoring at least this is a match.
    pub min_score: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { min_score: 0.5 }
    }
}

/// A candidate: an indexed record, its score against the probe, and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'a, T> {
    pub id: &'a T,
    pub score: f64,
    pub reason: Reason,
}

/// The most trigrams one edit can spoil: three for an insertion, deletion or substitution,
/// four for a swap of neighbours (one edit in optimal string alignment).
const SPOILED: usize = 4;

/// Lists read beyond the `4k` a candidate may miss: a candidate must then appear in this many
/// of them, which keeps the names compared few.
const EXTRA_LISTS: usize = 6;

/// A domain shared by more records than this identifies no company (a hosting platform, a
/// reseller's own domain typed into its customers' contacts): its block is skipped, and such
/// records are found by their names alone. Without the cap one such domain makes every probe
/// that carries it score thousands of records.
pub(crate) const MAX_DOMAIN_BLOCK: usize = 256;

/// Reusable working memory for lookups; one per thread.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Per slot, in how many of the probe's scanned trigram lists it appears.
    counts: Vec<u8>,
    touched: Vec<u32>,
    /// Slots already reported for this probe.
    reported: Vec<u32>,
    grams: Vec<u32>,
    /// The probe's grams with their inverted-list lengths, rarest first.
    by_rarity: Vec<(usize, u32)>,
}

/// Records indexed for matching, each with the caller's id.
#[derive(Debug)]
pub struct Index<T> {
    config: Config,
    ids: Vec<T>,
    records: Vec<Prepared>,
    /// Each record's distinct trigrams, sorted, at `gram_starts[slot]..gram_starts[slot + 1]`.
    grams: Vec<u32>,
    gram_starts: Vec<usize>,
    live: Vec<bool>,
    live_count: usize,
    by_domain: FxHashMap<Box<str>, Vec<u32>>,
    by_key: FxHashMap<Box<str>, Vec<u32>>,
    /// Inverted lists by trigram and key length: a typo changes the length by at most the
    /// edits allowed, so a probe reads only the lists of the lengths it could match.
    by_gram: FxHashMap<u64, Vec<u32>>,
}

impl<T> Index<T> {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            ids: Vec::new(),
            records: Vec::new(),
            grams: Vec::new(),
            gram_starts: vec![0],
            live: Vec::new(),
            live_count: 0,
            by_domain: FxHashMap::default(),
            by_key: FxHashMap::default(),
            by_gram: FxHashMap::default(),
        }
    }

    pub fn config(&self) -> Config {
        self.config
    }

    /// Records in the index.
    pub fn len(&self) -> usize {
        self.live_count
    }

    pub fn is_empty(&self) -> bool {
        self.live_count == 0
    }

    /// Adds a record; the returned slot removes it again.
    pub fn insert(&mut self, id: T, record: Prepared) -> usize {
        // Slots are u32 to halve the inverted lists; four billion records is beyond any CRM.
        let slot = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        let key = record.key.compact();
        if !key.is_empty() {
            self.by_key
                .entry(fold_digraphs(key).into())
                .or_default()
                .push(slot);
            let start = self.grams.len();
            trigrams(key, &mut self.grams);
            for &g in &self.grams[start..] {
                self.by_gram
                    .entry(gram_key(g, key.len()))
                    .or_default()
                    .push(slot);
            }
        }
        self.gram_starts.push(self.grams.len());
        if let Some(d) = &record.domain {
            self.by_domain
                .entry(d.as_str().into())
                .or_default()
                .push(slot);
        }
        self.ids.push(id);
        self.records.push(record);
        self.live.push(true);
        self.live_count += 1;
        slot as usize
    }

    /// Removes a record (it stays in memory, unseen, until the index is rebuilt).
    pub fn remove(&mut self, slot: usize) {
        if let Some(live) = self.live.get_mut(slot)
            && *live
        {
            *live = false;
            self.live_count -= 1;
        }
    }

    /// Every candidate for the probe, best first: records with the same domain, the same
    /// name or a name a typo apart, scored.
    pub fn candidates<'a>(
        &'a self,
        probe: &Prepared,
        scratch: &mut Scratch,
    ) -> Vec<Candidate<'a, T>> {
        let mut out = Vec::new();
        self.visit(probe, scratch, |slot, name| {
            let reason = compare(&self.records[slot], probe, name);
            out.push(Candidate {
                id: &self.ids[slot],
                score: reason.score(),
                reason,
            });
        });
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out
    }

    /// The best candidate scoring at least `min_score`; the first indexed wins a tie.
    pub fn best<'a>(&'a self, probe: &Prepared, scratch: &mut Scratch) -> Option<Candidate<'a, T>> {
        let mut best: Option<(usize, Candidate<'a, T>)> = None;
        self.visit(probe, scratch, |slot, name| {
            let reason = compare(&self.records[slot], probe, name);
            let score = reason.score();
            let better = match &best {
                None => true,
                Some((s, top)) => score.total_cmp(&top.score).then(s.cmp(&slot)).is_gt(),
            };
            if better && score >= self.config.min_score {
                let id = &self.ids[slot];
                best = Some((slot, Candidate { id, score, reason }));
            }
        });
        best.map(|(_, candidate)| candidate)
    }

    /// The best match in this index for each probe, over all cores.
    pub fn best_of_each<'a>(&'a self, probes: &[Prepared]) -> Vec<Option<Candidate<'a, T>>>
    where
        T: Sync,
    {
        probes
            .par_iter()
            .map_init(Scratch::default, |scratch, probe| self.best(probe, scratch))
            .collect()
    }

    /// Calls `found` once per candidate slot with its name agreement.
    fn visit(
        &self,
        probe: &Prepared,
        scratch: &mut Scratch,
        mut found: impl FnMut(usize, NameAgreement),
    ) {
        scratch.reported.clear();
        let key = probe.key.compact();
        if !key.is_empty() {
            for &slot in postings(&self.by_key, &fold_digraphs(key)) {
                if self.live[slot as usize] {
                    scratch.reported.push(slot);
                    found(slot as usize, NameAgreement::Equal);
                }
            }
            self.typo_candidates(key, scratch, &mut found);
        }
        if let Some(domain) = &probe.domain {
            let block = postings(&self.by_domain, domain);
            if block.len() > MAX_DOMAIN_BLOCK {
                return;
            }
            for &slot in block {
                let s = slot as usize;
                if self.live[s] && !scratch.reported.contains(&slot) {
                    scratch.reported.push(slot);
                    let other = self.records[s].key.compact();
                    found(s, name_agreement(other, key, edits(other, key)));
                }
            }
        }
    }

    /// Records whose names are a typo apart from `key` (equal names are found already).
    ///
    /// A candidate `k` edits away misses at most `4k` of the probe's trigrams, so it appears
    /// in at least `p - 4k` of any `p` of their lists. Reading the `p = 4k + 6` rarest lists
    /// and keeping the slots counted at least `p - 4k` times finds every candidate while
    /// reading few lists and comparing few names.
    fn typo_candidates(
        &self,
        key: &str,
        scratch: &mut Scratch,
        found: &mut impl FnMut(usize, NameAgreement),
    ) {
        // The most edits any candidate may have: one as long as the probe plus that many.
        let max_edits = typo_edits(key.len() + typo_edits(key.len() + 2));
        if max_edits == 0 {
            return;
        }
        scratch.grams.clear();
        trigrams(key, &mut scratch.grams);
        let probe_grams = scratch.grams.len();
        scratch.counts.resize(self.records.len(), 0);
        // Each length on its own: every record has one, and its lists differ in rarity.
        for len in key.len().saturating_sub(max_edits).max(1)..=key.len() + max_edits {
            let allowed = typo_edits(len.max(key.len()));
            if len.abs_diff(key.len()) > allowed || allowed == 0 {
                continue;
            }
            scratch.by_rarity.clear();
            for &g in &scratch.grams {
                scratch.by_rarity.push((self.gram_list(g, len).len(), g));
            }
            scratch.by_rarity.sort_unstable();
            let lists = (SPOILED * allowed + EXTRA_LISTS).min(probe_grams);
            scratch.touched.clear();
            // Split borrows: the hot loop then knows the counts do not move under it.
            let (counts, touched) = (&mut scratch.counts[..], &mut scratch.touched);
            for &(_, gram) in &scratch.by_rarity[..lists] {
                for &slot in self.gram_list(gram, len) {
                    let count = &mut counts[slot as usize];
                    if *count == 0 {
                        touched.push(slot);
                    }
                    *count += 1;
                }
            }
            for &slot in &scratch.touched {
                let s = slot as usize;
                let count = usize::from(std::mem::take(&mut scratch.counts[s]));
                if count + SPOILED * allowed < lists
                    || !self.live[s]
                    || scratch.reported.contains(&slot)
                {
                    continue;
                }
                let theirs = &self.grams[self.gram_starts[s]..self.gram_starts[s + 1]];
                if shared(&scratch.grams, theirs) + SPOILED * allowed
                    < probe_grams.max(theirs.len())
                {
                    continue;
                }
                let other = self.records[s].key.compact();
                if let Some(e) = edits_within(other, key, allowed)
                    && e > 0
                {
                    found(s, NameAgreement::Edits(e));
                }
            }
        }
    }

    fn gram_list(&self, gram: u32, len: usize) -> &[u32] {
        self.by_gram
            .get(&gram_key(gram, len))
            .map_or(&[], Vec::as_slice)
    }
}

/// The inverted-list key of a trigram in keys of one length.
fn gram_key(gram: u32, len: usize) -> u64 {
    (u64::from(gram) << 32) | len as u64
}

fn postings<'m>(map: &'m FxHashMap<Box<str>, Vec<u32>>, key: &str) -> &'m [u32] {
    map.get(key).map_or(&[], Vec::as_slice)
}

/// How many values two sorted, distinct lists share. Branch-free: which side advances is
/// data, not a jump the processor has to guess.
fn shared(left: &[u32], right: &[u32]) -> usize {
    let (mut l, mut r, mut both) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        let (x, y) = (left[l], right[r]);
        both += usize::from(x == y);
        l += usize::from(x <= y);
        r += usize::from(y <= x);
    }
    both
}

/// Appends the distinct trigrams of a compact key, sorted, padded so that its first and last
/// characters take part in three trigrams like the others.
fn trigrams(key: &str, out: &mut Vec<u32>) {
    if key.is_empty() {
        return;
    }
    let start = out.len();
    let bytes = key.as_bytes();
    // Two padding positions before the key and two after.
    let at = |i: usize| -> u32 {
        match i.checked_sub(2) {
            None => u32::from(b'^'),
            Some(j) => bytes.get(j).map_or(u32::from(b'$'), |b| u32::from(*b)),
        }
    };
    for i in 0..bytes.len() + 2 {
        out.push((at(i) << 16) | (at(i + 1) << 8) | at(i + 2));
    }
    out[start..].sort_unstable();
    let mut distinct = out.split_off(start);
    distinct.dedup();
    out.append(&mut distinct);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::fold_digraphs;
    use crate::record::Company;

    fn company(name: &str, website: &str, country: &str) -> Prepared {
        Prepared::new(&Company {
            name: name.into(),
            website: (!website.is_empty()).then(|| website.into()),
            email: None,
            country: (!country.is_empty()).then(|| country.into()),
        })
    }

    fn index(records: &[(&'static str, Prepared)]) -> Index<&'static str> {
        let mut index = Index::new(Config::default());
        for (id, p) in records {
            index.insert(*id, p.clone());
        }
        index
    }

    #[test]
    fn finds_typos_spacing_and_legal_form_variants() {
        let idx = index(&[
            (
                "a",
                company("Acme Logistics GmbH", "acme-logistics.de", "DE"),
            ),
            ("b", company("Acme Bank AG", "acmebank.de", "DE")),
            ("c", company("Globex Corporation", "", "US")),
        ]);
        let mut s = Scratch::default();
        let best = |name, web, country, s: &mut Scratch| {
            idx.best(&company(name, web, country), s).map(|c| *c.id)
        };
        assert_eq!(best("ACME LOGISTCS", "", "Germany", &mut s), Some("a"));
        assert_eq!(best("Acme Logi stics Inc.", "", "DE", &mut s), Some("a"));
        assert_eq!(
            best("Whatever", "https://www.acmebank.de/kontakt", "", &mut s),
            Some("b")
        );
        assert_eq!(best("The Globex Corp", "", "USA", &mut s), Some("c"));
        assert_eq!(best("Globex", "", "FR", &mut s), None);
        assert_eq!(best("Acme Software", "", "DE", &mut s), None);
    }

    #[test]
    fn candidates_are_ranked_with_reasons() {
        let idx = index(&[
            (
                "exact",
                company("Acme Logistics", "acmelogistics.com", "US"),
            ),
            ("typo", company("Acme Logistic", "", "US")),
            (
                "other",
                company("Acme Logistics", "acmelogistics2.com", "US"),
            ),
        ]);
        let probe = company("Acme Logistics Inc", "www.acmelogistics.com", "US");
        let found = idx.candidates(&probe, &mut Scratch::default());
        let ids: Vec<_> = found.iter().map(|c| *c.id).collect();
        assert_eq!(ids, ["exact", "typo", "other"]);
        assert_eq!(
            found[0].reason.to_string(),
            "same registrable domain acmelogistics.com + name equal + same country US"
        );
        assert!(found[2].score < 0.5, "{}", found[2].reason);
    }

    #[test]
    fn a_domain_shared_by_very_many_records_is_not_a_block() {
        let mut idx = Index::new(Config::default());
        for i in 0..=MAX_DOMAIN_BLOCK {
            idx.insert(i, company(&format!("Customer {i:04}"), "hoster.com", ""));
        }
        let mut s = Scratch::default();
        // Another company on the crowded domain is found by its name only.
        let found = idx.candidates(&company("Customer 0007", "hoster.com", ""), &mut s);
        assert_eq!(found.first().map(|c| *c.id), Some(7));
        let by_name = idx.candidates(&company("Customer 0007", "", ""), &mut s);
        assert_eq!(found.len(), by_name.len());
        // Below the cap the domain is a block as usual.
        idx = Index::new(Config::default());
        for i in 0..MAX_DOMAIN_BLOCK {
            idx.insert(i, company(&format!("Customer {i:04}"), "hoster.com", ""));
        }
        let found = idx.candidates(&company("Zeta", "hoster.com", ""), &mut s);
        assert_eq!(found.len(), MAX_DOMAIN_BLOCK);
    }

    #[test]
    fn removed_records_are_not_found() {
        let mut idx = index(&[("a", company("Acme", "acme.com", ""))]);
        idx.remove(0);
        idx.remove(0);
        assert!(idx.is_empty());
        assert!(
            idx.candidates(&company("Acme", "acme.com", ""), &mut Scratch::default())
                .is_empty()
        );
    }

    #[test]
    fn blocking_finds_exactly_the_names_within_the_typo_bound() {
        // Against brute force over every pair: prefix and count filtering lose nothing.
        let data = crate::benchmark::generate(600, 11);
        let ours: Vec<Prepared> = data.ours.iter().map(Prepared::new).collect();
        let mut idx = Index::new(Config::default());
        for (i, p) in ours.iter().enumerate() {
            idx.insert(
                i,
                Prepared {
                    domain: None,
                    ..p.clone()
                },
            );
        }
        let mut s = Scratch::default();
        for theirs in &data.theirs {
            let probe = Prepared {
                domain: None,
                ..Prepared::new(theirs)
            };
            let key = probe.key.compact();
            let mut found: Vec<usize> = idx
                .candidates(&probe, &mut s)
                .iter()
                .map(|c| *c.id)
                .collect();
            found.sort_unstable();
            let want: Vec<usize> = (0..ours.len())
                .filter(|&i| {
                    let other = ours[i].key.compact();
                    let e = edits(other, key);
                    !key.is_empty()
                        && !other.is_empty()
                        && (e <= crate::score::typo_edits(other.len().max(key.len()))
                            || fold_digraphs(other) == fold_digraphs(key))
                })
                .collect();
            assert_eq!(
                found,
                want,
                "{key} vs {:?}",
                want.iter()
                    .map(|&i| ours[i].key.compact())
                    .collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn the_count_filter_loses_no_pair_within_the_edit_bound() {
        // Every single edit of a name is found, whatever position it hits.
        let name = "pinnaclerobotics";
        let idx = index(&[("p", company(name, "", ""))]);
        let mut s = Scratch::default();
        for i in 0..name.len() {
            let deleted = format!("{}{}", &name[..i], &name[i + 1..]);
            let substituted = format!("{}x{}", &name[..i], &name[i + 1..]);
            for probe in [deleted, substituted] {
                assert_eq!(
                    idx.candidates(&company(&probe, "", ""), &mut s).len(),
                    1,
                    "{probe}"
                );
            }
        }
    }
}
