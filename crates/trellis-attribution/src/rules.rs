//! Rule models: each journey's credit split over its touches by a fixed rule.

use crate::money::apportion;
use crate::{Attribution, Journeys};

/// A rule model and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleModel {
    /// All credit to the first touch.
    First,
    /// All credit to the last touch.
    Last,
    /// Equal credit to every touch.
    Linear,
    /// A touch's weight halves every `half_life` (in the unit of [`crate::Journey::ages`]; one
    /// touch apart for paths without times).
    TimeDecay { half_life: f64 },
    /// Position-based (U-shaped): `first` and `last` to the first and last touches, the rest
    /// spread evenly over the touches between. The usual weights are 0.4 and 0.4.
    U { first: f64, last: f64 },
    /// W-shaped: `first`, `middle` (the touch that created the opportunity) and `last`, the
    /// rest spread evenly over the other touches. The usual weights are 0.3, 0.3 and 0.3.
    W { first: f64, middle: f64, last: f64 },
}

impl RuleModel {
    pub const U_DEFAULT: RuleModel = RuleModel::U {
        first: 0.4,
        last: 0.4,
    };
    pub const W_DEFAULT: RuleModel = RuleModel::W {
        first: 0.3,
        middle: 0.3,
        last: 0.3,
    };

    /// Checks the parameters: weights are shares between 0 and 1 that leave a non-negative
    /// rest; a half-life is positive.
    pub fn validate(&self) -> Result<(), RuleError> {
        let share = |name: &'static str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(RuleError::Weight { name, value: v })
            }
        };
        match *self {
            RuleModel::First | RuleModel::Last | RuleModel::Linear => Ok(()),
            RuleModel::TimeDecay { half_life } => {
                if half_life.is_finite() && half_life > 0.0 {
                    Ok(())
                } else {
                    Err(RuleError::HalfLife(half_life))
                }
            }
            RuleModel::U { first, last } => {
                share("first", first)?;
                share("last", last)?;
                if first + last > 1.0 + 1e-9 {
                    return Err(RuleError::Sum(first + last));
                }
                Ok(())
            }
            RuleModel::W {
                first,
                middle,
                last,
            } => {
                share("first", first)?;
                share("middle", middle)?;
                share("last", last)?;
                if first + middle + last > 1.0 + 1e-9 {
                    return Err(RuleError::Sum(first + middle + last));
                }
                Ok(())
            }
        }
    }

    /// The weights of `n` touches (summing to 1), given their ages and the milestone touch.
    pub fn weights(&self, n: usize, ages: Option<&[f64]>, milestone: Option<usize>) -> Vec<f64> {
        let mut w = vec![0.0; n];
        if n == 0 {
            return w;
        }
        match *self {
            RuleModel::First => w[0] = 1.0,
            RuleModel::Last => w[n - 1] = 1.0,
            RuleModel::Linear => w.fill(1.0),
            RuleModel::TimeDecay { half_life } => {
                for (i, x) in w.iter_mut().enumerate() {
                    #[allow(clippy::cast_precision_loss, reason = "touch counts are small")]
                    let age = ages.map_or((n - 1 - i) as f64, |a| a[i].max(0.0));
                    *x = (-age / half_life).exp2();
                }
                // Touches far older than the half-life can all underflow to zero.
                if w.iter().all(|x| *x == 0.0) {
                    w[n - 1] = 1.0;
                }
            }
            RuleModel::U { first, last } => {
                if n == 1 {
                    w[0] = 1.0;
                } else {
                    w[0] = first;
                    w[n - 1] = last;
                    spread(&mut w, &[0, n - 1], 1.0 - first - last);
                }
            }
            RuleModel::W {
                first,
                middle,
                last,
            } => {
                if n <= 2 {
                    return RuleModel::U { first, last }.weights(n, ages, milestone);
                }
                let m = milestone.unwrap_or((n - 1) / 2).clamp(1, n - 2);
                w[0] = first;
                w[m] = middle;
                w[n - 1] = last;
                spread(&mut w, &[0, m, n - 1], 1.0 - first - middle - last);
            }
        }
        normalise(&mut w);
        w
    }
}

/// Adds `rest` evenly to the touches not in `taken`; with none, the rest is dropped and the
/// weights renormalised (a 3-touch W journey splits in the ratio of its three weights).
fn spread(w: &mut [f64], taken: &[usize], rest: f64) {
    let others = w.len() - taken.len();
    if others == 0 || rest <= 0.0 {
        return;
    }
    #[allow(clippy::cast_precision_loss, reason = "touch counts are small")]
    let each = rest / others as f64;
    for (i, x) in w.iter_mut().enumerate() {
        if !taken.contains(&i) {
            *x += each;
        }
    }
}

fn normalise(w: &mut [f64]) {
    let sum: f64 = w.iter().sum();
    if sum > 0.0 {
        for x in w.iter_mut() {
            *x /= sum;
        }
    } else {
        // Zero weights everywhere (e.g. a U with 0/0 on two touches): split evenly.
        #[allow(clippy::cast_precision_loss, reason = "touch counts are small")]
        let even = 1.0 / w.len() as f64;
        w.fill(even);
    }
}

