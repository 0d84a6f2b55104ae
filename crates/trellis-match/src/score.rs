//! How strongly two records look like one company, and why.
//!
//! Each field contributes evidence in log-odds, in the manner of Fellegi and Sunter: a shared
//! registrable domain is strong evidence for, two different domains strong evidence against,
//! a name one typo apart fairly strong for, a different country against. The sum, from a
//! prior that two candidate records are rarely the same company, becomes a score between 0
//! and 1 through the logistic function. The weights are set by reasoning about CRM data, not
//! fitted to a benchmark: the benchmarks measure them.

use std::fmt;

use crate::country::Country;
use crate::domain::domain_label;
use crate::record::Prepared;

/// Log-odds that two records found as candidates are one company, before looking at them.
const PRIOR: f64 = -3.0;

/// What the domains say.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainAgreement {
    /// The same registrable domain.
    Same(String),
    /// The same name under another public suffix ("acme.com" and "acme.de").
    SameLabel(String, String),
    Different(String, String),
    /// One side has no domain.
    Unknown,
}

/// What the name keys say.
#[derive(Debug, Clone, PartialEq)]
pub enum NameAgreement {
    Equal,
    /// A typo apart: this many single-character edits (1 or 2) in a long enough name.
    Edits(usize),
    /// More than a typo apart but alike (at least 0.8 of the characters in place).
    Similar(f64),
    Different,
    /// One side has no name left once legal forms are dropped.
    Unknown,
}

/// What the countries say.
#[derive(Debug, Clone, PartialEq)]
pub enum CountryAgreement {
    Same(Country),
    Different(Country, Country),
    Unknown,
}

/// Field by field, why two records scored as they did.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub domain: DomainAgreement,
    pub name: NameAgreement,
    pub country: CountryAgreement,
}

impl Reason {
    /// The score of this evidence, in (0, 1).
    pub fn score(&self) -> f64 {
        let logit = PRIOR + self.domain_weight() + self.name_weight() + self.country_weight();
        1.0 / (1.0 + (-logit).exp())
    }

    fn domain_weight(&self) -> f64 {
        match self.domain {
            DomainAgreement::Same(_) => 9.0,
            // Often one group's sites in several countries: weak unless the country agrees.
            DomainAgreement::SameLabel(..) => 0.5,
            DomainAgreement::Different(..) => -4.5,
            DomainAgreement::Unknown => 0.0,
        }
    }

    fn name_weight(&self) -> f64 {
        match self.name {
            NameAgreement::Equal => 5.0,
            NameAgreement::Edits(1) => 3.5,
            NameAgreement::Edits(_) => 2.5,
            NameAgreement::Similar(_) => -1.5,
            NameAgreement::Different => -5.0,
            NameAgreement::Unknown => 0.0,
        }
    }

    fn country_weight(&self) -> f64 {
        match self.country {
            CountryAgreement::Same(_) => 1.0,
            CountryAgreement::Different(..) => -3.0,
            CountryAgreement::Unknown => 0.0,
        }
    }
}

/// Compares two prepared records field by field, given how their names agree (which the
/// index works out while finding the pair).
pub(crate) fn compare(a: &Prepared, b: &Prepared, name: NameAgreement) -> Reason {
    let domain = match (&a.domain, &b.domain) {
        (Some(x), Some(y)) if x == y => DomainAgreement::Same(x.clone()),
        (Some(x), Some(y)) if domain_label(x) == domain_label(y) => {
            DomainAgreement::SameLabel(x.clone(), y.clone())
        }
        (Some(x), Some(y)) => DomainAgreement::Different(x.clone(), y.clone()),
        _ => DomainAgreement::Unknown,
    };
    let country = match (a.country, b.country) {
        (Some(x), Some(y)) if x == y => CountryAgreement::Same(x),
        (Some(x), Some(y)) => CountryAgreement::Different(x, y),
        _ => CountryAgreement::Unknown,
    };
    Reason {
        domain,
        name,
        country,
    }
}

/// Names at least this alike (1 minus the share of characters edited) are "similar", not
/// "different", when a shared domain brought them together.
const SIMILAR: f64 = 0.8;

/// The edits a name of this length may have and still read as a typo of the other: none
/// below 8 characters ("acme" / "acne" are two companies), one below 16, two from 16 on.
pub(crate) fn typo_edits(longest: usize) -> usize {
    match longest {
        0..8 => 0,
        8..16 => 1,
        _ => 2,
    }
}

