//! The Ideal Partner Profile (IPP): weighted criteria describing the partner the vendor wants,
//! and the explainable 0–100 fit score every applicant and partner gets against it.
//!
//! The IPP is data the program lead edits, so it is validated as a whole ([`Ipp::new`], also on
//! deserialisation) and scoring never fails. Storing versions and rescoring partners when the
//! IPP changes belong to the service.

mod score;
#[cfg(test)]
mod tests;
mod validate;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::profile::{Industry, Segment, Specialisations, TechTag};
use crate::orgs::string_enum;
use crate::{FieldErrors, PartnerType, Region};

/// What a partner is scored on: the parts of its profile (or of an application) the IPP can
/// refer to. `None` and empty lists mean "not provided" and score nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct FitProfile {
    /// How the partner goes to market.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub partner_type: Option<PartnerType>,
    /// The region the partner is headquartered in.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub region: Option<Region>,
    /// ISO 3166-1 alpha-2 code of the headquarters, upper case.
    pub country: Option<String>,
    /// Industries, technologies, segments and regions served.
    pub specialisations: Specialisations,
    /// Head count.
    pub employees: Option<u32>,
    /// Years since the partner was founded.
    pub years_in_business: Option<u32>,
    /// Number of active customers.
    pub customers: Option<u32>,
}

string_enum!(
    /// The part of a [`FitProfile`] a criterion looks at.
    Attribute {
        /// The partner type.
        PartnerType = "partner_type" / "Partner type",
        /// The headquarters region.
        Region = "region" / "Region",
        /// The headquarters country.
        Country = "country" / "Country",
        /// Industries served.
        Industries = "industries" / "Industries",
        /// Technologies.
        Technologies = "technologies" / "Technologies",
        /// Customer segments.
        Segments = "segments" / "Segments",
        /// Regions served.
        RegionsServed = "regions_served" / "Regions served",
        /// Head count.
        Employees = "employees" / "Employees",
        /// Years in business.
        YearsInBusiness = "years_in_business" / "Years in business",
        /// Number of customers.
        Customers = "customers" / "Customers",
    }
);

/// The shape of an attribute, which decides the rules that can score it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttributeKind {
    /// One value (`any_of`).
    Single,
    /// Several values (`any_of`, `coverage`).
    List,
    /// A whole number (`band`).
    Number,
}

impl AttributeKind {
    /// How the kind reads in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            AttributeKind::Single => "a single value",
            AttributeKind::List => "a list",
            AttributeKind::Number => "a number",
        }
    }
}

/// One acceptable value of a Single or List attribute, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    /// Compared with the partner's values: the enum id, the upper-case country or the
    /// technology's case-folded key.
    pub(crate) key: String,
    /// What people read.
    pub(crate) label: String,
    /// What the IPP stores: the id, the upper-case country or the tidied technology spelling.
    pub(crate) canonical: String,
}

impl Attribute {
    /// The attribute's shape.
    pub fn kind(self) -> AttributeKind {
        match self {
            Attribute::PartnerType | Attribute::Region | Attribute::Country => {
                AttributeKind::Single
            }
            Attribute::Industries
            | Attribute::Technologies
            | Attribute::Segments
            | Attribute::RegionsServed => AttributeKind::List,
            Attribute::Employees | Attribute::YearsInBusiness | Attribute::Customers => {
                AttributeKind::Number
            }
        }
    }

    /// Resolves a value written in an IPP rule, or says why it is not one of this attribute's.
    pub(crate) fn parse_value(self, raw: &str) -> Result<Value, String> {
        let raw = raw.trim();
        match self {
            Attribute::PartnerType => parse_enum(raw, PartnerType::as_str, PartnerType::label),
            Attribute::Region | Attribute::RegionsServed => {
                parse_enum(raw, Region::as_str, Region::label)
            }
            Attribute::Industries => parse_enum(raw, Industry::as_str, Industry::label),
            Attribute::Segments => parse_enum(raw, Segment::as_str, Segment::label),
            Attribute::Country => {
                if raw.len() == 2 && raw.chars().all(|c| c.is_ascii_alphabetic()) {
                    Ok(Value::country(raw))
                } else {
                    Err(format!(
                        "{raw:?} is not a two-letter ISO country code such as DE"
                    ))
                }
            }
            Attribute::Technologies => TechTag::parse(raw)
                .map(|t| Value::tech(&t))
                .map_err(|e| e.to_string()),
            Attribute::Employees | Attribute::YearsInBusiness | Attribute::Customers => {
                Err(format!("{} is a number and takes no values", self.label()))
            }
        }
    }

