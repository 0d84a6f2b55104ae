//! Importing a CSV file in three steps: the upload form (what the file holds, where it comes
//! from, how to read dates, whether good rows go in despite bad ones), a preview of the file
//! with its column mapping to check and correct, and the confirmation that starts the import
//! and leads to its progress page. Between the two posts the file waits in
//! [`crate::ui::uploads`], which explains why it is kept on disk.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use trellis_csv::{ReadError, Table};
use trellis_domain::crm::{DateOrder, SourceSystem};
use trellis_domain::{FieldErrors, Permission, UserId};
use trellis_service::crm::import::guess_source;
use trellis_service::crm::{ImportKind, ImportOptions};

use super::mapping::{self, Problem};
use crate::state::WebSettings;
use crate::ui::book::RouteBook;
use crate::ui::csrf::{CsrfForm, tokens_match};
use crate::ui::error::{PageError, PageResult};
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, Query};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, enum_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/imports/new", new)
        .post_upload("/console/imports/preview", upload)
        .post("/console/imports", confirm)
}

/// Rows of the file shown on the preview.
const SAMPLE_ROWS: usize = 5;
/// The most columns a preview maps (a file with more is still imported; the rest are kept as
/// extra fields).
const MAX_COLUMNS: usize = 500;

/// What the upload form asks, as typed.
#[derive(Clone, Debug, Default)]
struct Options {
    kind: String,
    source_system: String,
    date_order: String,
    partial: bool,
}

impl Options {
    fn of(form: &FormData) -> Self {
        Self {
            kind: form.text("kind"),
            source_system: form.text("source_system").trim().to_owned(),
            date_order: form.text("date_order"),
            partial: form.opt("partial").is_some(),
        }
    }

    /// The kind and the date order, or the fields that are wrong.
    fn check(&self) -> Result<(ImportKind, Option<DateOrder>), FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = e.check("kind", self.kind.parse::<ImportKind>());
        if !self.source_system.is_empty() {
            e.check("source_system", SourceSystem::parse(&self.source_system));
        }
        let date_order = if self.date_order.is_empty() {
            None
        } else {
            e.check("date_order", self.date_order.parse::<DateOrder>())
        };
        e.into_result()?;
        kind.map(|k| (k, date_order)).ok_or_else(FieldErrors::new)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/import_new.html")]
struct NewPage {
    chrome: Chrome,
    kinds: Vec<Choice>,
    source_system: String,
    date_orders: Vec<Choice>,
    partial: bool,
    max_size: String,
    errors: Errors,
}

impl NewPage {
    fn new(s: &VendorSession, web: &WebSettings, o: &Options, errors: Errors) -> Self {
        let kinds = ImportKind::ALL.map(|k| (k.as_str(), kind_label(k)));
        Self {
            chrome: s.chrome("Import a CSV file"),
            kinds: Choice::list(kinds, &o.kind),
            source_system: o.source_system.clone(),
            date_orders: enum_choices!(DateOrder, &o.date_order, "Work it out from the dates"),
            partial: o.partial,
            max_size: size_label(web.config.max_import_bytes),
            errors,
        }
    }

    /// The form again with `errors`, answered with `status`.
    fn refused(
        s: &VendorSession,
        web: &WebSettings,
        o: &Options,
        status: StatusCode,
        errors: FieldErrors,
    ) -> Response {
        (status, Self::new(s, web, o, Errors::fields(errors))).into_response()
    }
}

fn kind_label(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Accounts => "Accounts (companies)",
        ImportKind::Contacts => "Contacts (people at accounts)",
        ImportKind::Opportunities => "Opportunities (deals)",
    }
}

fn size_label(bytes: usize) -> String {
    const KB: usize = 1024;
    match bytes {
        b if b >= KB * KB => format!("{} MB", b / (KB * KB)),
        b if b >= KB => format!("{} KB", b / KB),
        b => format!("{b} bytes"),
    }
}

async fn new(s: VendorSession, State(web): State<Arc<WebSettings>>, q: Query) -> PageResult {
    s.actor.require(Permission::CrmManage)?;
    let o = Options {
        kind: q.text("kind"),
        ..Options::default()
    };
    Ok(NewPage::new(&s, &web, &o, Errors::none()).into_response())
}

/// Why an upload was refused before its file could be looked at.
enum Refusal {
    /// No valid CSRF token before the file.
    Csrf,
    /// The file is larger than `web.max_import_bytes`; the other fields as sent.
    TooLarge(Options),
    /// Not a form this page sent, or cut off.
    Unreadable,
    /// Storing the file failed.
    Io(std::io::Error),
}

