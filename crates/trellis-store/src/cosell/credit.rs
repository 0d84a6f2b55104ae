//! What the comp-credit report reads: live opportunities closing in a date range that at
//! least one partner is on, one row per opportunity and partner.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::fetch;

/// One partner on one opportunity, with the opportunity's figures and owner.
#[derive(Clone, Debug, FromRow)]
pub struct InvolvedRow {
    pub opportunity_id: Uuid,
    pub opportunity_name: String,
    pub account_id: Option<Uuid>,
    pub account_name: Option<String>,
    /// `open`, `won` or `lost`.
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub close_date: String,
    /// The owning rep, when the CRM's owner is a vendor user.
    pub owner_id: Option<Uuid>,
    /// The rep's name: the user's, else as the CRM wrote it.
    pub owner_name: String,
    pub org_id: Uuid,
    pub org_name: String,
    /// `sourced`, `co_sell` or `influence`.
    pub role: String,
    pub registration_id: Option<Uuid>,
}

/// Every partner on every live (not archived) opportunity closing between `from` and `to`
/// (inclusive, `YYYY-MM-DD`); with `owner_id`, only that rep's opportunities. Ordered by
/// owner, close date and opportunity, partners by when they joined.
pub async fn involved(
    ex: &mut Exec<'_>,
    from: &str,
    to: &str,
    owner_id: Option<Uuid>,
) -> Result<Vec<InvolvedRow>> {
    Ok(fetch!(
        ex,
        InvolvedRow,
        "select o.id as opportunity_id, o.name as opportunity_name, o.account_id, \
         a.name as account_name, o.status, o.amount_minor, o.currency, o.close_date, \
         o.owner_id, coalesce(u.name, o.owner_name) as owner_name, p.org_id, \
         g.name as org_name, p.role, p.registration_id \
         from opportunity_partners p \
         join opportunities o on o.id = p.opportunity_id \
         join orgs g on g.id = p.org_id \
         left join accounts a on a.id = o.account_id \
         left join users u on u.id = o.owner_id \
         where not o.archived and o.close_date >= $1 and o.close_date <= $2 \
           and ($3 is null or o.owner_id = $3) \
         order by coalesce(u.name, o.owner_name), o.owner_id, o.close_date, o.name, o.id, \
           p.created_at, p.org_id",
        [from, to, owner_id],
        fetch_all
    )?)
}
