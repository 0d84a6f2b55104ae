//! Values read out of CRM records: Salesforce and HubSpot exports (CSV files written in many
//! locales) and API input. Each reader takes one cell and says, in a sentence naming the cell,
//! what is wrong with it.
//!
//! Money amounts are read by [`crate::money::parse_amount`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Month};

use crate::money::{Decimal, NumberError};
use crate::orgs::string_enum;
use crate::text::fold;

// ---------------------------------------------------------------------------------------------
// Identifiers

/// The system a record came from: `salesforce`, `hubspot`, `csv`, `dynamics-365`.
///
/// Lower-case ASCII letters and digits, then up to 39 more of those or `_`, `.`, `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceSystem(String);

/// Why a text is not a source system name.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SourceSystemError {
    /// Nothing was given.
    #[error("a source system is required, such as salesforce or hubspot")]
    Empty,
    /// Characters or length outside the pattern.
    #[error(
        "{0:?} is not a source system name; use up to 40 of a-z, 0-9, \"_\", \".\" and \"-\", \
         starting with a letter or digit, such as salesforce or dynamics-365"
    )]
    Invalid(String),
}

impl SourceSystem {
    /// Parses a name, ignoring surrounding spaces and case (`" HubSpot "` is `hubspot`).
    pub fn parse(input: &str) -> Result<Self, SourceSystemError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(SourceSystemError::Empty);
        }
        let s = text.to_ascii_lowercase();
        let mut chars = s.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
        if first_ok && rest_ok && s.len() <= 40 {
            Ok(Self(s))
        } else {
            Err(SourceSystemError::Invalid(text.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceSystem {
    type Error = SourceSystemError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SourceSystem> for String {
    fn from(s: SourceSystem) -> Self {
        s.0
    }
}

impl FromStr for SourceSystem {
    type Err = SourceSystemError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for SourceSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A record's id in its source system, kept exactly as the system wrote it apart from
/// surrounding spaces (Salesforce ids are case-sensitive).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

/// Why a text is not an external id.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ExternalIdError {
    /// Nothing was given.
    #[error("an external id is required")]
    Empty,
    /// More than 255 characters.
    #[error("{text:?} is too long for an external id: {chars} characters, at most 255")]
    TooLong {
        /// The start of the text.
        text: String,
        /// Its length in characters.
        chars: usize,
    },
    /// A tab, line break or other control character.
    #[error("{0:?} contains a control character, which an external id cannot")]
    ControlCharacter(String),
}

impl ExternalId {
    /// The most characters an id may have.
    pub const MAX_CHARS: usize = 255;

    /// Parses an id: trimmed, 1 to 255 characters, no control characters.
    pub fn parse(input: &str) -> Result<Self, ExternalIdError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ExternalIdError::Empty);
        }
        let chars = s.chars().count();
        if chars > Self::MAX_CHARS {
            let start: String = s.chars().take(40).collect();
            return Err(ExternalIdError::TooLong {
                text: format!("{start}…"),
                chars,
            });
        }
        if s.chars().any(char::is_control) {
            return Err(ExternalIdError::ControlCharacter(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ExternalId {
    type Error = ExternalIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ExternalId> for String {
    fn from(id: ExternalId) -> Self {
        id.0
    }
}

impl FromStr for ExternalId {
    type Err = ExternalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Classifications

string_enum!(
    /// Where an opportunity (Salesforce) or deal (HubSpot) stands.
    OpportunityStatus {
        /// Still being worked, or in a stage that does not say how it ended.
        Open = "open" / "Open",
        /// Closed and won.
        Won = "won" / "Won",
        /// Closed and lost.
        Lost = "lost" / "Lost",
    }
);

string_enum!(
    /// What an account is to the company whose CRM it comes from.
    Relationship {
        /// Buys, or has bought and still does.
        Customer = "customer" / "Customer",
        /// Might buy: leads, prospects, open opportunities, former customers.
        Prospect = "prospect" / "Prospect",
        /// Sells, implements or integrates with the company's product.
        Partner = "partner" / "Partner",
        /// Anything else: competitors, vendors, press, unknown types.
        Other = "other" / "Other",
    }
);

/// The words of a label: folded (lower case, no accents), apostrophes dropped (`won't` is
/// `wont`), split on anything that is not a letter or digit.
fn words(label: &str) -> Vec<String> {
    fold(label)
        .replace(['\'', '\u{2019}'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// "Closed", in the languages CRMs are used in.
const CLOSED: &[&str] = &[
    "closed",
    "geschlossen",
    "abgeschlossen",
    "ferme",
    "fermee",
    "cloture",
    "cloturee",
    "cerrada",
    "cerrado",
    "chiuso",
    "chiusa",
    "fechado",
    "fechada",
    "gesloten",
];

/// Words that may come before the outcome without changing it: "Deal won", "Closed and won".
const OUTCOME_PREFIXES: &[&str] = &[
    "deal",
    "opportunity",
    "opp",
    "auftrag",
    "affaire",
    "oportunidad",
    "and",
    "und",
    "et",
    "y",
    "e",
    "en",
];

const WON: &[&str] = &[
    "won", "gewonnen", "gagne", "gagnee", "ganada", "ganado", "ganha", "ganho", "vinta", "vinto",
    "vunnen", "vundet", "wygrana",
];

const LOST: &[&str] = &[
    "lost",
    "loss",
    "verloren",
    "perdu",
    "perdue",
    "perdida",
    "perdido",
    "persa",
    "perso",
    "forlorad",
    "tabt",
    "tapt",
    "przegrana",
];

const NOT: &[&str] = &["not", "no", "non", "nicht", "pas"];

/// Strips glued prefixes such as HubSpot's internal `closedwon` and `closedlost`.
fn unglue(word: &str) -> &str {
    let mut w = word;
    'strip: loop {
        for prefix in CLOSED.iter().chain(&["deal", "opportunity"]) {
            if let Some(rest) = w.strip_prefix(prefix)
                && !rest.is_empty()
            {
                w = rest;
                continue 'strip;
            }
        }
        return w;
    }
}

/// Classifies a CRM stage label.
///
/// Reads the Salesforce standard stages (`Closed Won`, `Closed Lost`, the others are open),
/// HubSpot's internal values and labels (`closedwon`, `Closed won`, `closedlost`, …) and common
/// variants in several languages (`Won`, `Closed - Won`, `Closed/Lost`, `Deal Won`, `Gewonnen`,
/// `Verloren`, `Gagné`, `Perdu`, `Ganada`, `Perdida`, `Closed Lost - No Decision`,
/// `Closed - Not Won`), whatever their case, spacing and punctuation.
///
/// The outcome word must come first, after nothing but words meaning "closed", "deal" or
/// "and": a reason may follow it (`Lost - Price`), but `lost` or `won` later in a label
/// (`Re-engage lost contacts`, `Won't proceed`) does not count.
///
/// Everything else is [`OpportunityStatus::Open`], including `Closed` alone: it does not say
/// whether the deal was won, and counting it as either would invent revenue or losses. A
/// pipeline with such a stage needs an explicit mapping.
pub fn status_of_stage(stage: &str) -> OpportunityStatus {
    let words = words(stage);
    let mut rest = words
        .iter()
        .map(String::as_str)
        .skip_while(|w| CLOSED.contains(w) || OUTCOME_PREFIXES.contains(w))
        .map(unglue);
    let outcome = |w: &str| {
        if WON.contains(&w) {
            Some(OpportunityStatus::Won)
        } else if LOST.contains(&w) {
            Some(OpportunityStatus::Lost)
        } else {
            None
        }
    };
    match rest.next() {
        Some(w) if NOT.contains(&w) => match rest.next().and_then(outcome) {
            Some(OpportunityStatus::Won) => OpportunityStatus::Lost,
            _ => OpportunityStatus::Open,
        },
        Some(w) => outcome(w).unwrap_or(OpportunityStatus::Open),
        None => OpportunityStatus::Open,
    }
}

const CUSTOMER_WORDS: &[&str] = &[
    "customer",
    "customers",
    "client",
    "clients",
    "kunde",
    "kunden",
    "cliente",
    "clientes",
    "klant",
    "evangelist",
    "evangelists",
];

const FORMER_WORDS: &[&str] = &[
    "former",
    "ex",
    "past",
    "previous",
    "churned",
    "lapsed",
    "lost",
    "inactive",
    "non",
    "ehemaliger",
    "ehemalig",
    "ancien",
    "antiguo",
    "antigo",
];

const PARTNER_WORDS: &[&str] = &[
    "partner",
    "partners",
    "reseller",
    "resellers",
    "distributor",
    "distributors",
    "var",
    "msp",
    "mssp",
    "integrator",
    "si",
    "alliance",
    "alliances",
    "oem",
    "isv",
    "channel",
    "referral",
    "affiliate",
    "partenaire",
    "socio",
    "wiederverkaufer",
    "revendeur",
    "distribuidor",
    "haendler",
    "handler",
];

const PROSPECT_WORDS: &[&str] = &[
    "prospect",
    "prospects",
    "prospective",
    "lead",
    "leads",
    "subscriber",
    "subscribers",
    "mql",
    "sql",
    "opportunity",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "qualified",
    "target",
    "suspect",
    "interessent",
    "prospecto",
    "trial",
];

/// Classifies a Salesforce Account `Type` or a HubSpot lifecycle stage.
///
/// - Salesforce: `Customer - Direct` and `Customer - Channel` are customers; `Prospect` is a
///   prospect; `Channel Partner / Reseller`, `Installation Partner`, `Technology Partner` and
///   `Partner` are partners; `Other` and `Competitor` are other.
/// - HubSpot lifecycle stages, internal values and labels: `subscriber`, `lead`,
///   `marketingqualifiedlead`, `salesqualifiedlead` and `opportunity` are prospects;
///   `customer` and `evangelist` (a customer who promotes the product) are customers; `other`
///   is other.
/// - A *former* customer (`Former Customer`, `Ex-customer`, `Churned customer`) is a prospect
///   again, never a customer; a former partner is other.
/// - Empty means the CRM has not classified the account, which in practice is a prospect;
///   anything not recognised is [`Relationship::Other`].
pub fn relationship_of_type(account_type: &str) -> Relationship {
    let words = words(account_type);
    if words.is_empty() {
        return Relationship::Prospect;
    }
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let former = has(FORMER_WORDS);
    if has(CUSTOMER_WORDS) {
        if former {
            Relationship::Prospect
        } else {
            Relationship::Customer
        }
    } else if has(PARTNER_WORDS) {
        if former {
            Relationship::Other
        } else {
            Relationship::Partner
        }
    } else if has(PROSPECT_WORDS) {
        Relationship::Prospect
    } else {
        Relationship::Other
    }
}

// ---------------------------------------------------------------------------------------------
// Dates

string_enum!(
    /// The order of day, month and year in numeric dates.
    DateOrder {
        /// `2026-11-23`, and `26/11/23` with a two-digit year.
        Ymd = "ymd" / "Year-month-day",
        /// `11/23/2026`, as the United States (and Salesforce's default locale) write dates.
        Mdy = "mdy" / "Month/day/year",
        /// `23/11/2026`, `23.11.2026`, `23-11-2026`, as most of the world writes dates.
        Dmy = "dmy" / "Day/month/year",
    }
);

impl DateOrder {
    fn phrase(self) -> &'static str {
        match self {
            DateOrder::Ymd => "year-month-day",
            DateOrder::Mdy => "month/day/year",
            DateOrder::Dmy => "day/month/year",
        }
    }
}

/// Why a text is not a date.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DateError {
    /// Nothing but spaces.
    #[error("a date is required")]
    Empty,
    /// Not a date in any order, or a day that does not exist.
    #[error("{0:?} is not a date")]
    NotADate(String),
    /// A date, but not in the order asked for (`23/11/2026` as month/day/year).
    #[error("{text:?} is not a date in {} order", .order.phrase())]
    WrongOrder {
        /// The text as given.
        text: String,
        /// The order it was read in.
        order: DateOrder,
    },
}

/// Why no one date order reads a column.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DateOrderError {
    /// A value that is not a date in any order.
    #[error("{0:?} is not a date")]
    NotADate(String),
    /// Values that need different orders.
    #[error(
        "{later:?} can only be {}, but earlier values such as {earlier:?} can only be {}; \
         a column must use one date order",
        orders_phrase(.later_orders),
        orders_phrase(.earlier_orders)
    )]
    Conflict {
        /// The value at which no order was left.
        later: String,
        /// The orders it can be read in.
        later_orders: Vec<DateOrder>,
        /// The earlier value that ruled those orders out.
        earlier: String,
        /// The orders the values up to and including `earlier` can all be read in.
        earlier_orders: Vec<DateOrder>,
    },
}

fn orders_phrase(orders: &[DateOrder]) -> String {
    let phrases: Vec<&str> = orders.iter().map(|o| o.phrase()).collect();
    phrases.join(" or ")
}

/// A date as written, before an order gives its numbers a meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Year first with four digits, or a month name: the order does not matter.
    Fixed { year: i32, month: u8, day: u8 },
    /// Three numbers whose meaning depends on the order; `c` is the only one that may have four
    /// digits.
    Numeric { a: Num, b: Num, c: Num, sep: char },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Num {
    value: u32,
    digits: usize,
}

impl Shape {
    fn date(self, order: DateOrder) -> Option<Date> {
        let (year, month, day) = match self {
            Shape::Fixed { year, month, day } => (year, month, day),
            Shape::Numeric { a, b, c, .. } => {
                let (y, m, d) = match order {
                    DateOrder::Ymd => (a, b, c),
                    DateOrder::Mdy => (c, a, b),
                    DateOrder::Dmy => (c, b, a),
                };
                if m.digits > 2 || d.digits > 2 {
                    return None;
                }
                let year = match y.digits {
                    2 => full_year(y.value),
                    4 => i32::try_from(y.value).ok()?,
                    _ => return None,
                };
                (
                    year,
                    u8::try_from(m.value).ok()?,
                    u8::try_from(d.value).ok()?,
                )
            }
        };
        Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
    }

    /// The orders this shape reads in, as a set over [`DateOrder::ALL`].
    fn orders(self) -> Vec<DateOrder> {
        DateOrder::ALL
            .iter()
            .copied()
            .filter(|o| self.date(*o).is_some())
            .collect()
    }
}

/// Two-digit years: 00–69 are 2000–2069, 70–99 are 1970–1999.
fn full_year(yy: u32) -> i32 {
    let yy = i32::try_from(yy % 100).unwrap_or(0);
    if yy < 70 { 2000 + yy } else { 1900 + yy }
}

/// A cursor over the text of a date.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn eat(&mut self, pred: impl Fn(char) -> bool) -> Option<char> {
        let c = self.peek().filter(|c| pred(*c))?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }

    fn skip(&mut self, pred: impl Fn(char) -> bool) -> usize {
        let mut n = 0;
        while self.eat(&pred).is_some() {
            n += 1;
        }
        n
    }

    fn take(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let end = self
            .rest
            .char_indices()
            .find(|(_, c)| !pred(*c))
            .map_or(self.rest.len(), |(i, _)| i);
        let (taken, rest) = self.rest.split_at(end);
        self.rest = rest;
        taken
    }

    fn number(&mut self) -> Option<Num> {
        let digits = self.take(|c| c.is_ascii_digit());
        if digits.is_empty() || digits.len() > 8 {
            return None;
        }
        Some(Num {
            value: digits.parse().ok()?,
            digits: digits.len(),
        })
    }

    fn word(&mut self) -> &'a str {
        self.take(char::is_alphabetic)
    }
}

/// Month names and their usual abbreviations in English, German, French, Spanish, Italian,
/// Dutch and Portuguese, folded.
const MONTHS: [&[&str]; 12] = [
    &[
        "january", "januar", "janvier", "enero", "gennaio", "januari", "janeiro", "janner",
    ],
    &[
        "february",
        "februar",
        "fevrier",
        "febrero",
        "febbraio",
        "februari",
        "fevereiro",
        "feber",
    ],
    &[
        "march", "marz", "mars", "marzo", "maart", "marco", "mrz", "mrt",
    ],
    &["april", "avril", "abril", "aprile"],
    &["may", "mai", "mayo", "maggio", "mei", "maio"],
    &["june", "juni", "juin", "junio", "giugno", "junho"],
    &["july", "juli", "juillet", "julio", "luglio", "julho"],
    &["august", "aout", "agosto", "augustus"],
    &[
        "september",
        "septembre",
        "septiembre",
        "settembre",
        "setembro",
        "setiembre",
    ],
    &[
        "october", "oktober", "octobre", "octubre", "ottobre", "outubro",
    ],
    &["november", "novembre", "noviembre", "novembro"],
    &[
        "december",
        "dezember",
        "decembre",
        "diciembre",
        "dicembre",
        "dezembro",
    ],
];

/// The month a word names, when it is a month name or a prefix of at least three letters of
/// names of one month only (`Sept`, `janv.`, `Okt`; not `Jui`, which could be juin or juillet).
fn month_of(word: &str) -> Option<u8> {
    let w = fold(word);
    if w.chars().count() < 3 {
        return None;
    }
    let mut found = None;
    for (i, names) in MONTHS.iter().enumerate() {
        if names.iter().any(|n| n.starts_with(&w)) {
            if found.is_some() {
                return None;
            }
            found = u8::try_from(i + 1).ok();
        }
    }
    found
}

fn is_date_sep(c: char) -> bool {
    matches!(c, '-' | '/' | '.')
}

/// Reads the date part of `s` and checks that anything after it is a time of day.
fn read_shape(s: &str) -> Option<Shape> {
    let mut cur = Cursor { rest: s };
    let shape = if cur.peek()?.is_ascii_digit() {
        read_numeric_first(&mut cur)?
    } else {
        // `Nov 23, 2026`, `November 23rd 2026`.
        let month = month_of(cur.word())?;
        cur.skip(|c| c == '.' || c == ' ' || c == '-');
        let day = cur.number().filter(|n| n.digits <= 2)?;
        let suffix = cur.word();
        if !suffix.is_empty() && !matches!(suffix, "st" | "nd" | "rd" | "th") {
            return None;
        }
        cur.skip(|c| c == ',' || c == ' ' || c == '-' || c == '.');
        let year = cur.number()?;
        fixed(year, month, day)?
    };
    is_time(cur.rest).then_some(shape)
}

fn fixed(year: Num, month: u8, day: Num) -> Option<Shape> {
    let year = match year.digits {
        2 => full_year(year.value),
        4 => i32::try_from(year.value).ok()?,
        _ => return None,
    };
    Some(Shape::Fixed {
        year,
        month,
        day: u8::try_from(day.value).ok()?,
    })
}

fn read_numeric_first(cur: &mut Cursor<'_>) -> Option<Shape> {
    let a = cur.number()?;
    if a.digits == 8 && cur.peek().is_none_or(|c| !is_date_sep(c)) {
        // `20261123`, ISO 8601's basic format.
        let v = a.value;
        return Some(Shape::Fixed {
            year: i32::try_from(v / 10_000).ok()?,
            month: u8::try_from(v / 100 % 100).ok()?,
            day: u8::try_from(v % 100).ok()?,
        });
    }
    let sep = cur.eat(is_date_sep);
    let spaced = cur.skip(|c| c == ' ') > 0;
    if cur.peek().is_some_and(char::is_alphabetic) {
        // `23 Nov 2026`, `23-Nov-26`, `23. November 2026`.
        if a.digits > 2 {
            return None;
        }
        let month = month_of(cur.word())?;
        cur.skip(|c| c == '.' || c == ' ' || c == '-' || c == '/' || c == ',');
        let year = cur.number()?;
        return fixed(year, month, a);
    }
    let sep = sep?;
    // `23. 11. 2026` (Czech, Slovak) puts a space after each full stop.
    if spaced && sep != '.' {
        return None;
    }
    let b = cur.number()?;
    cur.eat(|c| c == sep)?;
    if sep == '.' {
        cur.skip(|c| c == ' ');
    }
    let c = cur.number()?;
    if sep == '.' {
        // `2026. 11. 23.` (Hungarian) ends with a full stop.
        cur.eat(|ch| ch == '.');
    }
    match (a.digits, b.digits, c.digits) {
        (4, 1..=2, 1..=2) => Some(Shape::Fixed {
            year: i32::try_from(a.value).ok()?,
            month: u8::try_from(b.value).ok()?,
            day: u8::try_from(c.value).ok()?,
        }),
        (1..=2, 1..=2, 2 | 4) => Some(Shape::Numeric { a, b, c, sep }),
        _ => None,
    }
}

/// Whether `rest` (after a date) is empty or a time of day: `T10:00:00Z`,
/// ` 10:00:00.000+0000`, `, 10:15 AM`, ` 00:00:00 UTC`.
fn is_time(rest: &str) -> bool {
    let mut cur = Cursor { rest };
    if cur.peek().is_none() {
        return true;
    }
    let comma = cur.eat(|c| c == ',').is_some();
    let spaced = cur.skip(char::is_whitespace) > 0;
    let t = !comma && !spaced && cur.eat(|c| c == 'T' || c == 't').is_some();
    if !(spaced || t) {
        return false;
    }
    let Some(hour) = cur.number().filter(|n| n.digits <= 2) else {
        return false;
    };
    let mut minute = None;
    if cur.eat(|c| c == ':').is_some() {
        let Some(m) = cur.number().filter(|n| n.digits == 2 && n.value < 60) else {
            return false;
        };
        minute = Some(m);
        if cur.eat(|c| c == ':').is_some()
            && !cur.number().is_some_and(|n| n.digits == 2 && n.value <= 60)
        {
            return false;
        }
        if cur.eat(|c| c == '.' || c == ',').is_some()
            && cur.take(|c| c.is_ascii_digit()).is_empty()
        {
            return false;
        }
    }
    cur.skip(char::is_whitespace);
    let meridiem = {
        let before = cur.rest;
        let word = cur.take(|c| c.is_ascii_alphabetic() || c == '.');
        match word.to_ascii_lowercase().as_str() {
            "am" | "pm" | "a.m." | "p.m." => true,
            _ => {
                cur.rest = before;
                false
            }
        }
    };
    let hour_ok = if meridiem {
        (1..=12).contains(&hour.value)
    } else {
        minute.is_some() && hour.value <= 24
    };
    if !hour_ok {
        return false;
    }
    cur.skip(char::is_whitespace);
    is_zone(cur.rest)
}

/// `Z`, `+0000`, `+02:00`, `-5`, `UTC`, `GMT+1`, `CET`, or nothing.
fn is_zone(zone: &str) -> bool {
    let mut cur = Cursor { rest: zone };
    let letters = cur.take(|c| c.is_ascii_alphabetic());
    let zone_ok = letters.is_empty() || letters.eq_ignore_ascii_case("z");
    if !(zone_ok || (2..=5).contains(&letters.len())) {
        return false;
    }
    if cur.eat(|c| c == '+' || c == '-').is_some() {
        let Some(h) = cur.number().filter(|n| n.digits <= 4) else {
            return false;
        };
        if h.digits <= 2 && cur.eat(|c| c == ':').is_some() && cur.number().is_none() {
            return false;
        }
    }
    cur.rest.is_empty()
}

/// Reads a date written in `order`, ignoring any time of day after it.
///
/// Accepts ISO dates and date-times (`2026-11-23`, `2026-11-23T10:00:00Z`, `2026-11-23 10:00`,
/// `2026-11-23T10:00:00.000+0000` as the Salesforce API writes them, `20261123`), numeric dates
/// with `/`, `.` or `-` (`11/23/2026`, `23.11.2026`, `23-11-2026`, `23. 11. 2026`, single-digit
/// days and months), two-digit years (00–69 are 20xx, 70–99 are 19xx), a trailing time
/// (`11/23/2026 10:15 AM`, `23.11.2026, 10:15`), and month names in English, German, French,
/// Spanish, Italian, Dutch and Portuguese (`23 Nov 2026`, `23-Nov-26`, `Nov 23, 2026`,
/// `23. November 2026`, `23 déc. 2026`).
///
/// A date starting with a four-digit year, or naming its month, reads the same in every
/// order. A day that does not exist (`31/02/2026`) is an error, and so is a date that only
/// another order can read, with a message saying so.
pub fn parse_date(text: &str, order: DateOrder) -> Result<Date, DateError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DateError::Empty);
    }
    let shape = read_shape(s).ok_or_else(|| DateError::NotADate(s.to_owned()))?;
    shape.date(order).ok_or_else(|| {
        if shape.orders().is_empty() {
            DateError::NotADate(s.to_owned())
        } else {
            DateError::WrongOrder {
                text: s.to_owned(),
                order,
            }
        }
    })
}

