//! One partner's page: profile and specialisations, lifecycle figures, onboarding checklist,
//! tier with the figures behind it, contacts, users, agreement and timeline; and the actions
//! on it (status, tasks, contacts, metrics, tier evaluation and override).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::partners::metrics::{Metric, format_value};
use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::{ContactId, OrgId, Permission, TaskId, Timestamp};
use trellis_service::partners::Partner;
use trellis_service::partners::agreements::AgreementStatus;
use trellis_service::partners::contacts::{self, Contact, ContactInput};
use trellis_service::partners::ipp::ScoredFit;
use trellis_service::partners::metrics::{COMPUTED, MetricValue};
use trellis_service::partners::onboarding::Checklist;
use trellis_service::partners::tiers::{Tier, TierChange};
use trellis_service::partners::timeline::TimelineEntry;
use trellis_service::platform::PageRequest;
use trellis_service::platform::users::User;

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, PageId, failed, metric_figure};
use super::super::session::VendorSession;
use super::super::view::{Choice, Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/partners/{id}", show)
        .post("/console/partners/{id}/status", set_status)
        .post("/console/partners/{id}/contacts", add_contact)
        .post("/console/partners/{id}/metrics", set_metric)
        .post("/console/partners/{id}/tier/evaluate", evaluate)
        .post("/console/partners/{id}/tier/override", set_override)
        .post("/console/partners/{id}/tier/override/clear", clear_override)
        .post("/console/onboarding-tasks/{id}", set_task)
        .post("/console/contacts/{id}/delete", delete_contact)
}

/// A metric row of the tier section.
struct MetricRow {
    label: &'static str,
    value: String,
    source: String,
    computed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partner.html")]
struct ShowPage {
    chrome: Chrome,
    p: Partner,
    owner: Option<User>,
    users: Vec<User>,
    checklist: Checklist,
    tiers: Vec<Tier>,
    metrics: Vec<MetricRow>,
    settable_metrics: Vec<Choice>,
    tier_changes: Vec<TierChange>,
    timeline: Vec<TimelineEntry>,
    agreement: Option<AgreementStatus>,
    contacts: Vec<Contact>,
    contact_roles: Vec<Choice>,
    fit: Option<ScoredFit>,
    next_statuses: Vec<Choice>,
    now: Timestamp,
    can_manage: bool,
    can_edit: bool,
    can_invite: bool,
    errors: Errors,
}

impl ShowPage {
    fn tier_name(&self, key: &str) -> String {
        self.tiers
            .iter()
            .find(|t| t.def.key.as_str() == key)
            .map_or_else(|| key.to_owned(), |t| t.def.name.clone())
    }

