//! Company names for the demo's CRM and for the customers partners register: made up, but
//! named the way each country names companies (its legal forms, its own words for a line of
//! business, its cities), with websites under the country's public suffix. Deterministic: the
//! same companies on every run.

use trellis_domain::text::fold;
use trellis_match::benchmark::SplitMix64;

/// Lines of business, as a Salesforce industry pick-list spells them.
pub(super) const INDUSTRIES: [&str; 12] = [
    "Manufacturing",
    "Healthcare",
    "Financial Services",
    "Retail",
    "Technology",
    "Energy",
    "Transportation",
    "Food & Beverage",
    "Telecommunications",
    "Education",
    "Construction",
    "Media",
];

/// Words for a line of business in English, used in every country: (word, industry).
const ENGLISH: [(&str, usize); 22] = [
    ("Industries", 0),
    ("Robotics", 0),
    ("Health", 1),
    ("Medical", 1),
    ("Capital", 2),
    ("Insurance", 2),
    ("Retail", 3),
    ("Stores", 3),
    ("Software", 4),
    ("Systems", 4),
    ("Analytics", 4),
    ("Energy", 5),
    ("Power", 5),
    ("Logistics", 6),
    ("Freight", 6),
    ("Foods", 7),
    ("Telecom", 8),
    ("Networks", 8),
    ("Learning", 9),
    ("Builders", 10),
    ("Media", 11),
    ("Studios", 11),
];

/// How companies of one country are named and reached.
#[derive(Debug)]
pub(super) struct Country {
    /// ISO 3166 alpha-2.
    pub code: &'static str,
    /// The name a CRM export writes.
    pub name: &'static str,
    /// The demo's sales region (which rep owns it, which names its people have).
    pub region: &'static str,
    /// The public suffix its companies' websites sit under.
    pub suffix: &'static str,
    /// The currency the vendor sells in there.
    pub currency: &'static str,
    /// Legal forms, most common first.
    pub forms: &'static [&'static str],
    /// Brands of the vendor's accounts there.
    pub roots: &'static [&'static str],
    /// Words for a line of business in the country's language: (word, industry).
    pub words: &'static [(&'static str, usize)],
    /// Cities.
    pub cities: &'static [&'static str],
    /// The international dialling prefix and an area code.
    pub dial: &'static str,
    /// Accounts here out of about 330.
    pub weight: usize,
}

const DE_WORDS: &[(&str, usize)] = &[
    ("Maschinenbau", 0),
    ("Präzisionstechnik", 0),
    ("Kliniken", 1),
    ("Versicherungen", 2),
    ("Handel", 3),
    ("Energie", 5),
    ("Logistik", 6),
    ("Lebensmittel", 7),
    ("Bau", 10),
];
const FR_WORDS: &[(&str, usize)] = &[
    ("Industries", 0),
    ("Santé", 1),
    ("Assurances", 2),
    ("Distribution", 3),
    ("Énergie", 5),
    ("Logistique", 6),
    ("Alimentaire", 7),
];
const ES_WORDS: &[(&str, usize)] = &[
    ("Salud", 1),
    ("Seguros", 2),
    ("Energía", 5),
    ("Logística", 6),
    ("Alimentos", 7),
    ("Construcciones", 10),
];
const NORDIC_WORDS: &[(&str, usize)] = &[
    ("Industri", 0),
    ("Energi", 5),
    ("Logistik", 6),
    ("Bygg", 10),
];

