//! Webhook endpoints (vendor admins), the record of every delivery attempt, replay, and the
//! Standard Webhooks signature of each delivery.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;
use trellis_domain::{
    EventId, FieldErrors, Permission, Timestamp, WebUrl, WebhookAttemptId, WebhookEndpointId,
};
use trellis_store::platform::{events, webhooks as store};

use super::PageRequest;
use crate::outbox::{self, Change, kinds};
use crate::{Actor, Error, Page, Result, Services};

/// An endpoint as the API shows it (the secret only on creation and rotation).
#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    /// Id.
    pub id: WebhookEndpointId,
    /// Where deliveries go.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// Event types it receives (`*`, `user.*`, `org.created`).
    pub event_filter: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Changed.
    pub updated_at: Timestamp,
}

impl From<&store::EndpointRow> for Endpoint {
    fn from(r: &store::EndpointRow) -> Self {
        Self {
            id: WebhookEndpointId::from_uuid(r.id),
            url: r.url.clone(),
            description: r.description.clone(),
            event_filter: r
                .event_filter
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            enabled: r.enabled,
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        }
    }
}

/// An endpoint with its signing secret.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointWithSecret {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// `whsec_…`: base64 of the HMAC key, as Standard Webhooks libraries expect.
    pub secret: String,
}

/// Input for create and update.
#[derive(Clone, Debug, Default)]
pub struct EndpointInput {
    /// Target URL.
    pub url: String,
    /// Description.
    pub description: String,
    /// Filter entries; empty means every event.
    pub event_filter: Vec<String>,
    /// Enabled.
    pub enabled: bool,
}

/// One recorded delivery attempt.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    /// Id.
    pub id: WebhookAttemptId,
    /// The event delivered.
    pub event_id: EventId,
    /// Its type.
    pub event_type: String,
    /// 1 for the first try.
    pub attempt: i64,
    /// 2xx received.
    pub succeeded: bool,
    /// HTTP status, if a response came.
    pub status_code: Option<i64>,
    /// Network error, if no response came.
    pub error: Option<String>,
    /// Start of the response body.
    pub response_excerpt: Option<String>,
    /// Round-trip time.
    pub duration_ms: i64,
    /// When.
    pub created_at: Timestamp,
}

/// Everything the worker needs to make one delivery.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// Target.
    pub url: String,
    /// Event id, sent as `webhook-id`.
    pub event_id: EventId,
    /// Event type.
    pub event_type: String,
    /// JSON body.
    pub body: String,
    /// `webhook-timestamp` (Unix seconds).
    pub timestamp: i64,
    /// `webhook-signature`: `v1,<base64 HMAC-SHA256>`.
    pub signature: String,
}

/// The result of one delivery, to record.
#[derive(Clone, Debug)]
pub struct DeliveryOutcome {
    /// HTTP status, if any.
    pub status_code: Option<u16>,
    /// Transport error, if any.
    pub error: Option<String>,
    /// Start of the response body.
    pub response_excerpt: Option<String>,
    /// Round trip.
    pub duration_ms: i64,
}

