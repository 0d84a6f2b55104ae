//! The accounts a partner brings for mapping in hosted mode: uploaded as its CRM's export
//! (all or nothing, every bad row named by line and column) and listed back to it. Only the
//! partner itself reads them; the vendor learns of them only through mapping results, as the
//! partner's sharing policy allows.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;
use trellis_domain::{FieldErrors, OrgId, Permission, Timestamp};
use trellis_store::mapping::partner_accounts::{self as store, PartnerAccountRow};
use trellis_store::mapping::populations as population_store;
use uuid::Uuid;

use crate::crm::import::{PartnerAccountRead, read_partner_accounts};
use crate::outbox::Change;
use crate::platform::PageRequest;
use crate::{Actor, Error, Page, Result, Services};

/// One account a partner brought.
#[derive(Clone, Debug, Serialize)]
pub struct PartnerAccount {
    /// The partner's id for it.
    pub external_id: String,
    /// Company name.
    pub name: String,
    /// Website as given.
    pub website: String,
    /// Its registrable domain (empty when none could be read).
    pub domain: String,
    /// ISO country code.
    pub country: String,
    /// Industry.
    pub industry: String,
    /// Head count.
    pub employees: Option<i64>,
    /// The partner's account type.
    pub account_type: String,
    /// Customer, prospect, partner or other (from the type).
    pub relationship: String,
    /// The partner's open opportunities on it.
    pub open_opportunities: i64,
    /// Who owns it at the partner.
    pub owner: String,
    /// Last written.
    pub updated_at: Timestamp,
}

impl From<PartnerAccountRow> for PartnerAccount {
    fn from(r: PartnerAccountRow) -> Self {
        Self {
            external_id: r.external_id,
            name: r.name,
            website: r.website,
            domain: r.domain,
            country: r.country,
            industry: r.industry,
            employees: r.employees,
            account_type: r.account_type,
            relationship: r.relationship,
            open_opportunities: r.open_opportunities,
            owner: r.owner_name,
            updated_at: Timestamp::from_millis(r.updated_at),
        }
    }
}

/// What an upload did.
#[derive(Clone, Debug, Serialize)]
pub struct UploadReport {
    /// Rows in the file.
    pub rows: u64,
    /// Accounts new to the partner's list.
    pub added: u64,
    /// Accounts it had, written again.
    pub updated: u64,
    /// Accounts no longer in the list (replace only).
    pub removed: u64,
}

fn partner_of(actor: &Actor) -> Result<OrgId> {
    actor.require(Permission::MappingRead)?;
    actor
        .partner_scope()
        .map(crate::actor::PartnerScope::org_id)
        // The vendor maps its CRM; this list is a partner's own.
        .ok_or(Error::Forbidden)
}

fn row_of(
    org: OrgId,
    r: PartnerAccountRead,
    id: Uuid,
    created_at: i64,
    now: i64,
) -> PartnerAccountRow {
    let owner_email = if r.fields.owner_name.contains('@') {
        r.fields.owner_name.to_lowercase()
    } else {
        String::new()
    };
    PartnerAccountRow {
        id,
        org_id: org.as_uuid(),
        external_id: r.external_id,
        name: r.fields.name,
        website: r.fields.website,
        domain: r.fields.domain,
        country: r.fields.country,
        industry: r.fields.industry,
        employees: r.fields.employees,
        account_type: r.fields.account_type,
        relationship: r.fields.relationship.as_str().to_owned(),
        open_opportunities: r.open_opportunities,
        owner_name: r.fields.owner_name,
        owner_email,
        created_at,
        updated_at: now,
    }
}

impl Services {
    /// Uploads the partner's accounts from a CRM export (Salesforce, HubSpot or a plain
    /// spreadsheet). With `replace`, accounts missing from the file are removed; otherwise the
    /// file's accounts are added or updated. A bad row fails the whole file.
    pub async fn upload_partner_accounts(
        &self,
        actor: &Actor,
        bytes: &[u8],
        replace: bool,
    ) -> Result<UploadReport> {
        actor.require(Permission::MappingManage)?;
        let org = partner_of(actor)?;
        let read = read_partner_accounts(bytes).map_err(|issues| {
            let mut e = FieldErrors::new();
            for i in issues {
                let at = match (i.line, i.column.as_str()) {
                    (0, _) => "file".to_owned(),
                    (line, "") => format!("line {line}"),
                    (line, column) => format!("line {line}, column {column}"),
                };
                e.add(at, i.message);
            }
            Error::Validation(e)
        })?;
        let now = self.now();
        let existing: HashMap<String, (Uuid, i64)> = {
            let mut c = self.db().read().await?;
            store::all(&mut c.exec(), org.as_uuid())
                .await?
                .into_iter()
                .map(|r| (r.external_id, (r.id, r.created_at)))
                .collect()
        };
        let rows_total = read.len() as u64;
        let mut added = 0;
        let rows: Vec<PartnerAccountRow> = read
            .into_iter()
            .map(|r| {
                let (id, created) = existing.get(&r.external_id).copied().unwrap_or_else(|| {
                    added += 1;
                    (Uuid::now_v7(), now.millis())
                });
                row_of(org, r, id, created, now.millis())
            })
            .collect();
        let kept = rows_total - added;
        let removed = if replace {
            existing.len() as u64 - kept
        } else {
            0
        };
        let report = UploadReport {
            rows: rows_total,
            added,
            updated: kept,
            removed,
        };
        let mut tx = self.db().begin().await?;
        if replace {
            store::delete_all(&mut tx.exec(), org.as_uuid()).await?;
        }
        store::upsert_many(&mut tx.exec(), &rows).await?;
        population_store::invalidate(&mut tx.exec(), org.as_uuid()).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "mapping.accounts_uploaded",
                object_type: "partner_accounts",
                object_id: org.to_string(),
                org_id: Some(org),
                summary: format!(
                    "Accounts for mapping uploaded: {} rows, {added} added, {kept} updated, \
                     {removed} removed",
                    report.rows
                ),
                before: None,
                after: Some(json!(report)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The partner's accounts by name, optionally those whose name contains `q`.
    pub async fn list_partner_accounts(
        &self,
        actor: &Actor,
        q: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<PartnerAccount>> {
        let org = partner_of(actor)?;
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        let rows = store::page(&mut c.exec(), org.as_uuid(), q, cursor.as_ref(), limit).await?;
        Ok(Page {
            items: rows.items.into_iter().map(PartnerAccount::from).collect(),
            next: rows.next,
        })
    }
}
