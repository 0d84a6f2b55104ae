//! The command line: clap definitions and the dispatch to one module per command. The modules
//! own the work; nothing here touches the database.

pub(crate) mod admin;
pub(crate) mod attribute;
pub(crate) mod bench;
pub(crate) mod config;
pub(crate) mod demo;
pub(crate) mod healthcheck;
pub(crate) mod import;
pub(crate) mod matching;
pub(crate) mod migrate;
pub(crate) mod psi;
pub(crate) mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Overrides};

/// Trellis: partner ecosystem management in one binary.
///
/// Configuration comes from built-in defaults, then an optional TOML file (--config or
/// TRELLIS_CONFIG), then TRELLIS_SECTION__KEY environment variables (TRELLIS_WEB__BIND,
/// TRELLIS_STORE__URL, ...; add _FILE to read a secret from a file), then the command's flags
/// (--bind, --database-url, --data-dir). `trellis config example` prints every setting with
/// its default.
#[derive(Debug, Parser)]
#[command(
    name = "trellis",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// TOML configuration file; the file must exist. Also TRELLIS_CONFIG.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives; overrides `store.url` and `store.data_dir`.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB [default: SQLite in the
    /// data directory]
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Directory of the embedded SQLite database [default: ./trellis-data]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the web server (API, console, portal) and the job workers in one process.
    Serve(ServeArgs),
    /// Run the job workers only (e-mail, webhooks), for scale-out next to `serve`.
    Worker(WorkerArgs),
    /// Apply pending database migrations, then exit.
    Migrate(StoreArgs),
    /// Ask a running server whether it is healthy: exit 0 if it is, 1 if not.
    Healthcheck(healthcheck::Args),
    /// Operator commands that work on the database directly.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Create a realistic demo ecosystem if the database has none, then serve it.
    Demo(DemoArgs),
    /// Import a CRM export (accounts, contacts or opportunities) from a CSV file; nothing is
    /// imported if a row is bad, unless --partial.
    Import(import::ImportArgs),
    /// Match two CRM exports of companies: writes our_id,their_id,score,reason.
    Match(matching::MatchArgs),
    /// Multi-touch attribution of a journeys file (ChannelAttribution's path format): each
    /// channel's attributed conversions and value, as a table, CSV or JSON. Values split to
    /// the cent, so the channels' values add up exactly to the file's.
    Attribute(attribute::AttributeArgs),
    /// Private account mapping with a partner (PSI): over HTTPS against its `trellis psi
    /// serve`, or through files for a partner offline. Neither side sees the other's other
    /// accounts.
    ///
    /// Over the network: the server's operator runs `trellis psi invite` and gives the token to
    /// the partner, and runs `trellis psi serve --accounts OURS.csv`; the partner runs `trellis
    /// psi connect URL --accounts THEIRS.csv --token TOKEN`, and later `--connection ID`.
    ///
    /// Through files: (1) A runs `trellis psi request --accounts A.csv` and gives request.tpsi to
    /// B; (2) B runs `trellis psi respond request.tpsi --accounts B.csv` and gives
    /// response.tpsi back; (3) A runs `trellis psi finish response.tpsi`, which prints A's
    /// result and, if A shares something with B, writes reply.tpsi for B; (4) B runs `trellis
    /// psi finish reply.tpsi`. Each side keeps a secret state file in between (0600).
    ///
    /// Each side chooses what the other may learn: --share-counts (populations whose overlap
    /// counts it learns) and --share-records (fields of our overlapping accounts it sees).
    /// docs/psi.md describes the protocol and what each side learns.
    Psi {
        #[command(subcommand)]
        command: psi::PsiCommand,
    },
    /// End-to-end benchmarks; each prints one JSON line of figures.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// `trellis serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Do not apply pending migrations at start-up (run `trellis migrate` separately).
    #[arg(long)]
    pub no_migrate: bool,
}

/// `trellis worker`.
#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Do not apply pending migrations at start-up.
    #[arg(long)]
    pub no_migrate: bool,
}