/// The order in which every non-empty value of a column is a date.
///
/// When several orders fit (every day is 12 or less, or every value starts with its year),
/// the separator of the first value that depends on the order decides: `/` prefers
/// month/day/year (the United States and Salesforce's default locale), `.` and `-` prefer
/// day/month/year; a column of ISO dates is year-month-day, and so is an empty one.
///
/// If a value is not a date in any order, the error names the first such value; otherwise,
/// if no order fits them all, it names the value where none was left and an earlier value
/// it disagrees with.
pub fn infer_date_order<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<DateOrder, DateOrderError> {
    let mut shapes: Vec<(&str, Shape)> = Vec::new();
    for value in values {
        let s = value.trim();
        if s.is_empty() {
            continue;
        }
        match read_shape(s).filter(|shape| !shape.orders().is_empty()) {
            Some(shape) => shapes.push((s, shape)),
            None => return Err(DateOrderError::NotADate(s.to_owned())),
        }
    }
    let mut fit: Vec<DateOrder> = DateOrder::ALL.to_vec();
    let mut history: Vec<(&str, Vec<DateOrder>)> = Vec::new();
    for (s, shape) in &shapes {
        let orders = shape.orders();
        let narrowed: Vec<DateOrder> = fit.iter().copied().filter(|o| orders.contains(o)).collect();
        if narrowed.is_empty() {
            // The first earlier point at which the orders left excluded all of this value's.
            let (earlier, earlier_orders) = history
                .iter()
                .find(|(_, left)| left.iter().all(|o| !orders.contains(o)))
                .map_or((String::new(), fit.clone()), |(e, left)| {
                    ((*e).to_owned(), left.clone())
                });
            return Err(DateOrderError::Conflict {
                later: (*s).to_owned(),
                later_orders: orders,
                earlier,
                earlier_orders,
            });
        }
        fit = narrowed;
        history.push((s, fit.clone()));
    }
    let sep = shapes.iter().find_map(|(_, shape)| match shape {
        Shape::Numeric { sep, .. } => Some(*sep),
        Shape::Fixed { .. } => None,
    });
    let preference = match sep {
        Some('/') => [DateOrder::Mdy, DateOrder::Dmy, DateOrder::Ymd],
        Some(_) => [DateOrder::Dmy, DateOrder::Mdy, DateOrder::Ymd],
        None => [DateOrder::Ymd, DateOrder::Dmy, DateOrder::Mdy],
    };
    Ok(preference
        .into_iter()
        .find(|o| fit.contains(o))
        .unwrap_or(DateOrder::Ymd))
}

