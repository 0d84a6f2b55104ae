//! Past and running imports: the history, one import's page (live progress while it runs; the
//! outcome and its row-level report once it has ended), the progress as JSON for the page's
//! script, and the whole report as a CSV download.
//!
//! Progress works without JavaScript: while the import runs, the page carries a meta refresh
//! (inside `<noscript>`, so only browsers without scripts obey it). With JavaScript,
//! `assets/progress.js` polls [`progress`] every second, updates the bar and figures in
//! place and reloads the page once when the import has ended.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use serde::Serialize;
use trellis_domain::{ImportId, Permission};
use trellis_service::crm::Import;
use trellis_service::crm::import::{ImportStatus, Issue, MAX_ISSUES, Phase};
use trellis_service::platform::PageRequest;

use super::Owners;
use super::mapping::field_label;
use crate::ui::assets;
use crate::ui::book::RouteBook;
use crate::ui::download;
use crate::ui::error::PageResult;
use crate::ui::form::{PageId, Query};
use crate::ui::session::VendorSession;
use crate::ui::view::{Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/imports", index)
        .get("/console/imports/{id}", show)
        .get("/console/imports/{id}/progress", progress)
        .get("/console/imports/{id}/report.csv", report)
}

/// Row problems listed on an import's page; the download has them all.
const SHOWN_ISSUES: usize = 200;

#[derive(Template, WebTemplate)]
#[template(path = "console/imports.html")]
struct ListPage {
    chrome: Chrome,
    imports: Vec<Import>,
    owners: Owners,
    paged: bool,
    next: Option<String>,
    can_import: bool,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let cursor = q.opt("cursor");
    let page = PageRequest {
        cursor: cursor.clone(),
        limit: None,
    };
    let list = s.services.list_imports(&s.actor, &page).await?;
    let page = ListPage {
        chrome: s.chrome("Imports"),
        imports: list.items,
        owners: Owners::load(&s).await?,
        paged: cursor.is_some(),
        next: list
            .next
            .map(|c| Query::link("/console/imports", &[("cursor", &c.encode())])),
        can_import: s.can(Permission::CrmManage),
    };
    Ok(page.into_response())
}

/// What a phase is doing, for people.
fn phase_label(phase: Phase) -> &'static str {
    match phase {
        Phase::Reading => "Reading the file",
        Phase::Checking => "Checking every row",
        Phase::Writing => "Writing the records",
        Phase::Done => "Finishing",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/import.html")]
struct ShowPage {
    chrome: Chrome,
    i: Import,
    who: String,
    running: bool,
    phase: &'static str,
    script: &'static str,
    /// `(field, column)` of the columns read.
    columns: Vec<(String, String)>,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
    max_issues: usize,
}

async fn show(s: VendorSession, PageId(id): PageId<ImportId>) -> PageResult {
    let i = s.services.get_import(&s.actor, id).await?;
    let owners = Owners::load(&s).await?;
    let columns = i
        .report
        .columns
        .iter()
        .map(|c| (field_label(&c.field).to_owned(), c.column.clone()))
        .collect();
    let page = ShowPage {
        chrome: s.chrome(format!("Import of {}", i.file_name)),
        who: owners.name(i.started_by, ""),
        running: i.status == ImportStatus::Running,
        phase: phase_label(i.progress.phase),
        script: assets::progress_url(),
        columns,
        errors: i.report.errors.iter().take(SHOWN_ISSUES).cloned().collect(),
        warnings: i
            .report
            .warnings
            .iter()
            .take(SHOWN_ISSUES)
            .cloned()
            .collect(),
        max_issues: MAX_ISSUES,
        i,
    };
    Ok(page.into_response())
}

/// An import's progress, for the page's script.
#[derive(Debug, Serialize)]
struct Progress {
    status: &'static str,
    phase: &'static str,
    phase_label: &'static str,
    done: u64,
    total: u64,
    created: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
}

async fn progress(s: VendorSession, PageId(id): PageId<ImportId>) -> PageResult {
    let i = s.services.get_import(&s.actor, id).await?;
    let body = Progress {
        status: i.status.as_str(),
        phase: i.progress.phase.as_str(),
        phase_label: phase_label(i.progress.phase),
        done: i.progress.done,
        total: i.progress.total,
        created: i.created,
        updated: i.updated,
        unchanged: i.unchanged,
        rejected: i.rejected,
    };
    Ok(crate::ui::live::uncached_json(body))
}

async fn report(s: VendorSession, PageId(id): PageId<ImportId>) -> PageResult {
    let i = s.services.get_import(&s.actor, id).await?;
    Ok(download::csv(
        &format!("import-{id}-report.csv"),
        i.report.to_csv(),
    ))
}