    /// The profile's values for a Single or List attribute; `None` when not provided.
    pub(crate) fn values_of(self, p: &FitProfile) -> Option<Vec<Value>> {
        let s = &p.specialisations;
        let values: Vec<Value> = match self {
            Attribute::PartnerType => {
                enum_values(&p.partner_type, PartnerType::as_str, PartnerType::label)
            }
            Attribute::Region => enum_values(&p.region, Region::as_str, Region::label),
            Attribute::Country => p
                .country
                .iter()
                .filter(|c| !c.trim().is_empty())
                .map(|c| Value::country(c))
                .collect(),
            Attribute::Industries => enum_values(&s.industries, Industry::as_str, Industry::label),
            Attribute::Technologies => s.technologies.iter().map(Value::tech).collect(),
            Attribute::Segments => enum_values(&s.segments, Segment::as_str, Segment::label),
            Attribute::RegionsServed => {
                enum_values(&s.regions_served, Region::as_str, Region::label)
            }
            Attribute::Employees | Attribute::YearsInBusiness | Attribute::Customers => Vec::new(),
        };
        (!values.is_empty()).then_some(values)
    }

    /// The profile's figure for a Number attribute; `None` when not provided.
    pub(crate) fn number_of(self, p: &FitProfile) -> Option<u32> {
        match self {
            Attribute::Employees => p.employees,
            Attribute::YearsInBusiness => p.years_in_business,
            Attribute::Customers => p.customers,
            _ => None,
        }
    }

    /// "35 employees", "1 year in business".
    pub(crate) fn count_phrase(self, n: u32) -> String {
        let (one, many) = match self {
            Attribute::YearsInBusiness => ("year in business", "years in business"),
            Attribute::Customers => ("customer", "customers"),
            _ => ("employee", "employees"),
        };
        let noun = if n == 1 { one } else { many };
        format!("{} {noun}", crate::text::group_thousands(u64::from(n)))
    }
}

impl Value {
    fn id(id: &str, label: &str) -> Self {
        Self {
            key: id.to_owned(),
            label: label.to_owned(),
            canonical: id.to_owned(),
        }
    }

    fn country(code: &str) -> Self {
        let code = code.trim().to_ascii_uppercase();
        Self::id(&code, &code)
    }

    fn tech(t: &TechTag) -> Self {
        Self {
            key: t.key().to_owned(),
            label: t.as_str().to_owned(),
            canonical: t.as_str().to_owned(),
        }
    }
}

