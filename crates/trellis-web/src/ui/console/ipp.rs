//! The Ideal Partner Profile editor: weighted criteria as rows of a form (no script needed),
//! a preview that scores a sample of partners with the draft beside their current scores, and
//! the version history.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::partners::ipp::{Attribute, Criterion, Rule};
use trellis_domain::{FieldErrors, Permission};
use trellis_service::partners::ipp::{IppVersion, Preview};

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, failed};
use super::super::session::VendorSession;
use super::super::view::{Choice, Chrome, Look as _};

/// Rows the form offers; an IPP rarely needs more.
const ROWS: usize = 8;

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/program/ipp", show)
        .post("/console/program/ipp", save)
}

/// One criterion row as shown (or as typed).
#[derive(Clone, Debug, Default)]
struct Row {
    key: String,
    label: String,
    attribute: String,
    kind: String,
    values: String,
    full_at: String,
    min: String,
    ideal_min: String,
    ideal_max: String,
    max: String,
    weight: String,
}

impl Row {
    fn of(c: &Criterion) -> Self {
        let mut r = Row {
            key: c.key.clone(),
            label: c.label.clone(),
            attribute: c.attribute.as_str().into(),
            kind: c.rule.kind_name().into(),
            weight: c.weight.to_string(),
            ..Row::default()
        };
        match &c.rule {
            Rule::AnyOf { values } => r.values = values.join(", "),
            Rule::Coverage { values, full_at } => {
                r.values = values.join(", ");
                r.full_at = full_at.to_string();
            }
            Rule::Band {
                min,
                ideal_min,
                ideal_max,
                max,
            } => {
                r.min = min.to_string();
                r.ideal_min = ideal_min.to_string();
                r.ideal_max = ideal_max.map(|v| v.to_string()).unwrap_or_default();
                r.max = max.map(|v| v.to_string()).unwrap_or_default();
            }
        }
        r
    }

    fn posted(form: &FormData, i: usize) -> Self {
        let t = |name: &str| form.text(&format!("{name}_{i}"));
        Row {
            key: t("key"),
            label: t("label"),
            attribute: t("attribute"),
            kind: t("kind"),
            values: t("values"),
            full_at: t("full_at"),
            min: t("min"),
            ideal_min: t("ideal_min"),
            ideal_max: t("ideal_max"),
            max: t("max"),
            weight: t("weight"),
        }
    }

    fn is_blank(&self) -> bool {
        self.key.trim().is_empty() && self.label.trim().is_empty() && self.attribute.is_empty()
    }

    fn attributes(&self) -> Vec<Choice> {
        let mut v = vec![Choice {
            value: String::new(),
            label: "—".into(),
            selected: self.attribute.is_empty(),
        }];
        v.extend(Attribute::ALL.iter().map(|a| Choice {
            value: a.as_str().into(),
            label: a.label().into(),
            selected: a.as_str() == self.attribute,
        }));
        v
    }

    fn kinds(&self) -> Vec<Choice> {
        Choice::list(
            [
                ("any_of", "Is one of"),
                ("coverage", "Has several of"),
                ("band", "Number in a range"),
            ],
            &self.kind,
        )
    }

    /// The criterion the row describes; problems go to `e` under `criteria[i].…`.
    fn criterion(&self, i: usize, e: &mut FieldErrors) -> Option<Criterion> {
        let at = |f: &str| format!("criteria[{i}].{f}");
        let attribute = e.check(&at("attribute"), self.attribute.parse::<Attribute>())?;
        let list = || -> Vec<String> {
            self.values
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut num = |name: &str, raw: &str, required: bool| -> Option<Option<u32>> {
            let raw = raw.trim();
            if raw.is_empty() {
                if required {
                    e.add(at(name), "is required for this rule");
                    return None;
                }
                return Some(None);
            }
            if let Ok(v) = raw.parse::<u32>() {
                Some(Some(v))
            } else {
                e.add(at(name), "must be a whole number");
                None
            }
        };
        let rule = match self.kind.as_str() {
            "any_of" => Rule::AnyOf { values: list() },
            "coverage" => Rule::Coverage {
                values: list(),
                full_at: num("rule.full_at", &self.full_at, true)??,
            },
            "band" => Rule::Band {
                min: num("rule.min", &self.min, true)??,
                ideal_min: num("rule.ideal_min", &self.ideal_min, true)??,
                ideal_max: num("rule.ideal_max", &self.ideal_max, false)?,
                max: num("rule.max", &self.max, false)?,
            },
            _ => {
                e.add(at("rule"), "choose a rule");
                return None;
            }
        };
        let weight = num("weight", &self.weight, true)??;
        Some(Criterion {
            key: self.key.trim().to_owned(),
            label: self.label.trim().to_owned(),
            attribute,
            rule,
            weight,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/ipp.html")]
struct IppPage {
    chrome: Chrome,
    rows: Vec<Row>,
    note: String,
    current_version: i64,
    history: Vec<IppVersion>,
    preview: Option<Preview>,
    can_save: bool,
    errors: Errors,
}

fn padded(mut rows: Vec<Row>) -> Vec<Row> {
    while rows.len() < ROWS {
        rows.push(Row::default());
    }
    rows
}

async fn render(
    s: &VendorSession,
    rows: Vec<Row>,
    note: String,
    preview: Option<Preview>,
    errors: Errors,
) -> PageResult<IppPage> {
    let history = s.services.ipp_history(&s.actor).await?;
    Ok(IppPage {
        chrome: s.chrome("Ideal Partner Profile"),
        rows: padded(rows),
        note,
        current_version: history.first().map_or(0, |v| v.version),
        history,
        preview,
        can_save: s.can(Permission::ProgramManage),
        errors,
    })
}

async fn show(s: VendorSession) -> PageResult {
    let current = s.services.get_ipp(&s.actor).await?;
    let rows = current
        .map(|v| v.ipp.criteria().iter().map(Row::of).collect())
        .unwrap_or_default();
    Ok(render(&s, rows, String::new(), None, Errors::none())
        .await?
        .into_response())
}

/// Saves, or with `preview` set scores the sample without saving.
async fn save(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let rows: Vec<Row> = (0..ROWS)
        .map(|i| Row::posted(&form, i))
        .filter(|r| !r.is_blank())
        .collect();
    let mut e = FieldErrors::new();
    let criteria: Vec<Criterion> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.criterion(i, &mut e))
        .collect();
    let note = form.text("note");
    let outcome = if !e.is_empty() {
        Err(e.into())
    } else if form.opt("preview").is_some() {
        match s.services.preview_ipp(&s.actor, criteria).await {
            Ok(p) => {
                return Ok(render(&s, rows, note, Some(p), Errors::none())
                    .await?
                    .into_response());
            }
            Err(e) => Err(e),
        }
    } else {
        s.services
            .save_ipp(&s.actor, form.version(), criteria, &note)
            .await
            .map(|v| v.version)
    };
    match outcome {
        Ok(version) => Ok(s.redirect(
            "/console/program/ipp",
            &Flash::success(format!(
                "Saved version {version}. Every partner and pending application is being rescored."
            )),
        )),
        Err(err) => {
            let (status, errors) = failed(err)?;
            Ok((status, render(&s, rows, note, None, errors).await?).into_response())
        }
    }
}
