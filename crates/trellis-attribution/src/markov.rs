//! Markov removal effects, solved exactly.
//!
//! The journeys make an absorbing chain: a start state, one state per sequence of the last
//! `order` channels seen (fewer at a journey's start; a channel repeated back to back counts
//! once, as ChannelAttribution does), and two absorbing outcomes, conversion and null, with
//! transition probabilities counted from the journeys. A channel's **removal effect** is the
//! share of the conversion probability lost when every state with that channel leads to null
//! instead. Each channel is credited conversions in proportion to its removal effect, and the
//! value in proportion to its removal effect on the expected value.
//!
//! Exact rather than simulated: with `A = I − Q` (Q: transitions between transient states)
//! and `N = A⁻¹` (expected visits), the conversion probability from each state is `x = N r`.
//! Making a set `S` of states absorbing changes it to `y = x − N[·,S] N[S,S]⁻¹ x[S]`: from
//! any state, the chance to reach `S` first at `s` is `N[i,S] N[S,S]⁻¹`, and from there the
//! original chain would have converted with `x[s]`. So one factorisation of `A` serves every
//! channel, and a channel costs a solve of the size of its own states: for first-order chains
//! a single division, which is what makes a thousand partners cheap.

use faer::Mat;
use faer::linalg::solvers::{DenseSolveCore as _, Solve as _};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::money::apportion;
use crate::{Attribution, Channel, Journeys};

/// The orders this solver takes.
pub const ORDERS: std::ops::RangeInclusive<usize> = 1..=4;

/// More transient states than this cannot be solved densely in reasonable memory.
pub const MAX_STATES: usize = 12_000;

/// The removal-effect attribution and what it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Markov {
    pub attribution: Attribution,
    /// Per channel: the share of the conversion probability lost without it.
    pub removal_effects: Vec<f64>,
    /// Per channel: the share of the expected conversion value lost without it.
    pub value_removal_effects: Vec<f64>,
    /// The chain's probability of converting from the start.
    pub conversion_probability: f64,
    /// Transient states, the start included.
    pub states: usize,
}

/// The chain counted from the journeys: state 0 is the start.
struct Chain {
    /// Each state's channels, most recent last (the start has none).
    states: Vec<Vec<Channel>>,
    /// (from, to) → journeys that took the step.
    steps: FxHashMap<(usize, usize), f64>,
    /// Per state: journeys leaving it (steps, conversions and nulls).
    leaving: Vec<f64>,
    conversions: Vec<f64>,
    value: Vec<f64>,
}

impl Chain {
    /// Counts the journeys' steps in parallel, keyed by the states' channels; the states
    /// are then numbered in the order of their channels (the start first), so the chain is
    /// the same however the work was split. Counts and values are whole numbers, so their
    /// sums are exact in any order.
    fn count(journeys: &Journeys, order: usize) -> Self {
        let counts = journeys
            .journeys()
            .par_iter()
            .fold(Counts::default, |mut counts, j| {
                counts.add(j, order);
                counts
            })
            .reduce(Counts::default, Counts::merge);
        let mut keys: Vec<Key> = counts.states.keys().copied().collect();
        keys.push(START);
        keys.sort_unstable_by(|a, b| {
            (*a != START, channels_of(a)).cmp(&(*b != START, channels_of(b)))
        });
        keys.dedup();
        let id: FxHashMap<Key, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let mut chain = Chain {
            states: keys.iter().map(|k| channels_of(k).to_vec()).collect(),
            steps: FxHashMap::default(),
            leaving: vec![0.0; keys.len()],
            conversions: vec![0.0; keys.len()],
            value: vec![0.0; keys.len()],
        };
        for ((from, to), n) in counts.steps {
            chain.steps.insert((id[&from], id[&to]), n);
        }
        for (key, [leaving, conversions, value]) in counts.states {
            let s = id[&key];
            chain.leaving[s] = leaving;
            chain.conversions[s] = conversions;
            chain.value[s] = value;
        }
        chain
    }
}

