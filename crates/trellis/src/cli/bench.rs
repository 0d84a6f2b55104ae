//! `trellis bench …`: end-to-end benchmarks that print one JSON line of figures. They measure;
//! they never fail because a figure is poor (errors are counted and reported instead).

use std::path::PathBuf;

use crate::config::Config;

/// `trellis bench api`.
#[derive(Debug, clap::Args)]
pub(crate) struct ApiArgs {
    /// Requests per scenario (list, then create).
    #[arg(long, value_name = "N", default_value_t = 20_000,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: u64,
    /// Concurrent clients, each with its own keep-alive connection.
    #[arg(long, value_name = "C", default_value_t = 32,
        value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub concurrency: u64,
    /// Benchmark on this database instead of a fresh SQLite database in a temporary directory.
    /// It should be empty: the benchmark seeds the demo and signs in as its admin.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Runs the API benchmark.
pub(crate) async fn run_api(args: &ApiArgs, config: Config) -> anyhow::Result<()> {
    Box::pin(crate::bench::api(args, config)).await
}

/// `trellis bench directory`.
#[derive(Debug, clap::Args)]
pub(crate) struct DirectoryArgs {
    /// Generated partners, beside the demo's.
    #[arg(long, value_name = "N", default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub partners: u64,
    /// How many times each of the eight kinds of search is sent.
    #[arg(long, value_name = "R", default_value_t = 250,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub rounds: u64,
}

/// Runs the directory benchmark.
pub(crate) async fn run_directory(args: &DirectoryArgs, config: Config) -> anyhow::Result<()> {
    Box::pin(crate::bench::directory::run(args, config)).await
}

/// `trellis bench match`.
#[derive(Debug, clap::Args)]
pub(crate) struct MatchArgs {
    /// Companies on each side.
    #[arg(long, value_name = "N", default_value_t = 100_000,
        value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub n: u64,
    /// Seed of the generated, labelled data.
    #[arg(long, default_value_t = 20_261_124)]
    pub seed: u64,
    /// Match the data ../shared/peers/er_peers.py writes (er_a_N.csv, er_b_N.csv and
    /// er_truth_N.csv in this directory) instead of Trellis's own labelled benchmark.
    #[arg(long, value_name = "DIR")]
    pub peer_data: Option<std::path::PathBuf>,
}

/// Runs the matching benchmark.
pub(crate) fn run_match(args: &MatchArgs) -> anyhow::Result<()> {
    crate::bench::matching::run(args)
}

/// `trellis bench import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// Accounts in the generated Salesforce export.
    #[arg(long, value_name = "N", default_value_t = 1_000_000,
        value_parser = clap::value_parser!(u64).range(1..=20_000_000))]
    pub rows: u64,
    /// Import into this (empty) database instead of a fresh SQLite database in a temporary
    /// directory.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Runs the import benchmark.
pub(crate) async fn run_import(args: &ImportArgs, config: Config) -> anyhow::Result<()> {
    Box::pin(crate::bench::import::run(args, config)).await
}

/// `trellis bench deals`.
#[derive(Debug, clap::Args)]
pub(crate) struct DealsArgs {
    /// Accounts, open opportunities and active registrations each.
    #[arg(long, value_name = "N", default_value_t = 100_000,
        value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
    pub n: u64,
    /// Conflict checks measured in process.
    #[arg(long, value_name = "K", default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub checks: u64,
    /// Registrations sent through the API.
    #[arg(long, value_name = "R", default_value_t = 20_000,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: u64,
    /// Concurrent partner clients.
    #[arg(long, value_name = "C", default_value_t = 32,
        value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub concurrency: u64,
    /// Seed of the generated companies.
    #[arg(long, default_value_t = 20_261_124)]
    pub seed: u64,
    /// Benchmark on this (empty) database instead of a fresh SQLite database in a temporary
    /// directory.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Runs the deal-registration benchmark.
pub(crate) async fn run_deals(args: &DealsArgs, config: Config) -> anyhow::Result<()> {
    Box::pin(crate::bench::deals::run(args, config)).await
}

/// `trellis bench metrics`.
#[derive(Debug, clap::Args)]
pub(crate) struct MetricsArgs {
    /// Opportunities (over two years; a quarter of them won).
    #[arg(long, value_name = "N", default_value_t = 1_000_000,
        value_parser = clap::value_parser!(u64).range(1..=20_000_000))]
    pub opportunities: u64,
    /// Touchpoints [default: ten per opportunity].
    #[arg(long, value_name = "T",
        value_parser = clap::value_parser!(u64).range(0..=200_000_000))]
    pub touchpoints: Option<u64>,
    /// Partners.
    #[arg(long, value_name = "P", default_value_t = 1_000,
        value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub partners: u64,
    /// Seed of the generated deals.
    #[arg(long, default_value_t = 20_261_125)]
    pub seed: u64,
    /// Benchmark on this (empty) database instead of a fresh SQLite database in a temporary
    /// directory.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Runs the metrics benchmark.
pub(crate) async fn run_metrics(args: &MetricsArgs, config: Config) -> anyhow::Result<()> {
    Box::pin(crate::bench::metrics::run(args, config)).await
}

/// `trellis bench attribution`.
#[derive(Debug, clap::Args)]
pub(crate) struct AttributionArgs {
    /// Journeys to generate (the peers' generator; N total journeys, not distinct paths).
    #[arg(long, value_name = "N", default_value_t = 1_000_000,
        value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub journeys: u64,
    /// Channels: 12 is the peers' set (the same file ChannelAttribution reads); any other
    /// number is that many partners with a long-tailed mix.
    #[arg(long, value_name = "N", default_value_t = 12,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(2..=100_000))]
    pub channels: usize,
    /// Runs per model; the median wall time is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100))]
    pub reps: usize,
    /// Where the journeys file is written (and reused if there) [default: the temp dir].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Only these models (by prefix: first, markov o1, markov, shapley, ...).
    #[arg(long = "model", value_name = "MODEL")]
    pub models: Vec<String>,
}

/// Runs the attribution benchmark.
pub(crate) fn run_attribution(args: &AttributionArgs) -> anyhow::Result<()> {
    crate::bench::attribution::run(args)
}

/// `trellis bench psi`.
#[derive(Debug, clap::Args)]
pub(crate) struct PsiArgs {
    /// Companies on each side (the data of ../shared/peers/psi_openmined.py's make_sets).
    #[arg(long, value_name = "N", default_value_t = 100_000,
        value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub n: u64,
    /// Share of each side's companies that the other side has too.
    #[arg(long, default_value_t = 0.2)]
    pub overlap: f64,
    /// Seed of the generated sets (make_sets's default).
    #[arg(long, default_value_t = 20_240_601)]
    pub seed: u64,
    /// Elements per protocol message.
    #[arg(long, value_name = "K", default_value_t = 65_536,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub chunk_size: u64,
    /// Percent of each side's companies replaced by new ones before the refresh.
    #[arg(long, default_value_t = 1.0)]
    pub refresh_percent: f64,
    /// Which modes to run: both, record or counts (one mode per process gives each its own
    /// peak RSS).
    #[arg(long, default_value = "both", value_parser = ["both", "record", "counts"])]
    pub mode: String,
    /// Operations per core when timing the group operations for the bound.
    #[arg(long, default_value_t = 20_000)]
    pub op_samples: u64,
}

/// Runs the PSI benchmark.
pub(crate) fn run_psi(args: &PsiArgs) -> anyhow::Result<()> {
    crate::bench::psi::run(args)
}
