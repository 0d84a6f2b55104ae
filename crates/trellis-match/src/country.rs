//! Countries as CRMs write them ("US", "USA", "United States of America", "Deutschland")
//! reduced to ISO 3166-1 alpha-2 codes.

use std::str::FromStr as _;

/// A country code, two upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names in their own language and short forms that the ISO tables do not carry.
const ALIASES: &[(&str, &str)] = &[
    ("brasil", "BR"),
    ("britain", "GB"),
    ("danmark", "DK"),
    ("deutschland", "DE"),
    ("espana", "ES"),
    ("holland", "NL"),
    ("italia", "IT"),
    ("korea", "KR"),
    ("mexique", "MX"),
    ("nederland", "NL"),
    ("norge", "NO"),
    ("osterreich", "AT"),
    ("polska", "PL"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("suomi", "FI"),
    ("sverige", "SE"),
    ("uae", "AE"),
    ("uk", "GB"),
];

/// The ISO code of a country cell, or `None` when it names no country.
pub fn country_code(input: &str) -> Option<Country> {
    let folded: String = deunicode::deunicode(input.trim())
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if folded.is_empty() {
        return None;
    }
    let code = match ALIASES.binary_search_by(|(alias, _)| alias.cmp(&folded.as_str())) {
        Ok(i) => ALIASES[i].1.to_owned(),
        Err(_) => celes::Country::from_str(&folded).ok()?.alpha2.to_owned(),
    };
    let bytes: [u8; 2] = code.to_ascii_uppercase().as_bytes().try_into().ok()?;
    Some(Country(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_aliases_agree() {
        for (input, want) in [
            ("US", "US"),
            ("usa", "US"),
            ("U.S.", "US"),
            ("United States of America", "US"),
            ("United Kingdom", "GB"),
            ("UK", "GB"),
            ("Deutschland", "DE"),
            ("Germany", "DE"),
            ("DEU", "DE"),
            ("Österreich", "AT"),
            ("Côte d'Ivoire", "CI"),
            ("The Netherlands", "NL"),
            ("South Korea", "KR"),
        ] {
            assert_eq!(
                country_code(input).map(|c| c.to_string()).as_deref(),
                Some(want),
                "{input}"
            );
        }
        assert_eq!(country_code(""), None);
        assert_eq!(country_code("Atlantis"), None);
    }

    #[test]
    fn aliases_are_sorted() {
        assert!(ALIASES.is_sorted_by_key(|(a, _)| *a));
    }
}
