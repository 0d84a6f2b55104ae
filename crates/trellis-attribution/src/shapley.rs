//! Shapley values: each converting journey's conversions and value are split among its
//! distinct channels by their Shapley values in the conversion-rate game of that journey's
//! channel set.
//!
//! The game: a coalition `S` of channels is worth the conversion rate of the journeys whose
//! channels were exactly `S` (conversions ÷ journeys, nulls included). A coalition no journey
//! had on its own is worth the best rate of the coalitions inside it that were seen, and the
//! empty coalition is worth nothing. For a converting set `T`, each channel's Shapley value
//! `φᵢ` is its marginal worth averaged over every order the channels of `T` could have come
//! in; the values add up to the worth of `T` (efficiency), so `φᵢ ÷ worth(T)` are shares that
//! sum to one and split `T`'s conversions and value. Order within a journey does not matter.
//!
//! A share can be negative: when journeys that add a channel convert worse than journeys
//! without it, Shapley says so rather than hide it, and the value is then split with signed
//! weights (the parts still sum exactly).
//!
//! Sets of up to [`Options::exact_max`] channels (12 by default, 4,096 coalitions) are solved
//! exactly. Larger sets are estimated from random orders of their channels: the
//! marginals of each order telescope to the set's worth, so the estimates stay efficient, and
//! as every marginal lies in [−1, 1] Hoeffding's inequality, with a union bound over every
//! sampled (set, channel) pair, bounds the error of every channel's attributed conversions at
//! the stated confidence ([`Shapley::error`]).

use rand::SeedableRng as _;
use rand::seq::SliceRandom as _;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::money::apportion;
use crate::{Attribution, Channel, Journeys};

/// How the Shapley values are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Sets with more distinct channels than this are sampled (at most [`EXACT_LIMIT`]).
    pub exact_max: usize,
    /// Random orders drawn per sampled set.
    pub permutations: usize,
    /// Seeds the random orders, so that a run can be replayed.
    pub seed: u64,
    /// The probability with which [`Shapley::error`] holds, in (0, 1).
    pub confidence: f64,
}

/// The most channels a set may have and still be solved exactly (2^20 coalitions).
pub const EXACT_LIMIT: usize = 20;

impl Default for Options {
    fn default() -> Self {
        Self {
            exact_max: 12,
            permutations: 2_000,
            seed: 0,
            confidence: 0.95,
        }
    }
}

impl Options {
    pub fn validate(&self) -> Result<(), ShapleyError> {
        if self.exact_max > EXACT_LIMIT {
            return Err(ShapleyError::ExactMax(self.exact_max));
        }
        if self.permutations == 0 {
            return Err(ShapleyError::Permutations);
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(ShapleyError::Confidence(self.confidence));
        }
        Ok(())
    }
}

/// The Shapley attribution and how exact it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Shapley {
    pub attribution: Attribution,
    /// Per channel, how far its attributed conversions may be from the exact Shapley split,
    /// with probability [`Options::confidence`]; zero when every set was solved exactly.
    pub error: Vec<f64>,
    /// Distinct channel sets that converted.
    pub sets: usize,
    /// Of those, the sets estimated by sampling.
    pub sampled: usize,
}

/// What the journeys with exactly one channel set did.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    journeys: u64,
    conversions: u64,
    value: i64,
}

impl Tally {
    /// The conversion rate, the worth of a coalition seen on its own.
    #[allow(
        clippy::cast_precision_loss,
        reason = "journey counts are far below 2^52"
    )]
    fn rate(&self) -> f64 {
        if self.journeys == 0 {
            0.0
        } else {
            self.conversions as f64 / self.journeys as f64
        }
    }
}