#[rustfmt::skip]
pub(super) const COUNTRIES: [Country; 24] = [
    Country { code: "US", name: "United States", region: "na", suffix: "com", currency: "USD",
        forms: &["Inc.", "LLC", "Corp."],
        roots: &["Cobalt Ridge", "Ironbridge", "Bluestem", "Harlan", "Copperleaf", "Westbrook",
            "Brightwell", "Granger", "Lakemont", "Pinecrest", "Stonebrook", "Redfield", "Oakhurst",
            "Mesa Verde", "Tidewater", "Ambervale", "Sawtooth", "Kettering", "Cedar Point",
            "Halcyon", "Juniper Bay", "Fairhaven"],
        words: &[], cities: &["Austin", "Denver", "Chicago", "Boston", "Seattle", "Atlanta",
            "Columbus", "Charlotte"],
        dial: "+1 512", weight: 70 },
    Country { code: "CA", name: "Canada", region: "na", suffix: "ca", currency: "USD",
        forms: &["Inc.", "Ltd."],
        roots: &["Maplewood", "Laurentian", "Fraser Valley", "Muskoka", "Algonquin", "Bayfield"],
        words: &[], cities: &["Toronto", "Vancouver", "Calgary", "Montréal", "Ottawa"],
        dial: "+1 416", weight: 14 },
    Country { code: "GB", name: "United Kingdom", region: "emea", suffix: "co.uk",
        currency: "GBP", forms: &["Ltd", "plc", "Limited"],
        roots: &["Ashcombe", "Thornbury", "Kingsmere", "Whitcombe", "Aldermoor", "Hollins",
            "Marlowe", "Ravensworth", "Pennine", "Chiltern", "Severnside", "Bramley"],
        words: &[], cities: &["London", "Manchester", "Leeds", "Bristol", "Edinburgh",
            "Birmingham"],
        dial: "+44 20", weight: 34 },
    Country { code: "IE", name: "Ireland", region: "emea", suffix: "ie", currency: "EUR",
        forms: &["Ltd", "DAC"],
        roots: &["Liffey", "Slaney", "Corrib", "Brennan", "Glendalough"],
        words: &[], cities: &["Dublin", "Cork", "Galway", "Limerick"],
        dial: "+353 1", weight: 7 },
    Country { code: "DE", name: "Germany", region: "emea", suffix: "de", currency: "EUR",
        forms: &["GmbH", "AG", "GmbH & Co. KG"],
        roots: &["Brunnwald", "Feldmark", "Hohenstein", "Lindenhof", "Rheinfels", "Weidmann",
            "Eichhorn", "Kranzberg", "Auental", "Wendelin", "Hasselbach", "Rotkehl"],
        words: DE_WORDS, cities: &["München", "Hamburg", "Stuttgart", "Köln",
            "Frankfurt am Main", "Düsseldorf", "Leipzig"],
        dial: "+49 89", weight: 32 },
    Country { code: "AT", name: "Austria", region: "emea", suffix: "at", currency: "EUR",
        forms: &["GmbH", "AG"],
        roots: &["Alpenblick", "Donautal", "Steinhauser", "Kahlenberg", "Wachauer"],
        words: DE_WORDS, cities: &["Wien", "Graz", "Linz", "Salzburg"],
        dial: "+43 1", weight: 7 },
    Country { code: "CH", name: "Switzerland", region: "emea", suffix: "ch", currency: "EUR",
        forms: &["AG", "SA", "GmbH"],
        roots: &["Limmat", "Seeland", "Gotthard", "Rigiblick", "Aaretal"],
        words: DE_WORDS, cities: &["Zürich", "Basel", "Genève", "Bern", "Lausanne"],
        dial: "+41 44", weight: 8 },
    Country { code: "FR", name: "France", region: "emea", suffix: "fr", currency: "EUR",
        forms: &["S.A.", "SAS", "SARL"],
        roots: &["Beauregard", "Montclair", "Valmont", "Delaunay", "Rochefort", "Bellerive",
            "Vercors", "Garonne"],
        words: FR_WORDS, cities: &["Paris", "Lyon", "Toulouse", "Nantes", "Lille", "Bordeaux"],
        dial: "+33 1", weight: 18 },
    Country { code: "BE", name: "Belgium", region: "emea", suffix: "be", currency: "EUR",
        forms: &["NV", "SA", "BV"],
        roots: &["Ardenne", "Vandamme", "Brabantia", "Meuseval"],
        words: FR_WORDS, cities: &["Antwerpen", "Bruxelles", "Gent", "Liège"],
        dial: "+32 2", weight: 6 },
    Country { code: "ES", name: "Spain", region: "emea", suffix: "es", currency: "EUR",
        forms: &["S.A.", "S.L."],
        roots: &["Alborada", "Montealto", "Costaluz", "Valdemar", "Guadiana", "Peñalara"],
        words: ES_WORDS, cities: &["Madrid", "Barcelona", "Valencia", "Bilbao", "Sevilla"],
        dial: "+34 91", weight: 12 },
    Country { code: "IT", name: "Italy", region: "emea", suffix: "it", currency: "EUR",
        forms: &["S.p.A.", "S.r.l."],
        roots: &["Valdarno", "Castelverde", "Serravalle", "Lucenti", "Montefiore", "Adriatica"],
        words: &[("Meccanica", 0), ("Assicurazioni", 2), ("Energia", 5), ("Trasporti", 6),
            ("Alimentari", 7)],
        cities: &["Milano", "Torino", "Bologna", "Roma", "Verona"],
        dial: "+39 02", weight: 11 },
    Country { code: "NL", name: "Netherlands", region: "emea", suffix: "nl", currency: "EUR",
        forms: &["B.V.", "N.V."],
        roots: &["Waterland", "Zilverberg", "Noordhoek", "Dijkstra", "Veluwe"],
        words: &[("Techniek", 0), ("Zorg", 1), ("Energie", 5), ("Logistiek", 6), ("Bouw", 10)],
        cities: &["Amsterdam", "Rotterdam", "Eindhoven", "Utrecht"],
        dial: "+31 20", weight: 10 },
    Country { code: "SE", name: "Sweden", region: "emea", suffix: "se", currency: "EUR",
        forms: &["AB"],
        roots: &["Norrsken", "Björkvik", "Ekholm", "Fjällström", "Vänerstad"],
        words: NORDIC_WORDS, cities: &["Stockholm", "Göteborg", "Malmö", "Uppsala"],
        dial: "+46 8", weight: 8 },
    Country { code: "DK", name: "Denmark", region: "emea", suffix: "dk", currency: "EUR",
        forms: &["A/S", "ApS"],
        roots: &["Kattegat", "Havbris", "Skovgaard"],
        words: NORDIC_WORDS, cities: &["København", "Aarhus", "Odense"],
        dial: "+45 33", weight: 5 },
    Country { code: "NO", name: "Norway", region: "emea", suffix: "no", currency: "EUR",
        forms: &["AS", "ASA"],
        roots: &["Nordvik", "Fjellheim", "Havblikk"],
        words: NORDIC_WORDS, cities: &["Oslo", "Bergen", "Stavanger", "Trondheim"],
        dial: "+47 22", weight: 5 },
    Country { code: "FI", name: "Finland", region: "emea", suffix: "fi", currency: "EUR",
        forms: &["Oy", "Oyj"],
        roots: &["Kuusela", "Saimaa", "Revontuli"],
        words: &[], cities: &["Helsinki", "Espoo", "Tampere", "Oulu"],
        dial: "+358 9", weight: 5 },
    Country { code: "PL", name: "Poland", region: "emea", suffix: "pl", currency: "EUR",
        forms: &["Sp. z o.o.", "S.A."],
        roots: &["Orlik", "Bursztyn", "Kasztan", "Jaworzyna"],
        words: &[], cities: &["Warszawa", "Kraków", "Wrocław", "Gdańsk"],
        dial: "+48 22", weight: 6 },
    Country { code: "JP", name: "Japan", region: "apj", suffix: "co.jp", currency: "USD",
        forms: &["K.K.", "Co., Ltd."],
        roots: &["Aozora", "Kitahara", "Sakuragawa", "Tsubame", "Kawaguchi", "Minato",
            "Asahigaoka"],
        words: &[("Seiki", 0), ("Shoji", 3), ("Denki", 4), ("Unyu", 6), ("Shokuhin", 7),
            ("Kensetsu", 10)],
        cities: &["Tokyo", "Osaka", "Nagoya", "Yokohama", "Fukuoka"],
        dial: "+81 3", weight: 13 },
    Country { code: "KR", name: "South Korea", region: "apj", suffix: "co.kr", currency: "USD",
        forms: &["Co., Ltd."],
        roots: &["Hanbit", "Saebyeol", "Hanul", "Dasan"],
        words: &[], cities: &["Seoul", "Busan", "Incheon"],
        dial: "+82 2", weight: 5 },
    Country { code: "AU", name: "Australia", region: "apj", suffix: "com.au", currency: "USD",
        forms: &["Pty Ltd", "Ltd"],
        roots: &["Coolabah", "Wattle Creek", "Bellarine", "Kurrajong", "Southbank", "Barossa"],
        words: &[], cities: &["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"],
        dial: "+61 2", weight: 13 },
    Country { code: "SG", name: "Singapore", region: "apj", suffix: "com.sg", currency: "USD",
        forms: &["Pte. Ltd."],
        roots: &["Kallang", "Tanjong", "Straitsview"],
        words: &[], cities: &["Singapore"],
        dial: "+65 6", weight: 6 },
    Country { code: "IN", name: "India", region: "apj", suffix: "co.in", currency: "USD",
        forms: &["Pvt. Ltd.", "Ltd"],
        roots: &["Sahyadri", "Nilgiri", "Kaveri", "Aravali", "Deccan Crest"],
        words: &[], cities: &["Bengaluru", "Mumbai", "Pune", "Hyderabad", "Chennai"],
        dial: "+91 80", weight: 10 },
    Country { code: "BR", name: "Brazil", region: "latam", suffix: "com.br", currency: "USD",
        forms: &["Ltda.", "S.A."],
        roots: &["Serra Azul", "Cajueiro", "Aroeira", "Jacarandá", "Paraty"],
        words: &[("Alimentos", 7), ("Energia", 5), ("Logística", 6), ("Seguros", 2)],
        cities: &["São Paulo", "Rio de Janeiro", "Curitiba", "Belo Horizonte"],
        dial: "+55 11", weight: 11 },
    Country { code: "MX", name: "Mexico", region: "latam", suffix: "com.mx", currency: "USD",
        forms: &["S.A. de C.V.", "S. de R.L. de C.V."],
        roots: &["Sierra Madre", "Cenote Azul", "Mezquital", "Tepeyac"],
        words: ES_WORDS, cities: &["Ciudad de México", "Monterrey", "Guadalajara", "Puebla"],
        dial: "+52 55", weight: 8 },
];

