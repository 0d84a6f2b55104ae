//! The public application form (`/apply`) and the public partner locator (`/partners`).
//!
//! Spam resistance without third-party services: the pre-login CSRF token (a script that posts
//! without loading the form fails), a honeypot field people never see, a minimum fill time,
//! and the service's per-address rate limit and one-pending-application-per-address rule.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use trellis_domain::partners::profile::{Industry, Segment};
use trellis_domain::{PartnerType, Region};
use trellis_service::partners::applications::ApplicationInput;
use trellis_service::partners::directory::{DirectoryQuery, FacetCounts, LocatorEntry};
use trellis_service::platform::PageRequest;

use super::super::book::RouteBook;
use super::super::csrf::{PublicCsrf, PublicForm};
use super::super::error::{PageError, PageResult};
use super::super::flash::Incoming;
use super::super::form::{Errors, Query, failed};
use super::super::profile_form::Check;
use super::super::view::{Choice, Chrome, Look as _, enum_choices};
use crate::client::Client;
use crate::state::AppState;

/// Seconds a person needs at least to fill in the form; quicker posts are scripts.
const MIN_FILL_SECS: i64 = 3;

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/apply", form)
        .post("/apply", submit)
        .get("/apply/thanks", thanks)
        .get("/partners", locator)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/apply.html")]
struct ApplyPage {
    chrome: Chrome,
    csrf: String,
    started: i64,
    v: Values,
    partner_types: Vec<Choice>,
    regions: Vec<Choice>,
    industries: Vec<Check>,
    segments: Vec<Check>,
    regions_served: Vec<Check>,
    errors: Errors,
}

#[derive(Default)]
struct Values {
    company_name: String,
    website: String,
    country: String,
    employees: String,
    founded_year: String,
    customers: String,
    technologies: String,
    description: String,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
}

fn checks<T: Copy>(
    all: &[T],
    id: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    on: &[String],
) -> Vec<Check> {
    all.iter()
        .map(|v| Check {
            value: id(*v).into(),
            label: label(*v).into(),
            checked: on.iter().any(|o| o == id(*v)),
        })
        .collect()
}

impl ApplyPage {
    fn new(
        state: &AppState,
        csrf: String,
        started: i64,
        form: Option<&super::super::form::FormData>,
        errors: Errors,
    ) -> Self {
        let text = |name: &str| form.map(|f| f.text(name)).unwrap_or_default();
        let all = |name: &str| form.map(|f| f.all(name)).unwrap_or_default();
        Self {
            chrome: Chrome::public(
                "Become a partner",
                &state.services.config().product_name,
                None,
            ),
            csrf,
            started,
            partner_types: enum_choices!(
                PartnerType,
                &text("partner_type"),
                "Choose how you want to partner"
            ),
            regions: enum_choices!(Region, &text("region"), "Choose a region"),
            industries: checks(
                Industry::ALL,
                Industry::as_str,
                Industry::label,
                &all("industries"),
            ),
            segments: checks(
                Segment::ALL,
                Segment::as_str,
                Segment::label,
                &all("segments"),
            ),
            regions_served: checks(
                Region::ALL,
                Region::as_str,
                Region::label,
                &all("regions_served"),
            ),
            v: Values {
                company_name: text("company_name"),
                website: text("website"),
                country: text("country"),
                employees: text("employees"),
                founded_year: text("founded_year"),
                customers: text("customers"),
                technologies: text("technologies"),
                description: text("description"),
                contact_name: text("contact_name"),
                contact_email: text("contact_email"),
                contact_phone: text("contact_phone"),
            },
            errors,
        }
    }
}

fn closed(state: &AppState) -> PageError {
    let _ = state;
    PageError::page(
        StatusCode::NOT_FOUND,
        "Applications are closed",
        "The partner program is not accepting applications at the moment. Please check back later.",
    )
}

async fn form(State(state): State<AppState>, csrf: PublicCsrf) -> PageResult {
    let (open, _) = state.services.public_program_switches().await?;
    if !open {
        return Err(closed(&state));
    }
    let started = state.services.now().millis();
    let page = ApplyPage::new(&state, csrf.token.clone(), started, None, Errors::none());
    Ok((csrf, page).into_response())
}

