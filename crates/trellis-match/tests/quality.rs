//! Matching quality on the labelled benchmark: a regression in normalisation, blocking or
//! scoring shows up here as a lower F1.

use std::collections::HashSet;

use trellis_match::benchmark::{generate, quality};
use trellis_match::{Config, Index, Prepared};

fn f1_of(n: usize, seed: u64) -> trellis_match::benchmark::Quality {
    let data = generate(n, seed);
    let mut index = Index::new(Config::default());
    for (i, c) in data.ours.iter().enumerate() {
        index.insert(i, Prepared::new(c));
    }
    let probes: Vec<Prepared> = data.theirs.iter().map(Prepared::new).collect();
    let predicted: HashSet<(usize, usize)> = index
        .best_of_each(&probes)
        .into_iter()
        .enumerate()
        .filter_map(|(j, m)| m.map(|m| (*m.id, j)))
        .collect();
    quality(&predicted, &data.truth)
}

#[test]
fn labelled_benchmark_reaches_the_f1_goal() {
    for seed in [1, 2] {
        let q = f1_of(4_000, seed);
        assert!(q.f1 >= 0.97, "seed {seed}: {q:?}");
    }
}
