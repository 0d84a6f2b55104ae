//! Recurring jobs. Each schedule has a next run time; the worker that moves it forward (an
//! atomic conditional update, so exactly one of several workers on several instances wins)
//! enqueues that run's job in the same transaction.

use crate::db::Exec;
use crate::error::Result;
use crate::execute;

/// Claims the run of `name` due at or before `now` by moving it to `next`. Creates the schedule
/// (due at once) the first time. Returns true when this caller won the run.
pub async fn claim(ex: &mut Exec<'_>, name: &str, now: i64, next: i64) -> Result<bool> {
    // dialect: `on conflict do nothing` is portable across SQLite ≥ 3.24 and PostgreSQL.
    execute!(
        ex,
        "insert into schedules (name, next_run_at) values ($1, $2) on conflict (name) do nothing",
        [name, now]
    )?;
    let n = execute!(
        ex,
        "update schedules set next_run_at = $3 where name = $1 and next_run_at <= $2",
        [name, now, next]
    )?;
    Ok(n == 1)
}

/// When a schedule next runs, if it exists.
pub async fn next_run_at(ex: &mut Exec<'_>, name: &str) -> Result<Option<i64>> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select next_run_at from schedules where name = $1",
        [name],
        fetch_optional
    )?)
}
