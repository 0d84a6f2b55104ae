//! Mapping runs: a mapping of one connection, queued as a job, computed from both sides'
//! accounts with each side's policy in force at the time, and stored as one view per side.
//! A view holds only what the other side's policy lets it see (see [`super::overlap`]);
//! reading a run always reads the actor's own side's view.

use serde::Serialize;
use serde_json::{Map, Value, json};
use trellis_domain::mapping::{ShareLevel, SharedField, SharingPolicy};
use trellis_domain::{MappingConnectionId, MappingRunId, OrgId, Permission, Timestamp};
use trellis_store::mapping::connections as connection_store;
use trellis_store::mapping::runs::{self as store, CellRow, OverlapRow, RunInputs, RunRow};
use trellis_store::{Exec, Json};
use uuid::Uuid;

use super::overlap::{self, PopulationRef, Side, View};
use super::populations::accounts_of;
use super::sharing::effective;
use super::side_of;
use crate::outbox::{self, Change, kinds};
use crate::platform::PageRequest;
use crate::{Actor, Error, Page, Result, Services};

pub use trellis_store::mapping::runs::OverlapFilter;

/// Runs listed per connection.
const RUNS_LISTED: i64 = 20;

/// One mapping of a connection.
#[derive(Clone, Debug, Serialize)]
pub struct MappingRun {
    /// Id.
    pub id: MappingRunId,
    /// The connection mapped.
    pub connection_id: MappingConnectionId,
    /// The partner.
    pub partner_id: OrgId,
    /// `hosted`: both sides' accounts in this deployment; `private`: by PSI.
    pub mode: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// 0–100.
    pub progress: u8,
    /// What it is doing.
    pub stage: String,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// The vendor's accounts it mapped.
    pub vendor_accounts: Option<u64>,
    /// The partner's accounts it mapped.
    pub partner_accounts: Option<u64>,
}

impl From<&RunRow> for MappingRun {
    fn from(r: &RunRow) -> Self {
        Self {
            id: MappingRunId::from_uuid(r.id),
            connection_id: MappingConnectionId::from_uuid(r.connection_id),
            partner_id: OrgId::from_uuid(r.partner_org_id),
            mode: r.mode.clone(),
            status: r.status.clone(),
            progress: u8::try_from(r.progress.clamp(0, 100)).unwrap_or(0),
            stage: r.stage.clone(),
            error: r.error.clone(),
            requested_at: Timestamp::from_millis(r.requested_at),
            started_at: r.started_at.map(Timestamp::from_millis),
            finished_at: r.finished_at.map(Timestamp::from_millis),
            vendor_accounts: r.vendor_accounts.and_then(|n| u64::try_from(n).ok()),
            partner_accounts: r.partner_accounts.and_then(|n| u64::try_from(n).ok()),
        }
    }
}

/// A side's overlap matrix from one run.
#[derive(Clone, Debug, Serialize)]
pub struct OverlapMatrix {
    /// The run.
    pub run: MappingRun,
    /// Our populations (rows).
    pub ours: Vec<MatrixPopulation>,
    /// Their populations shared at least as counts (columns).
    pub theirs: Vec<MatrixPopulation>,
    /// One per row × column; `overlap` is `None` below their minimum count.
    pub cells: Vec<MatrixCell>,
    /// Our overlapping pairs flagged for co-selling (their customer × our open
    /// opportunity).
    pub flagged: u64,
}

/// A row or column of the matrix.
#[derive(Clone, Debug, Serialize)]
pub struct MatrixPopulation {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Its accounts when the run mapped.
    pub size: u64,
    /// Its overlapping records are shared (else only counts): a cell of it has accounts
    /// behind it to list.
    pub records: bool,
}

/// One cell.
#[derive(Clone, Debug, Serialize)]
pub struct MatrixCell {
    /// Our population.
    pub ours: String,
    /// Theirs.
    pub theirs: String,
    /// Companies in both; `None` where their minimum count hides it.
    pub overlap: Option<u64>,
}

