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
    append_many(ex, std::slice::from_ref(row)).await
}

/// Appends events in multi-row statements, in order.
///
/// The change feed reads `seq > cursor`, so events must become visible in `seq` order. SQLite
/// has one writer at a time, which guarantees it. PostgreSQL hands out identity values at
/// insert time, and a transaction that took seq 7 may commit after one that took seq 8: a
/// reader polling in between would move its cursor past 7 and never see it. Taking one
/// transaction-scoped advisory lock before inserting serialises event writers until commit.
pub async fn append_many(ex: &mut Exec<'_>, rows: &[EventRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if ex.backend() == crate::Backend::Postgres {
        // dialect: PostgreSQL-only commit-order guard (see above). The key is arbitrary but
        // fixed: "tr-evnts" in ASCII.
        execute!(ex, "select pg_advisory_xact_lock(8390818969546552435)", [])?;
    }
    for chunk in rows.chunks(BATCH) {
        let sql = format!(
            "insert into events (id, type, org_id, object_type, object_id, payload, created_at) \
             values {}",
            crate::args::values_sql(7, chunk.len())
        );
        crate::on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(&r.event_type)
                    .bind(r.org_id)
                    .bind(&r.object_type)
                    .bind(&r.object_id)
                    .bind(&r.payload)
                    .bind(r.created_at);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Events per multi-row insert (7 values each).
const BATCH: usize = crate::args::rows_per_statement(7);

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

/// The objects of some kinds changed after `seq`, oldest first: `(seq, object_type,
/// object_id)`. For caches that follow the feed (the conflict index).
pub async fn objects_after(
    ex: &mut Exec<'_>,
    after_seq: i64,
    object_types: &[&str],
    limit: usize,
) -> Result<Vec<(i64, String, String)>> {
    let mut args = crate::args::Args::new();
    let after = args.push(after_seq);
    let types = args.list(object_types.iter().copied());
    let lim = args.push(i64::try_from(limit).unwrap_or(i64::MAX));
    let sql = format!(
        "select seq, object_type, object_id from events where seq > {after} \
         and object_type in ({types}) order by seq limit {lim}"
    );
    Ok(crate::fetch_args!(
        ex,
        (i64, String, String),
        &sql,
        args,
        fetch_all
    )?)
}

/// The newest event's seq (0 when there is none).
pub async fn last_seq(ex: &mut Exec<'_>) -> Result<i64> {
    Ok(crate::scalar!(
        ex,
        i64,
        "select coalesce(max(seq), 0) from events",
        [],
        fetch_one
    )?)
}
