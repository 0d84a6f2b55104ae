//! Touchpoints from a CSV file: a marketing-ops export, a spreadsheet kept by partner
//! managers, another PRM's history. The file is checked whole and written whole: any bad cell
//! is named by line and column, and then nothing is written.
//!
//! Columns (labels in any case, other columns ignored): the opportunity (its Trellis id or
//! its CRM id), the partner (its name or id) or a channel, the kind, the date, a note.

use std::collections::HashMap;

use uuid::Uuid;

use serde_json::json;
use trellis_csv::Field;
use trellis_domain::attribution::{TouchpointKind, TouchpointOrigin, check_channel};
use trellis_domain::{Permission, Timestamp, TouchpointId};
use trellis_store::Tx;
use trellis_store::attribution::touchpoints::{self as store, OpportunityRef, TouchpointRow};

use super::touchpoints::occurred;
use crate::csv_file::{CsvFile, PartnerNames, Problems};
use crate::outbox::Change;
use crate::{Actor, Result, Services};

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 100_000;
const FIELDS: [Field; 6] = [
    Field {
        key: "opportunity",
        labels: &[
            "opportunity id",
            "opportunity",
            "opportunity external id",
            "opp id",
            "deal id",
        ],
        required: true,
    },
    Field {
        key: "partner",
        labels: &["partner", "partner name", "partner id"],
        required: false,
    },
    Field {
        key: "channel",
        labels: &["channel", "channel name"],
        required: false,
    },
    Field {
        key: "kind",
        labels: &["kind", "touch type", "touchpoint type", "type"],
        required: true,
    },
    Field {
        key: "occurred_at",
        labels: &["date", "occurred at", "touch date", "when"],
        required: true,
    },
    Field {
        key: "note",
        labels: &["note", "notes", "description"],
        required: false,
    },
];

/// What an import wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TouchpointImport {
    /// Touchpoints recorded: one per row.
    pub created: usize,
}

/// The opportunities and partners the file names, looked up once.
struct Lookups {
    by_id: HashMap<Uuid, OpportunityRef>,
    by_key: HashMap<String, Vec<Uuid>>,
    partners: PartnerNames,
}

