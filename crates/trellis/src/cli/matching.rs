//! `trellis match OURS.csv THEIRS.csv`: which of their companies are ours, from two CRM
//! exports, without a database.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use rayon::prelude::*;
use trellis_csv::{Columns, Field, Table};
use trellis_match::{Company, Config, Index, Prepared, Scratch};

/// `trellis match`.
#[derive(Debug, clap::Args)]
pub(crate) struct MatchArgs {
    /// Our companies: a CSV export (Salesforce accounts, HubSpot companies, or columns named
    /// id, name, website/domain, email, country).
    pub ours: PathBuf,
    /// Their companies, in any of the same styles.
    pub theirs: PathBuf,
    /// Where to write `our_id,their_id,score,reason` ("-" for standard output).
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
    /// The least score (0 to 1) a pair needs to be written.
    #[arg(long, value_name = "S", default_value_t = Config::default().min_score,
        value_parser = parse_score)]
    pub min_score: f64,
    /// Write every pair at or above the score, not only the best of ours for each of theirs.
    #[arg(long)]
    pub all: bool,
    /// Column mapping for OURS when the labels are not recognised, e.g.
    /// "name=Firmenname,website=Webseite,country=Land,id=Nr".
    #[arg(long, value_name = "MAPPING")]
    pub ours_columns: Option<String>,
    /// Column mapping for THEIRS, as for --ours-columns.
    #[arg(long, value_name = "MAPPING")]
    pub theirs_columns: Option<String>,
}

fn parse_score(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 1"))
    }
}

/// The company fields, by the labels Salesforce, HubSpot and plain exports use.
const FIELDS: &[Field] = &[
    Field {
        key: "id",
        labels: &[
            "Account ID",
            "Account ID (18)",
            "Record ID",
            "Company ID",
            "External ID",
            "id",
        ],
        required: false,
    },
    Field {
        key: "name",
        labels: &[
            "Account Name",
            "Company name",
            "Company",
            "Organization",
            "Organisation",
            "name",
        ],
        required: true,
    },
    Field {
        key: "website",
        labels: &[
            "Website",
            "Company Domain Name",
            "Website URL",
            "Domain",
            "URL",
        ],
        required: false,
    },
    Field {
        key: "email",
        labels: &["Email", "Contact Email", "E-mail"],
        required: false,
    },
    Field {
        key: "country",
        labels: &[
            "Billing Country",
            "Country/Region",
            "Billing Country Code",
            "Shipping Country",
            "Country",
        ],
        required: false,
    },
];

/// One side's companies with the ids to report them by.
#[derive(Debug)]
pub(crate) struct Side {
    pub ids: Vec<String>,
    pub companies: Vec<Company>,
    /// Rows with neither a name nor a website: nothing to match on.
    pub skipped: usize,
}

/// Reads a company export.
pub(crate) fn read_side(path: &Path, mapping: Option<&str>) -> anyhow::Result<Side> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table = trellis_csv::read(&bytes).with_context(|| format!("{}", path.display()))?;
    companies(&table, mapping).with_context(|| format!("{}", path.display()))
}

