//! The derived facts: read the inputs a page at a time, replace the facts whole.

use sqlx::FromRow;
use uuid::Uuid;

use crate::args::{insert_sql, rows_per_statement};
use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch, on_backend};

/// A live opportunity with the fields of its account that segments read.
#[derive(Clone, Debug, FromRow)]
pub struct SourceDealRow {
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub close_date: Option<String>,
    pub opened_on: Option<String>,
    pub created_at: i64,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub employees: Option<i64>,
}

/// Live opportunities after `after` in id order, at most `limit`.
pub async fn deals_after(
    ex: &mut Exec<'_>,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<SourceDealRow>> {
    Ok(fetch!(
        ex,
        SourceDealRow,
        "select o.id, o.account_id, o.status, o.amount_minor, o.currency, o.close_date, \
           o.opened_on, o.created_at, a.industry, a.country, a.employees \
         from opportunities o left join accounts a on a.id = o.account_id \
         where not o.archived and ($1 is null or o.id > $1) order by o.id limit $2",
        [after, i64::try_from(limit).unwrap_or(i64::MAX)],
        fetch_all
    )?)
}

/// A touch, as the facts read it.
#[derive(Clone, Debug, FromRow)]
pub struct SourceTouchRow {
    pub opportunity_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub kind: String,
    pub occurred_at: i64,
}

/// The touches on opportunities with ids from `first` to `last`, by opportunity and time.
pub async fn deal_touches(
    ex: &mut Exec<'_>,
    first: Uuid,
    last: Uuid,
) -> Result<Vec<SourceTouchRow>> {
    Ok(fetch!(
        ex,
        SourceTouchRow,
        "select opportunity_id, account_id, org_id, kind, occurred_at from touchpoints \
         where opportunity_id >= $1 and opportunity_id <= $2 \
         order by opportunity_id, occurred_at, id",
        [first, last],
        fetch_all
    )?)
}

/// The touches on accounts that name no opportunity, by account and time.
pub async fn account_touches(ex: &mut Exec<'_>) -> Result<Vec<SourceTouchRow>> {
    Ok(fetch!(
        ex,
        SourceTouchRow,
        "select opportunity_id, account_id, org_id, kind, occurred_at from touchpoints \
         where opportunity_id is null order by account_id, occurred_at, id",
        [],
        fetch_all
    )?)
}

/// A partner's type and tier, which facts carry for filtering.
#[derive(Clone, Debug, FromRow)]
pub struct PartnerClassRow {
    pub id: Uuid,
    pub name: String,
    pub partner_type: Option<String>,
    pub tier: Option<String>,
}

/// Every partner's name, type and tier, by name.
pub async fn partner_classes(ex: &mut Exec<'_>) -> Result<Vec<PartnerClassRow>> {
    Ok(fetch!(
        ex,
        PartnerClassRow,
        "select id, name, partner_type, tier from orgs where kind = 'partner' order by name_key, id",
        [],
        fetch_all
    )?)
}

/// One `deal_facts` row.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct DealFactRow {
    pub opportunity_id: Uuid,
    pub account_id: Option<Uuid>,
    pub origin: String,
    pub status: String,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub cycle_days: Option<i64>,
    /// In the reporting currency.
    pub amount_minor: i64,
    pub industry: String,
    pub country: String,
    pub size_band: String,
    pub lead_org_id: Option<Uuid>,
    pub partner_type: String,
    pub tier: String,
    pub partners: i64,
    pub acquisition: bool,
}

/// One `deal_partner_facts` row.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PartnerFactRow {
    pub org_id: Uuid,
    pub opportunity_id: Uuid,
    pub role: String,
    pub status: String,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub cycle_days: Option<i64>,
    pub amount_minor: i64,
    pub attributed_minor: i64,
}