impl Lookups {
    async fn load(tx: &mut Tx, file: &CsvFile) -> Result<Self> {
        let (mut ids, mut keys) = (Vec::new(), Vec::new());
        for row in &file.table.rows {
            let key = file.cell(row, "opportunity");
            match Uuid::parse_str(key) {
                Ok(id) => ids.push(id),
                Err(_) => keys.push(key.to_owned()),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        keys.sort_unstable();
        keys.dedup();
        let refs = store::opportunity_refs(&mut tx.exec(), &ids, &keys).await?;
        let mut by_key: HashMap<String, Vec<Uuid>> = HashMap::new();
        let mut by_id = HashMap::new();
        // A row may name by id an opportunity another names by CRM id: one entry each.
        for r in refs {
            if by_id.contains_key(&r.id) {
                continue;
            }
            by_key.entry(r.external_id.clone()).or_default().push(r.id);
            by_id.insert(r.id, r);
        }
        let partners = PartnerNames::new(
            store::partner_refs(&mut tx.exec())
                .await?
                .into_iter()
                .map(|p| (p.id, p.name)),
        );
        Ok(Self {
            by_id,
            by_key,
            partners,
        })
    }

    fn opportunity(&self, key: &str) -> std::result::Result<&OpportunityRef, String> {
        if key.is_empty() {
            return Err("name the opportunity".into());
        }
        if let Ok(id) = Uuid::parse_str(key) {
            return self
                .by_id
                .get(&id)
                .ok_or_else(|| format!("no opportunity has the id {key}"));
        }
        match self.by_key.get(key).map(Vec::as_slice) {
            Some([one]) => self
                .by_id
                .get(one)
                .ok_or_else(|| format!("no opportunity has the id {key:?}")),
            Some(many) => {
                let systems: Vec<&str> = many
                    .iter()
                    .filter_map(|id| self.by_id.get(id))
                    .map(|r| r.source_system.as_str())
                    .collect();
                Err(format!(
                    "{key:?} is an opportunity in {}: give its Trellis id",
                    systems.join(" and ")
                ))
            }
            None => Err(format!("no opportunity has the id {key:?}")),
        }
    }
}

/// One row as a touchpoint (actor and times set), or its problems.
fn check_row(
    file: &CsvFile,
    row: &trellis_csv::Row,
    lookups: &Lookups,
    now: Timestamp,
    problems: &mut Problems,
) -> Option<TouchpointRow> {
    let line = row.line;
    let mut bad = |key: &str, message: String| problems.add(file, line, key, message);
    let opportunity = lookups
        .opportunity(file.cell(row, "opportunity"))
        .map_err(|m| bad("opportunity", m))
        .ok();
    let (partner, channel_text) = (file.cell(row, "partner"), file.cell(row, "channel"));
    let mut org_id = None;
    let mut channel = String::new();
    match (partner.is_empty(), channel_text.is_empty()) {
        (false, false) => bad("channel", "give a partner or a channel, not both".into()),
        (false, true) => {
            org_id = lookups
                .partners
                .resolve(partner)
                .map_err(|m| bad("partner", m))
                .ok();
        }
        (true, _) => match check_channel(channel_text) {
            Ok(c) => channel = c,
            Err(m) => bad("channel", m.into()),
        },
    }
    let kind = file
        .cell(row, "kind")
        .to_lowercase()
        .replace(['-', ' '], "_")
        .parse::<TouchpointKind>()
        .map_err(|m| bad("kind", m))
        .ok();
    let occurred_at = match file.cell(row, "occurred_at") {
        "" => {
            bad("occurred_at", "a date (YYYY-MM-DD) is required".into());
            None
        }
        d => occurred(d, now)
            .map_err(|m| bad("occurred_at", m.into()))
            .ok(),
    };
    let note = file.cell(row, "note");
    if note.chars().count() > 1_000 {
        bad("note", "at most 1,000 characters".into());
    }
    let (opportunity, kind, at) = (opportunity?, kind?, occurred_at?);
    Some(TouchpointRow {
        id: TouchpointId::new().as_uuid(),
        opportunity_id: Some(opportunity.id),
        opportunity_name: None,
        account_id: opportunity.account_id,
        account_name: None,
        org_id,
        org_name: None,
        channel,
        kind: kind.as_str().to_owned(),
        occurred_at: at.millis(),
        actor_id: None,
        actor_label: String::new(),
        origin: TouchpointOrigin::Import.as_str().to_owned(),
        source_id: None,
        note: note.to_owned(),
        created_at: now.millis(),
    })
}

impl Services {
    /// Records every row of a touchpoint file, or none.
    pub async fn import_touchpoints(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> Result<TouchpointImport> {
        super::vendor_with(actor, Permission::AttributionManage)?;
        let file = CsvFile::read(bytes, &FIELDS, MAX_ROWS)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let lookups = Lookups::load(&mut tx, &file).await?;
        let mut problems = Problems::default();
        let rows: Vec<TouchpointRow> = file
            .table
            .rows
            .iter()
            .filter_map(|row| check_row(&file, row, &lookups, now, &mut problems))
            .map(|t| TouchpointRow {
                actor_id: actor.user().map(|u| u.user_id.as_uuid()),
                actor_label: actor.label(),
                ..t
            })
            .collect();
        problems.into_result()?;
        for row in &rows {
            store::insert(&mut tx.exec(), row).await?;
        }
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "touchpoints.imported",
                object_type: "touchpoint",
                object_id: String::new(),
                org_id: None,
                summary: format!("{} touchpoints imported", rows.len()),
                before: None,
                after: Some(json!({ "created": rows.len() })),
                publish: true,
            },
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(TouchpointImport {
            created: rows.len(),
        })
    }
}
