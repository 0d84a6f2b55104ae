//! Account mapping: the populations each side groups its accounts into, and the sharing
//! policy that says what the other side may learn of each population (PRODUCT.md §3).
//!
//! Pure: which accounts belong to a population, what a policy allows, how a per-partner
//! override falls back on the side's default. The service applies it before anything leaves
//! a side; in hosted mode that is also where the vendor is kept from a partner's other
//! accounts.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::orgs::string_enum;
use crate::validation::FieldErrors;

string_enum!(
    /// The populations every side has; more can be defined with filters.
    Builtin {
        /// Accounts that buy from this side today.
        Customers = "customers" / "Customers",
        /// Accounts with at least one open opportunity.
        OpenOpportunities = "open_opportunities" / "Open opportunities",
        /// Accounts this side is trying to win.
        Prospects = "prospects" / "Prospects",
    }
);

impl Builtin {
    /// The filter that defines it.
    pub fn filter(self) -> Filter {
        let relationship = |value: &str| Condition {
            field: AccountField::Relationship,
            op: Op::IsOneOf,
            values: vec![value.to_owned()],
        };
        Filter {
            conditions: vec![match self {
                Builtin::Customers => relationship("customer"),
                Builtin::Prospects => relationship("prospect"),
                Builtin::OpenOpportunities => Condition {
                    field: AccountField::OpenOpportunities,
                    op: Op::AtLeast,
                    values: vec!["1".to_owned()],
                },
            }],
        }
    }

    /// What it holds, for the population pages.
    pub const fn description(self) -> &'static str {
        match self {
            Builtin::Customers => "Accounts whose relationship is customer.",
            Builtin::OpenOpportunities => "Accounts with at least one open opportunity.",
            Builtin::Prospects => "Accounts whose relationship is prospect.",
        }
    }
}

string_enum!(
    /// An account field a population filter can test.
    AccountField {
        /// Customer, prospect, partner or other.
        Relationship = "relationship" / "Relationship",
        /// ISO 3166 alpha-2 code.
        Country = "country" / "Country",
        /// Industry as the CRM spells it.
        Industry = "industry" / "Industry",
        /// The CRM's account type.
        AccountType = "account_type" / "Account type",
        /// The account owner's name.
        Owner = "owner" / "Account owner",
        /// Head count.
        Employees = "employees" / "Employees",
        /// Open opportunities on the account.
        OpenOpportunities = "open_opportunities" / "Open opportunities",
        /// The company name.
        Name = "name" / "Company name",
        /// The registrable domain of its website.
        Domain = "domain" / "Domain",
    }
);

impl AccountField {
    /// Whether the field holds a number (compared with at least / at most).
    pub const fn is_number(self) -> bool {
        matches!(
            self,
            AccountField::Employees | AccountField::OpenOpportunities
        )
    }
}

string_enum!(
    /// How a condition compares.
    Op {
        /// Equal to one of the values (ignoring case).
        IsOneOf = "is_one_of" / "is one of",
        /// Equal to none of the values (ignoring case).
        IsNotOneOf = "is_not_one_of" / "is not one of",
        /// Contains one of the values (ignoring case).
        Contains = "contains" / "contains",
        /// A number at least the value.
        AtLeast = "at_least" / "is at least",
        /// A number at most the value.
        AtMost = "at_most" / "is at most",
    }
);

/// One test on an account field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Condition {
    /// The field tested.
    pub field: AccountField,
    /// How.
    pub op: Op,
    /// Against what: one or more values; a single number for at least / at most.
    pub values: Vec<String>,
}

/// A population's definition: every condition must hold. No condition: every account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Filter {
    /// The conditions, all of which must hold.
    pub conditions: Vec<Condition>,
}

/// Most conditions in one filter, and values in one condition.
const MAX_CONDITIONS: usize = 20;
const MAX_VALUES: usize = 200;

/// The account fields populations are defined over, the same for the vendor's CRM accounts
/// and a partner's uploaded ones.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountFacts<'a> {
    /// `customer`, `prospect`, `partner` or `other`.
    pub relationship: &'a str,
    /// ISO code or empty.
    pub country: &'a str,
    /// Industry or empty.
    pub industry: &'a str,
    /// Account type or empty.
    pub account_type: &'a str,
    /// Owner's name or empty.
    pub owner: &'a str,
    /// Head count, if known.
    pub employees: Option<i64>,
    /// Open opportunities.
    pub open_opportunities: i64,
    /// Company name.
    pub name: &'a str,
    /// Registrable domain or empty.
    pub domain: &'a str,
}

