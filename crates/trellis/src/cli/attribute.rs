//! `trellis attribute JOURNEYS.csv --model M`: multi-touch attribution of a journeys file in
//! ChannelAttribution's path format, without a database.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde::Serialize;
use trellis_attribution::money::format_amount;
use trellis_attribution::rules::RuleModel;
use trellis_attribution::{Attribution, Details, Journeys, Model, Outcome};
use trellis_attribution::{markov, shapley};

/// `trellis attribute`.
#[derive(Debug, clap::Args)]
pub(crate) struct AttributeArgs {
    /// Journeys: CSV with `path` (channels joined by ">"), `total_conversions`, and optionally
    /// `total_conversion_value` and `total_null`; one row per journey or per distinct path
    /// ("-" for standard input).
    pub journeys: PathBuf,
    /// The attribution model.
    #[arg(long, value_enum)]
    pub model: ModelArg,
    /// Markov: the chain's order, how many past channels a state remembers (1 to 4)
    /// [default: 1].
    #[arg(long, value_name = "K")]
    pub order: Option<usize>,
    /// Time-decay: the half-life in touches (a touch one step earlier counts 2^(-1/H) as much)
    /// [default: 1].
    #[arg(long, value_name = "H")]
    pub half_life: Option<f64>,
    /// Position weights: "first,last" for u [default: 0.4,0.4], "first,middle,last" for w
    /// [default: 0.3,0.3,0.3]; the rest is spread over the touches between.
    #[arg(long, value_name = "WEIGHTS")]
    pub weights: Option<String>,
    /// Shapley: journeys with more distinct channels than this are sampled (0 to 20)
    /// [default: 12].
    #[arg(long, value_name = "N")]
    pub exact_max: Option<usize>,
    /// Shapley: random orders drawn per sampled channel set [default: 2000].
    #[arg(long, value_name = "N")]
    pub permutations: Option<usize>,
    /// Shapley: seeds the random orders, so a run can be replayed [default: 0].
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Decimals of the conversion values (2 for most currencies, 0 for yen).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=6))]
    pub decimals: u32,
    /// Output: an aligned table, CSV or JSON.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Where to write the result ("-" for standard output).
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
    /// For `trellis bench attribution`: print the peak RSS as JSON on standard error.
    #[arg(long, hide = true)]
    pub stats: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ModelArg {
    First,
    Last,
    Linear,
    TimeDecay,
    U,
    W,
    /// Removal effects of a Markov chain of `--order`, solved exactly.
    Markov,
    /// Shapley values in the conversion-rate game of each journey's channels.
    Shapley,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Table,
    Csv,
    Json,
}

pub(crate) fn run(args: &AttributeArgs) -> anyhow::Result<()> {
    let model = model_of(args)?;
    let journeys = read_journeys(&args.journeys, args.decimals)
        .with_context(|| format!("reading {}", args.journeys.display()))?;
    let outcome = model.run(&journeys)?;
    let (result, error) = (&outcome.attribution, outcome.details.error());
    let text = match args.format {
        Format::Table => table(result, error, args.decimals),
        Format::Csv => csv_text(result, error, args.decimals),
        Format::Json => json(args, &model, &journeys, &outcome)?,
    };
    write_output(&args.out, text.as_bytes())?;
    if args.stats {
        let peak = crate::bench::proc_status_mb("VmHWM:");
        eprintln!("{}", serde_json::json!({ "peak_rss_mb": peak }));
    }
    Ok(())
}

