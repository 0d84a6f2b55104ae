//! Background jobs: the queued and dead tabs, each job's last error, and "Retry" on dead jobs.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::JobId;
use trellis_service::platform::PageRequest;
use trellis_service::platform::jobs::Job;

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{PageId, Query};
use super::super::session::VendorSession;
use super::super::view::{Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/jobs", index)
        .post("/console/jobs/{id}/retry", retry)
}

struct Row {
    job: Job,
    payload: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/jobs.html")]
struct JobsPage {
    chrome: Chrome,
    dead: bool,
    queued_count: i64,
    dead_count: i64,
    rows: Vec<Row>,
    paged: bool,
    first: &'static str,
    next: Option<String>,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let dead = q.text("status") == "dead";
    let status = if dead { "dead" } else { "queued" };
    let cursor = q.opt("cursor");
    let list = s
        .services
        .list_jobs(
            &s.actor,
            status,
            &PageRequest {
                cursor: cursor.clone(),
                limit: None,
            },
        )
        .await?;
    let (queued_count, dead_count) = s.services.job_counts(&s.actor).await?;
    let first = if dead {
        "/console/jobs?status=dead"
    } else {
        "/console/jobs"
    };
    let page = JobsPage {
        chrome: s.chrome(if dead { "Dead jobs" } else { "Queued jobs" }),
        dead,
        queued_count,
        dead_count,
        rows: list
            .items
            .into_iter()
            .map(|job| Row {
                payload: serde_json::to_string_pretty(&job.payload).unwrap_or_default(),
                job,
            })
            .collect(),
        paged: cursor.is_some(),
        first,
        next: list.next.map(|c| {
            Query::link(
                "/console/jobs",
                &[("status", status), ("cursor", &c.encode())],
            )
        }),
    };
    Ok(page.into_response())
}

async fn retry(s: VendorSession, PageId(id): PageId<JobId>, _: CsrfForm) -> PageResult {
    let job = s.services.retry_job(&s.actor, id).await?;
    Ok(s.redirect(
        "/console/jobs?status=dead",
        &Flash::success(format!(
            "Queued the {} job again with fresh attempts.",
            job.kind
        )),
    ))
}
