//! CSV import of CRM exports (accounts, contacts, opportunities) as Salesforce, HubSpot and
//! spreadsheets write them.
//!
//! An import reads the whole file, checks every row, and only then writes, in one
//! transaction: with any bad row nothing is written (the report lists each row's line,
//! column and reason) unless the caller asked for the good rows (`partial`). Records are
//! keyed by `(source_system, external_id)`, so importing the same export again updates in
//! place; rows whose values did not change are not written at all.
//!
//! Every import is recorded in `imports` with its report. Progress goes to the caller's
//! callback and to an in-memory board that [`Services::get_import`] reads, since on SQLite the
//! import's own write transaction holds the only writer until it commits.

mod fields;
mod partner;
mod rows;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use trellis_csv::{Columns, Field};
use trellis_domain::crm::{DateOrder, SourceSystem, infer_date_order, parse_date};
use trellis_domain::text::fold;
use trellis_domain::{ImportId, Permission, Timestamp, UserId};
use trellis_store::crm::imports::{self as store, ImportRow};
use trellis_store::crm::opportunities as opportunity_store;
use trellis_store::crm::{self as crm_store, RecordKey, Table as StoreTable};
use trellis_store::crm::{accounts as account_store, contacts as contact_store};
use trellis_store::{Json, Tx};
use uuid::Uuid;

pub use fields::guess_source;
pub(crate) use partner::{PartnerAccountRead, read_partner_accounts};
use rows::{Cells, Context};

use super::owners::Owners;
use super::{accounts, contacts, opportunities, record_event};
use crate::outbox::{self, Change, Event};
use crate::platform::{PageRequest, parse_stored};
use crate::{Actor, Error, Page, Result, Services};

/// At most this many row errors and warnings each are kept in a report; the totals count all.
pub const MAX_ISSUES: usize = 10_000;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Companies.
    Accounts,
    /// People at companies.
    Contacts,
    /// Deals.
    Opportunities,
}

impl ImportKind {
    /// Every kind.
    pub const ALL: [ImportKind; 3] = [Self::Accounts, Self::Contacts, Self::Opportunities];

    /// `accounts`, `contacts`, `opportunities`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Contacts => "contacts",
            Self::Opportunities => "opportunities",
        }
    }

    /// The columns this kind reads.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::Accounts => fields::ACCOUNTS,
            Self::Contacts => fields::CONTACTS,
            Self::Opportunities => fields::OPPORTUNITIES,
        }
    }

    fn table(self) -> StoreTable {
        match self {
            Self::Accounts => StoreTable::Accounts,
            Self::Contacts => StoreTable::Contacts,
            Self::Opportunities => StoreTable::Opportunities,
        }
    }

    /// The singular noun of its events: `account.created`.
    fn noun(self) -> &'static str {
        match self {
            Self::Accounts => "account",
            Self::Contacts => "contact",
            Self::Opportunities => "opportunity",
        }
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown import kind {s:?}; expected accounts, contacts or opportunities")
            })
    }
}

/// How to import a file.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The file's name, for the import history.
    pub file_name: String,
    /// The system the records come from; guessed from the headers when absent.
    pub source_system: Option<String>,
    /// `field=Column, …` overriding the column detection; the saved mapping when absent.
    pub mapping: Option<String>,
    /// Save `mapping` for the next import of this kind from this source.
    pub save_mapping: bool,
    /// Import the good rows even if some are bad.
    pub partial: bool,
    /// The day-month order of dates, when the file's dates do not tell.
    pub date_order: Option<DateOrder>,
}

/// The phase an import is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Decoding and parsing the file.
    Reading,
    /// Checking every row.
    Checking,
    /// Writing the records.
    Writing,
    /// Over.
    Done,
}

impl Phase {
    /// `reading`, `checking`, `writing`, `done`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reading => "reading",
            Self::Checking => "checking",
            Self::Writing => "writing",
            Self::Done => "done",
        }
    }
}

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// The phase.
    pub phase: Phase,
    /// Rows through this phase.
    pub done: u64,
    /// Rows in all.
    pub total: u64,
}

/// One problem with one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The line the row starts on (the header is line 1); 0 for the file as a whole.
    pub line: u64,
    /// The column's header as the file has it (empty for the whole row or file).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// Which column a field was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnUse {
    /// The field.
    pub field: String,
    /// The file's header.
    pub column: String,
}

