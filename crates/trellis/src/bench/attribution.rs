//! `trellis bench attribution`: `trellis attribute` as a user runs it, one whole process per
//! model and order, on journeys generated exactly as ../shared/peers/attribution_peers.py
//! generates them (so ChannelAttribution reads the very same file), or on many partners.
//!
//! Each run is timed from spawn to exit; the child reports its own peak RSS.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::Serialize;
use trellis_match::benchmark::SplitMix64;

use crate::cli::bench::AttributionArgs;

/// The peers' twelve channels, their weights and conversion lifts (attribution_peers.py).
const CHANNELS: [&str; 12] = [
    "partnerA",
    "partnerB",
    "partnerC",
    "partnerD",
    "webinar",
    "marketplace",
    "referral",
    "co_marketing",
    "email",
    "paid_search",
    "organic",
    "event",
];
const CHANNEL_WEIGHTS: [u64; 12] = [9, 7, 5, 3, 8, 6, 5, 4, 12, 10, 14, 4];
const LIFT: [f64; 12] = [
    0.06, 0.04, 0.03, 0.02, 0.05, 0.01, 0.07, 0.02, 0.005, 0.01, 0.0, 0.04,
];
const LEN_WEIGHTS: [u64; 8] = [30, 22, 16, 11, 8, 6, 4, 3];
const BASE_P: f64 = 0.02;
const VALUE_TIERS: [&str; 6] = [
    "500.00", "1000.00", "2500.00", "5000.00", "10000.00", "25000.00",
];
const SEED: u64 = 20_240_611;

/// The channels journeys are drawn over.
struct Channels {
    names: Vec<String>,
    cumulative: Vec<u64>,
    lift: Vec<f64>,
}

impl Channels {
    /// The peers' twelve, or `n` partners whose weights fall off as 1/(rank + 10) and whose
    /// lifts cycle through the peers' (a few big partners, a long tail).
    fn new(n: usize) -> Self {
        if n == CHANNELS.len() {
            return Self {
                names: CHANNELS.iter().map(|c| (*c).to_owned()).collect(),
                cumulative: cumulative(&CHANNEL_WEIGHTS),
                lift: LIFT.to_vec(),
            };
        }
        let weights: Vec<u64> = (0..n as u64).map(|r| 1_000_000 / (r + 10)).collect();
        Self {
            names: (1..=n).map(|i| format!("partner{i:04}")).collect(),
            cumulative: cumulative(&weights),
            lift: (0..n).map(|i| LIFT[i % LIFT.len()]).collect(),
        }
    }
}

