//! Co-sell requests, both ways, with the names people read them by (partner, account,
//! opportunity, the people who asked and answered).

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch};

/// One `cosell_requests` row with the names joined to it.
#[derive(Clone, Debug, FromRow)]
pub struct RequestRow {
    pub id: Uuid,
    /// `vendor_to_partner` or `partner_to_vendor`.
    pub direction: String,
    pub kind: String,
    /// `open`, `accepted`, `declined`, `withdrawn` or `completed`.
    pub status: String,
    /// The partner: asked, or asking.
    pub org_id: Uuid,
    /// Read only: joined from `orgs`.
    pub org_name: String,
    pub account_id: Option<Uuid>,
    /// Read only: joined from `accounts`.
    pub account_name: Option<String>,
    pub opportunity_id: Option<Uuid>,
    /// Read only: joined from `opportunities`.
    pub opportunity_name: Option<String>,
    pub registration_id: Option<Uuid>,
    /// The customer the help is for, as it was named when asked.
    pub customer_name: String,
    pub message: String,
    pub requested_by: Uuid,
    /// Read only: joined from `users`.
    pub requested_by_name: String,
    /// Read only: joined from `users`.
    pub requested_by_email: String,
    pub answered_by: Option<Uuid>,
    /// Read only: joined from `users`.
    pub answered_by_name: Option<String>,
    pub answered_at: Option<i64>,
    /// The accepting note or the reason for declining.
    pub answer: Option<String>,
    /// Who withdrew or completed it.
    pub closed_by: Option<Uuid>,
    /// Read only: joined from `users`.
    pub closed_by_name: Option<String>,
    pub closed_at: Option<i64>,
    pub close_note: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "r.id, r.direction, r.kind, r.status, r.org_id, o.name as org_name, \
    r.account_id, a.name as account_name, r.opportunity_id, p.name as opportunity_name, \
    r.registration_id, r.customer_name, r.message, r.requested_by, \
    u.name as requested_by_name, u.email as requested_by_email, r.answered_by, \
    ua.name as answered_by_name, r.answered_at, r.answer, r.closed_by, \
    uc.name as closed_by_name, r.closed_at, r.close_note, r.version, r.created_at, \
    r.updated_at";

const FROM: &str = "cosell_requests r join orgs o on o.id = r.org_id \
    join users u on u.id = r.requested_by \
    left join accounts a on a.id = r.account_id \
    left join opportunities p on p.id = r.opportunity_id \
    left join users ua on ua.id = r.answered_by \
    left join users uc on uc.id = r.closed_by";

/// Inserts a request (the joined names and `version` are ignored).
pub async fn insert(ex: &mut Exec<'_>, r: &RequestRow) -> Result<()> {
    execute!(
        ex,
        "insert into cosell_requests (id, direction, kind, status, org_id, account_id, \
         opportunity_id, registration_id, customer_name, message, requested_by, answered_by, \
         answered_at, answer, closed_by, closed_at, close_note, version, created_at, \
         updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16, $17, 1, $18, $18)",
        [
            r.id,
            &r.direction,
            &r.kind,
            &r.status,
            r.org_id,
            r.account_id,
            r.opportunity_id,
            r.registration_id,
            &r.customer_name,
            &r.message,
            r.requested_by,
            r.answered_by,
            r.answered_at,
            &r.answer,
            r.closed_by,
            r.closed_at,
            &r.close_note,
            r.created_at
        ]
    )?;
    Ok(())
}

/// Writes the answer and closing fields and the status if `r.version` is still current, and
/// bumps the version. `false` when someone changed the request first.
pub async fn update(ex: &mut Exec<'_>, r: &RequestRow) -> Result<bool> {
    let n = execute!(
        ex,
        "update cosell_requests set status = $2, answered_by = $3, answered_at = $4, \
         answer = $5, closed_by = $6, closed_at = $7, close_note = $8, \
         version = version + 1, updated_at = $9 where id = $1 and version = $10",
        [
            r.id,
            &r.status,
            r.answered_by,
            r.answered_at,
            &r.answer,
            r.closed_by,
            r.closed_at,
            &r.close_note,
            r.updated_at,
            r.version
        ]
    )?;
    Ok(n == 1)
}

/// Finds a request; with `org_id`, only that partner's.
pub async fn find(ex: &mut Exec<'_>, id: Uuid, org_id: Option<Uuid>) -> Result<Option<RequestRow>> {
    let sql =
        format!("select {COLUMNS} from {FROM} where r.id = $1 and ($2 is null or r.org_id = $2)");
    Ok(fetch!(ex, RequestRow, &sql, [id, org_id], fetch_optional)?)
}

/// What lists filter by.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    /// One partner's only (always set for a partner).
    pub org_id: Option<Uuid>,
    pub direction: Option<String>,
    pub status: Option<String>,
    pub account_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
}

/// A page of requests, newest first.
pub async fn list(
    ex: &mut Exec<'_>,
    filter: &RequestFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<RequestRow>> {
    let sql = format!(
        "select {COLUMNS} from {FROM} \
         where ($1 is null or r.org_id = $1) \
           and ($2 is null or r.direction = $2) \
           and ($3 is null or r.status = $3) \
           and ($4 is null or r.account_id = $4) \
           and ($5 is null or r.opportunity_id = $5) \
           and ($6 is null or r.created_at < $6 or (r.created_at = $6 and r.id < $7)) \
         order by r.created_at desc, r.id desc limit $8"
    );
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (c.key.parse::<i64>().ok(), c.id));
    let rows = fetch!(
        ex,
        RequestRow,
        &sql,
        [
            filter.org_id,
            &filter.direction,
            &filter.status,
            filter.account_id,
            filter.opportunity_id,
            key,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.created_at.to_string(),
        id: r.id,
    }))
}
