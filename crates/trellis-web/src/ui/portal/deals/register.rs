//! Registering a deal. The form checks for conflicts while the partner types
//! (`assets/deal-check.js` posts to [`check`]); without script a "Check for conflicts" button
//! does the same through the form. A partner learns only whether the customer may conflict,
//! never with whom.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use trellis_domain::deals::DealStage;
use trellis_domain::money::parse_amount;
use trellis_domain::{Currency, FieldErrors, Permission};
use trellis_service::Error;
use trellis_service::deals::{CheckOutcome, CompanyProbe, ConflictCheck, RegistrationInput};
use trellis_service::platform::idempotency::{Idempotent, SavedResponse};

use super::renamed;
use crate::ui::assets;
use crate::ui::book::RouteBook;
use crate::ui::csrf::CsrfForm;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, failed};
use crate::ui::session::PartnerSession;
use crate::ui::view::{Choice, Chrome, currency_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/portal/deals/new", new)
        .post("/portal/deals", create)
        .post("/portal/deals/check", check)
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/deal_new.html")]
struct RegisterPage {
    chrome: Chrome,
    form: FormData,
    currencies: Vec<Choice>,
    stages: Vec<Choice>,
    /// The outcome of a check asked for without script.
    checked: Option<ConflictCheck>,
    errors: Errors,
    protection_days: u16,
    sla_hours: u16,
    /// This form's one-time token: a second submission of it (a double click, a reload after
    /// a slow answer) leads to the registration the first one made instead of a duplicate.
    submission: String,
    script: &'static str,
}

impl RegisterPage {
    fn kind(&self) -> &'static str {
        self.checked
            .as_ref()
            .map_or("", |c| outcome_kind(c.outcome))
    }
}

fn outcome_kind(o: CheckOutcome) -> &'static str {
    match o {
        CheckOutcome::Clear => "clear",
        CheckOutcome::PossibleConflict => "possible_conflict",
        CheckOutcome::OwnDuplicate => "own_duplicate",
    }
}

