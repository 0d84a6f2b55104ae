//! The vocabularies a partner profile is described in: industries, customer segments, the
//! partner's lifecycle status and free-form technology tags, plus the specialisations that
//! group them. The directory facets and the Ideal Partner Profile both read these.
//!
//! Only shape and normalisation live here; who may edit a profile is the service's business.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::orgs::string_enum;
use crate::{FieldErrors, Region};

string_enum!(
    /// An industry a partner sells into or specialises in.
    Industry {
        /// Software and internet companies.
        Software = "software" / "Software",
        /// Banking, insurance and capital markets.
        FinancialServices = "financial_services" / "Financial services",
        /// Providers, payers and life sciences.
        Healthcare = "healthcare" / "Healthcare",
        /// Discrete and process manufacturing.
        Manufacturing = "manufacturing" / "Manufacturing",
        /// Retail and consumer goods.
        Retail = "retail" / "Retail",
        /// Government and public administration.
        PublicSector = "public_sector" / "Public sector",
        /// Schools, universities and research.
        Education = "education" / "Education",
        /// Carriers and network operators.
        Telecommunications = "telecommunications" / "Telecommunications",
        /// Utilities, oil and gas, renewables.
        Energy = "energy" / "Energy & utilities",
        /// Media, publishing and entertainment.
        Media = "media" / "Media & entertainment",
        /// Transportation and logistics.
        Transportation = "transportation" / "Transportation & logistics",
        /// Consulting, legal, accounting.
        ProfessionalServices = "professional_services" / "Professional services",
        /// Real estate and construction.
        RealEstate = "real_estate" / "Real estate",
        /// Hotels, travel and restaurants.
        Hospitality = "hospitality" / "Hospitality & travel",
        /// Charities and non-governmental organisations.
        Nonprofit = "nonprofit" / "Nonprofit",
    }
);

string_enum!(
    /// The size of customer a partner sells to.
    Segment {
        /// Small businesses.
        Smb = "smb" / "Small business",
        /// Mid-sized companies.
        MidMarket = "mid_market" / "Mid-market",
        /// Large enterprises.
        Enterprise = "enterprise" / "Enterprise",
        /// Government and public bodies.
        PublicSector = "public_sector" / "Public sector",
    }
);

string_enum!(
    /// Where a partner is in its lifecycle with the program.
    PartnerStatus {
        /// Approved, working through onboarding.
        Onboarding = "onboarding" / "Onboarding",
        /// A full member of the program.
        Active = "active" / "Active",
        /// Temporarily barred (e.g. a compliance issue); can be reactivated.
        Suspended = "suspended" / "Suspended",
        /// The relationship has ended; final.
        Terminated = "terminated" / "Terminated",
    }
);

impl PartnerStatus {
    /// Whether a partner in this status may be moved to `to`. Staying in the same status is not
    /// a transition. Termination is final so that history and payouts never refer to a partner
    /// who quietly came back.
    pub fn can_become(self, to: PartnerStatus) -> bool {
        use PartnerStatus::{Active, Onboarding, Suspended, Terminated};
        matches!(
            (self, to),
            (Onboarding, Active | Suspended | Terminated)
                | (Active, Suspended | Terminated)
                | (Suspended, Active | Terminated)
        )
    }

    /// Whether the partner takes part in the program (may register deals, is listed, …).
    pub fn is_live(self) -> bool {
        matches!(self, PartnerStatus::Onboarding | PartnerStatus::Active)
    }
}

/// A free-form technology specialisation such as `AWS` or `Microsoft Azure`.
///
/// Partners type these themselves, so the display form is kept as written (trimmed, inner
/// whitespace collapsed) while equality, ordering and hashing use a lower-cased key: `aws` and
/// `AWS` are one facet in the directory and one match in the Ideal Partner Profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TechTag {
    display: String,
    key: String,
}

/// Why a technology tag is not acceptable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TechTagError {
    /// Blank.
    #[error("a technology name is required")]
    Empty,
    /// Over [`TechTag::MAX_LEN`] characters.
    #[error("a technology name can be at most 40 characters")]
    TooLong,
    /// Contains control characters.
    #[error("a technology name cannot contain control characters")]
    Control,
}

impl TechTag {
    /// Longest tag, in characters; long enough for "Microsoft Dynamics 365 Business Central".
    pub const MAX_LEN: usize = 40;

