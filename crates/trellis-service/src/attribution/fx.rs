//! Exchange rates into the reporting currency, kept by finance: closed deals in other
//! currencies convert at the rate valid on their close date. Rates are per reporting currency,
//! so changing the reporting currency starts a new table rather than misreading the old one.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;
use trellis_domain::fx::{self, format_rate, parse_rate};
use trellis_domain::{Currency, FieldErrors, Permission, Timestamp};
use trellis_store::attribution::fx::{self as store, RateRow};

use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

/// A rate: `rate` units of the reporting currency per unit of `currency`, from `valid_from`
/// until the next rate of that currency.
#[derive(Clone, Debug, Serialize)]
pub struct FxRate {
    /// The currency converted.
    pub currency: String,
    /// The reporting currency it converts into.
    pub quote: String,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    /// As people write it: `1.0825`.
    pub rate: String,
    /// Who set it.
    pub created_by_name: String,
    /// When.
    pub created_at: Timestamp,
}

/// A rate to set.
#[derive(Clone, Debug, Default)]
pub struct FxRateInput {
    /// ISO 4217 code of the currency converted.
    pub currency: String,
    /// First day it applies, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Reporting-currency units per unit, up to nine decimals.
    pub rate: String,
}

/// The rates a run converts with, into one reporting currency; currency codes are read once
/// here rather than for every deal.
#[derive(Clone, Debug)]
pub(crate) struct RateTable {
    /// The reporting currency.
    quote: String,
    to: Option<Currency>,
    /// Per currency: the currency and its `(valid_from, rate in billionths)`, by date.
    by_currency: HashMap<String, (Currency, Vec<(String, i64)>)>,
}

impl RateTable {
    /// A table into `quote`, without rates yet.
    pub(crate) fn new(quote: &str) -> Self {
        Self {
            quote: quote.to_owned(),
            to: Currency::parse(quote).ok(),
            by_currency: HashMap::new(),
        }
    }

    /// Adds a rate; rates of a currency come in date order. A code that is no currency is
    /// skipped: no deal can convert with it.
    fn add(&mut self, currency: String, valid_from: String, ppb: i64) {
        let Ok(from) = Currency::parse(&currency) else {
            return;
        };
        self.by_currency
            .entry(currency)
            .or_insert_with(|| (from, Vec::new()))
            .1
            .push((valid_from, ppb));
    }

    /// `amount_minor` of `currency` closed on `date`, in minor units of the reporting
    /// currency; `None` when no rate was valid that day.
    pub(crate) fn convert(&self, amount_minor: i64, currency: &str, date: &str) -> Option<i64> {
        if currency == self.quote {
            return Some(amount_minor);
        }
        let (from, rates) = self.by_currency.get(currency)?;
        let at = rates.partition_point(|(valid_from, _)| valid_from.as_str() <= date);
        let (_, ppb) = rates.get(at.checked_sub(1)?)?;
        fx::convert(amount_minor, *from, self.to?, *ppb)
    }
}

impl Services {
    /// Every rate into the reporting currency, by currency and date.
    pub async fn fx_rates(&self, actor: &Actor) -> Result<Vec<FxRate>> {
        super::vendor_with(actor, Permission::AttributionRead)?;
        let quote = self.reporting_currency().await?;
        let mut c = self.db().read().await?;
        Ok(store::of_quote(&mut c.exec(), &quote)
            .await?
            .into_iter()
            .map(FxRate::from)
            .collect())
    }

    /// Sets a rate (replacing that currency's rate of the same day).
    pub async fn set_fx_rate(&self, actor: &Actor, input: &FxRateInput) -> Result<FxRate> {
        super::vendor_with(actor, Permission::AttributionManage)?;
        let quote = self.reporting_currency().await?;
        let mut e = FieldErrors::new();
        let code = input.currency.trim().to_uppercase();
        match Currency::parse(&code) {
            Ok(_) if code == quote => e.add("currency", "is the reporting currency"),
            Ok(_) => {}
            Err(err) => e.add("currency", err.to_string()),
        }
        let valid_from = input.valid_from.trim().to_owned();
        if Timestamp::from_date(&valid_from).is_none() {
            e.add("valid_from", "a date, YYYY-MM-DD");
        }
        let rate = parse_rate(&input.rate).map_err(|m| e.add("rate", m)).ok();
        e.into_result()?;
        let rate = rate.ok_or_else(|| Error::Internal(anyhow::anyhow!("checked rate")))?;
        let now = self.now();
        let row = RateRow {
            currency: code,
            quote,
            valid_from,
            rate_ppb: rate,
            created_by: actor.user().map(|u| u.user_id.as_uuid()),
            created_by_name: Some(actor.label()),
            created_at: now.millis(),
        };
        let mut tx = self.db().begin().await?;
        store::upsert(&mut tx.exec(), &row).await?;
        let after = FxRate::from(row);
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "fx_rate.set",
                object_type: "fx_rate",
                object_id: format!("{}/{}/{}", after.currency, after.quote, after.valid_from),
                org_id: None,
                summary: format!(
                    "1 {} = {} {} from {}",
                    after.currency, after.rate, after.quote, after.valid_from
                ),
                before: None,
                after: Some(json!(after)),
                publish: false,
            },
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a rate.
    pub async fn remove_fx_rate(
        &self,
        actor: &Actor,
        currency: &str,
        valid_from: &str,
    ) -> Result<()> {
        super::vendor_with(actor, Permission::AttributionManage)?;
        let quote = self.reporting_currency().await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if !store::delete(&mut tx.exec(), &quote, currency, valid_from).await? {
            return Err(Error::NotFound);
        }
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "fx_rate.removed",
                object_type: "fx_rate",
                object_id: format!("{currency}/{quote}/{valid_from}"),
                org_id: None,
                summary: format!("{currency} rate of {valid_from} removed"),
                before: None,
                after: None,
                publish: false,
            },
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The rates into `quote`, for a run.
    pub(crate) async fn rate_table(&self, quote: &str) -> Result<RateTable> {
        let mut c = self.db().read().await?;
        let mut table = RateTable::new(quote);
        for r in store::of_quote(&mut c.exec(), quote).await? {
            table.add(r.currency, r.valid_from, r.rate_ppb);
        }
        Ok(table)
    }
}

impl From<RateRow> for FxRate {
    fn from(r: RateRow) -> Self {
        Self {
            currency: r.currency,
            quote: r.quote,
            valid_from: r.valid_from,
            rate: format_rate(r.rate_ppb),
            created_by_name: r.created_by_name.unwrap_or_default(),
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deal_converts_at_the_rate_valid_on_its_close_date() {
        let mut t = RateTable::new("USD");
        t.add("EUR".into(), "2026-01-01".into(), 1_100_000_000);
        t.add("EUR".into(), "2026-07-01".into(), 1_200_000_000);
        assert_eq!(t.convert(10_000, "EUR", "2025-12-31"), None, "no rate yet");
        assert_eq!(t.convert(10_000, "EUR", "2026-01-01"), Some(11_000));
        assert_eq!(t.convert(10_000, "EUR", "2026-06-30"), Some(11_000));
        assert_eq!(t.convert(10_000, "EUR", "2026-07-01"), Some(12_000));
        assert_eq!(t.convert(10_000, "USD", "2020-01-01"), Some(10_000));
        assert_eq!(t.convert(10_000, "GBP", "2026-07-01"), None);
    }
}