/// A company, as the vendor's CRM or a partner names it.
#[derive(Clone, Debug)]
pub(super) struct Company {
    /// Where it is.
    pub country: &'static Country,
    /// Its name without the legal form: what people call it.
    pub brand: String,
    /// Its registered name.
    pub name: String,
    /// Its registrable domain.
    pub domain: String,
    /// Index into [`INDUSTRIES`].
    pub industry: usize,
    /// Its city.
    pub city: &'static str,
}

/// The country with this code.
pub(super) fn country(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.code == code)
}

/// A domain label for words: folded to ASCII, joined by `sep`.
fn label(words: &[&str], sep: &str) -> String {
    words
        .iter()
        .map(|w| {
            fold(w)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

/// A person's address at a company: `first.last@domain`, in ASCII.
pub(super) fn mailbox(first: &str, last: &str, domain: &str) -> String {
    format!("{}.{}@{domain}", label(&[first], ""), label(&[last], ""))
}

impl Company {
    /// A company named `brand` (without legal form) in `country`; its domain is the brand's
    /// words joined by hyphens.
    pub(super) fn new(
        country: &'static Country,
        brand: &str,
        form: usize,
        industry: usize,
    ) -> Self {
        let words: Vec<&str> = brand.split_whitespace().collect();
        let form = country.forms[form % country.forms.len()];
        Self {
            country,
            brand: brand.to_owned(),
            name: format!("{brand} {form}"),
            domain: format!("{}.{}", label(&words, "-"), country.suffix),
            industry,
            city: country.cities[brand.len() % country.cities.len()],
        }
    }
}

/// `n` distinct companies (by name and by domain) drawn from the countries' brands with
/// `seed`; fewer if the brands run out.
pub(super) fn companies(n: usize, seed: u64) -> Vec<Company> {
    let mut rng = SplitMix64::new(seed);
    let total: usize = COUNTRIES.iter().map(|c| c.weight).sum();
    let mut out: Vec<Company> = Vec::with_capacity(n);
    let mut taken = std::collections::HashSet::new();
    let mut attempts = 0;
    while out.len() < n && attempts < n * 50 {
        attempts += 1;
        let mut pick = rng.below(total);
        let country = COUNTRIES
            .iter()
            .find(|c| {
                let hit = pick < c.weight;
                pick = pick.saturating_sub(c.weight);
                hit
            })
            .unwrap_or(&COUNTRIES[0]);
        let root = country.roots[rng.below(country.roots.len())];
        let (word, industry) = if !country.words.is_empty() && rng.percent(60) {
            country.words[rng.below(country.words.len())]
        } else {
            ENGLISH[rng.below(ENGLISH.len())]
        };
        let brand = format!("{root} {word}");
        let words: Vec<&str> = brand.split_whitespace().collect();
        let root_words: Vec<&str> = root.split_whitespace().collect();
        let domain_label = match rng.below(10) {
            0..4 => label(&words, "-"),
            4..7 => label(&words, ""),
            _ => label(&root_words, ""),
        };
        let domain = format!("{domain_label}.{}", country.suffix);
        // Sister companies share a brand but not a domain; one brand per domain.
        if !taken.insert(domain.clone()) || !taken.insert(fold(&brand)) {
            continue;
        }
        let form = country.forms[rng.below(country.forms.len())];
        out.push(Company {
            country,
            name: format!("{brand} {form}"),
            brand,
            domain,
            industry,
            city: country.cities[rng.below(country.cities.len())],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn companies_are_distinct_and_their_websites_are_registrable_domains() {
        let list = companies(330, 7);
        assert_eq!(list.len(), 330);
        let names: HashSet<_> = list.iter().map(|c| c.name.as_str()).collect();
        let domains: HashSet<_> = list.iter().map(|c| c.domain.as_str()).collect();
        assert_eq!(names.len(), list.len());
        assert_eq!(domains.len(), list.len());
        for c in &list {
            let website = format!("https://www.{}/", c.domain);
            assert_eq!(
                trellis_match::domain::website_domain(&website).as_deref(),
                Some(c.domain.as_str()),
                "{}",
                c.name
            );
            assert_eq!(
                trellis_match::country::country_code(c.country.name).map(|k| k.as_str().to_owned()),
                Some(c.country.code.to_owned())
            );
        }
        // Every brand's own domain is registrable too: some names are public suffixes
        // themselves (mazury.pl, a Polish region, is one).
        for country in &COUNTRIES {
            for root in country.roots {
                let domain = format!("{}.{}", label(&[root], ""), country.suffix);
                assert_eq!(
                    trellis_match::domain::website_domain(&domain).as_deref(),
                    Some(domain.as_str())
                );
            }
        }
        let countries: HashSet<_> = list.iter().map(|c| c.country.code).collect();
        assert!(countries.len() >= 20, "{countries:?}");
        assert_eq!(
            companies(330, 7)
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
            list.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            "deterministic"
        );
    }
}
