//! CRM data: the vendor's accounts, contacts and opportunities, written by a CRM sync
//! (`PUT` by `(source_system, external_id)`) or a CSV import, read by every co-selling and
//! account-mapping feature.
//!
//! A record's synced fields are fingerprinted ([`fingerprint`]); a write whose fingerprint
//! matches the stored one changes nothing and publishes nothing, so a connector may re-send
//! its whole CRM every night without flooding the change feed.

pub mod accounts;
pub mod contacts;
pub mod import;
pub mod opportunities;
mod owners;

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use trellis_domain::crm::{ExternalId, SourceSystem};
use trellis_domain::{FieldError, FieldErrors, Timestamp};
use trellis_store::Tx;

pub use accounts::{Account, AccountInput, AccountQuery};
pub use contacts::{CrmContact, CrmContactInput, CrmContactQuery};
pub use import::{Import, ImportKind, ImportOptions, ImportProgress};
pub use opportunities::{Opportunity, OpportunityInput, OpportunityQuery};

use crate::outbox::{self, Change, Event};
use crate::{Actor, Error, Result, Services};

/// The outcome of an upsert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Written {
    /// A new record.
    Created,
    /// An existing record with new values.
    Updated,
    /// An existing record sent again with the same values.
    Unchanged,
}

/// A validated record: its fields, and the problems that did not stop it (a website with no
/// recognisable domain, an unknown country).
#[derive(Clone, Debug)]
pub struct Checked<T> {
    /// The fields to store.
    pub fields: T,
    /// Problems worth telling, by field.
    pub warnings: Vec<FieldError>,
}

/// The stable fingerprint of a record's synced fields.
pub(crate) fn fingerprint(fields: &impl Serialize) -> i64 {
    let bytes = serde_json::to_vec(fields).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Parses the key of a record.
pub(crate) fn parse_key(
    source_system: &str,
    external_id: &str,
) -> Result<(SourceSystem, ExternalId)> {
    let mut e = FieldErrors::new();
    let source = e.check("source_system", SourceSystem::parse(source_system));
    let id = e.check("external_id", ExternalId::parse(external_id));
    e.into_result()?;
    match (source, id) {
        (Some(s), Some(i)) => Ok((s, i)),
        _ => Err(Error::Internal(anyhow::anyhow!("validated key missing"))),
    }
}

/// Trimmed plain text of at most `max` characters (no control characters but tabs and line
/// breaks when `multiline`).
pub(crate) fn plain(
    e: &mut FieldErrors,
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> String {
    let v = value.trim();
    if v.chars().count() > max {
        e.add(field, format!("must be at most {max} characters"));
    } else if v
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        e.add(field, "must not contain control characters");
    }
    v.to_owned()
}

/// Extra columns kept with a record: at most 100, names up to 100 and values up to 2,000
/// characters.
pub(crate) fn attributes(
    e: &mut FieldErrors,
    attrs: &std::collections::BTreeMap<String, String>,
) -> Value {
    if attrs.len() > 100 {
        e.add("attributes", "may hold at most 100 entries");
    }
    for (k, v) in attrs {
        if k.trim().is_empty() || k.chars().count() > 100 {
            e.add("attributes", "names must be 1 to 100 characters");
            break;
        }
        if v.chars().count() > 2_000 {
            e.add(format!("attributes.{k}"), "must be at most 2000 characters");
        }
    }
    json!(attrs)
}

/// The thin event a record change publishes: enough to fetch the record, which the change
/// feed's reader does if it cares.
pub(crate) fn record_event<'a>(
    event_type: &'a str,
    object_type: &'a str,
    id: String,
    source_system: &str,
    external_id: &str,
    version: i64,
) -> Event<'a> {
    Event {
        event_type,
        org_id: None,
        object_type,
        payload: json!({
            "id": id,
            "source_system": source_system,
            "external_id": external_id,
            "version": version,
        }),
        object_id: id,
    }
}

impl Services {
    /// Audits one record change made through the API (full before and after) and publishes
    /// its thin event.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_crm_change(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        now: Timestamp,
        event: Event<'static>,
        summary: String,
        before: Option<Value>,
        after: Value,
    ) -> Result<()> {
        self.record(
            tx,
            actor,
            now,
            Change {
                action: event.event_type,
                object_type: event.object_type,
                object_id: event.object_id.clone(),
                org_id: None,
                summary,
                before,
                after: Some(after),
                publish: false,
            },
        )
        .await?;
        outbox::publish(tx, now, self.config().job_max_attempts, event).await?;
        Ok(())
    }
}
