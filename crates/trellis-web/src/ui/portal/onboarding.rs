//! The partner's onboarding checklist: what is done, what is due, and the tasks it ticks
//! itself (each automatic task links to where it is done).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{Permission, TaskId, Timestamp};
use trellis_service::partners::Partner;
use trellis_service::partners::onboarding::Checklist;

use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::PageId;
use super::super::session::PartnerSession;
use super::super::view::{Chrome, Look as _};

#[derive(Template, WebTemplate)]
#[template(path = "portal/onboarding.html")]
struct OnboardingPage {
    chrome: Chrome,
    p: Partner,
    checklist: Checklist,
    now: Timestamp,
    can_tick: bool,
}

impl OnboardingPage {
    /// Where an automatic task is done.
    fn link_for(kind: &str) -> Option<&'static str> {
        match kind {
            "profile" => Some("/portal/org"),
            "agreement" => Some("/portal/agreement"),
            "invite_team" => Some("/portal/users/new"),
            _ => None,
        }
    }
}

pub(super) async fn show(s: PartnerSession) -> PageResult {
    let id = s.scope.org_id();
    let p = s.services.get_partner(&s.actor, id).await?;
    Ok(OnboardingPage {
        chrome: s.chrome("Onboarding"),
        checklist: s.services.checklist(&s.actor, id).await?,
        now: s.now(),
        can_tick: s.can(Permission::OnboardingWork),
        p,
    }
    .into_response())
}

pub(super) async fn set_task(
    s: PartnerSession,
    PageId(id): PageId<TaskId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let status = if form.text("status") == "open" {
        "open"
    } else {
        "done"
    };
    match s.services.set_task_status(&s.actor, id, status).await {
        Ok(task) => Ok(s.redirect(
            "/portal/onboarding",
            &Flash::success(format!("\"{}\" is {}.", task.title, task.status)),
        )),
        Err(e @ trellis_service::Error::AgreementRequired { .. }) => Ok(s.redirect(
            "/portal/agreement",
            &Flash::info(format!("Please {e}; then you can tick the task.")),
        )),
        Err(e) => Err(e.into()),
    }
}