/// Attributes every journey's conversions and value by `model`: each journey's value is split
/// over its touches to the minor unit, so the channels' values sum exactly to the journeys'.
pub fn attribute(journeys: &Journeys, model: &RuleModel) -> Result<Attribution, RuleError> {
    model.validate()?;
    let n = journeys.channels().len();
    let mut conversions = vec![0.0; n];
    let mut value = vec![0i64; n];
    for j in journeys.journeys() {
        if j.touches.is_empty() || (j.conversions == 0 && j.value == 0) {
            continue;
        }
        let w = model.weights(j.touches.len(), j.ages.as_deref(), j.milestone);
        let parts = apportion(j.value, &w).unwrap_or_default();
        for (i, &c) in j.touches.iter().enumerate() {
            #[allow(
                clippy::cast_precision_loss,
                reason = "conversion counts are far below 2^52"
            )]
            let credit = j.conversions as f64 * w[i];
            conversions[c as usize] += credit;
            value[c as usize] += parts.get(i).copied().unwrap_or(0);
        }
    }
    Ok(Attribution {
        channels: journeys.channels().to_vec(),
        conversions,
        value,
    })
}

/// A rule model's parameters are out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("the {name} weight is {value}; weights are shares between 0 and 1")]
    Weight { name: &'static str, value: f64 },
    #[error("the position weights add up to {0}, more than 1")]
    Sum(f64),
    #[error("the half-life is {0}; it must be a positive number")]
    HalfLife(f64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Journey;
    use proptest::prelude::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn weights_by_hand() {
        assert!(close(
            &RuleModel::First.weights(3, None, None),
            &[1.0, 0.0, 0.0]
        ));
        assert!(close(
            &RuleModel::Last.weights(3, None, None),
            &[0.0, 0.0, 1.0]
        ));
        assert!(close(&RuleModel::Linear.weights(4, None, None), &[0.25; 4]));
        let decay = RuleModel::TimeDecay { half_life: 1.0 };
        assert!(close(
            &decay.weights(3, None, None),
            &[1.0 / 7.0, 2.0 / 7.0, 4.0 / 7.0]
        ));
        // Ages in days with a 7-day half-life: 14 days old counts a quarter of today.
        let aged = RuleModel::TimeDecay { half_life: 7.0 }.weights(2, Some(&[14.0, 0.0]), None);
        assert!(close(&aged, &[0.2, 0.8]));
        let u = RuleModel::U_DEFAULT;
        assert!(close(&u.weights(1, None, None), &[1.0]));
        assert!(close(&u.weights(2, None, None), &[0.5, 0.5]));
        assert!(close(&u.weights(4, None, None), &[0.4, 0.1, 0.1, 0.4]));
        let w = RuleModel::W_DEFAULT;
        assert!(close(&w.weights(3, None, None), &[1.0 / 3.0; 3]));
        assert!(close(
            &w.weights(5, None, None),
            &[0.3, 0.05, 0.3, 0.05, 0.3]
        ));
        assert!(close(
            &w.weights(5, None, Some(3)),
            &[0.3, 0.05, 0.05, 0.3, 0.3]
        ));
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert_eq!(
            RuleModel::U {
                first: 0.7,
                last: 0.5
            }
            .validate(),
            Err(RuleError::Sum(1.2))
        );
        assert!(RuleModel::TimeDecay { half_life: 0.0 }.validate().is_err());
        assert!(
            RuleModel::W {
                first: -0.1,
                middle: 0.3,
                last: 0.3
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn first_last_and_linear_on_a_small_case() {
        let mut js = Journeys::default();
        let (a, b, c) = (js.channel("a"), js.channel("b"), js.channel("c"));
        for (touches, conversions, value) in [
            (vec![a, b, c], 1, 300),
            (vec![b, a], 2, 1001),
            (vec![c], 0, 0),
        ] {
            js.push(Journey::path(touches, conversions, value, 1));
        }
        let first = attribute(&js, &RuleModel::First).unwrap();
        assert_eq!(first.conversions, [1.0, 2.0, 0.0]);
        assert_eq!(first.value, [300, 1001, 0]);
        let linear = attribute(&js, &RuleModel::Linear).unwrap();
        assert!(close(
            &linear.conversions,
            &[1.0 / 3.0 + 1.0, 1.0 / 3.0 + 1.0, 1.0 / 3.0]
        ));
        assert_eq!(linear.value, [100 + 500, 100 + 501, 100]);
    }

    fn models() -> impl Strategy<Value = RuleModel> {
        prop_oneof![
            Just(RuleModel::First),
            Just(RuleModel::Last),
            Just(RuleModel::Linear),
            (0.1f64..30.0).prop_map(|h| RuleModel::TimeDecay { half_life: h }),
            (0.0f64..0.5, 0.0f64..0.5).prop_map(|(first, last)| RuleModel::U { first, last }),
            (0.0f64..0.33, 0.0f64..0.33, 0.0f64..0.33).prop_map(|(first, middle, last)| {
                RuleModel::W {
                    first,
                    middle,
                    last,
                }
            }),
        ]
    }

    proptest! {
        /// Weights sum to 1 for every model and path length, and the channels' values sum to
        /// the journeys' value to the unit.
        #[test]
        fn weights_sum_to_one_and_money_sums_exactly(
            model in models(),
            paths in prop::collection::vec((prop::collection::vec(0u32..6, 1..10), 0u64..5, 0i64..10_000_000), 1..40),
        ) {
            let mut js = Journeys::default();
            for c in 0..6 {
                js.channel(&format!("c{c}"));
            }
            for (touches, conversions, value) in paths {
                let n = touches.len();
                let w = model.weights(n, None, None);
                prop_assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                prop_assert!(w.iter().all(|x| *x >= 0.0));
                let value = if conversions == 0 { 0 } else { value };
                js.push(Journey::path(touches, conversions, value, 0));
            }
            let a = attribute(&js, &model).unwrap();
            prop_assert_eq!(a.value.iter().sum::<i64>(), js.value());
            #[allow(clippy::cast_precision_loss, reason = "a test tolerance")]
            let total = js.conversions() as f64;
            prop_assert!((a.conversions.iter().sum::<f64>() - total).abs() < 1e-6);
        }
    }
}
