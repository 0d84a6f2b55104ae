//! Versions of the Ideal Partner Profile and the fit scores computed with each.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `ipp_versions` row.
#[derive(Clone, Debug, FromRow)]
pub struct IppVersionRow {
    pub version: i64,
    /// The criteria, as the domain serialises them.
    pub criteria: Json<Value>,
    pub note: String,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
}

/// Inserts a new version; `Conflict` if that number exists (a concurrent edit).
pub async fn insert_version(ex: &mut Exec<'_>, row: &IppVersionRow) -> Result<()> {
    execute!(
        ex,
        "insert into ipp_versions (version, criteria, note, created_by, created_at) \
         values ($1, $2, $3, $4, $5)",
        [
            row.version,
            &row.criteria,
            &row.note,
            row.created_by,
            row.created_at
        ]
    )?;
    Ok(())
}

/// The newest version.
pub async fn current(ex: &mut Exec<'_>) -> Result<Option<IppVersionRow>> {
    Ok(fetch!(
        ex,
        IppVersionRow,
        "select version, criteria, note, created_by, created_at from ipp_versions \
         order by version desc limit 1",
        [],
        fetch_optional
    )?)
}

/// Every version, newest first.
pub async fn versions(ex: &mut Exec<'_>) -> Result<Vec<IppVersionRow>> {
    Ok(fetch!(
        ex,
        IppVersionRow,
        "select version, criteria, note, created_by, created_at from ipp_versions \
         order by version desc",
        [],
        fetch_all
    )?)
}

/// One `fit_scores` row.
#[derive(Clone, Debug, FromRow)]
pub struct FitScoreRow {
    /// `partner` or `application`.
    pub subject_type: String,
    pub subject_id: Uuid,
    pub ipp_version: i64,
    pub score: i64,
    /// The per-criterion contributions.
    pub breakdown: Json<Value>,
    pub scored_at: i64,
}

/// Stores a score, replacing one for the same subject and IPP version.
pub async fn put_score(ex: &mut Exec<'_>, row: &FitScoreRow) -> Result<()> {
    execute!(
        ex,
        "delete from fit_scores where subject_type = $1 and subject_id = $2 and ipp_version = $3",
        [&row.subject_type, row.subject_id, row.ipp_version]
    )?;
    execute!(
        ex,
        "insert into fit_scores (subject_type, subject_id, ipp_version, score, breakdown, \
         scored_at) values ($1, $2, $3, $4, $5, $6)",
        [
            &row.subject_type,
            row.subject_id,
            row.ipp_version,
            row.score,
            &row.breakdown,
            row.scored_at
        ]
    )?;
    Ok(())
}

/// A subject's scores under every IPP version, newest first: its score history.
pub async fn scores(
    ex: &mut Exec<'_>,
    subject_type: &str,
    subject_id: Uuid,
) -> Result<Vec<FitScoreRow>> {
    Ok(fetch!(
        ex,
        FitScoreRow,
        "select subject_type, subject_id, ipp_version, score, breakdown, scored_at \
         from fit_scores where subject_type = $1 and subject_id = $2 \
         order by ipp_version desc",
        [subject_type, subject_id],
        fetch_all
    )?)
}