/// Attributes every converting journey's conversions and value by Shapley values.
pub fn attribute(journeys: &Journeys, options: &Options) -> Result<Shapley, ShapleyError> {
    options.validate()?;
    let sets = tally(journeys);
    let converting: Vec<(&[Channel], &Tally)> = sets
        .iter()
        .filter(|(_, t)| t.conversions > 0)
        .map(|(k, t)| (&**k, t))
        .collect();
    let sampled: Vec<&[Channel]> = converting
        .iter()
        .filter(|(set, _)| set.len() > options.exact_max)
        .map(|(set, _)| *set)
        .collect();
    let index = (!sampled.is_empty()).then(|| Inverted::new(&sets));
    // Hoeffding with a union bound over every sampled (set, channel) pair: each marginal lies
    // in [−1, 1], so an average of m of them is off by ε = sqrt(2 ln(2P/δ) / m) or more with
    // probability at most δ/P.
    #[allow(clippy::cast_precision_loss, reason = "counts are small")]
    let epsilon = {
        let pairs: usize = sampled.iter().map(|s| s.len()).sum();
        let delta = 1.0 - options.confidence;
        (2.0 * (2.0 * pairs.max(1) as f64 / delta).ln() / options.permutations as f64).sqrt()
    };
    let n = journeys.channels().len();
    let zero = || (vec![0.0; n], vec![0i64; n], vec![0.0; n]);
    let (conversions, value, error) = converting
        .par_iter()
        .enumerate()
        .map(|(k, (set, t))| {
            let phi = match &index {
                Some(index) if set.len() > options.exact_max => {
                    sampled_values(set, index, options, k as u64)
                }
                _ => exact_values(set, &sets),
            };
            (set, t, phi)
        })
        .fold(zero, |(mut conv, mut val, mut err), (set, t, phi)| {
            let worth = t.rate();
            #[allow(
                clippy::cast_precision_loss,
                reason = "conversion counts are far below 2^52"
            )]
            let converted = t.conversions as f64;
            let parts = apportion(t.value, &phi).unwrap_or_else(|| vec![0; phi.len()]);
            for ((&c, share), part) in set.iter().zip(&phi).zip(parts) {
                conv[c as usize] += converted * share / worth;
                val[c as usize] += part;
                if set.len() > options.exact_max {
                    err[c as usize] += converted * epsilon / worth;
                }
            }
            (conv, val, err)
        })
        .reduce(zero, |(mut a, mut b, mut c), (x, y, z)| {
            a.iter_mut().zip(x).for_each(|(a, x)| *a += x);
            b.iter_mut().zip(y).for_each(|(b, y)| *b += y);
            c.iter_mut().zip(z).for_each(|(c, z)| *c += z);
            (a, b, c)
        });
    Ok(Shapley {
        attribution: Attribution {
            channels: journeys.channels().to_vec(),
            conversions,
            value,
        },
        error,
        sets: converting.len(),
        sampled: sampled.len(),
    })
}

/// Journeys tallied by their set of distinct channels (sorted).
fn tally(journeys: &Journeys) -> FxHashMap<Box<[Channel]>, Tally> {
    let mut sets: FxHashMap<Box<[Channel]>, Tally> = FxHashMap::default();
    let mut key = Vec::new();
    for j in journeys.journeys() {
        key.clear();
        key.extend_from_slice(&j.touches);
        key.sort_unstable();
        key.dedup();
        if key.is_empty() {
            continue;
        }
        let row = Tally {
            journeys: j.conversions + j.nulls,
            conversions: j.conversions,
            value: j.value,
        };
        if let Some(t) = sets.get_mut(key.as_slice()) {
            t.journeys += row.journeys;
            t.conversions += row.conversions;
            t.value += row.value;
        } else {
            sets.insert(key.clone().into_boxed_slice(), row);
        }
    }
    sets
}