/// One `account_facts` row.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct AccountFactRow {
    pub account_id: Uuid,
    /// Its first won deal.
    pub opportunity_id: Uuid,
    pub acquired_on: String,
    pub origin: String,
    pub org_id: Option<Uuid>,
    pub lifetime_minor: i64,
    pub won_deals: i64,
    pub industry: String,
    pub country: String,
    pub size_band: String,
    pub partner_type: String,
    pub tier: String,
}

/// Empties the fact tables (inside the refresh's transaction).
pub async fn clear(ex: &mut Exec<'_>) -> Result<()> {
    for table in [
        "deal_facts",
        "deal_partner_facts",
        "account_facts",
        "partner_month_closed",
        "partner_month_opened",
    ] {
        execute!(&mut *ex, &format!("delete from {table}"), [])?;
    }
    Ok(())
}

/// Writes deal facts.
pub async fn insert_deals(ex: &mut Exec<'_>, rows: &[DealFactRow]) -> Result<()> {
    const COLUMNS: [&str; 16] = [
        "opportunity_id",
        "account_id",
        "origin",
        "status",
        "opened_on",
        "closed_on",
        "cycle_days",
        "amount_minor",
        "industry",
        "country",
        "size_band",
        "lead_org_id",
        "partner_type",
        "tier",
        "partners",
        "acquisition",
    ];
    for chunk in rows.chunks(rows_per_statement(COLUMNS.len())) {
        let sql = insert_sql("deal_facts", &COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.opportunity_id)
                    .bind(r.account_id)
                    .bind(&r.origin)
                    .bind(&r.status)
                    .bind(&r.opened_on)
                    .bind(&r.closed_on)
                    .bind(r.cycle_days)
                    .bind(r.amount_minor)
                    .bind(&r.industry)
                    .bind(&r.country)
                    .bind(&r.size_band)
                    .bind(r.lead_org_id)
                    .bind(&r.partner_type)
                    .bind(&r.tier)
                    .bind(r.partners)
                    .bind(r.acquisition);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Writes partner facts.
pub async fn insert_partners(ex: &mut Exec<'_>, rows: &[PartnerFactRow]) -> Result<()> {
    const COLUMNS: [&str; 9] = [
        "org_id",
        "opportunity_id",
        "role",
        "status",
        "opened_on",
        "closed_on",
        "cycle_days",
        "amount_minor",
        "attributed_minor",
    ];
    for chunk in rows.chunks(rows_per_statement(COLUMNS.len())) {
        let sql = insert_sql("deal_partner_facts", &COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.org_id)
                    .bind(r.opportunity_id)
                    .bind(&r.role)
                    .bind(&r.status)
                    .bind(&r.opened_on)
                    .bind(&r.closed_on)
                    .bind(r.cycle_days)
                    .bind(r.amount_minor)
                    .bind(r.attributed_minor);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Writes account facts.
pub async fn insert_accounts(ex: &mut Exec<'_>, rows: &[AccountFactRow]) -> Result<()> {
    const COLUMNS: [&str; 12] = [
        "account_id",
        "opportunity_id",
        "acquired_on",
        "origin",
        "org_id",
        "lifetime_minor",
        "won_deals",
        "industry",
        "country",
        "size_band",
        "partner_type",
        "tier",
    ];
    for chunk in rows.chunks(rows_per_statement(COLUMNS.len())) {
        let sql = insert_sql("account_facts", &COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.account_id)
                    .bind(r.opportunity_id)
                    .bind(&r.acquired_on)
                    .bind(&r.origin)
                    .bind(r.org_id)
                    .bind(r.lifetime_minor)
                    .bind(r.won_deals)
                    .bind(&r.industry)
                    .bind(&r.country)
                    .bind(&r.size_band)
                    .bind(&r.partner_type)
                    .bind(&r.tier);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// One `partner_month_closed` row: a partner's deals of one role and outcome closed in a month.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthClosedRow {
    pub month: String,
    pub org_id: Uuid,
    pub role: String,
    pub status: String,
    pub deals: i64,
    pub amount_minor: i64,
    pub attributed_minor: i64,
    pub cycle_days: i64,
}

/// One `partner_month_opened` row: a partner's deals of one role opened in a month.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthOpenedRow {
    pub month: String,
    pub org_id: Uuid,
    pub role: String,
    pub deals: i64,
    pub amount_minor: i64,
    pub open: i64,
    pub open_minor: i64,
}

/// Writes the monthly rollups.
pub async fn insert_months(
    ex: &mut Exec<'_>,
    closed: &[MonthClosedRow],
    opened: &[MonthOpenedRow],
) -> Result<()> {
    const CLOSED: [&str; 8] = [
        "month",
        "org_id",
        "role",
        "status",
        "deals",
        "amount_minor",
        "attributed_minor",
        "cycle_days",
    ];
    const OPENED: [&str; 7] = [
        "month",
        "org_id",
        "role",
        "deals",
        "amount_minor",
        "open",
        "open_minor",
    ];
    for chunk in closed.chunks(rows_per_statement(CLOSED.len())) {
        let sql = insert_sql("partner_month_closed", &CLOSED, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(&r.month)
                    .bind(r.org_id)
                    .bind(&r.role)
                    .bind(&r.status)
                    .bind(r.deals)
                    .bind(r.amount_minor)
                    .bind(r.attributed_minor)
                    .bind(r.cycle_days);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    for chunk in opened.chunks(rows_per_statement(OPENED.len())) {
        let sql = insert_sql("partner_month_opened", &OPENED, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(&r.month)
                    .bind(r.org_id)
                    .bind(&r.role)
                    .bind(r.deals)
                    .bind(r.amount_minor)
                    .bind(r.open)
                    .bind(r.open_minor);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Marks each account's first won deal as its acquisition, once the account facts are in.
pub async fn mark_acquisitions(ex: &mut Exec<'_>) -> Result<()> {
    execute!(
        ex,
        "update deal_facts set acquisition = true \
         where opportunity_id in (select opportunity_id from account_facts)",
        []
    )?;
    Ok(())
}

/// The last refresh.
#[derive(Clone, Debug, FromRow)]
pub struct RefreshRow {
    pub refreshed_at: i64,
    pub duration_ms: i64,
    pub currency: String,
    pub opportunities: i64,
    pub touchpoints: i64,
    pub no_rate: i64,
}

/// Records a refresh, replacing the last.
pub async fn record_refresh(ex: &mut Exec<'_>, r: &RefreshRow) -> Result<()> {
    execute!(
        ex,
        "insert into metrics_refreshes (id, refreshed_at, duration_ms, currency, opportunities, \
           touchpoints, no_rate) values (1, $1, $2, $3, $4, $5, $6) \
         on conflict (id) do update set refreshed_at = excluded.refreshed_at, \
           duration_ms = excluded.duration_ms, currency = excluded.currency, \
           opportunities = excluded.opportunities, touchpoints = excluded.touchpoints, \
           no_rate = excluded.no_rate",
        [
            r.refreshed_at,
            r.duration_ms,
            &r.currency,
            r.opportunities,
            r.touchpoints,
            r.no_rate
        ]
    )?;
    Ok(())
}

/// The last refresh, if any.
pub async fn last_refresh(ex: &mut Exec<'_>) -> Result<Option<RefreshRow>> {
    Ok(fetch!(
        ex,
        RefreshRow,
        "select refreshed_at, duration_ms, currency, opportunities, touchpoints, no_rate \
         from metrics_refreshes where id = 1",
        [],
        fetch_optional
    )?)
}

/// Per partner, the deals it registered at or after `since_ms`, whatever became of them.
pub async fn registrations_since(ex: &mut Exec<'_>, since_ms: i64) -> Result<Vec<(Uuid, i64)>> {
    Ok(fetch!(
        ex,
        (Uuid, i64),
        "select org_id, count(*) from deal_registrations where created_at >= $1 group by org_id",
        [since_ms],
        fetch_all
    )?)
}
