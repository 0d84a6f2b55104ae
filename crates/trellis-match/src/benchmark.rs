//! A labelled benchmark for company matching: two CRM exports of the same market, generated
//! deterministically, with the true pairs known.
//!
//! "Ours" holds `n` companies from fifteen countries, each named the way its country names
//! companies (legal forms, accents, scripts, surnames and invented brands) with a website
//! under its country's suffix. "Theirs" holds `n` records:
//!
//! - 60 % are ours as another CRM holds them: the legal form respelt, dropped or stacked,
//!   case and punctuation changed, "&" for "and", "The" added, words abbreviated, accents
//!   dropped or transliterated ("Müller" / "Mueller"), a typo, the name written as the web
//!   address; the website with scheme, "www.", a path or a shop subdomain, under another
//!   suffix, replaced by a contact's e-mail (company or free mail) or a LinkedIn page, or
//!   missing; the country as a code, a name or missing.
//! - 25 % are look-alikes of ours that are different companies: the same brand in another
//!   line of business, the same name in another country, a brand one letter away, a
//!   subsidiary-style name with its own domain. Most carry evidence that tells them apart
//!   (a different domain or country); some carry none, as in real data.
//! - 15 % are unrelated companies.
//!
//! Numbers come from SplitMix64 (the generator ../shared/peers uses), so any port of this
//! file reproduces the data exactly.

use std::collections::HashSet;

use crate::record::Company;

/// SplitMix64 (Steele, Lea and Flood, 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (the modulo bias is irrelevant at these sizes).
    #[allow(clippy::cast_possible_truncation)]
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// Two exports and the pairs that are the same company.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub ours: Vec<Company>,
    pub theirs: Vec<Company>,
    /// `(index in ours, index in theirs)`.
    pub truth: HashSet<(usize, usize)>,
}

/// Precision, recall and F1 of predicted pairs against the truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    pub predicted: usize,
    pub correct: usize,
    pub true_pairs: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[allow(clippy::cast_precision_loss)]
pub fn quality<S: std::hash::BuildHasher>(
    predicted: &HashSet<(usize, usize), S>,
    truth: &HashSet<(usize, usize), S>,
) -> Quality {
    let correct = predicted.intersection(truth).count();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(correct, predicted.len());
    let recall = ratio(correct, truth.len());
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Quality {
        predicted: predicted.len(),
        correct,
        true_pairs: truth.len(),
        precision,
        recall,
        f1,
    }
}

struct CountryStyle {
    code: &'static str,
    names: &'static [&'static str],
    suffix: &'static str,
    /// Spellings of the usual legal forms; the first is the register's own.
    forms: &'static [&'static [&'static str]],
    surnames: &'static [&'static str],
}