    fn grace_until(&self) -> Option<String> {
        self.p.tier_below_since.map(Timestamp::date)
    }
}

async fn load(s: &VendorSession, id: OrgId, errors: Errors) -> PageResult<ShowPage> {
    let svc = &s.services;
    let p = svc.get_partner(&s.actor, id).await?;
    let owner = match p.owner_id {
        Some(o) => svc.get_user(&s.actor, o).await.ok(),
        None => None,
    };
    let users = svc
        .list_users(
            &s.actor,
            Some(id),
            &PageRequest {
                cursor: None,
                limit: Some(20),
            },
        )
        .await?
        .items;
    let settings = svc.get_program_settings(&s.actor).await?.settings;
    let values: Vec<MetricValue> = svc.partner_metrics(&s.actor, id).await?;
    let metrics = values
        .iter()
        .map(|m| MetricRow {
            label: m.metric.label(),
            value: format_value(m.metric, m.value, &settings.reporting_currency),
            source: m.source.clone(),
            computed: COMPUTED.contains(&m.metric),
        })
        .collect();
    let settable_metrics = Metric::ALL
        .iter()
        .filter(|m| !COMPUTED.contains(m))
        .map(|m| Choice {
            value: m.as_str().into(),
            label: m.label().into(),
            selected: false,
        })
        .collect();
    let next_statuses = PartnerStatus::ALL
        .iter()
        .filter(|to| p.status.can_become(**to))
        .map(|to| Choice {
            value: to.as_str().into(),
            label: to.label().into(),
            selected: false,
        })
        .collect();
    let mut tier_changes = svc.partner_tier_changes(&s.actor, id).await?;
    tier_changes.truncate(10);
    Ok(ShowPage {
        chrome: s.chrome(p.name.clone()),
        owner,
        users,
        checklist: svc.checklist(&s.actor, id).await?,
        tiers: svc.list_tiers(&s.actor).await?,
        metrics,
        settable_metrics,
        tier_changes,
        timeline: svc.partner_timeline(&s.actor, id).await?,
        agreement: svc.agreement_status(&s.actor, id).await?,
        contacts: svc.list_contacts(&s.actor, id).await?,
        contact_roles: Choice::list(contacts::ROLES, "primary"),
        fit: svc.fit_history(&s.actor, id).await?.into_iter().next(),
        next_statuses,
        now: s.now(),
        can_manage: s.can(Permission::OrgsManage),
        can_edit: s.can(Permission::ProfileManage),
        can_invite: s.can(Permission::UsersManage),
        errors,
        p,
    })
}

async fn show(s: VendorSession, PageId(id): PageId<OrgId>) -> PageResult {
    Ok(load(&s, id, Errors::none()).await?.into_response())
}

/// After an action: back to the partner page with a message, or the page again with the
/// problem shown at the top (every form here is a short one).
async fn done(
    s: &VendorSession,
    id: OrgId,
    outcome: trellis_service::Result<String>,
) -> PageResult {
    match outcome {
        Ok(message) => Ok(s.redirect(&format!("/console/partners/{id}"), &Flash::success(message))),
        Err(e) => {
            let (status, errors) = failed(e)?;
            Ok((status, load(s, id, errors).await?).into_response())
        }
    }
}

async fn set_status(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let outcome = match form.text("status").parse::<PartnerStatus>() {
        Ok(to) => s
            .services
            .set_partner_status(&s.actor, id, form.version(), to, &form.text("reason"))
            .await
            .map(|p| format!("{} is now {}.", p.name, p.status.label().to_lowercase())),
        Err(m) => Err(trellis_service::Error::field("status", m)),
    };
    done(&s, id, outcome).await
}

async fn set_task(
    s: VendorSession,
    PageId(id): PageId<TaskId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let task = s
        .services
        .set_task_status(&s.actor, id, &form.text("status"))
        .await?;
    Ok(s.redirect(
        &format!("/console/partners/{}#onboarding", task.org_id),
        &Flash::success(format!("\"{}\" is {}.", task.title, task.status)),
    ))
}

async fn add_contact(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let input = ContactInput {
        name: form.text("name"),
        email: form.text("email"),
        phone: form.text("phone"),
        title: form.text("title"),
        role: form.text("role"),
    };
    let outcome = s
        .services
        .create_contact(&s.actor, id, &input)
        .await
        .map(|c| format!("Added {} as a contact.", c.name));
    done(&s, id, outcome).await
}

async fn delete_contact(
    s: VendorSession,
    PageId(id): PageId<ContactId>,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    let c = s.services.get_contact(&s.actor, id).await?;
    s.services.delete_contact(&s.actor, id).await?;
    Ok(s.redirect(
        &format!("/console/partners/{}#contacts", c.org_id),
        &Flash::success(format!("Removed the contact {}.", c.name)),
    ))
}

async fn set_metric(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let outcome = async {
        let metric = form
            .text("metric")
            .parse::<Metric>()
            .map_err(|m| trellis_service::Error::field("metric", m))?;
        let raw = form.text("value");
        let value = if raw.trim().is_empty() {
            None
        } else {
            Some(metric_figure(&raw, metric).ok_or_else(|| {
                trellis_service::Error::field(
                    "value",
                    "must be a number, such as 250000 or 2500.50",
                )
            })?)
        };
        s.services
            .set_partner_metric(&s.actor, id, metric, value, "manual")
            .await?;
        Ok(match value {
            Some(_) => format!("Set {}.", metric.label()),
            None => format!("Cleared {}.", metric.label()),
        })
    }
    .await;
    done(&s, id, outcome).await
}

async fn evaluate(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    let outcome = s
        .services
        .evaluate_partner_tier(&s.actor, id)
        .await
        .map(|d| d.explanation);
    done(&s, id, outcome).await
}

async fn set_override(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let until = form.opt("until").map(|d| {
        Timestamp::parse_rfc3339(&format!("{}T00:00:00Z", d.trim()))
            .ok_or_else(|| trellis_service::Error::field("until", "must be a date"))
    });
    let outcome = match until.transpose() {
        Ok(until) => s
            .services
            .set_tier_override(
                &s.actor,
                id,
                form.version(),
                &form.text("tier"),
                &form.text("reason"),
                until,
            )
            .await
            .map(|d| d.explanation),
        Err(e) => Err(e),
    };
    done(&s, id, outcome).await
}

async fn clear_override(
    s: VendorSession,
    PageId(id): PageId<OrgId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let outcome = s
        .services
        .clear_tier_override(&s.actor, id, form.version(), &form.text("reason"))
        .await
        .map(|d| d.explanation);
    done(&s, id, outcome).await
}