/// The upload form's fields and its stored file.
struct Received {
    options: Options,
    /// The file's name and upload token; `None` when no file was chosen.
    file: Option<(String, String)>,
}

/// A text field of the upload form, at most a few kilobytes.
async fn text_of(field: &mut Field<'_>) -> Result<String, Refusal> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| Refusal::Unreadable)? {
        buf.extend_from_slice(&chunk);
        if buf.len() > 4_096 {
            return Err(Refusal::Unreadable);
        }
    }
    String::from_utf8(buf).map_err(|_| Refusal::Unreadable)
}

/// Reads the multipart form, storing the file as it arrives. The CSRF token must come before
/// the file (it does: the hidden field is the form's first), so nothing from a forged form is
/// ever written.
async fn receive(
    s: &VendorSession,
    web: &WebSettings,
    mut multipart: Multipart,
) -> Result<Received, Refusal> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file = None;
    let mut csrf_ok = false;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| Refusal::Unreadable)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            // The form has five fields before the file; a stream of them is not this form.
            if fields.len() >= 10 {
                return Err(Refusal::Unreadable);
            }
            let value = text_of(&mut field).await?;
            if name == "_csrf" {
                csrf_ok = tokens_match(&s.csrf, &value);
            } else {
                fields.push((name, value));
            }
            continue;
        }
        if !csrf_ok {
            return Err(Refusal::Csrf);
        }
        let options = Options::of(&FormData::from_pairs(
            fields.iter().map(|(k, v)| (k.as_str(), v.clone())),
        ));
        let file_name = field.file_name().unwrap_or_default();
        // Old browsers send the whole path of the file.
        let file_name = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut upload = web
            .uploads
            .create(s.user.user_id)
            .await
            .map_err(Refusal::Io)?;
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(_) => {
                    upload.discard().await;
                    return Err(Refusal::Unreadable);
                }
            };
            if upload.size + chunk.len() > web.config.max_import_bytes {
                upload.discard().await;
                return Err(Refusal::TooLarge(options));
            }
            if let Err(e) = upload.write(&chunk).await {
                upload.discard().await;
                return Err(Refusal::Io(e));
            }
        }
        if upload.size == 0 && file_name.is_empty() {
            upload.discard().await;
        } else {
            file = Some((file_name, upload.finish().await.map_err(Refusal::Io)?));
        }
        // Anything after the file is not from this page's form.
        break;
    }
    if !csrf_ok {
        return Err(Refusal::Csrf);
    }
    Ok(Received {
        options: Options::of(&FormData::from_pairs(
            fields.iter().map(|(k, v)| (k.as_str(), v.clone())),
        )),
        file,
    })
}

fn internal(e: impl Into<anyhow::Error>) -> PageError {
    trellis_service::Error::Internal(e.into()).into()
}

/// Reads an upload as CSV; `None` when the upload is gone.
async fn table_of(
    web: &WebSettings,
    owner: UserId,
    token: &str,
) -> PageResult<Option<Result<Table, ReadError>>> {
    let Some(bytes) = web.uploads.read(owner, token).await.map_err(internal)? else {
        return Ok(None);
    };
    // Parsing a large file is seconds of CPU work: off the async threads.
    let table = tokio::task::spawn_blocking(move || trellis_csv::read(&bytes))
        .await
        .map_err(internal)?;
    Ok(Some(table))
}

/// The answer when the upload a form names is gone.
fn upload_gone(s: &VendorSession) -> Response {
    s.redirect(
        "/console/imports/new",
        &Flash::info(
            "That upload is no longer here (it was imported already, or it expired). Choose the \
             file again.",
        ),
    )
}

