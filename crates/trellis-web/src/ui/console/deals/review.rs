//! A registration's review page: what the partner registered, every candidate conflict with
//! its score and reason, the advice of the rules it was submitted under, and the forms that
//! act on it (approve, reject, apply the rules, settle a dispute, decide an extension, convert
//! into an opportunity), with its trail. A form that fails shows the page again with the
//! reason; a stale version says someone else acted first.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use trellis_domain::deals::{DealStatus, Decision, Verdict};
use trellis_domain::{AccountId, DealRegistrationId, Permission};
use trellis_service::deals::{ConflictCandidate, ConflictKind, Conversion, PolicyVersion};
use trellis_service::platform::users::User;

use crate::ui::assets;
use crate::ui::book::RouteBook;
use crate::ui::csrf::CsrfForm;
use crate::ui::deal_view::{self, DealView, StepView};
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, PageId, failed};
use crate::ui::live;
use crate::ui::session::VendorSession;
use crate::ui::view::{Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/deals/{id}", show)
        .get("/console/deals/{id}/live", live)
        .post("/console/deals/{id}/decision", decide)
        .post("/console/deals/{id}/resolve", resolve)
        .post("/console/deals/{id}/dispute", settle_dispute)
        .post("/console/deals/{id}/extension", decide_extension)
        .post("/console/deals/{id}/conversion", convert)
}

/// A candidate with where it lives in the console.
struct CandidateView {
    c: ConflictCandidate,
    kind: &'static str,
    href: String,
    percent: String,
}

