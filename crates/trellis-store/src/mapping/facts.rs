//! The account fields populations are defined over, read in bulk for counting and mapping.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{fetch, scalar};

/// One account as populations see it: the vendor's CRM account or a partner's.
#[derive(Clone, Debug, FromRow)]
pub struct FactsRow {
    pub id: Uuid,
    pub name: String,
    pub domain: String,
    pub country: String,
    pub industry: String,
    pub account_type: String,
    pub relationship: String,
    pub owner_name: String,
    pub employees: Option<i64>,
    pub open_opportunities: i64,
}

/// The vendor's live CRM accounts, with their open opportunities counted.
pub async fn vendor_accounts(ex: &mut Exec<'_>) -> Result<Vec<FactsRow>> {
    Ok(fetch!(
        ex,
        FactsRow,
        "select a.id, a.name, a.domain, a.country, a.industry, a.account_type, a.relationship, \
                a.owner_name, a.employees, coalesce(o.n, 0) as open_opportunities \
         from accounts a left join \
              (select account_id, count(*) as n from opportunities \
                where status = 'open' and not archived group by account_id) o \
           on o.account_id = a.id \
         where not a.archived order by a.id",
        [],
        fetch_all
    )?)
}

/// A partner's accounts.
pub async fn partner_accounts(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<FactsRow>> {
    Ok(fetch!(
        ex,
        FactsRow,
        "select id, name, domain, country, industry, account_type, relationship, owner_name, \
                employees, open_opportunities \
         from partner_accounts where org_id = $1 order by id",
        [org_id],
        fetch_all
    )?)
}

/// When the vendor's accounts or opportunities last changed (0 with none): populations
/// counted after it are current.
pub async fn vendor_changed_at(ex: &mut Exec<'_>) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select cast(coalesce(max(t), 0) as bigint) from \
         (select max(updated_at) as t from accounts \
          union all select max(updated_at) from opportunities) x",
        [],
        fetch_one
    )?)
}

/// When a partner's accounts last changed (0 with none).
pub async fn partner_changed_at(ex: &mut Exec<'_>, org_id: Uuid) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select cast(coalesce(max(updated_at), 0) as bigint) from partner_accounts \
         where org_id = $1",
        [org_id],
        fetch_one
    )?)
}
