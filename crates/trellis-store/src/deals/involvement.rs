//! Partners attached to vendor opportunities: the partner that sourced a deal (a converted
//! registration), partners co-selling or influencing it.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch, fetch_args};

/// One `opportunity_partners` row, with the partner's name.
#[derive(Clone, Debug, FromRow)]
pub struct InvolvementRow {
    pub opportunity_id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    /// `sourced`, `co_sell` or `influence`.
    pub role: String,
    pub registration_id: Option<Uuid>,
    pub created_at: i64,
}

/// Attaches a partner to an opportunity (or changes its role there).
pub async fn attach(
    ex: &mut Exec<'_>,
    opportunity_id: Uuid,
    org_id: Uuid,
    role: &str,
    registration_id: Option<Uuid>,
    now: i64,
) -> Result<()> {
    execute!(
        ex,
        "insert into opportunity_partners (opportunity_id, org_id, role, registration_id, \
         created_at) values ($1, $2, $3, $4, $5) \
         on conflict (opportunity_id, org_id) do update set role = excluded.role, \
         registration_id = coalesce(excluded.registration_id, opportunity_partners.registration_id)",
        [opportunity_id, org_id, role, registration_id, now]
    )?;
    Ok(())
}

/// Attaches a partner to an opportunity unless it is already on it (in whatever role).
/// `true` when it was attached.
pub async fn attach_if_absent(
    ex: &mut Exec<'_>,
    opportunity_id: Uuid,
    org_id: Uuid,
    role: &str,
    now: i64,
) -> Result<bool> {
    let n = execute!(
        ex,
        "insert into opportunity_partners (opportunity_id, org_id, role, registration_id, \
         created_at) values ($1, $2, $3, null, $4) \
         on conflict (opportunity_id, org_id) do nothing",
        [opportunity_id, org_id, role, now]
    )?;
    Ok(n == 1)
}

/// The partners on some opportunities.
pub async fn of_opportunities(ex: &mut Exec<'_>, ids: &[Uuid]) -> Result<Vec<InvolvementRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = crate::args::Args::new();
    let list = args.list(ids.iter().copied());
    let sql = format!(
        "select p.opportunity_id, p.org_id, o.name as org_name, p.role, p.registration_id, \
         p.created_at from opportunity_partners p join orgs o on o.id = p.org_id \
         where p.opportunity_id in ({list}) order by p.opportunity_id, p.created_at"
    );
    Ok(fetch_args!(ex, InvolvementRow, &sql, args, fetch_all)?)
}

/// Every opportunity a partner is on.
pub async fn of_partner(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<InvolvementRow>> {
    Ok(fetch!(
        ex,
        InvolvementRow,
        "select p.opportunity_id, p.org_id, o.name as org_name, p.role, p.registration_id, \
         p.created_at from opportunity_partners p join orgs o on o.id = p.org_id \
         where p.org_id = $1 order by p.created_at desc",
        [org_id],
        fetch_all
    )?)
}
