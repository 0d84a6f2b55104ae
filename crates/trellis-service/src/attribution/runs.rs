//! Model runs: a model with its parameters over a data cut, recorded with the journeys it
//! read and what it credited, so a past report reads as it was, replays on the same data with
//! other parameters, and compares with another run.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trellis_attribution::rules::RuleModel;
use trellis_attribution::{Details, Model, shapley};
use trellis_domain::{
    Currency, FieldErrors, ModelRunId, Money, OrgId, Permission, Timestamp, UserId,
};
use trellis_store::attribution::runs::{self as store, RunRow};
use trellis_store::attribution::touchpoints as touch_store;

use super::journeys::{self, Cut, CutSummary, StoredJourneys};
use crate::outbox::Change;
use crate::platform::PageRequest;
use crate::{Actor, Error, Page, Result, Services};

/// A model and its parameters, as a run records them. Parameters of other models are absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    /// `first`, `last`, `linear`, `time-decay`, `u`, `w`, `markov` or `shapley`.
    pub model: String,
    /// Markov: the chain's order, 1 to 3 (4 for small data) [default 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<usize>,
    /// Time-decay: a touch this many days older counts half as much [default 30].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_days: Option<f64>,
    /// U: first and last shares [default 0.4, 0.4]; W: first, middle (the sourced touch) and
    /// last [default 0.3 each].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// Shapley: journeys with more distinct partners than this are sampled [default 12].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_max: Option<usize>,
    /// Shapley: random orders per sampled set [default 2000].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permutations: Option<usize>,
    /// Shapley: the seed of the random orders [default 0].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// What to run: a model over the opportunities closed in a date range.
#[derive(Clone, Debug, Default)]
pub struct RunInput {
    /// The model and its parameters.
    pub params: ModelParams,
    /// First close date, `YYYY-MM-DD` [default: a year before `to`].
    pub from: String,
    /// Last close date, `YYYY-MM-DD` [default: today].
    pub to: String,
    /// Days before the close within which touches on the account count [default 365].
    pub lookback_days: Option<u32>,
}

/// What a run credited one channel with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelFigure {
    /// The partner's name, or the channel's.
    pub channel: String,
    /// The partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<OrgId>,
    /// Attributed conversions (won deals, in fractions).
    pub conversions: f64,
    /// Sampled Shapley values: how far the conversions may be from the exact split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions_error: Option<f64>,
    /// Attributed revenue: the parts sum exactly to the revenue attributed.
    pub value: Money,
}

/// A recorded run.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRun {
    /// Id.
    pub id: ModelRunId,
    /// The model and its parameters.
    pub params: ModelParams,
    /// The data it read.
    pub cut: Cut,
    /// What that data held.
    pub summary: CutSummary,
    /// The run it replays on the same journeys, if any.
    pub replay_of: Option<ModelRunId>,
    /// Per channel, largest value first.
    pub channels: Vec<ChannelFigure>,
    /// What the model found on the way (Markov: removal effects and the conversion
    /// probability; Shapley: sets solved and sampled).
    pub details: Value,
    /// Who ran it.
    pub created_by: Option<UserId>,
    /// Their name.
    pub created_by_name: String,
    /// When.
    pub created_at: Timestamp,
}

/// Two runs side by side.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The first run.
    pub a: ModelRun,
    /// The second run.
    pub b: ModelRun,
    /// Every channel of either, largest change first.
    pub rows: Vec<ComparisonRow>,
}

/// One channel in both runs.
#[derive(Clone, Debug, Serialize)]
pub struct ComparisonRow {
    /// The channel.
    pub channel: String,
    /// Its value in the first run (zero when absent).
    pub a: Money,
    /// In the second.
    pub b: Money,
    /// `b − a`, when both are in one currency.
    pub change: Money,
    /// Attributed conversions in each.
    pub a_conversions: f64,
    /// In the second.
    pub b_conversions: f64,
}

/// What the run's `cut` column holds.
#[derive(Serialize, Deserialize)]
struct StoredCut {
    #[serde(flatten)]
    cut: Cut,
    summary: CutSummary,
    replay_of: Option<ModelRunId>,
}

/// What the run's `result` column holds.
#[derive(Serialize, Deserialize)]
struct StoredResult {
    channels: Vec<ChannelFigure>,
    details: Value,
}

/// The default look-back for account touches.
const LOOKBACK_DEFAULT: u32 = 365;
/// The longest look-back.
const LOOKBACK_MAX: u32 = 3 * 365;