/// How the file was read and what was wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The encoding the file was read in.
    pub encoding: String,
    /// The delimiter.
    pub delimiter: String,
    /// The columns read, by field.
    pub columns: Vec<ColumnUse>,
    /// Columns no field reads, kept with each record as attributes.
    pub attribute_columns: Vec<String>,
    /// Report footer lines skipped.
    pub footer_rows: usize,
    /// The day-month order dates were read in.
    pub date_order: Option<String>,
    /// Row errors (at most [`MAX_ISSUES`]).
    pub errors: Vec<Issue>,
    /// All row errors.
    pub errors_total: usize,
    /// Problems that did not stop a row (at most [`MAX_ISSUES`]).
    pub warnings: Vec<Issue>,
    /// All warnings.
    pub warnings_total: usize,
}

impl ImportReport {
    /// Every error and then every warning kept, as CSV (`line,column,severity,message`) with
    /// each cell neutralised against spreadsheet formulas.
    pub fn to_csv(&self) -> Vec<u8> {
        let header = ["line", "column", "severity", "message"].map(String::from);
        let rows = [("error", &self.errors), ("warning", &self.warnings)]
            .into_iter()
            .flat_map(|(severity, issues)| {
                issues.iter().map(move |i| {
                    [
                        i.line.to_string(),
                        i.column.clone(),
                        severity.to_owned(),
                        i.message.clone(),
                    ]
                })
            });
        trellis_csv::write_neutralised(std::iter::once(header).chain(rows))
    }
}

/// Whether an import is running, done or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Still working.
    Running,
    /// Written.
    Succeeded,
    /// Nothing was written.
    Failed,
}

impl FromStr for ImportStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            _ => Err(()),
        }
    }
}

impl ImportStatus {
    /// `running`, `succeeded`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// One import run.
#[derive(Clone, Debug, Serialize)]
pub struct Import {
    /// Id.
    pub id: ImportId,
    /// What the file held.
    pub kind: ImportKind,
    /// Where the records come from.
    pub source_system: String,
    /// The file's name.
    pub file_name: String,
    /// Running, succeeded or failed.
    pub status: ImportStatus,
    /// Whether good rows were imported despite bad ones.
    pub partial: bool,
    /// Where it is (while running, live).
    pub progress: ImportProgress,
    /// Records created.
    pub created: i64,
    /// Records changed.
    pub updated: i64,
    /// Records sent again with the same values.
    pub unchanged: i64,
    /// Rows not imported.
    pub rejected: i64,
    /// How the file was read and what was wrong with it.
    pub report: ImportReport,
    /// Who started it.
    pub started_by: Option<UserId>,
    /// When.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
}

impl TryFrom<ImportRow> for Import {
    type Error = Error;
    fn try_from(r: ImportRow) -> Result<Self> {
        let status: ImportStatus = parse_stored("status", &r.status)?;
        let total = u64::try_from(r.rows_total).unwrap_or(0);
        Ok(Self {
            id: ImportId::from_uuid(r.id),
            kind: parse_stored("kind", &r.kind)?,
            source_system: r.source_system,
            file_name: r.file_name,
            status,
            partial: r.partial,
            progress: ImportProgress {
                phase: if status == ImportStatus::Running {
                    Phase::Checking
                } else {
                    Phase::Done
                },
                done: u64::try_from(r.rows_done).unwrap_or(0),
                total,
            },
            created: r.created_count,
            updated: r.updated_count,
            unchanged: r.unchanged_count,
            rejected: r.rejected_count,
            report: serde_json::from_value(r.report.0).unwrap_or_default(),
            started_by: r.started_by.map(UserId::from_uuid),
            started_at: Timestamp::from_millis(r.started_at),
            finished_at: r.finished_at.map(Timestamp::from_millis),
        })
    }
}

/// Live progress of the imports running in this process.
#[derive(Debug, Default)]
pub(crate) struct Board(Mutex<HashMap<ImportId, ImportProgress>>);

impl Board {
    fn set(&self, id: ImportId, p: ImportProgress) {
        if let Ok(mut m) = self.0.lock() {
            if p.phase == Phase::Done {
                m.remove(&id);
            } else {
                m.insert(id, p);
            }
        }
    }

