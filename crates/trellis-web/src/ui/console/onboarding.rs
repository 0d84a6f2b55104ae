//! Onboarding checklist templates: one per partner type (or one for all types), edited as rows
//! of a form. Checklists already generated keep their tasks.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{FieldErrors, PartnerType, Permission, TemplateId};
use trellis_service::partners::onboarding::{
    Side, TaskKind, Template as ChecklistTemplate, TemplateTask, default_tasks,
};

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, PageId, Query, failed};
use super::super::session::VendorSession;
use super::super::view::{Choice, Chrome};

/// Task rows the form offers.
const ROWS: usize = 10;

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/program/onboarding", index)
        .post("/console/program/onboarding", save)
        .post("/console/program/onboarding/{id}/delete", delete)
}

/// One task row as shown or typed.
#[derive(Clone, Debug, Default)]
struct Row {
    title: String,
    description: String,
    kind: String,
    side: String,
    due_days: String,
    required: bool,
}

impl Row {
    fn of(t: &TemplateTask) -> Self {
        Self {
            title: t.title.clone(),
            description: t.description.clone(),
            kind: t.kind.as_str().into(),
            side: t.owner_side.as_str().into(),
            due_days: t.due_days.to_string(),
            required: t.required,
        }
    }

    fn kinds(&self) -> Vec<Choice> {
        TaskKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.label().into(),
                selected: k.as_str() == self.kind,
            })
            .collect()
    }

    fn sides(&self) -> Vec<Choice> {
        Choice::list([("partner", "Partner"), ("vendor", "Our team")], &self.side)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/onboarding.html")]
struct OnboardingPage {
    chrome: Chrome,
    templates: Vec<ChecklistTemplate>,
    /// The template being edited (`None`: a new one).
    editing: Option<ChecklistTemplate>,
    scopes: Vec<Choice>,
    name: String,
    rows: Vec<Row>,
    errors: Errors,
}

fn scopes(current: &str) -> Vec<Choice> {
    let mut v = vec![Choice {
        value: "all".into(),
        label: "All partner types".into(),
        selected: current == "all",
    }];
    v.extend(PartnerType::ALL.iter().map(|t| Choice {
        value: t.as_str().into(),
        label: t.label().into(),
        selected: t.as_str() == current,
    }));
    v
}

fn padded(mut rows: Vec<Row>) -> Vec<Row> {
    while rows.len() < ROWS {
        rows.push(Row::default());
    }
    rows
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let templates = s.services.list_templates(&s.actor).await?;
    let editing = q
        .opt("edit")
        .and_then(|id| id.parse::<TemplateId>().ok())
        .and_then(|id| templates.iter().find(|t| t.id == id).cloned());
    let (name, rows, scope) = match &editing {
        Some(t) => (
            t.name.clone(),
            t.tasks.iter().map(Row::of).collect(),
            t.scope.clone(),
        ),
        None => (
            String::new(),
            default_tasks().iter().map(Row::of).collect(),
            "all".to_owned(),
        ),
    };
    Ok(OnboardingPage {
        chrome: s.chrome("Onboarding templates"),
        templates,
        editing,
        scopes: scopes(&scope),
        name,
        rows: padded(rows),
        errors: Errors::none(),
    }
    .into_response())
}

fn tasks_of(form: &FormData, e: &mut FieldErrors) -> (Vec<Row>, Vec<TemplateTask>) {
    let mut rows = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..ROWS {
        let t = |n: &str| form.text(&format!("{n}_{i}"));
        let row = Row {
            title: t("title"),
            description: t("description"),
            kind: t("kind"),
            side: t("side"),
            due_days: t("due_days"),
            required: form.opt(&format!("required_{i}")).is_some(),
        };
        if row.title.trim().is_empty() {
            continue;
        }
        let at = tasks.len();
        let kind = e.check(&format!("tasks[{at}].kind"), row.kind.parse::<TaskKind>());
        let side = e.check(&format!("tasks[{at}].owner_side"), row.side.parse::<Side>());
        let due = row.due_days.trim().parse::<u16>().ok().or_else(|| {
            e.add(
                format!("tasks[{at}].due_days"),
                "must be a whole number of days",
            );
            None
        });
        if let (Some(kind), Some(owner_side), Some(due_days)) = (kind, side, due) {
            tasks.push(TemplateTask {
                title: row.title.trim().to_owned(),
                description: row.description.trim().to_owned(),
                kind,
                owner_side,
                due_days,
                required: row.required,
            });
        }
        rows.push(row);
    }
    (rows, tasks)
}

async fn save(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    s.actor.require(Permission::ProgramManage)?;
    let mut e = FieldErrors::new();
    let (rows, tasks) = tasks_of(&form, &mut e);
    let name = form.text("name");
    let scope = form.text("scope");
    let editing_id = form.opt("id").and_then(|id| id.parse::<TemplateId>().ok());
    let outcome = if !e.is_empty() {
        Err(e.into())
    } else if let Some(id) = editing_id {
        s.services
            .update_template(&s.actor, id, form.version(), &name, tasks)
            .await
    } else {
        s.services
            .create_template(&s.actor, &scope, &name, tasks)
            .await
    };
    match outcome {
        Ok(t) => Ok(s.redirect(
            "/console/program/onboarding",
            &Flash::success(format!("Saved the template {}.", t.name)),
        )),
        Err(err) => {
            let (status, errors) = failed(err)?;
            let templates = s.services.list_templates(&s.actor).await?;
            let editing = editing_id.and_then(|id| templates.iter().find(|t| t.id == id).cloned());
            let page = OnboardingPage {
                chrome: s.chrome("Onboarding templates"),
                templates,
                editing,
                scopes: scopes(&scope),
                name,
                rows: padded(rows),
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

async fn delete(
    s: VendorSession,
    PageId(id): PageId<TemplateId>,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    s.services.delete_template(&s.actor, id).await?;
    Ok(s.redirect(
        "/console/program/onboarding",
        &Flash::success("Deleted the template; its partner types get the general checklist."),
    ))
}
