//! CSV imports: one row per run with its progress and report, and the column mappings people
//! saved per kind and source system.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch, scalar};

/// One `imports` row.
#[derive(Clone, Debug, FromRow)]
pub struct ImportRow {
    pub id: Uuid,
    /// `accounts`, `contacts` or `opportunities`.
    pub kind: String,
    pub source_system: String,
    pub file_name: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Whether good rows are imported despite bad ones.
    pub partial: bool,
    pub rows_total: i64,
    pub rows_done: i64,
    pub created_count: i64,
    pub updated_count: i64,
    pub unchanged_count: i64,
    pub rejected_count: i64,
    /// Encoding, delimiter, columns and row errors.
    pub report: Json<Value>,
    pub started_by: Option<Uuid>,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, source_system, file_name, status, partial, rows_total, \
    rows_done, created_count, updated_count, unchanged_count, rejected_count, report, \
    started_by, started_at, updated_at, finished_at";

/// Records a new import.
pub async fn insert(ex: &mut Exec<'_>, row: &ImportRow) -> Result<()> {
    execute!(
        ex,
        "insert into imports (id, kind, source_system, file_name, status, partial, rows_total, \
         rows_done, created_count, updated_count, unchanged_count, rejected_count, report, \
         started_by, started_at, updated_at, finished_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        [
            row.id,
            &row.kind,
            &row.source_system,
            &row.file_name,
            &row.status,
            row.partial,
            row.rows_total,
            row.rows_done,
            row.created_count,
            row.updated_count,
            row.unchanged_count,
            row.rejected_count,
            &row.report,
            row.started_by,
            row.started_at,
            row.updated_at,
            row.finished_at
        ]
    )?;
    Ok(())
}

/// Writes an import's state: progress, counts, report and, once over, its end.
pub async fn save(ex: &mut Exec<'_>, row: &ImportRow) -> Result<()> {
    execute!(
        ex,
        "update imports set status = $2, rows_total = $3, rows_done = $4, created_count = $5, \
         updated_count = $6, unchanged_count = $7, rejected_count = $8, report = $9, \
         updated_at = $10, finished_at = $11, source_system = $12 where id = $1",
        [
            row.id,
            &row.status,
            row.rows_total,
            row.rows_done,
            row.created_count,
            row.updated_count,
            row.unchanged_count,
            row.rejected_count,
            &row.report,
            row.updated_at,
            row.finished_at,
            &row.source_system
        ]
    )?;
    Ok(())
}

/// Finds an import.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<ImportRow>> {
    let sql = format!("select {COLUMNS} from imports where id = $1");
    Ok(fetch!(ex, ImportRow, &sql, [id], fetch_optional)?)
}

/// Imports, newest first.
pub async fn list(
    ex: &mut Exec<'_>,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<ImportRow>> {
    let sql = format!(
        "select {COLUMNS} from imports \
         where ($1 is null or started_at < $2 or (started_at = $2 and id < $3)) \
         order by started_at desc, id desc limit $4"
    );
    let (key, at, id) = after.map_or((None, 0, Uuid::nil()), |c| {
        (Some(c.key.clone()), c.key.parse::<i64>().unwrap_or(0), c.id)
    });
    let rows = fetch!(
        ex,
        ImportRow,
        &sql,
        [key, at, id, i64::try_from(limit + 1).unwrap_or(i64::MAX)],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.started_at.to_string(),
        id: r.id,
    }))
}

/// The saved column mapping for a kind of import from a source system.
pub async fn mapping(ex: &mut Exec<'_>, kind: &str, source_system: &str) -> Result<Option<String>> {
    Ok(scalar!(
        ex,
        String,
        "select mapping from import_mappings where kind = $1 and source_system = $2",
        [kind, source_system],
        fetch_optional
    )?)
}

/// Saves (or, when `mapping` is empty, forgets) a column mapping.
pub async fn save_mapping(
    ex: &mut Exec<'_>,
    kind: &str,
    source_system: &str,
    mapping: &str,
    by: Option<Uuid>,
    now: i64,
) -> Result<()> {
    execute!(
        ex,
        "delete from import_mappings where kind = $1 and source_system = $2",
        [kind, source_system]
    )?;
    if !mapping.is_empty() {
        execute!(
            ex,
            "insert into import_mappings (kind, source_system, mapping, updated_by, updated_at) \
             values ($1, $2, $3, $4, $5)",
            [kind, source_system, mapping, by, now]
        )?;
    }
    Ok(())
}
