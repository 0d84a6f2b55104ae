//! Splitting money by weights so that the parts sum exactly to the whole, to the minor unit.

/// Splits `total` (minor units) in proportion to `weights` by the largest-remainder method:
/// every part is its exact share rounded down, and the units left over go one each to the
/// parts with the largest fractions (the earliest part first on a tie), so the parts always
/// sum to `total`. A negative total (a refund) is split as its absolute value and negated.
///
/// Weights may be negative (a Shapley value can be) as long as they add up to more than zero;
/// a part of a non-negative weight is never negative. `None` when the weights are empty, not
/// finite or do not add up to more than zero, or when a part would not fit in an `i64`.
pub fn apportion(total: i64, weights: &[f64]) -> Option<Vec<i64>> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty()
        || !sum.is_finite()
        || sum <= 0.0
        || weights.iter().any(|w| !w.is_finite())
    {
        return None;
    }
    let whole = i128::from(total.unsigned_abs());
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        reason = "shares are rounded down and the sum is then corrected to the unit"
    )]
    let (mut parts, fractions): (Vec<i128>, Vec<f64>) = weights
        .iter()
        .map(|w| {
            let share = whole as f64 * (w / sum);
            let floor = share.floor();
            (floor as i128, share - floor)
        })
        .unzip();
    // A part beyond an i64 cannot be returned; refusing here also bounds the loops below.
    if parts
        .iter()
        .any(|p| p.unsigned_abs() > u128::from(u64::MAX))
    {
        return None;
    }
    // Floating point can leave the rounded-down parts a few units off in either direction at
    // very large totals; the loops below settle any difference one unit at a time.
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| fractions[b].total_cmp(&fractions[a]).then(a.cmp(&b)));
    let mut assigned: i128 = parts.iter().sum();
    let mut i = 0;
    while assigned < whole {
        parts[order[i % order.len()]] += 1;
        assigned += 1;
        i += 1;
    }
    let mut i = order.len();
    while assigned > whole {
        i = if i == 0 { order.len() - 1 } else { i - 1 };
        let k = order[i];
        if parts[k] > 0 || weights[k] < 0.0 {
            parts[k] -= 1;
            assigned -= 1;
        }
    }
    parts
        .into_iter()
        .map(|p| i64::try_from(if total < 0 { -p } else { p }).ok())
        .collect()
}

/// Parses an amount written with at most `decimals` decimals ("2500", "2500.5", "2500.50")
/// into minor units. Refuses signs, thousands separators and exponents with a reason.
pub fn parse_amount(text: &str, decimals: u32) -> Result<i64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0);
    }
    if t.starts_with('-') {
        return Err(format!("{t:?} is negative"));
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return Err(format!(
            "{t:?} is not an amount (digits with an optional decimal point, no thousands separators)"
        ));
    }
    let places = usize::try_from(decimals).unwrap_or(usize::MAX);
    if frac.len() > places {
        return Err(format!("{t:?} has more than {decimals} decimals"));
    }
    let scale = 10i64
        .checked_pow(decimals)
        .ok_or_else(|| format!("{decimals} decimals are too many"))?;
    let too_large = || format!("{t:?} is too large");
    let int: i64 = int.parse().map_err(|_| too_large())?;
    // "5" with 2 decimals is 50 minor units: the digits given, times the places left out.
    let missing = u32::try_from(places - frac.len()).unwrap_or(u32::MAX);
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>()
            .ok()
            .and_then(|f| f.checked_mul(10i64.checked_pow(missing)?))
            .ok_or_else(too_large)?
    };
    int.checked_mul(scale)
        .and_then(|v| v.checked_add(frac))
        .ok_or_else(too_large)
}