const COUNTRIES: &[CountryStyle] = &[
    CountryStyle {
        code: "US",
        names: &["US", "USA", "United States", "United States of America"],
        suffix: "com",
        forms: &[
            &["Inc.", "Inc", "Incorporated"],
            &["LLC", "L.L.C."],
            &["Corp.", "Corporation"],
        ],
        surnames: &[
            "Johnson", "Miller", "Carter", "Hughes", "Bennett", "Sullivan",
        ],
    },
    CountryStyle {
        code: "GB",
        names: &["GB", "United Kingdom", "UK", "Great Britain"],
        suffix: "co.uk",
        forms: &[
            &["Ltd", "Ltd.", "Limited"],
            &["PLC", "plc", "Public Limited Company"],
        ],
        surnames: &["Whitfield", "Ashworth", "Pemberton", "Hargreaves"],
    },
    CountryStyle {
        code: "DE",
        names: &["DE", "Germany", "Deutschland", "DEU"],
        suffix: "de",
        forms: &[
            &["GmbH", "G.m.b.H.", "Gesellschaft mit beschränkter Haftung"],
            &["AG", "Aktiengesellschaft"],
            &["GmbH & Co. KG", "GmbH & Co KG"],
        ],
        surnames: &["Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Bäcker"],
    },
    CountryStyle {
        code: "FR",
        names: &["FR", "France", "FRA"],
        suffix: "fr",
        forms: &[
            &["SA", "S.A.", "Société Anonyme"],
            &["SAS", "S.A.S."],
            &["SARL", "S.A.R.L."],
        ],
        surnames: &["Lefèvre", "Beaumont", "Gérard", "Rousseau", "Mercier"],
    },
    CountryStyle {
        code: "ES",
        names: &["ES", "Spain", "España"],
        suffix: "es",
        forms: &[
            &["S.L.", "SL", "Sociedad Limitada"],
            &["S.A.", "SA", "Sociedad Anónima"],
        ],
        surnames: &["Núñez", "Peña", "Ibáñez", "Castillo"],
    },
    CountryStyle {
        code: "IT",
        names: &["IT", "Italy", "Italia"],
        suffix: "it",
        forms: &[&["S.p.A.", "SpA", "S.P.A."], &["S.r.l.", "Srl", "SRL"]],
        surnames: &["Ferrari", "Rossi", "Bianchi", "Conti", "Galli"],
    },
    CountryStyle {
        code: "NL",
        names: &["NL", "Netherlands", "The Netherlands", "Nederland"],
        suffix: "nl",
        forms: &[&["B.V.", "BV"], &["N.V.", "NV"]],
        surnames: &["de Vries", "van Dijk", "Bakker", "Visser"],
    },
    CountryStyle {
        code: "SE",
        names: &["SE", "Sweden", "Sverige"],
        suffix: "se",
        forms: &[&["AB", "Aktiebolag", "AB (publ)"]],
        surnames: &["Lindqvist", "Åberg", "Sjöberg", "Ekström"],
    },
    CountryStyle {
        code: "DK",
        names: &["DK", "Denmark", "Danmark"],
        suffix: "dk",
        forms: &[&["A/S", "AS"], &["ApS", "APS"]],
        surnames: &["Søndergaard", "Højgaard", "Mørch", "Kjær"],
    },
    CountryStyle {
        code: "PL",
        names: &["PL", "Poland", "Polska"],
        suffix: "pl",
        forms: &[&["Sp. z o.o.", "sp. z o. o.", "Sp.z o.o."], &["S.A.", "SA"]],
        surnames: &["Kowalski", "Wiśniewski", "Łukaszewicz", "Zieliński"],
    },
    CountryStyle {
        code: "JP",
        names: &["JP", "Japan", "JPN"],
        suffix: "co.jp",
        forms: &[
            &["K.K.", "KK", "Kabushiki Kaisha", "株式会社"],
            &["Co., Ltd.", "Co. Ltd"],
        ],
        surnames: &["Tanaka", "Watanabe", "Yamamoto", "Nakamura"],
    },
    CountryStyle {
        code: "BR",
        names: &["BR", "Brazil", "Brasil"],
        suffix: "com.br",
        forms: &[&["Ltda.", "Ltda", "LTDA"], &["S.A.", "SA"]],
        surnames: &["Gonçalves", "Conceição", "Araújo", "Magalhães"],
    },
    CountryStyle {
        code: "MX",
        names: &["MX", "Mexico", "México"],
        suffix: "com.mx",
        forms: &[
            &["S.A. de C.V.", "SA de CV", "S.A. DE C.V."],
            &["S. de R.L. de C.V.", "S de RL de CV"],
        ],
        surnames: &["Hernández", "Gutiérrez", "Ramírez", "Domínguez"],
    },
    CountryStyle {
        code: "AU",
        names: &["AU", "Australia", "AUS"],
        suffix: "com.au",
        forms: &[&["Pty Ltd", "Pty. Ltd.", "Pty Limited", "PTY LTD"]],
        surnames: &["Fitzgerald", "McAllister", "O'Connor", "Gallagher"],
    },
    CountryStyle {
        code: "IN",
        names: &["IN", "India", "IND"],
        suffix: "co.in",
        forms: &[
            &["Pvt Ltd", "Pvt. Ltd.", "Private Limited"],
            &["Ltd", "Limited"],
        ],
        surnames: &["Agarwal", "Krishnan", "Banerjee", "Iyer"],
    },
];

