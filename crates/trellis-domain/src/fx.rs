//! Exchange rates into the reporting currency, as a vendor's finance team maintains them: a
//! rate is valid from a date until the next one of the same currency. Rates are exact
//! decimals kept in billionths, and converted amounts are rounded once, to the minor unit of
//! the reporting currency, halves away from zero, in integer arithmetic.

use crate::money::Currency;

/// A rate's scale: a rate is held as billionths of a reporting-currency unit per unit.
pub const RATE_SCALE: i64 = 1_000_000_000;
/// The most decimals a rate may have.
pub const RATE_DECIMALS: usize = 9;

/// Reads a rate ("1.0825"; a decimal comma is accepted when there is no point): positive, at
/// most nine decimals, below a million.
pub fn parse_rate(text: &str) -> Result<i64, &'static str> {
    let t = text.trim();
    let t = if t.contains('.') {
        t.to_owned()
    } else {
        t.replace(',', ".")
    };
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(whole) || whole.is_empty() && digits(frac)) || !(frac.is_empty() || digits(frac)) {
        return Err("a rate is a decimal number, such as 1.0825");
    }
    if frac.len() > RATE_DECIMALS {
        return Err("at most 9 decimals");
    }
    if whole.len() > 6 {
        return Err("must be below 1,000,000");
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "not a rate")?
    };
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        let padded = format!("{frac:0<9}");
        padded.parse().map_err(|_| "not a rate")?
    };
    let ppb = whole * RATE_SCALE + frac_value;
    if ppb <= 0 {
        return Err("must be more than zero");
    }
    Ok(ppb)
}

/// A rate in billionths as people write it: "1.0825".
pub fn format_rate(ppb: i64) -> String {
    let whole = ppb / RATE_SCALE;
    let frac = format!("{:09}", ppb % RATE_SCALE);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{whole}")
    } else {
        format!("{whole}.{frac}")
    }
}

/// `amount_minor` of `from` in minor units of `to`, at `ppb` billionths of `to` per `from`.
/// `None` only when the result does not fit.
pub fn convert(amount_minor: i64, from: Currency, to: Currency, ppb: i64) -> Option<i64> {
    let num = i128::from(amount_minor)
        .checked_mul(i128::from(ppb))?
        .checked_mul(10i128.pow(to.exponent()))?;
    let den = i128::from(RATE_SCALE) * 10i128.pow(from.exponent());
    let q = num / den;
    let r = num % den;
    // Halves away from zero.
    let rounded = if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    };
    i64::try_from(rounded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn rates_are_read_exactly_and_written_back() {
        assert_eq!(parse_rate("1.0825"), Ok(1_082_500_000));
        assert_eq!(parse_rate(" 0,85 "), Ok(850_000_000));
        assert_eq!(parse_rate("150"), Ok(150 * RATE_SCALE));
        assert_eq!(parse_rate(".5"), Ok(500_000_000));
        assert_eq!(parse_rate("0.000000001"), Ok(1));
        for bad in [
            "",
            "abc",
            "1.2.3",
            "-1",
            "0",
            "0.0000000001",
            "1,000.5x",
            "1e3",
            "1000000",
        ] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(format_rate(1_082_500_000), "1.0825");
        assert_eq!(format_rate(150 * RATE_SCALE), "150");
    }

    #[test]
    fn amounts_convert_to_the_minor_unit_with_halves_away_from_zero() {
        // EUR 100.00 at 1.0825 is USD 108.25.
        assert_eq!(
            convert(10_000, c("EUR"), c("USD"), 1_082_500_000),
            Some(10_825)
        );
        // JPY 1,000 at 0.0067 is USD 6.70; USD 1.00 at 149.505 is JPY 150 (149.505 rounds up).
        assert_eq!(convert(1_000, c("JPY"), c("USD"), 6_700_000), Some(670));
        assert_eq!(convert(100, c("USD"), c("JPY"), 149_505_000_000), Some(150));
        // Half a cent rounds away from zero both ways.
        assert_eq!(convert(1, c("EUR"), c("USD"), 500_000_000), Some(1));
        assert_eq!(convert(-1, c("EUR"), c("USD"), 500_000_000), Some(-1));
        // BHD has three decimals.
        assert_eq!(convert(1_000, c("BHD"), c("USD"), 2_650_000_000), Some(265));
        assert_eq!(
            convert(i64::MAX, c("EUR"), c("JPY"), 1_000 * RATE_SCALE),
            None
        );
    }
}
