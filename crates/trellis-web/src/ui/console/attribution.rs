//! Attribution in the console: run a model over the deals closed in a date range, read a run
//! (a bar chart of the revenue each partner or channel is credited with, and the same figures
//! in a table and as CSV), replay it on the same journeys with another model, and compare two
//! runs. Touchpoints are recorded on the opportunity's page.

use std::fmt::Write as _;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use trellis_domain::{FieldErrors, ModelRunId, Permission};
use trellis_service::Error;
use trellis_service::attribution::{
    Comparison, FxRate, FxRateInput, ModelParams, ModelRun, RunInput,
};
use trellis_service::platform::PageRequest;

use crate::ui::book::RouteBook;
use crate::ui::chart::BarChart;
use crate::ui::csrf::CsrfForm;
use crate::ui::download;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, PageId, Query, filter, rerender};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, Look as _, money_text};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/attribution", index)
        .post("/console/attribution/runs", run)
        .get("/console/attribution/runs/{id}", show)
        .get("/console/attribution/runs/{id}/csv", csv)
        .post("/console/attribution/runs/{id}/replay", replay)
        .get("/console/attribution/runs/{id}/compare", compare)
        .post("/console/attribution/rates", set_rate)
        .post("/console/attribution/rates/remove", remove_rate)
}

/// The models, as the form offers them.
const MODELS: [(&str, &str); 8] = [
    ("linear", "Linear: equal credit to every touch"),
    ("first", "First touch"),
    ("last", "Last touch"),
    ("time-decay", "Time-decay: recent touches count more"),
    ("u", "Position-based U: first and last touches"),
    ("w", "Position-based W: first, sourced and last touches"),
    ("markov", "Markov removal effect (data-driven)"),
    ("shapley", "Shapley value (data-driven)"),
];

/// A model's name for people.
fn model_label(model: &str) -> &'static str {
    match model {
        "first" => "First touch",
        "last" => "Last touch",
        "linear" => "Linear",
        "time-decay" => "Time-decay",
        "u" => "Position-based (U)",
        "w" => "Position-based (W)",
        "markov" => "Markov removal effect",
        "shapley" => "Shapley value",
        _ => "Model",
    }
}