/// Lines of business; the second spelling, where there is one, is a common abbreviation.
const INDUSTRIES: &[&[&str]] = &[
    &["Technologies", "Tech"],
    &["Software"],
    &["Systems", "Sys"],
    &["Analytics"],
    &["Logistics"],
    &["International", "Intl"],
    &["Services", "Svcs"],
    &["Laboratories", "Labs"],
    &["Consulting"],
    &["Engineering"],
    &["Manufacturing", "Mfg"],
    &["Pharmaceuticals", "Pharma"],
    &["Networks"],
    &["Energy"],
    &["Foods"],
    &["Capital"],
    &["Robotics"],
    &["Media"],
    &["Health"],
    &["Security"],
    &["Bank"],
    &["Insurance"],
    &["Design"],
    &["Holdings", "Hldgs"],
    &["Group", "Grp"],
];

const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "cr", "dr",
    "fl", "gr", "kr", "pr", "st", "tr", "qu", "th", "ch", "sh", "bl", "pl",
];
const VOWELS: &[&str] = &[
    "a", "e", "i", "o", "u", "ae", "io", "ia", "ou", "y", "ei", "ar",
];
const CODAS: &[&str] = &[
    "", "", "n", "r", "x", "s", "l", "m", "t", "ck", "nd", "rt", "sk", "v",
];

/// One company as its own CRM holds it, with what variants draw on.
#[derive(Debug, Clone)]
struct Seed {
    country: usize,
    /// The distinctive words ("Zentrix", "Müller & Söhne").
    brand: String,
    industry: usize,
    form: usize,
    label: String,
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn invented_brand(rng: &mut SplitMix64) -> String {
    let syllables = 2 + rng.below(2);
    let mut s = String::new();
    for _ in 0..syllables {
        s.push_str(rng.pick(ONSETS));
        s.push_str(rng.pick(VOWELS));
    }
    s.push_str(rng.pick(CODAS));
    capitalise(&s)
}

fn brand(rng: &mut SplitMix64, country: &CountryStyle) -> String {
    match rng.below(10) {
        0 | 1 => {
            let a = rng.pick(country.surnames);
            let b = rng.pick(country.surnames);
            if a == b {
                format!("{a} {}", invented_brand(rng))
            } else {
                format!("{a} & {b}")
            }
        }
        2 => format!("{} {}", rng.pick(country.surnames), invented_brand(rng)),
        _ => invented_brand(rng),
    }
}

/// The domain label a company would register for its brand.
fn label_of(brand: &str, industry: &str, with_industry: bool) -> String {
    let base: String = deunicode::deunicode(brand)
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if with_industry {
        format!("{base}{}", industry.to_lowercase())
    } else {
        base
    }
}

impl Seed {
    fn style(&self) -> &'static CountryStyle {
        &COUNTRIES[self.country]
    }

    fn industry(&self) -> &'static [&'static str] {
        INDUSTRIES[self.industry]
    }

    fn canonical_name(&self) -> String {
        let form = self.style().forms[self.form][0];
        format!("{} {} {form}", self.brand, self.industry()[0])
    }

    fn domain(&self) -> String {
        format!("{}.{}", self.label, self.style().suffix)
    }

    fn as_ours(&self, rng: &mut SplitMix64) -> Company {
        Company {
            name: self.canonical_name(),
            website: (!rng.percent(8)).then(|| {
                if rng.percent(50) {
                    format!("www.{}", self.domain())
                } else {
                    format!("https://www.{}/", self.domain())
                }
            }),
            email: None,
            country: (!rng.percent(5)).then(|| self.style().code.to_owned()),
        }
    }
}