// ---------------------------------------------------------------------------------------------
// Booleans, counts and percentages

/// Reads a checkbox or yes/no cell: `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0`, `t`/`f`,
/// `on`/`off`, `x` and `✓` (ticked), and the words Excel and people write in German, French,
/// Spanish, Italian, Dutch and Portuguese (`WAHR`/`FALSCH`, `oui`/`non`, `sí`, `ja`/`nein`…),
/// whatever the case. `None` for an empty cell and for anything else.
pub fn parse_bool(text: &str) -> Option<bool> {
    let w = fold(text.trim());
    match w.as_str() {
        "true" | "yes" | "y" | "1" | "t" | "on" | "x" | "✓" | "✔" | "☑" | "✅" | "ja" | "j"
        | "wahr" | "oui" | "vrai" | "si" | "verdadero" | "vero" | "sim" | "verdadeiro" | "waar" => {
            Some(true)
        }
        "false" | "no" | "n" | "0" | "f" | "off" | "nein" | "falsch" | "non" | "faux" | "falso"
        | "nao" | "nee" | "onwaar" => Some(false),
        _ => None,
    }
}

/// Why a text is not a count.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CountError {
    /// Nothing but spaces.
    #[error("a number is required")]
    Empty,
    /// Not a number.
    #[error("{0:?} is not a number")]
    NotANumber(String),
    /// Below zero.
    #[error("{0:?} is negative; a count cannot be")]
    Negative(String),
    /// A fraction.
    #[error("{0:?} is not a whole number")]
    NotWhole(String),
    /// Beyond 64 bits.
    #[error("{0:?} is too large a number")]
    TooLarge(String),
    /// A band such as `51-200` or `10,001+`.
    #[error("{text:?} is a range, not a number; give one number, such as its lower bound {low}")]
    Range {
        /// The text as given.
        text: String,
        /// The lower bound.
        low: i64,
        /// The upper bound; `None` for an open band (`10,001+`).
        high: Option<i64>,
    },
}