fn companies(table: &Table, mapping: Option<&str>) -> anyhow::Result<Side> {
    let columns = Columns::detect(&table.headers, FIELDS, mapping)?;
    let cell = |row: &trellis_csv::Row, key: &str| {
        columns
            .get(key)
            .map(|c| row.cell(c))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut side = Side {
        ids: Vec::with_capacity(table.rows.len()),
        companies: Vec::with_capacity(table.rows.len()),
        skipped: 0,
    };
    for row in &table.rows {
        let company = Company {
            name: cell(row, "name").unwrap_or_default(),
            website: cell(row, "website"),
            email: cell(row, "email"),
            country: cell(row, "country"),
        };
        if company.name.is_empty() && company.website.is_none() && company.email.is_none() {
            side.skipped += 1;
            continue;
        }
        // Without an id column, a row is known by its line in the file.
        side.ids
            .push(cell(row, "id").unwrap_or_else(|| format!("line {}", row.line)));
        side.companies.push(company);
    }
    Ok(side)
}

/// A written pair: indexes into ours and theirs.
#[derive(Debug)]
pub(crate) struct Pair {
    pub ours: usize,
    pub theirs: usize,
    pub score: f64,
    pub reason: String,
}

/// Matches their companies against ours: the best of ours for each of theirs, or with `all`
/// every pair at or above the score.
pub(crate) fn pairs(ours: &[Company], theirs: &[Company], min_score: f64, all: bool) -> Vec<Pair> {
    let config = Config { min_score };
    let prepared: Vec<Prepared> = ours.par_iter().map(Prepared::new).collect();
    let mut index = Index::new(config);
    for (i, p) in prepared.into_iter().enumerate() {
        index.insert(i, p);
    }
    theirs
        .par_iter()
        .enumerate()
        .map_init(Scratch::default, |scratch, (j, company)| {
            let probe = Prepared::new(company);
            let found = if all {
                index.candidates(&probe, scratch)
            } else {
                index.best(&probe, scratch).into_iter().collect()
            };
            found
                .into_iter()
                .filter(|c| c.score >= min_score)
                .map(|c| Pair {
                    ours: *c.id,
                    theirs: j,
                    score: c.score,
                    reason: c.reason.to_string(),
                })
                .collect::<Vec<_>>()
        })
        .flatten()
        .collect()
}

/// Runs `trellis match`.
#[allow(clippy::print_stderr)] // the command's progress report
pub(crate) fn run(args: &MatchArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let ours = read_side(&args.ours, args.ours_columns.as_deref())?;
    let theirs = read_side(&args.theirs, args.theirs_columns.as_deref())?;
    eprintln!(
        "read {} of ours and {} of theirs in {:.2} s{}",
        ours.companies.len(),
        theirs.companies.len(),
        started.elapsed().as_secs_f64(),
        skipped_note(&ours, &theirs),
    );
    let matched = Instant::now();
    let found = pairs(&ours.companies, &theirs.companies, args.min_score, args.all);
    eprintln!(
        "{} pairs scoring at least {} in {:.2} s",
        found.len(),
        args.min_score,
        matched.elapsed().as_secs_f64()
    );
    write_pairs(&args.out, &ours.ids, &theirs.ids, &found)
}

fn skipped_note(ours: &Side, theirs: &Side) -> String {
    if ours.skipped + theirs.skipped == 0 {
        return String::new();
    }
    format!(
        " ({} and {} rows without a name, website or e-mail skipped)",
        ours.skipped, theirs.skipped
    )
}

fn write_pairs(
    out: &Path,
    ours: &[String],
    theirs: &[String],
    pairs: &[Pair],
) -> anyhow::Result<()> {
    let sink: Box<dyn std::io::Write> = if out == Path::new("-") {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(out)
                .with_context(|| format!("cannot write {}", out.display()))?,
        )
    };
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(sink));
    writer.write_record(["our_id", "their_id", "score", "reason"])?;
    for p in pairs {
        writer.write_record([
            trellis_csv::neutralise(&ours[p.ours]).as_ref(),
            trellis_csv::neutralise(&theirs[p.theirs]).as_ref(),
            &format!("{:.3}", p.score),
            trellis_csv::neutralise(&p.reason).as_ref(),
        ])?;
    }
    writer.flush()?;
    writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", out.display(), e.error()))?
        .flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(csv: &str) -> Side {
        companies(&trellis_csv::read(csv.as_bytes()).unwrap(), None).unwrap()
    }

    #[test]
    fn salesforce_and_hubspot_exports_match_each_other() {
        let ours = side(
            "Account ID,Account Name,Website,Billing Country\n\
             001A,\"Acme Logistics, Inc.\",https://www.acme-logistics.com,United States\n\
             001B,Globex GmbH,globex.de,Germany\n\
             001C,Initech,,US\n",
        );
        let theirs = side(
            "Record ID,Company name,Company Domain Name,Country/Region\n\
             h1,ACME LOGISTICS,acme-logistics.com,US\n\
             h2,Globex Corporation,,France\n\
             h3,Initech LLC,,United States\n\
             h4,,,\n",
        );
        assert_eq!(theirs.skipped, 1);
        let found = pairs(&ours.companies, &theirs.companies, 0.5, false);
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|p| (ours.ids[p.ours].as_str(), theirs.ids[p.theirs].as_str()))
            .collect();
        assert_eq!(got, [("001A", "h1"), ("001C", "h3")]);
        assert_eq!(
            found[0].reason,
            "same registrable domain acme-logistics.com + name equal + same country US"
        );
    }

    #[test]
    fn rows_without_an_id_are_known_by_their_line() {
        let s = side("name,country\nAcme,US\n\"Two\nLines\",DE\nGlobex,FR\n");
        assert_eq!(s.ids, ["line 2", "line 3", "line 5"]);
    }

    #[test]
    fn a_file_without_a_name_column_says_so() {
        let table = trellis_csv::read(b"Firma,Land\nAcme,DE\n").unwrap();
        let err = companies(&table, None).unwrap_err().to_string();
        assert!(
            err.starts_with("no column for name; expected a column named \"Account Name\""),
            "{err}"
        );
        assert!(companies(&table, Some("name=Firma,country=Land")).is_ok());
    }
}