async fn upload(
    s: VendorSession,
    State(web): State<Arc<WebSettings>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    s.actor.require(Permission::CrmManage)?;
    // Not a multipart form: no token can be read, so it is refused like a forged form.
    let multipart = multipart.map_err(|_| PageError::csrf())?;
    let received = match receive(&s, &web, multipart).await {
        Ok(r) => r,
        Err(Refusal::Csrf) => return Err(PageError::csrf()),
        Err(Refusal::Io(e)) => return Err(internal(e)),
        Err(Refusal::Unreadable) => {
            return Err(PageError::page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "The upload could not be read; nothing was imported. Go back and try again.",
            ));
        }
        Err(Refusal::TooLarge(o)) => {
            let limit = size_label(web.config.max_import_bytes);
            let message = format!(
                "is larger than {limit}, the most an import takes (web.max_import_bytes); split \
                 it into smaller files"
            );
            let e = FieldErrors::single("file", message);
            return Ok(NewPage::refused(
                &s,
                &web,
                &o,
                StatusCode::PAYLOAD_TOO_LARGE,
                e,
            ));
        }
    };
    let o = received.options;
    let owner = s.user.user_id;
    let checked = o.check();
    let Some((file_name, token)) = received.file else {
        let mut e = checked.err().unwrap_or_default();
        e.add("file", "choose the CSV file to import");
        return Ok(NewPage::refused(
            &s,
            &web,
            &o,
            StatusCode::UNPROCESSABLE_ENTITY,
            e,
        ));
    };
    let (kind, _) = match checked {
        Ok(k) => k,
        Err(e) => {
            web.uploads.remove(owner, &token).await;
            return Ok(NewPage::refused(
                &s,
                &web,
                &o,
                StatusCode::UNPROCESSABLE_ENTITY,
                e,
            ));
        }
    };
    let problem = match table_of(&web, owner, &token).await? {
        None => return Ok(upload_gone(&s)),
        Some(Err(e)) => e.to_string(),
        Some(Ok(t)) if t.rows.is_empty() => {
            "has a header row but no rows below it, so there is nothing to import".to_owned()
        }
        Some(Ok(table)) => {
            let upload = Pending {
                kind,
                options: o,
                file_name,
                token,
                save_mapping: false,
            };
            let page = Preview::first(&s, upload, &table).await?;
            return Ok(page.into_response());
        }
    };
    web.uploads.remove(owner, &token).await;
    let e = FieldErrors::single("file", problem);
    Ok(NewPage::refused(
        &s,
        &web,
        &o,
        StatusCode::UNPROCESSABLE_ENTITY,
        e,
    ))
}

/// One column of the preview.
struct ColumnRow {
    header: String,
    /// The first value in the sample rows, to tell what a column holds.
    example: String,
    select_id: String,
    choices: Vec<Choice>,
    error: Option<String>,
}

/// An upload waiting for its confirmation: what the preview form carries.
struct Pending {
    kind: ImportKind,
    options: Options,
    file_name: String,
    token: String,
    /// Whether to save the mapping for the next import of the kind from the source.
    save_mapping: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/import_preview.html")]
struct Preview {
    chrome: Chrome,
    upload: Pending,
    /// The source the records are keyed under: as given, or guessed from the headers.
    source: String,
    encoding: &'static str,
    delimiter: &'static str,
    rows: usize,
    columns: Vec<ColumnRow>,
    sample: Vec<Vec<String>>,
    notes: Vec<String>,
    problems: Vec<Problem>,
}

impl Preview {
    /// The preview right after the upload: the mapping preselected.
    async fn first(s: &VendorSession, upload: Pending, table: &Table) -> PageResult<Self> {
        let kind = upload.kind;
        let source = source_of(&upload.options, table);
        let saved = s.services.saved_mapping(&s.actor, kind, &source).await?;
        let (picks, note) = mapping::detected(kind, &table.headers, saved.as_deref());
        let mut notes: Vec<String> = note.into_iter().collect();
        if saved.is_some() && notes.is_empty() {
            notes.push(format!(
                "The columns are preselected from the mapping saved for {kind} from {source}."
            ));
        }
        notes.extend(
            mapping::unmapped_required(kind, &picks)
                .into_iter()
                .map(|key| {
                    format!(
                        "No column was recognised as the {}, which {kind} need: choose it below.",
                        mapping::field_label(key).to_lowercase()
                    )
                }),
        );
        let mut page = Self::new(s, upload, table, &picks, Vec::new());
        page.notes = notes;
        Ok(page)
    }

