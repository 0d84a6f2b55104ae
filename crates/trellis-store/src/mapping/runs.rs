//! Mapping runs and their results: each side's matrix cells and overlapping pairs. Every read
//! of a result takes the viewing side: a side reads only its own view.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::platform::orgs::escape_like;
use crate::{execute, fetch};

/// One `mapping_runs` row.
#[derive(Clone, Debug, FromRow)]
pub struct RunRow {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub partner_org_id: Uuid,
    /// `hosted` or `private`.
    pub mode: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// 0–100.
    pub progress: i64,
    /// What it is doing, in words.
    pub stage: String,
    pub error: Option<String>,
    pub requested_by: Option<Uuid>,
    pub requested_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub vendor_policy: Option<Json<Value>>,
    pub partner_policy: Option<Json<Value>>,
    pub vendor_populations: Option<Json<Value>>,
    pub partner_populations: Option<Json<Value>>,
    pub vendor_accounts: Option<i64>,
    pub partner_accounts: Option<i64>,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, connection_id, partner_org_id, mode, status, progress, stage, error, \
    requested_by, requested_at, started_at, finished_at, vendor_policy, partner_policy, \
    vendor_populations, partner_populations, vendor_accounts, partner_accounts, updated_at";

/// Queues a run.
pub async fn insert(ex: &mut Exec<'_>, row: &RunRow) -> Result<()> {
    execute!(
        ex,
        "insert into mapping_runs (id, connection_id, partner_org_id, mode, status, progress, \
         stage, requested_by, requested_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        [
            row.id,
            row.connection_id,
            row.partner_org_id,
            &row.mode,
            &row.status,
            row.progress,
            &row.stage,
            row.requested_by,
            row.requested_at
        ]
    )?;
    Ok(())
}

/// One run.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<RunRow>> {
    let sql = format!("select {COLUMNS} from mapping_runs where id = $1");
    Ok(fetch!(ex, RunRow, &sql, [id], fetch_optional)?)
}

/// A connection's queued or running run, if any.
pub async fn pending(ex: &mut Exec<'_>, connection_id: Uuid) -> Result<Option<RunRow>> {
    let sql = format!(
        "select {COLUMNS} from mapping_runs where connection_id = $1 \
         and status in ('queued', 'running') order by requested_at desc, id desc limit 1"
    );
    Ok(fetch!(ex, RunRow, &sql, [connection_id], fetch_optional)?)
}

/// A connection's runs, newest first.
pub async fn of_connection(
    ex: &mut Exec<'_>,
    connection_id: Uuid,
    limit: i64,
) -> Result<Vec<RunRow>> {
    let sql = format!(
        "select {COLUMNS} from mapping_runs where connection_id = $1 \
         order by requested_at desc, id desc limit $2"
    );
    Ok(fetch!(ex, RunRow, &sql, [connection_id, limit], fetch_all)?)
}

/// The newest finished run of each connection the filter lets through (`partner` = one
/// partner's only).
pub async fn latest_done(ex: &mut Exec<'_>, partner: Option<Uuid>) -> Result<Vec<RunRow>> {
    let sql = format!(
        "select {COLUMNS} from mapping_runs r where status = 'done' \
         and ($1 is null or partner_org_id = $1) \
         and not exists (select 1 from mapping_runs n where n.connection_id = r.connection_id \
            and n.status = 'done' and (n.requested_at > r.requested_at \
              or (n.requested_at = r.requested_at and n.id > r.id)))"
    );
    Ok(fetch!(ex, RunRow, &sql, [partner], fetch_all)?)
}

/// Moves a run on: its status, progress and stage.
pub async fn set_progress(
    ex: &mut Exec<'_>,
    id: Uuid,
    status: &str,
    progress: i64,
    stage: &str,
    at: i64,
) -> Result<()> {
    execute!(
        ex,
        "update mapping_runs set status = $1, progress = $2, stage = $3, updated_at = $4, \
         started_at = coalesce(started_at, $4) where id = $5",
        [status, progress, stage, at, id]
    )?;
    Ok(())
}

/// What a run used: both sides' policies and populations, and their account counts.
#[derive(Clone, Debug)]
pub struct RunInputs {
    pub vendor_policy: Json<Value>,
    pub partner_policy: Json<Value>,
    pub vendor_populations: Json<Value>,
    pub partner_populations: Json<Value>,
    pub vendor_accounts: i64,
    pub partner_accounts: i64,
}

/// Ends a run that succeeded.
pub async fn finish(ex: &mut Exec<'_>, id: Uuid, inputs: &RunInputs, at: i64) -> Result<()> {
    execute!(
        ex,
        "update mapping_runs set status = 'done', progress = 100, stage = 'done', \
         vendor_policy = $1, partner_policy = $2, vendor_populations = $3, \
         partner_populations = $4, vendor_accounts = $5, partner_accounts = $6, \
         finished_at = $7, updated_at = $7 where id = $8",
        [
            &inputs.vendor_policy,
            &inputs.partner_policy,
            &inputs.vendor_populations,
            &inputs.partner_populations,
            inputs.vendor_accounts,
            inputs.partner_accounts,
            at,
            id
        ]
    )?;
    Ok(())
}