/// The model the flags ask for, checked before the journeys are read: a flag of another model
/// is refused rather than ignored.
fn model_of(args: &AttributeArgs) -> anyhow::Result<Model> {
    let only = |given: bool, flag: &str, models: &str| -> anyhow::Result<()> {
        if given {
            bail!("{flag} applies to the {models} only");
        }
        Ok(())
    };
    let markov = args.model == ModelArg::Markov;
    let shapley = args.model == ModelArg::Shapley;
    only(args.order.is_some() && !markov, "--order", "markov model")?;
    only(
        args.half_life.is_some() && args.model != ModelArg::TimeDecay,
        "--half-life",
        "time-decay model",
    )?;
    only(
        args.weights.is_some() && !matches!(args.model, ModelArg::U | ModelArg::W),
        "--weights",
        "u and w models",
    )?;
    for (given, flag) in [
        (args.exact_max.is_some(), "--exact-max"),
        (args.permutations.is_some(), "--permutations"),
        (args.seed.is_some(), "--seed"),
    ] {
        only(given && !shapley, flag, "shapley model")?;
    }
    let model = match args.model {
        ModelArg::Markov => {
            let order = args.order.unwrap_or(1);
            if !markov::ORDERS.contains(&order) {
                bail!("--order {order} is not supported; the order is 1 to 4");
            }
            Model::Markov { order }
        }
        ModelArg::Shapley => {
            let defaults = shapley::Options::default();
            Model::Shapley(shapley::Options {
                exact_max: args.exact_max.unwrap_or(defaults.exact_max),
                permutations: args.permutations.unwrap_or(defaults.permutations),
                seed: args.seed.unwrap_or(defaults.seed),
                confidence: defaults.confidence,
            })
        }
        _ => Model::Rule(rule_model(args)?),
    };
    model.validate()?;
    Ok(model)
}

fn rule_model(args: &AttributeArgs) -> anyhow::Result<RuleModel> {
    let weights = args
        .weights
        .as_deref()
        .map(|w| {
            w.split(',')
                .map(|x| {
                    x.trim()
                        .parse::<f64>()
                        .map_err(|_| anyhow::anyhow!("--weights: {x:?} is not a number"))
                })
                .collect::<anyhow::Result<Vec<f64>>>()
        })
        .transpose()?;
    let model = match (args.model, weights.as_deref()) {
        (ModelArg::U, None) => RuleModel::U_DEFAULT,
        (ModelArg::U, Some(&[first, last])) => RuleModel::U { first, last },
        (ModelArg::U, Some(w)) => bail!(
            "--weights for u takes two numbers (first,last), not {}",
            w.len()
        ),
        (ModelArg::W, None) => RuleModel::W_DEFAULT,
        (ModelArg::W, Some(&[first, middle, last])) => RuleModel::W {
            first,
            middle,
            last,
        },
        (ModelArg::W, Some(w)) => {
            bail!(
                "--weights for w takes three numbers (first,middle,last), not {}",
                w.len()
            )
        }
        (ModelArg::TimeDecay, _) => RuleModel::TimeDecay {
            half_life: args.half_life.unwrap_or(1.0),
        },
        (ModelArg::First, _) => RuleModel::First,
        (ModelArg::Last, _) => RuleModel::Last,
        (ModelArg::Linear, _) => RuleModel::Linear,
        (ModelArg::Markov | ModelArg::Shapley, _) => bail!("not a rule model"),
    };
    Ok(model)
}

fn read_journeys(path: &PathBuf, decimals: u32) -> anyhow::Result<Journeys> {
    if path.as_os_str() == "-" {
        return Ok(Journeys::read(std::io::stdin().lock(), decimals)?);
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Journeys::read(file, decimals)?)
}

