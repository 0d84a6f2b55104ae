//! Partner profiles (one per partner organisation), their specialisations and status history.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `partner_profiles` row.
#[derive(Clone, Debug, FromRow)]
pub struct ProfileRow {
    pub org_id: Uuid,
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub description: String,
    pub employees: Option<i64>,
    pub founded_year: Option<i64>,
    pub customers: Option<i64>,
    /// Opted in to the public partner locator.
    pub listed: bool,
    pub fit_score: Option<i64>,
    pub fit_ipp_version: Option<i64>,
    /// Folded name, description and specialisation labels: what directory text search reads.
    pub search_text: String,
    pub approved_at: Option<i64>,
    pub activated_at: Option<i64>,
    pub first_deal_at: Option<i64>,
    pub tier_below_since: Option<i64>,
    pub tier_override: Option<String>,
    pub tier_override_reason: Option<String>,
    pub tier_override_until: Option<i64>,
    pub tier_evaluated_at: Option<i64>,
}

pub(crate) const COLUMNS: &str = "p.org_id, p.status, p.owner_id, p.description, p.employees, \
    p.founded_year, p.customers, p.listed, p.fit_score, p.fit_ipp_version, p.search_text, \
    p.approved_at, p.activated_at, p.first_deal_at, p.tier_below_since, p.tier_override, \
    p.tier_override_reason, p.tier_override_until, p.tier_evaluated_at";

/// Inserts a profile.
pub async fn insert(ex: &mut Exec<'_>, row: &ProfileRow) -> Result<()> {
    execute!(
        ex,
        "insert into partner_profiles (org_id, status, owner_id, description, employees, \
         founded_year, customers, listed, fit_score, fit_ipp_version, search_text, approved_at, \
         activated_at, first_deal_at, tier_below_since, tier_override, tier_override_reason, \
         tier_override_until, tier_evaluated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19)",
        [
            row.org_id,
            &row.status,
            row.owner_id,
            &row.description,
            row.employees,
            row.founded_year,
            row.customers,
            row.listed,
            row.fit_score,
            row.fit_ipp_version,
            &row.search_text,
            row.approved_at,
            row.activated_at,
            row.first_deal_at,
            row.tier_below_since,
            &row.tier_override,
            &row.tier_override_reason,
            row.tier_override_until,
            row.tier_evaluated_at
        ]
    )?;
    Ok(())
}

