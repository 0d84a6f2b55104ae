//! Onboarding: checklist templates per partner type, and each partner's generated tasks.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `onboarding_templates` row.
#[derive(Clone, Debug, FromRow)]
pub struct TemplateRow {
    pub id: Uuid,
    /// A partner type id, or `all`.
    pub scope: String,
    pub name: String,
    /// The template's tasks, as the service serialises them.
    pub tasks: Json<Value>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const TEMPLATE_COLUMNS: &str = "id, scope, name, tasks, version, created_at, updated_at";

/// Inserts a template; `Conflict` if the scope has one.
pub async fn insert_template(ex: &mut Exec<'_>, row: &TemplateRow) -> Result<()> {
    execute!(
        ex,
        "insert into onboarding_templates (id, scope, name, tasks, version, created_at, \
         updated_at) values ($1, $2, $3, $4, 1, $5, $5)",
        [row.id, &row.scope, &row.name, &row.tasks, row.created_at]
    )?;
    Ok(())
}

/// Finds a template by id.
pub async fn find_template(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<TemplateRow>> {
    let sql = format!("select {TEMPLATE_COLUMNS} from onboarding_templates where id = $1");
    Ok(fetch!(ex, TemplateRow, &sql, [id], fetch_optional)?)
}

/// The template of a scope.
pub async fn template_for(ex: &mut Exec<'_>, scope: &str) -> Result<Option<TemplateRow>> {
    let sql = format!("select {TEMPLATE_COLUMNS} from onboarding_templates where scope = $1");
    Ok(fetch!(ex, TemplateRow, &sql, [scope], fetch_optional)?)
}

/// Every template, by scope.
pub async fn templates(ex: &mut Exec<'_>) -> Result<Vec<TemplateRow>> {
    let sql = format!("select {TEMPLATE_COLUMNS} from onboarding_templates order by scope");
    Ok(fetch!(ex, TemplateRow, &sql, [], fetch_all)?)
}

/// Writes a template if `expected_version` is current.
pub async fn update_template(
    ex: &mut Exec<'_>,
    row: &TemplateRow,
    expected_version: i64,
) -> Result<bool> {
    let n = execute!(
        ex,
        "update onboarding_templates set name = $2, tasks = $3, version = version + 1, \
         updated_at = $4 where id = $1 and version = $5",
        [
            row.id,
            &row.name,
            &row.tasks,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Deletes a template.
pub async fn delete_template(ex: &mut Exec<'_>, id: Uuid) -> Result<bool> {
    Ok(execute!(ex, "delete from onboarding_templates where id = $1", [id])? == 1)
}

/// One `onboarding_tasks` row.
#[derive(Clone, Debug, FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub position: i64,
    /// `profile`, `agreement`, `invite_team`, `training`, `first_deal` or `custom`.
    pub kind: String,
    pub title: String,
    pub description: String,
    /// `partner` or `vendor`: whose task it is.
    pub owner_side: String,
    pub required: bool,
    pub due_at: i64,
    /// `open`, `done` or `skipped`.
    pub status: String,
    pub completed_by: Option<Uuid>,
    pub completed_at: Option<i64>,
    pub last_reminded_at: Option<i64>,
    pub created_at: i64,
}

const TASK_COLUMNS: &str = "id, org_id, position, kind, title, description, owner_side, \
    required, due_at, status, completed_by, completed_at, last_reminded_at, created_at";

/// Inserts a task.
pub async fn insert_task(ex: &mut Exec<'_>, row: &TaskRow) -> Result<()> {
    execute!(
        ex,
        "insert into onboarding_tasks (id, org_id, position, kind, title, description, \
         owner_side, required, due_at, status, completed_by, completed_at, last_reminded_at, \
         created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        [
            row.id,
            row.org_id,
            row.position,
            &row.kind,
            &row.title,
            &row.description,
            &row.owner_side,
            row.required,
            row.due_at,
            &row.status,
            row.completed_by,
            row.completed_at,
            row.last_reminded_at,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Finds a task, only within `org_id` when given (partner scope).
pub async fn find_task(
    ex: &mut Exec<'_>,
    id: Uuid,
    org_id: Option<Uuid>,
) -> Result<Option<TaskRow>> {
    let sql = format!(
        "select {TASK_COLUMNS} from onboarding_tasks where id = $1 and ($2 is null or org_id = $2)"
    );
    Ok(fetch!(ex, TaskRow, &sql, [id, org_id], fetch_optional)?)
}

/// A partner's checklist in order.
pub async fn tasks(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Vec<TaskRow>> {
    let sql =
        format!("select {TASK_COLUMNS} from onboarding_tasks where org_id = $1 order by position");
    Ok(fetch!(ex, TaskRow, &sql, [org_id], fetch_all)?)
}

/// Sets a task's status; returns false if it was already in that status.
pub async fn set_status(
    ex: &mut Exec<'_>,
    id: Uuid,
    status: &str,
    by: Option<Uuid>,
    at: Option<i64>,
) -> Result<bool> {
    let n = execute!(
        ex,
        "update onboarding_tasks set status = $2, completed_by = $3, completed_at = $4 \
         where id = $1 and status <> $2",
        [id, status, by, at]
    )?;
    Ok(n == 1)
}

/// Open tasks of `kind` for a partner (to complete them when the thing they ask for happens).
pub async fn open_of_kind(ex: &mut Exec<'_>, org_id: Uuid, kind: &str) -> Result<Vec<TaskRow>> {
    let sql = format!(
        "select {TASK_COLUMNS} from onboarding_tasks \
         where org_id = $1 and kind = $2 and status = 'open' order by position"
    );
    Ok(fetch!(ex, TaskRow, &sql, [org_id, kind], fetch_all)?)
}

/// Open tasks past due whose last reminder is older than `remind_before` (or never sent):
/// every task of a partner still onboarding, and only required ones once it is active (an
/// active partner is not chased for optional steps it chose to skip).
pub async fn overdue(
    ex: &mut Exec<'_>,
    now: i64,
    remind_before: i64,
    limit: usize,
) -> Result<Vec<TaskRow>> {
    let sql = format!(
        "select {TASK_COLUMNS} from onboarding_tasks t where status = 'open' and due_at <= $1 \
         and (last_reminded_at is null or last_reminded_at <= $2) \
         and exists (select 1 from partner_profiles p where p.org_id = t.org_id \
                     and (p.status = 'onboarding' or (p.status = 'active' and t.required))) \
         order by due_at, id limit $3"
    );
    Ok(fetch!(
        ex,
        TaskRow,
        &sql,
        [now, remind_before, i64::try_from(limit).unwrap_or(i64::MAX)],
        fetch_all
    )?)
}

/// Notes that a reminder went out.
pub async fn mark_reminded(ex: &mut Exec<'_>, id: Uuid, at: i64) -> Result<()> {
    execute!(
        ex,
        "update onboarding_tasks set last_reminded_at = $2 where id = $1",
        [id, at]
    )?;
    Ok(())
}