impl Services {
    /// Runs a model over the opportunities closed in a date range and records the run.
    pub async fn run_model(&self, actor: &Actor, input: &RunInput) -> Result<ModelRun> {
        manage_access(actor)?;
        let mut e = FieldErrors::new();
        let model = model_of(&input.params, &mut e);
        let currency = self.reporting_currency().await?;
        let cut = cut_of(input, &currency, self.now(), &mut e);
        e.into_result()?;
        let (Some(model), Some(cut)) = (model, cut) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "checked input without a value"
            )));
        };
        let rates = self.rate_table(&cut.currency).await?;
        let (stored, summary) = {
            let mut c = self.db().read().await?;
            let rows = touch_store::journey_touches(&mut c.exec(), &cut.from, &cut.to).await?;
            let totals = touch_store::closed_totals(&mut c.exec(), &cut.from, &cut.to).await?;
            journeys::build(&cut, &rows, &totals, &rates)
        };
        self.record_run(actor, model, cut, summary, stored, None)
            .await
    }

    /// Runs a model, with its own parameters, on exactly the journeys another run read.
    pub async fn replay_run(
        &self,
        actor: &Actor,
        id: ModelRunId,
        params: &ModelParams,
    ) -> Result<ModelRun> {
        manage_access(actor)?;
        let mut e = FieldErrors::new();
        let model = model_of(params, &mut e);
        e.into_result()?;
        let model = model.ok_or_else(|| Error::Internal(anyhow::anyhow!("unchecked model")))?;
        let row = {
            let mut c = self.db().read().await?;
            store::find(&mut c.exec(), id.as_uuid())
                .await?
                .ok_or(Error::NotFound)?
        };
        let cut: StoredCut = stored("cut", &row.cut)?;
        let journeys: StoredJourneys = stored("journeys", &row.journeys)?;
        self.record_run(actor, model, cut.cut, cut.summary, journeys, Some(id))
            .await
    }

    /// One run.
    pub async fn model_run(&self, actor: &Actor, id: ModelRunId) -> Result<ModelRun> {
        read_access(actor)?;
        let mut c = self.db().read().await?;
        let row = store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        run_of(row)
    }

    /// Runs, latest first.
    pub async fn model_runs(&self, actor: &Actor, page: &PageRequest) -> Result<Page<ModelRun>> {
        read_access(actor)?;
        let (after, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        let page = store::list(&mut c.exec(), after.as_ref(), limit).await?;
        let next = page.next;
        let items = page.items.into_iter().map(run_of).collect::<Result<_>>()?;
        Ok(Page { items, next })
    }

    /// Two runs side by side, channel by channel; `b` is required (a missing one is named
    /// as the `with` field, once the reader's access is checked).
    pub async fn compare_runs(
        &self,
        actor: &Actor,
        a: ModelRunId,
        b: Option<ModelRunId>,
    ) -> Result<Comparison> {
        let a = self.model_run(actor, a).await?;
        let b = b.ok_or_else(|| Error::field("with", "name the run to compare with"))?;
        let b = self.model_run(actor, b).await?;
        Ok(Comparison {
            rows: compare(&a, &b),
            a,
            b,
        })
    }

    async fn record_run(
        &self,
        actor: &Actor,
        model: Model,
        cut: Cut,
        summary: CutSummary,
        journeys: StoredJourneys,
        replay_of: Option<ModelRunId>,
    ) -> Result<ModelRun> {
        let currency = Currency::parse(&cut.currency)
            .map_err(|_| Error::Internal(anyhow::anyhow!("stored currency {:?}", cut.currency)))?;
        // The models are CPU work (Markov solves, Shapley sums): off the async threads.
        let (outcome, journeys) = tokio::task::spawn_blocking(move || {
            let outcome = if journeys.journeys.is_empty() {
                None
            } else {
                Some(model.run(&journeys.to_model()))
            };
            (outcome, journeys)
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("model run: {e}")))?;
        let outcome = outcome
            .transpose()
            .map_err(|e| Error::field("model", e.to_string()))?;
        let (channels, details) = match &outcome {
            None => (Vec::new(), json!({})),
            Some(o) => (
                figures(&journeys, o, currency),
                details_json(&o.details, &journeys),
            ),
        };
        let params = normalised(&model);
        let now = self.now();
        let row = RunRow {
            id: ModelRunId::new().as_uuid(),
            model: model.name().to_owned(),
            params: to_json(&params)?,
            cut: to_json(&StoredCut {
                cut,
                summary,
                replay_of,
            })?,
            journeys: to_json(&journeys)?,
            result: to_json(&StoredResult { channels, details })?,
            created_by: actor.user().map(|u| u.user_id.as_uuid()),
            created_by_name: None,
            created_at: now.millis(),
        };
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row).await?;
        let run = run_of(
            store::find(&mut tx.exec(), row.id)
                .await?
                .ok_or(Error::NotFound)?,
        )?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "attribution.run",
                object_type: "model_run",
                object_id: run.id.to_string(),
                org_id: None,
                summary: format!(
                    "{} model run on deals closed {} to {} ({} journeys)",
                    run.params.model,
                    run.cut.from,
                    run.cut.to,
                    journeys.journeys.len()
                ),
                before: None,
                after: Some(
                    json!({ "params": run.params, "cut": run.cut, "summary": run.summary }),
                ),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(run)
    }
}

