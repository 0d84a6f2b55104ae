//! Text folding for search: what a person types should find what another person wrote,
//! whatever the case and accents ("Zürich" finds "ZURICH", "Société" finds "societe").

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases, strips accents (canonical decomposition, combining marks dropped) and maps
/// compatibility forms (full-width letters, ligatures) to their plain letters.
pub fn fold(s: &str) -> String {
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The search words of a query: folded, split on anything that is not a letter or digit,
/// at most `max` of them (the rest are ignored), each at most 40 characters.
pub fn search_terms(query: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in fold(query).split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() || out.iter().any(|w| w == word) {
            continue;
        }
        out.push(word.chars().take(40).collect());
        if out.len() == max {
            break;
        }
    }
    out
}

/// `1234567` → `1,234,567`: counts and amounts as pages and messages write them.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_from_the_right() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn folding_ignores_case_accents_and_compatibility_forms() {
        assert_eq!(fold("Zürich Société"), "zurich societe");
        assert_eq!(fold("ＡＷＳ ﬁnance"), "aws finance");
        assert_eq!(fold("ÅNGSTRÖM"), "angstrom");
    }

    #[test]
    fn terms_split_on_punctuation_and_deduplicate() {
        assert_eq!(
            search_terms("  Müller-Lüdenscheidt, müller AG ", 8),
            vec!["muller", "ludenscheidt", "ag"]
        );
        assert_eq!(search_terms("a b c d", 2), vec!["a", "b"]);
        assert!(search_terms("--- !!", 8).is_empty());
    }
}
