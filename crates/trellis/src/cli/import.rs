//! `trellis import KIND FILE.csv`: a CRM export into the local database, through the service
//! layer as `Actor::System`. Every row is checked before anything is written; a bad row is
//! reported with its line, column and reason and, unless `--partial`, nothing is imported.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use trellis_domain::crm::DateOrder;
use trellis_service::Actor;
use trellis_service::crm::import::{
    Import, ImportKind, ImportOptions, ImportProgress, ImportStatus, Phase,
};

use super::StoreArgs;
use super::admin::service_error;
use crate::config::Config;

/// What the file holds.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Kind {
    /// Companies (Salesforce accounts, HubSpot companies).
    Accounts,
    /// People at companies.
    Contacts,
    /// Opportunities (Salesforce) or deals (HubSpot).
    Opportunities,
}

/// The day-month order of numeric dates.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Order {
    /// 2026-11-23
    Ymd,
    /// 11/23/2026
    Mdy,
    /// 23/11/2026, 23.11.2026
    Dmy,
}

/// `trellis import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The CSV export.
    pub file: PathBuf,
    /// The system the records come from (salesforce, hubspot, …) [default: guessed from the
    /// headers, else csv]. Records are keyed by it and their id there.
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Which column holds which field, overriding the detection: "name=Firma,website=Web".
    /// [default: the mapping saved for this kind and source, if any]
    #[arg(long, value_name = "MAPPING")]
    pub columns: Option<String>,
    /// Save --columns for later imports of this kind from this source.
    #[arg(long, requires = "columns")]
    pub save_mapping: bool,
    /// Import the good rows even if some are bad (by default nothing is imported then).
    #[arg(long)]
    pub partial: bool,
    /// The order of day and month in numeric dates, when the file's dates do not tell.
    #[arg(long, value_enum)]
    pub date_order: Option<Order>,
    /// Write every row error and warning to this CSV file (line,column,severity,message).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Runs `trellis import`.
#[allow(clippy::print_stderr)] // the command's report
pub(crate) async fn run(args: &ImportArgs, config: &Config) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let kind = match args.kind {
        Kind::Accounts => ImportKind::Accounts,
        Kind::Contacts => ImportKind::Contacts,
        Kind::Opportunities => ImportKind::Opportunities,
    };
    let options = ImportOptions {
        file_name: args
            .file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        source_system: args.source.clone(),
        mapping: args.columns.clone(),
        save_mapping: args.save_mapping,
        partial: args.partial,
        date_order: args.date_order.map(|o| match o {
            Order::Ymd => DateOrder::Ymd,
            Order::Mdy => DateOrder::Mdy,
            Order::Dmy => DateOrder::Dmy,
        }),
    };
    // Like `serve`, bring the schema up to date first: an import may be the first command run.
    let db = super::serve::open(config, true).await?;
    let services = super::serve::services(db.clone(), config);
    let started = Instant::now();
    let progress = Progress::new();
    let import = services
        .import_csv(&Actor::System, kind, &bytes, &options, &|p| {
            progress.show(p);
        })
        .await;
    progress.finish();
    db.close().await;
    let import = import.map_err(service_error)?;
    if let Some(path) = &args.report {
        write_report(path, &import)?;
    }
    summarise(&import, started.elapsed());
    if import.status == ImportStatus::Failed {
        bail!(
            "nothing was imported: {} problem{} (fix them, or pass --partial to import the good rows)",
            import.report.errors_total,
            if import.report.errors_total == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    Ok(())
}

#[allow(clippy::print_stderr)]
fn summarise(import: &Import, elapsed: Duration) {
    let r = &import.report;
    eprintln!(
        "read {} ({}, delimiter {}) as {} from {}{}",
        import.file_name,
        r.encoding,
        r.delimiter,
        import.kind,
        import.source_system,
        r.date_order
            .as_ref()
            .map_or_else(String::new, |o| format!(", dates {o}")),
    );
    for issue in r.errors.iter().take(50) {
        eprintln!("error: {}", describe(issue));
    }
    if r.errors_total > 50 {
        eprintln!(
            "… and {} more errors (all of them with --report FILE)",
            r.errors_total - 50
        );
    }
    for issue in r.warnings.iter().take(20) {
        eprintln!("warning: {}", describe(issue));
    }
    if r.warnings_total > 20 {
        eprintln!("… and {} more warnings", r.warnings_total - 20);
    }
    if import.status != ImportStatus::Failed {
        eprintln!(
            "{} created, {} updated, {} unchanged, {} rejected in {:.1} s",
            import.created,
            import.updated,
            import.unchanged,
            import.rejected,
            elapsed.as_secs_f64()
        );
    }
}

fn describe(issue: &trellis_service::crm::import::Issue) -> String {
    match (issue.line, issue.column.as_str()) {
        (0, "") => issue.message.clone(),
        (0, c) => format!("column \"{c}\": {}", issue.message),
        (l, "") => format!("line {l}: {}", issue.message),
        (l, c) => format!("line {l}, column \"{c}\": {}", issue.message),
    }
}

fn write_report(path: &std::path::Path, import: &Import) -> anyhow::Result<()> {
    std::fs::write(path, import.report.to_csv())
        .with_context(|| format!("writing {}", path.display()))
}

/// A progress bar on a terminal; otherwise a plain line per phase and every tenth of it.
struct Progress {
    bar: Option<ProgressBar>,
    last: Mutex<(Option<Phase>, u64)>,
}

impl Progress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} rows ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            last: Mutex::new((None, 0)),
        }
    }

    #[allow(clippy::print_stderr)]
    fn show(&self, p: ImportProgress) {
        if let Some(bar) = &self.bar {
            bar.set_message(p.phase.as_str());
            bar.set_length(p.total);
            bar.set_position(p.done);
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let tenth = (p.done * 10).checked_div(p.total).unwrap_or(0);
        if last.0 != Some(p.phase) || tenth > last.1 {
            *last = (Some(p.phase), tenth);
            if p.phase != Phase::Done {
                eprintln!("{}: {}/{} rows", p.phase.as_str(), p.done, p.total);
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