    /// Parses and normalises a tag. Whitespace (tabs and line breaks included, as pasted from
    /// spreadsheets) collapses to single spaces before the control-character check.
    pub fn parse(input: &str) -> Result<Self, TechTagError> {
        let display = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if display.is_empty() {
            Err(TechTagError::Empty)
        } else if display.chars().count() > Self::MAX_LEN {
            Err(TechTagError::TooLong)
        } else if display.chars().any(char::is_control) {
            Err(TechTagError::Control)
        } else {
            let key = display.to_lowercase();
            Ok(Self { display, key })
        }
    }

    /// The tag as the partner wrote it.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The case-folded form used for matching, facets and storage lookups.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for TechTag {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for TechTag {}

impl Hash for TechTag {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for TechTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TechTag {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl TryFrom<String> for TechTag {
    type Error = TechTagError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TechTag> for String {
    fn from(t: TechTag) -> Self {
        t.display
    }
}

impl fmt::Display for TechTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TechTag {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <String as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for TechTag {}

/// What a partner specialises in. Kept normalised (sorted, without duplicates) so that two
/// profiles with the same specialisations compare equal and store the same rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub struct Specialisations {
    /// Industries served.
    pub industries: Vec<Industry>,
    /// Technologies the partner is skilled in.
    pub technologies: Vec<TechTag>,
    /// Customer segments served.
    pub segments: Vec<Segment>,
    /// Regions the partner sells and delivers in (not only where it is based).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub regions_served: Vec<Region>,
}

impl Specialisations {
    /// Most technology tags per partner; beyond this a profile stops saying what the partner
    /// is actually good at.
    pub const MAX_TECHNOLOGIES: usize = 20;

    /// Parses specialisations from form or API string lists (enum values by id, technologies
    /// free-form). Problems are recorded in `errors` under `industries[2]`-style names and the
    /// offending entries skipped, so the caller can report them together with its own fields.
    /// The result is normalised.
    pub fn parse<S: AsRef<str>>(
        industries: &[S],
        technologies: &[S],
        segments: &[S],
        regions_served: &[S],
        errors: &mut FieldErrors,
    ) -> Self {
        let mut out = Self {
            industries: parse_list(industries, "industries", errors, str::parse),
            technologies: parse_list(technologies, "technologies", errors, TechTag::parse),
            segments: parse_list(segments, "segments", errors, str::parse),
            regions_served: parse_list(regions_served, "regions_served", errors, str::parse),
        };
        out.normalise();
        if out.technologies.len() > Self::MAX_TECHNOLOGIES {
            errors.add(
                "technologies",
                format!(
                    "at most {} technologies, please ({} given); keep the ones you are strongest in",
                    Self::MAX_TECHNOLOGIES,
                    out.technologies.len()
                ),
            );
        }
        out
    }

    /// Sorts every list (enums in their display order, technologies by key) and removes
    /// duplicates; of two technology spellings with the same key the first one wins.
    pub fn normalise(&mut self) {
        sort_dedup_in_order(&mut self.industries, Industry::ALL);
        sort_dedup_in_order(&mut self.segments, Segment::ALL);
        sort_dedup_in_order(&mut self.regions_served, Region::ALL);
        // Stable sort, so the first spelling of a key survives `dedup`.
        self.technologies.sort();
        self.technologies.dedup();
    }