async fn submit(
    State(state): State<AppState>,
    Client(client): Client,
    f: PublicForm,
) -> PageResult {
    let form = &f.form;
    let now = state.services.now().millis();
    let started: i64 = form.text("started").parse().unwrap_or(i64::MAX);
    // A filled honeypot or an instant post is a script: answer as if it worked, keep nothing.
    if !form.text("fax").is_empty() || now - started < MIN_FILL_SECS * 1000 {
        tracing::info!(ip = ?client.ip, "application form spam dropped");
        return Ok(axum::response::Redirect::to("/apply/thanks").into_response());
    }
    let mut bad = trellis_domain::FieldErrors::new();
    let employees = form.whole_number("employees", &mut bad);
    let founded_year = form.whole_number("founded_year", &mut bad);
    let customers = form.whole_number("customers", &mut bad);
    let input = ApplicationInput {
        company_name: form.text("company_name"),
        website: form.opt("website"),
        country: form.opt("country"),
        region: form.opt("region"),
        partner_type: form.text("partner_type"),
        industries: form.all("industries"),
        technologies: form
            .text("technologies")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        segments: form.all("segments"),
        regions_served: form.all("regions_served"),
        employees,
        founded_year,
        customers,
        description: form.text("description"),
        contact_name: form.text("contact_name"),
        contact_email: form.text("contact_email"),
        contact_phone: form.text("contact_phone"),
    };
    let outcome = if bad.is_empty() {
        state.services.submit_application(&input, &client).await
    } else {
        Err(bad.into())
    };
    match outcome {
        Ok(_) => Ok(axum::response::Redirect::to("/apply/thanks").into_response()),
        Err(trellis_service::Error::InvalidState(_)) => Err(closed(&state)),
        Err(e) => {
            let (status, errors) = failed(e)?;
            let page = ApplyPage::new(&state, f.csrf.clone(), started, Some(form), errors);
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/apply_thanks.html")]
struct ThanksPage {
    chrome: Chrome,
}

async fn thanks(State(state): State<AppState>, Incoming(flash): Incoming) -> Response {
    ThanksPage {
        chrome: Chrome::public("Thank you", &state.services.config().product_name, flash),
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "public/locator.html")]
struct LocatorPage {
    chrome: Chrome,
    entries: Vec<LocatorEntry>,
    total: i64,
    facets: Vec<FacetCounts>,
    q: String,
    next: Option<String>,
    paged: bool,
    first: String,
}

async fn locator(State(state): State<AppState>, q: Query) -> PageResult {
    let text = q.text("q");
    let query = DirectoryQuery {
        q: Some(text.clone()),
        partner_types: q.all("partner_type"),
        tiers: q.all("tier"),
        industries: q.all("industry"),
        technologies: q.all("technology"),
        segments: q.all("segment"),
        regions: q.all("region"),
        ..DirectoryQuery::default()
    };
    let cursor = q.opt("cursor");
    let page = PageRequest {
        cursor: cursor.clone(),
        limit: Some(24),
    };
    let (entries, next, total, facets) = match state.services.search_locator(&query, &page).await {
        Ok(r) => r,
        Err(trellis_service::Error::NotFound) => return Err(PageError::not_found_page()),
        Err(e) => {
            let (status, errors) = failed(e)?;
            let _ = errors;
            return Err(PageError::page(
                status,
                "Invalid search",
                "One of the filters is not valid; please start again from the partner locator.",
            ));
        }
    };
    let mut params: Vec<(&str, String)> = vec![("q", text.clone())];
    for name in [
        "partner_type",
        "tier",
        "region",
        "industry",
        "segment",
        "technology",
    ] {
        params.extend(q.all(name).into_iter().map(|v| (name, v)));
    }
    let link = |c: &str| {
        let mut all: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.push(("cursor", c));
        Query::link("/partners", &all)
    };
    Ok(LocatorPage {
        chrome: Chrome::public(
            "Find a partner",
            &state.services.config().product_name,
            None,
        ),
        entries,
        total,
        facets,
        q: text,
        paged: cursor.is_some(),
        first: link(""),
        next: next.map(|c| link(&c.encode())),
    }
    .into_response())
}