/// The model with its parameters, in a line: "Markov removal effect, order 2".
pub(crate) fn describe(p: &ModelParams) -> String {
    let mut out = model_label(&p.model).to_owned();
    let shares = |w: &[f64]| {
        w.iter()
            .map(|x| format!("{:.0} %", x * 100.0))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    if let Some(o) = p.order {
        let _ = write!(out, ", order {o}");
    }
    if let Some(h) = p.half_life_days {
        let _ = write!(out, ", half-life {h} days");
    }
    if let Some(w) = &p.weights {
        let _ = write!(out, ", weights {}", shares(w));
    }
    if let (Some(e), Some(n), Some(seed)) = (p.exact_max, p.permutations, p.seed) {
        let _ = write!(
            out,
            ", exact up to {e} partners a deal, else {n} sampled orders (seed {seed})"
        );
    }
    out
}

/// The run form: the fields as typed.
struct RunForm {
    models: Vec<Choice>,
    order: String,
    half_life_days: String,
    weights: String,
    from: String,
    to: String,
    lookback_days: String,
    errors: Errors,
}

impl RunForm {
    fn of(form: &FormData, errors: Errors) -> Self {
        Self {
            models: Choice::list(MODELS.iter().copied(), &form.text("model")),
            order: form.text("order"),
            half_life_days: form.text("half_life_days"),
            weights: form.text("weights"),
            from: form.text("from"),
            to: form.text("to"),
            lookback_days: form.text("lookback_days"),
            errors,
        }
    }
}

/// The model's parameters from the form: only the chosen model's fields are read, so what is
/// typed for another model is left alone rather than refused.
fn params_of(form: &FormData, e: &mut FieldErrors) -> ModelParams {
    let model = form.text("model").trim().to_owned();
    let number = |name: &str, e: &mut FieldErrors| -> Option<f64> {
        let raw = form.text(name);
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        raw.parse::<f64>().ok().or_else(|| {
            e.add(name, "must be a number");
            None
        })
    };
    let mut p = ModelParams {
        model: model.clone(),
        ..ModelParams::default()
    };
    match model.as_str() {
        "markov" => p.order = form.whole_number("order", e),
        "time-decay" => p.half_life_days = number("half_life_days", e),
        "u" | "w" => {
            let raw = form.text("weights");
            if !raw.trim().is_empty() {
                let parsed: Result<Vec<f64>, _> = raw
                    .split([',', '/', ';'])
                    .map(|x| x.trim().trim_end_matches('%').trim().parse::<f64>())
                    .collect();
                match parsed {
                    // Percentages are read as shares: "40, 40" is 0.4 and 0.4.
                    Ok(w) if w.iter().any(|x| *x > 1.0) => {
                        p.weights = Some(w.iter().map(|x| x / 100.0).collect());
                    }
                    Ok(w) => p.weights = Some(w),
                    Err(_) => e.add("weights", "numbers separated by commas, such as 40, 40"),
                }
            }
        }
        _ => {}
    }
    p
}

#[derive(Template, WebTemplate)]
#[template(path = "console/attribution.html")]
struct IndexPage {
    chrome: Chrome,
    runs: Vec<RunRow>,
    next: Option<String>,
    form: Option<RunForm>,
    /// Exchange rates into the reporting currency.
    rates: Vec<FxRate>,
    reporting_currency: String,
    /// The rate form, with `attribution:write`.
    rate_form: Option<RateForm>,
}

/// The exchange-rate form as typed.
struct RateForm {
    currency: String,
    valid_from: String,
    rate: String,
    errors: Errors,
}

impl RateForm {
    fn of(form: &FormData, errors: Errors) -> Self {
        Self {
            currency: form.text("currency"),
            valid_from: form.text("valid_from"),
            rate: form.text("rate"),
            errors,
        }
    }
}

/// A run in the list.
struct RunRow {
    run: ModelRun,
    model: String,
    attributed: String,
}

impl RunRow {
    fn of(run: ModelRun) -> Self {
        Self {
            model: describe(&run.params),
            attributed: money_text(run.summary.attributed_amount_minor, &run.cut.currency),
            run,
        }
    }
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let form = FormData::from_pairs([("model", "linear".to_owned())]);
    Ok(IndexPage::load(&s, &q, &form, Errors::none())
        .await?
        .into_response())
}

impl IndexPage {
    async fn load(
        s: &VendorSession,
        q: &Query,
        form: &FormData,
        errors: Errors,
    ) -> PageResult<Self> {
        let page = PageRequest {
            cursor: q.opt("cursor"),
            limit: Some(25),
        };
        let runs = s.services.model_runs(&s.actor, &page).await?;
        let can_manage = s.can(Permission::AttributionManage);
        Ok(Self {
            rates: s.services.fx_rates(&s.actor).await?,
            reporting_currency: s.services.reporting_currency().await?,
            rate_form: can_manage.then(|| RateForm::of(&FormData::default(), Errors::none())),
            chrome: s.chrome("Attribution"),
            next: runs
                .next
                .map(|c| Query::link("/console/attribution", &[("cursor", &c.encode())])),
            runs: runs.items.into_iter().map(RunRow::of).collect(),
            form: can_manage.then(|| RunForm::of(form, errors)),
        })
    }
}

async fn set_rate(s: VendorSession, q: Query, CsrfForm(form): CsrfForm) -> PageResult {
    let input = FxRateInput {
        currency: form.text("currency"),
        valid_from: form.text("valid_from"),
        rate: form.text("rate"),
    };
    match s.services.set_fx_rate(&s.actor, &input).await {
        Ok(r) => Ok(s.redirect(
            "/console/attribution#rates",
            &Flash::success(format!(
                "1 {} = {} {} from {}.",
                r.currency, r.rate, r.quote, r.valid_from
            )),
        )),
        Err(e) => {
            let blank = FormData::from_pairs([("model", "linear".to_owned())]);
            let page = IndexPage::load(&s, &q, &blank, Errors::none()).await?;
            rerender(e, |errors| IndexPage {
                rate_form: Some(RateForm::of(&form, errors)),
                ..page
            })
        }
    }
}

async fn remove_rate(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let (currency, from) = (form.text("currency"), form.text("valid_from"));
    s.services
        .remove_fx_rate(&s.actor, &currency, &from)
        .await?;
    Ok(s.redirect(
        "/console/attribution#rates",
        &Flash::success(format!("The {currency} rate from {from} was removed.")),
    ))
}

async fn run(s: VendorSession, q: Query, CsrfForm(form): CsrfForm) -> PageResult {
    let mut e = FieldErrors::new();
    let params = params_of(&form, &mut e);
    let lookback_days = form.whole_number("lookback_days", &mut e);
    let result = if e.is_empty() {
        let input = RunInput {
            params,
            from: form.text("from"),
            to: form.text("to"),
            lookback_days,
        };
        s.services.run_model(&s.actor, &input).await
    } else {
        Err(Error::Validation(e))
    };
    match result {
        Ok(r) => Ok(s.redirect(
            &format!("/console/attribution/runs/{}", r.id),
            &Flash::success(format!(
                "{} run on {} deals.",
                model_label(&r.params.model),
                r.summary.touched_won + r.summary.touched_lost
            )),
        )),
        Err(e) => {
            let page = IndexPage::load(&s, &q, &form, Errors::none()).await?;
            rerender(e, |errors| IndexPage {
                form: Some(RunForm::of(&form, errors)),
                ..page
            })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/attribution_run.html")]
struct RunPage {
    chrome: Chrome,
    run: ModelRun,
    model: String,
    chart: BarChart,
    rows: Vec<FigureRow>,
    total: String,
    won: String,
    attributed: String,
    direct_won: u64,
    /// Markov: each channel's removal effect, as a percentage.
    effects: Vec<(String, String)>,
    conversion_probability: Option<String>,
    sampled: bool,
    others: Vec<Choice>,
    form: Option<RunForm>,
}

/// One channel's figures as the table shows them.
struct FigureRow {
    channel: String,
    partner_id: Option<trellis_domain::OrgId>,
    conversions: String,
    error: Option<String>,
    value: String,
    share: String,
}

impl RunPage {
    async fn load(
        s: &VendorSession,
        id: ModelRunId,
        form: &FormData,
        errors: Errors,
    ) -> PageResult<Self> {
        let run = s.services.model_run(&s.actor, id).await?;
        let currency = run.cut.currency.clone();
        let total: i64 = run.channels.iter().map(|c| c.value.amount_minor).sum();
        #[allow(clippy::cast_precision_loss, reason = "a share for display")]
        let share = |v: i64| {
            if total == 0 {
                "—".to_owned()
            } else {
                format!("{:.1} %", 100.0 * v as f64 / total as f64)
            }
        };
        let rows: Vec<FigureRow> = run
            .channels
            .iter()
            .map(|c| FigureRow {
                channel: c.channel.clone(),
                partner_id: c.partner_id,
                conversions: format!("{:.2}", c.conversions),
                error: c.conversions_error.map(|e| format!("± {e:.2}")),
                value: c.value.format(),
                share: share(c.value.amount_minor),
            })
            .collect();
        let items: Vec<(String, i64, String)> = run
            .channels
            .iter()
            .map(|c| (c.channel.clone(), c.value.amount_minor, c.value.format()))
            .collect();
        let effects = run.details["removal_effects"]
            .as_object()
            .map(|m| {
                let mut v: Vec<(String, f64)> = m
                    .iter()
                    .map(|(k, x)| (k.clone(), x.as_f64().unwrap_or(0.0)))
                    .collect();
                v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                v.into_iter()
                    .map(|(k, x)| (k, format!("{:.1} %", x * 100.0)))
                    .collect()
            })
            .unwrap_or_default();
        let conversion_probability = run.details["conversion_probability"]
            .as_f64()
            .map(|p| format!("{:.1} %", p * 100.0));
        let others = s
            .services
            .model_runs(
                &s.actor,
                &PageRequest {
                    cursor: None,
                    limit: Some(50),
                },
            )
            .await?
            .items
            .into_iter()
            .filter(|r| r.id != run.id)
            .map(|r| Choice {
                value: r.id.to_string(),
                label: format!("{} · {}", r.created_at.to_display(), describe(&r.params)),
                selected: false,
            })
            .collect();
        Ok(Self {
            chrome: s.chrome(format!("Attribution: {}", model_label(&run.params.model))),
            model: describe(&run.params),
            chart: BarChart::horizontal("Attributed revenue by partner and channel", &items),
            rows,
            total: money_text(total, &currency),
            won: money_text(run.summary.won_amount_minor, &currency),
            attributed: money_text(run.summary.attributed_amount_minor, &currency),
            direct_won: run.summary.won.saturating_sub(run.summary.touched_won),
            effects,
            conversion_probability,
            sampled: run.channels.iter().any(|c| c.conversions_error.is_some()),
            others,
            form: s
                .can(Permission::AttributionManage)
                .then(|| RunForm::of(form, errors)),
            run,
        })
    }
}

async fn show(s: VendorSession, PageId(id): PageId<ModelRunId>) -> PageResult {
    let form = FormData::from_pairs([("model", "markov".to_owned())]);
    Ok(RunPage::load(&s, id, &form, Errors::none())
        .await?
        .into_response())
}

async fn replay(
    s: VendorSession,
    PageId(id): PageId<ModelRunId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let mut e = FieldErrors::new();
    let params = params_of(&form, &mut e);
    let result = if e.is_empty() {
        s.services.replay_run(&s.actor, id, &params).await
    } else {
        Err(Error::Validation(e))
    };
    match result {
        Ok(r) => Ok(s.redirect(
            &format!("/console/attribution/runs/{}", r.id),
            &Flash::success(format!(
                "{} replayed on the same deals.",
                model_label(&r.params.model)
            )),
        )),
        Err(e) => {
            let page = RunPage::load(&s, id, &form, Errors::none()).await?;
            rerender(e, |errors| RunPage {
                form: Some(RunForm::of(&form, errors)),
                ..page
            })
        }
    }
}

/// The run's figures as CSV, one row per partner or channel.
async fn csv(s: VendorSession, PageId(id): PageId<ModelRunId>) -> PageResult<Response> {
    let run = s.services.model_run(&s.actor, id).await?;
    let header = [
        "channel",
        "partner_id",
        "attributed_conversions",
        "conversions_error",
        "attributed_value",
        "currency",
    ]
    .map(str::to_owned);
    let rows = run.channels.iter().map(|c| {
        [
            c.channel.clone(),
            c.partner_id.map(|p| p.to_string()).unwrap_or_default(),
            format!("{:.6}", c.conversions),
            c.conversions_error
                .map(|e| format!("{e:.6}"))
                .unwrap_or_default(),
            c.value.decimal(),
            c.value.currency.code().to_owned(),
        ]
    });
    let body = trellis_csv::write_neutralised(std::iter::once(header).chain(rows));
    Ok(download::csv(
        &format!(
            "attribution-{}-{}.csv",
            run.params.model,
            run.created_at.date()
        ),
        body,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "console/attribution_compare.html")]
struct ComparePage {
    chrome: Chrome,
    c: Comparison,
    a_model: String,
    b_model: String,
}

async fn compare(s: VendorSession, PageId(id): PageId<ModelRunId>, q: Query) -> PageResult {
    let with = filter::<ModelRunId>("with", &q.text("with"))?;
    let c = s.services.compare_runs(&s.actor, id, with).await?;
    Ok(ComparePage {
        chrome: s.chrome("Compare attribution runs"),
        a_model: describe(&c.a.params),
        b_model: describe(&c.b.params),
        c,
    }
    .into_response())
}