    fn get(&self, id: ImportId) -> Option<ImportProgress> {
        self.0.lock().ok().and_then(|m| m.get(&id).copied())
    }
}

/// A checked row, ready to write.
enum Record {
    Account(trellis_store::crm::accounts::AccountRow),
    Contact(trellis_store::crm::contacts::CrmContactRow),
    Opportunity(trellis_store::crm::opportunities::OpportunityRow),
}

impl Record {
    fn external_id(&self) -> &str {
        match self {
            Record::Account(r) => &r.external_id,
            Record::Contact(r) => &r.external_id,
            Record::Opportunity(r) => &r.external_id,
        }
    }

    fn content_hash(&self) -> i64 {
        match self {
            Record::Account(r) => r.content_hash,
            Record::Contact(r) => r.content_hash,
            Record::Opportunity(r) => r.content_hash,
        }
    }

    /// Takes the identity of the stored record it updates.
    fn adopt(&mut self, key: &RecordKey) {
        let (id, version) = (key.id, key.version + 1);
        match self {
            Record::Account(r) => (r.id, r.version) = (id, version),
            Record::Contact(r) => (r.id, r.version) = (id, version),
            Record::Opportunity(r) => (r.id, r.version) = (id, version),
        }
    }

    fn id(&self) -> Uuid {
        match self {
            Record::Account(r) => r.id,
            Record::Contact(r) => r.id,
            Record::Opportunity(r) => r.id,
        }
    }

    fn version(&self) -> i64 {
        match self {
            Record::Account(r) => r.version,
            Record::Contact(r) => r.version,
            Record::Opportunity(r) => r.version,
        }
    }
}

/// The outcome of checking one row.
struct RowOutcome {
    line: u64,
    record: Option<Record>,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
}

impl Services {
    /// Imports a CSV file of `kind` and waits for the end. Returns the import, failed (and
    /// nothing written) when a row is bad and `partial` is off; an `Err` only for
    /// permissions, invalid options and outages.
    pub async fn import_csv(
        &self,
        actor: &Actor,
        kind: ImportKind,
        bytes: &[u8],
        options: &ImportOptions,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<Import> {
        let (row, source) = self.begin_import(actor, kind, options).await?;
        self.finish_import(actor, kind, bytes, options, source, row, progress)
            .await
    }

    /// Starts importing a CSV file in the background and returns the running import, whose
    /// progress [`Services::get_import`] reports.
    pub async fn start_import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        bytes: Vec<u8>,
        options: ImportOptions,
    ) -> Result<Import> {
        let (row, source) = self.begin_import(actor, kind, &options).await?;
        let running = Import::try_from(row.clone())?;
        let (services, actor) = (self.clone(), actor.clone());
        tokio::spawn(async move {
            fn quiet(_: ImportProgress) {}
            // The outcome is in the imports table; a failure here is also logged there.
            let _ = services
                .finish_import(&actor, kind, &bytes, &options, source, row, &quiet)
                .await;
        });
        Ok(running)
    }