fn read_access(actor: &Actor) -> Result<()> {
    super::vendor_with(actor, Permission::AttributionRead)
}

fn manage_access(actor: &Actor) -> Result<()> {
    super::vendor_with(actor, Permission::AttributionManage)
}

/// The model the parameters name; a parameter of another model is refused rather than
/// ignored, so that what is recorded is what ran.
fn model_of(p: &ModelParams, e: &mut FieldErrors) -> Option<Model> {
    let name = p.model.trim();
    let mut only = |given: bool, field: &str, models: &[&str]| {
        if given && !models.contains(&name) {
            e.add(
                field,
                format!("applies to the {} model only", models.join(" and ")),
            );
        }
    };
    only(p.order.is_some(), "order", &["markov"]);
    only(
        p.half_life_days.is_some(),
        "half_life_days",
        &["time-decay"],
    );
    only(p.weights.is_some(), "weights", &["u", "w"]);
    only(p.exact_max.is_some(), "exact_max", &["shapley"]);
    only(p.permutations.is_some(), "permutations", &["shapley"]);
    only(p.seed.is_some(), "seed", &["shapley"]);
    let weights = p.weights.as_deref();
    let model = match name {
        "first" => Model::Rule(RuleModel::First),
        "last" => Model::Rule(RuleModel::Last),
        "linear" => Model::Rule(RuleModel::Linear),
        "time-decay" => Model::Rule(RuleModel::TimeDecay {
            half_life: p.half_life_days.unwrap_or(30.0),
        }),
        "u" => match weights {
            None => Model::Rule(RuleModel::U_DEFAULT),
            Some(&[first, last]) => Model::Rule(RuleModel::U { first, last }),
            Some(_) => {
                e.add("weights", "u takes two weights: first, last");
                return None;
            }
        },
        "w" => match weights {
            None => Model::Rule(RuleModel::W_DEFAULT),
            Some(&[first, middle, last]) => Model::Rule(RuleModel::W {
                first,
                middle,
                last,
            }),
            Some(_) => {
                e.add("weights", "w takes three weights: first, middle, last");
                return None;
            }
        },
        "markov" => Model::Markov {
            order: p.order.unwrap_or(1),
        },
        "shapley" => {
            let d = shapley::Options::default();
            Model::Shapley(shapley::Options {
                exact_max: p.exact_max.unwrap_or(d.exact_max),
                permutations: p.permutations.unwrap_or(d.permutations),
                seed: p.seed.unwrap_or(d.seed),
                confidence: d.confidence,
            })
        }
        _ => {
            e.add(
                "model",
                "one of first, last, linear, time-decay, u, w, markov, shapley",
            );
            return None;
        }
    };
    if let Err(err) = model.validate() {
        let field = match model {
            Model::Rule(RuleModel::TimeDecay { .. }) => "half_life_days",
            Model::Rule(_) => "weights",
            Model::Markov { .. } => "order",
            Model::Shapley(_) => "model",
        };
        e.add(field, err.to_string());
        return None;
    }
    Some(model)
}

/// The parameters as they ran: every parameter of the model, defaults filled in.
fn normalised(model: &Model) -> ModelParams {
    let base = ModelParams {
        model: model.name().to_owned(),
        ..ModelParams::default()
    };
    match *model {
        Model::Rule(RuleModel::TimeDecay { half_life }) => ModelParams {
            half_life_days: Some(half_life),
            ..base
        },
        Model::Rule(RuleModel::U { first, last }) => ModelParams {
            weights: Some(vec![first, last]),
            ..base
        },
        Model::Rule(RuleModel::W {
            first,
            middle,
            last,
        }) => ModelParams {
            weights: Some(vec![first, middle, last]),
            ..base
        },
        Model::Markov { order } => ModelParams {
            order: Some(order),
            ..base
        },
        Model::Shapley(o) => ModelParams {
            exact_max: Some(o.exact_max),
            permutations: Some(o.permutations),
            seed: Some(o.seed),
            ..base
        },
        Model::Rule(_) => base,
    }
}

