//! Money: ISO 4217 currencies, exact amounts in minor units, and reading amounts out of the
//! spreadsheets and CRM exports people bring, written in whatever locale their author used.
//!
//! Amounts are integers of the currency's minor unit (cents, pence, fils); no floating point
//! is involved anywhere, so `0.1 + 0.2` stays `0.30`.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An ISO 4217 currency that amounts can be recorded in: one with a minor-unit exponent.
///
/// Codes without one (precious metals such as XAU, units of account such as XDR, the testing
/// and "no currency" codes XTS and XXX) are rejected by [`Currency::parse`], so every value has
/// a definite number of decimal places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

/// Why a text is not a currency amounts can be recorded in.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CurrencyError {
    /// Nothing was given.
    #[error("a currency is required; use a three-letter ISO 4217 code such as EUR or USD")]
    Empty,
    /// Not an ISO 4217 code.
    #[error("{0:?} is not a currency code; use a three-letter ISO 4217 code such as EUR or USD")]
    Unknown(String),
    /// A symbol where a code was expected.
    #[error("{text:?} is a currency symbol; use its ISO 4217 code, {currency}")]
    Symbol {
        /// The text as given.
        text: String,
        /// The currency the symbol stands for.
        currency: Currency,
    },
    /// An ISO 4217 code without minor units (metals, units of account, testing codes).
    #[error("{code} ({name}) has no minor unit, so amounts cannot be recorded in it")]
    NoMinorUnit {
        /// The code.
        code: &'static str,
        /// The currency's English name.
        name: &'static str,
    },
}

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);
    /// The United States dollar.
    pub const USD: Currency = Currency(iso_currency::Currency::USD);
    /// The pound sterling.
    pub const GBP: Currency = Currency(iso_currency::Currency::GBP);
    /// The Japanese yen, which has no decimal places.
    pub const JPY: Currency = Currency(iso_currency::Currency::JPY);

    /// Parses a three-letter ISO 4217 code, ignoring surrounding spaces and case (`" eur"` is
    /// EUR). A symbol such as `€` is refused with a message naming its code.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let text = code.trim();
        if text.is_empty() {
            return Err(CurrencyError::Empty);
        }
        let upper = text.to_ascii_uppercase();
        let iso = if upper.len() == 3 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
            iso_currency::Currency::from_code(&upper)
        } else {
            None
        };
        let Some(iso) = iso else {
            return Err(match symbol_currency(text) {
                Some(currency) => CurrencyError::Symbol {
                    text: text.to_owned(),
                    currency,
                },
                None => CurrencyError::Unknown(text.to_owned()),
            });
        };
        if iso.exponent().is_none() {
            return Err(CurrencyError::NoMinorUnit {
                code: iso.code(),
                name: static_name(iso),
            });
        }
        Ok(Self(iso))
    }

    /// Every currency amounts can be recorded in, ordered by code.
    pub fn all() -> &'static [Currency] {
        static ALL: OnceLock<Vec<Currency>> = OnceLock::new();
        ALL.get_or_init(|| {
            let mut all: Vec<Currency> = (0..=999)
                .filter_map(iso_currency::Currency::from_numeric)
                .filter(|c| c.exponent().is_some())
                .map(Currency)
                .collect();
            all.sort_by_key(|c| c.code());
            all.dedup();
            all
        })
    }

    /// The three-letter ISO 4217 code, `EUR`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Decimal places of the minor unit: 2 for EUR, 0 for JPY, 3 for BHD, 4 for CLF.
    pub fn exponent(self) -> u32 {
        // `parse` only admits currencies that have an exponent.
        self.0.exponent().map_or(0, u32::from)
    }

    /// The English name, `Euro`.
    pub fn name(self) -> &'static str {
        static_name(self.0)
    }

    /// The usual symbol, `€`; the code where there is no distinct symbol, and `CHF` for the
    /// Swiss franc (whose `₣` in the ISO tables nobody writes).
    pub fn symbol(self) -> String {
        let symbol = self.0.symbol().symbol;
        if symbol == "¤" || self.0 == iso_currency::Currency::CHF {
            self.code().to_owned()
        } else {
            symbol
        }
    }

    /// The symbol as ISO tables give it, `None` when they give only the generic `¤`.
    fn table_symbol(self) -> Option<String> {
        Some(self.0.symbol().symbol).filter(|s| s != "¤")
    }
}

/// The English name of an ISO currency with a `'static` lifetime. `iso_currency` ties the name
/// to the borrow of the value, although every name is a literal; the borrow of a value inside a
/// `static` table lives forever.
fn static_name(iso: iso_currency::Currency) -> &'static str {
    static ISO: OnceLock<Vec<iso_currency::Currency>> = OnceLock::new();
    ISO.get_or_init(|| {
        (0..=999)
            .filter_map(iso_currency::Currency::from_numeric)
            .collect()
    })
    .iter()
    .find(|c| **c == iso)
    .map_or("", |c| c.name())
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 currency code"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {}

/// An exact amount of money: an integer count of the currency's minor unit.
///
/// Serialised as `{"amount_minor": 123450, "currency": "EUR"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// The amount in minor units: cents for EUR, yen for JPY, fils for BHD.
    pub amount_minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount of `amount_minor` minor units of `currency`.
    pub const fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    /// Formats for people, code first, thousands grouped with commas and as many decimals as
    /// the currency has: `EUR 1,234.50`, `JPY 1,200`, `BHD 1.250`, `EUR -5.00`.
    /// [`parse_amount`] reads every output back.
    pub fn format(&self) -> String {
        format!("{} {}", self.currency.code(), self.digits(true))
    }

    /// The amount as a plain decimal in major units, for files that spreadsheets read:
    /// `1234.50`, `1200`, `-5.00` (no code, no grouping).
    pub fn decimal(&self) -> String {
        self.digits(false)
    }

    fn digits(&self, grouped: bool) -> String {
        let minor = self.amount_minor.unsigned_abs();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let exponent = self.currency.exponent();
        let unit = 10u64.pow(exponent);
        let major = if grouped {
            crate::text::group_thousands(minor / unit)
        } else {
            (minor / unit).to_string()
        };
        if exponent == 0 {
            format!("{sign}{major}")
        } else {
            let width = exponent as usize;
            format!("{sign}{major}.{:0width$}", minor % unit)
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

/// Why a text is not an amount of the expected currency.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Nothing but spaces.
    #[error("an amount is required")]
    Empty,
    /// Not a number, or digits grouped in impossible places.
    #[error("{0:?} is not an amount")]
    NotAnAmount(String),
    /// More decimals than the currency has, and not just trailing zeros.
    #[error("{currency} has {}, {text:?} has {found}", decimal_places(*.places))]
    TooManyDecimals {
        /// The text as given.
        text: String,
        /// The currency it was read in.
        currency: Currency,
        /// The currency's decimal places.
        places: u32,
        /// The decimal places the text has.
        found: u32,
    },
    /// Beyond the range of a 64-bit count of minor units.
    #[error(
        "{text:?} is too large; the largest amount in {currency} is {}",
        Money::new(i64::MAX, *.currency).format()
    )]
    TooLarge {
        /// The text as given.
        text: String,
        /// The currency it was read in.
        currency: Currency,
    },
    /// The cell names a different currency by code or unambiguous symbol.
    #[error("{text:?} is an amount in {shown}, not {expected}")]
    OtherCurrency {
        /// The text as given.
        text: String,
        /// The currency the text shows.
        shown: Currency,
        /// The currency it was read in.
        expected: Currency,
    },
    /// The cell shows a symbol that the currency does not use (`$` for EUR).
    #[error("{text:?} shows {symbol}, which is not a symbol of {expected}")]
    OtherSymbol {
        /// The text as given.
        text: String,
        /// The symbol as written.
        symbol: String,
        /// The currency it was read in.
        expected: Currency,
    },
    /// Words next to the number that are neither a currency code nor a symbol.
    #[error("{text:?} is not an amount: {marker:?} is not a currency code or symbol")]
    UnknownMarker {
        /// The text as given.
        text: String,
        /// The unrecognised word.
        marker: String,
    },
}