/// The Shapley values of `set`'s channels (in its order), over all 2^k coalitions.
fn exact_values(set: &[Channel], sets: &FxHashMap<Box<[Channel]>, Tally>) -> Vec<f64> {
    let k = set.len();
    let size = 1usize << k;
    // best[m]: the best rate seen among the coalitions inside m; worth[m]: m's own rate when
    // journeys had exactly m, else best[m].
    let mut best = vec![0.0f64; size];
    let mut worth = vec![0.0f64; size];
    let mut key = Vec::with_capacity(k);
    for m in 1..size {
        key.clear();
        key.extend((0..k).filter(|i| m >> i & 1 == 1).map(|i| set[i]));
        let seen = sets.get(key.as_slice()).map(Tally::rate);
        let inside = (0..k)
            .filter(|i| m >> i & 1 == 1)
            .map(|i| best[m ^ (1 << i)])
            .fold(0.0, f64::max);
        best[m] = seen.map_or(inside, |r| r.max(inside));
        worth[m] = seen.unwrap_or(inside);
    }
    // A coalition of s others comes before channel i in s!(k−s−1)!/k! of the orders.
    #[allow(clippy::cast_precision_loss, reason = "k is at most 20")]
    let weight: Vec<f64> = (0..k)
        .map(|s| 1.0 / (k as f64 * binomial(k - 1, s)))
        .collect();
    (0..k)
        .map(|i| {
            let bit = 1 << i;
            (0..size)
                .filter(|m| m & bit == 0)
                .map(|m| weight[m.count_ones() as usize] * (worth[m | bit] - worth[m]))
                .sum()
        })
        .collect()
}

#[allow(clippy::cast_precision_loss, reason = "n is at most 20")]
fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// For each channel, the observed sets containing it: finds the coalitions inside a large set
/// without enumerating its subsets.
struct Inverted<'a> {
    by_channel: FxHashMap<Channel, Vec<(&'a [Channel], f64)>>,
}

