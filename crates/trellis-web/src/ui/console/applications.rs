//! The application review queue: pending applications oldest first with their fit scores, an
//! application's page with the fit breakdown, and the approve and reject forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{ApplicationId, Permission};
use trellis_service::partners::applications::{Application, ApplicationDetail, Approval};
use trellis_service::platform::PageRequest;

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, PageId, Query, failed};
use super::super::session::VendorSession;
use super::super::view::{Choice, Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/applications", index)
        .get("/console/applications/{id}", show)
        .post("/console/applications/{id}/approve", approve)
        .post("/console/applications/{id}/reject", reject)
}

#[derive(Template, WebTemplate)]
#[template(path = "console/applications.html")]
struct ListPage {
    chrome: Chrome,
    applications: Vec<Application>,
    statuses: Vec<Choice>,
    status: String,
    counts: Vec<(String, i64)>,
    paged: bool,
    first: String,
    next: Option<String>,
}

impl ListPage {
    fn count(&self, status: &str) -> i64 {
        self.counts
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    }
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let status = q.opt("status").unwrap_or_else(|| "pending".into());
    let filter = (status != "all").then_some(status.as_str());
    let cursor = q.opt("cursor");
    let page = PageRequest {
        cursor: cursor.clone(),
        limit: None,
    };
    let list = s
        .services
        .list_applications(&s.actor, filter, &page)
        .await?;
    let link = |c: &str| {
        Query::link(
            "/console/applications",
            &[("status", &status), ("cursor", c)],
        )
    };
    let page = ListPage {
        chrome: s.chrome("Applications"),
        counts: s.services.application_counts(&s.actor).await?,
        statuses: Choice::list(
            [
                ("pending", "Waiting for review"),
                ("approved", "Approved"),
                ("rejected", "Rejected"),
                ("all", "All"),
            ],
            &status,
        ),
        applications: list.items,
        paged: cursor.is_some(),
        first: link(""),
        next: list.next.map(|c| link(&c.encode())),
        status,
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/application.html")]
struct ShowPage {
    chrome: Chrome,
    d: ApplicationDetail,
    can_review: bool,
    errors: Errors,
}

async fn page(s: &VendorSession, id: ApplicationId, errors: Errors) -> PageResult<ShowPage> {
    let d = s.services.get_application(&s.actor, id).await?;
    Ok(ShowPage {
        chrome: s.chrome(d.application.company_name.clone()),
        can_review: s.can(Permission::ApplicationsReview),
        d,
        errors,
    })
}

async fn show(s: VendorSession, PageId(id): PageId<ApplicationId>) -> PageResult {
    Ok(page(&s, id, Errors::none()).await?.into_response())
}

async fn approve(
    s: VendorSession,
    PageId(id): PageId<ApplicationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let approval = Approval {
        reason: form.opt("reason"),
        owner_id: None,
    };
    match s
        .services
        .approve_application(&s.actor, id, form.version(), &approval)
        .await
    {
        Ok((app, partner)) => Ok(s.redirect(
            &format!("/console/partners/{}", partner.id),
            &Flash::success(format!(
                "Approved {}. {} is invited as its admin and its onboarding checklist has started.",
                app.company_name, app.contact_email
            )),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            Ok((status, page(&s, id, errors).await?).into_response())
        }
    }
}

async fn reject(
    s: VendorSession,
    PageId(id): PageId<ApplicationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    match s
        .services
        .reject_application(
            &s.actor,
            id,
            form.version(),
            &form.text("reason"),
            form.opt("notify").is_some(),
        )
        .await
    {
        Ok(app) => Ok(s.redirect(
            "/console/applications",
            &Flash::success(format!("Rejected the application of {}.", app.company_name)),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            Ok((status, page(&s, id, errors).await?).into_response())
        }
    }
}