    /// True when nothing is filled in.
    pub fn is_empty(&self) -> bool {
        self.industries.is_empty()
            && self.technologies.is_empty()
            && self.segments.is_empty()
            && self.regions_served.is_empty()
    }
}

fn parse_list<S, T, E>(
    items: &[S],
    field: &str,
    errors: &mut FieldErrors,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Vec<T>
where
    S: AsRef<str>,
    E: fmt::Display,
{
    items
        .iter()
        .enumerate()
        .filter_map(|(i, s)| errors.check(&format!("{field}[{i}]"), parse(s.as_ref().trim())))
        .collect()
}

/// Sorts by position in `order` (the enum's `ALL`), which is the order pages list them in.
fn sort_dedup_in_order<T: Copy + PartialEq>(items: &mut Vec<T>, order: &[T]) {
    items.sort_by_key(|v| order.iter().position(|o| o == v));
    items.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_lifecycle_and_termination_is_final() {
        use PartnerStatus::{Active, Onboarding, Suspended, Terminated};
        assert!(Onboarding.can_become(Active));
        assert!(Onboarding.can_become(Terminated));
        assert!(Active.can_become(Suspended));
        assert!(Suspended.can_become(Active));
        assert!(!Active.can_become(Onboarding));
        assert!(!Active.can_become(Active));
        assert!(!Suspended.can_become(Onboarding));
        for s in PartnerStatus::ALL {
            assert!(!Terminated.can_become(*s), "terminated → {s}");
        }
        assert!(Onboarding.is_live() && Active.is_live());
        assert!(!Suspended.is_live() && !Terminated.is_live());
    }

    #[test]
    fn vocabularies_parse_their_ids_and_have_labels() {
        for i in Industry::ALL {
            assert_eq!(i.as_str().parse::<Industry>().unwrap(), *i);
            assert!(!i.label().is_empty());
        }
        assert_eq!(Industry::ALL.len(), 15);
        assert_eq!(Segment::Smb.label(), "Small business");
        assert!("sme".parse::<Segment>().unwrap_err().contains("mid_market"));
    }

    #[test]
    fn tech_tags_keep_their_spelling_but_match_case_insensitively() {
        let t = TechTag::parse("  Microsoft \t Azure ").unwrap();
        assert_eq!(t.as_str(), "Microsoft Azure");
        assert_eq!(t.key(), "microsoft azure");
        assert_eq!(t, TechTag::parse("MICROSOFT AZURE").unwrap());
        assert_ne!(t, TechTag::parse("Azure").unwrap());
        let mut set = std::collections::HashSet::new();
        set.insert(TechTag::parse("AWS").unwrap());
        assert!(set.contains(&TechTag::parse("aws").unwrap()));
    }

    #[test]
    fn tech_tags_are_bounded_and_free_of_control_characters() {
        assert_eq!(TechTag::parse(" \n ").unwrap_err(), TechTagError::Empty);
        assert!(TechTag::parse(&"x".repeat(40)).is_ok());
        assert_eq!(
            TechTag::parse(&"x".repeat(41)).unwrap_err(),
            TechTagError::TooLong
        );
        assert_eq!(
            TechTag::parse("AWS\u{0}").unwrap_err(),
            TechTagError::Control
        );
        assert!(TechTagError::TooLong.to_string().contains("40"));
    }

    #[test]
    fn specialisations_parse_report_each_bad_entry_by_index() {
        let mut e = FieldErrors::new();
        let s = Specialisations::parse(
            &["retail", "healthcare", "banking", "retail"],
            &["AWS", " ", "aws", "Salesforce"],
            &["enterprise", "smb"],
            &["emea", "mars"],
            &mut e,
        );
        assert!(
            e.for_field("industries[2]")
                .unwrap()
                .contains("financial_services")
        );
        assert_eq!(
            e.for_field("technologies[1]"),
            Some("a technology name is required")
        );
        assert!(e.for_field("regions_served[1]").is_some());
        assert_eq!(e.iter().count(), 3);
        assert_eq!(s.industries, vec![Industry::Healthcare, Industry::Retail]);
        let techs: Vec<&str> = s.technologies.iter().map(TechTag::as_str).collect();
        assert_eq!(techs, ["AWS", "Salesforce"]);
        assert_eq!(s.segments, vec![Segment::Smb, Segment::Enterprise]);
        assert_eq!(s.regions_served, vec![Region::Emea]);
    }

    #[test]
    fn more_than_twenty_distinct_technologies_are_refused() {
        let twenty: Vec<String> = (0..20).map(|i| format!("Tech {i}")).collect();
        let mut e = FieldErrors::new();
        let mut with_dupes = twenty.clone();
        with_dupes.push("TECH 3".into());
        let s = Specialisations::parse(&[], &with_dupes, &[], &[], &mut e);
        assert!(e.is_empty(), "duplicates do not count: {e}");
        assert_eq!(s.technologies.len(), 20);

        let mut too_many = twenty;
        too_many.push("Tech 20".into());
        let mut e = FieldErrors::new();
        Specialisations::parse(&[], &too_many, &[], &[], &mut e);
        assert!(e.for_field("technologies").unwrap().contains("21 given"));
    }

    #[test]
    fn normalising_is_idempotent() {
        let mut s = Specialisations {
            industries: vec![Industry::Retail, Industry::Software, Industry::Retail],
            technologies: vec![TechTag::parse("b").unwrap(), TechTag::parse("A").unwrap()],
            segments: vec![],
            regions_served: vec![Region::Apj, Region::NorthAmerica, Region::Apj],
        };
        s.normalise();
        let once = s.clone();
        s.normalise();
        assert_eq!(s, once);
        assert_eq!(s.industries, vec![Industry::Software, Industry::Retail]);
        assert_eq!(s.regions_served, vec![Region::NorthAmerica, Region::Apj]);
        assert_eq!(s.technologies[0].as_str(), "A");
    }
}
