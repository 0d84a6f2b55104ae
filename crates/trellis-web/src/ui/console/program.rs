//! Program setup (vendor admins): the lifecycle figures, program settings, tiers and
//! agreements. The Ideal Partner Profile editor lives in [`super::ipp`].

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::partners::metrics::{Metric, format_value};
use trellis_domain::partners::tiers::{Requirement, TierPolicy};
use trellis_domain::{FieldErrors, PartnerType};
use trellis_service::partners::agreements::{AgreementInput, AgreementSummary};
use trellis_service::partners::figures::ProgramFigures;
use trellis_service::partners::settings::{ProgramSettings, VersionedSettings};
use trellis_service::partners::tiers::{Tier, TierInput};

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, failed, metric_figure};
use super::super::session::VendorSession;
use super::super::view::{Choice, Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/program", show)
        .post("/console/program/settings", save_settings)
        .post("/console/program/tiers", save_tier)
        .post("/console/program/tiers/{key}/delete", delete_tier)
        .post("/console/program/agreements", publish)
        .post("/console/program/evaluate", evaluate_all)
}

/// A tier with its requirements written out for the page.
struct TierRow {
    tier: Tier,
    requirements: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/program.html")]
struct ProgramPage {
    chrome: Chrome,
    figures: ProgramFigures,
    settings: VersionedSettings,
    tiers: Vec<TierRow>,
    metrics: Vec<Choice>,
    agreements: Vec<AgreementSummary>,
    scopes: Vec<Choice>,
    errors: Errors,
}

impl ProgramPage {
    fn days(v: Option<&f64>) -> String {
        v.map_or_else(|| "—".into(), |d| format!("{d:.1} days"))
    }
}

async fn page(s: &VendorSession, errors: Errors) -> PageResult<ProgramPage> {
    let svc = &s.services;
    let settings = svc.get_program_settings(&s.actor).await?;
    let currency = settings.settings.reporting_currency.clone();
    let tiers = svc
        .list_tiers(&s.actor)
        .await?
        .into_iter()
        .map(|t| TierRow {
            requirements: t
                .def
                .requirements
                .iter()
                .map(|r| {
                    format!(
                        "{} ≥ {}",
                        r.metric.label(),
                        format_value(r.metric, r.at_least, &currency)
                    )
                })
                .collect(),
            tier: t,
        })
        .collect();
    let mut scopes = vec![Choice {
        value: "all".into(),
        label: "All partner types".into(),
        selected: true,
    }];
    scopes.extend(PartnerType::ALL.iter().map(|t| Choice {
        value: t.as_str().into(),
        label: t.label().into(),
        selected: false,
    }));
    Ok(ProgramPage {
        chrome: s.chrome("Program"),
        figures: svc.program_figures(&s.actor).await?,
        tiers,
        metrics: Metric::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: format!("{} ({})", m.label(), m.window()),
                selected: false,
            })
            .collect(),
        agreements: svc.list_agreements(&s.actor).await?,
        scopes,
        settings,
        errors,
    })
}

async fn show(s: VendorSession) -> PageResult {
    s.actor.require(trellis_domain::Permission::ProgramManage)?;
    Ok(page(&s, Errors::none()).await?.into_response())
}

async fn back(
    s: &VendorSession,
    outcome: trellis_service::Result<String>,
    anchor: &str,
) -> PageResult {
    match outcome {
        Ok(msg) => Ok(s.redirect(&format!("/console/program#{anchor}"), &Flash::success(msg))),
        Err(e) => {
            let (status, errors) = failed(e)?;
            Ok((status, page(s, errors).await?).into_response())
        }
    }
}

fn number<T: std::str::FromStr>(form: &FormData, name: &str, e: &mut FieldErrors) -> Option<T> {
    let raw = form.text(name);
    raw.trim().parse().ok().or_else(|| {
        e.add(name, "must be a whole number");
        None
    })
}

