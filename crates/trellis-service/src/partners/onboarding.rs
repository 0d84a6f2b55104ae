//! Onboarding: a checklist template per partner type (or one for `all`), generated into a
//! partner's checklist on approval. Tasks belong to either side, have a due date and may be
//! required; some complete themselves when the thing they ask for happens (profile filled in,
//! agreement accepted, a colleague invited, a first deal registered). Overdue tasks are chased
//! by e-mail, and a partner whose required tasks are all done becomes active.

use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;
use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::{
    FieldErrors, OrgId, PartnerType, Permission, TaskId, TemplateId, Timestamp, UserId,
};
use trellis_store::partners::onboarding::{self as store, TaskRow, TemplateRow};
use trellis_store::partners::profiles as profile_store;
use trellis_store::platform::users as user_store;
use trellis_store::{Json, Tx};

use super::agreements::{ALL_TYPES, status_of};
use super::ipp::require_vendor_reader;
use super::profiles::{load, visible};
use crate::outbox::Change;
use crate::platform::email::{self, EmailMessage};
use crate::platform::parse_stored;
use crate::{Actor, Error, Result, Services};

/// Reminders sent per run of the reminder job, at most.
const REMINDER_BATCH: usize = 500;

/// What a task asks for; all but `custom` and `training` complete themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Fill in the profile (a description and at least one industry).
    Profile,
    /// Accept the program agreement.
    Agreement,
    /// Invite at least one colleague.
    InviteTeam,
    /// Complete a first training (ticked by hand until enablement records it).
    Training,
    /// Register a first deal.
    FirstDeal,
    /// Anything else, ticked by hand.
    Custom,
}

impl TaskKind {
    /// Every kind.
    pub const ALL: [TaskKind; 6] = [
        TaskKind::Profile,
        TaskKind::Agreement,
        TaskKind::InviteTeam,
        TaskKind::Training,
        TaskKind::FirstDeal,
        TaskKind::Custom,
    ];

    /// Stable id.
    pub const fn as_str(self) -> &'static str {
        match self {
            TaskKind::Profile => "profile",
            TaskKind::Agreement => "agreement",
            TaskKind::InviteTeam => "invite_team",
            TaskKind::Training => "training",
            TaskKind::FirstDeal => "first_deal",
            TaskKind::Custom => "custom",
        }
    }

    /// Label for pages.
    pub const fn label(self) -> &'static str {
        match self {
            TaskKind::Profile => "Complete the profile (automatic)",
            TaskKind::Agreement => "Accept the agreement (automatic)",
            TaskKind::InviteTeam => "Invite a colleague (automatic)",
            TaskKind::Training => "Training (ticked by hand)",
            TaskKind::FirstDeal => "First deal registration (automatic)",
            TaskKind::Custom => "Other (ticked by hand)",
        }
    }

    /// Whether a person ticks it (the others complete when their condition is met).
    pub const fn manual(self) -> bool {
        matches!(self, TaskKind::Training | TaskKind::Custom)
    }
}

impl std::str::FromStr for TaskKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        TaskKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown task kind {s:?}"))
    }
}

/// Whose task it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The partner's people.
    Partner,
    /// The vendor's people (the channel manager).
    Vendor,
}

impl Side {
    /// Stable id.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Partner => "partner",
            Side::Vendor => "vendor",
        }
    }
}

impl std::str::FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "partner" => Ok(Side::Partner),
            "vendor" => Ok(Side::Vendor),
            _ => Err(format!("unknown side {s:?}; expected partner or vendor")),
        }
    }
}

/// One task of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateTask {
    /// Title.
    pub title: String,
    /// What to do, in a sentence or two.
    #[serde(default)]
    pub description: String,
    /// What completes it.
    pub kind: TaskKind,
    /// Whose task it is.
    pub owner_side: Side,
    /// Due this many days after approval.
    pub due_days: u16,
    /// Whether activation waits for it.
    pub required: bool,
}