/// One of the `string_enum!` vocabularies, by id.
fn parse_enum<T: FromStr<Err = String> + Copy>(
    raw: &str,
    id: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Result<Value, String> {
    raw.parse::<T>().map(|v| Value::id(id(v), label(v)))
}

fn enum_values<'a, T: Copy + 'a>(
    items: impl IntoIterator<Item = &'a T>,
    id: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Value> {
    items
        .into_iter()
        .map(|&v| Value::id(id(v), label(v)))
        .collect()
}

/// How a criterion turns an attribute into a match between 0 and 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Full match when the value (Single) or any of the values (List) is in `values`.
    AnyOf {
        /// Acceptable values (ids; technologies by name, countries as ISO codes).
        values: Vec<String>,
    },
    /// List attributes only: the share of `values` the partner has, full at `full_at` of them.
    Coverage {
        /// Wanted values.
        values: Vec<String>,
        /// How many of `values` earn full points (1 to the number of values).
        full_at: u32,
    },
    /// Number attributes only: 0 below `min`, rising linearly to full at `ideal_min`, full up
    /// to `ideal_max` (no upper limit when absent), falling linearly to 0 at `max` (at once
    /// above `ideal_max` when `max` is absent).
    Band {
        /// Below this, no match.
        min: u32,
        /// From here, a full match.
        ideal_min: u32,
        /// Up to here, a full match; absent for "the more the better".
        ideal_max: Option<u32>,
        /// From here, no match again; needs `ideal_max`.
        max: Option<u32>,
    },
}

impl Rule {
    /// The rule's `kind` as written in JSON.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Rule::AnyOf { .. } => "any_of",
            Rule::Coverage { .. } => "coverage",
            Rule::Band { .. } => "band",
        }
    }

    /// Whether this rule can score an attribute of `kind`.
    pub fn suits(&self, kind: AttributeKind) -> bool {
        matches!(
            (self, kind),
            (
                Rule::AnyOf { .. },
                AttributeKind::Single | AttributeKind::List
            ) | (Rule::Coverage { .. }, AttributeKind::List)
                | (Rule::Band { .. }, AttributeKind::Number)
        )
    }
}

/// One weighted criterion of the IPP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct Criterion {
    /// Stable identifier within the IPP (`target_industries`); score history refers to it.
    pub key: String,
    /// What people read (`Target industries`).
    pub label: String,
    /// The attribute scored.
    pub attribute: Attribute,
    /// How it is scored.
    pub rule: Rule,
    /// Relative importance, 1–100; weights need not add up to anything.
    pub weight: u32,
}

/// A validated Ideal Partner Profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "IppInput")]
pub struct Ipp {
    /// 1–30 criteria, in display order.
    criteria: Vec<Criterion>,
}

/// The unvalidated wire form; deserialising an [`Ipp`] goes through [`Ipp::new`].
#[derive(Deserialize)]
struct IppInput {
    criteria: Vec<Criterion>,
}

impl TryFrom<IppInput> for Ipp {
    type Error = FieldErrors;
    fn try_from(input: IppInput) -> Result<Self, Self::Error> {
        Self::new(input.criteria)
    }
}

impl Ipp {
    /// Most criteria; beyond this nobody can read the breakdown.
    pub const MAX_CRITERIA: usize = 30;

    /// Validates and normalises criteria (labels trimmed, values in their canonical form:
    /// ids, upper-case countries, tidied technology names). Every problem is reported, under
    /// `criteria[i].…` names.
    pub fn new(mut criteria: Vec<Criterion>) -> Result<Self, FieldErrors> {
        validate::validate(&mut criteria).into_result()?;
        Ok(Self { criteria })
    }

    /// The criteria, in the order the program lead arranged them.
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    /// Scores a profile. Never fails: missing data scores nothing and says so.
    pub fn score(&self, profile: &FitProfile) -> FitScore {
        score::score(&self.criteria, profile)
    }
}

/// A profile's fit against the IPP, with the breakdown that explains it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct FitScore {
    /// 0–100; always the sum of the contributions' points.
    pub score: u8,
    /// One entry per criterion, in IPP order; their `max_points` add up to 100.
    pub contributions: Vec<Contribution>,
}

/// What one criterion contributed to a fit score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct Contribution {
    /// The criterion's key.
    pub key: String,
    /// The criterion's label.
    pub label: String,
    /// The criterion's weight.
    pub weight: u32,
    /// Its share of the 100 points.
    pub max_points: u8,
    /// Points earned.
    pub points: u8,
    /// How well the attribute matched, in thousandths (1000 only for a full match, 0 only for
    /// none).
    pub matched_permille: u16,
    /// A short sentence saying why.
    pub reason: String,
}

impl FitScore {
    /// One line for lists and logs: `Fit 72/100: Partner type 30/30, Industries 15/30, …`.
    pub fn explain(&self) -> String {
        let parts: Vec<String> = self
            .contributions
            .iter()
            .map(|c| format!("{} {}/{}", c.label, c.points, c.max_points))
            .collect();
        format!("Fit {}/100: {}", self.score, parts.join(", "))
    }
}
