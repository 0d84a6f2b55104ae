//! The append-only audit log: who changed what, when, with before/after where useful.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch};

/// One `audit_log` row.
#[derive(Clone, Debug, FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub org_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub summary: String,
    pub before_state: Option<Json<Value>>,
    pub after_state: Option<Json<Value>>,
    pub request_id: Option<String>,
    pub created_at: i64,
}

/// Appends an entry (the `seq` of `row` is ignored; the database assigns it).
pub async fn append(ex: &mut Exec<'_>, row: &AuditRow) -> Result<()> {
    execute!(
        ex,
        "insert into audit_log (id, actor_id, actor_label, org_id, action, object_type, \
         object_id, summary, before_state, after_state, request_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [
            row.id,
            row.actor_id,
            &row.actor_label,
            row.org_id,
            &row.action,
            &row.object_type,
            &row.object_id,
            &row.summary,
            &row.before_state,
            &row.after_state,
            &row.request_id,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Filters for [`list`]; every field narrows.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
}

/// Lists entries, newest first.
pub async fn list(
    ex: &mut Exec<'_>,
    f: &AuditFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<AuditRow>> {
    let before_seq: Option<i64> = after.and_then(|c| c.key.parse().ok());
    let limit_plus = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows = fetch!(
        ex,
        AuditRow,
        "select seq, id, actor_id, actor_label, org_id, action, object_type, object_id, summary, \
         before_state, after_state, request_id, created_at from audit_log \
         where ($1 is null or actor_id = $1) and ($2 is null or object_type = $2) \
           and ($3 is null or object_id = $3) and ($4 is null or action = $4) \
           and ($5 is null or created_at >= $5) and ($6 is null or created_at < $6) \
           and ($7 is null or seq < $7) \
         order by seq desc limit $8",
        [
            f.actor_id,
            &f.object_type,
            &f.object_id,
            &f.action,
            f.from,
            f.until,
            before_seq,
            limit_plus
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.seq.to_string(),
        id: r.id,
    }))
}

/// The newest entry's sequence number (0 when empty): a cheap stamp that moves with every
/// recorded change, for caches of data that only changes through recorded use cases.
pub async fn last_seq(ex: &mut Exec<'_>) -> Result<i64> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select coalesce(max(seq), 0) from audit_log",
        [],
        fetch_one
    )?)
}
