//! The job queue, which is also the outbox: jobs are inserted in the transaction that caused
//! them, claimed with leases, retried with backoff and end in a visible dead state.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch, scalar};

/// One `jobs` row.
#[derive(Clone, Debug, FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub payload: Json<Value>,
    pub status: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, kind, payload, status, run_at, attempts, max_attempts, locked_by, \
                       locked_until, last_error, created_at, updated_at";

/// Enqueues a job.
pub async fn insert(ex: &mut Exec<'_>, row: &JobRow) -> Result<()> {
    execute!(
        ex,
        "insert into jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, \
         updated_at) values ($1, $2, $3, 'queued', $4, 0, $5, $6, $6)",
        [
            row.id,
            &row.kind,
            &row.payload,
            row.run_at,
            row.max_attempts,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Whether a job of `kind` is queued and not yet started.
pub async fn waiting(ex: &mut Exec<'_>, kind: &str) -> Result<bool> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select count(*) from jobs where kind = $1 and status = 'queued' and locked_by is null",
        [kind],
        fetch_one
    )? > 0)
}

/// Claims the next due job with a lease until `lease_until`.
///
/// The lease check is repeated in the outer `where` on purpose: on PostgreSQL a concurrent
/// claimer re-evaluates the row after waiting for its lock and then matches nothing, so a job
/// is never claimed twice. On SQLite writers are serialised anyway.
pub async fn claim(
    ex: &mut Exec<'_>,
    worker: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<JobRow>> {
    let sql = format!(
        "update jobs set locked_by = $1, locked_until = $2, attempts = attempts + 1, \
         updated_at = $3 \
         where id = (select id from jobs where status = 'queued' and run_at <= $3 \
                       and (locked_until is null or locked_until < $3) \
                     order by run_at, id limit 1) \
           and status = 'queued' and (locked_until is null or locked_until < $3) \
         returning {COLUMNS}"
    );
    Ok(fetch!(
        ex,
        JobRow,
        &sql,
        [worker, lease_until, now],
        fetch_optional
    )?)
}

/// Deletes a finished job, if `worker` still holds its lease.
pub async fn complete(ex: &mut Exec<'_>, id: Uuid, worker: &str) -> Result<bool> {
    let n = execute!(
        ex,
        "delete from jobs where id = $1 and locked_by = $2",
        [id, worker]
    )?;
    Ok(n == 1)
}

/// Schedules a retry after a failure.
pub async fn retry_later(
    ex: &mut Exec<'_>,
    id: Uuid,
    worker: &str,
    run_at: i64,
    error: &str,
    now: i64,
) -> Result<bool> {
    let n = execute!(
        ex,
        "update jobs set run_at = $3, locked_by = null, locked_until = null, last_error = $4, \
         updated_at = $5 where id = $1 and locked_by = $2",
        [id, worker, run_at, error, now]
    )?;
    Ok(n == 1)
}

/// Moves a job to the dead-letter state after its last attempt.
pub async fn bury(
    ex: &mut Exec<'_>,
    id: Uuid,
    worker: &str,
    error: &str,
    now: i64,
) -> Result<bool> {
    let n = execute!(
        ex,
        "update jobs set status = 'dead', locked_by = null, locked_until = null, \
         last_error = $3, updated_at = $4 where id = $1 and locked_by = $2",
        [id, worker, error, now]
    )?;
    Ok(n == 1)
}

/// Puts a dead job back in the queue with a fresh set of attempts.
pub async fn resurrect(ex: &mut Exec<'_>, id: Uuid, now: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update jobs set status = 'queued', attempts = 0, run_at = $2, updated_at = $2 \
         where id = $1 and status = 'dead'",
        [id, now]
    )?;
    Ok(n == 1)
}

/// Finds a job.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<JobRow>> {
    let sql = format!("select {COLUMNS} from jobs where id = $1");
    Ok(fetch!(ex, JobRow, &sql, [id], fetch_optional)?)
}

/// Lists jobs of a status, oldest `run_at` first.
pub async fn list(
    ex: &mut Exec<'_>,
    status: &str,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<JobRow>> {
    let sql = format!(
        "select {COLUMNS} from jobs where status = $1 \
         and ($2 is null or run_at > $2 or (run_at = $2 and id > $3)) \
         order by run_at, id limit $4"
    );
    let key: Option<i64> = after.and_then(|c| c.key.parse().ok());
    let id = after.map_or(Uuid::nil(), |c| c.id);
    let limit_plus = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows = fetch!(ex, JobRow, &sql, [status, key, id, limit_plus], fetch_all)?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.run_at.to_string(),
        id: r.id,
    }))
}

/// Counts jobs per status: (queued, dead).
pub async fn counts(ex: &mut Exec<'_>) -> Result<(i64, i64)> {
    let queued = scalar!(
        ex,
        i64,
        "select count(*) from jobs where status = 'queued'",
        [],
        fetch_one
    )?;
    let dead = scalar!(
        ex,
        i64,
        "select count(*) from jobs where status = 'dead'",
        [],
        fetch_one
    )?;
    Ok((queued, dead))
}

/// The earliest `run_at` of a queued job that no worker holds, so an idle worker knows how
/// long it may sleep (a leased job is someone else's until its lease ends).
pub async fn next_run_at(ex: &mut Exec<'_>, now: i64) -> Result<Option<i64>> {
    Ok(scalar!(
        ex,
        Option<i64>,
        "select min(run_at) from jobs where status = 'queued' \
         and (locked_until is null or locked_until < $1)",
        [now],
        fetch_one
    )?)
}
