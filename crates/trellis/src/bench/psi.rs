//! `trellis bench psi`: private set intersection on the data of
//! ../shared/peers/psi_openmined.py (`make_sets`, ported bit for bit: N company domains per
//! side, 20 % shared, SplitMix64), both parties in this process, as the peer runs.
//!
//! For each mode, a cold mapping (nothing cached) and a refresh (the first `--refresh-percent`
//! of each side's shuffled list replaced by new companies, everything else served from the
//! caches the cold run left), each checked against the plain intersection. Reported per run:
//! wall time per phase, bytes per direction and per element (labels apart), peak RSS, and the
//! bound: the operations the run needs times their cost measured here, over all cores. Human
//! lines go to stderr, the JSON line to stdout.

use std::collections::HashSet;
use std::time::Instant;

use anyhow::{Context as _, ensure};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng as _;
use rayon::prelude::*;
use serde::Serialize;
use trellis_match::benchmark::SplitMix64;
use trellis_psi::counts::{CountsItem, CountsKey, CountsReceiver, CountsSender};
use trellis_psi::local::{self, Phase, Traffic};
use trellis_psi::opcost::{Op, Workload};
use trellis_psi::record::{RecordReceiver, RecordSender, SenderRecord};
use trellis_psi::{Cache, Config, Key, OprfKey, keys};

use crate::cli::bench::PsiArgs;

/// The domain of a company id, as psi_openmined.py writes it.
fn domain(id: u64) -> String {
    format!("company{id}.example")
}

/// `make_sets` of psi_openmined.py: (client, server, truth) as company ids (40-bit), kept as
/// numbers so the benchmark's own data weighs little beside the protocol's.
pub(crate) fn make_sets(n: usize, overlap: f64, seed: u64) -> (Vec<u64>, Vec<u64>, HashSet<u64>) {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "n is far below 2^52"
    )]
    let k = (n as f64 * overlap).round() as usize;
    let mut splitmix = SplitMix64::new(seed);
    let mut drawn = HashSet::new();
    let mut ids = Vec::with_capacity(2 * n - k);
    while ids.len() < 2 * n - k {
        let v = splitmix.next_u64() >> 24;
        if drawn.insert(v) {
            ids.push(v);
        }
    }
    let mut client: Vec<u64> = ids[..k].iter().chain(&ids[k..n]).copied().collect();
    let mut server: Vec<u64> = ids[..k].iter().chain(&ids[n..]).copied().collect();
    shuffle(&mut client, seed + 1);
    shuffle(&mut server, seed + 2);
    let truth = ids[..k].iter().copied().collect();
    (client, server, truth)
}

/// detrand.py's Fisher–Yates.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = SplitMix64::new(seed);
    for i in (1..items.len()).rev() {
        let j = rng.below(i + 1);
        items.swap(i, j);
    }
}