/// Grades two compact name keys, given their edit distance.
pub(crate) fn name_agreement(a: &str, b: &str, edits: usize) -> NameAgreement {
    if a.is_empty() || b.is_empty() {
        return NameAgreement::Unknown;
    }
    let longest = a.len().max(b.len());
    if edits == 0 {
        NameAgreement::Equal
    } else if edits <= typo_edits(longest) {
        NameAgreement::Edits(edits)
    } else if similarity(edits, longest) >= SIMILAR {
        NameAgreement::Similar(similarity(edits, longest))
    } else {
        NameAgreement::Different
    }
}

/// Edit similarity: 1 minus the share of characters edited.
#[allow(clippy::cast_precision_loss)] // names are far shorter than 2^52 characters
pub(crate) fn similarity(edits: usize, longest: usize) -> f64 {
    if longest == 0 {
        return 0.0;
    }
    1.0 - edits as f64 / longest as f64
}

impl fmt::Display for Reason {
    /// "name equal + same country DE, but different domains acme.de and acme-gmbh.de".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pro: Vec<String> = Vec::new();
        let mut con: Vec<String> = Vec::new();
        match &self.domain {
            DomainAgreement::Same(d) => pro.push(format!("same registrable domain {d}")),
            DomainAgreement::SameLabel(a, b) => pro.push(format!("same domain name {a} and {b}")),
            DomainAgreement::Different(a, b) => con.push(format!("different domains {a} and {b}")),
            DomainAgreement::Unknown => {}
        }
        match &self.name {
            NameAgreement::Equal => pro.push("name equal".into()),
            NameAgreement::Edits(1) => pro.push("name 1 edit apart".into()),
            NameAgreement::Edits(n) => pro.push(format!("name {n} edits apart")),
            NameAgreement::Similar(s) => con.push(format!("name only {s:.2} alike")),
            NameAgreement::Different => con.push("different names".into()),
            NameAgreement::Unknown => {}
        }
        match &self.country {
            CountryAgreement::Same(c) => pro.push(format!("same country {c}")),
            CountryAgreement::Different(a, b) => {
                con.push(format!("different countries {a} and {b}"));
            }
            CountryAgreement::Unknown => {}
        }
        match (pro.is_empty(), con.is_empty()) {
            (false, true) => write!(f, "{}", pro.join(" + ")),
            (false, false) => write!(f, "{}, but {}", pro.join(" + "), con.join(" and ")),
            (true, _) => write!(f, "{}", con.join(" and ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::country::country_code;

    fn reason(domain: DomainAgreement, name: NameAgreement, country: CountryAgreement) -> Reason {
        Reason {
            domain,
            name,
            country,
        }
    }

    fn de() -> Country {
        country_code("DE").unwrap()
    }

    #[test]
    fn a_shared_domain_decides_even_when_names_differ() {
        let r = reason(
            DomainAgreement::Same("acme.com".into()),
            NameAgreement::Different,
            CountryAgreement::Unknown,
        );
        assert!(r.score() > 0.7, "{}", r.score());
        assert_eq!(
            r.to_string(),
            "same registrable domain acme.com, but different names"
        );
    }

    #[test]
    fn an_equal_name_in_the_same_country_is_a_match_unless_the_domains_differ() {
        let same = reason(
            DomainAgreement::Unknown,
            NameAgreement::Equal,
            CountryAgreement::Same(de()),
        );
        assert!(same.score() > 0.9);
        assert_eq!(same.to_string(), "name equal + same country DE");
        let other = reason(
            DomainAgreement::Different("acme.de".into(), "acme2.de".into()),
            NameAgreement::Equal,
            CountryAgreement::Same(de()),
        );
        assert!(other.score() < 0.5);
        assert_eq!(
            other.to_string(),
            "name equal + same country DE, but different domains acme.de and acme2.de"
        );
    }

    #[test]
    fn a_typo_counts_only_in_a_long_enough_name() {
        assert_eq!(name_agreement("acme", "acne", 1), NameAgreement::Different);
        assert_eq!(
            name_agreement("globex", "globax", 1),
            NameAgreement::Similar(1.0 - 1.0 / 6.0)
        );
        assert_eq!(
            name_agreement("acmelogistics", "acmelogistcs", 1),
            NameAgreement::Edits(1)
        );
        let typo = reason(
            DomainAgreement::Unknown,
            NameAgreement::Edits(1),
            CountryAgreement::Same(de()),
        );
        assert!(typo.score() > 0.5);
        let abroad = reason(
            DomainAgreement::Unknown,
            NameAgreement::Equal,
            CountryAgreement::Different(de(), country_code("FR").unwrap()),
        );
        assert!(abroad.score() < 0.5);
    }
}