/// A checklist template.
#[derive(Clone, Debug, Serialize)]
pub struct Template {
    /// Id.
    pub id: TemplateId,
    /// A partner type id, or `all`.
    pub scope: String,
    /// Name.
    pub name: String,
    /// Tasks in order.
    pub tasks: Vec<TemplateTask>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl TryFrom<TemplateRow> for Template {
    type Error = Error;
    fn try_from(r: TemplateRow) -> Result<Self> {
        Ok(Self {
            id: TemplateId::from_uuid(r.id),
            scope: r.scope,
            name: r.name,
            tasks: serde_json::from_value(r.tasks.0).map_err(|e| {
                Error::Internal(anyhow::anyhow!(
                    "stored onboarding template is not valid: {e}"
                ))
            })?,
            version: r.version,
        })
    }
}

/// One task of a partner's checklist.
#[derive(Clone, Debug, Serialize)]
pub struct Task {
    /// Id.
    pub id: TaskId,
    /// The partner.
    pub org_id: OrgId,
    /// Position in the checklist.
    pub position: i64,
    /// What completes it.
    pub kind: TaskKind,
    /// Title.
    pub title: String,
    /// What to do.
    pub description: String,
    /// Whose task it is.
    pub owner_side: Side,
    /// Whether activation waits for it.
    pub required: bool,
    /// Due.
    pub due_at: Timestamp,
    /// `open`, `done` or `skipped`.
    pub status: String,
    /// Who completed it (`None` when it completed itself).
    pub completed_by: Option<UserId>,
    /// When.
    pub completed_at: Option<Timestamp>,
}

impl Task {
    /// Open and past its due date at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.status == "open" && self.due_at <= now
    }
}

impl TryFrom<TaskRow> for Task {
    type Error = Error;
    fn try_from(r: TaskRow) -> Result<Self> {
        Ok(Self {
            id: TaskId::from_uuid(r.id),
            org_id: OrgId::from_uuid(r.org_id),
            position: r.position,
            kind: parse_stored("task kind", &r.kind)?,
            title: r.title,
            description: r.description,
            owner_side: parse_stored("task side", &r.owner_side)?,
            required: r.required,
            due_at: Timestamp::from_millis(r.due_at),
            status: r.status,
            completed_by: r.completed_by.map(UserId::from_uuid),
            completed_at: r.completed_at.map(Timestamp::from_millis),
        })
    }
}

/// A partner's checklist and its progress.
#[derive(Clone, Debug, Serialize)]
pub struct Checklist {
    /// Tasks in order.
    pub tasks: Vec<Task>,
    /// Tasks done or skipped.
    pub finished: usize,
    /// Required tasks still open.
    pub required_open: usize,
    /// Open tasks past their due date.
    pub overdue: usize,
}

/// The checklist every partner gets when no template applies to it.
pub fn default_tasks() -> Vec<TemplateTask> {
    let t = |title: &str, description: &str, kind, owner_side, due_days, required| TemplateTask {
        title: title.into(),
        description: description.into(),
        kind,
        owner_side,
        due_days,
        required,
    };
    vec![
        t(
            "Complete your company profile",
            "Describe what you do and choose your industries, so customers and our team can find you.",
            TaskKind::Profile,
            Side::Partner,
            7,
            true,
        ),
        t(
            "Accept the partner program agreement",
            "Read and accept the agreement for your partner type.",
            TaskKind::Agreement,
            Side::Partner,
            7,
            true,
        ),
        t(
            "Kick-off call with your channel manager",
            "Agree on goals, target accounts and the first joint activities.",
            TaskKind::Custom,
            Side::Vendor,
            14,
            true,
        ),
        t(
            "Invite your team",
            "Invite at least one colleague (sales or technical) to the portal.",
            TaskKind::InviteTeam,
            Side::Partner,
            14,
            false,
        ),
        t(
            "Complete your first training",
            "Finish the partner onboarding course.",
            TaskKind::Training,
            Side::Partner,
            30,
            false,
        ),
        t(
            "Register your first deal",
            "Register an opportunity you are working on to get it protected.",
            TaskKind::FirstDeal,
            Side::Partner,
            60,
            false,
        ),
    ]
}

fn validate_template(scope: &str, name: &str, tasks: &[TemplateTask]) -> Result<()> {
    let mut e = FieldErrors::new();
    if scope != ALL_TYPES && scope.parse::<PartnerType>().is_err() {
        e.add("scope", "must be a partner type id or \"all\"");
    }
    if name.trim().is_empty() || name.chars().count() > 80 {
        e.add("name", "is required, at most 80 characters");
    }
    if tasks.is_empty() || tasks.len() > 30 {
        e.add("tasks", "must have between 1 and 30 tasks");
    }
    for (i, t) in tasks.iter().enumerate() {
        if t.title.trim().is_empty() || t.title.chars().count() > 120 {
            e.add(
                format!("tasks[{i}].title"),
                "is required, at most 120 characters",
            );
        }
        if t.description.chars().count() > 1000 {
            e.add(
                format!("tasks[{i}].description"),
                "must be at most 1,000 characters",
            );
        }
        if t.due_days > 365 {
            e.add(format!("tasks[{i}].due_days"), "must be at most 365 days");
        }
        if t.owner_side == Side::Vendor && !t.kind.manual() {
            e.add(
                format!("tasks[{i}].owner_side"),
                "automatic tasks are the partner's; give the vendor a custom task",
            );
        }
    }
    Ok(e.into_result()?)
}

