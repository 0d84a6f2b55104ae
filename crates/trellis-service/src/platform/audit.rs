//! Reading the audit log (vendor admins only).

use serde::Serialize;
use serde_json::Value;
use trellis_domain::{Permission, Timestamp, UserId};
use trellis_store::platform::audit as store;

use super::PageRequest;
use crate::{Actor, Page, Result, Services};

/// One audit entry.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    /// Id.
    pub id: uuid::Uuid,
    /// Who (absent for the system).
    pub actor_id: Option<UserId>,
    /// Who, as text.
    pub actor: String,
    /// What: `user.invited`.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// One line for people.
    pub summary: String,
    /// State before.
    pub before: Option<Value>,
    /// State after.
    pub after: Option<Value>,
    /// When.
    pub created_at: Timestamp,
}

/// Audit filters.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this actor.
    pub actor_id: Option<UserId>,
    /// Only this object kind.
    pub object_type: Option<String>,
    /// Only this object.
    pub object_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<Timestamp>,
    /// Until this instant (exclusive).
    pub until: Option<Timestamp>,
}

impl Services {
    /// Lists audit entries, newest first.
    pub async fn list_audit(
        &self,
        actor: &Actor,
        q: &AuditQuery,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        actor.require(Permission::AuditRead)?;
        let (cursor, limit) = page.parse()?;
        let blank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let f = store::AuditFilter {
            actor_id: q.actor_id.map(UserId::as_uuid),
            object_type: blank(&q.object_type),
            object_id: blank(&q.object_id),
            action: blank(&q.action),
            from: q.from.map(Timestamp::millis),
            until: q.until.map(Timestamp::millis),
        };
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec(), &f, cursor.as_ref(), limit).await?;
        Ok(rows.map(|r| AuditEntry {
            id: r.id,
            actor_id: r.actor_id.map(UserId::from_uuid),
            actor: r.actor_label,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            summary: r.summary,
            before: r.before_state.map(|j| j.0),
            after: r.after_state.map(|j| j.0),
            created_at: Timestamp::from_millis(r.created_at),
        }))
    }
}
