//! One of the partner's deals: its status (live), the decision and its reason, the protection
//! and its clock, the trail, and what the partner can do next: keep it up to date, withdraw
//! it, dispute a rejection or ask for more protection.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::deals::{DealStage, DealStatus};
use trellis_domain::money::parse_amount;
use trellis_domain::{DealRegistrationId, FieldErrors, Permission};
use trellis_service::Error;
use trellis_service::deals::{DealUpdate, PolicyVersion};

use super::renamed;
use crate::ui::assets;
use crate::ui::book::RouteBook;
use crate::ui::csrf::CsrfForm;
use crate::ui::deal_view::{self, DealView, StepView};
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, PageId, failed};
use crate::ui::live;
use crate::ui::session::PartnerSession;
use crate::ui::view::{Choice, Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/portal/deals/{id}", show)
        .get("/portal/deals/{id}/live", stamp)
        .post("/portal/deals/{id}", update)
        .post("/portal/deals/{id}/withdraw", withdraw)
        .post("/portal/deals/{id}/dispute", dispute)
        .post("/portal/deals/{id}/extension", extension)
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/deal.html")]
struct DealPage {
    chrome: Chrome,
    dv: DealView,
    policy: PolicyVersion,
    trail: Vec<StepView>,
    stages: Vec<Choice>,
    /// The update form's fields: as stored, or as typed when it failed.
    form: FormData,
    /// The reason typed into the form that failed (withdraw, dispute, extension).
    reason: String,
    can_act: bool,
    can_extend: bool,
    errors: Errors,
    failed_form: &'static str,
    now_ms: i64,
    live_url: String,
    script: &'static str,
}

async fn page(
    s: &PartnerSession,
    id: DealRegistrationId,
    typed: FormData,
    errors: Errors,
    failed_form: &'static str,
) -> PageResult<DealPage> {
    let r = s.services.get_deal(&s.actor, id).await?;
    let policy = s
        .services
        .engagement_policy_version(&s.actor, r.policy_version)
        .await?;
    let trail = deal_view::trail(s.services.deal_trail(&s.actor, id).await?);
    let reason = typed.text("reason");
    let form = if failed_form == "update" {
        typed
    } else {
        let amount = r.amount.format();
        FormData::from_pairs([
            ("stage", r.stage.as_str().to_owned()),
            ("next_step", r.next_step.clone()),
            (
                "amount",
                amount
                    .split_once(' ')
                    .map_or(amount.clone(), |(_, f)| f.to_owned()),
            ),
            ("expected_close", r.expected_close.clone()),
            ("description", r.description.clone()),
        ])
    };
    let stages = Choice::list(
        DealStage::ALL.iter().map(|v| (v.as_str(), v.label())),
        &form.text("stage"),
    );
    let can_extend = r.status == DealStatus::Approved
        && r.opportunity_id.is_none()
        && r.extension_request.is_none()
        && r.extensions < i64::from(policy.policy.max_extensions);
    let now = s.now();
    Ok(DealPage {
        chrome: s.chrome(format!("{} ({})", r.company_name, r.reference)),
        live_url: format!("/portal/deals/{id}/live"),
        can_act: s.can(Permission::DealsRegister),
        can_extend,
        dv: DealView::new(r, now, &policy.policy),
        policy,
        trail,
        stages,
        form,
        reason,
        errors,
        failed_form,
        now_ms: now.millis(),
        script: assets::live_url(),
    })
}

async fn show(s: PartnerSession, PageId(id): PageId<DealRegistrationId>) -> PageResult {
    Ok(page(&s, id, FormData::default(), Errors::none(), "")
        .await?
        .into_response())
}

async fn stamp(s: PartnerSession, PageId(id): PageId<DealRegistrationId>) -> PageResult {
    Ok(live::stamp(
        s.services.get_deal(&s.actor, id).await?.version,
    ))
}

/// After a form: back to the deal with a message, or the deal again with what went wrong
/// (the typed text kept in the form that failed).
async fn done<T>(
    s: &PartnerSession,
    id: DealRegistrationId,
    form_name: &'static str,
    form: FormData,
    outcome: trellis_service::Result<T>,
    message: &str,
) -> PageResult {
    match outcome {
        Ok(_) => Ok(s.redirect(&format!("/portal/deals/{id}"), &Flash::success(message))),
        Err(e) => {
            let e = match e {
                Error::Validation(fe) => Error::Validation(renamed(&fe)),
                other => other,
            };
            let (status, errors) = failed(e)?;
            let page = page(s, id, form, errors, form_name).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn update(
    s: PartnerSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    // The amount is read in the registration's currency (another partner's id is a 404
    // here, before anything is read from the form).
    let current = s.services.get_deal(&s.actor, id).await?;
    let mut e = FieldErrors::new();
    let amount_minor = match form.opt("amount") {
        None => None,
        Some(text) => match parse_amount(&text, current.amount.currency) {
            Ok(minor) => Some(minor),
            Err(err) => {
                e.add("amount", err.to_string());
                None
            }
        },
    };
    let outcome = if let Err(fe) = e.into_result() {
        Err(Error::Validation(fe))
    } else {
        let update = DealUpdate {
            version: form.version(),
            stage: form.opt("stage").and_then(|v| v.parse().ok()),
            next_step: Some(form.text("next_step")),
            description: Some(form.text("description")),
            amount_minor,
            expected_close: form.opt("expected_close"),
        };
        s.services.update_deal(&s.actor, id, &update).await
    };
    done(&s, id, "update", form, outcome, "Saved your changes.").await
}

/// The three requests a partner makes with a reason.
#[derive(Clone, Copy)]
enum Ask {
    Withdraw,
    Dispute,
    Extension,
}

async fn ask(s: &PartnerSession, id: DealRegistrationId, form: FormData, ask: Ask) -> PageResult {
    let (version, reason) = (form.version(), form.text("reason"));
    let (name, outcome, message) = match ask {
        Ask::Withdraw => (
            "withdraw",
            s.services
                .withdraw_deal(&s.actor, id, version, &reason)
                .await,
            "Withdrew the registration; the customer is no longer protected for you.",
        ),
        Ask::Dispute => (
            "dispute",
            s.services
                .dispute_deal(&s.actor, id, version, &reason)
                .await,
            "Sent your dispute to the channel manager; you will see the answer here.",
        ),
        Ask::Extension => (
            "extension",
            s.services
                .request_extension(&s.actor, id, version, &reason)
                .await,
            "Asked for an extension; you will see the answer here.",
        ),
    };
    done(s, id, name, form, outcome, message).await
}

async fn withdraw(
    s: PartnerSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    ask(&s, id, form, Ask::Withdraw).await
}

async fn dispute(
    s: PartnerSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    ask(&s, id, form, Ask::Dispute).await
}

async fn extension(
    s: PartnerSession,
    PageId(id): PageId<DealRegistrationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    ask(&s, id, form, Ask::Extension).await
}
