//! Exchange rates into the reporting currency.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `fx_rates` row, with its author's name.
#[derive(Clone, Debug, FromRow)]
pub struct RateRow {
    pub currency: String,
    pub quote: String,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    pub rate_ppb: i64,
    pub created_by: Option<Uuid>,
    /// Read only: joined from `users`.
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

/// Sets a rate (replacing the one of the same currency and day).
pub async fn upsert(ex: &mut Exec<'_>, r: &RateRow) -> Result<()> {
    execute!(
        ex,
        "insert into fx_rates (currency, quote, valid_from, rate_ppb, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6) \
         on conflict (quote, currency, valid_from) do update set rate_ppb = excluded.rate_ppb, \
         created_by = excluded.created_by, created_at = excluded.created_at",
        [
            &r.currency,
            &r.quote,
            &r.valid_from,
            r.rate_ppb,
            r.created_by,
            r.created_at
        ]
    )?;
    Ok(())
}

/// Removes a rate; `false` when there was none.
pub async fn delete(
    ex: &mut Exec<'_>,
    quote: &str,
    currency: &str,
    valid_from: &str,
) -> Result<bool> {
    Ok(execute!(
        ex,
        "delete from fx_rates where quote = $1 and currency = $2 and valid_from = $3",
        [quote, currency, valid_from]
    )? == 1)
}

/// Every rate into `quote`, by currency and date.
pub async fn of_quote(ex: &mut Exec<'_>, quote: &str) -> Result<Vec<RateRow>> {
    Ok(fetch!(
        ex,
        RateRow,
        "select r.currency, r.quote, r.valid_from, r.rate_ppb, r.created_by, \
           u.name as created_by_name, r.created_at \
         from fx_rates r left join users u on u.id = r.created_by \
         where r.quote = $1 order by r.currency, r.valid_from",
        [quote],
        fetch_all
    )?)
}