/// Reads a non-negative whole number: `12000`, `1,200`, `1.200`, `1 200`, `1'200`, Excel's
/// `1.2E+04`, and `1,200.00` (zero decimals).
///
/// A lone `.` or `,` before three digits groups them (`1.200` is 1200), as in
/// [`crate::money::parse_amount`] for currencies with two decimals.
///
/// Bands such as HubSpot's and LinkedIn's employee counts (`51-200`, `1,001–5,000`, `10,001+`)
/// are an error, [`CountError::Range`], that carries the bounds: a midpoint would invent a
/// figure, and a lower bound silently understates it, so the caller decides (an importer may
/// offer to take the lower bound, which the message suggests).
pub fn parse_count(text: &str) -> Result<i64, CountError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(CountError::Empty);
    }
    if let Some(low) = s.strip_suffix('+')
        && let Ok(low) = read_count(low.trim(), s)
    {
        return Err(CountError::Range {
            text: s.to_owned(),
            low,
            high: None,
        });
    }
    let band = s
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, '-' | '\u{2013}' | '\u{2014}'))
        .map(|(i, c)| (&s[..i], &s[i + c.len_utf8()..]));
    if let Some((low, high)) = band
        && let (Ok(low), Ok(high)) = (read_count(low.trim(), s), read_count(high.trim(), s))
    {
        return Err(CountError::Range {
            text: s.to_owned(),
            low,
            high: Some(high),
        });
    }
    if let Some(rest) = s.strip_prefix(['-', '\u{2212}']) {
        return match read_count(rest.trim_start(), s)? {
            0 => Ok(0),
            _ => Err(CountError::Negative(s.to_owned())),
        };
    }
    read_count(s.strip_prefix('+').unwrap_or(s), s)
}