/// A state: the last channels seen, most recent last, padded at the front with [`NONE`].
type Key = [Channel; ORDER_MAX];
const ORDER_MAX: usize = 4;
const NONE: Channel = Channel::MAX;
/// The start: no channel seen yet.
const START: Key = [NONE; ORDER_MAX];

fn channels_of(key: &Key) -> &[Channel] {
    let first = key.iter().position(|&c| c != NONE).unwrap_or(ORDER_MAX);
    &key[first..]
}

/// Steps and outcomes counted over some of the journeys.
#[derive(Default)]
struct Counts {
    steps: FxHashMap<(Key, Key), f64>,
    /// Per state: journeys leaving it, conversions and value there.
    states: FxHashMap<Key, [f64; 3]>,
}

impl Counts {
    fn add(&mut self, j: &crate::Journey, order: usize) {
        #[allow(
            clippy::cast_precision_loss,
            reason = "journey counts are far below 2^52"
        )]
        let (conv, null) = (j.conversions as f64, j.nulls as f64);
        if j.touches.is_empty() || conv + null == 0.0 {
            return;
        }
        let weight = conv + null;
        let mut prev = START;
        let mut key = START;
        let mut last = None;
        for &c in &j.touches {
            // A channel repeated back to back is one visit.
            if last == Some(c) {
                continue;
            }
            last = Some(c);
            key.rotate_left(1);
            key[ORDER_MAX - 1] = c;
            // Forget what lies beyond the order.
            for slot in key.iter_mut().take(ORDER_MAX - order) {
                *slot = NONE;
            }
            *self.steps.entry((prev, key)).or_insert(0.0) += weight;
            self.states.entry(prev).or_default()[0] += weight;
            prev = key;
        }
        #[allow(clippy::cast_precision_loss, reason = "values are far below 2^52")]
        let value = j.value as f64;
        let end = self.states.entry(prev).or_default();
        end[0] += weight;
        end[1] += conv;
        end[2] += value;
    }

    /// Adds the smaller count into the larger.
    fn merge(self, other: Self) -> Self {
        let (mut big, small) = if self.steps.len() >= other.steps.len() {
            (self, other)
        } else {
            (other, self)
        };
        for (k, n) in small.steps {
            *big.steps.entry(k).or_insert(0.0) += n;
        }
        for (k, v) in small.states {
            let t = big.states.entry(k).or_default();
            for (a, b) in t.iter_mut().zip(v) {
                *a += b;
            }
        }
        big
    }
}