/// The figures of one run.
#[derive(Debug, Default, Serialize)]
struct Run {
    /// Seconds per phase, in order.
    phases: Vec<(&'static str, f64)>,
    seconds: f64,
    bytes_to_sender: u64,
    bytes_to_receiver: u64,
    label_bytes: u64,
    /// (to_sender + to_receiver − label_bytes) / n, as openmined counts its messages.
    bytes_per_element: f64,
    label_bytes_per_element: f64,
    /// Group elements computed (the rest came from caches).
    computed: usize,
    peak_rss_mb: Option<f64>,
    bound_seconds: f64,
    bound_ratio: f64,
    overlap: u64,
    correct: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    bench: &'static str,
    n: u64,
    cores: usize,
    chunk_size: u64,
    refresh_percent: f64,
    /// Microseconds per operation, one thread.
    op_us: Vec<(&'static str, f64)>,
    /// Microseconds per operation over all cores (throughput), what the bounds use.
    op_us_all_cores: Vec<(&'static str, f64)>,
    record_cold: Option<Run>,
    record_refresh: Option<Run>,
    counts_cold: Option<Run>,
    counts_refresh: Option<Run>,
    /// The whole process's high-water mark (each run's `peak_rss_mb` also counts memory the
    /// allocator kept from the runs before it).
    process_peak_rss_mb: Option<f64>,
}

#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the benchmark's report"
)]
pub(crate) fn run(args: &PsiArgs) -> anyhow::Result<()> {
    let n = usize::try_from(args.n)?;
    let (client, server, truth) = make_sets(n, args.overlap, args.seed);
    let costs = op_costs(usize::try_from(args.op_samples)?);
    eprintln!(
        "# psi n={n} cores={} chunk={}",
        rayon::current_num_threads(),
        args.chunk_size
    );
    for ((op, one), (_, all)) in costs.single.iter().zip(&costs.all) {
        eprintln!("op {op:15} {one:8.3} us/op one thread  {all:8.3} us/op all cores");
    }
    let config = Config {
        chunk_size: usize::try_from(args.chunk_size)?,
    };
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "small counts"
    )]
    let changed = ((n as f64) * args.refresh_percent / 100.0).round() as usize;
    // New companies get ids above 40 bits, so they are in neither original set.
    let (client2, server2) = (
        replace(&client, changed, 1 << 41),
        replace(&server, changed, 1 << 42),
    );
    let truth2 = plain(&client2, &server2);

    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let oprf = OprfKey::random(&mut rng);
    let keys = (CountsKey::random(&mut rng), CountsKey::random(&mut rng));
    let (mut record_cold, mut record_refresh, mut counts_cold, mut counts_refresh) =
        (None, None, None, None);
    if args.mode != "counts" {
        let (cold, caches) = record_run(&client, &server, &truth, None, &oprf, config, &costs)?;
        report("record cold", &cold);
        let (warm, _) = record_run(
            &client2,
            &server2,
            &truth2,
            Some(caches),
            &oprf,
            config,
            &costs,
        )?;
        report("record refresh", &warm);
        (record_cold, record_refresh) = (Some(cold), Some(warm));
    }
    if args.mode != "record" {
        let (cold, caches) = counts_run(&client, &server, &truth, None, &keys, config, &costs)?;
        report("counts cold", &cold);
        let (warm, _) = counts_run(
            &client2,
            &server2,
            &truth2,
            Some(caches),
            &keys,
            config,
            &costs,
        )?;
        report("counts refresh", &warm);
        (counts_cold, counts_refresh) = (Some(cold), Some(warm));
    }
    let report = Report {
        bench: "psi",
        n: args.n,
        cores: rayon::current_num_threads(),
        chunk_size: args.chunk_size,
        refresh_percent: args.refresh_percent,
        op_us: costs.single,
        op_us_all_cores: costs.all,
        record_cold,
        record_refresh,
        counts_cold,
        counts_refresh,
        process_peak_rss_mb: super::proc_status_mb("VmHWM:"),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// The plain intersection (a hash join), to check the refresh against.
fn plain(client: &[u64], server: &[u64]) -> HashSet<u64> {
    let s: HashSet<u64> = server.iter().copied().collect();
    client.iter().filter(|d| s.contains(d)).copied().collect()
}

/// The list with its first `changed` companies replaced by new ones (ids from `first`).
fn replace(list: &[u64], changed: usize, first: u64) -> Vec<u64> {
    let mut out = list.to_vec();
    for (i, d) in (0u64..).zip(out.iter_mut().take(changed)) {
        *d = first + i;
    }
    out
}

#[allow(clippy::print_stderr, reason = "the benchmark's report")]
fn report(name: &str, r: &Run) {
    let phases: Vec<String> = r
        .phases
        .iter()
        .map(|(p, s)| format!("{p}={s:.3}s"))
        .collect();
    eprintln!(
        "{name:15} total={:.3}s  {}  bytes/elt={:.1} (+labels {:.1})  to_sender={} to_receiver={}  computed={}  peak_rss={:?}MB  bound={:.3}s ratio={:.2}  |I|={} correct={}",
        r.seconds,
        phases.join(" "),
        r.bytes_per_element,
        r.label_bytes_per_element,
        r.bytes_to_sender,
        r.bytes_to_receiver,
        r.computed,
        r.peak_rss_mb,
        r.bound_seconds,
        r.bound_ratio,
        r.overlap,
        r.correct,
    );
}

/// Per-operation costs in microseconds: one thread, and over all cores.
struct Costs {
    single: Vec<(&'static str, f64)>,
    all: Vec<(&'static str, f64)>,
}

impl Costs {
    fn of(&self, op: Op) -> f64 {
        self.all
            .iter()
            .find(|(name, _)| *name == op.name())
            .map_or(0.0, |c| c.1)
    }

    /// Seconds for these (operation, count) pairs.
    #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    fn seconds(&self, ops: &[(Op, usize)]) -> f64 {
        ops.iter()
            .map(|&(op, n)| self.of(op) * n as f64)
            .sum::<f64>()
            / 1e6
    }
}

/// Times each operation of `trellis_psi::opcost` on one thread, then on every core at once;
/// the best of three tries each, so that a moment of interference from another process does
/// not inflate the bound.
#[allow(
    clippy::cast_precision_loss,
    reason = "sample counts are far below 2^52"
)]
fn op_costs(samples: usize) -> Costs {
    let work = Workload::new(1);
    let cores = rayon::current_num_threads();
    let best = |f: &dyn Fn() -> f64| (0..3).map(|_| f()).fold(f64::INFINITY, f64::min);
    let mut single = Vec::new();
    let mut all = Vec::new();
    for op in Op::ALL {
        single.push((
            op.name(),
            best(&|| {
                let started = Instant::now();
                std::hint::black_box(work.run(op, samples));
                started.elapsed().as_secs_f64() * 1e6 / samples as f64
            }),
        ));
        all.push((
            op.name(),
            best(&|| {
                let started = Instant::now();
                let sum: u64 = (0..cores)
                    .into_par_iter()
                    .map(|_| work.run(op, samples))
                    .sum();
                std::hint::black_box(sum);
                started.elapsed().as_secs_f64() * 1e6 / (samples * cores) as f64
            }),
        ));
    }
    Costs { single, all }
}