fn decimal_places(places: u32) -> String {
    match places {
        0 => "no decimal places".to_owned(),
        1 => "1 decimal place".to_owned(),
        n => format!("{n} decimal places"),
    }
}

/// Reads an amount of `currency` from text, in minor units, exactly.
///
/// What it accepts, as spreadsheets and CRM exports in many locales write amounts:
///
/// - plain and grouped numbers: `1234`, `1234.5`, `1,234.56`, `1.234,56`, `1'234.56` (Swiss),
///   `1 234,56` with a space, no-break space (U+00A0), narrow no-break space (U+202F) or any
///   other Unicode space as the group separator, and Indian grouping `12,34,567.00`;
/// - negatives: `-1,234.00`, `−1 234,56` (U+2212), `(1,234.00)` (accounting), `1,234.00-`;
/// - a currency code or symbol before or after the number, with or without a space, which must
///   fit `currency`: `$1,200`, `€ 1.234,56`, `1.234,56 €`, `USD 1,200.00`, `1200 EUR`,
///   `-$5`, `$(5.00)`, `$1,200 USD`; an ambiguous symbol such as `$`, `kr` or `¥` is accepted
///   for any currency that uses it;
/// - whole amounts written `12,-` or `1'200.–`;
/// - scientific notation as Excel writes it, `1.5E+06`, `1,5E+06`, `1.23456E+5`, when the value
///   is exact in the currency's minor units.
///
/// **Which separator is the decimal one.** Apostrophes and spaces only ever group digits. For
/// `.` and `,`:
///
/// 1. if both occur, the one occurring last is the decimal separator (`1.234,56`, `1,234.56`);
/// 2. if only one kind occurs, more than once, it groups digits (`1.234.567`);
/// 3. if only one kind occurs, once, it groups digits when it is followed by exactly three
///    digits, the digits before it could start a group (one to three, not starting with 0), no
///    space or apostrophe groups digits as well, and the currency has fewer than three decimal
///    places: `1,234` and `1.234` are 1234 in EUR or JPY, but 1.234 in BHD; `0.125` is not
///    grouped;
/// 4. otherwise it is the decimal separator (`1234.5`, `1,5`, `1 234,567`).
///
/// Groups must be three digits, after a first group of one to three (`1,234,567`), or follow
/// Indian grouping, pairs before a final three (`12,34,567`); anything else (`12,34.5`) is
/// refused rather than guessed at. More decimals than the currency has are refused unless the
/// extra ones are zeros (`10.5000` EUR is 1050 cents). Only ASCII digits are read.
pub fn parse_amount(text: &str, currency: Currency) -> Result<i64, AmountError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    let parts = Affixed::split(s).ok_or_else(|| AmountError::NotAnAmount(s.to_owned()))?;
    for marker in &parts.markers {
        check_marker(s, marker, currency)?;
    }
    let places = currency.exponent();
    let too_large = || AmountError::TooLarge {
        text: s.to_owned(),
        currency,
    };
    let number = Decimal::read(parts.core, places < 3, parts.whole_with).map_err(|e| match e {
        NumberError::TooLarge => too_large(),
        NumberError::Malformed | NumberError::Inexact => AmountError::NotAnAmount(s.to_owned()),
    })?;
    let magnitude = number.scaled(places).map_err(|e| match e {
        NumberError::Inexact => AmountError::TooManyDecimals {
            text: s.to_owned(),
            currency,
            places,
            found: number.decimals(),
        },
        NumberError::Malformed | NumberError::TooLarge => too_large(),
    })?;
    let magnitude = i128::try_from(magnitude).map_err(|_| too_large())?;
    let signed = if parts.negative {
        -magnitude
    } else {
        magnitude
    };
    i64::try_from(signed).map_err(|_| too_large())
}

/// The currency a cell shows, by ISO code (`USD 1,200`, `1200 eur`) or by a symbol that stands
/// for one currency only. `None` when it shows none, or only an ambiguous symbol, or two that
/// disagree.
///
/// Symbols and their decisions:
///
/// - `€` is EUR, `£` is GBP (the other pounds written `£` are pegged one-to-one to sterling, and
///   Egypt writes `E£` or `LE`), `₹` INR, `₩` KRW, `₪` ILS, `₽` RUB, `₺` TRY, `₴` UAH, `₫` VND,
///   `฿` THB, `₱` PHP, `zł` PLN, `Kč` CZK, `Ft` HUF, `Fr.`/`SFr.` CHF, `R$` BRL, `Rp` IDR,
///   `RM` MYR, `₦` NGN;
/// - prefixed dollars name their country: `US$` USD, `A$`/`AU$` AUD, `CA$` CAD, `NZ$` NZD,
///   `HK$` HKD, `S$` SGD, `MX$` MXN, `NT$` TWD;
/// - `$` alone is ambiguous (dozens of dollars and pesos), and so are `kr` (Danish, Norwegian,
///   Swedish, Icelandic krone/krona), `Rs`/`₨` (Indian, Pakistani, Sri Lankan, Nepalese rupees)
///   and `C$` (Canadian dollar, Nicaraguan córdoba): `None`;
/// - `¥` and `￥` are ambiguous too: Japan writes yen and China writes yuan with the same sign,
///   and reading one as the other would be off by a factor of about twenty, so they are `None`;
///   `JP¥` and `円` are JPY, `CN¥`, `元` and `RMB` are CNY.
pub fn detect_currency(text: &str) -> Option<Currency> {
    let s = text.trim();
    let markers = if s.chars().any(|c| c.is_ascii_digit()) {
        Affixed::split(s)?.markers
    } else {
        s.split_whitespace().collect()
    };
    let mut found: Option<Currency> = None;
    for marker in &markers {
        if let Some(c) = marker_currency(marker) {
            if found.is_some_and(|f| f != c) {
                return None;
            }
            found = Some(c);
        }
    }
    let found = found?;
    markers
        .iter()
        .all(|m| marker_matches(m, found))
        .then_some(found)
}

