//! The accounts a partner brings for mapping in hosted mode. Every function takes the
//! partner's organisation: there is no way to read them across partners.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::platform::orgs::escape_like;
use crate::{execute, fetch, scalar};

/// One `partner_accounts` row.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PartnerAccountRow {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The partner's own id for it (its CRM's record id).
    pub external_id: String,
    pub name: String,
    pub website: String,
    /// Registrable domain, or empty.
    pub domain: String,
    /// ISO code, or empty.
    pub country: String,
    pub industry: String,
    pub employees: Option<i64>,
    pub account_type: String,
    /// `customer`, `prospect`, `partner` or `other`.
    pub relationship: String,
    pub open_opportunities: i64,
    pub owner_name: String,
    pub owner_email: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, org_id, external_id, name, website, domain, country, industry, \
    employees, account_type, relationship, open_opportunities, owner_name, owner_email, \
    created_at, updated_at";

/// Rows per multi-row statement (16 values each).
const BATCH: usize = crate::args::rows_per_statement(16);

/// Inserts or updates rows by `(org_id, external_id)`; an update keeps the row's id and
/// creation time.
pub async fn upsert_many(ex: &mut Exec<'_>, rows: &[PartnerAccountRow]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        let mut sql = format!(
            "insert into partner_accounts ({COLUMNS}) values {}",
            crate::args::values_sql(16, chunk.len())
        );
        sql.push_str(
            " on conflict (org_id, external_id) do update set name = excluded.name, \
             website = excluded.website, domain = excluded.domain, country = excluded.country, \
             industry = excluded.industry, employees = excluded.employees, \
             account_type = excluded.account_type, relationship = excluded.relationship, \
             open_opportunities = excluded.open_opportunities, \
             owner_name = excluded.owner_name, owner_email = excluded.owner_email, \
             updated_at = excluded.updated_at",
        );
        crate::on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(r.org_id)
                    .bind(&r.external_id)
                    .bind(&r.name)
                    .bind(&r.website)
                    .bind(&r.domain)
                    .bind(&r.country)
                    .bind(&r.industry)
                    .bind(r.employees)
                    .bind(&r.account_type)
                    .bind(&r.relationship)
                    .bind(r.open_opportunities)
                    .bind(&r.owner_name)
                    .bind(&r.owner_email)
                    .bind(r.created_at)
                    .bind(r.updated_at);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Deletes every account of the partner (an upload that replaces its list writes them all
/// again, keeping the ids of those it had). Returns how many went.
pub async fn delete_all(ex: &mut Exec<'_>, org_id: Uuid) -> Result<u64> {
    Ok(execute!(
        ex,
        "delete from partner_accounts where org_id = $1",
        [org_id]
    )?)
}

/// Deletes one account.
pub async fn delete(ex: &mut Exec<'_>, org_id: Uuid, external_id: &str) -> Result<bool> {
    let n = execute!(
        ex,
        "delete from partner_accounts where org_id = $1 and external_id = $2",
        [org_id, external_id]
    )?;
    Ok(n == 1)
}

/// One account by the partner's id for it.
pub async fn find(
    ex: &mut Exec<'_>,
    org_id: Uuid,
    external_id: &str,
) -> Result<Option<PartnerAccountRow>> {
    let sql =
        format!("select {COLUMNS} from partner_accounts where org_id = $1 and external_id = $2");
    Ok(fetch!(
        ex,
        PartnerAccountRow,
        &sql,
        [org_id, external_id],
        fetch_optional
    )?)
}

/// Every account of the partner, for counting populations and mapping.
pub async fn all(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<PartnerAccountRow>> {
    let sql = format!("select {COLUMNS} from partner_accounts where org_id = $1 order by id");
    Ok(fetch!(ex, PartnerAccountRow, &sql, [org_id], fetch_all)?)
}

/// How many accounts the partner has brought.
pub async fn count(ex: &mut Exec<'_>, org_id: Uuid) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select count(*) from partner_accounts where org_id = $1",
        [org_id],
        fetch_one
    )?)
}

/// A page of the partner's accounts by name, optionally those whose name contains `q`.
pub async fn page(
    ex: &mut Exec<'_>,
    org_id: Uuid,
    q: Option<&str>,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<PartnerAccountRow>> {
    let pattern = q.map(|q| format!("%{}%", escape_like(&q.trim().to_lowercase())));
    let (name, id) = after.map_or((None, Uuid::nil()), |c| (Some(c.key.clone()), c.id));
    let sql = format!(
        "select {COLUMNS} from partner_accounts where org_id = $1 \
         and ($2 is null or lower(name) like $2 escape '\\') \
         and ($3 is null or name > $3 or (name = $3 and id > $4)) \
         order by name, id limit $5"
    );
    let rows = fetch!(
        ex,
        PartnerAccountRow,
        &sql,
        [
            org_id,
            pattern,
            name,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.name.clone(),
        id: r.id,
    }))
}