fn cumulative(weights: &[u64]) -> Vec<u64> {
    weights
        .iter()
        .scan(0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

/// The first index whose cumulative weight is above a draw below the total.
fn draw(rng: &mut SplitMix64, cumulative: &[u64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1);
    let u = rng.next_u64() % total;
    cumulative.partition_point(|&c| c <= u)
}

/// `uniform()` of detrand.py: 53 random bits in [0, 1).
#[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
fn uniform(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// Writes `n` journeys (journey_id,path,converted,value), byte for byte what
/// attribution_peers.py writes for the peers' twelve channels.
fn generate(n: u64, channels: &Channels, path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    // Python's csv module ends lines with CRLF.
    write!(out, "journey_id,path,converted,value\r\n")?;
    let mut rng = SplitMix64::new(SEED);
    let lengths = cumulative(&LEN_WEIGHTS);
    let mut touches: Vec<usize> = Vec::with_capacity(8);
    let mut seen: Vec<usize> = Vec::with_capacity(8);
    for id in 0..n {
        let length = 1 + draw(&mut rng, &lengths);
        touches.clear();
        touches.push(draw(&mut rng, &channels.cumulative));
        for _ in 1..length {
            if rng.next_u64() % 100 < 15 {
                touches.push(touches[touches.len() - 1]);
            } else {
                touches.push(draw(&mut rng, &channels.cumulative));
            }
        }
        // The lifts add in channel order, as the peers' `sorted(set(touches))` does, so the
        // floating-point sum is the same.
        seen.clear();
        seen.extend_from_slice(&touches);
        seen.sort_unstable();
        seen.dedup();
        let mut p = BASE_P;
        for &c in &seen {
            p += channels.lift[c];
        }
        #[allow(clippy::cast_precision_loss, reason = "lengths are at most 8")]
        let steps = (length - 1) as f64;
        p += 0.01 * steps;
        let p = p.clamp(0.005, 0.9);
        let converted = uniform(&mut rng) < p;
        let value = if converted {
            let mut tier = usize::try_from(rng.next_u64() % 6).unwrap_or(0);
            if touches.contains(&0) {
                tier = (tier + 1).min(5);
            }
            VALUE_TIERS[tier]
        } else {
            "0.00"
        };
        write!(out, "{id},")?;
        for (i, &c) in touches.iter().enumerate() {
            if i > 0 {
                out.write_all(b" > ")?;
            }
            out.write_all(channels.names[c].as_bytes())?;
        }
        write!(out, ",{},{value}\r\n", u8::from(converted))?;
    }
    out.flush()?;
    Ok(())
}

/// One model's figures.
#[derive(Debug, Serialize)]
struct Run {
    model: String,
    journeys: u64,
    channels: usize,
    reps: usize,
    /// Median wall time of the whole process, spawn to exit.
    wall_s: f64,
    min_s: f64,
    /// The largest peak RSS of the runs, as the process reported it.
    peak_rss_mb: Option<f64>,
}

/// The models benchmarked, as `trellis attribute` flags.
const MODELS: &[&[&str]] = &[
    &["--model", "first"],
    &["--model", "last"],
    &["--model", "linear"],
    &["--model", "time-decay"],
    &["--model", "u"],
    &["--model", "w"],
    &["--model", "markov", "--order", "1"],
    &["--model", "markov", "--order", "2"],
    &["--model", "markov", "--order", "3"],
    &["--model", "shapley"],
];

pub(crate) fn run(args: &AttributionArgs) -> anyhow::Result<()> {
    let channels = Channels::new(args.channels);
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir(),
    };
    std::fs::create_dir_all(&dir)?;
    let file: PathBuf = dir.join(format!("journeys_{}_{}.csv", args.journeys, args.channels));
    if !file.exists() {
        eprintln!("writing {}", file.display());
        generate(args.journeys, &channels, &file)?;
    }
    let exe = std::env::current_exe()?;
    for model in MODELS {
        let name = model[1..].join(" ").replace("--order ", "o");
        if !args.models.is_empty() && !args.models.iter().any(|m| name.starts_with(m.as_str())) {
            continue;
        }
        let mut times = Vec::with_capacity(args.reps);
        let mut peak: Option<f64> = None;
        for _ in 0..args.reps {
            let started = Instant::now();
            let out = Command::new(&exe)
                .arg("attribute")
                .arg(&file)
                .args(*model)
                .args(["--format", "csv", "--out", "/dev/null", "--stats"])
                .stdin(Stdio::null())
                .output()?;
            times.push(started.elapsed().as_secs_f64());
            if !out.status.success() {
                bail!("{name}: {}", String::from_utf8_lossy(&out.stderr));
            }
            let stats: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap_or_default();
            if let Some(mb) = stats["peak_rss_mb"].as_f64() {
                peak = Some(peak.map_or(mb, |p: f64| p.max(mb)));
            }
        }
        times.sort_by(f64::total_cmp);
        let run = Run {
            model: name,
            journeys: args.journeys,
            channels: args.channels,
            reps: args.reps,
            wall_s: times[times.len() / 2],
            min_s: times[0],
            peak_rss_mb: peak,
        };
        println!("{}", serde_json::to_string(&run)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first journeys the peers' script writes (attribution_peers.py, seed 20240611),
    /// converted ones with their value tiers among them.
    #[test]
    fn generates_the_peers_journeys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.csv");
        generate(14, &Channels::new(12), &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..6],
            [
                "journey_id,path,converted,value",
                "0,email > marketplace > organic > paid_search > partnerC,0,0.00",
                "1,organic > marketplace > email > partnerC,0,0.00",
                "2,paid_search > partnerA > event > paid_search > email > organic > organic,0,0.00",
                "3,organic > partnerD,0,0.00",
                "4,partnerB,0,0.00",
            ]
        );
        assert_eq!(lines[12], "11,partnerA,1,2500.00");
        assert_eq!(lines[14], "13,paid_search > webinar > partnerA,1,25000.00");
        assert_eq!(
            text.matches("\r\n").count(),
            15,
            "CRLF line ends, as Python writes"
        );
    }
}
