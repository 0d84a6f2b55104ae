//! Program agreements: versioned texts per partner type (or `all`), and who accepted which.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `agreements` row: one published version of one agreement.
#[derive(Clone, Debug, FromRow)]
pub struct AgreementRow {
    pub id: Uuid,
    /// A partner type id, or `all` for the agreement of types without their own.
    pub scope: String,
    pub version: i64,
    pub title: String,
    pub body: String,
    /// What changed since the previous version, shown when partners re-accept.
    pub changes: String,
    pub published_by: Option<Uuid>,
    pub published_at: i64,
}

const COLUMNS: &str = "id, scope, version, title, body, changes, published_by, published_at";

/// Publishes a version; `Conflict` if the number is taken (a concurrent publish).
pub async fn insert(ex: &mut Exec<'_>, row: &AgreementRow) -> Result<()> {
    execute!(
        ex,
        "insert into agreements (id, scope, version, title, body, changes, published_by, \
         published_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            row.id,
            &row.scope,
            row.version,
            &row.title,
            &row.body,
            &row.changes,
            row.published_by,
            row.published_at
        ]
    )?;
    Ok(())
}

/// Finds a version by id.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<AgreementRow>> {
    let sql = format!("select {COLUMNS} from agreements where id = $1");
    Ok(fetch!(ex, AgreementRow, &sql, [id], fetch_optional)?)
}

/// The newest version of a scope.
pub async fn current(ex: &mut Exec<'_>, scope: &str) -> Result<Option<AgreementRow>> {
    let sql =
        format!("select {COLUMNS} from agreements where scope = $1 order by version desc limit 1");
    Ok(fetch!(ex, AgreementRow, &sql, [scope], fetch_optional)?)
}

/// The newest version of every scope.
pub async fn current_all(ex: &mut Exec<'_>) -> Result<Vec<AgreementRow>> {
    let sql = format!(
        "select {COLUMNS} from agreements a where version = \
         (select max(version) from agreements b where b.scope = a.scope) order by scope"
    );
    Ok(fetch!(ex, AgreementRow, &sql, [], fetch_all)?)
}

/// Every version of a scope, newest first.
pub async fn history(ex: &mut Exec<'_>, scope: &str) -> Result<Vec<AgreementRow>> {
    let sql = format!("select {COLUMNS} from agreements where scope = $1 order by version desc");
    Ok(fetch!(ex, AgreementRow, &sql, [scope], fetch_all)?)
}

/// One `agreement_acceptances` row.
#[derive(Clone, Debug, FromRow)]
pub struct AcceptanceRow {
    pub id: Uuid,
    pub agreement_id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    /// The accepting user's name at the time, kept even if the user changes later.
    pub accepted_name: String,
    pub accepted_at: i64,
}

/// Records an acceptance; `Conflict` if this organisation already accepted this version.
pub async fn accept(ex: &mut Exec<'_>, row: &AcceptanceRow) -> Result<()> {
    execute!(
        ex,
        "insert into agreement_acceptances (id, agreement_id, org_id, user_id, accepted_name, \
         accepted_at) values ($1, $2, $3, $4, $5, $6)",
        [
            row.id,
            row.agreement_id,
            row.org_id,
            row.user_id,
            &row.accepted_name,
            row.accepted_at
        ]
    )?;
    Ok(())
}

/// The acceptance of one version by one organisation.
pub async fn acceptance(
    ex: &mut Exec<'_>,
    agreement_id: Uuid,
    org_id: Uuid,
) -> Result<Option<AcceptanceRow>> {
    Ok(fetch!(
        ex,
        AcceptanceRow,
        "select id, agreement_id, org_id, user_id, accepted_name, accepted_at \
         from agreement_acceptances where agreement_id = $1 and org_id = $2",
        [agreement_id, org_id],
        fetch_optional
    )?)
}

/// An acceptance joined with the version it accepted.
#[derive(Clone, Debug, FromRow)]
pub struct AcceptedRow {
    #[sqlx(flatten)]
    pub acceptance: AcceptanceRow,
    pub scope: String,
    pub version: i64,
    pub title: String,
}

/// Everything an organisation accepted, newest first.
pub async fn acceptances(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<AcceptedRow>> {
    Ok(fetch!(
        ex,
        AcceptedRow,
        "select x.id, x.agreement_id, x.org_id, x.user_id, x.accepted_name, x.accepted_at, \
         a.scope, a.version, a.title from agreement_acceptances x \
         join agreements a on a.id = x.agreement_id where x.org_id = $1 \
         order by x.accepted_at desc, x.id",
        [org_id],
        fetch_all
    )?)
}

/// How many organisations accepted a version.
pub async fn acceptance_count(ex: &mut Exec<'_>, agreement_id: Uuid) -> Result<i64> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select count(*) from agreement_acceptances where agreement_id = $1",
        [agreement_id],
        fetch_one
    )?)
}