/// Writes minor units with `decimals` decimals: `250050` with 2 is "2500.50".
pub fn format_amount(minor: i64, decimals: u32) -> String {
    if decimals == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(decimals.min(18));
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let width = usize::try_from(decimals).unwrap_or(0);
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_split_gives_leftover_cents_to_the_largest_fractions() {
        assert_eq!(apportion(100, &[1.0, 1.0, 1.0]), Some(vec![34, 33, 33]));
        assert_eq!(apportion(-100, &[1.0, 1.0, 1.0]), Some(vec![-34, -33, -33]));
        assert_eq!(apportion(10, &[0.5, 0.3, 0.2]), Some(vec![5, 3, 2]));
        assert_eq!(apportion(1, &[0.2, 0.8]), Some(vec![0, 1]));
        assert_eq!(apportion(0, &[1.0]), Some(vec![0]));
        assert_eq!(apportion(5, &[]), None);
        assert_eq!(apportion(5, &[0.0, 0.0]), None);
        assert_eq!(apportion(5, &[1.0, -1.0]), None);
        assert_eq!(apportion(10, &[1.5, -0.5]), Some(vec![15, -5]));
        assert_eq!(apportion(-10, &[0.75, 0.5, -0.25]), Some(vec![-8, -5, 3]));
        assert_eq!(apportion(5, &[f64::NAN]), None);
    }

    #[test]
    fn amounts_parse_to_minor_units_or_say_why_not() {
        assert_eq!(parse_amount("2500", 2), Ok(250_000));
        assert_eq!(parse_amount("2500.5", 2), Ok(250_050));
        assert_eq!(parse_amount(" 0.07 ", 2), Ok(7));
        assert_eq!(parse_amount("", 2), Ok(0));
        assert_eq!(parse_amount("12", 0), Ok(12));
        assert!(
            parse_amount("1.234", 2)
                .unwrap_err()
                .contains("more than 2 decimals")
        );
        assert!(
            parse_amount("1,234.00", 2)
                .unwrap_err()
                .contains("thousands")
        );
        assert!(parse_amount("-5", 2).unwrap_err().contains("negative"));
        assert!(parse_amount("1e3", 2).is_err());
        assert!(
            parse_amount("99999999999999999999", 2)
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(format_amount(250_050, 2), "2500.50");
        assert_eq!(format_amount(-7, 2), "-0.07");
        assert_eq!(format_amount(12, 0), "12");
    }

    proptest! {
        /// The parts always sum to the whole, and no part is more than one unit from its
        /// exact share.
        #[test]
        fn parts_sum_exactly(total in -1_000_000_000_000i64..1_000_000_000_000, weights in prop::collection::vec(0.0f64..100.0, 1..20)) {
            prop_assume!(weights.iter().sum::<f64>() > 0.0);
            let parts = apportion(total, &weights).unwrap();
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: f64 = weights.iter().sum();
            for (p, w) in parts.iter().zip(&weights) {
                #[allow(clippy::cast_precision_loss, reason = "a test tolerance")]
                let exact = total as f64 * w / sum;
                #[allow(clippy::cast_precision_loss, reason = "a test tolerance")]
                let off = (*p as f64 - exact).abs();
                prop_assert!(off < 1.0 + exact.abs() * 1e-12, "part {} vs share {}", p, exact);
            }
        }

        /// Signed weights (Shapley values) split exactly too, and a non-negative weight never
        /// gets a negative part.
        #[test]
        fn signed_weights_sum_exactly(total in -1_000_000_000i64..1_000_000_000, weights in prop::collection::vec(-50.0f64..100.0, 1..20)) {
            prop_assume!(weights.iter().sum::<f64>() > 1e-6);
            let parts = apportion(total, &weights).unwrap();
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            for (p, w) in parts.iter().zip(&weights) {
                if *w >= 0.0 {
                    prop_assert!(p.signum() * total.signum() >= 0);
                }
            }
        }

        #[test]
        fn huge_totals_still_sum_exactly(weights in prop::collection::vec(0.001f64..1.0, 1..50)) {
            for total in [i64::MAX, i64::MIN + 1, (1 << 53) + 1] {
                prop_assert_eq!(apportion(total, &weights).unwrap().iter().sum::<i64>(), total);
            }
        }
    }
}