/// Wall-clock marks of a run's phases.
struct Clock {
    started: Instant,
    marks: Vec<(&'static str, Instant)>,
}

impl Clock {
    fn start(first: &'static str) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            marks: vec![(first, now)],
        }
    }

    fn mark(&mut self, phase: &'static str) {
        self.marks.push((phase, Instant::now()));
    }

    fn local(&mut self, phase: Phase) {
        self.mark(match phase {
            Phase::Handshake => "handshake",
            Phase::Blind => "blind",
            Phase::Evaluate => "evaluate",
            Phase::Finalize => "finalize",
            Phase::Publish => "publish",
            Phase::Match => "match",
            Phase::Done => "done",
        });
    }

    /// Seconds per phase (a phase entered several times, once per chunk, adds up), in the order
    /// first entered, and in all.
    fn phases(&self) -> (Vec<(&'static str, f64)>, f64) {
        let mut phases: Vec<(&'static str, f64)> = Vec::new();
        for w in self.marks.windows(2) {
            let seconds = (w[1].1 - w[0].1).as_secs_f64();
            match phases.iter_mut().find(|p| p.0 == w[0].0) {
                Some(p) => p.1 += seconds,
                None => phases.push((w[0].0, seconds)),
            }
        }
        let end = self.marks.last().map_or(self.started, |m| m.1);
        (phases, (end - self.started).as_secs_f64())
    }
}

/// Starts a fresh peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM to the current
/// RSS). Memory freed by earlier runs that the allocator keeps counts in the current RSS, so a
/// later run's peak is an upper bound.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn domain_key(id: u64) -> anyhow::Result<Key> {
    keys::registrable_domain(&domain(id)).with_context(|| format!("company {id} has no domain key"))
}

#[allow(clippy::cast_precision_loss, reason = "byte counts are far below 2^52")]
fn fill(run: &mut Run, clock: &Clock, traffic: &Traffic, n: usize, bound: f64) {
    (run.phases, run.seconds) = clock.phases();
    run.bytes_to_sender = traffic.to_sender;
    run.bytes_to_receiver = traffic.to_receiver;
    run.label_bytes = traffic.label_bytes;
    let total = traffic.to_sender + traffic.to_receiver - traffic.label_bytes;
    run.bytes_per_element = total as f64 / n as f64;
    run.label_bytes_per_element = traffic.label_bytes as f64 / n as f64;
    run.peak_rss_mb = super::proc_status_mb("VmHWM:");
    run.bound_seconds = bound;
    run.bound_ratio = run.seconds / bound.max(1e-9);
}

/// One record-mode run: the receiver is the client list, the sender the server list with a
/// label per record (its domain and an owner field: what a sharing policy might allow).
fn record_run(
    client: &[u64],
    server: &[u64],
    truth: &HashSet<u64>,
    caches: Option<(Cache, Cache)>,
    oprf: &OprfKey,
    config: Config,
    costs: &Costs,
) -> anyhow::Result<(Run, (Cache, Cache))> {
    let records = server
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            Ok(SenderRecord {
                keys: vec![domain_key(d)?],
                label: format!("{}|owner {}", domain(d), i % 97).into_bytes(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ours = client
        .iter()
        .map(|&d| Ok(vec![domain_key(d)?]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (sender_cache, receiver_cache) = caches.map_or((None, None), |(s, r)| (Some(s), Some(r)));
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    reset_peak_rss();
    let mut clock = Clock::start("sender_prepare");
    let mut sender = RecordSender::new(oprf.clone(), records, sender_cache.as_ref(), config);
    // The sender needs its cache only to start; a server would not keep it around either.
    drop(sender_cache);
    clock.mark("receiver_prepare");
    let mut receiver = RecordReceiver::new(ours, receiver_cache, config, &mut rng);
    let (overlaps, receiver_cache, traffic) =
        local::record(&mut sender, &mut receiver, &mut rng, &mut |p| {
            clock.local(p);
        })?;
    let found: HashSet<u64> = overlaps.iter().map(|o| client[o.record]).collect();
    // Each run is checked here; a wrong result fails the command.
    let labels_ok = overlaps.iter().all(|o| {
        o.labels.len() == 1
            && o.labels[0].starts_with(format!("{}|", domain(client[o.record])).as_bytes())
    });
    let (n_r, n_s) = (client.len(), server.len());
    let blinded = usize::try_from(traffic.blinded)?;
    let fresh = sender.computed();
    let bound = costs.seconds(&[
        (Op::HashToGroup, blinded + fresh),
        (Op::FixedMul, 2 * blinded),
        (Op::VarMul, blinded + fresh),
        (Op::Decompress, 2 * blinded),
        (Op::BatchCompress, 3 * blinded + fresh),
        (Op::OutputHash, n_r + n_s),
        (Op::TagKdf, n_r + n_s),
        (Op::SealLabel, n_s + overlaps.len()),
    ]);
    let mut run = Run {
        computed: blinded + fresh,
        overlap: found.len() as u64,
        correct: found == *truth && labels_ok,
        ..Run::default()
    };
    fill(&mut run, &clock, &traffic, n_r, bound);
    ensure!(
        run.correct,
        "record mode found {} overlaps, the truth has {}",
        found.len(),
        truth.len()
    );
    Ok((run, (sender.updated_cache(), receiver_cache)))
}

/// One counts-mode run: one population per side (all companies), as openmined's cardinality.
fn counts_run(
    client: &[u64],
    server: &[u64],
    truth: &HashSet<u64>,
    caches: Option<(Cache, Cache)>,
    keys: &(CountsKey, CountsKey),
    config: Config,
    costs: &Costs,
) -> anyhow::Result<(Run, (Cache, Cache))> {
    let items = |list: &[u64]| {
        list.iter()
            .map(|&d| {
                Ok(CountsItem {
                    key: domain_key(d)?,
                    populations: 1,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let (ours, theirs) = (items(client)?, items(server)?);
    let (sender_cache, receiver_cache) = caches.map_or((None, None), |(s, r)| (Some(s), Some(r)));
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    reset_peak_rss();
    let mut clock = Clock::start("sender_prepare");
    let mut sender = CountsSender::new(&keys.1, theirs, sender_cache, config);
    clock.mark("receiver_prepare");
    let mut receiver = CountsReceiver::new(&keys.0, ours, receiver_cache, config, &mut rng);
    let (counts, receiver_cache, traffic) =
        local::counts(&mut sender, &mut receiver, &mut rng, &mut |p| {
            clock.local(p);
        })?;
    let count = counts.first().map_or(0, |c| c.count);
    let (s_own, s_cross) = sender.computed();
    let (r_own, r_cross) = receiver.computed();
    let bound = costs.seconds(&[
        (Op::HashToGroup, s_own + r_own),
        (Op::VarMul, s_own + r_own + s_cross + r_cross),
        (Op::Decompress, s_cross + r_cross),
        (Op::BatchCompress, s_own + r_own + s_cross + r_cross),
    ]);
    let mut run = Run {
        computed: s_own + r_own + s_cross + r_cross,
        overlap: count,
        correct: count == truth.len() as u64,
        ..Run::default()
    };
    fill(&mut run, &clock, &traffic, client.len(), bound);
    ensure!(
        run.correct,
        "counts mode counted {count}, the truth has {}",
        truth.len()
    );
    Ok((run, (sender.updated_cache(), receiver_cache)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values psi_openmined.py's make_sets gives for n=10 (read off the Python), so the
    /// two benchmarks map the very same sets.
    #[test]
    fn make_sets_reproduces_the_peer_bit_for_bit() {
        let (client, server, truth) = make_sets(10, 0.2, 20_240_601);
        let names = |ids: &[u64]| ids.iter().map(|&v| domain(v)).collect::<Vec<_>>();
        assert_eq!(
            names(&client[..3]),
            [
                "company277109543464.example",
                "company915638076393.example",
                "company697187621098.example"
            ]
        );
        assert_eq!(
            names(&server[..3]),
            [
                "company997956581069.example",
                "company117366224351.example",
                "company697187621098.example"
            ]
        );
        let mut truth = names(&truth.into_iter().collect::<Vec<_>>());
        truth.sort();
        assert_eq!(
            truth,
            ["company28041377404.example", "company697187621098.example"]
        );
    }

    #[test]
    fn make_sets_has_the_peers_shape() {
        let (client, server, truth) = make_sets(1000, 0.2, 20_240_601);
        assert_eq!((client.len(), server.len(), truth.len()), (1000, 1000, 200));
        assert_eq!(plain(&client, &server), truth);
        assert!(client.iter().chain(&server).all(|&d| d < 1 << 40));
    }
}