impl DeliveryOutcome {
    /// 2xx.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

fn validate(input: &EndpointInput) -> Result<(WebUrl, String, Vec<String>)> {
    let mut e = FieldErrors::new();
    let url = e.check("url", WebUrl::parse(&input.url));
    let description = input.description.trim().to_owned();
    if description.chars().count() > 200 {
        e.add("description", "can be at most 200 characters");
    }
    let mut filter: Vec<String> = Vec::new();
    for (i, f) in input
        .event_filter
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .enumerate()
    {
        if trellis_domain::webhooks::is_valid_filter(f) {
            filter.push(f.to_owned());
        } else {
            e.add(
                format!("event_filter[{i}]"),
                format!("{f:?} is not an event type or pattern (use *, user.* or user.invited)"),
            );
        }
    }
    if filter.is_empty() {
        filter.push("*".into());
    }
    e.into_result()?;
    Ok((
        url.ok_or_else(|| Error::field("url", "is required"))?,
        description,
        filter,
    ))
}

fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// Signs `{id}.{timestamp}.{body}` with the endpoint secret (Standard Webhooks, `v1`).
pub fn sign(secret: &str, event_id: &str, timestamp: i64, body: &str) -> Result<String> {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|e| {
            Error::Internal(anyhow::anyhow!("stored webhook secret is not base64: {e}"))
        })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
    mac.update(trellis_domain::webhooks::signing_input(event_id, timestamp, body).as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

impl Services {
    /// Creates an endpoint; the secret is returned once.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        input: &EndpointInput,
    ) -> Result<EndpointWithSecret> {
        actor.require(Permission::WebhooksManage)?;
        let (url, description, filter) = validate(input)?;
        let now = self.now();
        let row = store::EndpointRow {
            id: WebhookEndpointId::new().as_uuid(),
            url: url.to_string(),
            description,
            secret: new_secret(),
            event_filter: filter.join(" "),
            enabled: input.enabled,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row).await?;
        let endpoint = Endpoint::from(&row);
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "webhook.created",
                object_type: "webhook_endpoint",
                object_id: endpoint.id.to_string(),
                org_id: None,
                summary: format!("added webhook endpoint {}", endpoint.url),
                before: None,
                after: Some(json!(endpoint)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(EndpointWithSecret {
            endpoint,
            secret: row.secret,
        })
    }

    /// Lists endpoints.
    pub async fn list_webhooks(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Endpoint>> {
        actor.require(Permission::WebhooksManage)?;
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        Ok(store::list(&mut c.exec(), cursor.as_ref(), limit)
            .await?
            .map(|r| Endpoint::from(&r)))
    }

    /// Reads an endpoint.
    pub async fn get_webhook(&self, actor: &Actor, id: WebhookEndpointId) -> Result<Endpoint> {
        actor.require(Permission::WebhooksManage)?;
        let mut c = self.db().read().await?;
        Ok(Endpoint::from(
            &store::find(&mut c.exec(), id.as_uuid())
                .await?
                .ok_or(Error::NotFound)?,
        ))
    }

    /// Updates an endpoint if `version` is current; `rotate_secret` issues a new secret.
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: WebhookEndpointId,
        version: i64,
        input: &EndpointInput,
        rotate_secret: bool,
    ) -> Result<EndpointWithSecret> {
        actor.require(Permission::WebhooksManage)?;
        let (url, description, filter) = validate(input)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if current.version != version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        let before = Endpoint::from(&current);
        let row = store::EndpointRow {
            url: url.to_string(),
            description,
            event_filter: filter.join(" "),
            enabled: input.enabled,
            secret: if rotate_secret {
                new_secret()
            } else {
                current.secret.clone()
            },
            updated_at: now.millis(),
            ..current
        };
        if !store::update(&mut tx.exec(), &row, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let endpoint = Endpoint::from(&store::EndpointRow {
            version: version + 1,
            ..row.clone()
        });
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "webhook.updated",
                object_type: "webhook_endpoint",
                object_id: id.to_string(),
                org_id: None,
                summary: format!(
                    "updated webhook endpoint {}{}",
                    endpoint.url,
                    if rotate_secret {
                        " (secret rotated)"
                    } else {
                        ""
                    }
                ),
                before: Some(json!(before)),
                after: Some(json!(endpoint)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(EndpointWithSecret {
            endpoint,
            secret: row.secret,
        })
    }

    /// Deletes an endpoint and its attempt history.
    pub async fn delete_webhook(&self, actor: &Actor, id: WebhookEndpointId) -> Result<()> {
        actor.require(Permission::WebhooksManage)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        store::delete(&mut tx.exec(), id.as_uuid()).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "webhook.deleted",
                object_type: "webhook_endpoint",
                object_id: id.to_string(),
                org_id: None,
                summary: format!("deleted webhook endpoint {}", current.url),
                before: Some(json!(Endpoint::from(&current))),
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An endpoint's delivery attempts, newest first.
    pub async fn list_webhook_attempts(
        &self,
        actor: &Actor,
        id: WebhookEndpointId,
        page: &PageRequest,
    ) -> Result<Page<Attempt>> {
        actor.require(Permission::WebhooksManage)?;
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let rows =
            store::list_attempts(&mut c.exec(), id.as_uuid(), cursor.as_ref(), limit).await?;
        Ok(rows.map(|r| Attempt {
            id: WebhookAttemptId::from_uuid(r.id),
            event_id: EventId::from_uuid(r.event_id),
            event_type: r.event_type,
            attempt: r.attempt,
            succeeded: r.succeeded,
            status_code: r.status_code,
            error: r.error,
            response_excerpt: r.response_excerpt,
            duration_ms: r.duration_ms,
            created_at: Timestamp::from_millis(r.created_at),
        }))
    }

    /// Queues a fresh delivery of a past event to an endpoint (whatever its filter says).
    pub async fn replay_webhook(
        &self,
        actor: &Actor,
        id: WebhookEndpointId,
        event_id: EventId,
    ) -> Result<()> {
        actor.require(Permission::WebhooksManage)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let event = events::find(&mut tx.exec(), event_id.as_uuid())
            .await?
            .ok_or_else(|| Error::field("event_id", "no such event"))?;
        outbox::enqueue(
            &mut tx,
            kinds::WEBHOOK,
            json!({"endpoint_id": id, "event_id": event_id}),
            now,
            now,
            self.config().job_max_attempts,
        )
        .await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "webhook.replayed",
                object_type: "webhook_endpoint",
                object_id: id.to_string(),
                org_id: None,
                summary: format!("replayed {} event {event_id}", event.event_type),
                before: None,
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Prepares a signed delivery for the worker; `None` when the endpoint is gone or disabled
    /// (the job then simply ends).
    pub async fn prepare_delivery(
        &self,
        endpoint_id: WebhookEndpointId,
        event_id: EventId,
    ) -> Result<Option<Delivery>> {
        let mut c = self.db().read().await?;
        let Some(ep) = store::find(&mut c.exec(), endpoint_id.as_uuid())
            .await?
            .filter(|e| e.enabled)
        else {
            return Ok(None);
        };
        let ev = events::find(&mut c.exec(), event_id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let body = json!({
            "id": event_id,
            "type": ev.event_type,
            "created_at": Timestamp::from_millis(ev.created_at).to_rfc3339(),
            "object": {"type": ev.object_type, "id": ev.object_id},
            "data": ev.payload.0,
        })
        .to_string();
        let timestamp = self.now().seconds();
        let signature = sign(&ep.secret, &event_id.to_string(), timestamp, &body)?;
        Ok(Some(Delivery {
            endpoint_id,
            url: ep.url,
            event_id,
            event_type: ev.event_type,
            body,
            timestamp,
            signature,
        }))
    }

    /// Records one attempt (every attempt is kept for the console).
    pub async fn record_delivery(
        &self,
        d: &Delivery,
        attempt: i64,
        outcome: &DeliveryOutcome,
    ) -> Result<()> {
        let mut tx = self.db().begin().await?;
        store::insert_attempt(
            &mut tx.exec(),
            &store::AttemptRow {
                id: WebhookAttemptId::new().as_uuid(),
                endpoint_id: d.endpoint_id.as_uuid(),
                event_id: d.event_id.as_uuid(),
                event_type: d.event_type.clone(),
                attempt,
                succeeded: outcome.succeeded(),
                status_code: outcome.status_code.map(i64::from),
                error: outcome.error.clone(),
                response_excerpt: outcome.response_excerpt.clone(),
                duration_ms: outcome.duration_ms,
                created_at: self.now().millis(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The payload of a stored event, for the change feed and tests.
    pub async fn event_payload(&self, event_id: EventId) -> Result<Value> {
        let mut c = self.db().read().await?;
        Ok(events::find(&mut c.exec(), event_id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .payload
            .0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_reference_vector() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
