//! Whole-IPP validation. Collects every problem under `criteria[i].…` names so the editor can
//! mark each field at once, and normalises what it accepts.

use std::collections::HashMap;

use super::{Attribute, Criterion, Ipp, Rule};
use crate::FieldErrors;

/// Longest criterion key.
const MAX_KEY_LEN: usize = 40;
/// Longest criterion label.
const MAX_LABEL_LEN: usize = 80;
/// Most values in one rule; bounds the stored JSON and keeps reasons readable.
const MAX_VALUES: usize = 50;

pub(super) fn validate(criteria: &mut [Criterion]) -> FieldErrors {
    let mut e = FieldErrors::new();
    if criteria.is_empty() {
        e.add(
            "criteria",
            "an Ideal Partner Profile needs at least one criterion",
        );
    } else if criteria.len() > Ipp::MAX_CRITERIA {
        e.add(
            "criteria",
            format!(
                "at most {} criteria, please ({} given)",
                Ipp::MAX_CRITERIA,
                criteria.len()
            ),
        );
    }
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (i, c) in criteria.iter_mut().enumerate() {
        let at = format!("criteria[{i}]");
        c.key = c.key.trim().to_owned();
        if !is_valid_key(&c.key) {
            e.add(
                format!("{at}.key"),
                "must be 1–40 characters of a–z, 0–9, '_' and '-', starting with a letter",
            );
        } else if let Some(first) = keys.get(&c.key) {
            e.add(
                format!("{at}.key"),
                format!("is already used by criteria[{first}]"),
            );
        } else {
            keys.insert(c.key.clone(), i);
        }
        c.label = c.label.trim().to_owned();
        if c.label.is_empty() {
            e.add(format!("{at}.label"), "is required");
        } else if c.label.chars().count() > MAX_LABEL_LEN {
            e.add(format!("{at}.label"), "can be at most 80 characters");
        } else if c.label.chars().any(char::is_control) {
            e.add(format!("{at}.label"), "contains control characters");
        }
        if !(1..=100).contains(&c.weight) {
            e.add(format!("{at}.weight"), "must be between 1 and 100");
        }
        validate_rule(&format!("{at}.rule"), c.attribute, &mut c.rule, &mut e);
    }
    e
}

fn is_valid_key(key: &str) -> bool {
    key.len() <= MAX_KEY_LEN
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn validate_rule(at: &str, attribute: Attribute, rule: &mut Rule, e: &mut FieldErrors) {
    let kind = attribute.kind();
    if !rule.suits(kind) {
        let fits: Vec<&str> = [
            Rule::AnyOf { values: vec![] },
            Rule::Coverage {
                values: vec![],
                full_at: 1,
            },
            Rule::Band {
                min: 0,
                ideal_min: 0,
                ideal_max: None,
                max: None,
            },
        ]
        .iter()
        .filter(|r| r.suits(kind))
        .map(Rule::kind_name)
        .collect();
        e.add(
            format!("{at}.kind"),
            format!(
                "the {} rule cannot score {} ({}); use {}",
                rule.kind_name(),
                attribute.label(),
                kind.label(),
                fits.join(" or ")
            ),
        );
        return;
    }
    match rule {
        Rule::AnyOf { values } => validate_values(at, attribute, values, e),
        Rule::Coverage { values, full_at } => {
            validate_values(at, attribute, values, e);
            let n = u32::try_from(values.len()).unwrap_or(u32::MAX);
            if n > 0 && !(1..=n).contains(full_at) {
                e.add(
                    format!("{at}.full_at"),
                    format!("must be between 1 and the number of values ({n})"),
                );
            }
        }
        Rule::Band {
            min,
            ideal_min,
            ideal_max,
            max,
        } => {
            let (min, ideal_min, ideal_max, max) = (*min, *ideal_min, *ideal_max, *max);
            if ideal_min < min {
                e.add(
                    format!("{at}.ideal_min"),
                    format!("must be at least min ({min})"),
                );
            }
            if let Some(hi) = ideal_max
                && hi < ideal_min
            {
                e.add(
                    format!("{at}.ideal_max"),
                    format!("must be at least ideal_min ({ideal_min})"),
                );
            }
            match (ideal_max, max) {
                (None, Some(_)) => e.add(
                    format!("{at}.max"),
                    "needs ideal_max; without it the ideal has no upper end",
                ),
                (Some(hi), Some(mx)) if mx < hi => {
                    e.add(
                        format!("{at}.max"),
                        format!("must be at least ideal_max ({hi})"),
                    );
                }
                _ => {}
            }
        }
    }
}

/// Checks each value, stores its canonical form and rejects repeats (after normalising, so
/// `de` repeats `DE` and `aws` repeats `AWS`).
fn validate_values(at: &str, attribute: Attribute, values: &mut [String], e: &mut FieldErrors) {
    if values.is_empty() {
        e.add(format!("{at}.values"), "needs at least one value");
        return;
    }
    if values.len() > MAX_VALUES {
        e.add(
            format!("{at}.values"),
            format!(
                "at most {MAX_VALUES} values, please ({} given)",
                values.len()
            ),
        );
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (j, raw) in values.iter_mut().enumerate() {
        let field = format!("{at}.values[{j}]");
        match attribute.parse_value(raw) {
            Err(msg) => e.add(field, msg),
            Ok(v) => {
                if let Some(first) = seen.get(&v.key) {
                    e.add(field, format!("repeats values[{first}]"));
                } else {
                    seen.insert(v.key, j);
                }
                *raw = v.canonical;
            }
        }
    }
}