/// `trellis demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Password of every demo login (at least 12 characters).
    #[arg(long, value_name = "PW", default_value = crate::demo::DEFAULT_PASSWORD)]
    pub demo_password: String,
    /// Instead of serving, write the demo's two sides of account mapping as CSV files into
    /// DIR (the vendor's Salesforce accounts export and three partners' own CRM exports), to
    /// try `trellis psi` on; then exit.
    #[arg(long, value_name = "DIR")]
    pub mapping_files: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an active user with a password; prints the new user's id.
    CreateUser(admin::CreateUserArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print a commented trellis.toml with every setting at its default.
    Example,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Load-test the JSON API of an in-process server on a fresh, demo-seeded database.
    Api(bench::ApiArgs),
    /// Deal registration at CRM scale: the conflict check in process, then registrations
    /// through the API.
    Deals(bench::DealsArgs),
    /// Faceted partner-directory search over a fresh database with many generated partners.
    Directory(bench::DirectoryArgs),
    /// CSV import: a generated Salesforce account export into a fresh database, then again.
    Import(bench::ImportArgs),
    /// Company matching: precision, recall, F1 and time on labelled data (Trellis's own
    /// generated benchmark, or the peers' data with --peer-data).
    Match(bench::MatchArgs),
    /// Private set intersection (both modes, cold and refresh) on openmined-psi's data, with
    /// the group-operation bound measured on this machine.
    Psi(bench::PsiArgs),
    /// `trellis attribute` on generated journeys (the peers' data, or many partners): each
    /// model and order as a whole process, wall time and peak RSS.
    Attribution(bench::AttributionArgs),
    /// Ecosystem metrics over N opportunities and 10·N touchpoints: the facts' refresh, the
    /// program dashboard and the console page, cold and warm.
    Metrics(bench::MetricsArgs),
}

impl Command {
    /// The flags that override configuration keys.
    pub(crate) fn overrides(&self) -> Overrides {
        let store = |s: &StoreArgs| Overrides {
            database_url: s.database_url.clone(),
            data_dir: s.data_dir.clone(),
            ..Overrides::default()
        };
        match self {
            Command::Serve(a) => Overrides {
                bind: a.bind,
                ..store(&a.store)
            },
            Command::Demo(a) => Overrides {
                bind: a.bind,
                ..store(&a.store)
            },
            Command::Worker(WorkerArgs { store: s, .. })
            | Command::Migrate(s)
            | Command::Import(import::ImportArgs { store: s, .. })
            | Command::Admin {
                command: AdminCommand::CreateUser(admin::CreateUserArgs { store: s, .. }),
            } => store(s),
            Command::Healthcheck(_)
            | Command::Config { .. }
            | Command::Match(_)
            | Command::Attribute(_)
            | Command::Psi { .. }
            | Command::Bench { .. } => Overrides::default(),
        }
    }
}

/// Runs a command with the loaded configuration.
pub(crate) async fn dispatch(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve(a) => serve::run(&a, config).await,
        Command::Worker(a) => serve::run_worker(&a, config).await,
        Command::Migrate(_) => migrate::run(&config).await,
        Command::Healthcheck(a) => healthcheck::run(&a, &config).await,
        Command::Admin {
            command: AdminCommand::CreateUser(a),
        } => admin::create_user(&a, &config).await,
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            config::example();
            Ok(())
        }
        Command::Demo(a) => Box::pin(demo::run(&a, config)).await,
        Command::Import(a) => import::run(&a, &config).await,
        Command::Match(a) => matching::run(&a),
        Command::Attribute(a) => attribute::run(&a),
        Command::Psi { command } => psi::run(command).await,
        Command::Bench {
            command: BenchCommand::Api(a),
        } => Box::pin(bench::run_api(&a, config)).await,
        Command::Bench {
            command: BenchCommand::Deals(a),
        } => Box::pin(bench::run_deals(&a, config)).await,
        Command::Bench {
            command: BenchCommand::Directory(a),
        } => Box::pin(bench::run_directory(&a, config)).await,
        Command::Bench {
            command: BenchCommand::Import(a),
        } => bench::run_import(&a, config).await,
        Command::Bench {
            command: BenchCommand::Match(a),
        } => bench::run_match(&a),
        Command::Bench {
            command: BenchCommand::Psi(a),
        } => bench::run_psi(&a),
        Command::Bench {
            command: BenchCommand::Attribution(a),
        } => bench::run_attribution(&a),
        Command::Bench {
            command: BenchCommand::Metrics(a),
        } => Box::pin(bench::run_metrics(&a, config)).await,
    }
}