/// Symbols and other spellings that stand for one currency. Keys are normalised with
/// [`normalise_marker`].
const UNAMBIGUOUS: &[(&str, iso_currency::Currency)] = {
    use iso_currency::Currency as C;
    &[
        ("€", C::EUR),
        ("£", C::GBP),
        ("us$", C::USD),
        ("a$", C::AUD),
        ("au$", C::AUD),
        ("ca$", C::CAD),
        ("can$", C::CAD),
        ("nz$", C::NZD),
        ("hk$", C::HKD),
        ("s$", C::SGD),
        ("r$", C::BRL),
        ("mx$", C::MXN),
        ("nt$", C::TWD),
        ("jp¥", C::JPY),
        ("円", C::JPY),
        ("cn¥", C::CNY),
        ("元", C::CNY),
        ("rmb", C::CNY),
        ("₹", C::INR),
        ("₩", C::KRW),
        ("₪", C::ILS),
        ("₽", C::RUB),
        ("₺", C::TRY),
        ("₴", C::UAH),
        ("₫", C::VND),
        ("฿", C::THB),
        ("₱", C::PHP),
        ("zł", C::PLN),
        ("kč", C::CZK),
        ("ft", C::HUF),
        ("fr", C::CHF),
        ("sfr", C::CHF),
        ("rp", C::IDR),
        ("rm", C::MYR),
        ("₦", C::NGN),
    ]
};

/// Symbols shared by several currencies: accepted for each of them, detected as none. `$` is
/// handled apart: it is accepted for every currency whose symbol contains it.
const AMBIGUOUS: &[(&str, &[iso_currency::Currency])] = {
    use iso_currency::Currency as C;
    &[
        ("¥", &[C::JPY, C::CNY]),
        ("￥", &[C::JPY, C::CNY]),
        ("kr", &[C::DKK, C::NOK, C::SEK, C::ISK]),
        ("rs", &[C::INR, C::PKR, C::LKR, C::NPR, C::MUR, C::SCR]),
        ("₨", &[C::INR, C::PKR, C::LKR, C::NPR, C::MUR, C::SCR]),
        ("c$", &[C::CAD, C::NIO]),
    ]
};

/// Lower-cased, without one trailing full stop (`Fr.` and `fr`, `kr.` and `kr` are the same).
fn normalise_marker(marker: &str) -> String {
    let lower = marker.to_lowercase();
    match lower.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        _ => lower,
    }
}

/// A symbol that stands for exactly one currency (not a code).
fn symbol_currency(marker: &str) -> Option<Currency> {
    let m = normalise_marker(marker);
    UNAMBIGUOUS
        .iter()
        .find(|(s, _)| *s == m)
        .map(|(_, c)| Currency(*c))
}

/// The one currency a code or symbol stands for.
fn marker_currency(marker: &str) -> Option<Currency> {
    Currency::parse(&normalise_marker(marker))
        .ok()
        .or_else(|| symbol_currency(marker))
}

/// Whether `marker` (a code or symbol next to a number) can denote `currency`.
fn marker_matches(marker: &str, currency: Currency) -> bool {
    let m = normalise_marker(marker);
    m == normalise_marker(currency.code())
        || currency
            .table_symbol()
            .is_some_and(|s| normalise_marker(&s) == m)
        || UNAMBIGUOUS.iter().any(|(s, c)| *s == m && *c == currency.0)
        || AMBIGUOUS
            .iter()
            .any(|(s, cs)| *s == m && cs.contains(&currency.0))
        || (m == "$" && currency.table_symbol().is_some_and(|s| s.contains('$')))
}

/// Whether `marker` is the symbol of any currency at all. Single letters (`R` for the rand,
/// `E` for the lilangeni) are left out: next to a number they are more often noise, and are
/// reported as such.
fn is_known_symbol(marker: &str) -> bool {
    let m = normalise_marker(marker);
    let single_letter = m.chars().count() == 1 && m.chars().all(char::is_alphabetic);
    m == "$"
        || AMBIGUOUS.iter().any(|(s, _)| *s == m)
        || !single_letter
            && Currency::all()
                .iter()
                .any(|c| c.table_symbol().is_some_and(|s| normalise_marker(&s) == m))
}

fn check_marker(text: &str, marker: &str, currency: Currency) -> Result<(), AmountError> {
    if marker_matches(marker, currency) {
        Ok(())
    } else if let Some(shown) = marker_currency(marker) {
        Err(AmountError::OtherCurrency {
            text: text.to_owned(),
            shown,
            expected: currency,
        })
    } else if is_known_symbol(marker) {
        Err(AmountError::OtherSymbol {
            text: text.to_owned(),
            symbol: marker.to_owned(),
            expected: currency,
        })
    } else if !marker.chars().any(char::is_alphanumeric) {
        Err(AmountError::NotAnAmount(text.to_owned()))
    } else {
        Err(AmountError::UnknownMarker {
            text: text.to_owned(),
            marker: marker.to_owned(),
        })
    }
}

/// A number cell taken apart: its sign, the words around it and the digits themselves.
#[derive(Debug)]
struct Affixed<'a> {
    negative: bool,
    /// Codes and symbols before and after the number.
    markers: Vec<&'a str>,
    /// From the first digit (or a decimal separator just before it) to the last digit.
    core: &'a str,
    /// Set when the cell says the amount is whole and names the decimal separator (`12,-`).
    whole_with: Option<char>,
}

fn is_minus(c: char) -> bool {
    matches!(c, '-' | '\u{2212}' | '\u{2013}')
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2212}' | '\u{2013}' | '\u{2014}')
}

#[derive(Debug, Default)]
struct Signs {
    minus: u32,
    plus: u32,
    open: u32,
    close: u32,
}

impl<'a> Affixed<'a> {
    /// `None` when there is no digit or the signs and parentheses make no sense.
    fn split(s: &'a str) -> Option<Self> {
        let first = s.find(|c: char| c.is_ascii_digit())?;
        let last = s.rfind(|c: char| c.is_ascii_digit())?;
        let mut start = first;
        let mut before = s[..first].chars().rev();
        if let Some(sep @ ('.' | ',')) = before.next()
            && !before.next().is_some_and(char::is_alphabetic)
        {
            start = first - sep.len_utf8();
        }
        let end = last + 1;
        let mut suffix = &s[end..];
        let mut whole_with = None;
        let mut after = suffix.chars();
        if let (Some(sep @ ('.' | ',')), Some(dash)) = (after.next(), after.next())
            && is_dash(dash)
        {
            whole_with = Some(sep);
            suffix = suffix[sep.len_utf8()..].trim_start_matches(is_dash);
        }
        let mut signs = Signs::default();
        let mut markers = Vec::new();
        scan_affix(&s[..start], true, &mut signs, &mut markers)?;
        scan_affix(suffix, false, &mut signs, &mut markers)?;
        let sign_count = signs.minus + signs.plus;
        let parens = signs.open;
        if sign_count > 1 || parens > 1 || signs.close != parens || (parens == 1 && sign_count > 0)
        {
            return None;
        }
        Some(Self {
            negative: signs.minus == 1 || parens == 1,
            markers,
            core: &s[start..end],
            whole_with,
        })
    }
}

