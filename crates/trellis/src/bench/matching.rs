//! `trellis bench match`: company-matching quality and speed on labelled data.
//!
//! Without `--peer-data`, Trellis's own benchmark (`trellis_match::benchmark`): N companies
//! per side in fifteen countries with realistic variants and look-alikes; the timed part is
//! normalising, indexing and matching (generation is not timed). With `--peer-data DIR`, the
//! files ../shared/peers/er_peers.py writes: the timed part is the whole of what
//! `trellis match` does, from reading both CSV files to the pairs. Either way one JSON line
//! reports precision, recall, F1 and seconds.

use std::collections::HashSet;
use std::time::Instant;

use anyhow::Context as _;
use serde::Serialize;
use trellis_match::benchmark::{Quality, generate, quality};

use crate::cli::bench::MatchArgs;
use crate::cli::matching::{pairs, read_side};

#[derive(Debug, Serialize)]
struct Report {
    bench: &'static str,
    data: &'static str,
    n: u64,
    cores: usize,
    seconds: f64,
    true_pairs: usize,
    predicted: usize,
    precision: f64,
    recall: f64,
    f1: f64,
    peak_rss_mb: Option<f64>,
}

#[allow(clippy::print_stdout)] // the benchmark's one line
pub(crate) fn run(args: &MatchArgs) -> anyhow::Result<()> {
    let (data, (seconds, q)) = match &args.peer_data {
        Some(dir) => ("er_peers", peers(dir, args.n)?),
        None => ("trellis", labelled(args.n, args.seed)),
    };
    let report = Report {
        bench: "match",
        data,
        n: args.n,
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        seconds,
        true_pairs: q.true_pairs,
        predicted: q.predicted,
        precision: q.precision,
        recall: q.recall,
        f1: q.f1,
        peak_rss_mb: super::proc_status_mb("VmHWM:"),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

fn labelled(n: u64, seed: u64) -> (f64, Quality) {
    let data = generate(usize::try_from(n).unwrap_or(usize::MAX), seed);
    let started = Instant::now();
    let found = pairs(
        &data.ours,
        &data.theirs,
        trellis_match::Config::default().min_score,
        false,
    );
    let seconds = started.elapsed().as_secs_f64();
    let predicted: HashSet<(usize, usize)> = found.iter().map(|p| (p.ours, p.theirs)).collect();
    (seconds, quality(&predicted, &data.truth))
}

fn peers(dir: &std::path::Path, n: u64) -> anyhow::Result<(f64, Quality)> {
    let started = Instant::now();
    let ours = read_side(&dir.join(format!("er_a_{n}.csv")), None)?;
    let theirs = read_side(&dir.join(format!("er_b_{n}.csv")), None)?;
    let found = pairs(
        &ours.companies,
        &theirs.companies,
        trellis_match::Config::default().min_score,
        false,
    );
    let seconds = started.elapsed().as_secs_f64();
    let id = |s: &str| {
        s.parse::<usize>()
            .with_context(|| format!("the peer data has a non-numeric id {s:?}"))
    };
    let predicted = found
        .iter()
        .map(|p| Ok((id(&ours.ids[p.ours])?, id(&theirs.ids[p.theirs])?)))
        .collect::<anyhow::Result<HashSet<_>>>()?;
    let truth_path = dir.join(format!("er_truth_{n}.csv"));
    let table = trellis_csv::read(
        &std::fs::read(&truth_path)
            .with_context(|| format!("cannot read {}", truth_path.display()))?,
    )?;
    let truth = table
        .rows
        .iter()
        .map(|r| Ok((id(r.cell(0))?, id(r.cell(1))?)))
        .collect::<anyhow::Result<HashSet<_>>>()?;
    Ok((seconds, quality(&predicted, &truth)))
}