/// Attributes by the removal effects of an `order` chain (1 to 4).
#[allow(
    clippy::many_single_char_names,
    reason = "the notation of the module docs: A, N, x, r, p"
)]
pub fn attribute(journeys: &Journeys, order: usize) -> Result<Markov, MarkovError> {
    if !ORDERS.contains(&order) {
        return Err(MarkovError::Order(order));
    }
    let chain = Chain::count(journeys, order);
    let m = chain.states.len();
    if m > MAX_STATES {
        return Err(MarkovError::TooManyStates { states: m, order });
    }
    let channels = journeys.channels().len();
    let total_conv = journeys.conversions();
    let total_value = journeys.value();
    // A = I − Q; r and rv: the probability and the expected value of converting next.
    let mut a = Mat::<f64>::identity(m, m);
    for (&(from, to), &n) in &chain.steps {
        a[(from, to)] -= n / chain.leaving[from];
    }
    let per_leaving = |v: &[f64]| -> Mat<f64> {
        Mat::from_fn(m, 1, |i, _| {
            if chain.leaving[i] > 0.0 {
                v[i] / chain.leaving[i]
            } else {
                0.0
            }
        })
    };
    let (r, rv) = (per_leaving(&chain.conversions), per_leaving(&chain.value));
    let lu = a.partial_piv_lu();
    let x = lu.solve(&r);
    let xv = lu.solve(&rv);
    let n = lu.inverse();
    let p = x[(0, 0)];
    let ev = xv[(0, 0)];

    // The states of each channel.
    let mut of_channel: Vec<Vec<usize>> = vec![Vec::new(); channels];
    for (s, cs) in chain.states.iter().enumerate().skip(1) {
        let mut seen: Vec<Channel> = cs.clone();
        seen.sort_unstable();
        seen.dedup();
        for c in seen {
            of_channel[c as usize].push(s);
        }
    }
    let effects: Vec<(f64, f64)> = of_channel
        .par_iter()
        .map(|states| removal(&n, &x, &xv, states, p, ev))
        .collect();
    let (removal_effects, value_removal_effects): (Vec<f64>, Vec<f64>) =
        effects.into_iter().unzip();

    let sum: f64 = removal_effects.iter().sum();
    #[allow(
        clippy::cast_precision_loss,
        reason = "conversion counts are far below 2^52"
    )]
    let conversions = removal_effects
        .iter()
        .map(|e| {
            if sum > 0.0 {
                total_conv as f64 * e / sum
            } else {
                0.0
            }
        })
        .collect();
    let value = if total_value == 0 {
        vec![0; channels]
    } else {
        apportion(total_value, &value_removal_effects).ok_or(MarkovError::NoEffect)?
    };
    Ok(Markov {
        attribution: Attribution {
            channels: journeys.channels().to_vec(),
            conversions,
            value,
        },
        removal_effects,
        value_removal_effects,
        conversion_probability: p,
        states: m,
    })
}

