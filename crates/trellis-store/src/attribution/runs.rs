//! Recorded runs of attribution models. The JSON columns are written and read by the service,
//! which owns their shape; here they are text.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch};

/// One `model_runs` row, with its author's name.
#[derive(Clone, Debug, FromRow)]
pub struct RunRow {
    pub id: Uuid,
    pub model: String,
    /// JSON: the model's parameters.
    pub params: String,
    /// JSON: the data cut (dates, currency, look-back) and what it held.
    pub cut: String,
    /// JSON: the journeys the model read.
    pub journeys: String,
    /// JSON: what the model credited to each channel.
    pub result: String,
    pub created_by: Option<Uuid>,
    /// Read only: joined from `users`.
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "r.id, r.model, r.params, r.cut, r.journeys, r.result, r.created_by, \
    u.name as created_by_name, r.created_at";

/// Records a run.
pub async fn insert(ex: &mut Exec<'_>, r: &RunRow) -> Result<()> {
    execute!(
        ex,
        "insert into model_runs (id, model, params, cut, journeys, result, created_by, \
         created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            r.id,
            &r.model,
            &r.params,
            &r.cut,
            &r.journeys,
            &r.result,
            r.created_by,
            r.created_at
        ]
    )?;
    Ok(())
}

/// One run.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<RunRow>> {
    let sql = format!(
        "select {COLUMNS} from model_runs r left join users u on u.id = r.created_by \
         where r.id = $1"
    );
    Ok(fetch!(ex, RunRow, &sql, [id], fetch_optional)?)
}

/// Runs, latest first. The journeys are left out (empty): a list never needs them.
pub async fn list(ex: &mut Exec<'_>, after: Option<&Cursor>, limit: usize) -> Result<Page<RunRow>> {
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (c.key.parse::<i64>().ok(), c.id));
    let rows = fetch!(
        ex,
        RunRow,
        "select r.id, r.model, r.params, r.cut, '' as journeys, r.result, r.created_by, \
           u.name as created_by_name, r.created_at \
         from model_runs r left join users u on u.id = r.created_by \
         where ($1 is null or r.created_at < $1 or (r.created_at = $1 and r.id < $2)) \
         order by r.created_at desc, r.id desc limit $3",
        [key, id, i64::try_from(limit + 1).unwrap_or(i64::MAX)],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.created_at.to_string(),
        id: r.id,
    }))
}
