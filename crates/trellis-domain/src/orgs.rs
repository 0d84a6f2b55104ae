//! Organisations: the one vendor and its partners, with the attributes the program segments
//! partners by.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $s:literal / $label:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        // JSON uses the same ids as the database, forms and `FromStr`: one spelling per value.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// The stable identifier used in the API and the database.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }
            /// A label for pages.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown value {s:?}; expected one of {}", all.join(", "))
                })
            }
        }
    };
}

/// Shared with the partner vocabularies (`partners::profile`, `partners::metrics`), so every
/// closed list of ids in the domain parses, prints and errors the same way.
pub(crate) use string_enum;

string_enum!(
    /// Which side of the ecosystem an organisation is on.
    OrgKind {
        /// The deployment's owner; exactly one.
        Vendor = "vendor" / "Vendor",
        /// A partner organisation.
        Partner = "partner" / "Partner",
    }
);

string_enum!(
    /// How a partner goes to market with the vendor.
    PartnerType {
        /// Reseller or value-added reseller.
        Reseller = "reseller" / "Reseller / VAR",
        /// Distributor.
        Distributor = "distributor" / "Distributor",
        /// Managed service provider.
        Msp = "msp" / "MSP",
        /// Independent software vendor (technology partner).
        Isv = "isv" / "ISV",
        /// Systems integrator.
        Si = "si" / "Systems integrator",
        /// Refers deals for a fee.
        Referral = "referral" / "Referral",
        /// Influences buying decisions (consultancies, agencies).
        Influence = "influence" / "Influence",
        /// Sells through a cloud marketplace.
        Marketplace = "marketplace" / "Cloud marketplace",
    }
);

string_enum!(
    /// Sales region.
    Region {
        /// North America.
        NorthAmerica = "na" / "North America",
        /// Latin America.
        LatinAmerica = "latam" / "Latin America",
        /// Europe, Middle East and Africa.
        Emea = "emea" / "EMEA",
        /// Asia-Pacific and Japan.
        Apj = "apj" / "APJ",
    }
);

/// A URL- and e-mail-safe organisation handle: `a-z`, `0-9` and single hyphens, 2–48 long.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// Why a slug is not acceptable.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "must be 2–48 characters of a–z, 0–9 and single hyphens, not starting or ending with a hyphen"
)]
pub struct SlugError;

impl Slug {
    /// Parses a slug.
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let s = input.trim();
        let ok = (2..=48).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(SlugError)
        }
    }

    /// Derives a slug from a display name (`Northwind Systems GmbH` → `northwind-systems-gmbh`).
    pub fn from_name(name: &str) -> Result<Self, SlugError> {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.truncate(48);
        Self::parse(out.trim_end_matches('-'))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> Self {
        s.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(
            Slug::from_name("Northwind Systems GmbH").unwrap().as_str(),
            "northwind-systems-gmbh"
        );
        assert_eq!(
            Slug::from_name("  A&B -- Partners! ").unwrap().as_str(),
            "a-b-partners"
        );
        assert!(Slug::parse("-bad").is_err());
        assert!(Slug::parse("Bad").is_err());
    }

    #[test]
    fn enums_parse_their_own_names() {
        for t in PartnerType::ALL {
            assert_eq!(t.as_str().parse::<PartnerType>().unwrap(), *t);
        }
        assert!(
            "valuable"
                .parse::<PartnerType>()
                .unwrap_err()
                .contains("reseller")
        );
    }
}
