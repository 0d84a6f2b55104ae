//! The program's costs: MDF, incentives, enablement, tech; program-wide and direct costs.

use sqlx::FromRow;
use uuid::Uuid;

use crate::args::{insert_sql, rows_per_statement};
use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch, on_backend};

/// One `partner_costs` row, with names joined for reading.
#[derive(Clone, Debug, FromRow)]
pub struct CostRow {
    pub id: Uuid,
    /// `partner`, `program` or `direct`.
    pub channel: String,
    pub org_id: Option<Uuid>,
    /// Read only: the partner's name.
    pub org_name: Option<String>,
    pub category: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub incurred_on: String,
    pub note: String,
    /// `manual`, `import`, `api`.
    pub source: String,
    pub created_by: Option<Uuid>,
    /// Read only: the author's name.
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

const SELECT: &str = "select c.id, c.channel, c.org_id, g.name as org_name, c.category, \
    c.amount_minor, c.currency, c.incurred_on, c.note, c.source, c.created_by, \
    u.name as created_by_name, c.created_at \
    from partner_costs c left join orgs g on g.id = c.org_id \
    left join users u on u.id = c.created_by";

const COLUMNS: [&str; 11] = [
    "id",
    "channel",
    "org_id",
    "category",
    "amount_minor",
    "currency",
    "incurred_on",
    "note",
    "source",
    "created_by",
    "created_at",
];

/// Writes costs.
pub async fn insert(ex: &mut Exec<'_>, rows: &[CostRow]) -> Result<()> {
    for chunk in rows.chunks(rows_per_statement(COLUMNS.len())) {
        let sql = insert_sql("partner_costs", &COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(&r.channel)
                    .bind(r.org_id)
                    .bind(&r.category)
                    .bind(r.amount_minor)
                    .bind(&r.currency)
                    .bind(&r.incurred_on)
                    .bind(&r.note)
                    .bind(&r.source)
                    .bind(r.created_by)
                    .bind(r.created_at);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// A cost by id.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<CostRow>> {
    let sql = format!("{SELECT} where c.id = $1");
    Ok(fetch!(ex, CostRow, &sql, [id], fetch_optional)?)
}

/// Removes a cost; `false` when there was none.
pub async fn delete(ex: &mut Exec<'_>, id: Uuid) -> Result<bool> {
    Ok(execute!(ex, "delete from partner_costs where id = $1", [id])? == 1)
}

/// Costs incurred from `from` to `to` (inclusive days), optionally of one partner, newest
/// first; after `(day, id)` for the next page; `limit + 1` rows.
pub async fn list(
    ex: &mut Exec<'_>,
    from: &str,
    to: &str,
    org_id: Option<Uuid>,
    after: Option<(&str, Uuid)>,
    limit: usize,
) -> Result<Vec<CostRow>> {
    let (day, id) = after.map_or((None, Uuid::nil()), |(d, i)| (Some(d), i));
    let sql = format!(
        "{SELECT} where c.incurred_on >= $1 and c.incurred_on <= $2 \
           and ($3 is null or c.org_id = $3) \
           and ($4 is null or c.incurred_on < $4 or (c.incurred_on = $4 and c.id < $5)) \
         order by c.incurred_on desc, c.id desc limit $6"
    );
    Ok(fetch!(
        ex,
        CostRow,
        &sql,
        [
            from,
            to,
            org_id,
            day,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?)
}

/// Costs of one channel, partner, category, currency and day.
#[derive(Clone, Debug, FromRow)]
pub struct CostTotalRow {
    pub channel: String,
    pub org_id: Option<Uuid>,
    pub category: String,
    pub currency: String,
    pub incurred_on: String,
    pub amount_minor: i64,
}

/// Costs incurred from `from` to `to`, summed per channel, partner, category, currency and
/// day (each day converts at its own rate).
pub async fn totals(ex: &mut Exec<'_>, from: &str, to: &str) -> Result<Vec<CostTotalRow>> {
    Ok(fetch!(
        ex,
        CostTotalRow,
        "select channel, org_id, category, currency, incurred_on, \
           cast(sum(amount_minor) as bigint) as amount_minor \
         from partner_costs where incurred_on >= $1 and incurred_on <= $2 \
         group by channel, org_id, category, currency, incurred_on",
        [from, to],
        fetch_all
    )?)
}