/// The removal effects (conversions, value) of making `states` lead to null.
#[allow(
    clippy::many_single_char_names,
    reason = "the notation of the module docs: A, N, x, r, p"
)]
fn removal(
    n: &Mat<f64>,
    x: &Mat<f64>,
    xv: &Mat<f64>,
    states: &[usize],
    p: f64,
    ev: f64,
) -> (f64, f64) {
    if states.is_empty() {
        return (0.0, 0.0);
    }
    let k = states.len();
    let block = Mat::from_fn(k, k, |i, j| n[(states[i], states[j])]);
    let rhs = Mat::from_fn(k, 2, |i, j| {
        if j == 0 {
            x[(states[i], 0)]
        } else {
            xv[(states[i], 0)]
        }
    });
    let z = block.partial_piv_lu().solve(&rhs);
    let (mut lost, mut lost_value) = (0.0, 0.0);
    for (i, &s) in states.iter().enumerate() {
        lost += n[(0, s)] * z[(i, 0)];
        lost_value += n[(0, s)] * z[(i, 1)];
    }
    let effect = |lost: f64, base: f64| {
        if base > 0.0 {
            (lost / base).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    (effect(lost, p), effect(lost_value, ev))
}

/// Why a Markov model could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkovError {
    #[error("order {0} is not supported; the order is 1 to 4")]
    Order(usize),
    #[error(
        "the order-{order} chain has {states} states, more than can be solved exactly here; use a lower order"
    )]
    TooManyStates { states: usize, order: usize },
    #[error("no channel changes the expected value, so there is nothing to attribute it by")]
    NoEffect,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Journey;

    /// A chain small enough to solve on paper.
    #[test]
    fn first_order_removal_effects_match_a_hand_solved_chain() {
        // Paths: "A" converts, "A > B" converts, "B" null, "A" null.
        // Counts: S→A 3, S→B 1; A→conv 1, A→null 1, A→B 1; B→conv 1, B→null 1.
        // P(B converts) = 1/2; P(A) = 1/3 + 1/3·1/2 = 1/2; P = 3/4·1/2 + 1/4·1/2 = 1/2.
        // Without A: only S→B: 1/4 · 1/2 = 1/8 → effect 1 − (1/8)/(1/2) = 3/4.
        // Without B: S→A then conv 1/3: 3/4 · 1/3 = 1/4 → effect 1/2.
        let js = Journeys::from_rows(&[("A", 1, 100, 1), ("A > B", 1, 300, 0), ("B", 0, 0, 1)]);
        let m = attribute(&js, 1).unwrap();
        assert!((m.conversion_probability - 0.5).abs() < 1e-12);
        assert!(
            (m.removal_effects[0] - 0.75).abs() < 1e-12,
            "{:?}",
            m.removal_effects
        );
        assert!((m.removal_effects[1] - 0.5).abs() < 1e-12);
        // 2 conversions split 3:2.
        assert!((m.attribution.conversions[0] - 1.2).abs() < 1e-12);
        assert!((m.attribution.conversions[1] - 0.8).abs() < 1e-12);
        assert_eq!(m.attribution.value.iter().sum::<i64>(), 400);
    }

    #[test]
    fn repeats_collapse_and_a_channel_on_every_path_takes_all() {
        let js = Journeys::from_rows(&[("A > A > A", 2, 10, 1), ("A > B", 1, 5, 3)]);
        let m = attribute(&js, 2).unwrap();
        assert!((m.removal_effects[0] - 1.0).abs() < 1e-12);
        assert!(m.removal_effects[1] > 0.0 && m.removal_effects[1] < 1.0);
        assert_eq!(m.attribution.value.iter().sum::<i64>(), 15);
        assert!((m.attribution.conversions.iter().sum::<f64>() - 3.0).abs() < 1e-9);
    }

    /// The removal effects from the one factorisation equal those of solving each channel's
    /// chain on its own (rows of its states emptied, as ChannelAttribution's reference does),
    /// on random journeys at every order.
    #[test]
    fn the_shared_factorisation_equals_one_solve_per_channel() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::default();
        let paths = prop::collection::vec(
            (prop::collection::vec(0u8..5, 1..7), 0u64..4, 0u64..4),
            1..30,
        );
        runner
            .run(&(paths, 1usize..=3), |(paths, order)| {
                let mut js = Journeys::default();
                for c in 0..5 {
                    js.channel(&format!("c{c}"));
                }
                for (touches, conversions, nulls) in paths {
                    let touches = touches.into_iter().map(u32::from).collect();
                    let value = i64::try_from(conversions * 100).unwrap();
                    js.push(Journey::path(touches, conversions, value, nulls));
                }
                prop_assume!(js.conversions() > 0);
                let fast = attribute(&js, order).unwrap();
                let chain = Chain::count(&js, order);
                let m = chain.states.len();
                let solve = |removed: Option<u32>| -> f64 {
                    let gone = |s: usize| removed.is_some_and(|c| chain.states[s].contains(&c));
                    let mut a = Mat::<f64>::identity(m, m);
                    for (&(from, to), &n) in &chain.steps {
                        if !gone(from) {
                            a[(from, to)] -= n / chain.leaving[from];
                        }
                    }
                    let r = Mat::from_fn(m, 1, |i, _| {
                        if gone(i) || chain.leaving[i] == 0.0 {
                            0.0
                        } else {
                            chain.conversions[i] / chain.leaving[i]
                        }
                    });
                    a.partial_piv_lu().solve(&r)[(0, 0)]
                };
                let base = solve(None);
                for c in 0..5u32 {
                    let slow = 1.0 - solve(Some(c)) / base;
                    prop_assert!(
                        (fast.removal_effects[c as usize] - slow).abs() < 1e-9,
                        "channel {} order {}: {} vs {}",
                        c,
                        order,
                        fast.removal_effects[c as usize],
                        slow
                    );
                }
                prop_assert_eq!(fast.attribution.value.iter().sum::<i64>(), js.value());
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn orders_out_of_range_are_refused() {
        let js = Journeys::from_rows(&[("A", 1, 1, 0)]);
        assert_eq!(attribute(&js, 0), Err(MarkovError::Order(0)));
        assert_eq!(attribute(&js, 5), Err(MarkovError::Order(5)));
    }
}