/// Finds the profile of a partner organisation.
pub async fn find(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Option<ProfileRow>> {
    let sql = format!("select {COLUMNS} from partner_profiles p where p.org_id = $1");
    Ok(fetch!(ex, ProfileRow, &sql, [org_id], fetch_optional)?)
}

/// Writes every column of a profile (the caller read it in the same transaction).
pub async fn update(ex: &mut Exec<'_>, row: &ProfileRow) -> Result<()> {
    let n = execute!(
        ex,
        "update partner_profiles set status = $2, owner_id = $3, description = $4, \
         employees = $5, founded_year = $6, customers = $7, listed = $8, fit_score = $9, \
         fit_ipp_version = $10, search_text = $11, approved_at = $12, activated_at = $13, \
         first_deal_at = $14, tier_below_since = $15, tier_override = $16, \
         tier_override_reason = $17, tier_override_until = $18, tier_evaluated_at = $19 \
         where org_id = $1",
        [
            row.org_id,
            &row.status,
            row.owner_id,
            &row.description,
            row.employees,
            row.founded_year,
            row.customers,
            row.listed,
            row.fit_score,
            row.fit_ipp_version,
            &row.search_text,
            row.approved_at,
            row.activated_at,
            row.first_deal_at,
            row.tier_below_since,
            &row.tier_override,
            &row.tier_override_reason,
            row.tier_override_until,
            row.tier_evaluated_at
        ]
    )?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// Every partner organisation id with a profile, for whole-program jobs (rescoring, tiering).
pub async fn all_ids(ex: &mut Exec<'_>) -> Result<Vec<Uuid>> {
    Ok(crate::scalar!(
        ex,
        Uuid,
        "select org_id from partner_profiles order by org_id",
        [],
        fetch_all
    )?)
}

/// One `partner_specialisations` row.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct SpecialisationRow {
    pub org_id: Uuid,
    /// `industry`, `technology`, `segment` or `region`.
    pub facet: String,
    /// The id (`healthcare`, `emea`) or, for technologies, the case-folded key.
    pub value: String,
    /// The display form.
    pub label: String,
}

/// Replaces a partner's specialisations.
pub async fn replace_specialisations(
    ex: &mut Exec<'_>,
    org_id: Uuid,
    rows: &[SpecialisationRow],
) -> Result<()> {
    execute!(
        ex,
        "delete from partner_specialisations where org_id = $1",
        [org_id]
    )?;
    for r in rows {
        execute!(
            ex,
            "insert into partner_specialisations (org_id, facet, value, label) \
             values ($1, $2, $3, $4)",
            [org_id, &r.facet, &r.value, &r.label]
        )?;
    }
    Ok(())
}

/// A partner's specialisations, by facet then label.
pub async fn specialisations(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<SpecialisationRow>> {
    Ok(fetch!(
        ex,
        SpecialisationRow,
        "select org_id, facet, value, label from partner_specialisations where org_id = $1 \
         order by facet, label",
        [org_id],
        fetch_all
    )?)
}

/// The specialisations of several partners (a directory page), in one query.
pub async fn specialisations_of(
    ex: &mut Exec<'_>,
    org_ids: &[Uuid],
) -> Result<Vec<SpecialisationRow>> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = crate::args::Args::new();
    let list = args.list(org_ids.iter().copied());
    let sql = format!(
        "select org_id, facet, value, label from partner_specialisations \
         where org_id in ({list}) order by org_id, facet, label"
    );
    Ok(crate::fetch_args!(
        ex,
        SpecialisationRow,
        &sql,
        args,
        fetch_all
    )?)
}

/// One `partner_status_changes` row.
#[derive(Clone, Debug, FromRow)]
pub struct StatusChangeRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: String,
    pub actor_id: Option<Uuid>,
    pub created_at: i64,
}

/// Records a status change.
pub async fn insert_status_change(ex: &mut Exec<'_>, row: &StatusChangeRow) -> Result<()> {
    execute!(
        ex,
        "insert into partner_status_changes (id, org_id, from_status, to_status, reason, \
         actor_id, created_at) values ($1, $2, $3, $4, $5, $6, $7)",
        [
            row.id,
            row.org_id,
            &row.from_status,
            &row.to_status,
            &row.reason,
            row.actor_id,
            row.created_at
        ]
    )?;
    Ok(())
}

/// A partner's status history, oldest first.
pub async fn status_changes(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<StatusChangeRow>> {
    Ok(fetch!(
        ex,
        StatusChangeRow,
        "select id, org_id, from_status, to_status, reason, actor_id, created_at \
         from partner_status_changes where org_id = $1 order by created_at, id",
        [org_id],
        fetch_all
    )?)
}

/// `(status, approved_at, activated_at, first_deal_at)` of every partner, for program figures.
pub async fn lifecycle_dates(
    ex: &mut Exec<'_>,
) -> Result<Vec<(String, Option<i64>, Option<i64>, Option<i64>)>> {
    Ok(fetch!(
        ex,
        (String, Option<i64>, Option<i64>, Option<i64>),
        "select status, approved_at, activated_at, first_deal_at from partner_profiles",
        [],
        fetch_all
    )?)
}

/// Open onboarding tasks past due, across the program: every task of a partner still
/// onboarding, and required ones of active partners (the tasks that are chased).
pub async fn overdue_task_count(ex: &mut Exec<'_>, now: i64) -> Result<i64> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select count(*) from onboarding_tasks t join partner_profiles p on p.org_id = t.org_id \
         where t.status = 'open' and t.due_at <= $1 \
         and (p.status = 'onboarding' or (p.status = 'active' and t.required))",
        [now],
        fetch_one
    )?)
}