impl Filter {
    /// Checks the filter; errors name `conditions[i].values` and the like.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if self.conditions.len() > MAX_CONDITIONS {
            e.add("conditions", format!("at most {MAX_CONDITIONS} conditions"));
        }
        for (i, c) in self.conditions.iter().enumerate() {
            let at = |what: &str| format!("conditions[{i}].{what}");
            let numeric = matches!(c.op, Op::AtLeast | Op::AtMost);
            if numeric != c.field.is_number() {
                e.add(
                    at("op"),
                    if numeric {
                        format!(
                            "\"{}\" compares numbers; {} is text",
                            c.op.label(),
                            c.field.label()
                        )
                    } else {
                        format!(
                            "{} is a number: use is at least or is at most",
                            c.field.label()
                        )
                    },
                );
            }
            let values: Vec<&str> = c.values.iter().map(|v| v.trim()).collect();
            if values.is_empty() || values.iter().any(|v| v.is_empty()) {
                e.add(at("values"), "needs a value (no empty values)");
            } else if numeric && (values.len() != 1 || values[0].parse::<i64>().is_err()) {
                e.add(at("values"), "needs one whole number");
            } else if values.len() > MAX_VALUES {
                e.add(at("values"), format!("at most {MAX_VALUES} values"));
            } else if values.iter().any(|v| v.chars().count() > 200) {
                e.add(at("values"), "a value is longer than 200 characters");
            }
        }
        e.into_result()
    }

    /// Whether the account belongs. Call on a validated filter.
    pub fn matches(&self, a: &AccountFacts<'_>) -> bool {
        self.conditions.iter().all(|c| c.matches(a))
    }
}

impl Condition {
    fn matches(&self, a: &AccountFacts<'_>) -> bool {
        let text = match self.field {
            AccountField::Relationship => a.relationship,
            AccountField::Country => a.country,
            AccountField::Industry => a.industry,
            AccountField::AccountType => a.account_type,
            AccountField::Owner => a.owner,
            AccountField::Name => a.name,
            AccountField::Domain => a.domain,
            AccountField::Employees => return self.compare(a.employees),
            AccountField::OpenOpportunities => return self.compare(Some(a.open_opportunities)),
        };
        let text = text.trim();
        match self.op {
            Op::IsOneOf => self
                .values
                .iter()
                .any(|v| v.trim().eq_ignore_ascii_case(text)),
            Op::IsNotOneOf => !self
                .values
                .iter()
                .any(|v| v.trim().eq_ignore_ascii_case(text)),
            Op::Contains => {
                let text = text.to_lowercase();
                self.values
                    .iter()
                    .any(|v| text.contains(&v.trim().to_lowercase()))
            }
            Op::AtLeast | Op::AtMost => false,
        }
    }

    /// An unknown number never matches a comparison.
    fn compare(&self, value: Option<i64>) -> bool {
        let (Some(value), Some(bound)) = (
            value,
            self.values
                .first()
                .and_then(|v| v.trim().parse::<i64>().ok()),
        ) else {
            return false;
        };
        match self.op {
            Op::AtLeast => value >= bound,
            Op::AtMost => value <= bound,
            Op::IsOneOf | Op::IsNotOneOf | Op::Contains => false,
        }
    }
}

impl fmt::Display for Filter {
    /// "Country is one of DE, AT and Employees is at least 500".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.conditions.is_empty() {
            return f.write_str("every account");
        }
        for (i, c) in self.conditions.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(
                f,
                "{} {} {}",
                c.field.label(),
                c.op.label(),
                c.values.join(", ")
            )?;
        }
        Ok(())
    }
}

string_enum!(
    /// How much of a population a side lets the other side learn.
    ShareLevel {
        /// Nothing: the population takes no part in the mapping.
        Nothing = "nothing" / "Nothing",
        /// How many accounts overlap, per population pair, and nothing about which.
        Counts = "counts" / "Counts only",
        /// The overlapping accounts, with the chosen fields.
        Records = "records" / "Overlapping records",
    }
);

string_enum!(
    /// A field of an overlapping account that a side may share.
    SharedField {
        /// The company name as this side's CRM has it.
        Name = "name" / "Company name",
        /// Its website's domain.
        Domain = "domain" / "Domain",
        /// Country.
        Country = "country" / "Country",
        /// Industry.
        Industry = "industry" / "Industry",
        /// Head count.
        Employees = "employees" / "Employees",
        /// Who owns the account on this side, for co-selling.
        Owner = "owner" / "Account owner",
        /// Customer, prospect, partner or other.
        Relationship = "relationship" / "Relationship",
        /// How many open opportunities this side has on it.
        OpenOpportunities = "open_opportunities" / "Open opportunities",
    }
);

