//! Random sides over a shared universe of companies, so that they overlap.

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore as _;
use trellis_psi::keys::{name_country, registrable_domain};
use trellis_psi_net::{AccountInput, PopulationInfo, Share, SideInput};

fn pick(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

/// `n` accounts: companies drawn from `0..n` (so two accounts may be one company), each with a
/// domain key, a name + country key, both or none; random populations of the three built-ins;
/// random counts sharing; about half the accounts shared as records with a label (one empty).
pub(crate) fn random_side(rng: &mut ChaCha20Rng, n: usize) -> SideInput {
    let population = |slot: u8, key: &str| PopulationInfo {
        slot,
        key: key.to_owned(),
        name: key.replace('_', " "),
    };
    let mut side = SideInput {
        populations: vec![
            population(0, "customers"),
            population(1, "open_opportunities"),
            population(2, "prospects"),
        ],
        ..SideInput::default()
    };
    for _ in 0..n {
        let company = pick(rng, n as u64);
        let domain = registrable_domain(&format!("company{company}.example")).unwrap();
        let name = name_country(&format!("Company {company}"), "DE").unwrap();
        let keys = match pick(rng, 10) {
            0 => vec![],
            1..=3 => vec![name],
            4..=6 => vec![domain],
            _ => vec![domain, name],
        };
        side.accounts.push(AccountInput {
            keys,
            populations: pick(rng, 8),
        });
    }
    let records = (0..n)
        .filter(|_| pick(rng, 2) == 0)
        .map(|i| (i, format!("{{\"account\":{i}}}").into_bytes()))
        .collect::<Vec<_>>();
    side.share = Share {
        counts: 1 + pick(rng, 7),
        records,
    };
    if let Some(first) = side.share.records.first_mut() {
        first.1.clear();
    }
    side
}
