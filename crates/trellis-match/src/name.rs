//! Name keys: the part of a company name that identifies the company, whatever script,
//! case, punctuation, legal form or abbreviation a CRM holds it in.
//!
//! "The Acme Corporation, Inc.", "ACME CORP" and "acme" all have the key "acme";
//! "Société Générale S.A." has "societe generale"; "Müller & Söhne GmbH & Co. KG" has
//! "muller sohne". Matching compares keys, never raw names.

use rapidfuzz::distance::osa;
use unicode_normalization::UnicodeNormalization as _;

use crate::domain::{domain_label, registrable_domain};
use crate::legal_forms;

/// A normalised company name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameKey {
    /// The words, lower-case ASCII, legal form and leading "the" removed.
    tokens: Vec<String>,
    /// The words run together: spacing differences ("Sales Force" / "Salesforce") vanish.
    compact: String,
}

impl NameKey {
    /// The key's words joined by spaces.
    pub fn text(&self) -> String {
        self.tokens.join(" ")
    }

    /// The words run together, as compared.
    pub fn compact(&self) -> &str {
        &self.compact
    }

    pub fn is_empty(&self) -> bool {
        self.compact.is_empty()
    }
}

/// The key of a company name.
pub fn name_key(name: &str) -> NameKey {
    let mut tokens = raw_tokens(name);
    for t in &mut tokens {
        if let Some(canon) = legal_forms::canonical_word(t) {
            canon.clone_into(t);
        }
    }
    tokens.retain(|t| t != "and");
    drop_article(&mut tokens);
    legal_forms::strip(&mut tokens);
    let compact = tokens.concat();
    NameKey { tokens, compact }
}

/// Lower-case ASCII words. Scripts without a legal-form word in Latin letters (Japanese,
/// Chinese, Korean) lose theirs first; "&" and "+" become "and"; apostrophes join
/// ("Int'l" -> "intl"); initials join ("S.p.A." -> "spa", "J. P. Morgan" -> "jp morgan"); a
/// web address used as a name keeps its name ("Salesforce.com" -> "salesforce").
fn raw_tokens(name: &str) -> Vec<String> {
    let mut s: String = name.nfkc().collect();
    for form in legal_forms::CJK {
        if s.contains(form) {
            s = s.replace(form, " ");
        }
    }
    let ascii = deunicode::deunicode(&s).to_lowercase();
    let mut tokens: Vec<String> = Vec::new();
    // Whether the previous word was one initial ("J.", "S"): initials after it join it.
    let mut after_initial = false;
    for word in ascii.split_whitespace() {
        let word = web_name(word);
        let pieces = word_pieces(word);
        let initials = !pieces.is_empty()
            && pieces
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_alphabetic()))
            && word
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|p| !p.is_empty())
                .all(|p| p.len() == 1);
        for (k, piece) in pieces.into_iter().enumerate() {
            match tokens.last_mut() {
                Some(last) if k == 0 && initials && after_initial => last.push_str(&piece),
                _ => tokens.push(piece),
            }
        }
        after_initial = initials && word.chars().filter(char::is_ascii_alphanumeric).count() == 1;
    }
    tokens
}

/// The words within one whitespace-separated word, its initials joined:
/// "s.p.a.," gives "spa"; "at&t" gives "at", "and", "t"; "int'l" gives "intl".
fn word_pieces(word: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    // Whether the last piece is made of initials, so that a next one-letter piece joins it.
    let mut initials = false;
    for c in word.chars() {
        match c {
            'a'..='z' | '0'..='9' => current.push(c),
            '\'' | '`' => {}
            '&' | '+' => {
                end_piece(&mut pieces, &mut current, &mut initials);
                pieces.push("and".to_owned());
                initials = false;
            }
            _ => end_piece(&mut pieces, &mut current, &mut initials),
        }
    }
    end_piece(&mut pieces, &mut current, &mut initials);
    pieces
}

fn end_piece(pieces: &mut Vec<String>, current: &mut String, initials: &mut bool) {
    if current.is_empty() {
        return;
    }
    let piece = std::mem::take(current);
    let single = piece.len() == 1 && piece.as_bytes()[0].is_ascii_alphabetic();
    match pieces.last_mut() {
        Some(last) if single && *initials => last.push_str(&piece),
        _ => pieces.push(piece),
    }
    *initials = single;
}

/// Single-character edits between two compact keys (optimal string alignment: a swap of
/// neighbours is one edit), forgiving the two ways of writing an umlaut or a Nordic vowel
/// ("Müller" folds to "muller", "Mueller" stays "mueller"; "Ångström" / "Aangstrom").
pub(crate) fn edits(a: &str, b: &str) -> usize {
    // No two strings are further apart than the longer one is long.
    let longest = a.len().max(b.len());
    edits_within(a, b, longest).unwrap_or(longest)
}