/// Splits the text before (`prefix`) or after the number into signs and markers.
fn scan_affix<'a>(
    affix: &'a str,
    prefix: bool,
    signs: &mut Signs,
    markers: &mut Vec<&'a str>,
) -> Option<()> {
    let mut marker_start: Option<usize> = None;
    for (i, c) in affix.char_indices() {
        let is_marker = !(c.is_whitespace() || is_minus(c) || matches!(c, '+' | '(' | ')'));
        if is_marker {
            marker_start.get_or_insert(i);
            continue;
        }
        if let Some(m) = marker_start.take() {
            markers.push(&affix[m..i]);
        }
        match c {
            '+' => signs.plus += 1,
            '(' if prefix => signs.open += 1,
            ')' if !prefix => signs.close += 1,
            '(' | ')' => return None,
            c if is_minus(c) => signs.minus += 1,
            _ => {}
        }
    }
    if let Some(m) = marker_start {
        markers.push(&affix[m..]);
    }
    Some(())
}

/// An exact non-negative decimal number read from text: `digits × 10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decimal {
    pub(crate) digits: u128,
    pub(crate) scale: i32,
}

/// Why [`Decimal`] could not read or scale a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Not a number, or digits grouped in impossible places.
    Malformed,
    /// Too many digits for exact arithmetic, or too large for the target.
    TooLarge,
    /// Not a whole number of the requested unit.
    Inexact,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// How digits are grouped: each kind of separator is one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupKind {
    Dot,
    Comma,
    Space,
    Apostrophe,
}

fn group_kind(c: char) -> Option<GroupKind> {
    match c {
        '.' => Some(GroupKind::Dot),
        ',' => Some(GroupKind::Comma),
        c if c.is_whitespace() => Some(GroupKind::Space),
        c if is_apostrophe(c) => Some(GroupKind::Apostrophe),
        _ => None,
    }
}

impl Decimal {
    /// Reads an unsigned number: digits with group separators and a decimal separator chosen
    /// by the rules documented on [`parse_amount`], or Excel's scientific notation.
    /// `group_if_three` allows rule 3 (a lone separator before three digits groups them).
    /// `whole_with` says the number is whole and names its decimal separator, which then must
    /// not occur (`1.200` of `1.200,-`).
    pub(crate) fn read(
        core: &str,
        group_if_three: bool,
        whole_with: Option<char>,
    ) -> Result<Self, NumberError> {
        if let Some((mantissa, exponent)) = core.split_once(['e', 'E']) {
            return Self::read_scientific(mantissa, exponent);
        }
        let (mut dots, mut commas, mut spaced) = (0usize, 0usize, false);
        for c in core.chars() {
            match c {
                '0'..='9' => {}
                '.' => dots += 1,
                ',' => commas += 1,
                c if c.is_whitespace() || is_apostrophe(c) => spaced = true,
                _ => return Err(NumberError::Malformed),
            }
        }
        let decimal = match whole_with {
            Some(d) if core.contains(d) => return Err(NumberError::Malformed),
            Some(d) => Some(d),
            None => choose_decimal(core, dots, commas, spaced, group_if_three),
        };
        let (int, frac) = match decimal.and_then(|d| core.split_once(d)) {
            Some((int, frac)) => (int, frac),
            None => (core, ""),
        };
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberError::Malformed);
        }
        let int = ungroup(int)?;
        if int.is_empty() && frac.is_empty() {
            return Err(NumberError::Malformed);
        }
        Self::from_digits(&int, frac)
    }

    /// `1.5E+06`, `1,5E+06`, `2e-3`: no grouping, at most one decimal separator.
    fn read_scientific(mantissa: &str, exponent: &str) -> Result<Self, NumberError> {
        let (int, frac) = match mantissa.split_once(['.', ',']) {
            Some((int, frac)) => (int, frac),
            None => (mantissa, ""),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(int) || !digits_only(frac) || int.len() + frac.len() == 0 {
            return Err(NumberError::Malformed);
        }
        let (negative, magnitude) = match exponent.as_bytes().first() {
            Some(b'+') => (false, &exponent[1..]),
            Some(b'-') => (true, &exponent[1..]),
            _ => (false, exponent),
        };
        if magnitude.is_empty() || magnitude.len() > 6 || !digits_only(magnitude) {
            return Err(NumberError::Malformed);
        }
        let magnitude: i32 = magnitude.parse().map_err(|_| NumberError::Malformed)?;
        let number = Self::from_digits(int, frac)?;
        let scale = if negative {
            number.scale + magnitude
        } else {
            number.scale - magnitude
        };
        Ok(Self { scale, ..number })
    }

    fn from_digits(int: &str, frac: &str) -> Result<Self, NumberError> {
        // Trailing zeros of the fraction change nothing and could only overflow.
        let frac = frac.trim_end_matches('0');
        let mut digits: u128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            digits = digits
                .checked_mul(10)
                .and_then(|d| d.checked_add(u128::from(b - b'0')))
                .ok_or(NumberError::TooLarge)?;
        }
        let scale = i32::try_from(frac.len()).map_err(|_| NumberError::TooLarge)?;
        Ok(Self { digits, scale })
    }

    /// The number in units of `10^-places`, when it is a whole number of them.
    pub(crate) fn scaled(self, places: u32) -> Result<u128, NumberError> {
        if self.digits == 0 {
            return Ok(0);
        }
        let shift = i64::from(places) - i64::from(self.scale);
        if shift >= 0 {
            u32::try_from(shift)
                .ok()
                .and_then(|s| 10u128.checked_pow(s))
                .and_then(|f| self.digits.checked_mul(f))
                .ok_or(NumberError::TooLarge)
        } else {
            match u32::try_from(-shift)
                .ok()
                .and_then(|s| 10u128.checked_pow(s))
            {
                Some(divisor) if self.digits.is_multiple_of(divisor) => Ok(self.digits / divisor),
                _ => Err(NumberError::Inexact),
            }
        }
    }

    /// The decimal places the number needs (`1.50` needs 1, `1.5E+06` none).
    pub(crate) fn decimals(self) -> u32 {
        let mut digits = self.digits;
        let mut scale = i64::from(self.scale);
        while digits != 0 && digits.is_multiple_of(10) && scale > 0 {
            digits /= 10;
            scale -= 1;
        }
        u32::try_from(scale.max(0)).unwrap_or(u32::MAX)
    }

    /// Whether the number is at most `n`.
    pub(crate) fn at_most(self, n: u128) -> bool {
        if self.digits == 0 {
            return true;
        }
        match u32::try_from(self.scale) {
            // `n × 10^scale` beyond `u128` exceeds any digits.
            Ok(s) => 10u128
                .checked_pow(s)
                .and_then(|p| p.checked_mul(n))
                .is_none_or(|limit| self.digits <= limit),
            Err(_) => self.scaled(0).is_ok_and(|whole| whole <= n),
        }
    }

    /// Rounded to the nearest whole number, halves up; `None` when beyond `u128`.
    pub(crate) fn round(self) -> Option<u128> {
        if self.scale <= 0 {
            return self.scaled(0).ok();
        }
        let Some(divisor) = u32::try_from(self.scale)
            .ok()
            .and_then(|s| 10u128.checked_pow(s))
        else {
            return Some(0);
        };
        let (whole, rest) = (self.digits / divisor, self.digits % divisor);
        Some(if rest >= divisor - rest {
            whole + 1
        } else {
            whole
        })
    }
}

