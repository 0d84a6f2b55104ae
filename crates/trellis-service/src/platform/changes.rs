//! The change feed: every published domain event in commit order, for an iPaaS or CRM
//! connector to pull (DESIGN.md §4). A reader keeps the cursor of its last page and asks for
//! what came after; it never misses an event and never sees one twice.

use serde::Serialize;
use serde_json::Value;
use trellis_domain::{EventId, Permission, Timestamp};
use trellis_store::Cursor;
use trellis_store::platform::events as store;

use crate::{Actor, Error, Result, Services};

/// One change.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeEvent {
    /// The event's stable id (also the `webhook-id` of its deliveries).
    pub id: EventId,
    /// `account.updated`, `deal.approved`, ….
    pub event_type: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// The event's data.
    pub payload: Value,
    /// When it happened.
    pub created_at: Timestamp,
}

/// A page of the feed.
#[derive(Clone, Debug)]
pub struct Changes {
    /// The changes, oldest first.
    pub events: Vec<ChangeEvent>,
    /// Where to continue: pass it back as `after`, also when `events` is empty.
    pub next_cursor: String,
    /// Whether more changes are waiting right now.
    pub has_more: bool,
}

/// The most a page holds.
pub const MAX_CHANGES: usize = 1_000;

impl Services {
    /// Changes after `after` (from the beginning without one), at most `limit`, only of the
    /// event types `types` matches (`account.*`, `deal.approved`; all when empty).
    pub async fn list_changes(
        &self,
        actor: &Actor,
        after: Option<&str>,
        limit: Option<usize>,
        types: &[String],
    ) -> Result<Changes> {
        actor.require(Permission::EventsRead)?;
        let after_seq = match after.map(str::trim).filter(|a| !a.is_empty()) {
            None => 0,
            Some(a) => Cursor::decode(a)
                .and_then(|c| c.key.parse::<i64>().ok())
                .ok_or_else(|| Error::field("after", "is not a cursor returned by this feed"))?,
        };
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > MAX_CHANGES {
            return Err(Error::field(
                "limit",
                format!("must be between 1 and {MAX_CHANGES}"),
            ));
        }
        let mut c = self.db().read().await?;
        let rows = store::list_after(&mut c.exec(), after_seq, limit).await?;
        let has_more = rows.len() == limit;
        let last = rows.last().map_or(after_seq, |r| r.seq);
        let events = rows
            .into_iter()
            .filter(|r| {
                types.is_empty() || trellis_domain::webhooks::filter_matches(types, &r.event_type)
            })
            .map(|r| ChangeEvent {
                id: EventId::from_uuid(r.id),
                event_type: r.event_type,
                object_type: r.object_type,
                object_id: r.object_id,
                payload: r.payload.0,
                created_at: Timestamp::from_millis(r.created_at),
            })
            .collect();
        Ok(Changes {
            events,
            next_cursor: Cursor {
                key: last.to_string(),
                id: uuid::Uuid::nil(),
            }
            .encode(),
            has_more,
        })
    }
}