/// Reads `core` (no sign) as a count; errors name `text`, the whole cell.
fn read_count(core: &str, text: &str) -> Result<i64, CountError> {
    let starts_ok = core.starts_with(|c: char| c.is_ascii_digit());
    let ends_ok = core.ends_with(|c: char| c.is_ascii_digit());
    if !starts_ok || !ends_ok {
        return Err(CountError::NotANumber(text.to_owned()));
    }
    let number = Decimal::read(core, true, None).map_err(|e| match e {
        NumberError::TooLarge => CountError::TooLarge(text.to_owned()),
        NumberError::Malformed | NumberError::Inexact => CountError::NotANumber(text.to_owned()),
    })?;
    let whole = number.scaled(0).map_err(|e| match e {
        NumberError::Inexact => CountError::NotWhole(text.to_owned()),
        NumberError::Malformed | NumberError::TooLarge => CountError::TooLarge(text.to_owned()),
    })?;
    i64::try_from(whole).map_err(|_| CountError::TooLarge(text.to_owned()))
}

/// Why a text is not a percentage.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PercentError {
    /// Nothing but spaces.
    #[error("a percentage is required")]
    Empty,
    /// Not a number.
    #[error("{0:?} is not a percentage")]
    NotAPercent(String),
    /// Below 0 % or above 100 %.
    #[error("{0:?} is not between 0% and 100%")]
    OutOfRange(String),
}