/// One overlapping pair: our account and one record the other side shares.
#[derive(Clone, Debug, Serialize)]
pub struct OverlapItem {
    /// Our account (a CRM account for the vendor, an uploaded account for a partner).
    pub account_id: Uuid,
    /// Its name.
    pub account_name: String,
    /// Who owns it on our side.
    pub owner: String,
    /// Our open opportunities on it.
    pub open_opportunities: u64,
    /// Our populations it is in.
    pub our_populations: Vec<String>,
    /// Their populations (shared as records) their record is in.
    pub their_populations: Vec<String>,
    /// The fields they share of it.
    pub their_fields: Map<String, Value>,
    /// Their customer × our open opportunity: a co-sell to raise with the partner.
    pub flagged: bool,
}

impl OverlapItem {
    /// One of their shared fields as text: empty when not shared or unknown.
    pub fn field_text(&self, key: &str) -> String {
        match self.their_fields.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }
    }
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

fn joined(keys: &[String]) -> String {
    format!(",{},", keys.join(","))
}

impl From<OverlapRow> for OverlapItem {
    fn from(r: OverlapRow) -> Self {
        Self {
            account_id: r.account_id,
            account_name: r.account_name,
            owner: r.owner_name,
            open_opportunities: u64::try_from(r.open_opportunities).unwrap_or(0),
            our_populations: split(&r.our_populations),
            their_populations: split(&r.their_populations),
            their_fields: match r.their_fields.0 {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            flagged: r.flagged,
        }
    }
}

/// A run the actor's side takes part in, and that side.
async fn own_run(ex: &mut Exec<'_>, actor: &Actor, id: MappingRunId) -> Result<(RunRow, OrgId)> {
    actor.require(Permission::MappingRead)?;
    let run = store::find(ex, id.as_uuid())
        .await?
        .ok_or(Error::NotFound)?;
    // A private run is the vendor's view of a mapping with another server: the partner
    // organisation standing for that server has none here.
    if let Some(s) = actor.partner_scope()
        && (s.org_id().as_uuid() != run.partner_org_id || run.mode == "private")
    {
        return Err(Error::NotFound);
    }
    let side = side_of(ex, actor).await?;
    Ok((run, side))
}

fn populations_of(value: Option<&Json<Value>>) -> Vec<PopulationRef> {
    value
        .and_then(|v| serde_json::from_value(v.0.clone()).ok())
        .unwrap_or_default()
}

impl Services {
    /// Asks for a mapping of a connection (both sides must have opted in); one already
    /// queued or running is returned instead of a second.
    pub async fn request_mapping_run(
        &self,
        actor: &Actor,
        connection: MappingConnectionId,
    ) -> Result<MappingRun> {
        actor.require(Permission::MappingRead)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let c = connection_store::find(&mut tx.exec(), connection.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if actor
            .partner_scope()
            .is_some_and(|s| s.org_id().as_uuid() != c.partner_org_id)
        {
            return Err(Error::NotFound);
        }
        if c.vendor_opted_in_at.is_none() || c.partner_opted_in_at.is_none() {
            return Err(Error::InvalidState(
                "both sides must opt in to mapping before it can run",
            ));
        }
        let link = trellis_store::mapping::links::find(&mut tx.exec(), c.id).await?;
        if let Some(l) = &link {
            // A private connection is the vendor's: partners never use its link.
            if actor.partner_scope().is_some() {
                return Err(Error::Forbidden);
            }
            if l.role != "client" {
                return Err(Error::InvalidState(
                    "the other server redeemed this connection's invitation, so it starts the \
                     mappings; each one it runs is stored here too",
                ));
            }
        }
        if let Some(pending) = store::pending(&mut tx.exec(), c.id).await? {
            return Ok(MappingRun::from(&pending));
        }
        let row = RunRow {
            id: MappingRunId::new().as_uuid(),
            connection_id: c.id,
            partner_org_id: c.partner_org_id,
            mode: if link.is_some() { "private" } else { "hosted" }.to_owned(),
            status: "queued".to_owned(),
            progress: 0,
            stage: "queued".to_owned(),
            error: None,
            requested_by: actor.user().map(|u| u.user_id.as_uuid()),
            requested_at: now.millis(),
            started_at: None,
            finished_at: None,
            vendor_policy: None,
            partner_policy: None,
            vendor_populations: None,
            partner_populations: None,
            vendor_accounts: None,
            partner_accounts: None,
            updated_at: now.millis(),
        };
        store::insert(&mut tx.exec(), &row).await?;
        outbox::enqueue(
            &mut tx,
            kinds::MAPPING_RUN,
            json!({"run_id": row.id}),
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
                action: "mapping.run_requested",
                object_type: "mapping_run",
                object_id: row.id.to_string(),
                org_id: Some(OrgId::from_uuid(c.partner_org_id)),
                summary: format!("Account mapping with {} requested", c.partner_name),
                before: None,
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(MappingRun::from(&row))
    }

    /// A connection's latest runs, newest first.
    pub async fn mapping_runs(
        &self,
        actor: &Actor,
        connection: MappingConnectionId,
    ) -> Result<Vec<MappingRun>> {
        self.mapping_connection(actor, connection).await?;
        let mut c = self.db().read().await?;
        let rows = store::of_connection(&mut c.exec(), connection.as_uuid(), RUNS_LISTED).await?;
        let partner = actor.partner_scope().is_some();
        Ok(rows
            .iter()
            .filter(|r| !(partner && r.mode == "private"))
            .map(MappingRun::from)
            .collect())
    }

    /// One run, with its progress.
    pub async fn mapping_run(&self, actor: &Actor, id: MappingRunId) -> Result<MappingRun> {
        let mut c = self.db().read().await?;
        let (run, _) = own_run(&mut c.exec(), actor, id).await?;
        Ok(MappingRun::from(&run))
    }

    /// The actor's side's overlap matrix from a finished run.
    pub async fn mapping_matrix(&self, actor: &Actor, id: MappingRunId) -> Result<OverlapMatrix> {
        let mut c = self.db().read().await?;
        let (run, side) = own_run(&mut c.exec(), actor, id).await?;
        if run.status != "done" {
            return Err(Error::InvalidState("the mapping has not finished"));
        }
        let vendor_view = actor.partner_scope().is_none();
        let (ours, theirs, their_policy) = if vendor_view {
            (
                &run.vendor_populations,
                &run.partner_populations,
                &run.partner_policy,
            )
        } else {
            (
                &run.partner_populations,
                &run.vendor_populations,
                &run.vendor_policy,
            )
        };
        let their_policy: SharingPolicy = their_policy
            .as_ref()
            .and_then(|p| serde_json::from_value(p.0.clone()).ok())
            .unwrap_or_default();
        let cells = store::cells(&mut c.exec(), run.id, side.as_uuid()).await?;
        let shown: std::collections::BTreeSet<&str> =
            cells.iter().map(|c| c.theirs.as_str()).collect();
        let to_matrix = |p: PopulationRef, policy: Option<&SharingPolicy>| MatrixPopulation {
            records: policy.is_some_and(|s| s.share(&p.key).level == ShareLevel::Records),
            key: p.key,
            name: p.name,
            size: p.size,
        };
        let flagged = store::flagged_count(&mut c.exec(), run.id, side.as_uuid()).await?;
        Ok(OverlapMatrix {
            run: MappingRun::from(&run),
            ours: populations_of(ours.as_ref())
                .into_iter()
                .map(|p| to_matrix(p, None))
                .collect(),
            theirs: populations_of(theirs.as_ref())
                .into_iter()
                .filter(|p| shown.contains(p.key.as_str()))
                .map(|p| to_matrix(p, Some(&their_policy)))
                .collect(),
            cells: cells
                .into_iter()
                .map(|c| MatrixCell {
                    ours: c.ours,
                    theirs: c.theirs,
                    overlap: c.overlap.and_then(|n| u64::try_from(n).ok()),
                })
                .collect(),
            flagged: u64::try_from(flagged).unwrap_or(0),
        })
    }

    /// A page of the actor's side's overlapping pairs from a run, by account name.
    pub async fn mapping_overlaps(
        &self,
        actor: &Actor,
        id: MappingRunId,
        filter: &OverlapFilter,
        page: &PageRequest,
    ) -> Result<Page<OverlapItem>> {
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        let (run, side) = own_run(&mut c.exec(), actor, id).await?;
        let rows = store::overlaps(
            &mut c.exec(),
            run.id,
            side.as_uuid(),
            filter,
            cursor.as_ref(),
            limit,
        )
        .await?;
        Ok(rows.map(OverlapItem::from))
    }

    /// The actor's side's overlapping pairs from a run as a spreadsheet-safe CSV: our
    /// account, owner and open opportunities, both sides' populations, the co-sell flag, and
    /// a column per field the other side shared.
    pub async fn mapping_overlaps_csv(
        &self,
        actor: &Actor,
        id: MappingRunId,
        filter: &OverlapFilter,
    ) -> Result<Vec<u8>> {
        let mut c = self.db().read().await?;
        let (run, side) = own_run(&mut c.exec(), actor, id).await?;
        let rows = store::overlaps(&mut c.exec(), run.id, side.as_uuid(), filter, None, 1 << 40)
            .await?
            .items;
        let items: Vec<OverlapItem> = rows.into_iter().map(OverlapItem::from).collect();
        let fields: Vec<&str> = SharedField::ALL
            .iter()
            .map(|f| f.as_str())
            .filter(|f| items.iter().any(|i| i.their_fields.contains_key(*f)))
            .collect();
        let header = [
            "Account",
            "Owner",
            "Open opportunities",
            "Our populations",
            "Their populations",
            "Co-sell flag",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain(
            fields
                .iter()
                .map(|f| format!("Their {}", f.replace('_', " "))),
        );
        let lines = items.iter().map(|i| {
            [
                i.account_name.clone(),
                i.owner.clone(),
                i.open_opportunities.to_string(),
                i.our_populations.join(" "),
                i.their_populations.join(" "),
                if i.flagged { "yes" } else { "" }.to_owned(),
            ]
            .into_iter()
            .chain(fields.iter().map(|f| i.field_text(f)))
            .collect::<Vec<_>>()
        });
        Ok(trellis_csv::write_neutralised(
            std::iter::once(header.collect::<Vec<_>>()).chain(lines),
        ))
    }

    /// Runs a queued mapping (the `mapping.run` job). A mapping that cannot run (a side
    /// opted out meanwhile) ends failed with the reason; only an outage is an error, for the
    /// job to retry.
    pub async fn execute_mapping_run(&self, id: MappingRunId) -> Result<()> {
        let run = {
            let mut c = self.db().read().await?;
            store::find(&mut c.exec(), id.as_uuid()).await?
        };
        let Some(run) = run.filter(|r| r.status == "queued" || r.status == "running") else {
            return Ok(());
        };
        match self.compute_run(&run).await {
            Ok(()) => Ok(()),
            Err(Error::InvalidState(why)) => {
                let mut tx = self.db().begin().await?;
                store::fail(&mut tx.exec(), run.id, why, self.now().millis()).await?;
                tx.commit().await?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn progress(&self, run: Uuid, progress: i64, stage: &str) -> Result<()> {
        let mut tx = self.db().begin().await?;
        store::set_progress(
            &mut tx.exec(),
            run,
            "running",
            progress,
            stage,
            self.now().millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn compute_run(&self, run: &RunRow) -> Result<()> {
        if run.mode == "private" {
            return match self.private_mode(run.connection_id).await? {
                Some(link) => self.compute_private_run(run, &link).await,
                None => Err(Error::InvalidState("the connection is no longer linked")),
            };
        }
        self.progress(run.id, 5, "reading both sides' accounts")
            .await?;
        let partner = OrgId::from_uuid(run.partner_org_id);
        let connection = MappingConnectionId::from_uuid(run.connection_id);
        let (vendor, vendor_policy, partner_policy, vendor_rows, partner_rows) = {
            let mut c = self.db().read().await?;
            let conn = connection_store::find(&mut c.exec(), run.connection_id)
                .await?
                .ok_or(Error::InvalidState("the connection no longer exists"))?;
            if conn.vendor_opted_in_at.is_none() || conn.partner_opted_in_at.is_none() {
                return Err(Error::InvalidState(
                    "a side opted out of mapping before it ran",
                ));
            }
            let vendor = trellis_store::platform::orgs::find_vendor(&mut c.exec())
                .await?
                .map(|o| OrgId::from_uuid(o.id))
                .ok_or(Error::InvalidState("the deployment has no vendor"))?;
            (
                vendor,
                effective(&mut c.exec(), vendor, connection).await?,
                effective(&mut c.exec(), partner, connection).await?,
                accounts_of(&mut c.exec(), vendor, true).await?,
                accounts_of(&mut c.exec(), partner, false).await?,
            )
        };
        let vendor_populations = self.side_populations(vendor, true).await?;
        let partner_populations = self.side_populations(partner, false).await?;
        self.progress(run.id, 30, "matching the accounts").await?;
        let (vendor_side, partner_side, vendor_view, partner_view) =
            tokio::task::spawn_blocking(move || {
                let v = Side::new(&vendor_populations, vendor_rows, vendor_policy);
                let p = Side::new(&partner_populations, partner_rows, partner_policy);
                let vv = overlap::view(&v, &p);
                let pv = overlap::view(&p, &v);
                (v, p, vv, pv)
            })
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("mapping task: {e}")))?;
        self.progress(run.id, 80, "saving the results").await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        store_view(&mut tx.exec(), run.id, vendor, &vendor_side, &vendor_view).await?;
        store_view(
            &mut tx.exec(),
            run.id,
            partner,
            &partner_side,
            &partner_view,
        )
        .await?;
        let inputs = RunInputs {
            vendor_policy: Json(policy_json(&vendor_side.policy)),
            partner_policy: Json(policy_json(&partner_side.policy)),
            vendor_populations: Json(json!(vendor_side.populations)),
            partner_populations: Json(json!(partner_side.populations)),
            vendor_accounts: i64::try_from(vendor_side.accounts.len()).unwrap_or(i64::MAX),
            partner_accounts: i64::try_from(partner_side.accounts.len()).unwrap_or(i64::MAX),
        };
        store::finish(&mut tx.exec(), run.id, &inputs, now.millis()).await?;
        self.record(
            &mut tx,
            &Actor::System,
            now,
            Change {
                action: "mapping.completed",
                object_type: "mapping_run",
                object_id: run.id.to_string(),
                org_id: Some(partner),
                summary: format!(
                    "Account mapping finished: {} overlapping pairs for the vendor, {} for the \
                     partner",
                    vendor_view.pairs.len(),
                    partner_view.pairs.len()
                ),
                before: None,
                after: Some(json!({
                    "run_id": run.id,
                    "connection_id": run.connection_id,
                    "partner_id": run.partner_org_id,
                })),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn policy_json(p: &SharingPolicy) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

/// Writes one side's view of a run.
pub(super) async fn store_view(
    ex: &mut Exec<'_>,
    run: Uuid,
    viewer: OrgId,
    ours: &Side,
    view: &View,
) -> Result<()> {
    let cells: Vec<CellRow> = view
        .cells
        .iter()
        .map(|c| CellRow {
            run_id: run,
            viewer_org_id: viewer.as_uuid(),
            ours: c.ours.clone(),
            theirs: c.theirs.clone(),
            overlap: c.overlap.and_then(|n| i64::try_from(n).ok()),
        })
        .collect();
    store::insert_cells(ex, &cells).await?;
    let rows: Vec<OverlapRow> = view
        .pairs
        .iter()
        .map(|p| {
            let a = &ours.accounts[p.ours];
            OverlapRow {
                id: Uuid::now_v7(),
                run_id: run,
                viewer_org_id: viewer.as_uuid(),
                account_id: a.id,
                account_name: a.name.clone(),
                owner_name: a.owner_name.clone(),
                open_opportunities: a.open_opportunities,
                our_populations: joined(&p.our_populations),
                their_populations: joined(&p.their_populations),
                their_fields: Json(Value::Object(p.their_fields.clone())),
                flagged: p.flagged,
            }
        })
        .collect();
    store::insert_overlaps(ex, &rows).await?;
    Ok(())
}