/// The cut the input asks for; blank dates mean the year up to today.
fn cut_of(input: &RunInput, currency: &str, now: Timestamp, e: &mut FieldErrors) -> Option<Cut> {
    let date = |field: &str, text: &str, default: String, e: &mut FieldErrors| {
        let text = text.trim();
        if text.is_empty() {
            return Some(default);
        }
        if Timestamp::from_date(text).is_none() {
            e.add(field, "a date, YYYY-MM-DD");
            return None;
        }
        Some(text.to_owned())
    };
    let to = date("to", &input.to, now.date(), e)?;
    let year_before = Timestamp::from_date(&to)
        .map(|t| t.minus(std::time::Duration::from_hours(364 * 24)).date())
        .unwrap_or_default();
    let from = date("from", &input.from, year_before, e)?;
    if from > to {
        e.add("from", "is after the last close date");
        return None;
    }
    let lookback_days = input.lookback_days.unwrap_or(LOOKBACK_DEFAULT);
    if lookback_days > LOOKBACK_MAX {
        e.add("lookback_days", "at most 1,095 days (three years)");
        return None;
    }
    Some(Cut {
        from,
        to,
        currency: currency.to_owned(),
        lookback_days,
    })
}

fn figures(
    journeys: &StoredJourneys,
    outcome: &trellis_attribution::Outcome,
    currency: Currency,
) -> Vec<ChannelFigure> {
    let error = outcome.details.error();
    let mut out: Vec<ChannelFigure> = outcome
        .attribution
        .rows()
        .enumerate()
        .map(|(i, (channel, conversions, value))| ChannelFigure {
            channel: channel.to_owned(),
            partner_id: journeys
                .channels
                .get(i)
                .and_then(|c| c.partner_id)
                .map(OrgId::from_uuid),
            conversions,
            conversions_error: error.map(|e| e[i]),
            value: Money::new(value, currency),
        })
        .collect();
    out.sort_by(|a, b| {
        b.value
            .amount_minor
            .cmp(&a.value.amount_minor)
            .then(b.conversions.total_cmp(&a.conversions))
            .then_with(|| a.channel.cmp(&b.channel))
    });
    out
}

fn details_json(d: &Details, journeys: &StoredJourneys) -> Value {
    let by_channel = |v: &[f64]| -> Value {
        journeys
            .channels
            .iter()
            .zip(v)
            .map(|(c, x)| (c.name.clone(), json!(x)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    match d {
        Details::Rule => json!({}),
        Details::Markov {
            removal_effects,
            value_removal_effects,
            conversion_probability,
            states,
        } => json!({
            "states": states,
            "conversion_probability": conversion_probability,
            "removal_effects": by_channel(removal_effects),
            "value_removal_effects": by_channel(value_removal_effects),
        }),
        Details::Shapley { sets, sampled, .. } => json!({ "sets": sets, "sampled_sets": sampled }),
    }
}

fn compare(a: &ModelRun, b: &ModelRun) -> Vec<ComparisonRow> {
    let mut names: Vec<&str> = a.channels.iter().map(|c| c.channel.as_str()).collect();
    for c in &b.channels {
        if !names.contains(&c.channel.as_str()) {
            names.push(&c.channel);
        }
    }
    let find = |run: &ModelRun, name: &str| {
        let cur = Currency::parse(&run.cut.currency).ok();
        run.channels
            .iter()
            .find(|c| c.channel == name)
            .map_or((cur.map(|c| Money::new(0, c)), 0.0), |c| {
                (Some(c.value), c.conversions)
            })
    };
    let mut rows: Vec<ComparisonRow> = names
        .into_iter()
        .filter_map(|name| {
            let (Some(av), ac) = find(a, name) else {
                return None;
            };
            let (Some(bv), bc) = find(b, name) else {
                return None;
            };
            let change = if av.currency == bv.currency {
                bv.amount_minor - av.amount_minor
            } else {
                0
            };
            Some(ComparisonRow {
                channel: name.to_owned(),
                a: av,
                b: bv,
                change: Money::new(change, bv.currency),
                a_conversions: ac,
                b_conversions: bc,
            })
        })
        .collect();
    rows.sort_by(|x, y| {
        y.change
            .amount_minor
            .abs()
            .cmp(&x.change.amount_minor.abs())
            .then_with(|| x.channel.cmp(&y.channel))
    });
    rows
}

fn run_of(r: RunRow) -> Result<ModelRun> {
    let cut: StoredCut = stored("cut", &r.cut)?;
    let result: StoredResult = stored("result", &r.result)?;
    Ok(ModelRun {
        id: ModelRunId::from_uuid(r.id),
        params: stored("params", &r.params)?,
        cut: cut.cut,
        summary: cut.summary,
        replay_of: cut.replay_of,
        channels: result.channels,
        details: result.details,
        created_by: r.created_by.map(UserId::from_uuid),
        created_by_name: r.created_by_name.unwrap_or_default(),
        created_at: Timestamp::from_millis(r.created_at),
    })
}

fn stored<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored model run {what}: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.into()))
}
