//! Recording a change: the audit entry, the domain event and the jobs it triggers are written
//! in the caller's transaction, so they commit or vanish together with the change itself.

use serde_json::{Value, json};
use trellis_domain::{EventId, JobId, OrgId, Timestamp};
use trellis_store::platform::{audit, events, jobs, webhooks};
use trellis_store::{Json, Tx};

use crate::actor::Actor;
use crate::error::Result;

/// One change to record.
#[derive(Debug)]
pub struct Change<'a> {
    /// Dotted action name, also the event type: `user.invited`.
    pub action: &'a str,
    /// Object kind: `user`, `org`, `webhook_endpoint`.
    pub object_type: &'a str,
    /// Object id.
    pub object_id: String,
    /// The organisation the object belongs to, if any.
    pub org_id: Option<OrgId>,
    /// One line for the audit page.
    pub summary: String,
    /// State before (updates, deletions).
    pub before: Option<Value>,
    /// State after (creations, updates).
    pub after: Option<Value>,
    /// Whether integrators see this as a domain event (webhooks, change feed).
    pub publish: bool,
}

/// Job kinds, shared by the enqueuers here and the handlers in `trellis-jobs`.
pub mod kinds {
    /// Send one e-mail.
    pub const EMAIL: &str = "email.send";
    /// Deliver one event to one webhook endpoint.
    pub const WEBHOOK: &str = "webhook.deliver";
    /// Rescore every partner and pending application with a new IPP version.
    pub const PARTNERS_RESCORE: &str = "partners.rescore";
    /// Evaluate every partner's tier (scheduled daily, or on demand).
    pub const PARTNERS_EVALUATE_TIERS: &str = "partners.evaluate_tiers";
    /// Chase overdue onboarding tasks (scheduled hourly).
    pub const PARTNERS_REMIND: &str = "partners.remind";
    /// Escalate overdue registration decisions, warn of and expire ending protection.
    pub const DEALS_SWEEP: &str = "deals.sweep";
    /// Run one account mapping.
    pub const MAPPING_RUN: &str = "mapping.run";
    /// Rebuild the ecosystem metrics' facts (scheduled hourly, or on demand).
    pub const METRICS_REFRESH: &str = "metrics.refresh";
    /// Send the partner satisfaction surveys whose day has come (scheduled hourly).
    pub const PSAT_SEND: &str = "psat.send";
}

/// Writes the audit entry and, if published, the event and one delivery job per matching
/// webhook endpoint. Returns the event id when an event was written.
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    now: Timestamp,
    max_attempts: u32,
    change: Change<'_>,
) -> Result<Option<EventId>> {
    audit::append(
        &mut tx.exec(),
        &audit::AuditRow {
            seq: 0,
            id: uuid::Uuid::now_v7(),
            actor_id: actor.user().map(|u| u.user_id.as_uuid()),
            actor_label: actor.label(),
            org_id: change.org_id.map(OrgId::as_uuid),
            action: change.action.to_owned(),
            object_type: change.object_type.to_owned(),
            object_id: change.object_id.clone(),
            summary: change.summary,
            before_state: change.before.clone().map(Json),
            after_state: change.after.clone().map(Json),
            request_id: None,
            created_at: now.millis(),
        },
    )
    .await?;
    if !change.publish {
        return Ok(None);
    }
    let data = change.after.or(change.before).unwrap_or(Value::Null);
    let event = Event {
        event_type: change.action,
        org_id: change.org_id,
        object_type: change.object_type,
        object_id: change.object_id,
        payload: data,
    };
    publish(tx, now, max_attempts, event).await.map(Some)
}

/// A domain event to publish.
#[derive(Debug)]
pub struct Event<'a> {
    /// `deal.registered`.
    pub event_type: &'a str,
    /// The organisation the object belongs to, if any.
    pub org_id: Option<OrgId>,
    /// Object kind.
    pub object_type: &'a str,
    /// Object id.
    pub object_id: String,
    /// What integrators receive.
    pub payload: Value,
}

/// Appends one event and a delivery job per webhook endpoint that wants it.
pub async fn publish(
    tx: &mut Tx,
    now: Timestamp,
    max_attempts: u32,
    event: Event<'_>,
) -> Result<EventId> {
    let event_id = EventId::new();
    let event_type = event.event_type;
    append_events(tx, now, std::iter::once((event_id, event))).await?;
    for endpoint in webhooks::list_enabled(&mut tx.exec()).await? {
        let filter: Vec<String> = endpoint
            .event_filter
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if trellis_domain::webhooks::filter_matches(&filter, event_type) {
            let payload = json!({"endpoint_id": endpoint.id, "event_id": event_id});
            enqueue(tx, kinds::WEBHOOK, payload, now, now, max_attempts).await?;
        }
    }
    Ok(event_id)
}

/// Appends events to the change feed only: no webhook deliveries. For bulk changes (a CSV
/// import of a million accounts), which announce themselves with one published summary event
/// instead of flooding every endpoint.
pub async fn append_to_feed<'a>(
    tx: &mut Tx,
    now: Timestamp,
    events: impl IntoIterator<Item = Event<'a>>,
) -> Result<()> {
    append_events(tx, now, events.into_iter().map(|e| (EventId::new(), e))).await
}

async fn append_events<'a>(
    tx: &mut Tx,
    now: Timestamp,
    events: impl Iterator<Item = (EventId, Event<'a>)>,
) -> Result<()> {
    let rows: Vec<events::EventRow> = events
        .map(|(id, e)| events::EventRow {
            seq: 0,
            id: id.as_uuid(),
            event_type: e.event_type.to_owned(),
            org_id: e.org_id.map(OrgId::as_uuid),
            object_type: e.object_type.to_owned(),
            object_id: e.object_id,
            payload: Json(e.payload),
            created_at: now.millis(),
        })
        .collect();
    events::append_many(&mut tx.exec(), &rows).await?;
    Ok(())
}

impl crate::Services {
    /// [`record`] with this deployment's retry limit for the jobs it enqueues.
    pub(crate) async fn record(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        now: Timestamp,
        change: Change<'_>,
    ) -> Result<Option<EventId>> {
        record(tx, actor, now, self.config().job_max_attempts, change).await
    }
}

/// Enqueues a job in the caller's transaction.
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: Value,
    run_at: Timestamp,
    now: Timestamp,
    max_attempts: u32,
) -> Result<JobId> {
    let id = JobId::new();
    jobs::insert(
        &mut tx.exec(),
        &jobs::JobRow {
            id: id.as_uuid(),
            kind: kind.to_owned(),
            payload: Json(payload),
            status: "queued".into(),
            run_at: run_at.millis(),
            attempts: 0,
            max_attempts: i64::from(max_attempts),
            locked_by: None,
            locked_until: None,
            last_error: None,
            created_at: now.millis(),
            updated_at: now.millis(),
        },
    )
    .await?;
    Ok(id)
}
