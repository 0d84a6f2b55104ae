//! Partner applications from the public form, and their review.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch, scalar};

/// One `applications` row.
#[derive(Clone, Debug, FromRow)]
pub struct ApplicationRow {
    pub id: Uuid,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub company_name: String,
    pub website: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub partner_type: String,
    /// `{"industries": [...], "technologies": [...], "segments": [...], "regions_served": [...]}`.
    pub specialisations: Json<Value>,
    pub employees: Option<i64>,
    pub founded_year: Option<i64>,
    pub customers: Option<i64>,
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub fit_score: Option<i64>,
    pub ipp_version: Option<i64>,
    pub reviewer_id: Option<Uuid>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
    /// The partner organisation created on approval.
    pub org_id: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, status, company_name, website, country, region, partner_type, \
    specialisations, employees, founded_year, customers, description, contact_name, \
    contact_email, contact_phone, fit_score, ipp_version, reviewer_id, decided_at, \
    decision_reason, org_id, version, created_at, updated_at";

/// Inserts an application.
pub async fn insert(ex: &mut Exec<'_>, row: &ApplicationRow) -> Result<()> {
    execute!(
        ex,
        "insert into applications (id, status, company_name, website, country, region, \
         partner_type, specialisations, employees, founded_year, customers, description, \
         contact_name, contact_email, contact_email_norm, contact_phone, fit_score, \
         ipp_version, version, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, 1, $19, $19)",
        [
            row.id,
            &row.status,
            &row.company_name,
            &row.website,
            &row.country,
            &row.region,
            &row.partner_type,
            &row.specialisations,
            row.employees,
            row.founded_year,
            row.customers,
            &row.description,
            &row.contact_name,
            &row.contact_email,
            row.contact_email.to_lowercase(),
            &row.contact_phone,
            row.fit_score,
            row.ipp_version,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Finds an application.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<ApplicationRow>> {
    let sql = format!("select {COLUMNS} from applications where id = $1");
    Ok(fetch!(ex, ApplicationRow, &sql, [id], fetch_optional)?)
}

/// Whether a pending application from this e-mail address exists (one at a time per person).
pub async fn pending_from(ex: &mut Exec<'_>, email: &str) -> Result<bool> {
    let n = scalar!(
        ex,
        i64,
        "select count(*) from applications where contact_email_norm = $1 and status = 'pending'",
        [email.to_lowercase()],
        fetch_one
    )?;
    Ok(n > 0)
}

/// Applications in one status (all when `None`), oldest first: the review queue's order.
pub async fn list(
    ex: &mut Exec<'_>,
    status: Option<&str>,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<ApplicationRow>> {
    let sql = format!(
        "select {COLUMNS} from applications where ($1 is null or status = $1) \
         and ($2 is null or created_at > $2 or (created_at = $2 and id > $3)) \
         order by created_at, id limit $4"
    );
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (c.key.parse::<i64>().ok(), c.id));
    let rows = fetch!(
        ex,
        ApplicationRow,
        &sql,
        [
            status,
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

/// Applications per status.
pub async fn counts(ex: &mut Exec<'_>) -> Result<Vec<(String, i64)>> {
    Ok(fetch!(
        ex,
        (String, i64),
        "select status, count(*) from applications group by status",
        [],
        fetch_all
    )?)
}

/// Every pending application id (rescoring after an IPP change).
pub async fn pending_ids(ex: &mut Exec<'_>) -> Result<Vec<Uuid>> {
    Ok(scalar!(
        ex,
        Uuid,
        "select id from applications where status = 'pending' order by id",
        [],
        fetch_all
    )?)
}

/// Records the decision if `expected_version` is current and the application is pending.
pub async fn decide(
    ex: &mut Exec<'_>,
    row: &ApplicationRow,
    expected_version: i64,
) -> Result<bool> {
    let n = execute!(
        ex,
        "update applications set status = $2, reviewer_id = $3, decided_at = $4, \
         decision_reason = $5, org_id = $6, version = version + 1, updated_at = $4 \
         where id = $1 and version = $7 and status = 'pending'",
        [
            row.id,
            &row.status,
            row.reviewer_id,
            row.decided_at,
            &row.decision_reason,
            row.org_id,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Stores a new fit score for a pending application.
pub async fn set_fit(ex: &mut Exec<'_>, id: Uuid, score: i64, ipp_version: i64) -> Result<()> {
    execute!(
        ex,
        "update applications set fit_score = $2, ipp_version = $3 where id = $1",
        [id, score, ipp_version]
    )?;
    Ok(())
}