/// What a side shares of one population.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    /// How much.
    pub level: ShareLevel,
    /// For [`ShareLevel::Records`]: the fields shared besides the fact of the overlap.
    #[serde(default)]
    pub fields: Vec<SharedField>,
}

/// Shares nothing.
pub static NOTHING: Share = Share {
    level: ShareLevel::Nothing,
    fields: Vec::new(),
};

/// A side's sharing policy: its default, or an override for one connection, in which case
/// what it leaves out falls back on the default ([`SharingPolicy::over`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharingPolicy {
    /// Per population key.
    #[serde(default)]
    pub populations: BTreeMap<String, Share>,
    /// Counts below this are hidden from the other side (0 or 1: every count shown). In an
    /// override, `None` keeps the default's.
    #[serde(default)]
    pub min_count: Option<u32>,
}

/// Largest minimum count accepted.
const MAX_MIN_COUNT: u32 = 1_000_000;

impl SharingPolicy {
    /// Checks the policy against the side's population keys.
    pub fn validate(&self, known: &[&str]) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        for (key, share) in &self.populations {
            if !known.contains(&key.as_str()) {
                e.add(
                    format!("populations.{key}"),
                    "is not one of your populations",
                );
            }
            match share.level {
                ShareLevel::Records if share.fields.is_empty() => {}
                ShareLevel::Records => {
                    let mut seen = share.fields.clone();
                    seen.sort_by_key(|f| f.as_str());
                    seen.dedup();
                    if seen.len() != share.fields.len() {
                        e.add(format!("populations.{key}.fields"), "lists a field twice");
                    }
                }
                ShareLevel::Nothing | ShareLevel::Counts if !share.fields.is_empty() => e.add(
                    format!("populations.{key}.fields"),
                    "fields are shared only with overlapping records",
                ),
                ShareLevel::Nothing | ShareLevel::Counts => {}
            }
        }
        if self.min_count.is_some_and(|m| m > MAX_MIN_COUNT) {
            e.add("min_count", format!("must be at most {MAX_MIN_COUNT}"));
        }
        e.into_result()
    }

    /// This override over `default`: a population it does not name, or a minimum count it
    /// leaves out, is the default's.
    #[must_use]
    pub fn over(&self, default: &SharingPolicy) -> SharingPolicy {
        let mut populations = default.populations.clone();
        populations.extend(self.populations.clone());
        SharingPolicy {
            populations,
            min_count: self.min_count.or(default.min_count),
        }
    }

    /// What is shared of a population: nothing unless the policy says otherwise.
    pub fn share(&self, population: &str) -> &Share {
        self.populations.get(population).unwrap_or(&NOTHING)
    }

    /// A count as the other side may see it: `None` below the minimum.
    pub fn shown(&self, count: u64) -> Option<u64> {
        (count >= u64::from(self.min_count.unwrap_or(0))).then_some(count)
    }
}