async fn page(
    s: &PartnerSession,
    form: FormData,
    checked: Option<ConflictCheck>,
    errors: Errors,
) -> PageResult<RegisterPage> {
    s.actor.require(Permission::DealsRegister)?;
    let policy = s.services.engagement_policy(&s.actor).await?;
    let currencies = currency_choices(&form.text("currency"));
    let submission = form
        .opt("submission")
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let stage = Some(form.text("stage"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| DealStage::Discovery.as_str().into());
    Ok(RegisterPage {
        chrome: s.chrome("Register a deal"),
        stages: Choice::list(
            DealStage::ALL.iter().map(|v| (v.as_str(), v.label())),
            &stage,
        ),
        form,
        currencies,
        checked,
        errors,
        protection_days: policy.policy.protection_days,
        sla_hours: policy.policy.approval_sla_hours,
        submission,
        script: assets::deal_check_url(),
    })
}

async fn new(s: PartnerSession) -> PageResult {
    Ok(page(&s, FormData::default(), None, Errors::none())
        .await?
        .into_response())
}

fn probe_of(form: &FormData) -> CompanyProbe {
    CompanyProbe {
        company_name: form.text("company_name"),
        website: form.text("website"),
        contact_email: form.text("contact_email"),
        country: form.text("country"),
    }
}

/// The registration as typed; an amount that does not read is a field error.
fn input_of(form: &FormData) -> Result<RegistrationInput, FieldErrors> {
    let mut e = FieldErrors::new();
    let currency = form.text("currency");
    let amount_minor = match Currency::parse(currency.trim()) {
        Ok(c) => match parse_amount(&form.text("amount"), c) {
            Ok(minor) => minor,
            Err(err) => {
                e.add("amount", err.to_string());
                0
            }
        },
        Err(err) => {
            e.add("currency", err.to_string());
            0
        }
    };
    e.into_result()?;
    Ok(RegistrationInput {
        company_name: form.text("company_name"),
        website: form.text("website"),
        country: form.text("country"),
        contact_name: form.text("contact_name"),
        contact_email: form.text("contact_email"),
        contact_phone: form.text("contact_phone"),
        product: form.text("product"),
        amount_minor,
        currency,
        expected_close: form.text("expected_close"),
        description: form.text("description"),
        stage: form.opt("stage").and_then(|s| s.parse().ok()),
        next_step: form.text("next_step"),
    })
}

async fn create(s: PartnerSession, CsrfForm(form): CsrfForm) -> PageResult {
    if form.text("intent") == "check" {
        return match s.services.check_deal(&s.actor, &probe_of(&form)).await {
            Ok(c) => Ok(page(&s, form, Some(c), Errors::none())
                .await?
                .into_response()),
            Err(e) => again(&s, form, e).await,
        };
    }
    let input = match input_of(&form) {
        Ok(i) => i,
        Err(fe) => return again(&s, form, Error::Validation(fe)).await,
    };
    // A form without its token (sent by a script of the partner's own) is simply registered.
    let key = form
        .opt("submission")
        .map(|t| format!("portal-deal:{}", t.trim()));
    let hash = body_hash(&form);
    let earlier = match once(&s, key.as_deref(), &hash).await {
        Ok(earlier) => earlier,
        Err(Error::Conflict(_)) => {
            // The token was used for other details (the form sent, then changed after going
            // back): this is a new registration, with a new token.
            let mut fresh = form;
            fresh.take("submission");
            let why = Error::Conflict(
                "This form was already sent with other details. Check the details below and \
                 register again if this is another deal."
                    .into(),
            );
            return again(&s, fresh, why).await;
        }
        Err(e) => return Err(e.into()),
    };
    match earlier {
        Some(earlier) => Ok(s.redirect(
            &format!("/portal/deals/{earlier}"),
            &Flash::info("This form was already sent: here is the registration it made."),
        )),
        None => match s.services.register_deal(&s.actor, &input).await {
            Ok(r) => {
                let saved = SavedResponse {
                    status: 303,
                    body: r.id.to_string(),
                };
                if let Some(key) = &key {
                    s.services
                        .idempotency_finish(&s.actor, key, Some(&saved))
                        .await?;
                }
                let what = if r.status == trellis_domain::deals::DealStatus::Approved {
                    "It was approved at once under the rules of engagement."
                } else {
                    "The channel manager has been told; you will see the decision here."
                };
                Ok(s.redirect(
                    &format!("/portal/deals/{}", r.id),
                    &Flash::success(format!(
                        "Registered {} for {}. {what}",
                        r.reference, r.company_name
                    )),
                ))
            }
            Err(e) => {
                // The key is freed, so the corrected form can be sent again.
                if let Some(key) = &key {
                    s.services.idempotency_finish(&s.actor, key, None).await?;
                }
                again(&s, form, e).await
            }
        },
    }
}

/// The fields as sent, hashed: the same token with other fields is another request.
fn body_hash(form: &FormData) -> String {
    let mut fields: Vec<String> = FIELDS.iter().map(|f| form.text(f)).collect();
    fields.push(form.text("submission"));
    crate::api::extract::hex_sha256(fields.join("\u{1f}").as_bytes())
}

const FIELDS: [&str; 13] = [
    "company_name",
    "website",
    "country",
    "contact_name",
    "contact_email",
    "contact_phone",
    "product",
    "amount",
    "currency",
    "expected_close",
    "stage",
    "next_step",
    "description",
];

/// Reserves the form's token, or finds the registration an earlier submission of it made. A
/// submission still running (the first click of a double click) is waited for, up to a few
/// seconds.
async fn once(
    s: &PartnerSession,
    key: Option<&str>,
    hash: &str,
) -> trellis_service::Result<Option<String>> {
    let Some(key) = key else {
        return Ok(None);
    };
    for _ in 0..20 {
        match s.services.idempotency_begin(&s.actor, key, hash).await {
            Ok(Idempotent::Run) => return Ok(None),
            Ok(Idempotent::Replay(saved)) => return Ok(Some(saved.body)),
            // The service says so in words only; a token used with other details is the
            // other conflict, answered at once.
            Err(Error::Conflict(msg)) if msg.contains("still running") => {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::InvalidState(
        "the first submission of this form has not finished; open your deals in a moment",
    ))
}

/// The form again with what went wrong.
async fn again(s: &PartnerSession, form: FormData, e: Error) -> PageResult {
    let e = match e {
        Error::Validation(fe) => Error::Validation(renamed(&fe)),
        other => other,
    };
    let (status, errors) = failed(e)?;
    Ok((status, page(s, form, None, errors).await?).into_response())
}

#[derive(Serialize)]
struct CheckAnswer {
    outcome: &'static str,
    message: String,
}

/// The check as JSON, for the form's script.
async fn check(s: PartnerSession, CsrfForm(form): CsrfForm) -> PageResult {
    match s.services.check_deal(&s.actor, &probe_of(&form)).await {
        Ok(c) => Ok(Json(CheckAnswer {
            outcome: outcome_kind(c.outcome),
            message: c.message,
        })
        .into_response()),
        Err(Error::Validation(fe)) => {
            let message = fe
                .iter()
                .next()
                .map_or_else(String::new, |e| format!("{}: {}", e.field, e.message));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(CheckAnswer {
                    outcome: "error",
                    message,
                }),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
