//! Legal forms and abbreviations, as they look after folding to lower-case ASCII words with
//! runs of initials joined ("S.p.A." -> "spa", "Sp. z o.o." -> "sp zoo").
//!
//! A legal form says what kind of company it is, not which: "Acme GmbH" and "Acme Inc" are
//! one company in two registers as far as matching is concerned. Forms are removed from the
//! end of a name repeatedly ("GmbH & Co. KG", "Corporation, Inc.") and, for the countries
//! that write them first (Indonesia's "PT", Russia's "OOO"), from the start.

/// Trailing legal forms, one or more words each. Longer forms are tried first.
const TRAILING: &[&[&str]] = &[
    // English-speaking countries
    &["inc"],
    &["incorporated"],
    &["corp"],
    &["corporation"],
    &["co"],
    &["company"],
    &["cos"],
    &["llc"],
    &["llp"],
    &["lp"],
    &["lllp"],
    &["pllc"],
    &["pc"],
    &["ltd"],
    &["limited"],
    &["plc"],
    &["pty"],
    &["pvt"],
    &["pte"],
    &["opc"],
    &["limited", "liability", "company"],
    &["limited", "liability", "partnership"],
    &["public", "limited", "company"],
    &["private", "limited"],
    // German-speaking countries
    &["gmbh"],
    &["mbh"],
    &["ag"],
    &["kg"],
    &["kgaa"],
    &["ohg"],
    &["gbr"],
    &["ug"],
    &["ev"],
    &["eg"],
    &["se"],
    &["haftungsbeschrankt"],
    &["aktiengesellschaft"],
    &["kommanditgesellschaft"],
    &["gesellschaft", "mit", "beschrankter", "haftung"],
    // French, Italian, Spanish, Portuguese
    &["sa"],
    &["sas"],
    &["sasu"],
    &["sarl"],
    &["eurl"],
    &["sca"],
    &["snc"],
    &["scs"],
    &["spa"],
    &["srl"],
    &["srls"],
    &["sapa"],
    &["sl"],
    &["slu"],
    &["sau"],
    &["sab"],
    &["sapi"],
    &["sac"],
    &["saa"],
    &["ltda"],
    &["lda"],
    &["eireli"],
    &["ltee"],
    &["de", "cv"],
    &["de", "rl"],
    &["s", "de", "rl"],
    &["societe", "anonyme"],
    &["societe", "par", "actions", "simplifiee"],
    &["societe", "a", "responsabilite", "limitee"],
    &["sociedad", "anonima"],
    &["sociedad", "limitada"],
    &["societa", "per", "azioni"],
    &["societa", "a", "responsabilita", "limitata"],
    // Benelux
    &["bv"],
    &["nv"],
    &["vof"],
    &["cv"],
    &["bvba"],
    &["sprl"],
    &["vzw"],
    &["besloten", "vennootschap"],
    &["naamloze", "vennootschap"],
    // Nordic countries
    &["ab"],
    &["publ"],
    &["as"],
    &["asa"],
    &["aps"],
    &["oy"],
    &["oyj"],
    &["hf"],
    &["ehf"],
    &["aktiebolag"],
    &["aksjeselskap"],
    &["aktieselskab"],
    &["anpartsselskab"],
    &["osakeyhtio"],
    // Central and eastern Europe, Turkey, Greece
    &["sp", "zoo"],
    &["sp", "z", "oo"],
    &["spzoo"],
    &["sro"],
    &["spol", "sro"],
    &["kft"],
    &["zrt"],
    &["nyrt"],
    &["doo"],
    &["dd"],
    &["ood"],
    &["ead"],
    &["ae"],
    &["epe"],
    &["ike"],
    &["sti"],
    &["ooo"],
    &["oao"],
    &["zao"],
    &["pao"],
    &["jsc"],
    &["pjsc"],
    &["ojsc"],
    &["cjsc"],
    // Asia, Middle East
    &["kk"],
    &["gk"],
    &["kabushiki", "kaisha"],
    &["kabushiki", "gaisha"],
    &["kabushikigaisha"],
    &["godo", "kaisha"],
    &["yugen", "kaisha"],
    &["bhd"],
    &["berhad"],
    &["sdn"],
    &["tbk"],
    &["wll"],
    &["fze"],
    &["fzco"],
    &["fzllc"],
    &["sae"],
];

/// Legal forms written before the name.
const LEADING: &[&str] = &[
    "pt", "cv", "ooo", "oao", "zao", "pao", "ao", "tov", "jsc", "pjsc",
];

/// Legal forms in scripts that do not fold to Latin letters meaningfully; removed from the raw
/// name before transliteration. Longer first: "股份有限公司" contains "有限公司".
pub(crate) const CJK: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "주식회사",
    "유한회사",
    "(주)",
    "㈜",
];

/// Abbreviations and inflections that name the same thing, mapped to one spelling so that
/// "Acme Int'l" and "Acme International" compare equal.
const CANONICAL: &[(&str, &str)] = &[
    ("assn", "association"),
    ("assoc", "associates"),
    ("assocs", "associates"),
    ("bros", "brothers"),
    ("centre", "center"),
    ("ctr", "center"),
    ("dev", "development"),
    ("grp", "group"),
    ("hldg", "holdings"),
    ("hldgs", "holdings"),
    ("holding", "holdings"),
    ("inst", "institute"),
    ("internat", "international"),
    ("intl", "international"),
    ("lab", "laboratories"),
    ("laboratory", "laboratories"),
    ("labs", "laboratories"),
    ("mfg", "manufacturing"),
    ("mgmt", "management"),
    ("mktg", "marketing"),
    ("natl", "national"),
    ("pharma", "pharmaceuticals"),
    ("pharmaceutical", "pharmaceuticals"),
    ("service", "services"),
    ("soln", "solutions"),
    ("solns", "solutions"),
    ("solution", "solutions"),
    ("svc", "services"),
    ("svcs", "services"),
    ("sys", "systems"),
    ("system", "systems"),
    ("tech", "technologies"),
    ("technology", "technologies"),
    ("techs", "technologies"),
    ("univ", "university"),
];

/// The one spelling of an abbreviated or inflected word, if it has another.
pub(crate) fn canonical_word(word: &str) -> Option<&'static str> {
    CANONICAL
        .binary_search_by(|(from, _)| from.cmp(&word))
        .ok()
        .map(|i| CANONICAL[i].1)
}

/// Removes legal forms from the end (repeatedly) and the start, never the last word: a
/// company called "AG" is still called something.
pub(crate) fn strip(tokens: &mut Vec<String>) {
    'again: while tokens.len() > 1 {
        let mut best = 0;
        for form in TRAILING {
            if form.len() > best
                && form.len() < tokens.len()
                && tokens[tokens.len() - form.len()..]
                    .iter()
                    .zip(form.iter())
                    .all(|(t, f)| t == f)
            {
                best = form.len();
            }
        }
        if best == 0 {
            break 'again;
        }
        tokens.truncate(tokens.len() - best);
    }
    if tokens.len() > 1 && LEADING.contains(&tokens[0].as_str()) {
        tokens.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_are_sorted_for_lookup() {
        assert!(CANONICAL.is_sorted_by_key(|(from, _)| *from));
        assert_eq!(canonical_word("intl"), Some("international"));
        assert_eq!(canonical_word("acme"), None);
    }

    #[test]
    fn stripping_keeps_at_least_one_word() {
        let mut t: Vec<String> = ["gmbh", "co", "kg"].map(String::from).into();
        strip(&mut t);
        assert_eq!(t, ["gmbh"]);
    }
}