impl CandidateView {
    fn new(c: ConflictCandidate) -> Self {
        let (kind, base) = match c.kind {
            ConflictKind::Account => ("Account", "/console/accounts"),
            ConflictKind::Opportunity => ("Open opportunity", "/console/opportunities"),
            ConflictKind::Registration => ("Registration", "/console/deals"),
        };
        // Scores are 0–1; the page shows whole percent.
        let percent = format!("{:.0}", c.score.clamp(0.0, 1.0) * 100.0);
        Self {
            href: format!("{base}/{}", c.id),
            kind,
            percent,
            c,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/deal.html")]
struct ReviewPage {
    chrome: Chrome,
    dv: DealView,
    candidates: Vec<CandidateView>,
    policy: PolicyVersion,
    advice: Option<Verdict>,
    trail: Vec<StepView>,
    /// Vendor accounts the candidates matched, for the conversion form.
    accounts: Vec<(AccountId, String)>,
    reps: Vec<User>,
    can_review: bool,
    errors: Errors,
    /// The form the errors belong to.
    failed_form: &'static str,
    /// What was typed into the failed form.
    typed: FormData,
    now_ms: i64,
    live_url: String,
    script: &'static str,
}

async fn page(
    s: &VendorSession,
    id: DealRegistrationId,
    errors: Errors,
    failed_form: &'static str,
    typed: FormData,
) -> PageResult<ReviewPage> {
    let can_review = s.can(Permission::DealsReview);
    let (registration, candidates, policy, advice) = if can_review {
        let r = s.services.review_deal(&s.actor, id).await?;
        (r.registration, r.candidates, r.policy, r.advice)
    } else {
        // Reps and finance read registrations but do not review them.
        let r = s.services.get_deal(&s.actor, id).await?;
        let p = s
            .services
            .engagement_policy_version(&s.actor, r.policy_version)
            .await?;
        (r, Vec::new(), p, None)
    };
    let trail = deal_view::trail(s.services.deal_trail(&s.actor, id).await?);
    let accounts = candidates
        .iter()
        .filter(|c| c.kind == ConflictKind::Account)
        .map(|c| (AccountId::from_uuid(c.id), c.name.clone()))
        .collect();
    let reps = if can_review && registration.status == DealStatus::Approved {
        super::super::vendor_users(s).await?
    } else {
        Vec::new()
    };
    let now = s.now();
    let title = format!("{} ({})", registration.company_name, registration.reference);
    Ok(ReviewPage {
        chrome: s.chrome(title),
        live_url: format!("/console/deals/{id}/live"),
        dv: DealView::new(registration, now, &policy.policy),
        candidates: candidates.into_iter().map(CandidateView::new).collect(),
        policy,
        advice,
        trail,
        accounts,
        reps,
        can_review,
        errors,
        failed_form,
        typed,
        now_ms: now.millis(),
        script: assets::live_url(),
    })
}

async fn show(s: VendorSession, PageId(id): PageId<DealRegistrationId>) -> PageResult {
    Ok(page(&s, id, Errors::none(), "", FormData::default())
        .await?
        .into_response())
}

/// The stamp the page polls: the registration's version.
async fn live(s: VendorSession, PageId(id): PageId<DealRegistrationId>) -> PageResult {
    Ok(live::stamp(
        s.services.get_deal(&s.actor, id).await?.version,
    ))
}

/// After a form: back to the page with a message, or the page again with what went wrong.
async fn done<T>(
    s: &VendorSession,
    id: DealRegistrationId,
    form_name: &'static str,
    form: FormData,
    outcome: trellis_service::Result<T>,
    message: impl FnOnce(T) -> String,
) -> PageResult {
    match outcome {
        Ok(v) => Ok(s.redirect(&format!("/console/deals/{id}"), &Flash::success(message(v)))),
        Err(e) => {
            let (status, errors): (StatusCode, Errors) = failed(e)?;
            let page = page(s, id, errors, form_name, form).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn decide(
    s: VendorSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let decision = if form.text("decision") == "reject" {
        Decision::Reject
    } else {
        Decision::Approve
    };
    let outcome = s
        .services
        .decide_deal(&s.actor, id, form.version(), decision, &form.text("reason"))
        .await;
    let name = if decision == Decision::Reject {
        "reject"
    } else {
        "approve"
    };
    done(&s, id, name, form, outcome, |r| {
        format!(
            "{} the registration for {}.",
            verb(r.status),
            r.company_name
        )
    })
    .await
}

fn verb(status: DealStatus) -> &'static str {
    match status {
        DealStatus::Approved => "Approved",
        DealStatus::Rejected => "Rejected",
        _ => "Updated",
    }
}

async fn resolve(
    s: VendorSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let outcome = s.services.resolve_deal(&s.actor, id, form.version()).await;
    done(&s, id, "resolve", form, outcome, |decided| {
        let parts: Vec<String> = decided
            .iter()
            .map(|r| {
                format!(
                    "{} {} ({})",
                    r.partner_name,
                    verb(r.status).to_lowercase(),
                    r.reference
                )
            })
            .collect();
        format!("Applied the rules of engagement: {}.", parts.join("; "))
    })
    .await
}

async fn settle_dispute(
    s: VendorSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let overturn = form.text("outcome") == "overturn";
    let outcome = s
        .services
        .resolve_dispute(&s.actor, id, form.version(), overturn, &form.text("reason"))
        .await;
    done(&s, id, "dispute", form, outcome, |_| {
        if overturn {
            "Overturned the rejection: the registration is approved.".to_owned()
        } else {
            "Upheld the rejection; the partner sees your reason.".to_owned()
        }
    })
    .await
}

async fn decide_extension(
    s: VendorSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let grant = form.text("outcome") == "grant";
    let outcome = s
        .services
        .decide_extension(&s.actor, id, form.version(), grant, &form.text("reason"))
        .await;
    done(&s, id, "extension", form, outcome, |r| {
        if grant {
            format!(
                "Extended the protection to {}.",
                r.protected_until.map_or_else(String::new, |t| t.show())
            )
        } else {
            "Denied the extension; the partner sees your reason.".to_owned()
        }
    })
    .await
}

async fn convert(
    s: VendorSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let conversion = Conversion {
        account_id: form.opt("account_id").and_then(|a| a.parse().ok()),
        owner: form.text("owner"),
        name: form.text("name"),
    };
    let outcome = s
        .services
        .convert_deal(&s.actor, id, form.version(), &conversion)
        .await;
    done(&s, id, "convert", form, outcome, |(_, o)| {
        format!(
            "Converted into the opportunity \"{}\" with the partner attached.",
            o.name
        )
    })
    .await
}