impl<'a> Inverted<'a> {
    fn new(sets: &'a FxHashMap<Box<[Channel]>, Tally>) -> Self {
        let mut by_channel: FxHashMap<Channel, Vec<(&'a [Channel], f64)>> = FxHashMap::default();
        for (set, t) in sets {
            by_channel
                .entry(set[0])
                .or_default()
                .push((&**set, t.rate()));
        }
        Self { by_channel }
    }

    /// The observed sets inside `set` with their rates: each is listed under its smallest
    /// channel, so only those lists are read.
    fn inside(&self, set: &[Channel]) -> Vec<(&'a [Channel], f64)> {
        set.iter()
            .filter_map(|c| self.by_channel.get(c))
            .flatten()
            .filter(|(s, _)| s.iter().all(|c| set.binary_search(c).is_ok()))
            .copied()
            .collect()
    }
}

/// Shapley values of `set`'s channels estimated from random orders of them.
fn sampled_values(
    set: &[Channel],
    index: &Inverted<'_>,
    options: &Options,
    stream: u64,
) -> Vec<f64> {
    let k = set.len();
    // The coalitions inside the set, as positions, and for each position those it completes.
    let inside = index.inside(set);
    let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, (coalition, _)) in inside.iter().enumerate() {
        for c in *coalition {
            if let Ok(p) = set.binary_search(c) {
                member_of[p].push(i);
            }
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(options.seed);
    rng.set_stream(stream);
    let mut order: Vec<usize> = (0..k).collect();
    let mut missing = vec![0usize; inside.len()];
    let mut total = vec![0.0f64; k];
    for _ in 0..options.permutations {
        order.shuffle(&mut rng);
        for (m, (coalition, _)) in missing.iter_mut().zip(&inside) {
            *m = coalition.len();
        }
        let (mut best, mut before) = (0.0f64, 0.0f64);
        for (len, &p) in order.iter().enumerate() {
            let mut exact = None;
            for &i in &member_of[p] {
                missing[i] -= 1;
                if missing[i] == 0 {
                    let (coalition, rate) = inside[i];
                    best = best.max(rate);
                    if coalition.len() == len + 1 {
                        exact = Some(rate);
                    }
                }
            }
            let now = exact.unwrap_or(best);
            total[p] += now - before;
            before = now;
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "permutation counts are small")]
    let m = options.permutations as f64;
    total.into_iter().map(|t| t / m).collect()
}

/// Why Shapley values could not be computed with these options.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShapleyError {
    #[error("sets of up to {EXACT_LIMIT} channels can be solved exactly, not {0}")]
    ExactMax(usize),
    #[error("at least one permutation must be sampled")]
    Permutations,
    #[error("the confidence is {0}; it must be between 0 and 1")]
    Confidence(f64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Journey;
    use proptest::prelude::*;

    fn by_name(s: &Shapley, name: &str) -> (f64, i64) {
        let i = s
            .attribution
            .channels
            .iter()
            .position(|c| c == name)
            .unwrap();
        (s.attribution.conversions[i], s.attribution.value[i])
    }

    /// A alone converts 1 in 10, B alone 1 in 50, A with B 3 in 10: on the A+B journeys
    /// φ_A = ½·0.1 + ½·(0.3 − 0.02) = 0.19 and φ_B = ½·0.02 + ½·(0.3 − 0.1) = 0.11.
    #[test]
    fn two_channels_by_hand() {
        let js = Journeys::from_rows(&[
            ("A", 1, 100, 9),
            ("B", 1, 100, 49),
            ("A > B > A", 3, 3_000, 7),
        ]);
        let s = attribute(&js, &Options::default()).unwrap();
        let (a, av) = by_name(&s, "A");
        let (b, bv) = by_name(&s, "B");
        assert!((a - (1.0 + 3.0 * 0.19 / 0.3)).abs() < 1e-12, "{a}");
        assert!((b - (1.0 + 3.0 * 0.11 / 0.3)).abs() < 1e-12, "{b}");
        assert_eq!((av, bv), (100 + 1_900, 100 + 1_100));
        assert_eq!(s.error, vec![0.0, 0.0]);
        assert_eq!((s.sets, s.sampled), (3, 0));
    }

    /// Journeys that add B convert worse than A alone: B's share of them is negative, and the
    /// money still adds up.
    #[test]
    fn a_channel_that_lowers_the_rate_gets_negative_credit() {
        let js = Journeys::from_rows(&[("A", 5, 500, 5), ("B", 1, 100, 9), ("A > B", 2, 200, 8)]);
        let s = attribute(&js, &Options::default()).unwrap();
        let (b, bv) = by_name(&s, "B");
        // φ_B = ½·0.1 + ½·(0.2 − 0.5) = −0.1 of the A+B journeys' worth 0.2.
        assert!((b - (1.0 - 1.0)).abs() < 1e-12, "{b}");
        assert_eq!(bv, 100 - 100);
        assert_eq!(s.attribution.value.iter().sum::<i64>(), 800);
    }

    /// A coalition never seen on its own is worth the best coalition inside it.
    #[test]
    fn unseen_coalitions_are_worth_their_best_part() {
        // Seen: {A} at 0.1 and {A, B, C} at 0.4. {A,B} and {A,C} are worth 0.1, {B}, {C} and
        // {B,C} nothing: φ_A = 0.1 + (0.4 − 0.1)/3 = 0.2 (A completes ABC in 1/3 of orders,
        // and every order adds A's 0.1 once), φ_B = φ_C = 0.1.
        let js = Journeys::from_rows(&[("A", 1, 0, 9), ("A > B > C", 4, 0, 6)]);
        let phi = exact_values(&[0, 1, 2], &tally(&js));
        for (got, want) in phi.iter().zip([0.2, 0.1, 0.1]) {
            assert!((got - want).abs() < 1e-12, "{phi:?}");
        }
    }

    #[test]
    fn bad_options_are_refused() {
        let js = Journeys::from_rows(&[("A", 1, 0, 0)]);
        for options in [
            Options {
                exact_max: 21,
                ..Options::default()
            },
            Options {
                permutations: 0,
                ..Options::default()
            },
            Options {
                confidence: 1.0,
                ..Options::default()
            },
        ] {
            assert!(attribute(&js, &options).is_err());
        }
    }

    /// Brute force: every order of the set's channels, the game evaluated from its definition.
    fn by_every_order(set: &[Channel], sets: &FxHashMap<Box<[Channel]>, Tally>) -> Vec<f64> {
        let worth = |members: &[Channel]| -> f64 {
            let mut key = members.to_vec();
            key.sort_unstable();
            if key.is_empty() {
                return 0.0;
            }
            if let Some(t) = sets.get(key.as_slice()) {
                return t.rate();
            }
            sets.iter()
                .filter(|(s, _)| s.iter().all(|c| key.contains(c)))
                .map(|(_, t)| t.rate())
                .fold(0.0, f64::max)
        };
        let k = set.len();
        let mut total = vec![0.0; k];
        let mut orders = 0.0;
        let mut order: Vec<usize> = (0..k).collect();
        permute(&mut order, 0, &mut |o: &[usize]| {
            let mut members = Vec::new();
            for &p in o {
                let before = worth(&members);
                members.push(set[p]);
                total[p] += worth(&members) - before;
            }
            orders += 1.0;
        });
        total.into_iter().map(|t| t / orders).collect()
    }

    fn permute(o: &mut Vec<usize>, from: usize, f: &mut impl FnMut(&[usize])) {
        if from == o.len() {
            f(o);
            return;
        }
        for i in from..o.len() {
            o.swap(from, i);
            permute(o, from + 1, f);
            o.swap(from, i);
        }
    }

    fn random_journeys() -> impl Strategy<Value = Vec<(Vec<u8>, u64, i64, u64)>> {
        prop::collection::vec(
            (
                prop::collection::vec(0u8..5, 1..6),
                0u64..5,
                0i64..10_000,
                0u64..5,
            ),
            1..25,
        )
    }

    fn build(rows: &[(Vec<u8>, u64, i64, u64)]) -> Journeys {
        let mut js = Journeys::default();
        for name in ["c0", "c1", "c2", "c3", "c4"] {
            js.channel(name);
        }
        for (touches, conversions, value, nulls) in rows {
            let value = if *conversions == 0 { 0 } else { *value };
            js.push(Journey::path(
                touches.iter().map(|&c| Channel::from(c)).collect(),
                *conversions,
                value,
                *nulls,
            ));
        }
        js
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Efficiency: a set's values add up to its worth (so the conversions and the money
        /// sum exactly); the shared table equals every order, worked out by brute force.
        #[test]
        fn efficient_and_equal_to_every_order(rows in random_journeys()) {
            let js = build(&rows);
            let sets = tally(&js);
            for (set, t) in &sets {
                let phi = exact_values(set, &sets);
                prop_assert!((phi.iter().sum::<f64>() - t.rate()).abs() < 1e-9);
                for (a, b) in phi.iter().zip(by_every_order(set, &sets)) {
                    prop_assert!((a - b).abs() < 1e-9, "{:?} {:?}", phi, by_every_order(set, &sets));
                }
            }
            let s = attribute(&js, &Options::default()).unwrap();
            #[allow(clippy::cast_precision_loss, reason = "a test")]
            let conversions = js.conversions() as f64;
            prop_assert!((s.attribution.conversions.iter().sum::<f64>() - conversions).abs() < 1e-6);
            prop_assert_eq!(s.attribution.value.iter().sum::<i64>(), js.value());
        }

        /// Symmetry: swapping two channels' names everywhere swaps their credit.
        #[test]
        fn symmetric(rows in random_journeys()) {
            let swapped: Vec<_> = rows
                .iter()
                .map(|(t, c, v, n)| (t.iter().map(|&x| match x { 0 => 1, 1 => 0, x => x }).collect(), *c, *v, *n))
                .collect();
            let a = attribute(&build(&rows), &Options::default()).unwrap().attribution;
            let b = attribute(&build(&swapped), &Options::default()).unwrap().attribution;
            prop_assert!((a.conversions[0] - b.conversions[1]).abs() < 1e-9);
            prop_assert!((a.conversions[1] - b.conversions[0]).abs() < 1e-9);
            for c in 2..5 {
                prop_assert!((a.conversions[c] - b.conversions[c]).abs() < 1e-9);
            }
        }

        /// Sampling stays within its stated bound of the exact answer, and is efficient too.
        #[test]
        fn sampled_within_the_stated_bound(rows in random_journeys(), seed in any::<u64>()) {
            let js = build(&rows);
            let exact = attribute(&js, &Options::default()).unwrap();
            let options = Options { exact_max: 1, permutations: 400, seed, ..Options::default() };
            let sampled = attribute(&js, &options).unwrap();
            for c in 0..5 {
                let off = (exact.attribution.conversions[c] - sampled.attribution.conversions[c]).abs();
                prop_assert!(off <= sampled.error[c] + 1e-9, "channel {}: off by {} > {}", c, off, sampled.error[c]);
            }
            prop_assert_eq!(sampled.attribution.value.iter().sum::<i64>(), js.value());
        }
    }
}