/// The decimal separator under rules 1–4 of [`parse_amount`], `None` when there is none.
fn choose_decimal(
    core: &str,
    dots: usize,
    commas: usize,
    spaced: bool,
    group_if_three: bool,
) -> Option<char> {
    if dots > 0 && commas > 0 {
        return core
            .rfind(['.', ','])
            .and_then(|i| core[i..].chars().next());
    }
    let sep = if dots > 0 {
        '.'
    } else if commas > 0 {
        ','
    } else {
        return None;
    };
    if dots + commas > 1 {
        return None;
    }
    let (before, after) = core.split_once(sep)?;
    let groups = group_if_three
        && !spaced
        && after.len() == 3
        && after.bytes().all(|b| b.is_ascii_digit())
        && (1..=3).contains(&before.len())
        && !before.starts_with('0');
    (!groups).then_some(sep)
}

/// The digits of an integer part, after checking its group separators.
fn ungroup(int: &str) -> Result<String, NumberError> {
    if int.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(int.to_owned());
    }
    let mut kind = None;
    for c in int.chars().filter(|c| !c.is_ascii_digit()) {
        let k = group_kind(c).ok_or(NumberError::Malformed)?;
        if kind.is_some_and(|seen| seen != k) {
            return Err(NumberError::Malformed);
        }
        kind = Some(k);
    }
    let groups: Vec<&str> = int.split(|c: char| !c.is_ascii_digit()).collect();
    if valid_groups(&groups, kind == Some(GroupKind::Comma)) {
        Ok(groups.concat())
    } else {
        Err(NumberError::Malformed)
    }
}