/// Generates the benchmark: `n` records on each side.
pub fn generate(n: usize, seed: u64) -> Labelled {
    let mut rng = SplitMix64::new(seed);
    let mut labels: HashSet<String> = HashSet::new();
    let mut seeds: Vec<Seed> = Vec::with_capacity(n);
    let mut ours = Vec::with_capacity(n);
    for _ in 0..n {
        let s = new_seed(&mut rng, &mut labels);
        ours.push(s.as_ours(&mut rng));
        seeds.push(s);
    }
    let mut theirs: Vec<(Company, Option<usize>)> = Vec::with_capacity(n);
    for (i, seed) in seeds.iter().enumerate() {
        let roll = rng.below(100);
        if roll < 60 {
            theirs.push((variant(seed, &mut rng), Some(i)));
        } else if roll < 85 {
            let other = look_alike(seed, &mut rng, &mut labels);
            theirs.push((other, None));
        } else {
            let s = new_seed(&mut rng, &mut labels);
            theirs.push((variant(&s, &mut rng), None));
        }
    }
    // Shuffle theirs (Fisher-Yates) so that order says nothing.
    for i in (1..theirs.len()).rev() {
        let j = rng.below(i + 1);
        theirs.swap(i, j);
    }
    let truth = theirs
        .iter()
        .enumerate()
        .filter_map(|(j, (_, of))| of.map(|i| (i, j)))
        .collect();
    Labelled {
        ours,
        theirs: theirs.into_iter().map(|(c, _)| c).collect(),
        truth,
    }
}

fn new_seed(rng: &mut SplitMix64, labels: &mut HashSet<String>) -> Seed {
    loop {
        let country = rng.below(COUNTRIES.len());
        let style = &COUNTRIES[country];
        let brand = brand(rng, style);
        let industry = rng.below(INDUSTRIES.len());
        let form = rng.below(style.forms.len());
        let label = label_of(&brand, INDUSTRIES[industry][0], rng.percent(40));
        // Distinct companies have distinct domains; a brand already taken is drawn again.
        if labels.insert(format!("{label}.{}", style.suffix)) {
            return Seed {
                country,
                brand,
                industry,
                form,
                label,
            };
        }
    }
}

/// Our company as another CRM holds it.
fn variant(seed: &Seed, rng: &mut SplitMix64) -> Company {
    let style = seed.style();
    let mut brand = seed.brand.clone();
    match rng.below(100) {
        0..10 => brand = deunicode::deunicode(&brand),
        10..15 => brand = transliterate_umlauts(&brand),
        _ => {}
    }
    if brand.contains('&') && rng.percent(50) {
        brand = brand.replace('&', if rng.percent(50) { "and" } else { "+" });
    }
    let industries = seed.industry();
    let industry = if industries.len() > 1 && rng.percent(30) {
        industries[1]
    } else {
        industries[0]
    };
    let forms = style.forms[seed.form];
    let form = match rng.below(100) {
        0..30 => forms[rng.below(forms.len())].to_owned(),
        30..45 => String::new(),
        45..52 => format!("{}, {}", forms[0], forms[rng.below(forms.len())]),
        _ => forms[0].to_owned(),
    };
    let mut name = format!("{brand} {industry}");
    if rng.percent(7) {
        name = format!("The {name}");
    }
    if rng.percent(15) {
        name = typo(&name, rng);
    }
    if rng.percent(4) {
        name = format!("{}.{}", seed.label, style.suffix);
    } else if !form.is_empty() {
        let sep = if rng.percent(40) { ", " } else { " " };
        name = format!("{name}{sep}{form}");
    }
    name = match rng.below(100) {
        0..12 => name.to_uppercase(),
        12..20 => name.to_lowercase(),
        _ => name,
    };
    if rng.percent(10) {
        name = name.replace(['.', ','], "");
    }
    let (website, email) = variant_contact(seed, rng);
    let country = (!rng.percent(10)).then(|| rng.pick(style.names).to_owned());
    Company {
        name,
        website,
        email,
        country,
    }
}

fn variant_contact(seed: &Seed, rng: &mut SplitMix64) -> (Option<String>, Option<String>) {
    let domain = seed.domain();
    match rng.below(100) {
        0..30 => (Some(domain), None),
        30..45 => (Some(format!("https://www.{domain}/")), None),
        45..52 => (Some(format!("http://{domain}/contact-us?ref=crm")), None),
        52..56 => (Some(format!("shop.{domain}")), None),
        56..60 => (Some(format!("{}.com", seed.label)), None),
        60..63 => (
            Some(format!("https://www.linkedin.com/company/{}", seed.label)),
            None,
        ),
        63..73 => (None, Some(format!("sales@{domain}"))),
        73..78 => (None, Some(format!("{}.contact@gmail.com", seed.label))),
        78..81 => (Some(domain.to_uppercase()), None),
        _ => (None, None),
    }
}

