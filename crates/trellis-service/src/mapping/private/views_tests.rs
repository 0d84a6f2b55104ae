//! Private mode reaches hosted mode's view: the conversions, run through the engine's
//! reference outcome, give exactly what `overlap::view` computes from both sides' accounts.

use trellis_domain::mapping::{ShareLevel, SharedField, SharingPolicy};

use super::super::super::overlap::fixtures::{account, builtins, policy};
use super::super::super::overlap::{self, Side, View};
use super::*;

/// A view with its pairs in one order, to compare.
fn canonical(mut v: View) -> (Vec<overlap::Cell>, Vec<String>) {
    let mut pairs: Vec<String> = v
        .pairs
        .drain(..)
        .map(|p| {
            format!(
                "{} {:?} {:?} {} {}",
                p.ours,
                p.our_populations,
                p.their_populations,
                serde_json::Value::Object(p.their_fields),
                p.flagged
            )
        })
        .collect();
    pairs.sort();
    (v.cells, pairs)
}

fn private_view(ours: &Side, theirs: &Side) -> View {
    let outcome = trellis_psi_net::reference::outcome(&side_input(ours), &side_input(theirs));
    view(ours, &outcome).unwrap()
}

#[test]
fn private_views_equal_hosted_views_both_ways() {
    let vendor = Side::new(
        &builtins(),
        vec![
            account("Acme", "acme.com", "prospect", 2),
            account("Acme Europe", "acme.com", "customer", 1),
            account("Globex", "globex.com", "customer", 0),
            account("Initech", "", "customer", 0),
            account("Umbrella", "umbrella.com", "prospect", 0),
        ],
        policy(
            &[
                ("customers", ShareLevel::Counts, &[]),
                ("prospects", ShareLevel::Records, &[SharedField::Name]),
            ],
            Some(2),
        ),
    );
    let partner = Side::new(
        &builtins(),
        vec![
            account("ACME GmbH", "acme.com", "customer", 0),
            account("Initech", "initech.de", "customer", 1),
            account("Globex Corp", "globex.com", "prospect", 0),
            account("Umbrella", "umbrella.com", "prospect", 3),
            account("Hidden Co", "hidden.com", "customer", 0),
        ],
        policy(
            &[
                (
                    "customers",
                    ShareLevel::Records,
                    &[SharedField::Name, SharedField::Owner],
                ),
                ("prospects", ShareLevel::Counts, &[]),
                (
                    "open_opportunities",
                    ShareLevel::Records,
                    &[SharedField::Employees],
                ),
            ],
            Some(2),
        ),
    );
    for (ours, theirs) in [(&vendor, &partner), (&partner, &vendor)] {
        let hosted = canonical(overlap::view(ours, theirs));
        let private = canonical(private_view(ours, theirs));
        assert_eq!(private, hosted);
        assert!(!hosted.1.is_empty() || !hosted.0.is_empty());
    }
    let v = private_view(&vendor, &partner);
    assert!(
        v.cells.iter().any(|c| c.overlap.is_none()),
        "min count hides"
    );
    assert!(v.pairs.iter().any(|p| p.flagged));
}

#[test]
fn a_side_that_shares_nothing_teaches_nothing() {
    let ours = Side::new(
        &builtins(),
        vec![account("Acme", "acme.com", "customer", 0)],
        SharingPolicy::default(),
    );
    let theirs = Side::new(
        &builtins(),
        vec![account("Acme", "acme.com", "customer", 0)],
        SharingPolicy::default(),
    );
    let input = side_input(&theirs);
    assert_eq!(input.share.counts, 0);
    assert!(input.share.records.is_empty());
    let v = private_view(&ours, &theirs);
    assert!(v.cells.is_empty() && v.pairs.is_empty());
    assert!(
        their_policy(&trellis_psi_net::Outcome::default())
            .populations
            .is_empty()
    );
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn random_side(rng: &mut Lcg, n: usize) -> Side {
    let relationships = ["customer", "prospect", "partner"];
    let levels = [ShareLevel::Nothing, ShareLevel::Counts, ShareLevel::Records];
    let accounts = (0..n)
        .map(|_| {
            let company = rng.below(n as u64 * 2);
            let domain = if rng.below(3) == 0 {
                String::new()
            } else {
                format!("company{company}.example")
            };
            let relationship = relationships[usize::try_from(rng.below(3)).unwrap()];
            account(
                &format!("Company {company}"),
                &domain,
                relationship,
                i64::try_from(rng.below(3)).unwrap(),
            )
        })
        .collect();
    let fields = [SharedField::Name, SharedField::Owner, SharedField::Domain];
    let shares: Vec<(&str, ShareLevel, &[SharedField])> = Builtin::ALL
        .iter()
        .map(|b| {
            let level = levels[usize::try_from(rng.below(3)).unwrap()];
            let k = usize::try_from(rng.below(4)).unwrap();
            (b.as_str(), level, &fields[..k])
        })
        .collect();
    let min = u32::try_from(rng.below(4)).unwrap();
    Side::new(&builtins(), accounts, policy(&shares, Some(min)))
}

#[test]
fn on_random_sides_and_policies_private_views_equal_hosted_views() {
    let mut rng = Lcg(7);
    for _ in 0..200 {
        let n = usize::try_from(1 + rng.below(12)).unwrap();
        let ours = random_side(&mut rng, n);
        let theirs = random_side(&mut rng, n);
        assert_eq!(
            canonical(private_view(&ours, &theirs)),
            canonical(overlap::view(&ours, &theirs))
        );
    }
}