/// Western grouping (`1,234,567`) or, with commas, Indian grouping (`12,34,567`).
fn valid_groups(groups: &[&str], indian_allowed: bool) -> bool {
    let Some((first, rest)) = groups.split_first() else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return true;
    };
    if first.is_empty() || first.starts_with('0') {
        return false;
    }
    let western = first.len() <= 3 && rest.iter().all(|g| g.len() == 3);
    let indian = indian_allowed
        && !middle.is_empty()
        && first.len() <= 2
        && last.len() == 3
        && middle.iter().all(|g| g.len() == 2);
    western || indian
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn eur(text: &str) -> Result<i64, AmountError> {
        parse_amount(text, Currency::EUR)
    }

    fn err(text: &str, currency: &str) -> String {
        parse_amount(text, cur(currency)).unwrap_err().to_string()
    }

    /// A deterministic spread of amounts: small ones, powers of ten, the extremes and
    /// pseudo-random values of every magnitude.
    fn sample_amounts() -> Vec<i64> {
        let mut out = vec![
            0, 1, -1, 5, -5, 99, 100, 101, 999, 1_000, 1_001, 123_450, -123_450,
        ];
        out.extend([i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1]);
        let mut p: i64 = 1;
        while let Some(next) = p.checked_mul(10) {
            out.extend([p, -p, p - 1, next - 1]);
            p = next;
        }
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for bits in (1..=63).cycle().take(400) {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let v = i64::try_from((x >> 1) >> (63 - bits)).unwrap();
            out.push(if x.is_multiple_of(3) { -v } else { v });
        }
        out
    }

    #[test]
    fn currencies_parse_from_codes_in_any_case() {
        assert_eq!(Currency::parse("EUR"), Ok(Currency::EUR));
        assert_eq!(Currency::parse(" usd\t"), Ok(Currency::USD));
        assert_eq!("Gbp".parse::<Currency>(), Ok(Currency::GBP));
        assert_eq!(cur("jpy"), Currency::JPY);
        assert_eq!(Currency::EUR.to_string(), "EUR");
        assert_eq!(format!("{:?}", Currency::EUR), "Currency(EUR)");
        // Superseded currencies still appear in historical CRM data.
        assert_eq!(cur("HRK").code(), "HRK");
    }

    #[test]
    fn currencies_without_minor_units_or_unknown_are_refused() {
        assert_eq!(Currency::parse("  "), Err(CurrencyError::Empty));
        for code in ["XAU", "XAG", "XDR", "XXX", "XTS", "xau"] {
            let e = Currency::parse(code).unwrap_err();
            assert!(
                matches!(e, CurrencyError::NoMinorUnit { .. }),
                "{code}: {e:?}"
            );
        }
        assert_eq!(
            Currency::parse("XAU").unwrap_err().to_string(),
            "XAU (Gold (one troy ounce)) has no minor unit, so amounts cannot be recorded in it"
        );
        assert_eq!(
            Currency::parse("EURO").unwrap_err().to_string(),
            "\"EURO\" is not a currency code; use a three-letter ISO 4217 code such as EUR or USD"
        );
        assert_eq!(
            Currency::parse("ABC").unwrap_err(),
            CurrencyError::Unknown("ABC".into())
        );
        assert_eq!(
            Currency::parse("€").unwrap_err().to_string(),
            "\"€\" is a currency symbol; use its ISO 4217 code, EUR"
        );
        assert_eq!(
            Currency::parse("US$").unwrap_err(),
            CurrencyError::Symbol {
                text: "US$".into(),
                currency: Currency::USD
            }
        );
        // `$` stands for too many currencies to suggest one.
        assert_eq!(
            Currency::parse("$").unwrap_err(),
            CurrencyError::Unknown("$".into())
        );
        assert!(Currency::parse("E U R").is_err());
        assert!(Currency::parse("ÉUR").is_err());
    }

    #[test]
    fn currencies_know_their_exponent_name_and_symbol() {
        let cases = [
            ("EUR", 2, "Euro", "€"),
            ("USD", 2, "United States dollar", "$"),
            ("GBP", 2, "Pound sterling", "£"),
            ("JPY", 0, "Japanese yen", "¥"),
            ("KRW", 0, "South Korean won", "₩"),
            ("BHD", 3, "Bahraini dinar", ".د.ب"),
            ("KWD", 3, "Kuwaiti dinar", "د.ك"),
            ("CLF", 4, "Unidad de Fomento", "CLF"),
            ("CHF", 2, "Swiss franc", "CHF"),
        ];
        for (code, exponent, name, symbol) in cases {
            let c = cur(code);
            assert_eq!(c.code(), code);
            assert_eq!(c.exponent(), exponent, "{code}");
            assert_eq!(c.name(), name);
            assert_eq!(c.symbol(), symbol, "{code}");
        }
    }

    #[test]
    fn the_list_of_currencies_is_sorted_and_usable() {
        let all = Currency::all();
        assert!(all.len() > 150, "{}", all.len());
        assert!(all.windows(2).all(|w| w[0].code() < w[1].code()));
        assert!(all.contains(&Currency::EUR) && all.contains(&cur("BHD")));
        assert!(all.iter().all(|c| c.code() != "XAU" && c.code() != "XXX"));
        for c in all {
            assert_eq!(Currency::parse(c.code()), Ok(*c));
            assert!(c.exponent() <= 4, "{c}");
            assert!(!c.name().is_empty() && !c.symbol().is_empty(), "{c}");
        }
    }

    #[test]
    fn currency_and_money_serialise_as_codes() {
        assert_eq!(serde_json::to_string(&Currency::EUR).unwrap(), "\"EUR\"");
        assert_eq!(
            serde_json::from_str::<Currency>("\" eur\"").unwrap(),
            Currency::EUR
        );
        let e = serde_json::from_str::<Currency>("\"XAU\"").unwrap_err();
        assert!(e.to_string().contains("has no minor unit"), "{e}");
        let m = Money::new(123_450, Currency::EUR);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount_minor":123450,"currency":"EUR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1,"currency":"EURO"}"#).is_err());
    }

    #[test]
    fn money_formats_with_the_currency_s_decimals() {
        let f = |minor, code| Money::new(minor, cur(code)).format();
        assert_eq!(f(123_450, "EUR"), "EUR 1,234.50");
        assert_eq!(f(1_200, "JPY"), "JPY 1,200");
        assert_eq!(f(1_250, "BHD"), "BHD 1.250");
        assert_eq!(f(-500, "EUR"), "EUR -5.00");
        assert_eq!(f(0, "EUR"), "EUR 0.00");
        assert_eq!(f(5, "EUR"), "EUR 0.05");
        assert_eq!(f(-5, "USD"), "USD -0.05");
        assert_eq!(f(-1, "JPY"), "JPY -1");
        assert_eq!(f(12_345_678, "CLF"), "CLF 1,234.5678");
        assert_eq!(f(100_000_000, "GBP"), "GBP 1,000,000.00");
        assert_eq!(f(i64::MAX, "EUR"), "EUR 92,233,720,368,547,758.07");
        assert_eq!(f(i64::MIN, "EUR"), "EUR -92,233,720,368,547,758.08");
        assert_eq!(f(i64::MIN, "JPY"), "JPY -9,223,372,036,854,775,808");
        assert_eq!(Money::new(7, Currency::USD).to_string(), "USD 0.07");
        let d = |minor, code| Money::new(minor, cur(code)).decimal();
        assert_eq!(d(123_450_000, "EUR"), "1234500.00");
        assert_eq!(d(1_200, "JPY"), "1200");
        assert_eq!(d(-5, "USD"), "-0.05");
    }

    #[test]
    fn amounts_in_every_locale_s_notation() {
        let cases: &[(&str, i64)] = &[
            ("1234", 123_400),
            ("1234.5", 123_450),
            ("1234,5", 123_450),
            ("1,234.56", 123_456),
            ("1.234,56", 123_456),
            ("1 234,56", 123_456),
            ("1\u{a0}234,56", 123_456),
            ("1\u{202f}234,56", 123_456),
            ("1\u{2009}234.56", 123_456),
            ("1'234.56", 123_456),
            ("1’234.56", 123_456),
            ("1'234", 123_400),
            ("1 234 567", 123_456_700),
            ("1.234.567,89", 123_456_789),
            ("1,234,567.89", 123_456_789),
            ("12,34,567.00", 123_456_700),
            ("1,23,45,678.50", 1_234_567_850),
            ("12,34,56,789", 12_345_678_900),
            ("0.5", 50),
            (".5", 50),
            (",75", 75),
            ("007", 700),
            ("  42  ", 4_200),
            ("+42", 4_200),
            ("12,-", 1_200),
            ("1.200,-", 120_000),
            ("1'200.–", 120_000),
            ("1,200.--", 120_000),
        ];
        for (text, minor) in cases {
            assert_eq!(eur(text), Ok(*minor), "{text}");
        }
    }

    #[test]
    fn negative_amounts_in_every_notation() {
        let cases = [
            "-1,234.00",
            "−1 234,00",
            "–1234",
            "(1,234.00)",
            "( 1.234,00 )",
            "1,234.00-",
            "-€1,234.00",
            "€-1,234.00",
            "€ (1.234,00)",
            "(€1,234.00)",
            "(1.234,00 €)",
            "EUR -1,234.00",
            "-1.234,00 EUR",
        ];
        for text in cases {
            assert_eq!(eur(text), Ok(-123_400), "{text}");
        }
        assert_eq!(eur("-0"), Ok(0));
        for bad in ["--5", "-(5)", "(5", "5)", ")5(", "+-5", "-5-", "5 (EUR)"] {
            assert_eq!(eur(bad), Err(AmountError::NotAnAmount(bad.into())), "{bad}");
        }
    }

    #[test]
    fn currency_codes_and_symbols_next_to_the_number() {
        let usd = |t| parse_amount(t, Currency::USD);
        assert_eq!(usd("$1,200"), Ok(120_000));
        assert_eq!(usd("US$ 1,200"), Ok(120_000));
        assert_eq!(usd("USD 1,200.00"), Ok(120_000));
        assert_eq!(usd("usd1200"), Ok(120_000));
        assert_eq!(usd("$1,200.00 USD"), Ok(120_000));
        assert_eq!(usd("$.99"), Ok(99));
        assert_eq!(eur("€ 1.234,56"), Ok(123_456));
        assert_eq!(eur("1.234,56 €"), Ok(123_456));
        assert_eq!(eur("1.234,56\u{a0}€"), Ok(123_456));
        assert_eq!(eur("1200 EUR"), Ok(120_000));
        assert_eq!(eur("1200EUR"), Ok(120_000));
        assert_eq!(eur("€1200"), Ok(120_000));
        let in_ = |t, c| parse_amount(t, cur(c));
        assert_eq!(in_("£5", "GBP"), Ok(500));
        assert_eq!(in_("Fr. 1'234.50", "CHF"), Ok(123_450));
        assert_eq!(in_("CHF 1'234.50", "CHF"), Ok(123_450));
        assert_eq!(in_("SFr.1'234.50", "CHF"), Ok(123_450));
        assert_eq!(in_("R$ 1.234,56", "BRL"), Ok(123_456));
        assert_eq!(in_("$1,234", "CAD"), Ok(123_400));
        assert_eq!(in_("$1,234", "SGD"), Ok(123_400));
        assert_eq!(in_("1 234 kr", "SEK"), Ok(123_400));
        assert_eq!(in_("1.234 kr.", "DKK"), Ok(123_400));
        assert_eq!(in_("¥1,200", "JPY"), Ok(1_200));
        assert_eq!(in_("￥1,200", "JPY"), Ok(1_200));
        assert_eq!(in_("¥1,200.50", "CNY"), Ok(120_050));
        assert_eq!(in_("1.200 円", "JPY"), Ok(1_200));
        assert_eq!(in_("₹12,34,567.00", "INR"), Ok(123_456_700));
        assert_eq!(in_("Rs. 1,234", "INR"), Ok(123_400));
        assert_eq!(in_("1 234,56 zł", "PLN"), Ok(123_456));
        assert_eq!(in_("£5", "EGP"), Ok(500));
        assert_eq!(in_("BHD 1.250", "BHD"), Ok(1_250));
        assert_eq!(in_("1,234.500 bhd", "BHD"), Ok(1_234_500));
        assert_eq!(in_("R 1 234,50", "ZAR"), Ok(123_450));
    }

    #[test]
    fn a_cell_showing_another_currency_is_refused() {
        assert_eq!(err("£5", "EUR"), "\"£5\" is an amount in GBP, not EUR");
        assert_eq!(
            err("USD 1,200", "EUR"),
            "\"USD 1,200\" is an amount in USD, not EUR"
        );
        assert_eq!(
            err("1.234,56 €", "USD"),
            "\"1.234,56 €\" is an amount in EUR, not USD"
        );
        assert_eq!(err("US$5", "CAD"), "\"US$5\" is an amount in USD, not CAD");
        assert_eq!(
            err("$5", "EUR"),
            "\"$5\" shows $, which is not a symbol of EUR"
        );
        assert_eq!(
            err("5 kr", "EUR"),
            "\"5 kr\" shows kr, which is not a symbol of EUR"
        );
        assert_eq!(
            err("¥5", "USD"),
            "\"¥5\" shows ¥, which is not a symbol of USD"
        );
        assert_eq!(
            err("5 apples", "EUR"),
            "\"5 apples\" is not an amount: \"apples\" is not a currency code or symbol"
        );
        assert_eq!(
            err("ca. 5", "EUR"),
            "\"ca. 5\" is not an amount: \"ca.\" is not a currency code or symbol"
        );
        assert_eq!(
            parse_amount("$1,200 EUR", Currency::EUR),
            Err(AmountError::OtherSymbol {
                text: "$1,200 EUR".into(),
                symbol: "$".into(),
                expected: Currency::EUR
            })
        );
    }

    #[test]
    fn the_separator_rule() {
        // Rule 3: one separator before exactly three digits groups them in EUR, USD, JPY…
        assert_eq!(eur("1,234"), Ok(123_400));
        assert_eq!(eur("1.234"), Ok(123_400));
        assert_eq!(eur("10.500"), Ok(1_050_000));
        assert_eq!(eur("-999.000"), Ok(-99_900_000));
        assert_eq!(parse_amount("1.234", Currency::JPY), Ok(1_234));
        // … but not in three-decimal currencies,
        let bhd = cur("BHD");
        assert_eq!(parse_amount("1.234", bhd), Ok(1_234));
        assert_eq!(parse_amount("1,234", bhd), Ok(1_234));
        assert_eq!(parse_amount("1,234.500", bhd), Ok(1_234_500));
        // nor after a leading zero or four digits, nor next to space grouping.
        assert_eq!(
            err("0.125", "EUR"),
            "EUR has 2 decimal places, \"0.125\" has 3"
        );
        assert_eq!(
            err("1234.567", "EUR"),
            "EUR has 2 decimal places, \"1234.567\" has 3"
        );
        assert_eq!(
            err("1 234,567", "EUR"),
            "EUR has 2 decimal places, \"1 234,567\" has 3"
        );
        // Rules 1, 2 and 4.
        assert_eq!(eur("1.234.567"), Ok(123_456_700));
        assert_eq!(eur("1,234,567"), Ok(123_456_700));
        assert_eq!(eur("1,23"), Ok(123));
        assert_eq!(
            eur("1.2345,6"),
            Err(AmountError::NotAnAmount("1.2345,6".into()))
        );
        assert_eq!(eur("12.34"), Ok(1_234));
        assert_eq!(eur("1,2"), Ok(120));
    }

    #[test]
    fn digits_grouped_in_impossible_places_are_refused() {
        assert_eq!(err("12,34.5", "EUR"), "\"12,34.5\" is not an amount");
        for bad in [
            "12,34.5",
            "1,2345.00",
            "1,,234",
            "1,234,56",
            "1.234.56",
            "1.23.456",
            "0,123,456",
            "1,234.567.8",
            "1 234.567,8",
            "1 234'567",
            "1,234 567",
            "1  234",
            "1.23.456",
            "1 23 456",
            "1.",
            "1,",
            "1,234.5,6",
            "1.2.3",
            "12a34",
            "1_000",
            "5 - 10",
            "1/2",
            "",
            "-",
            "€",
            "EUR",
            "..5",
        ] {
            let e = eur(bad).expect_err(bad);
            assert!(
                matches!(
                    e,
                    AmountError::NotAnAmount(_)
                        | AmountError::Empty
                        | AmountError::UnknownMarker { .. }
                ),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(eur("   "), Err(AmountError::Empty));
        assert_eq!(eur("").unwrap_err().to_string(), "an amount is required");
    }

    #[test]
    fn decimals_beyond_the_currency_must_be_zeros() {
        assert_eq!(eur("10.5000"), Ok(1_050));
        assert_eq!(eur("1,010.500"), Ok(101_050));
        assert_eq!(
            eur("10,50000000000000000000000000000000000000000000"),
            Ok(1_050)
        );
        assert_eq!(
            err("10.1234", "EUR"),
            "EUR has 2 decimal places, \"10.1234\" has 4"
        );
        assert_eq!(
            err("1,010.123", "EUR"),
            "EUR has 2 decimal places, \"1,010.123\" has 3"
        );
        assert_eq!(
            err("1.5", "JPY"),
            "JPY has no decimal places, \"1.5\" has 1"
        );
        assert_eq!(parse_amount("1,200.00", Currency::JPY), Ok(1_200));
        assert_eq!(parse_amount("¥1,200", Currency::JPY), Ok(1_200));
        assert_eq!(
            parse_amount("1.2345", cur("BHD")),
            Err(AmountError::TooManyDecimals {
                text: "1.2345".into(),
                currency: cur("BHD"),
                places: 3,
                found: 4,
            })
        );
        assert_eq!(parse_amount("0.0001", cur("CLF")), Ok(1));
        assert_eq!(
            err("0.00001", "CLF"),
            "CLF has 4 decimal places, \"0.00001\" has 5"
        );
    }

    #[test]
    fn excel_scientific_notation_when_exact() {
        assert_eq!(eur("1.5E+06"), Ok(150_000_000));
        assert_eq!(eur("1,5E+06"), Ok(150_000_000));
        assert_eq!(eur("1.23456E+5"), Ok(12_345_600));
        assert_eq!(eur("1.23456e5"), Ok(12_345_600));
        assert_eq!(eur("1.5E-01"), Ok(15));
        assert_eq!(eur("1E-2"), Ok(1));
        assert_eq!(eur("-2.5E+03"), Ok(-250_000));
        assert_eq!(eur("€ 1.5E+06"), Ok(150_000_000));
        assert_eq!(eur("0E+400"), Ok(0));
        assert_eq!(parse_amount("1.2E+03", Currency::JPY), Ok(1_200));
        assert_eq!(
            err("1.23456E+2", "EUR"),
            "EUR has 2 decimal places, \"1.23456E+2\" has 3"
        );
        assert_eq!(
            err("1E-3", "EUR"),
            "EUR has 2 decimal places, \"1E-3\" has 3"
        );
        assert_eq!(
            err("1E-400", "EUR"),
            "EUR has 2 decimal places, \"1E-400\" has 400"
        );
        assert_eq!(
            err("1.5E", "EUR"),
            "\"1.5E\" is not an amount: \"E\" is not a currency code or symbol"
        );
        for bad in ["1.5E+0.6", "1,234.5E+3", "1.5E+1234567", "1E5E5"] {
            assert_eq!(eur(bad), Err(AmountError::NotAnAmount(bad.into())), "{bad}");
        }
    }

    #[test]
    fn the_limits_of_sixty_four_bits() {
        assert_eq!(eur("92,233,720,368,547,758.07"), Ok(i64::MAX));
        assert_eq!(eur("-92,233,720,368,547,758.08"), Ok(i64::MIN));
        assert_eq!(
            parse_amount("9223372036854775807", Currency::JPY),
            Ok(i64::MAX)
        );
        assert_eq!(
            parse_amount("(9223372036854775808)", Currency::JPY),
            Ok(i64::MIN)
        );
        assert_eq!(
            err("92,233,720,368,547,758.08", "EUR"),
            "\"92,233,720,368,547,758.08\" is too large; \
             the largest amount in EUR is EUR 92,233,720,368,547,758.07"
        );
        for big in [
            "9223372036854775808",
            "-9223372036854775809",
            "1E+20",
            "1E+999999",
            "99999999999999999999999999999999999999999999999999",
        ] {
            assert!(
                matches!(
                    parse_amount(big, Currency::JPY),
                    Err(AmountError::TooLarge { .. })
                ),
                "{big}"
            );
        }
    }

    /// Renders `amount` the way a locale would: `group` between thousands, `decimal` before the
    /// minor digits, the minus sign in front.
    fn render(amount: i64, currency: Currency, group: &str, decimal: &str) -> String {
        let formatted = Money::new(amount, currency).format();
        let number = formatted.split_once(' ').unwrap().1;
        number
            .chars()
            .map(|c| match c {
                ',' => group.to_owned(),
                '.' => decimal.to_owned(),
                c => c.to_string(),
            })
            .collect()
    }

    #[test]
    fn format_then_parse_round_trips_for_every_currency() {
        let amounts = sample_amounts();
        for &currency in Currency::all() {
            for &amount in &amounts {
                let text = Money::new(amount, currency).format();
                assert_eq!(parse_amount(&text, currency), Ok(amount), "{text}");
            }
        }
    }

    #[test]
    fn locale_renderings_round_trip() {
        let locales = [
            (",", "."),
            (".", ","),
            (" ", ","),
            ("\u{a0}", ","),
            ("\u{202f}", ","),
            ("'", "."),
            ("", "."),
            ("", ","),
        ];
        let currencies = ["EUR", "USD", "JPY", "BHD", "CLF", "KRW", "KWD"].map(cur);
        for currency in currencies {
            for amount in sample_amounts() {
                for (group, decimal) in locales {
                    let text = render(amount, currency, group, decimal);
                    assert_eq!(
                        parse_amount(&text, currency),
                        Ok(amount),
                        "{text} {currency}"
                    );
                    if amount > 0 {
                        let accounting = format!("({text})");
                        assert_eq!(
                            parse_amount(&accounting, currency),
                            Ok(-amount),
                            "{accounting}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn detecting_the_currency_a_cell_shows() {
        let cases: &[(&str, Option<&str>)] = &[
            ("€ 1.234,56", Some("EUR")),
            ("1.234,56 €", Some("EUR")),
            ("£5", Some("GBP")),
            ("USD 1,200.00", Some("USD")),
            ("1200 eur", Some("EUR")),
            ("US$1,200", Some("USD")),
            ("$1,200 USD", Some("USD")),
            ("CHF 1'234.50", Some("CHF")),
            ("Fr. 1'234.50", Some("CHF")),
            ("R$ 1.234,56", Some("BRL")),
            ("JP¥1,200", Some("JPY")),
            ("1,200円", Some("JPY")),
            ("CN¥1,200", Some("CNY")),
            ("₹12,34,567", Some("INR")),
            ("1 234 zł", Some("PLN")),
            ("€", Some("EUR")),
            ("GBP", Some("GBP")),
            ("$1,200", None),
            ("¥1,200", None),
            ("1 234 kr", None),
            ("Rs. 500", None),
            ("1200", None),
            ("", None),
            ("€5 USD", None),
            ("£5 EUR", None),
            ("¥5 USD", None),
            ("5 XAU", None),
            ("5 apples", None),
            ("(5", None),
        ];
        for (text, expected) in cases {
            assert_eq!(detect_currency(text), expected.map(cur), "{text}");
        }
    }

    #[test]
    fn decimals_read_exactly_for_other_modules() {
        let read = |t| Decimal::read(t, true, None);
        assert_eq!(
            read("1.200"),
            Ok(Decimal {
                digits: 1_200,
                scale: 0
            })
        );
        assert_eq!(
            read("0.75"),
            Ok(Decimal {
                digits: 75,
                scale: 2
            })
        );
        assert_eq!(read("1.2E+04").unwrap().scaled(0), Ok(12_000));
        assert_eq!(read("1.5").unwrap().scaled(0), Err(NumberError::Inexact));
        assert!(read("0.75").unwrap().at_most(1));
        assert!(read("1.000000").unwrap().at_most(1));
        assert!(!read("1.01").unwrap().at_most(1));
        assert!(!read("1E+1").unwrap().at_most(1));
        assert!(read("0").unwrap().at_most(1));
        assert!(read("100.0").unwrap().at_most(100));
        assert!(!read("100.01").unwrap().at_most(100));
        assert!(read("1E+2").unwrap().at_most(100));
        assert!(!read("1E+40").unwrap().at_most(100));
        assert!(read("1E-60").unwrap().at_most(100));
        assert_eq!(read("2.5").unwrap().round(), Some(3));
        assert_eq!(read("2.49").unwrap().round(), Some(2));
        assert_eq!(read("1E-50").unwrap().round(), Some(0));
        assert_eq!(read("1E+2").unwrap().round(), Some(100));
    }
}
