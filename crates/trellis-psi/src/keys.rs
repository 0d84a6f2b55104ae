//! Match keys: DESIGN.md §5's exact keys as the bytes both sides feed to the OPRF.
//!
//! Both sides must normalise identically, so the normalisation is trellis-match's and the
//! byte layout carries [`KEY_FORMAT_VERSION`], which the session's Hello and Setup carry too:
//! a peer on another format version is refused rather than silently matching nothing.
//!
//! ```text
//! domain key:        01 'd' <registrable domain, lower-case ASCII / punycode>
//! name+country key:  01 'n' <ISO 3166-1 alpha-2 code> <name key, words run together>
//! ```

use trellis_match::country::country_code;
use trellis_match::domain::website_domain;
use trellis_match::name::name_key;

/// The version of the key layout and of the normalisation rules behind it.
pub const KEY_FORMAT_VERSION: u8 = 1;

/// Refuses a peer that normalises keys another way.
pub(crate) fn check_format(theirs: u8) -> Result<(), crate::Error> {
    if theirs == KEY_FORMAT_VERSION {
        Ok(())
    } else {
        Err(crate::Error::KeyFormat {
            ours: KEY_FORMAT_VERSION,
            theirs,
        })
    }
}

/// The longest key accepted (RFC 9497 inputs are at most 65,535 bytes; ours are far shorter).
const MAX_KEY: usize = 1024;

/// One match key's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(Vec<u8>);

impl Key {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn new(kind: u8, parts: &[&[u8]]) -> Option<Self> {
        let mut bytes = vec![KEY_FORMAT_VERSION, kind];
        for p in parts {
            bytes.extend_from_slice(p);
        }
        (bytes.len() > 2 && bytes.len() <= MAX_KEY).then_some(Self(bytes))
    }
}

/// The domain key of a website, URL or bare domain ("https://www.Acme.co.uk/x" ->
/// "acme.co.uk"); `None` when it names no company (no public suffix, a platform, an IP).
pub fn domain(website: &str) -> Option<Key> {
    registrable_domain(&website_domain(website)?)
}

/// The domain key of a domain already reduced to its registrable form by trellis-match (or
/// data generated that way); only lower-cases it.
pub fn registrable_domain(domain: &str) -> Option<Key> {
    Key::new(b'd', &[domain.trim().to_ascii_lowercase().as_bytes()])
}

/// The name + country key ("ACME Corp.", "United States" -> "US" + "acme"); `None` when the
/// name has no key or the country is not recognised.
pub fn name_country(name: &str, country: &str) -> Option<Key> {
    let code = country_code(country)?;
    let name = name_key(name);
    if name.is_empty() {
        return None;
    }
    Key::new(b'n', &[code.as_str().as_bytes(), name.compact().as_bytes()])
}

/// Every key of a company record: its domain key and its name + country key, where it has
/// them.
pub fn company(website: Option<&str>, name: &str, country: Option<&str>) -> Vec<Key> {
    let mut keys = Vec::with_capacity(2);
    keys.extend(website.and_then(domain));
    keys.extend(country.and_then(|c| name_country(name, c)));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_company_give_the_same_keys() {
        let a = company(
            Some("https://www.Acme.co.uk/en/"),
            "ACME Ltd.",
            Some("United Kingdom"),
        );
        let b = company(Some("acme.co.uk"), "Acme Limited", Some("GB"));
        assert_eq!(a, b);
        assert_eq!(a[0].as_bytes(), b"\x01dacme.co.uk");
        assert_eq!(a[1].as_bytes(), b"\x01nGBacme");
    }

    #[test]
    fn records_without_a_usable_field_have_fewer_keys() {
        assert_eq!(company(Some("linkedin.com/company/acme"), "", None), vec![]);
        assert_eq!(company(None, "Acme", Some("Atlantis")), vec![]);
        assert_eq!(company(None, "Acme", Some("de")).len(), 1);
        assert_eq!(domain("localhost"), None);
    }

    #[test]
    fn the_kinds_never_collide() {
        // A name key can look like a domain; the kind byte keeps them apart.
        assert_ne!(registrable_domain("usacme"), name_country("Acme", "US"));
        assert_eq!(
            registrable_domain("Company1.Example").unwrap().as_bytes()[..2],
            [1, b'd']
        );
    }
}