/// A population key for a custom population: lower-case letters, digits and `_`, starting
/// with a letter, not a built-in's.
pub fn check_population_key(key: &str) -> Result<(), String> {
    let ok = key.len() <= 60
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(
            "use lower-case letters, digits and _, starting with a letter (at most 60)".into(),
        );
    }
    if key.parse::<Builtin>().is_ok() {
        return Err(format!("\"{key}\" is a built-in population"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> AccountFacts<'static> {
        AccountFacts {
            relationship: "customer",
            country: "DE",
            industry: "Manufacturing",
            account_type: "Enterprise",
            owner: "Dana Reyes",
            employees: Some(1_200),
            open_opportunities: 2,
            name: "Acme Maschinenbau",
            domain: "acme.de",
        }
    }

    fn cond(field: AccountField, op: Op, values: &[&str]) -> Condition {
        Condition {
            field,
            op,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn builtins_select_by_relationship_and_open_opportunities() {
        let a = acme();
        assert!(Builtin::Customers.filter().matches(&a));
        assert!(!Builtin::Prospects.filter().matches(&a));
        assert!(Builtin::OpenOpportunities.filter().matches(&a));
        let none = AccountFacts {
            open_opportunities: 0,
            ..a
        };
        assert!(!Builtin::OpenOpportunities.filter().matches(&none));
    }

    #[test]
    fn every_condition_must_hold_and_text_ignores_case() {
        let f = Filter {
            conditions: vec![
                cond(AccountField::Country, Op::IsOneOf, &["de", "AT"]),
                cond(AccountField::Employees, Op::AtLeast, &["1000"]),
                cond(AccountField::Name, Op::Contains, &["maschinen"]),
            ],
        };
        f.validate().unwrap();
        assert!(f.matches(&acme()));
        let small = AccountFacts {
            employees: Some(999),
            ..acme()
        };
        assert!(!f.matches(&small));
        let unknown = AccountFacts {
            employees: None,
            ..acme()
        };
        assert!(
            !f.matches(&unknown),
            "an unknown head count is not at least 1000"
        );
        let not_de = Filter {
            conditions: vec![cond(AccountField::Country, Op::IsNotOneOf, &["DE"])],
        };
        assert!(!not_de.matches(&acme()));
        assert!(Filter::default().matches(&acme()));
        assert_eq!(
            f.to_string(),
            "Country is one of de, AT and Employees is at least 1000 and Company name contains \
             maschinen"
        );
    }

    #[test]
    fn a_filter_names_the_condition_that_is_wrong() {
        let f = Filter {
            conditions: vec![
                cond(AccountField::Country, Op::IsOneOf, &["DE"]),
                cond(AccountField::Country, Op::AtLeast, &["3"]),
                cond(AccountField::Employees, Op::IsOneOf, &["3"]),
                cond(AccountField::Employees, Op::AtMost, &["lots"]),
                cond(AccountField::Industry, Op::IsOneOf, &[" "]),
            ],
        };
        let e = f.validate().unwrap_err();
        assert!(e.for_field("conditions[0].op").is_none());
        assert!(e.for_field("conditions[1].op").unwrap().contains("numbers"));
        assert!(
            e.for_field("conditions[2].op")
                .unwrap()
                .contains("is a number")
        );
        assert!(
            e.for_field("conditions[3].values")
                .unwrap()
                .contains("whole number")
        );
        assert!(e.for_field("conditions[4].values").is_some());
    }

    #[test]
    fn an_override_falls_back_on_the_default_population_by_population() {
        let records = Share {
            level: ShareLevel::Records,
            fields: vec![SharedField::Owner],
        };
        let counts = Share {
            level: ShareLevel::Counts,
            fields: vec![],
        };
        let default = SharingPolicy {
            populations: BTreeMap::from([
                ("customers".to_owned(), counts.clone()),
                ("prospects".to_owned(), counts.clone()),
            ]),
            min_count: Some(5),
        };
        let over = SharingPolicy {
            populations: BTreeMap::from([("customers".to_owned(), records.clone())]),
            min_count: None,
        };
        let effective = over.over(&default);
        assert_eq!(effective.share("customers"), &records);
        assert_eq!(effective.share("prospects"), &counts);
        assert_eq!(effective.share("open_opportunities"), &NOTHING);
        assert_eq!(effective.min_count, Some(5));
        assert_eq!(effective.shown(4), None);
        assert_eq!(effective.shown(5), Some(5));
        assert_eq!(SharingPolicy::default().shown(0), Some(0));
    }

    #[test]
    fn a_policy_names_unknown_populations_and_misplaced_fields() {
        let p = SharingPolicy {
            populations: BTreeMap::from([
                (
                    "customers".to_owned(),
                    Share {
                        level: ShareLevel::Counts,
                        fields: vec![SharedField::Name],
                    },
                ),
                ("partners".to_owned(), NOTHING.clone()),
                (
                    "prospects".to_owned(),
                    Share {
                        level: ShareLevel::Records,
                        fields: vec![SharedField::Name, SharedField::Name],
                    },
                ),
            ]),
            min_count: Some(2_000_000),
        };
        let e = p.validate(&["customers", "prospects"]).unwrap_err();
        assert!(e.for_field("populations.customers.fields").is_some());
        assert!(e.for_field("populations.partners").is_some());
        assert!(
            e.for_field("populations.prospects.fields")
                .unwrap()
                .contains("twice")
        );
        assert!(e.for_field("min_count").is_some());
    }

    #[test]
    fn custom_population_keys_are_slugs_and_not_builtins() {
        assert!(check_population_key("dach_enterprise").is_ok());
        assert!(check_population_key("customers").is_err());
        assert!(check_population_key("Big Ones").is_err());
        assert!(check_population_key("1st").is_err());
    }
}
