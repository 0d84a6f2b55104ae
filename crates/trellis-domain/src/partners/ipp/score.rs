//! Scoring a profile against validated criteria.
//!
//! Points are whole numbers because people read them, and the breakdown a partner manager sees
//! must add up to the score shown next to it: naive per-criterion rounding can make three
//! criteria of 33.3 points show 33 + 33 + 33 = 99 for a perfect fit. So both splits use the
//! largest-remainder method on exact integer shares:
//!
//! 1. The 100 points are split by weight: criterion *i* gets 100·wᵢ/Σw, rounded so that the
//!    maxima add up to exactly 100.
//! 2. The match is resolved to thousandths (the precision `matched_permille` shows), and a
//!    criterion earns maxᵢ·matchedᵢ/1000 points. The score is that sum rounded half up, and the
//!    points are rounded so that they add up to it.
//!
//! Step 2 scales the criterion's *displayed* maximum rather than its exact share so that a
//! full match always shows full points, no match shows none, and no criterion ever shows more
//! points than its maximum. Ties go to the earlier criterion, so scores are deterministic.

use super::{Attribute, AttributeKind, Contribution, Criterion, FitProfile, FitScore, Rule, Value};

pub(super) fn score(criteria: &[Criterion], profile: &FitProfile) -> FitScore {
    let total_weight: u64 = criteria.iter().map(|c| u64::from(c.weight)).sum();
    let max_units: Vec<u64> = criteria.iter().map(|c| 100 * u64::from(c.weight)).collect();
    let max_points = largest_remainder(&max_units, total_weight, 100);

    let matches: Vec<(u16, String)> = criteria.iter().map(|c| matched(c, profile)).collect();
    let point_units: Vec<u64> = max_points
        .iter()
        .zip(&matches)
        .map(|(max, (permille, _))| max * u64::from(*permille))
        .collect();
    let total: u64 = (point_units.iter().sum::<u64>() + 500) / 1000;
    let points = largest_remainder(&point_units, 1000, total);

    let contributions = criteria
        .iter()
        .zip(matches)
        .zip(max_points.iter().zip(&points))
        .map(
            |((c, (matched_permille, reason)), (max, pts))| Contribution {
                key: c.key.clone(),
                label: c.label.clone(),
                weight: c.weight,
                max_points: to_u8(*max),
                points: to_u8(*pts),
                matched_permille,
                reason,
            },
        )
        .collect();
    FitScore {
        score: to_u8(total),
        contributions,
    }
}

fn to_u8(n: u64) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// Splits `total` whole units in proportion to `units` (each share is `units[i] / denom`,
/// and the shares add up to about `total`): everyone gets the floor of their share, then the
/// units left over go one each to the largest remainders, earlier entries winning ties. An
/// entry with no remainder never gets an extra unit, so exact shares stay exact.
fn largest_remainder(units: &[u64], denom: u64, total: u64) -> Vec<u64> {
    if denom == 0 {
        return vec![0; units.len()];
    }
    let mut out: Vec<u64> = units.iter().map(|u| u / denom).collect();
    let left = total.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..units.len())
        .filter(|&i| !units[i].is_multiple_of(denom))
        .collect();
    // Stable sort: equal remainders keep criterion order.
    order.sort_by_key(|&i| std::cmp::Reverse(units[i] % denom));
    for &i in order
        .iter()
        .take(usize::try_from(left).unwrap_or(usize::MAX))
    {
        out[i] += 1;
    }
    out
}

/// `num/den` in thousandths, rounded half up but never to 0 or 1000 unless exact: "full
/// points" must mean a full match.
fn permille(num: u64, den: u64) -> u16 {
    if num == 0 || den == 0 {
        0
    } else if num >= den {
        1000
    } else {
        let p = ((num * 1000 + den / 2) / den).clamp(1, 999);
        u16::try_from(p).unwrap_or(999)
    }
}

/// How well one criterion matches, in thousandths, and why.
fn matched(c: &Criterion, p: &FitProfile) -> (u16, String) {
    let attr = c.attribute;
    let not_provided = || (0, format!("{} not provided", attr.label()));
    match &c.rule {
        Rule::AnyOf { values } => {
            let Some(have) = attr.values_of(p) else {
                return not_provided();
            };
            let wanted = resolve(attr, values);
            let list = labels(&wanted);
            let found = hits(&have, &wanted);
            let label = attr.label();
            let reason = match (attr.kind(), found.is_empty()) {
                (AttributeKind::List, false) => {
                    format!("{label} include {} (any of {list})", labels_of(&found))
                }
                (AttributeKind::List, true) => format!("{label} include none of {list}"),
                (_, false) => format!("{label} {} is one of {list}", labels_of(&found)),
                (_, true) => {
                    let shown = labels_of(&have.iter().collect::<Vec<_>>());
                    format!("{label} {shown} is not one of {list}")
                }
            };
            (if found.is_empty() { 0 } else { 1000 }, reason)
        }
        Rule::Coverage { values, full_at } => {
            let Some(have) = attr.values_of(p) else {
                return not_provided();
            };
            let wanted = resolve(attr, values);
            let n = u64::try_from(hits(&have, &wanted).len()).unwrap_or(u64::MAX);
            let m = permille(n.min(u64::from(*full_at)), u64::from(*full_at));
            let reason = format!(
                "{}: {n} of {} (full points at {full_at})",
                attr.label(),
                labels(&wanted)
            );
            (m, reason)
        }
        Rule::Band {
            min,
            ideal_min,
            ideal_max,
            max,
        } => {
            let Some(v) = attr.number_of(p) else {
                return not_provided();
            };
            band(attr, v, *min, *ideal_min, *ideal_max, *max)
        }
    }
}

fn band(
    attr: Attribute,
    v: u32,
    min: u32,
    ideal_min: u32,
    ideal_max: Option<u32>,
    max: Option<u32>,
) -> (u16, String) {
    let fmt = |n: u32| crate::text::group_thousands(u64::from(n));
    let ideal = match ideal_max {
        Some(hi) => format!("{}–{}", fmt(ideal_min), fmt(hi)),
        None => format!("{} or more", fmt(ideal_min)),
    };
    let (v64, lo, hi_min) = (u64::from(v), u64::from(min), u64::from(ideal_min));
    let (m, where_) = if v < ideal_min {
        let m = if v < min {
            0
        } else {
            permille(v64 - lo, hi_min - lo)
        };
        (m, "below")
    } else if ideal_max.is_none_or(|hi| v <= hi) {
        (1000, "within")
    } else {
        // Above the ideal: validation guarantees ideal_max is set here, and max ≥ ideal_max.
        let hi = u64::from(ideal_max.unwrap_or(v));
        let m = match max.map(u64::from) {
            Some(mx) if v64 < mx => permille(mx - v64, mx - hi),
            _ => 0,
        };
        (m, "above")
    };
    (
        m,
        format!("{}: {where_} the ideal {ideal}", attr.count_phrase(v)),
    )
}

/// The rule's values, resolved; validation guarantees they all parse.
fn resolve(attr: Attribute, values: &[String]) -> Vec<Value> {
    values
        .iter()
        .filter_map(|v| attr.parse_value(v).ok())
        .collect()
}

/// The partner's distinct values that are among the wanted ones.
fn hits<'a>(have: &'a [Value], wanted: &[Value]) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = Vec::new();
    for h in have {
        if wanted.iter().any(|w| w.key == h.key) && !out.iter().any(|o| o.key == h.key) {
            out.push(h);
        }
    }
    out
}

fn labels(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| v.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn labels_of(values: &[&Value]) -> String {
    values
        .iter()
        .map(|v| v.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
