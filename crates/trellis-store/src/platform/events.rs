//! Domain events, appended in the transaction of the change they describe.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `events` row.
#[derive(Clone, Debug, FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub id: Uuid,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub org_id: Option<Uuid>,
    pub object_type: String,
    pub object_id: String,
    pub payload: Json<Value>,
    pub created_at: i64,
}

/// Appends an event.
pub async fn append(ex: &mut Exec<'_>, row: &EventRow) -> Result<()> {
    execute!(
        ex,
        "insert into events (id, type, org_id, object_type, object_id, payload, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
        [
            row.id,
            &row.event_type,
            row.org_id,
            &row.object_type,
            &row.object_id,
            &row.payload,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Finds an event by id.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<EventRow>> {
    Ok(fetch!(
        ex,
        EventRow,
        "select seq, id, type, org_id, object_type, object_id, payload, created_at \
         from events where id = $1",
        [id],
        fetch_optional
    )?)
}

/// Events after `seq`, oldest first: the change feed.
pub async fn list_after(ex: &mut Exec<'_>, after_seq: i64, limit: usize) -> Result<Vec<EventRow>> {
    Ok(fetch!(
        ex,
        EventRow,
        "select seq, id, type, org_id, object_type, object_id, payload, created_at \
         from events where seq > $1 order by seq limit $2",
        [after_seq, i64::try_from(limit).unwrap_or(i64::MAX)],
        fetch_all
    )?)
}