/// [`edits`], when at most `max`; `None` beyond. RapidFuzz's bit-parallel OSA stops early
/// past the cutoff, so checking a typo costs little more than reading both names.
pub(crate) fn edits_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let within = |x: &str, y: &str| {
        osa::distance_with_args(
            x.bytes(),
            y.bytes(),
            &osa::Args::default().score_cutoff(max),
        )
    };
    let plain = within(a, b);
    if plain == Some(0) || !(has_digraph(a) || has_digraph(b)) {
        return plain;
    }
    match (plain, within(&fold_digraphs(a), &fold_digraphs(b))) {
        (Some(p), Some(f)) => Some(p.min(f)),
        (p, f) => p.or(f),
    }
}

const DIGRAPHS: [(&str, &str); 4] = [("ae", "a"), ("oe", "o"), ("ue", "u"), ("aa", "a")];

fn has_digraph(s: &str) -> bool {
    DIGRAPHS.iter().any(|(d, _)| s.contains(d))
}

/// The compact key with "ae", "oe", "ue" and "aa" read as the plain vowel.
pub(crate) fn fold_digraphs(s: &str) -> String {
    DIGRAPHS
        .iter()
        .fold(s.to_owned(), |s, (d, v)| s.replace(d, v))
}

/// A web address used as a name ("salesforce.com", "acme.co.uk") becomes its name part.
fn web_name(word: &str) -> &str {
    let trimmed = word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.contains('.')
        && let Some(domain) = registrable_domain(trimmed)
        && trimmed.ends_with(domain.as_str())
    {
        let start = trimmed.len() - domain.len();
        return &trimmed[start..start + domain_label(&domain).len()];
    }
    word
}

/// The registrable domain of a name that is a web address, for records with no website.
pub(crate) fn domain_in_name(name: &str) -> Option<String> {
    let name = name
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    if name.contains(char::is_whitespace) || !name.contains('.') {
        return None;
    }
    registrable_domain(name)
}

/// A leading "The" ("The Boeing Company") and a trailing one ("Boeing Company, The").
fn drop_article(tokens: &mut Vec<String>) {
    if tokens.len() > 1 && tokens[0] == "the" {
        tokens.remove(0);
    }
    if tokens.len() > 1 && tokens.last().is_some_and(|t| t == "the") {
        tokens.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> String {
        name_key(name).text()
    }

    #[test]
    fn legal_forms_of_many_countries_are_dropped() {
        for (name, want) in [
            ("Acme Inc.", "acme"),
            ("ACME CORPORATION, INC.", "acme"),
            ("Acme L.L.C.", "acme"),
            ("Acme Pty Ltd", "acme"),
            ("Acme Co., Ltd.", "acme"),
            ("Müller & Söhne GmbH & Co. KG", "muller sohne"),
            ("Siemens Aktiengesellschaft", "siemens"),
            ("Société Générale S.A.", "societe generale"),
            ("Banco Azteca, S.A. de C.V.", "banco azteca"),
            ("Grupo Bimbo S.A.B. de C.V.", "grupo bimbo"),
            ("Fiat S.p.A.", "fiat"),
            ("Philips B.V.", "philips"),
            ("Volvo AB (publ)", "volvo"),
            ("Nokia Oyj", "nokia"),
            ("Maersk A/S", "maersk"),
            ("Toyota K.K.", "toyota"),
            ("トヨタ自動車株式会社", &key("トヨタ自動車")),
            ("Allegro Sp. z o.o.", "allegro"),
            ("Škoda Auto a.s.", "skoda auto"),
            ("PT Bank Mandiri Tbk", "bank mandiri"),
            ("Infosys Private Limited", "infosys"),
            ("Petronas Sdn. Bhd.", "petronas"),
            ("ООО Ромашка", "romashka"),
            ("Acme UG (haftungsbeschränkt)", "acme"),
        ] {
            assert_eq!(key(name), want, "{name}");
        }
    }

    #[test]
    fn spelling_variants_share_a_key() {
        for (a, b) in [
            ("The Boeing Company", "Boeing"),
            ("Boeing Company, The", "boeing co"),
            ("Procter & Gamble", "Procter and Gamble"),
            ("AT&T Inc.", "AT and T"),
            ("Acme Int'l", "ACME International"),
            ("Acme Technologies", "Acme Tech"),
            ("Salesforce.com, Inc.", "Salesforce"),
            ("J.P. Morgan", "JP Morgan"),
            ("Ørsted A/S", "Orsted"),
            ("ＡＣＭＥ", "acme"),
        ] {
            assert_eq!(key(a), key(b), "{a} / {b}");
        }
        assert_eq!(
            name_key("Sales Force").compact(),
            name_key("Salesforce").compact()
        );
    }

    #[test]
    fn a_name_that_is_only_a_legal_form_keeps_it() {
        assert_eq!(key("AG"), "ag");
        assert_eq!(key("The Company"), "company");
        assert!(name_key("  --  ").is_empty());
    }

    #[test]
    fn distinguishing_words_stay() {
        assert_ne!(key("Acme Bank"), key("Acme Software"));
        assert_ne!(key("Delta Air Lines"), key("Delta Dental"));
        assert_eq!(key("Acme Holdings Group"), "acme holdings group");
    }
}
