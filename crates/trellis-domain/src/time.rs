//! Instants as Unix milliseconds, UTC. Integers sort and compare the same on SQLite and
//! PostgreSQL and never lose precision.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From Unix milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Unix milliseconds.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole Unix seconds (rounded down).
    pub const fn seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// Parses an RFC 3339 instant such as `2026-01-31T12:00:00Z`.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }

    /// This instant plus `d`, saturating.
    #[must_use]
    pub fn plus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(ms))
    }

    /// This instant minus `d`, saturating.
    #[must_use]
    pub fn minus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(ms))
    }

    /// The same time of day `months` calendar months later (UTC), on the month's last day when
    /// it is shorter: 31 January plus one month is 28 (or 29) February.
    #[must_use]
    pub fn plus_months(self, months: u32) -> Self {
        let nanos = i128::from(self.0) * 1_000_000;
        let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return self;
        };
        let index =
            i64::from(t.year()) * 12 + i64::from(u8::from(t.month())) - 1 + i64::from(months);
        let (Ok(year), Ok(month)) = (
            i32::try_from(index.div_euclid(12)),
            u8::try_from(index.rem_euclid(12) + 1),
        ) else {
            return self;
        };
        let Ok(month) = time::Month::try_from(month) else {
            return self;
        };
        let day = t.day().min(time::util::days_in_month(month, year));
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .and_then(|d| i64::try_from(t.replace_date(d).unix_timestamp_nanos() / 1_000_000).ok())
            .map_or(self, Self)
    }

    /// The calendar year (UTC).
    pub fn year(self) -> i32 {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).map_or(1970, OffsetDateTime::year)
    }

    /// Midnight (UTC) of a `YYYY-MM-DD` date, the inverse of [`Timestamp::date`]; `None` for
    /// anything else.
    pub fn from_date(date: &str) -> Option<Self> {
        let d = time::Date::parse(
            date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()?;
        i64::try_from(d.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }

    /// The date, `2026-11-24` (UTC).
    pub fn date(self) -> String {
        let s = self.to_rfc3339();
        s.get(..10).unwrap_or(&s).to_owned()
    }

    /// RFC 3339 UTC with millisecond precision, the API's instant format.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| self.0.to_string())
    }

    /// A short human form for pages: `2026-01-31 12:00 UTC`.
    pub fn to_display(self) -> String {
        let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&fmt).ok())
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod month_tests {
    use super::Timestamp;

    #[test]
    fn months_keep_the_time_of_day_and_clamp_to_short_months() {
        let t = Timestamp::parse_rfc3339("2026-01-31T09:30:00Z").unwrap();
        assert_eq!(t.plus_months(1).to_rfc3339(), "2026-02-28T09:30:00Z");
        assert_eq!(t.plus_months(3).to_rfc3339(), "2026-04-30T09:30:00Z");
        assert_eq!(t.plus_months(12).to_rfc3339(), "2027-01-31T09:30:00Z");
        let leap = Timestamp::parse_rfc3339("2027-11-29T00:00:00Z").unwrap();
        assert_eq!(leap.plus_months(3).to_rfc3339(), "2028-02-29T00:00:00Z");
    }
}

/// `#[serde(serialize_with = "trellis_domain::time::rfc3339")]`: an instant as the API
/// writes instants, `2026-11-23T10:00:00Z`, rather than as milliseconds.
///
/// # Errors
/// Only the serializer's own.
pub fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_at_millisecond_precision() {
        let t = Timestamp::from_millis(1_767_225_600_123);
        assert_eq!(t.to_rfc3339(), "2026-01-01T00:00:00.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = Timestamp::parse_rfc3339("2026-01-01T02:00:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-01-01T00:00:00Z");
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let t = Timestamp::from_millis(i64::MAX - 1);
        assert_eq!(t.plus(Duration::from_secs(10)).millis(), i64::MAX);
    }
}