impl Services {
    /// Every template, by scope.
    pub async fn list_templates(&self, actor: &Actor) -> Result<Vec<Template>> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        store::templates(&mut c.exec())
            .await?
            .into_iter()
            .map(Template::try_from)
            .collect()
    }

    /// One template.
    pub async fn get_template(&self, actor: &Actor, id: TemplateId) -> Result<Template> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        store::find_template(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Creates the template of a scope (one per scope). Existing checklists are not changed.
    pub async fn create_template(
        &self,
        actor: &Actor,
        scope: &str,
        name: &str,
        tasks: Vec<TemplateTask>,
    ) -> Result<Template> {
        actor.require(Permission::ProgramManage)?;
        validate_template(scope, name, &tasks)?;
        let now = self.now();
        let row = TemplateRow {
            id: TemplateId::new().as_uuid(),
            scope: scope.trim().into(),
            name: name.trim().into(),
            tasks: Json(serde_json::to_value(&tasks).map_err(anyhow::Error::from)?),
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        let mut tx = self.db().begin().await?;
        store::insert_template(&mut tx.exec(), &row)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict => Error::field(
                    "scope",
                    "this partner type already has a template; edit that one",
                ),
                other => other.into(),
            })?;
        let t = Template::try_from(row)?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.template_created",
                object_type: "onboarding_template",
                object_id: t.id.to_string(),
                org_id: None,
                summary: format!("created the onboarding template {} ({})", t.name, t.scope),
                before: None,
                after: Some(json!(t)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Replaces a template's name and tasks if `version` is current. Checklists already
    /// generated keep their tasks.
    pub async fn update_template(
        &self,
        actor: &Actor,
        id: TemplateId,
        version: i64,
        name: &str,
        tasks: Vec<TemplateTask>,
    ) -> Result<Template> {
        actor.require(Permission::ProgramManage)?;
        let mut tx = self.db().begin().await?;
        let current = store::find_template(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        validate_template(&current.scope, name, &tasks)?;
        if current.version != version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        let before = Template::try_from(current.clone())?;
        let now = self.now();
        let row = TemplateRow {
            name: name.trim().into(),
            tasks: Json(serde_json::to_value(&tasks).map_err(anyhow::Error::from)?),
            updated_at: now.millis(),
            ..current
        };
        if !store::update_template(&mut tx.exec(), &row, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let after = Template::try_from(TemplateRow {
            version: version + 1,
            ..row
        })?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.template_updated",
                object_type: "onboarding_template",
                object_id: id.to_string(),
                org_id: None,
                summary: format!("updated the onboarding template {}", after.name),
                before: Some(json!(before)),
                after: Some(json!(after)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a template; partners of its scope then get the `all` template or the default.
    pub async fn delete_template(&self, actor: &Actor, id: TemplateId) -> Result<()> {
        actor.require(Permission::ProgramManage)?;
        let mut tx = self.db().begin().await?;
        let current = store::find_template(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let before = Template::try_from(current)?;
        store::delete_template(&mut tx.exec(), id.as_uuid()).await?;
        let now = self.now();
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.template_deleted",
                object_type: "onboarding_template",
                object_id: id.to_string(),
                org_id: None,
                summary: format!("deleted the onboarding template {}", before.name),
                before: Some(json!(before)),
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A partner's checklist.
    pub async fn checklist(&self, actor: &Actor, id: OrgId) -> Result<Checklist> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), id).await?;
        let tasks = store::tasks(&mut c.exec(), id.as_uuid())
            .await?
            .into_iter()
            .map(Task::try_from)
            .collect::<Result<Vec<_>>>()?;
        let now = self.now();
        Ok(Checklist {
            finished: tasks.iter().filter(|t| t.status != "open").count(),
            required_open: tasks
                .iter()
                .filter(|t| t.required && t.status == "open")
                .count(),
            overdue: tasks.iter().filter(|t| t.overdue(now)).count(),
            tasks,
        })
    }

    /// Ticks (`done`), skips (`skipped`, vendor only) or reopens (`open`) a task. Each side
    /// ticks its own manual tasks; vendor users may also tick or skip any task on the partner's
    /// behalf. Ticking a partner task needs the current agreement accepted.
    pub async fn set_task_status(&self, actor: &Actor, id: TaskId, status: &str) -> Result<Task> {
        actor.require(Permission::OnboardingWork)?;
        if !matches!(status, "open" | "done" | "skipped") {
            return Err(Error::field("status", "must be open, done or skipped"));
        }
        let scope = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut tx = self.db().begin().await?;
        let row = store::find_task(&mut tx.exec(), id.as_uuid(), scope)
            .await?
            .ok_or(Error::NotFound)?;
        let before = Task::try_from(row)?;
        if scope.is_some() {
            if before.owner_side != Side::Partner {
                return Err(Error::InvalidState(
                    "this task is for the vendor's team; your channel manager ticks it",
                ));
            }
            if !before.kind.manual() {
                return Err(Error::InvalidState(
                    "this task completes itself when you do what it asks",
                ));
            }
            if status == "skipped" {
                return Err(Error::InvalidState(
                    "only the vendor's team can skip a task",
                ));
            }
            if status == "done" {
                // Protected action: a partner must have accepted the current agreement.
                if let Some(s) = status_of(&mut tx.exec(), before.org_id).await?
                    && s.accepted.is_none()
                {
                    return Err(Error::AgreementRequired {
                        title: s.agreement.title,
                        version: s.agreement.version,
                    });
                }
            }
        }
        let now = self.now();
        let (by, at) = if status == "open" {
            (None, None)
        } else {
            (
                actor.user().map(|u| u.user_id.as_uuid()),
                Some(now.millis()),
            )
        };
        if !store::set_status(&mut tx.exec(), id.as_uuid(), status, by, at).await? {
            return Ok(before);
        }
        let after = Task::try_from(
            store::find_task(&mut tx.exec(), id.as_uuid(), None)
                .await?
                .ok_or(Error::NotFound)?,
        )?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.onboarding_task_changed",
                object_type: "onboarding_task",
                object_id: id.to_string(),
                org_id: Some(after.org_id),
                summary: format!("marked \"{}\" {status}", after.title),
                before: Some(json!({"status": before.status})),
                after: Some(json!(after)),
                publish: true,
            },
        )
        .await?;
        self.check_activation(&mut tx, actor, after.org_id, now)
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Generates a new partner's checklist from the template of its type, else the `all`
    /// template, else [`default_tasks`].
    pub(crate) async fn generate_checklist(
        &self,
        tx: &mut Tx,
        id: OrgId,
        now: Timestamp,
    ) -> Result<()> {
        let partner = load(&mut tx.exec(), id).await?;
        let mut template = None;
        if let Some(t) = partner.partner_type {
            template = store::template_for(&mut tx.exec(), t.as_str()).await?;
        }
        if template.is_none() {
            template = store::template_for(&mut tx.exec(), ALL_TYPES).await?;
        }
        let tasks = match template {
            Some(row) => Template::try_from(row)?.tasks,
            None => default_tasks(),
        };
        let start = partner.approved_at.unwrap_or(now);
        for (i, t) in tasks.iter().enumerate() {
            store::insert_task(
                &mut tx.exec(),
                &TaskRow {
                    id: TaskId::new().as_uuid(),
                    org_id: id.as_uuid(),
                    position: i64::try_from(i).unwrap_or(i64::MAX),
                    kind: t.kind.as_str().into(),
                    title: t.title.clone(),
                    description: t.description.clone(),
                    owner_side: t.owner_side.as_str().into(),
                    required: t.required,
                    due_at: start
                        .plus(Duration::from_secs(u64::from(t.due_days) * 86_400))
                        .millis(),
                    status: "open".into(),
                    completed_by: None,
                    completed_at: None,
                    last_reminded_at: None,
                    created_at: now.millis(),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Completes a partner's open tasks of `kind` (their condition was just met) and activates
    /// the partner if that was the last required one.
    pub(crate) async fn complete_tasks_of_kind(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrgId,
        kind: &str,
        now: Timestamp,
    ) -> Result<()> {
        let open = store::open_of_kind(&mut tx.exec(), id.as_uuid(), kind).await?;
        if open.is_empty() {
            return Ok(());
        }
        for t in &open {
            store::set_status(&mut tx.exec(), t.id, "done", None, Some(now.millis())).await?;
            self.record(
                tx,
                actor,
                now,
                Change {
                    action: "partner.onboarding_task_changed",
                    object_type: "onboarding_task",
                    object_id: t.id.to_string(),
                    org_id: Some(id),
                    summary: format!("\"{}\" completed itself", t.title),
                    before: Some(json!({"status": "open"})),
                    after: Some(
                        json!({"id": t.id, "org_id": id, "title": t.title, "status": "done"}),
                    ),
                    publish: true,
                },
            )
            .await?;
        }
        self.check_activation(tx, actor, id, now).await
    }

    /// Activates an onboarding partner whose required tasks are all finished.
    async fn check_activation(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrgId,
        now: Timestamp,
    ) -> Result<()> {
        let partner = load(&mut tx.exec(), id).await?;
        if partner.status != PartnerStatus::Onboarding {
            return Ok(());
        }
        let tasks = store::tasks(&mut tx.exec(), id.as_uuid()).await?;
        if tasks.iter().any(|t| t.required && t.status == "open") {
            return Ok(());
        }
        self.change_status(
            tx,
            actor,
            &partner,
            PartnerStatus::Active,
            "every required onboarding task is done",
            now,
        )
        .await?;
        Ok(())
    }

    /// Records that a partner registered a deal: the first one sets its time to first deal
    /// and completes the checklist task that asks for it. (Deal registration does this in its
    /// own transaction; this is for imports of deals registered elsewhere.)
    pub async fn record_deal_registered(
        &self,
        actor: &Actor,
        id: OrgId,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.db().begin().await?;
        self.note_first_deal(&mut tx, actor, id, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`record_deal_registered`](Self::record_deal_registered) in the registration's own
    /// transaction.
    pub(crate) async fn note_first_deal(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrgId,
        at: Timestamp,
    ) -> Result<()> {
        let mut profile = profile_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if profile.first_deal_at.is_some() {
            return Ok(());
        }
        profile.first_deal_at = Some(at.millis());
        profile_store::update(&mut tx.exec(), &profile).await?;
        self.complete_tasks_of_kind(tx, actor, id, "first_deal", at)
            .await
    }

    /// Sends reminders for overdue open tasks not reminded within the program's reminder
    /// interval: partner tasks to the partner's admins, vendor tasks to the partner's channel
    /// manager. Returns how many went out. (The job behind the `partners.remind` schedule.)
    pub async fn remind_overdue_tasks(&self) -> Result<usize> {
        let settings = self.program_settings().await?.settings;
        let now = self.now();
        let interval = Duration::from_secs(u64::from(settings.reminder_interval_days) * 86_400);
        let mut tx = self.db().begin().await?;
        let due = store::overdue(
            &mut tx.exec(),
            now.millis(),
            now.minus(interval).millis(),
            REMINDER_BATCH,
        )
        .await?;
        let mut sent = 0;
        for t in due {
            let partner = load(&mut tx.exec(), OrgId::from_uuid(t.org_id)).await?;
            let recipients = if t.owner_side == "vendor" {
                let owner = match partner.owner_id {
                    Some(owner) => user_store::find(&mut tx.exec(), owner.as_uuid(), None)
                        .await?
                        .filter(|u| u.status == "active")
                        .map(|u| u.email),
                    None => None,
                };
                // An owner who cannot act (disabled, or not yet signed up) must not swallow
                // the reminder: it goes to the reviewers, as for a partner without an owner.
                match owner {
                    Some(email) => vec![email],
                    None => user_store::reviewers(&mut tx.exec()).await?,
                }
            } else {
                user_store::admins_of(&mut tx.exec(), t.org_id).await?
            };
            let days = (now.millis() - t.due_at) / 86_400_000;
            let link = if t.owner_side == "vendor" {
                self.config()
                    .link(&format!("/console/partners/{}", partner.id))
            } else {
                self.config().link("/portal/onboarding")
            };
            for to in recipients {
                email::queue(
                    &mut tx,
                    &EmailMessage {
                        to,
                        subject: format!("Overdue onboarding task: {}", t.title),
                        body: format!(
                            "The onboarding task \"{title}\" for {partner} was due {when}.\n\n\
                             {description}\n\nOpen the checklist:\n{link}\n",
                            title = t.title,
                            partner = partner.name,
                            when = if days == 0 {
                                "today".to_owned()
                            } else {
                                format!("{days} days ago")
                            },
                            description = t.description,
                        ),
                    },
                    now,
                    self.config().job_max_attempts,
                )
                .await?;
                sent += 1;
            }
            store::mark_reminded(&mut tx.exec(), t.id, now.millis()).await?;
        }
        tx.commit().await?;
        Ok(sent)
    }
}