/// Ends a run that failed, with the reason.
pub async fn fail(ex: &mut Exec<'_>, id: Uuid, error: &str, at: i64) -> Result<()> {
    execute!(
        ex,
        "update mapping_runs set status = 'failed', stage = 'failed', error = $1, \
         finished_at = $2, updated_at = $2 where id = $3",
        [error, at, id]
    )?;
    Ok(())
}

/// One cell of a side's matrix.
#[derive(Clone, Debug, FromRow)]
pub struct CellRow {
    pub run_id: Uuid,
    pub viewer_org_id: Uuid,
    pub ours: String,
    pub theirs: String,
    /// `None` where the other side's minimum count hides it.
    pub overlap: Option<i64>,
}

/// Writes a side's matrix.
pub async fn insert_cells(ex: &mut Exec<'_>, cells: &[CellRow]) -> Result<()> {
    for c in cells {
        execute!(
            ex,
            "insert into mapping_run_cells (run_id, viewer_org_id, ours, theirs, overlap) \
             values ($1, $2, $3, $4, $5)",
            [c.run_id, c.viewer_org_id, &c.ours, &c.theirs, c.overlap]
        )?;
    }
    Ok(())
}

/// A side's matrix.
pub async fn cells(ex: &mut Exec<'_>, run_id: Uuid, viewer: Uuid) -> Result<Vec<CellRow>> {
    Ok(fetch!(
        ex,
        CellRow,
        "select run_id, viewer_org_id, ours, theirs, overlap from mapping_run_cells \
         where run_id = $1 and viewer_org_id = $2",
        [run_id, viewer],
        fetch_all
    )?)
}

/// One overlapping pair in a side's view.
#[derive(Clone, Debug, FromRow)]
pub struct OverlapRow {
    pub id: Uuid,
    pub run_id: Uuid,
    pub viewer_org_id: Uuid,
    /// The viewer's own account.
    pub account_id: Uuid,
    pub account_name: String,
    pub owner_name: String,
    pub open_opportunities: i64,
    /// `,key,key,`: the viewer's populations the account is in.
    pub our_populations: String,
    /// `,key,key,`: the other side's record-shared populations its record is in.
    pub their_populations: String,
    /// The other side's shared fields of its record.
    pub their_fields: Json<Value>,
    /// Their customer × our open opportunity.
    pub flagged: bool,
}

const OVERLAP_COLUMNS: &str = "id, run_id, viewer_org_id, account_id, account_name, owner_name, \
    open_opportunities, our_populations, their_populations, their_fields, flagged";

/// Writes a side's overlapping pairs.
pub async fn insert_overlaps(ex: &mut Exec<'_>, rows: &[OverlapRow]) -> Result<()> {
    for r in rows {
        execute!(
            ex,
            "insert into mapping_overlaps (id, run_id, viewer_org_id, account_id, account_name, \
             owner_name, open_opportunities, our_populations, their_populations, their_fields, \
             flagged) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            [
                r.id,
                r.run_id,
                r.viewer_org_id,
                r.account_id,
                &r.account_name,
                &r.owner_name,
                r.open_opportunities,
                &r.our_populations,
                &r.their_populations,
                &r.their_fields,
                r.flagged
            ]
        )?;
    }
    Ok(())
}

/// Which of a side's overlapping pairs to read.
#[derive(Clone, Debug, Default)]
pub struct OverlapFilter {
    /// In this population of the viewer's.
    pub ours: Option<String>,
    /// In this population of the other side's.
    pub theirs: Option<String>,
    /// Flagged for co-selling only.
    pub flagged: bool,
    /// Account name contains.
    pub q: Option<String>,
}

/// A page of a side's overlapping pairs, by account name.
pub async fn overlaps(
    ex: &mut Exec<'_>,
    run_id: Uuid,
    viewer: Uuid,
    filter: &OverlapFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<OverlapRow>> {
    let member = |k: &Option<String>| k.as_ref().map(|k| format!("%,{},%", escape_like(k)));
    let pattern = filter
        .q
        .as_ref()
        .map(|q| format!("%{}%", escape_like(&q.trim().to_lowercase())));
    let (name, id) = after.map_or((None, Uuid::nil()), |c| (Some(c.key.clone()), c.id));
    let sql = format!(
        "select {OVERLAP_COLUMNS} from mapping_overlaps where run_id = $1 and viewer_org_id = $2 \
         and ($3 is null or our_populations like $3 escape '\\') \
         and ($4 is null or their_populations like $4 escape '\\') \
         and ($5 = false or flagged = true) \
         and ($6 is null or lower(account_name) like $6 escape '\\') \
         and ($7 is null or account_name > $7 or (account_name = $7 and id > $8)) \
         order by account_name, id limit $9"
    );
    let rows = fetch!(
        ex,
        OverlapRow,
        &sql,
        [
            run_id,
            viewer,
            member(&filter.ours),
            member(&filter.theirs),
            filter.flagged,
            pattern,
            name,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.account_name.clone(),
        id: r.id,
    }))
}

/// How many of a side's accounts have an overlap flagged for co-selling.
pub async fn flagged_count(ex: &mut Exec<'_>, run_id: Uuid, viewer: Uuid) -> Result<i64> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select count(distinct account_id) from mapping_overlaps where run_id = $1 and viewer_org_id = $2 \
         and flagged = true",
        [run_id, viewer],
        fetch_one
    )?)
}