fn write_output(path: &PathBuf, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        std::io::stdout().write_all(bytes)?;
        return Ok(());
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Channels with their figures and share of the value, largest value first, and a total;
/// with error bounds, a column of them beside the conversions.
fn table(result: &Attribution, error: Option<&[f64]>, decimals: u32) -> String {
    let mut rows: Vec<(usize, (&str, f64, i64))> = result.rows().enumerate().collect();
    rows.sort_by(|(_, a), (_, b)| b.2.cmp(&a.2).then(b.1.total_cmp(&a.1)).then(a.0.cmp(b.0)));
    let total_value: i64 = result.value.iter().sum();
    let total_conv: f64 = result.conversions.iter().sum();
    let width = rows
        .iter()
        .map(|(_, r)| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let bound = |i: Option<usize>| match (error, i) {
        (Some(e), Some(i)) => format!("  ±{:>9.2}", e[i]),
        (Some(_), None) => format!("  {:>10}", ""),
        (None, _) => String::new(),
    };
    let mut out = format!(
        "{:width$}  {:>12}{}  {:>16}  {:>6}\n",
        "channel",
        "conversions",
        if error.is_some() { "  ±  (bound)" } else { "" },
        "value",
        "share"
    );
    #[allow(clippy::cast_precision_loss, reason = "a share for display")]
    let share = |v: i64| {
        if total_value == 0 {
            0.0
        } else {
            100.0 * v as f64 / total_value as f64
        }
    };
    for (i, (channel, conv, value)) in &rows {
        let _ = writeln!(
            out,
            "{channel:width$}  {conv:>12.2}{}  {:>16}  {:>5.1}%",
            bound(Some(*i)),
            format_amount(*value, decimals),
            share(*value)
        );
    }
    let _ = writeln!(
        out,
        "{:width$}  {total_conv:>12.2}{}  {:>16}  {:>5.1}%",
        "total",
        bound(None),
        format_amount(total_value, decimals),
        share(total_value)
    );
    out
}

fn csv_text(result: &Attribution, error: Option<&[f64]>, decimals: u32) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["channel", "conversions", "value"];
    if error.is_some() {
        header.push("conversions_error");
    }
    let _ = w.write_record(&header);
    for (i, (channel, conv, value)) in result.rows().enumerate() {
        // A channel name comes from the input file: it must not run as a spreadsheet formula.
        let mut record = vec![
            trellis_csv::neutralise(channel).into_owned(),
            format!("{conv:.6}"),
            format_amount(value, decimals),
        ];
        if let Some(e) = error {
            record.push(format!("{:.6}", e[i]));
        }
        let _ = w.write_record(&record);
    }
    String::from_utf8_lossy(&w.into_inner().unwrap_or_default()).into_owned()
}

#[derive(Serialize)]
struct JsonReport<'a> {
    model: ModelArg,
    parameters: serde_json::Value,
    journeys: usize,
    conversions: u64,
    /// Minor units, and as text with the decimals.
    value: i64,
    value_text: String,
    channels: Vec<JsonChannel<'a>>,
}

#[derive(Serialize)]
struct JsonChannel<'a> {
    channel: &'a str,
    conversions: f64,
    /// Sampled Shapley values: how far the conversions may be from the exact split.
    #[serde(skip_serializing_if = "Option::is_none")]
    conversions_error: Option<f64>,
    value: i64,
    value_text: String,
}

/// The model's parameters and the figures it found, as the JSON report gives them.
fn parameters(model: &Model, details: &Details) -> serde_json::Value {
    let mut p = match *model {
        Model::Rule(RuleModel::TimeDecay { half_life }) => {
            serde_json::json!({ "half_life": half_life })
        }
        Model::Rule(RuleModel::U { first, last }) => {
            serde_json::json!({ "first": first, "last": last })
        }
        Model::Rule(RuleModel::W {
            first,
            middle,
            last,
        }) => serde_json::json!({ "first": first, "middle": middle, "last": last }),
        Model::Rule(RuleModel::First | RuleModel::Last | RuleModel::Linear) => {
            serde_json::json!({})
        }
        Model::Markov { order } => serde_json::json!({ "order": order }),
        Model::Shapley(o) => serde_json::json!({
            "exact_max": o.exact_max,
            "permutations": o.permutations,
            "seed": o.seed,
            "confidence": o.confidence,
        }),
    };
    let found = match details {
        Details::Rule => serde_json::json!({}),
        Details::Markov {
            removal_effects,
            value_removal_effects,
            conversion_probability,
            states,
        } => serde_json::json!({
            "states": states,
            "conversion_probability": conversion_probability,
            "removal_effects": removal_effects,
            "value_removal_effects": value_removal_effects,
        }),
        Details::Shapley { sets, sampled, .. } => {
            serde_json::json!({ "sets": sets, "sampled_sets": sampled })
        }
    };
    if let (Some(p), serde_json::Value::Object(found)) = (p.as_object_mut(), found) {
        p.extend(found);
    }
    p
}

fn json(
    args: &AttributeArgs,
    model: &Model,
    journeys: &Journeys,
    outcome: &Outcome,
) -> anyhow::Result<String> {
    let (result, error) = (&outcome.attribution, outcome.details.error());
    let report = JsonReport {
        model: args.model,
        parameters: parameters(model, &outcome.details),
        journeys: journeys.journeys().len(),
        conversions: journeys.conversions(),
        value: journeys.value(),
        value_text: format_amount(journeys.value(), args.decimals),
        channels: result
            .rows()
            .enumerate()
            .map(|(i, (channel, conversions, value))| JsonChannel {
                channel,
                conversions,
                conversions_error: error.map(|e| e[i]),
                value,
                value_text: format_amount(value, args.decimals),
            })
            .collect(),
    };
    Ok(serde_json::to_string_pretty(&report)? + "\n")
}