    /// Checks the caller and options and records the import as running.
    async fn begin_import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        options: &ImportOptions,
    ) -> Result<(ImportRow, Option<SourceSystem>)> {
        actor.require(Permission::CrmManage)?;
        let explicit_source = match options.source_system.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(
                SourceSystem::parse(s).map_err(|e| Error::field("source_system", e.to_string()))?,
            ),
        };
        if let Some(m) = &options.mapping
            && m.chars().count() > 4_000
        {
            return Err(Error::field("mapping", "must be at most 4000 characters"));
        }
        let file_name = options
            .file_name
            .trim()
            .chars()
            .take(255)
            .collect::<String>();
        let now = self.now();
        let row = ImportRow {
            id: ImportId::new().as_uuid(),
            kind: kind.as_str().to_owned(),
            source_system: explicit_source
                .as_ref()
                .map_or_else(|| "csv".to_owned(), |s| s.as_str().to_owned()),
            file_name,
            status: ImportStatus::Running.as_str().to_owned(),
            partial: options.partial,
            rows_total: 0,
            rows_done: 0,
            created_count: 0,
            updated_count: 0,
            unchanged_count: 0,
            rejected_count: 0,
            report: Json(json!({})),
            started_by: actor.user().map(|u| u.user_id.as_uuid()),
            started_at: now.millis(),
            updated_at: now.millis(),
            finished_at: None,
        };
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row).await?;
        tx.commit().await?;
        Ok((row, explicit_source))
    }

    /// Runs a begun import to its end.
    #[allow(clippy::too_many_arguments)]
    async fn finish_import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        bytes: &[u8],
        options: &ImportOptions,
        explicit_source: Option<SourceSystem>,
        mut row: ImportRow,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<Import> {
        let id = ImportId::from_uuid(row.id);
        let report_progress = |p: ImportProgress| {
            self.imports.set(id, p);
            progress(p);
        };
        report_progress(ImportProgress {
            phase: Phase::Reading,
            done: 0,
            total: 0,
        });
        let result = self
            .run_import(
                actor,
                kind,
                bytes,
                options,
                explicit_source,
                &mut row,
                &report_progress,
            )
            .await;
        report_progress(ImportProgress {
            phase: Phase::Done,
            done: u64::try_from(row.rows_done).unwrap_or(0),
            total: u64::try_from(row.rows_total).unwrap_or(0),
        });
        match result {
            Ok(()) => Import::try_from(row),
            Err(e) => {
                // The data transaction rolled back; record the failure so the history shows it.
                tracing::warn!(import = %id, error = %e, "import failed");
                ImportStatus::Failed.as_str().clone_into(&mut row.status);
                row.finished_at = Some(self.now().millis());
                if let Ok(mut tx) = self.db().begin().await {
                    let _ = store::save(&mut tx.exec(), &row).await;
                    let _ = tx.commit().await;
                }
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_lines, clippy::too_many_arguments)]
    async fn run_import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        bytes: &[u8],
        options: &ImportOptions,
        explicit_source: Option<SourceSystem>,
        row: &mut ImportRow,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<()> {
        let mut report = ImportReport::default();
        let table = match trellis_csv::read(bytes) {
            Ok(t) => t,
            Err(e) => {
                return self
                    .fail(actor, kind, row, report, file_issue(e.to_string()))
                    .await;
            }
        };
        report.encoding = table.encoding.to_owned();
        report.delimiter = match table.delimiter {
            '\t' => "tab".to_owned(),
            c => c.to_string(),
        };
        report.footer_rows = table.footer_rows;
        let source = explicit_source.map_or_else(
            || guess_source(&table.headers).to_owned(),
            |s| s.as_str().to_owned(),
        );
        row.source_system.clone_from(&source);
        row.rows_total = i64::try_from(table.rows.len()).unwrap_or(i64::MAX);

        let mut c = self.db().read().await?;
        let saved = store::mapping(&mut c.exec(), kind.as_str(), &source).await?;
        let mapping = options.mapping.clone().or(saved.clone());
        let columns = match Columns::detect(&table.headers, kind.fields(), mapping.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                let hint = if options.mapping.is_none() && saved.is_some() {
                    " (from the mapping saved for this source; pass another to replace it)"
                } else {
                    ""
                };
                return self
                    .fail(actor, kind, row, report, file_issue(format!("{e}{hint}")))
                    .await;
            }
        };
        for (field, column) in columns.iter() {
            report.columns.push(ColumnUse {
                field: field.to_owned(),
                column: table.headers[column].clone(),
            });
        }
        report.attribute_columns = (0..table.headers.len())
            .filter(|i| columns.field_of(*i).is_none())
            .map(|i| table.headers[i].clone())
            .collect();
        if kind == ImportKind::Opportunities && columns.get("id").is_none() {
            let issue = file_issue(
                "no id column: an opportunity import needs each deal's own id (\"Opportunity ID\", \
                 \"Deal ID\" or \"Record ID\", or map one with id=COLUMN) so that importing again \
                 updates the deals instead of duplicating them"
                    .into(),
            );
            return self.fail(actor, kind, row, report, issue).await;
        }
        let mut date_orders = HashMap::new();
        for key in ["close_date", "last_activity"] {
            let Some(col) = columns.get(key) else {
                continue;
            };
            let order = match options.date_order {
                Some(o) => o,
                // A value that is no date in any order is that row's error, not the column's.
                None => match infer_date_order(
                    table
                        .rows
                        .iter()
                        .map(|r| r.cell(col))
                        .filter(|v| DateOrder::ALL.iter().any(|o| parse_date(v, *o).is_ok())),
                ) {
                    Ok(o) => o,
                    Err(e) => {
                        let issue = Issue {
                            line: 0,
                            column: table.headers[col].clone(),
                            message: format!("{e}; pass the date order explicitly"),
                        };
                        return self.fail(actor, kind, row, report, vec![issue]).await;
                    }
                },
            };
            report.date_order = Some(format!("{order:?}").to_lowercase());
            date_orders.insert(key, order);
        }

        // Lookups, loaded once.
        let owners = Owners::load(&mut c.exec()).await?;
        let default_currency = self.default_currency().await?;
        let existing: HashMap<String, RecordKey> =
            crm_store::keys(&mut c.exec(), kind.table(), &source)
                .await?
                .into_iter()
                .map(|k| (k.external_id.clone(), k))
                .collect();
        let (accounts_by_id, accounts_by_name) = if kind == ImportKind::Accounts {
            (HashMap::new(), HashMap::new())
        } else {
            account_lookups(&mut c.exec(), &source).await?
        };
        drop(c);
        let ctx = Context {
            columns: &columns,
            headers: &table.headers,
            default_currency,
            date_orders,
            accounts_by_id,
            accounts_by_name,
        };

        // Check every row, in parallel: pure work on the parsed file.
        let total = table.rows.len() as u64;
        let now = self.now().millis();
        progress(ImportProgress {
            phase: Phase::Checking,
            done: 0,
            total,
        });
        let checked: Vec<RowOutcome> = table
            .rows
            .par_iter()
            .map(|r| check_row(kind, r, &ctx, &owners, &source, now))
            .collect();
        let mut seen: HashMap<String, u64> = HashMap::with_capacity(checked.len());
        let mut records = Vec::with_capacity(checked.len());
        let mut rejected = 0i64;
        for mut ch in checked {
            if let Some(rec) = &ch.record
                && let Some(first) = seen.insert(rec.external_id().to_owned(), ch.line)
            {
                ch.errors.push(Issue {
                    line: ch.line,
                    column: columns
                        .get("id")
                        .map(|c| table.headers[c].clone())
                        .unwrap_or_default(),
                    message: format!(
                        "the id \"{}\" is already on line {first}",
                        rec.external_id()
                    ),
                });
            }
            push_capped(
                &mut report.warnings,
                &mut report.warnings_total,
                ch.warnings,
            );
            if ch.errors.is_empty() {
                if let Some(rec) = ch.record {
                    records.push(rec);
                }
            } else {
                rejected += 1;
                push_capped(&mut report.errors, &mut report.errors_total, ch.errors);
            }
        }
        row.rows_done = row.rows_total;
        row.rejected_count = rejected;
        if rejected > 0 && !options.partial {
            return self.fail(actor, kind, row, report, Vec::new()).await;
        }

        // Sort into new, changed and unchanged.
        let mut created = Vec::new();
        let mut changed = Vec::new();
        let mut unchanged = 0i64;
        for mut rec in records {
            match existing.get(rec.external_id()) {
                None => created.push(rec),
                Some(k) if k.content_hash == rec.content_hash() && !k.archived => unchanged += 1,
                Some(k) => {
                    rec.adopt(k);
                    changed.push(rec);
                }
            }
        }
        row.created_count = i64::try_from(created.len()).unwrap_or(i64::MAX);
        row.updated_count = i64::try_from(changed.len()).unwrap_or(i64::MAX);
        row.unchanged_count = unchanged;

        // Write, in one transaction.
        let writes = created.len() + changed.len();
        let mut tx = self.db().begin().await?;
        let mut done = 0usize;
        for (records, event) in [(&created, "created"), (&changed, "updated")] {
            for chunk in records.chunks(5_000) {
                write_records(&mut tx, chunk).await?;
                let event_type = match (kind, event) {
                    (ImportKind::Accounts, "created") => "account.created",
                    (ImportKind::Accounts, _) => "account.updated",
                    (ImportKind::Contacts, "created") => "contact.created",
                    (ImportKind::Contacts, _) => "contact.updated",
                    (ImportKind::Opportunities, "created") => "opportunity.created",
                    (ImportKind::Opportunities, _) => "opportunity.updated",
                };
                let events: Vec<Event<'static>> = chunk
                    .iter()
                    .map(|r| {
                        let mut e = record_event(
                            event_type,
                            kind.noun(),
                            r.id().to_string(),
                            &source,
                            r.external_id(),
                            r.version(),
                        );
                        e.payload["import_id"] = json!(row.id);
                        e
                    })
                    .collect();
                outbox::append_to_feed(&mut tx, Timestamp::from_millis(now), events).await?;
                done += chunk.len();
                progress(ImportProgress {
                    phase: Phase::Writing,
                    done: done as u64,
                    total: writes as u64,
                });
            }
        }
        if options.save_mapping
            && let Some(m) = &options.mapping
        {
            let by = actor.user().map(|u| u.user_id.as_uuid());
            store::save_mapping(&mut tx.exec(), kind.as_str(), &source, m.trim(), by, now).await?;
        }
        ImportStatus::Succeeded.as_str().clone_into(&mut row.status);
        row.report = Json(json!(report));
        let finished = self.now();
        row.updated_at = finished.millis();
        row.finished_at = Some(finished.millis());
        store::save(&mut tx.exec(), row).await?;
        let summary = format!(
            "imported {} from {}: {} created, {} updated, {} unchanged, {} rejected",
            kind,
            row.file_name,
            row.created_count,
            row.updated_count,
            row.unchanged_count,
            row.rejected_count
        );
        self.record(
            &mut tx,
            actor,
            finished,
            Change {
                action: "import.completed",
                object_type: "import",
                object_id: row.id.to_string(),
                org_id: None,
                summary,
                before: None,
                after: Some(json!({
                    "id": row.id,
                    "kind": kind,
                    "source_system": source,
                    "file_name": row.file_name,
                    "created": row.created_count,
                    "updated": row.updated_count,
                    "unchanged": row.unchanged_count,
                    "rejected": row.rejected_count,
                })),
                publish: true,
            },
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, finished, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed import: nothing was written; the report says why.
    async fn fail(
        &self,
        actor: &Actor,
        kind: ImportKind,
        row: &mut ImportRow,
        mut report: ImportReport,
        file_issues: Vec<Issue>,
    ) -> Result<()> {
        push_capped(&mut report.errors, &mut report.errors_total, file_issues);
        let now = self.now();
        ImportStatus::Failed.as_str().clone_into(&mut row.status);
        row.report = Json(json!(report));
        row.updated_at = now.millis();
        row.finished_at = Some(now.millis());
        let mut tx = self.db().begin().await?;
        store::save(&mut tx.exec(), row).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "import.failed",
                object_type: "import",
                object_id: row.id.to_string(),
                org_id: None,
                summary: format!(
                    "an import of {kind} from {} failed: {} problems, nothing written",
                    row.file_name, report.errors_total
                ),
                before: None,
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One import, with live progress while it runs in this process.
    pub async fn get_import(&self, actor: &Actor, id: ImportId) -> Result<Import> {
        actor.require(Permission::CrmManage)?;
        let mut c = self.db().read().await?;
        let mut import = Import::try_from(
            store::find(&mut c.exec(), id.as_uuid())
                .await?
                .ok_or(Error::NotFound)?,
        )?;
        if import.status == ImportStatus::Running
            && let Some(p) = self.imports.get(id)
        {
            import.progress = p;
        }
        Ok(import)
    }

    /// Imports, newest first.
    pub async fn list_imports(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Import>> {
        actor.require(Permission::CrmManage)?;
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec(), cursor.as_ref(), limit).await?;
        let next = rows.next;
        let mut items = rows
            .items
            .into_iter()
            .map(Import::try_from)
            .collect::<Result<Vec<_>>>()?;
        for i in &mut items {
            if let Some(p) = self.imports.get(i.id) {
                i.progress = p;
            }
        }
        Ok(Page { items, next })
    }

    /// The column mapping saved for a kind of import from a source, if any.
    pub async fn saved_mapping(
        &self,
        actor: &Actor,
        kind: ImportKind,
        source_system: &str,
    ) -> Result<Option<String>> {
        actor.require(Permission::CrmManage)?;
        let source = SourceSystem::parse(source_system)
            .map_err(|e| Error::field("source_system", e.to_string()))?;
        let mut c = self.db().read().await?;
        Ok(store::mapping(&mut c.exec(), kind.as_str(), source.as_str()).await?)
    }
}

fn file_issue(message: String) -> Vec<Issue> {
    vec![Issue {
        line: 0,
        column: String::new(),
        message,
    }]
}

fn push_capped(into: &mut Vec<Issue>, total: &mut usize, issues: Vec<Issue>) {
    *total += issues.len();
    let room = MAX_ISSUES.saturating_sub(into.len());
    into.extend(issues.into_iter().take(room));
}

/// The accounts of a source system by external id and by folded name.
async fn account_lookups(
    ex: &mut trellis_store::Exec<'_>,
    source: &str,
) -> Result<(HashMap<String, Uuid>, HashMap<String, Option<Uuid>>)> {
    let by_id: HashMap<String, Uuid> = crm_store::keys(ex, StoreTable::Accounts, source)
        .await?
        .into_iter()
        .map(|k| (k.external_id, k.id))
        .collect();
    let mut by_name: HashMap<String, Option<Uuid>> = HashMap::new();
    let mut dup: HashSet<String> = HashSet::new();
    for (id, name) in account_store::names(ex, source).await? {
        let key = fold(name.trim());
        if by_name.insert(key.clone(), Some(id)).is_some() {
            dup.insert(key);
        }
    }
    for key in dup {
        by_name.insert(key, None);
    }
    Ok((by_id, by_name))
}

/// Reads and checks one row.
fn check_row(
    kind: ImportKind,
    r: &trellis_csv::Row,
    ctx: &Context<'_>,
    owners: &Owners,
    source: &str,
    now: i64,
) -> RowOutcome {
    let mut cells = Cells::new(r, ctx);
    let explicit_id = cells.get("id").to_owned();
    let record = match kind {
        ImportKind::Accounts => {
            let input = rows::account(&mut cells);
            match accounts::check(&input, owners) {
                Ok(ch) => {
                    cells.absorb_warnings(&ch.warnings);
                    // Without an id column, an account is known by its domain, else its name.
                    let external = if explicit_id.is_empty() {
                        if ch.fields.domain.is_empty() {
                            format!("name:{}", fold(&ch.fields.name))
                        } else {
                            format!("domain:{}", ch.fields.domain)
                        }
                    } else {
                        explicit_id.clone()
                    };
                    let id = trellis_domain::AccountId::new().as_uuid();
                    Some(Record::Account(accounts::row(
                        id, source, &external, ch.fields, 1, now, now,
                    )))
                }
                Err(e) => {
                    cells.absorb(&e);
                    None
                }
            }
        }
        ImportKind::Contacts => {
            let (input, account) = rows::contact(&mut cells);
            match contacts::check(&input, account, owners) {
                Ok(ch) => {
                    cells.absorb_warnings(&ch.warnings);
                    let external = if explicit_id.is_empty() && !ch.fields.email.is_empty() {
                        format!("email:{}", ch.fields.email.to_lowercase())
                    } else {
                        explicit_id.clone()
                    };
                    if external.is_empty() {
                        cells.error("id", "the contact has neither an id nor an e-mail address");
                        None
                    } else {
                        let id = trellis_domain::CrmContactId::new().as_uuid();
                        Some(Record::Contact(contacts::row(
                            id, source, &external, ch.fields, 1, now, now,
                        )))
                    }
                }
                Err(e) => {
                    cells.absorb(&e);
                    None
                }
            }
        }
        ImportKind::Opportunities => {
            let (input, account) = rows::opportunity(&mut cells);
            if explicit_id.is_empty() {
                cells.error("id", "is empty; every deal needs its id");
            }
            match opportunities::check(&input, account, ctx.default_currency, owners) {
                Ok(ch) if !explicit_id.is_empty() => {
                    let id = trellis_domain::OpportunityId::new().as_uuid();
                    Some(Record::Opportunity(opportunities::row(
                        id,
                        source,
                        &explicit_id,
                        ch.fields,
                        1,
                        now,
                        now,
                    )))
                }
                Ok(_) => None,
                Err(e) => {
                    cells.absorb(&e);
                    None
                }
            }
        }
    };
    if explicit_id.chars().count() > 255 {
        cells.error("id", "must be at most 255 characters");
    }
    RowOutcome {
        line: r.line,
        record,
        errors: cells.errors,
        warnings: cells.warnings,
    }
}

/// Writes records (all of one kind).
async fn write_records(tx: &mut Tx, records: &[Record]) -> Result<()> {
    let (mut accounts, mut contacts, mut opportunities) = (Vec::new(), Vec::new(), Vec::new());
    for r in records {
        match r {
            Record::Account(a) => accounts.push(a),
            Record::Contact(c) => contacts.push(c),
            Record::Opportunity(o) => opportunities.push(o),
        }
    }
    account_store::upsert_many(&mut tx.exec(), &accounts).await?;
    contact_store::upsert_many(&mut tx.exec(), &contacts).await?;
    opportunity_store::upsert_many(&mut tx.exec(), &opportunities).await?;
    Ok(())
}