/// A different company that looks like ours.
fn look_alike(seed: &Seed, rng: &mut SplitMix64, labels: &mut HashSet<String>) -> Company {
    let mut other = seed.clone();
    match rng.below(4) {
        // The same brand in another line of business, usually its own domain.
        0 => {
            other.industry =
                (seed.industry + 1 + rng.below(INDUSTRIES.len() - 1)) % INDUSTRIES.len();
            other.label = label_of(&seed.brand, INDUSTRIES[other.industry][0], true);
        }
        // The same name in another country, with that country's domain.
        1 => {
            other.country = (seed.country + 1 + rng.below(COUNTRIES.len() - 1)) % COUNTRIES.len();
            other.form = rng.below(other.style().forms.len());
            other.label = format!("{}{}", seed.label, other.style().code.to_lowercase());
        }
        // A brand one letter away, in the same market.
        2 => {
            other.brand = typo(&seed.brand, rng);
            other.label = label_of(&other.brand, INDUSTRIES[other.industry][0], false);
        }
        // A sister name: the brand plus a word, with its own domain.
        _ => {
            let word = rng.pick(&["Group", "Holdings", "Ventures", "Partners", "Digital"]);
            other.brand = format!("{} {word}", seed.brand);
            other.label = label_of(&other.brand, "", false);
        }
    }
    let taken = !labels.insert(other.domain());
    if taken {
        other.label = format!("{}-{}", other.label, rng.below(1000));
        labels.insert(other.domain());
    }
    let mut company = variant(&other, rng);
    // The look-alike's own website, when it shows one, is its own domain, not ours.
    if company
        .website
        .as_deref()
        .is_some_and(|w| w.contains(&seed.label) && !w.contains(&other.label))
    {
        company.website = Some(other.domain());
    }
    company
}

fn transliterate_umlauts(s: &str) -> String {
    s.replace('ä', "ae")
        .replace('ö', "oe")
        .replace('ü', "ue")
        .replace('Ä', "Ae")
        .replace('Ö', "Oe")
        .replace('Ü', "Ue")
        .replace('ß', "ss")
        .replace('ø', "oe")
        .replace('å', "aa")
}

/// One edit (substitution, deletion or transposition) away from the original, never in the
/// first letter.
fn typo(s: &str, rng: &mut SplitMix64) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 4 {
        return s.to_owned();
    }
    let i = 1 + rng.below(chars.len() - 2);
    let mut out = chars.clone();
    match rng.below(3) {
        0 => out[i] = char::from(b'a' + u8::try_from(rng.below(26)).unwrap_or(0)),
        1 => {
            out.remove(i);
        }
        _ => out.swap(i - 1, i),
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_vector() {
        // detrand.py: SplitMix64(42), first three outputs.
        let mut r = SplitMix64::new(42);
        let got = [r.next_u64(), r.next_u64(), r.next_u64()];
        assert_eq!(
            got,
            [
                13_679_457_532_755_275_413,
                2_949_826_092_126_892_291,
                5_139_283_748_462_763_858
            ]
        );
    }

    #[test]
    fn generation_is_deterministic_and_labelled() {
        let a = generate(300, 7);
        let b = generate(300, 7);
        assert_eq!(a.ours, b.ours);
        assert_eq!(a.theirs, b.theirs);
        assert_eq!(a.truth, b.truth);
        assert_eq!(a.ours.len(), 300);
        assert_eq!(a.theirs.len(), 300);
        let share = a.truth.len() * 100 / 300;
        assert!((50..70).contains(&share), "{share}% true pairs");
    }

    #[test]
    fn quality_counts_pairs() {
        let truth: HashSet<_> = [(0, 0), (1, 1)].into();
        let predicted: HashSet<_> = [(0, 0), (2, 2)].into();
        let q = quality(&predicted, &truth);
        assert_eq!((q.correct, q.predicted, q.true_pairs), (1, 2, 2));
        assert!((q.f1 - 0.5).abs() < 1e-12);
    }
}