/// Reads a percentage such as a deal probability, rounded to a whole percent (halves up).
///
/// `75`, `75%`, `75 %`, `%75` (Turkish), `75,5 %` are percents. A number from 0 to 1 written
/// with a decimal separator and without `%` is a fraction, as HubSpot exports probabilities:
/// `0.75` and `0,75` are 75 %, `1.0` is 100 %, and floating-point noise such as
/// `0.6000000000000001` rounds away. A number without a separator is a percent even when it is
/// 0 or 1 (`1` is 1 %). Excel's `7.5E-01` is read like `0.75`.
pub fn parse_percent(text: &str) -> Result<u8, PercentError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(PercentError::Empty);
    }
    let (core, percent_sign) = match s.strip_suffix('%').or_else(|| s.strip_prefix('%')) {
        Some(core) => (core.trim(), true),
        None => (s, false),
    };
    let (core, negative) = match core.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (rest.trim_start(), true),
        None => (core.strip_prefix('+').unwrap_or(core), false),
    };
    let starts_ok = core.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
    if !starts_ok || !core.ends_with(|c: char| c.is_ascii_digit()) {
        return Err(PercentError::NotAPercent(s.to_owned()));
    }
    let number = Decimal::read(core, false, None).map_err(|e| match e {
        NumberError::TooLarge => PercentError::OutOfRange(s.to_owned()),
        NumberError::Malformed | NumberError::Inexact => PercentError::NotAPercent(s.to_owned()),
    })?;
    let fraction = !percent_sign && core.contains(['.', ',']) && number.at_most(1);
    let percent = if fraction {
        Decimal {
            scale: number.scale - 2,
            ..number
        }
    } else {
        number
    };
    let in_range = percent.at_most(100) && (!negative || percent.digits == 0);
    match percent.round().and_then(|p| u8::try_from(p).ok()) {
        Some(p) if in_range => Ok(p),
        _ => Err(PercentError::OutOfRange(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn source_systems_are_short_lower_case_names() {
        for (input, expected) in [
            ("salesforce", "salesforce"),
            (" HubSpot ", "hubspot"),
            ("csv", "csv"),
            ("Dynamics-365", "dynamics-365"),
            ("sap_c4c.eu", "sap_c4c.eu"),
            ("365", "365"),
            (&"a".repeat(40), &"a".repeat(40)),
        ] {
            let s = SourceSystem::parse(input).unwrap();
            assert_eq!(s.as_str(), expected);
            assert_eq!(s.to_string(), expected);
            assert_eq!(input.parse::<SourceSystem>().unwrap(), s);
        }
        assert_eq!(SourceSystem::parse(" "), Err(SourceSystemError::Empty));
        for bad in [
            "Sales Force",
            "-csv",
            "_x",
            ".x",
            "zoho/crm",
            "hubspöt",
            &"a".repeat(41),
        ] {
            assert_eq!(
                SourceSystem::parse(bad),
                Err(SourceSystemError::Invalid(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            SourceSystem::parse("Sales Force").unwrap_err().to_string(),
            "\"Sales Force\" is not a source system name; use up to 40 of a-z, 0-9, \"_\", \".\" \
             and \"-\", starting with a letter or digit, such as salesforce or dynamics-365"
        );
        let s = SourceSystem::parse("hubspot").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hubspot\"");
        assert_eq!(
            serde_json::from_str::<SourceSystem>("\"HubSpot\"").unwrap(),
            s
        );
        assert!(serde_json::from_str::<SourceSystem>("\"a b\"").is_err());
    }

    #[test]
    fn external_ids_are_kept_as_written() {
        let id = ExternalId::parse("  0015g00000XyZabAAB ").unwrap();
        assert_eq!(id.as_str(), "0015g00000XyZabAAB");
        assert_eq!(id.to_string(), "0015g00000XyZabAAB");
        assert_eq!(ExternalId::parse("a b/c:d").unwrap().as_str(), "a b/c:d");
        assert_eq!(
            ExternalId::parse("Société-42").unwrap().as_str(),
            "Société-42"
        );
        assert!(ExternalId::parse(&"é".repeat(255)).is_ok());
        assert_eq!(ExternalId::parse("\t\n"), Err(ExternalIdError::Empty));
        assert_eq!(
            ExternalId::parse(&"x".repeat(256)).unwrap_err().to_string(),
            format!(
                "\"{}…\" is too long for an external id: 256 characters, at most 255",
                "x".repeat(40)
            )
        );
        assert_eq!(
            ExternalId::parse("a\tb").unwrap_err().to_string(),
            "\"a\\tb\" contains a control character, which an external id cannot"
        );
        assert!(ExternalId::parse("a\u{0}b").is_err());
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"0015g00000XyZabAAB\""
        );
        assert!(serde_json::from_str::<ExternalId>("\"\"").is_err());
    }

    #[test]
    fn statuses_and_relationships_have_stable_ids() {
        for s in OpportunityStatus::ALL {
            assert_eq!(s.as_str().parse::<OpportunityStatus>().unwrap(), *s);
        }
        assert_eq!(OpportunityStatus::Won.as_str(), "won");
        assert_eq!(OpportunityStatus::Lost.label(), "Lost");
        assert_eq!(
            serde_json::to_string(&OpportunityStatus::Open).unwrap(),
            "\"open\""
        );
        assert!("Won".parse::<OpportunityStatus>().is_err());
        for r in Relationship::ALL {
            assert_eq!(r.as_str().parse::<Relationship>().unwrap(), *r);
        }
        assert_eq!(Relationship::Customer.label(), "Customer");
        assert_eq!(
            serde_json::to_string(&Relationship::Partner).unwrap(),
            "\"partner\""
        );
        assert_eq!(DateOrder::Dmy.as_str(), "dmy");
        assert_eq!("mdy".parse::<DateOrder>().unwrap(), DateOrder::Mdy);
    }

    #[test]
    fn stages_classify_as_won_lost_or_open() {
        use OpportunityStatus::{Lost, Open, Won};
        let cases = [
            // Salesforce standard stages.
            ("Prospecting", Open),
            ("Qualification", Open),
            ("Needs Analysis", Open),
            ("Value Proposition", Open),
            ("Id. Decision Makers", Open),
            ("Perception Analysis", Open),
            ("Proposal/Price Quote", Open),
            ("Negotiation/Review", Open),
            ("Closed Won", Won),
            ("Closed Lost", Lost),
            // HubSpot internal values and labels.
            ("appointmentscheduled", Open),
            ("qualifiedtobuy", Open),
            ("presentationscheduled", Open),
            ("decisionmakerboughtin", Open),
            ("contractsent", Open),
            ("closedwon", Won),
            ("closedlost", Lost),
            ("Closed won", Won),
            ("Closed lost", Lost),
            ("CLOSED_WON", Won),
            // Variants.
            ("Won", Won),
            ("Lost", Lost),
            ("Closed - Won", Won),
            ("Closed/Lost", Lost),
            ("  closed   won ", Won),
            ("Deal Won", Won),
            ("Deal lost", Lost),
            ("Closed and won", Won),
            ("Gewonnen", Won),
            ("Verloren", Lost),
            ("Abgeschlossen gewonnen", Won),
            ("Gagné", Won),
            ("Fermée - Perdue", Lost),
            ("Perdu", Lost),
            ("Ganada", Won),
            ("Cerrada ganada", Won),
            ("Perdida", Lost),
            ("Closed Lost - No Decision", Lost),
            ("Closed Lost (Competitor)", Lost),
            ("Closed - Not Won", Lost),
            ("Won - Pending Signature", Won),
        ];
        for (stage, expected) in cases {
            assert_eq!(status_of_stage(stage), expected, "{stage}");
        }
    }

    #[test]
    fn stages_that_do_not_say_how_the_deal_ended_are_open() {
        for stage in [
            "",
            "Closed",
            "closed - pending",
            "Closing",
            "Re-engage lost contacts",
            "Won't proceed",
            "Win Strategy Review",
            "Not Lost",
            "Contract sent",
            "12345678",
            "Lostwithiel office visit",
            "Wonderful",
        ] {
            assert_eq!(status_of_stage(stage), OpportunityStatus::Open, "{stage}");
        }
    }

    #[test]
    fn account_types_and_lifecycle_stages_classify() {
        use Relationship::{Customer, Other, Partner, Prospect};
        let cases = [
            ("Customer - Direct", Customer),
            ("Customer - Channel", Customer),
            ("Prospect", Prospect),
            ("Channel Partner / Reseller", Partner),
            ("Installation Partner", Partner),
            ("Technology Partner", Partner),
            ("Partner", Partner),
            ("Other", Other),
            ("Competitor", Other),
            ("Former Customer", Prospect),
            ("Ex-Customer", Prospect),
            ("Churned customer", Prospect),
            ("Former partner", Other),
            ("subscriber", Prospect),
            ("lead", Prospect),
            ("marketingqualifiedlead", Prospect),
            ("salesqualifiedlead", Prospect),
            ("opportunity", Prospect),
            ("customer", Customer),
            ("evangelist", Customer),
            ("other", Other),
            ("Marketing Qualified Lead", Prospect),
            ("Sales Qualified Lead", Prospect),
            ("Evangelist", Customer),
            ("", Prospect),
            ("   ", Prospect),
            ("Kunde", Customer),
            ("Client", Customer),
            ("Reseller", Partner),
            ("Vendor", Other),
            ("Press", Other),
            ("Analyst", Other),
        ];
        for (account_type, expected) in cases {
            assert_eq!(
                relationship_of_type(account_type),
                expected,
                "{account_type}"
            );
        }
    }

    fn ymd(text: &str) -> Result<Date, DateError> {
        parse_date(text, DateOrder::Ymd)
    }
    fn mdy(text: &str) -> Result<Date, DateError> {
        parse_date(text, DateOrder::Mdy)
    }
    fn dmy(text: &str) -> Result<Date, DateError> {
        parse_date(text, DateOrder::Dmy)
    }

    #[test]
    fn iso_dates_and_date_times_read_in_every_order() {
        let d = date!(2026 - 11 - 23);
        for text in [
            "2026-11-23",
            " 2026-11-23 ",
            "2026-11-23T10:00:00Z",
            "2026-11-23t10:00:00z",
            "2026-11-23 10:00",
            "2026-11-23T10:00:00.000+0000",
            "2026-11-23T10:00:00+01:00",
            "2026-11-23T10:00:00-05",
            "2026-11-23 00:00:00 UTC",
            "2026-11-23 10:00 GMT+1",
            "2026-11-23 10:00:00 CET",
            "2026/11/23",
            "2026.11.23",
            "2026. 11. 23.",
            "2026-11-23 10:15 PM",
            "20261123",
        ] {
            for order in DateOrder::ALL {
                assert_eq!(parse_date(text, *order), Ok(d), "{text} {order}");
            }
        }
        assert_eq!(ymd("2026-1-5"), Ok(date!(2026 - 01 - 05)));
    }

    #[test]
    fn numeric_dates_read_in_their_order() {
        let d = date!(2026 - 11 - 23);
        for text in [
            "11/23/2026",
            "11/23/26",
            "11-23-2026",
            "11/23/2026 10:15 AM",
            "11/23/2026, 10:15 AM",
        ] {
            assert_eq!(mdy(text), Ok(d), "{text}");
        }
        for text in [
            "23/11/2026",
            "23.11.2026",
            "23-11-2026",
            "23.11.26",
            "23. 11. 2026",
            "23.11.2026 10:15",
            "23.11.2026, 10:15:30",
            "23/11/2026 22:15:00",
        ] {
            assert_eq!(dmy(text), Ok(d), "{text}");
        }
        assert_eq!(ymd("26/11/23"), Ok(d));
        assert_eq!(ymd("26-11-23"), Ok(d));
        assert_eq!(mdy("1/5/2026"), Ok(date!(2026 - 01 - 05)));
        assert_eq!(dmy("1/5/2026"), Ok(date!(2026 - 05 - 01)));
        assert_eq!(dmy("5.1.26"), Ok(date!(2026 - 01 - 05)));
        assert_eq!(mdy("2/29/2024"), Ok(date!(2024 - 02 - 29)));
    }

    #[test]
    fn two_digit_years_pivot_at_seventy() {
        assert_eq!(mdy("1/1/00"), Ok(date!(2000 - 01 - 01)));
        assert_eq!(mdy("1/1/69"), Ok(date!(2069 - 01 - 01)));
        assert_eq!(mdy("1/1/70"), Ok(date!(1970 - 01 - 01)));
        assert_eq!(mdy("12/31/99"), Ok(date!(1999 - 12 - 31)));
        assert_eq!(dmy("23-Nov-99"), Ok(date!(1999 - 11 - 23)));
    }

    #[test]
    fn month_names_read_in_every_order() {
        let d = date!(2026 - 11 - 23);
        for text in [
            "23 Nov 2026",
            "23-Nov-2026",
            "23-Nov-26",
            "23 November 2026",
            "Nov 23, 2026",
            "Nov. 23, 2026",
            "November 23rd, 2026",
            "23. November 2026",
            "23 nov. 2026",
            "23 novembre 2026",
            "23 de noviembre de 2026".replace(" de ", " ").as_str(),
            "23Nov2026",
            "Nov 23, 2026 10:15 AM",
        ] {
            for order in DateOrder::ALL {
                assert_eq!(parse_date(text, *order), Ok(d), "{text} {order}");
            }
        }
        let months = [
            ("Jan", 1),
            ("févr.", 2),
            ("Mrz", 3),
            ("März", 3),
            ("mrt", 3),
            ("avr.", 4),
            ("Mai", 5),
            ("mei", 5),
            ("giugno", 6),
            ("Juli", 7),
            ("juil.", 7),
            ("août", 8),
            ("Sept", 9),
            ("set", 9),
            ("Okt", 10),
            ("out", 10),
            ("dic", 12),
            ("Dez", 12),
            ("déc.", 12),
        ];
        for (name, month) in months {
            let text = format!("1 {name} 2026");
            let expected = Date::from_calendar_date(2026, Month::try_from(month).unwrap(), 1);
            assert_eq!(dmy(&text), Ok(expected.unwrap()), "{text}");
        }
        for ambiguous in ["1 Jui 2026", "1 Ma 2026", "1 Foo 2026", "Mon 1 2026"] {
            assert_eq!(
                dmy(ambiguous),
                Err(DateError::NotADate(ambiguous.into())),
                "{ambiguous}"
            );
        }
    }

    #[test]
    fn impossible_dates_are_refused_with_the_reason() {
        assert_eq!(
            dmy("31/02/2026").unwrap_err().to_string(),
            "\"31/02/2026\" is not a date"
        );
        assert_eq!(
            mdy("23/11/2026").unwrap_err().to_string(),
            "\"23/11/2026\" is not a date in month/day/year order"
        );
        assert_eq!(
            dmy("11/23/2026"),
            Err(DateError::WrongOrder {
                text: "11/23/2026".into(),
                order: DateOrder::Dmy
            })
        );
        assert_eq!(
            ymd("23.11.2026").unwrap_err().to_string(),
            "\"23.11.2026\" is not a date in year-month-day order"
        );
        assert_eq!(ymd(" "), Err(DateError::Empty));
        assert_eq!(ymd("").unwrap_err().to_string(), "a date is required");
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "0000-00-00",
            "2025-02-29",
            "31 Feb 2026",
            "32/01/2026",
            "1/2/3",
            "1/2/202",
            "123/1/2026",
            "11/23-2026",
            "23.11/2026",
            "23 11 2026",
            "2026-11",
            "11/2026",
            "banana",
            "23/11/2026 banana",
            "23/11/2026 25:00",
            "23/11/2026 13:00 PM",
            "23/11/2026 10",
            "2026-11-23T",
            "2026-11-23 10:61",
            "2026-11-23 10:00 +",
            "2026-11-2310:00",
            "46349",
        ] {
            let e = dmy(bad).expect_err(bad);
            assert!(matches!(e, DateError::NotADate(_)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn the_date_order_of_a_column() {
        let infer = |values: &[&str]| infer_date_order(values.iter().copied());
        assert_eq!(infer(&[]), Ok(DateOrder::Ymd));
        assert_eq!(infer(&["", "  "]), Ok(DateOrder::Ymd));
        assert_eq!(infer(&["2026-11-23", "2026-01-02"]), Ok(DateOrder::Ymd));
        assert_eq!(infer(&["11/23/2026", "01/02/2026"]), Ok(DateOrder::Mdy));
        assert_eq!(infer(&["23/11/2026", "01/02/2026"]), Ok(DateOrder::Dmy));
        assert_eq!(infer(&["01/02/2026", "23/11/2026"]), Ok(DateOrder::Dmy));
        // Every value ambiguous: the separator decides.
        assert_eq!(infer(&["01/02/2026", "03/04/2026"]), Ok(DateOrder::Mdy));
        assert_eq!(infer(&["01.02.2026", "03.04.2026"]), Ok(DateOrder::Dmy));
        assert_eq!(infer(&["01-02-2026"]), Ok(DateOrder::Dmy));
        assert_eq!(infer(&["2026-11-23", "01/02/2026"]), Ok(DateOrder::Mdy));
        assert_eq!(infer(&["23 Nov 2026", "2026-01-01"]), Ok(DateOrder::Ymd));
        assert_eq!(
            infer(&["11/23/2026 10:15 AM", "", "2026-01-01"]),
            Ok(DateOrder::Mdy)
        );
        // Two-digit years can leave year-month-day as the only reading.
        assert_eq!(infer(&["26/11/23", "99/12/31"]), Ok(DateOrder::Ymd));
        assert_eq!(infer(&["13.11.26", "01.02.03"]), Ok(DateOrder::Dmy));
    }

    #[test]
    fn a_column_mixing_date_orders_is_refused_naming_both_values() {
        let infer = |values: &[&str]| infer_date_order(values.iter().copied());
        let e = infer(&["11/23/2026", "01/02/2026", "23/11/2026"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"23/11/2026\" can only be day/month/year, but earlier values such as \"11/23/2026\" \
             can only be month/day/year; a column must use one date order"
        );
        assert_eq!(
            infer(&["01/02/26", "13/11/26", "11/13/26"]).unwrap_err(),
            DateOrderError::Conflict {
                later: "11/13/26".into(),
                later_orders: vec![DateOrder::Mdy],
                earlier: "13/11/26".into(),
                earlier_orders: vec![DateOrder::Ymd, DateOrder::Dmy],
            }
        );
        // A value that is no date at all is named first, wherever it is.
        assert_eq!(
            infer(&["11/23/2026", "23/11/2026", "31/02/2026", "x"])
                .unwrap_err()
                .to_string(),
            "\"31/02/2026\" is not a date"
        );
        assert_eq!(
            infer(&["soon"]),
            Err(DateOrderError::NotADate("soon".into()))
        );
    }

    #[test]
    fn every_date_of_two_centuries_reads_back_in_each_order() {
        let mut d = date!(1970 - 01 - 01);
        while d <= date!(2069 - 12 - 31) {
            let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
            let yy = y % 100;
            let cases = [
                (format!("{y}-{m:02}-{day:02}"), None),
                (format!("{m}/{day}/{y}"), Some(DateOrder::Mdy)),
                (format!("{m:02}/{day:02}/{yy:02}"), Some(DateOrder::Mdy)),
                (format!("{day}.{m}.{y}"), Some(DateOrder::Dmy)),
                (format!("{day:02}-{m:02}-{yy:02}"), Some(DateOrder::Dmy)),
                (format!("{yy:02}/{m:02}/{day:02}"), Some(DateOrder::Ymd)),
            ];
            for (text, order) in cases {
                for o in order.map_or(DateOrder::ALL.to_vec(), |o| vec![o]) {
                    assert_eq!(parse_date(&text, o), Ok(d), "{text} {o}");
                }
            }
            d = d.next_day().unwrap();
        }
    }

    #[test]
    fn booleans_in_many_spellings() {
        for t in [
            "true", "TRUE", "Yes", "y", "1", "x", "X", "t", "on", "✓", "ja", "WAHR", "oui", "Sí",
            "vrai", " yes ",
        ] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in [
            "false", "FALSE", "No", "n", "0", "f", "off", "nein", "FALSCH", "non", "faux", "não",
        ] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for none in ["", "  ", "maybe", "2", "-", "yes please"] {
            assert_eq!(parse_bool(none), None, "{none}");
        }
    }

    #[test]
    fn counts_with_group_separators_and_excel_notation() {
        for (text, n) in [
            ("12000", 12_000),
            ("1,200", 1_200),
            ("1.200", 1_200),
            ("1 200", 1_200),
            ("1\u{a0}200", 1_200),
            ("1'200", 1_200),
            ("1,234,567", 1_234_567),
            ("12,34,567", 1_234_567),
            ("1.2E+04", 12_000),
            ("1,2E+04", 12_000),
            ("1,200.00", 1_200),
            ("1.200,00", 1_200),
            ("12000.0", 12_000),
            ("+5", 5),
            ("0", 0),
            ("-0", 0),
            (" 007 ", 7),
            ("9223372036854775807", i64::MAX),
        ] {
            assert_eq!(parse_count(text), Ok(n), "{text}");
        }
    }

    #[test]
    fn counts_that_are_not_counts() {
        assert_eq!(parse_count(""), Err(CountError::Empty));
        assert_eq!(
            parse_count("abc").unwrap_err().to_string(),
            "\"abc\" is not a number"
        );
        assert_eq!(
            parse_count("-5").unwrap_err().to_string(),
            "\"-5\" is negative; a count cannot be"
        );
        assert_eq!(
            parse_count("1.5").unwrap_err().to_string(),
            "\"1.5\" is not a whole number"
        );
        assert_eq!(
            parse_count("1.2E-04"),
            Err(CountError::NotWhole("1.2E-04".into()))
        );
        assert_eq!(
            parse_count("1.23E+1"),
            Err(CountError::NotWhole("1.23E+1".into()))
        );
        assert_eq!(
            parse_count("9223372036854775808"),
            Err(CountError::TooLarge("9223372036854775808".into()))
        );
        assert_eq!(
            parse_count("1E+30"),
            Err(CountError::TooLarge("1E+30".into()))
        );
        assert_eq!(
            parse_count("1,23"),
            Err(CountError::NotWhole("1,23".into()))
        );
        for bad in ["12 employees", "~100", "12,34.5", "5-", "-", "1-2-3", "$5"] {
            let e = parse_count(bad).expect_err(bad);
            assert!(matches!(e, CountError::NotANumber(_)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn employee_bands_are_ranges_not_counts() {
        assert_eq!(
            parse_count("51-200"),
            Err(CountError::Range {
                text: "51-200".into(),
                low: 51,
                high: Some(200)
            })
        );
        assert_eq!(
            parse_count("51-200").unwrap_err().to_string(),
            "\"51-200\" is a range, not a number; give one number, such as its lower bound 51"
        );
        assert_eq!(
            parse_count("1,001 – 5,000"),
            Err(CountError::Range {
                text: "1,001 – 5,000".into(),
                low: 1_001,
                high: Some(5_000)
            })
        );
        assert_eq!(
            parse_count("10,001+"),
            Err(CountError::Range {
                text: "10,001+".into(),
                low: 10_001,
                high: None
            })
        );
        assert_eq!(
            parse_count("1-10"),
            Err(CountError::Range {
                text: "1-10".into(),
                low: 1,
                high: Some(10)
            })
        );
    }

    #[test]
    fn percentages_and_fractions() {
        for (text, p) in [
            ("75", 75),
            ("75%", 75),
            ("75 %", 75),
            ("75\u{a0}%", 75),
            ("%75", 75),
            ("0.75", 75),
            ("0,75", 75),
            (".75", 75),
            ("0.6000000000000001", 60),
            ("0.30000000000000004", 30),
            ("7.5E-01", 75),
            ("1E+2", 100),
            ("1", 1),
            ("0", 0),
            ("0.0", 0),
            ("1.0", 100),
            ("1,00", 100),
            ("100", 100),
            ("100%", 100),
            ("100.0", 100),
            ("12.5", 13),
            ("12.4%", 12),
            ("0.5%", 1),
            ("0.125", 13),
            ("-0", 0),
            ("+40%", 40),
            // A separator makes a fraction, so this is 1.000, as a German writes one.
            ("1,000", 100),
        ] {
            assert_eq!(parse_percent(text), Ok(p), "{text}");
        }
    }

    #[test]
    fn percentages_out_of_range_or_not_numbers() {
        assert_eq!(parse_percent(" "), Err(PercentError::Empty));
        assert_eq!(
            parse_percent("150%").unwrap_err().to_string(),
            "\"150%\" is not between 0% and 100%"
        );
        assert_eq!(
            parse_percent("abc").unwrap_err().to_string(),
            "\"abc\" is not a percentage"
        );
        for out in [
            "101",
            "100.4",
            "100.4%",
            "-5",
            "-0.5",
            "1E+40",
            "99999999999999999999999999999999999999999999",
        ] {
            let e = parse_percent(out).expect_err(out);
            assert!(matches!(e, PercentError::OutOfRange(_)), "{out}: {e:?}");
        }
        for bad in ["%", "75%%", "75 percent", "seventy", "1/2", "7 5", "50-60"] {
            let e = parse_percent(bad).expect_err(bad);
            assert!(matches!(e, PercentError::NotAPercent(_)), "{bad}: {e:?}");
        }
    }
}