    fn new(
        s: &VendorSession,
        upload: Pending,
        table: &Table,
        picks: &[String],
        problems: Vec<Problem>,
    ) -> Self {
        let sample: Vec<&trellis_csv::Row> = table.rows.iter().take(SAMPLE_ROWS).collect();
        let columns = table
            .headers
            .iter()
            .take(MAX_COLUMNS)
            .enumerate()
            .map(|(i, header)| {
                let select_id = mapping::select_id(i);
                ColumnRow {
                    header: header.clone(),
                    example: sample
                        .iter()
                        .map(|r| r.cell(i))
                        .find(|v| !v.is_empty())
                        .unwrap_or_default()
                        .to_owned(),
                    choices: mapping::choices(upload.kind, picks.get(i).map_or("", String::as_str)),
                    error: problems
                        .iter()
                        .find(|p| p.anchor.as_ref() == Some(&select_id))
                        .map(|p| p.message.clone()),
                    select_id,
                }
            })
            .collect();
        let width = table.headers.len().min(MAX_COLUMNS);
        Self {
            chrome: s.chrome(format!("Check the columns of {}", upload.file_name)),
            source: source_of(&upload.options, table),
            upload,
            encoding: table.encoding,
            delimiter: match table.delimiter {
                '\t' => "tab",
                ';' => "semicolon",
                _ => "comma",
            },
            rows: table.rows.len(),
            columns,
            sample: sample
                .iter()
                .map(|r| (0..width).map(|c| r.cell(c).to_owned()).collect())
                .collect(),
            notes: Vec::new(),
            problems,
        }
    }
}

fn source_of(o: &Options, table: &Table) -> String {
    if o.source_system.is_empty() {
        guess_source(&table.headers).to_owned()
    } else {
        o.source_system.to_lowercase()
    }
}

/// The preview again, with what is wrong with the chosen mapping.
async fn again(
    s: &VendorSession,
    web: &WebSettings,
    upload: Pending,
    picks: &[String],
    problems: Vec<Problem>,
) -> PageResult {
    let Some(Ok(table)) = table_of(web, s.user.user_id, &upload.token).await? else {
        return Ok(upload_gone(s));
    };
    let page = Preview::new(s, upload, &table, picks, problems);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn confirm(
    s: VendorSession,
    State(web): State<Arc<WebSettings>>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    s.actor.require(Permission::CrmManage)?;
    let options = Options::of(&form);
    let (kind, date_order) = options
        .check()
        .map_err(trellis_service::Error::Validation)?;
    let upload = Pending {
        kind,
        options,
        file_name: form.text("file_name"),
        token: form.text("upload"),
        save_mapping: form.opt("save_mapping").is_some(),
    };
    let count = form
        .text("columns")
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_COLUMNS);
    let columns: Vec<String> = (0..count)
        .map(|i| form.text(&format!("column.{i}")))
        .collect();
    let picks: Vec<String> = (0..count).map(|i| form.text(&format!("map.{i}"))).collect();
    let mapping = match mapping::chosen(kind, &columns, &picks) {
        Ok(m) => m,
        Err(problems) => return again(&s, &web, upload, &picks, problems).await,
    };
    let owner = s.user.user_id;
    let Some(bytes) = web
        .uploads
        .read(owner, &upload.token)
        .await
        .map_err(internal)?
    else {
        return Ok(upload_gone(&s));
    };
    let import_options = ImportOptions {
        file_name: upload.file_name.clone(),
        source_system: Some(upload.options.source_system.clone()).filter(|v| !v.is_empty()),
        mapping: Some(mapping),
        save_mapping: upload.save_mapping,
        partial: upload.options.partial,
        date_order,
    };
    match s
        .services
        .start_import(&s.actor, kind, bytes, import_options)
        .await
    {
        Ok(import) => {
            // The import holds the bytes now; the file is not needed any more.
            web.uploads.remove(owner, &upload.token).await;
            Ok(s.redirect(
                &format!("/console/imports/{}", import.id),
                &Flash::success(format!("Importing {}.", import.file_name)),
            ))
        }
        Err(trellis_service::Error::Validation(fe)) => {
            let problems = fe
                .iter()
                .map(|e| Problem {
                    anchor: None,
                    message: format!("{}: {}", e.field, e.message),
                })
                .collect();
            again(&s, &web, upload, &picks, problems).await
        }
        Err(e) => {
            web.uploads.remove(owner, &upload.token).await;
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_largest_whole_unit() {
        assert_eq!(size_label(512 * 1024 * 1024), "512 MB");
        assert_eq!(size_label(1_500), "1 KB");
        assert_eq!(size_label(900), "900 bytes");
    }

    #[test]
    fn the_form_checks_kind_source_and_date_order() {
        let o = Options {
            kind: "accounts".into(),
            source_system: "hubspot".into(),
            date_order: "dmy".into(),
            partial: false,
        };
        assert_eq!(
            o.check().unwrap(),
            (ImportKind::Accounts, Some(DateOrder::Dmy))
        );
        let bad = Options {
            kind: "deals".into(),
            source_system: "Sales Force!".into(),
            date_order: "ydm".into(),
            partial: false,
        };
        let e = bad.check().unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["kind", "source_system", "date_order"]);
    }
}