async fn save_settings(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let mut e = FieldErrors::new();
    let hysteresis: Option<u8> = number(&form, "hysteresis_percent", &mut e);
    let grace: Option<u16> = number(&form, "grace_days", &mut e);
    let reminders: Option<u16> = number(&form, "reminder_interval_days", &mut e);
    let policy = match (hysteresis, grace) {
        (Some(hysteresis), Some(grace)) => match TierPolicy::new(hysteresis, grace) {
            Ok(p) => Some(p),
            Err(errors) => {
                for f in errors.iter() {
                    e.add(f.field.clone(), f.message.clone());
                }
                None
            }
        },
        _ => None,
    };
    let outcome = match (policy, reminders, e.is_empty()) {
        (Some(tier_policy), Some(reminder_interval_days), true) => s
            .services
            .update_program_settings(
                &s.actor,
                form.version(),
                ProgramSettings {
                    tier_policy,
                    reporting_currency: form.text("reporting_currency").trim().to_uppercase(),
                    applications_open: form.opt("applications_open").is_some(),
                    locator_enabled: form.opt("locator_enabled").is_some(),
                    reminder_interval_days,
                },
            )
            .await
            .map(|_| "Saved the program settings.".to_owned()),
        _ => Err(e.into()),
    };
    back(&s, outcome, "settings").await
}

/// Requirements from the form's rows `metric_N` / `at_least_N` (blank rows skipped).
fn requirements(form: &FormData, e: &mut FieldErrors) -> Vec<Requirement> {
    let mut out = Vec::new();
    for i in 0..6 {
        let metric = form.text(&format!("metric_{i}"));
        let at_least = form.text(&format!("at_least_{i}"));
        if metric.trim().is_empty() || at_least.trim().is_empty() {
            continue;
        }
        let Some(metric) = e.check(
            &format!("requirements[{i}].metric"),
            metric.parse::<Metric>(),
        ) else {
            continue;
        };
        match metric_figure(&at_least, metric) {
            Some(at_least) => out.push(Requirement { metric, at_least }),
            None => e.add(format!("requirements[{i}].at_least"), "must be a number"),
        }
    }
    out
}

async fn save_tier(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let mut e = FieldErrors::new();
    let rank: Option<u32> = number(&form, "rank", &mut e);
    let reqs = requirements(&form, &mut e);
    let input = TierInput {
        key: form.text("key"),
        name: form.text("name"),
        rank: rank.unwrap_or(0),
        description: form.text("description"),
        requirements: reqs,
        benefits: form
            .text("benefits")
            .lines()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let outcome = if !e.is_empty() {
        Err(e.into())
    } else if form.version() > 0 {
        s.services
            .update_tier(&s.actor, &input.key, form.version(), &input)
            .await
            .map(|t| format!("Saved the tier {}.", t.def.name))
    } else {
        s.services
            .create_tier(&s.actor, &input)
            .await
            .map(|t| format!("Added the tier {}.", t.def.name))
    };
    back(&s, outcome, "tiers").await
}

async fn delete_tier(
    s: VendorSession,
    axum::extract::Path(key): axum::extract::Path<String>,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    let outcome = s
        .services
        .delete_tier(&s.actor, &key)
        .await
        .map(|()| format!("Removed the tier {key}."));
    back(&s, outcome, "tiers").await
}

async fn publish(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let input = AgreementInput {
        title: form.text("title"),
        body: form.text("body"),
        changes: form.text("changes"),
    };
    let scope = form.text("scope");
    let current = s
        .services
        .list_agreements(&s.actor)
        .await?
        .into_iter()
        .find(|a| a.agreement.scope == scope)
        .map_or(0, |a| a.agreement.version);
    let outcome = s
        .services
        .publish_agreement(&s.actor, &scope, current, &input)
        .await
        .map(|a| format!("Published version {} of {}.", a.version, a.title));
    back(&s, outcome, "agreements").await
}

async fn evaluate_all(s: VendorSession, CsrfForm(_form): CsrfForm) -> PageResult {
    let outcome = s.services.queue_tier_evaluation(&s.actor).await.map(|()| {
        "Every partner's tier is being evaluated; decisions appear on their pages.".to_owned()
    });
    back(&s, outcome, "tiers").await
}
