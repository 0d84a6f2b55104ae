//! `trellis attribute JOURNEYS.csv --model M`: multi-touch attribution of a journeys file in
//! ChannelAttribution's path format, without a database.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde::Serialize;
use trellis_attribution::markov;
use trellis_attribution::money::format_amount;
use trellis_attribution::rules::{self, RuleModel};
use trellis_attribution::{Attribution, Journeys};

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
    /// Markov: the chain's order, how many past channels a state remembers (1 to 4).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub order: usize,
    /// Time-decay: the half-life in touches (a touch one step earlier counts 2^(-1/H) as much).
    #[arg(long, value_name = "H", default_value_t = 1.0)]
    pub half_life: f64,
    /// Position weights: "first,last" for u [default: 0.4,0.4], "first,middle,last" for w
    /// [default: 0.3,0.3,0.3]; the rest is spread over the touches between.
    #[arg(long, value_name = "WEIGHTS")]
    pub weights: Option<String>,
    /// Decimals of the conversion values (2 for most currencies, 0 for yen).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=6))]
    pub decimals: u32,
    /// Output: an aligned table, CSV or JSON.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Where to write the result ("-" for standard output).
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Table,
    Csv,
    Json,
}

pub(crate) fn run(args: &AttributeArgs) -> anyhow::Result<()> {
    let model = if args.model == ModelArg::Markov {
        if args.weights.is_some() {
            bail!("--weights applies to the u and w models only");
        }
        if !markov::ORDERS.contains(&args.order) {
            bail!(
                "--order {} is not supported; the order is 1 to 4",
                args.order
            );
        }
        None
    } else {
        Some(rule_model(args)?)
    };
    let bytes = read_input(&args.journeys)?;
    let journeys = Journeys::read_paths(&bytes, args.decimals)
        .with_context(|| format!("reading {}", args.journeys.display()))?;
    let (result, parameters) = if let Some(model) = &model {
        (rules::attribute(&journeys, model)?, parameters(model))
    } else {
        let m = markov::attribute(&journeys, args.order)?;
        let parameters = serde_json::json!({
            "order": args.order,
            "states": m.states,
            "conversion_probability": m.conversion_probability,
            "removal_effects": m.removal_effects,
            "value_removal_effects": m.value_removal_effects,
        });
        (m.attribution, parameters)
    };
    let text = match args.format {
        Format::Table => table(&result, args.decimals),
        Format::Csv => csv_text(&result, args.decimals),
        Format::Json => json(args, parameters, &journeys, &result)?,
    };
    write_output(&args.out, text.as_bytes())
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
        (_, Some(_)) => bail!("--weights applies to the u and w models only"),
        (ModelArg::First, None) => RuleModel::First,
        (ModelArg::Last, None) => RuleModel::Last,
        (ModelArg::Linear, None) => RuleModel::Linear,
        (ModelArg::TimeDecay, None) => RuleModel::TimeDecay {
            half_life: args.half_life,
        },
        (ModelArg::Markov, None) => bail!("markov is not a rule model"),
    };
    model.validate()?;
    Ok(model)
}

fn read_input(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write_output(path: &PathBuf, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        std::io::stdout().write_all(bytes)?;
        return Ok(());
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Channels with their figures and share of the value, largest value first, and a total.
fn table(result: &Attribution, decimals: u32) -> String {
    let mut rows: Vec<(&str, f64, i64)> = result.rows().collect();
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.total_cmp(&a.1)).then(a.0.cmp(b.0)));
    let total_value: i64 = result.value.iter().sum();
    let total_conv: f64 = result.conversions.iter().sum();
    let width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut out = format!(
        "{:width$}  {:>12}  {:>16}  {:>6}\n",
        "channel", "conversions", "value", "share"
    );
    #[allow(clippy::cast_precision_loss, reason = "a share for display")]
    let share = |v: i64| {
        if total_value == 0 {
            0.0
        } else {
            100.0 * v as f64 / total_value as f64
        }
    };
    for (channel, conv, value) in &rows {
        let _ = writeln!(
            out,
            "{channel:width$}  {conv:>12.2}  {:>16}  {:>5.1}%",
            format_amount(*value, decimals),
            share(*value)
        );
    }
    let _ = writeln!(
        out,
        "{:width$}  {total_conv:>12.2}  {:>16}  {:>5.1}%",
        "total",
        format_amount(total_value, decimals),
        share(total_value)
    );
    out
}

fn csv_text(result: &Attribution, decimals: u32) -> String {
    let mut out = String::from("channel,conversions,value\n");
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for (channel, conv, value) in result.rows() {
        // A channel name comes from the input file: it must not run as a spreadsheet formula.
        let _ = w.write_record([
            trellis_csv::neutralise(channel).as_ref(),
            &format!("{conv:.6}"),
            &format_amount(value, decimals),
        ]);
    }
    out.push_str(&String::from_utf8_lossy(
        &w.into_inner().unwrap_or_default(),
    ));
    out
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
    value: i64,
    value_text: String,
}

/// A rule model's parameters, as the JSON report gives them.
fn parameters(model: &RuleModel) -> serde_json::Value {
    match *model {
        RuleModel::TimeDecay { half_life } => serde_json::json!({ "half_life": half_life }),
        RuleModel::U { first, last } => serde_json::json!({ "first": first, "last": last }),
        RuleModel::W {
            first,
            middle,
            last,
        } => serde_json::json!({ "first": first, "middle": middle, "last": last }),
        RuleModel::First | RuleModel::Last | RuleModel::Linear => serde_json::json!({}),
    }
}

fn json(
    args: &AttributeArgs,
    parameters: serde_json::Value,
    journeys: &Journeys,
    result: &Attribution,
) -> anyhow::Result<String> {
    let report = JsonReport {
        model: args.model,
        parameters,
        journeys: journeys.journeys().len(),
        conversions: journeys.conversions(),
        value: journeys.value(),
        value_text: format_amount(journeys.value(), args.decimals),
        channels: result
            .rows()
            .map(|(channel, conversions, value)| JsonChannel {
                channel,
                conversions,
                value,
                value_text: format_amount(value, args.decimals),
            })
            .collect(),
    };
    Ok(serde_json::to_string_pretty(&report)? + "\n")
}
