use std::time::Duration;

use super::*;
use crate::Timestamp;
use crate::partners::metrics::Metrics;
use crate::partners::test_de::{V, from_v, map, s, seq};

const EUR: i64 = 100; // minor units per euro

fn key(k: &str) -> TierKey {
    TierKey::parse(k).unwrap()
}

fn tier(k: &str, name: &str, rank: u32, requirements: &[(Metric, i64)]) -> TierDef {
    TierDef {
        key: key(k),
        name: name.into(),
        rank,
        requirements: requirements
            .iter()
            .map(|&(metric, at_least)| Requirement { metric, at_least })
            .collect(),
        benefits: vec!["Partner portal".into()],
    }
}

fn silver() -> TierDef {
    tier(
        "silver",
        "Silver",
        10,
        &[
            (Metric::SourcedRevenue, 100_000 * EUR),
            (Metric::CertifiedPeople, 1),
        ],
    )
}

fn gold() -> TierDef {
    tier(
        "gold",
        "Gold",
        20,
        &[
            (Metric::SourcedRevenue, 1_000_000 * EUR),
            (Metric::CertifiedPeople, 3),
        ],
    )
}

/// Registered (no requirements) < Silver < Gold < Platinum, given out of order.
fn ladder() -> Ladder {
    let platinum = tier(
        "platinum",
        "Platinum",
        30,
        &[
            (Metric::SourcedRevenue, 5_000_000 * EUR),
            (Metric::CertifiedPeople, 10),
            (Metric::Psat, 80),
        ],
    );
    Ladder::new(vec![
        gold(),
        tier("registered", "Registered", 0, &[]),
        platinum,
        silver(),
    ])
    .unwrap()
}

/// Silver and Gold only: a partner can be on no tier at all.
fn short_ladder() -> Ladder {
    Ladder::new(vec![silver(), gold()]).unwrap()
}

fn figures(revenue_eur: i64, certified: i64) -> Metrics {
    [
        (Metric::SourcedRevenue, revenue_eur * EUR),
        (Metric::CertifiedPeople, certified),
    ]
    .into_iter()
    .collect()
}

fn on(current: &str) -> TierState {
    TierState {
        current: Some(key(current)),
        ..TierState::default()
    }
}

fn t0() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-06T00:00:00Z").unwrap()
}

fn day(n: u64) -> Timestamp {
    t0().plus(Duration::from_secs(n * 86_400))
}

fn run(metrics: &Metrics, state: &TierState, now: Timestamp) -> Evaluation {
    evaluate(&ladder(), &TierPolicy::default(), metrics, state, now)
}

#[test]
fn a_partner_without_a_tier_is_assigned_the_highest_it_qualifies_for() {
    let e = run(&figures(1_250_000, 4), &TierState::default(), t0());
    assert_eq!(
        e.outcome,
        Outcome::Assigned {
            from: None,
            to: key("gold")
        }
    );
    assert_eq!(e.next_state, on("gold"));
    assert_eq!(e.qualifies_for, Some(key("gold")));
    assert_eq!(e.outcome.changes_tier(), Some((None, Some(key("gold")))));
    assert!(e.needs_record());
    // Registered has no requirements, so even no data at all qualifies for it.
    let e = run(&Metrics::new(), &TierState::default(), t0());
    assert_eq!(
        e.outcome,
        Outcome::Assigned {
            from: None,
            to: key("registered")
        }
    );
}

#[test]
fn nobody_qualifying_leaves_a_new_partner_without_a_tier() {
    let e = evaluate(
        &short_ladder(),
        &TierPolicy::default(),
        &Metrics::new(),
        &TierState::default(),
        t0(),
    );
    assert_eq!(e.outcome, Outcome::Unchanged);
    assert_eq!(e.next_state, TierState::default());
    assert!(!e.needs_record());
    assert_eq!(
        e.explain(&short_ladder(), "EUR"),
        "No tier: Silver's requirements are not met (sourced revenue: no data (needs EUR \
         100,000.00); certified people: no data (needs 1))"
    );
}

#[test]
fn upgrades_happen_at_once_and_may_skip_tiers() {
    let mut m = figures(6_000_000, 12);
    m.set(Metric::Psat, 85);
    let state = TierState {
        below_since: Some(t0()),
        ..on("registered")
    };
    let e = run(&m, &state, day(1));
    assert_eq!(
        e.outcome,
        Outcome::Upgraded {
            from: key("registered"),
            to: key("platinum")
        }
    );
    assert_eq!(
        e.next_state,
        on("platinum"),
        "an upgrade ends any grace period"
    );
}

#[test]
fn missing_data_never_meets_a_requirement() {
    // Platinum revenue and certifications, but no PSAT survey yet: Gold, not Platinum.
    let e = run(&figures(6_000_000, 12), &on("registered"), t0());
    assert_eq!(e.qualifies_for, Some(key("gold")));
    let platinum = &e.checks[3];
    assert_eq!(platinum.tier, key("platinum"));
    let psat = &platinum.requirements[2];
    assert_eq!(
        (psat.metric, psat.value, psat.met_entry, psat.met_keep),
        (Metric::Psat, None, false, false)
    );
    // No certification data at all: not even Silver.
    let revenue_only: Metrics = [(Metric::SourcedRevenue, 9_000_000 * EUR)]
        .into_iter()
        .collect();
    assert_eq!(
        run(&revenue_only, &TierState::default(), t0()).qualifies_for,
        Some(key("registered"))
    );
}

#[test]
fn no_data_is_not_zero_even_for_a_zero_threshold() {
    // "At least 0" still needs a figure: the partner must have been scored at all.
    let l = Ladder::new(vec![tier("scored", "Scored", 1, &[(Metric::FitScore, 0)])]).unwrap();
    let policy = TierPolicy::default();
    let e = evaluate(&l, &policy, &Metrics::new(), &TierState::default(), t0());
    assert_eq!(e.qualifies_for, None);
    let scored: Metrics = [(Metric::FitScore, 0)].into_iter().collect();
    let e = evaluate(&l, &policy, &scored, &TierState::default(), t0());
    assert_eq!(e.qualifies_for, Some(key("scored")));
}

#[test]
fn hysteresis_keeps_a_tier_between_keep_and_entry_but_does_not_lift_a_lower_one() {
    // Gold: entry EUR 1,000,000, keep EUR 900,000. EUR 950,000 is in between.
    let m = figures(950_000, 3);
    let e = run(&m, &on("gold"), t0());
    assert_eq!(e.outcome, Outcome::Unchanged);
    assert_eq!(e.next_state, on("gold"));
    assert_eq!(e.qualifies_for, Some(key("silver")));
    let gold = &e.checks[2].requirements[0];
    assert_eq!(
        (gold.entry, gold.keep, gold.met_entry, gold.met_keep),
        (100_000_000, 90_000_000, false, true)
    );
    let e = run(&m, &on("silver"), t0());
    assert_eq!(e.outcome, Outcome::Unchanged);
    assert_eq!(e.next_state, on("silver"));
}

#[test]
fn a_grace_period_starts_runs_and_ends_in_recovery() {
    let low = figures(700_000, 3);
    let started = run(&low, &on("gold"), t0());
    assert_eq!(
        started.outcome,
        Outcome::GraceStarted {
            tier: key("gold"),
            until: day(30)
        }
    );
    assert_eq!(
        started.next_state,
        TierState {
            below_since: Some(t0()),
            ..on("gold")
        }
    );
    assert!(started.needs_record());
    assert_eq!(
        started.explain(&ladder(), "EUR"),
        "Below Gold's keep thresholds (sourced revenue EUR 700,000.00 < EUR 900,000.00); \
         grace period until 2027-01-05"
    );

    let running = run(&low, &started.next_state, day(10));
    assert_eq!(
        running.outcome,
        Outcome::InGrace {
            tier: key("gold"),
            until: day(30)
        }
    );
    assert_eq!(
        running.next_state, started.next_state,
        "grace keeps its start"
    );
    assert!(!running.needs_record());
    assert!(
        running
            .explain(&ladder(), "EUR")
            .starts_with("Still below Gold's")
    );

    let recovered = run(&figures(920_000, 3), &running.next_state, day(20));
    assert_eq!(recovered.outcome, Outcome::Recovered { tier: key("gold") });
    assert_eq!(recovered.next_state, on("gold"));
    assert!(recovered.needs_record());
    assert_eq!(recovered.outcome.changes_tier(), None);
}

#[test]
fn the_downgrade_comes_when_the_grace_period_is_over_not_before() {
    let low = figures(700_000, 3);
    let state = TierState {
        below_since: Some(t0()),
        ..on("gold")
    };
    let just_before = day(30).minus(Duration::from_millis(1));
    assert!(matches!(
        run(&low, &state, just_before).outcome,
        Outcome::InGrace { .. }
    ));
    let e = run(&low, &state, day(30));
    assert_eq!(
        e.outcome,
        Outcome::Downgraded {
            from: key("gold"),
            to: Some(key("silver"))
        }
    );
    assert_eq!(e.next_state, on("silver"));
    assert_eq!(
        e.outcome.changes_tier(),
        Some((Some(key("gold")), Some(key("silver"))))
    );
    assert_eq!(
        e.explain(&ladder(), "EUR"),
        "Downgraded from Gold to Silver: below Gold's keep thresholds (sourced revenue EUR \
         700,000.00 < EUR 900,000.00)"
    );
}

#[test]
fn without_grace_days_a_partner_below_keep_is_downgraded_at_once() {
    let policy = TierPolicy::new(10, 0).unwrap();
    let e = evaluate(&ladder(), &policy, &figures(700_000, 3), &on("gold"), t0());
    assert_eq!(
        e.outcome,
        Outcome::Downgraded {
            from: key("gold"),
            to: Some(key("silver"))
        }
    );
}

#[test]
fn the_downgrade_target_is_judged_at_keep_thresholds() {
    // EUR 95,000 is below Silver's entry (100,000) but above its keep bar (90,000).
    let m = figures(95_000, 3);
    let state = TierState {
        below_since: Some(t0()),
        ..on("gold")
    };
    let e = run(&m, &state, day(31));
    assert_eq!(e.qualifies_for, Some(key("registered")));
    assert_eq!(
        e.outcome,
        Outcome::Downgraded {
            from: key("gold"),
            to: Some(key("silver"))
        }
    );
}

#[test]
fn a_partner_leaves_the_ladder_only_when_even_the_lowest_tier_is_unmet() {
    let policy = TierPolicy::new(10, 0).unwrap();
    let e = evaluate(
        &short_ladder(),
        &policy,
        &figures(50_000, 0),
        &on("gold"),
        t0(),
    );
    assert_eq!(
        e.outcome,
        Outcome::Downgraded {
            from: key("gold"),
            to: None
        }
    );
    assert_eq!(e.next_state, TierState::default());
    assert_eq!(e.outcome.changes_tier(), Some((Some(key("gold")), None)));
    assert!(
        e.explain(&short_ladder(), "EUR")
            .starts_with("Left the ladder: below Gold's keep")
    );
}

fn overridden(tier: &str, until: Option<Timestamp>) -> TierOverride {
    TierOverride {
        tier: key(tier),
        reason: "Strategic launch partner".into(),
        until,
    }
}

#[test]
fn an_active_override_wins_and_says_what_the_tier_would_be() {
    let state = TierState {
        below_since: Some(t0()),
        overridden: Some(overridden("gold", Some(day(60)))),
        ..on("silver")
    };
    let e = run(&figures(150_000, 1), &state, day(5));
    // Lifting the override now would start Gold's grace period, not drop the partner at once.
    assert_eq!(
        e.outcome,
        Outcome::Overridden {
            from: Some(key("silver")),
            tier: key("gold"),
            would_be: Some(key("gold"))
        }
    );
    assert_eq!(
        e.next_state,
        TierState {
            overridden: state.overridden.clone(),
            ..on("gold")
        },
        "the override's tier becomes current and grace is cleared"
    );
    assert_eq!(e.qualifies_for, Some(key("silver")));
    assert!(e.needs_record(), "silver → gold is a change");
    assert_eq!(
        e.explain(&ladder(), "EUR"),
        "Held at Gold by override until 2027-02-04 (Strategic launch partner); without it: Gold"
    );

    let again = run(&figures(150_000, 1), &e.next_state, day(6));
    assert!(matches!(again.outcome, Outcome::Overridden { .. }));
    assert!(
        !again.needs_record(),
        "an override still holding the same tier is quiet"
    );
}

#[test]
fn would_be_follows_the_engine_rules_without_the_override() {
    let held = TierState {
        overridden: Some(overridden("gold", None)),
        ..on("gold")
    };
    let would_be = |policy: TierPolicy, m: &Metrics| {
        let outcome = evaluate(&ladder(), &policy, m, &held, t0()).outcome;
        let Outcome::Overridden { would_be, .. } = &outcome else {
            return Err(outcome);
        };
        Ok(would_be.clone())
    };
    let mut top = figures(6_000_000, 12);
    top.set(Metric::Psat, 90);
    assert_eq!(
        would_be(TierPolicy::default(), &top),
        Ok(Some(key("platinum")))
    );
    assert_eq!(
        would_be(TierPolicy::default(), &figures(150_000, 1)),
        Ok(Some(key("gold")))
    );
    assert_eq!(
        would_be(TierPolicy::new(10, 0).unwrap(), &figures(150_000, 1)),
        Ok(Some(key("silver")))
    );
}

#[test]
fn an_expired_override_is_dropped_and_the_rules_run_from_its_tier() {
    let state = TierState {
        overridden: Some(overridden("gold", Some(day(60)))),
        ..on("gold")
    };
    let e = run(&figures(150_000, 1), &state, day(60));
    assert!(e.override_expired);
    assert_eq!(
        e.outcome,
        Outcome::GraceStarted {
            tier: key("gold"),
            until: day(90)
        }
    );
    assert_eq!(e.next_state.overridden, None);
    assert!(
        e.explain(&ladder(), "EUR")
            .starts_with("Override ended. Below Gold's keep thresholds")
    );

    // Even when the tier holds, the end of an override is recorded.
    let e = run(&figures(1_000_000, 3), &state, day(61));
    assert_eq!(
        (e.outcome.clone(), e.override_expired),
        (Outcome::Unchanged, true)
    );
    assert!(e.needs_record());
    assert_eq!(e.next_state, on("gold"));
}

#[test]
fn a_tier_removed_from_the_ladder_is_replaced() {
    let e = run(&figures(150_000, 1), &on("diamond"), t0());
    assert_eq!(
        e.outcome,
        Outcome::Assigned {
            from: Some(key("diamond")),
            to: key("silver")
        }
    );
    assert_eq!(e.next_state, on("silver"));
    assert!(
        e.explain(&ladder(), "EUR")
            .starts_with("diamond is no longer a tier; assigned Silver")
    );

    let e = evaluate(
        &short_ladder(),
        &TierPolicy::default(),
        &Metrics::new(),
        &on("diamond"),
        t0(),
    );
    assert_eq!(
        e.outcome,
        Outcome::Downgraded {
            from: key("diamond"),
            to: None
        }
    );
    assert!(e.needs_record());

    // An override naming a removed tier cannot hold.
    let state = TierState {
        overridden: Some(overridden("diamond", None)),
        ..on("diamond")
    };
    let e = run(&figures(150_000, 1), &state, t0());
    assert!(e.override_expired);
    assert_eq!(
        e.outcome,
        Outcome::Assigned {
            from: Some(key("diamond")),
            to: key("silver")
        }
    );
}

#[test]
fn only_news_needs_recording() {
    let g = key("gold");
    let quiet = [
        Outcome::Unchanged,
        Outcome::InGrace {
            tier: g.clone(),
            until: t0(),
        },
        Outcome::Overridden {
            from: Some(g.clone()),
            tier: g.clone(),
            would_be: None,
        },
    ];
    for o in quiet {
        assert!(!o.needs_record(), "{o:?}");
        assert_eq!(o.changes_tier(), None);
    }
    let news = [
        Outcome::Assigned {
            from: None,
            to: g.clone(),
        },
        Outcome::Upgraded {
            from: key("silver"),
            to: g.clone(),
        },
        Outcome::Recovered { tier: g.clone() },
        Outcome::GraceStarted {
            tier: g.clone(),
            until: t0(),
        },
        Outcome::Downgraded {
            from: g.clone(),
            to: None,
        },
        Outcome::Overridden {
            from: None,
            tier: g.clone(),
            would_be: None,
        },
    ];
    for o in news {
        assert!(o.needs_record(), "{o:?}");
    }
}

#[test]
fn explanations_name_the_figures() {
    let e = run(&figures(1_250_000, 4), &on("silver"), t0());
    assert_eq!(
        e.explain(&ladder(), "EUR"),
        "Upgraded from Silver to Gold: sourced revenue EUR 1,250,000.00 ≥ EUR 1,000,000.00; \
         certified people 4 ≥ 3"
    );
    let e = run(&figures(950_000, 3), &on("gold"), t0());
    assert_eq!(
        e.explain(&ladder(), "USD"),
        "Stays Gold: sourced revenue USD 950,000.00 ≥ USD 900,000.00; certified people 3 ≥ 3"
    );
    let e = run(&Metrics::new(), &on("registered"), t0());
    assert_eq!(
        e.explain(&ladder(), "EUR"),
        "Stays Registered: no requirements"
    );
    let state = TierState {
        below_since: Some(t0()),
        ..on("gold")
    };
    let e = run(&figures(1_000_000, 3), &state, day(3));
    assert!(
        e.explain(&ladder(), "EUR")
            .starts_with("Back above Gold's keep thresholds (sourced revenue EUR 1,000,000.00 ≥")
    );
}

#[test]
fn keep_thresholds_round_up() {
    let p = TierPolicy::default();
    let cases = [
        (0, 0),
        (1, 1),
        (3, 3),
        (10, 9),
        (100, 90),
        (999, 900),
        (100_000_000, 90_000_000),
    ];
    for (entry, keep) in cases {
        assert_eq!(p.keep_threshold(entry), keep, "entry {entry}");
    }
    assert_eq!(TierPolicy::new(0, 30).unwrap().keep_threshold(7), 7);
    assert_eq!(TierPolicy::new(50, 30).unwrap().keep_threshold(3), 2);
    // 9,223,372,036,854,775,807 × 0.9 = …226.3, without overflowing on the way.
    assert_eq!(p.keep_threshold(i64::MAX), 8_301_034_833_169_298_227);
}

#[test]
fn policies_are_bounded() {
    assert_eq!(TierPolicy::default(), TierPolicy::new(10, 30).unwrap());
    assert_eq!(t0().plus(TierPolicy::default().grace()), day(30));
    let e = TierPolicy::new(51, 366).unwrap_err();
    assert_eq!(
        e.for_field("hysteresis_percent"),
        Some("must be between 0 and 50")
    );
    assert_eq!(e.for_field("grace_days"), Some("must be between 0 and 365"));
    assert!(TierPolicy::new(50, 365).is_ok());
    let p: TierPolicy = from_v(map([
        ("hysteresis_percent", V::U(20)),
        ("grace_days", V::U(0)),
    ]))
    .unwrap();
    assert_eq!((p.hysteresis_percent(), p.grace_days()), (20, 0));
    let err = from_v::<TierPolicy>(map([
        ("hysteresis_percent", V::U(80)),
        ("grace_days", V::U(0)),
    ]))
    .unwrap_err();
    assert!(err.contains("hysteresis_percent"), "{err}");
}

#[test]
fn ladders_are_sorted_and_looked_up_by_key() {
    let l = ladder();
    let keys: Vec<&str> = l.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["registered", "silver", "gold", "platinum"]);
    assert_eq!(l.lowest().name, "Registered");
    assert_eq!(l.get(&key("gold")).map(|t| t.rank), Some(20));
    assert!(l.get(&key("diamond")).is_none());
    assert!(TierKey::parse("Gold!").is_err());
}

fn ladder_error(tiers: Vec<TierDef>, field: &str) -> String {
    let e = Ladder::new(tiers).unwrap_err();
    let msg = e.for_field(field);
    assert!(msg.is_some(), "no error for {field}: {e}");
    msg.unwrap().to_owned()
}

#[test]
fn ladder_validation_names_each_field() {
    assert!(ladder_error(vec![], "tiers").contains("at least one"));
    let many: Vec<TierDef> = (0..13)
        .map(|i| tier(&format!("t{i}"), "T", i, &[]))
        .collect();
    assert!(ladder_error(many, "tiers").contains("13 given"));
    let twice = vec![
        silver(),
        TierDef {
            rank: 11,
            ..silver()
        },
    ];
    assert_eq!(
        ladder_error(twice, "tiers[1].key"),
        "is already used by tiers[0]"
    );
    let same_rank = vec![
        silver(),
        TierDef {
            key: key("silver-2"),
            ..silver()
        },
    ];
    assert_eq!(
        ladder_error(same_rank, "tiers[1].rank"),
        "is the same as tiers[0]'s"
    );
    assert_eq!(
        ladder_error(
            vec![TierDef {
                name: "  ".into(),
                ..gold()
            }],
            "tiers[0].name"
        ),
        "is required"
    );
    assert!(
        ladder_error(
            vec![TierDef {
                name: "n".repeat(41),
                ..gold()
            }],
            "tiers[0].name"
        )
        .contains("40")
    );
    let dup = tier(
        "basic",
        "Basic",
        1,
        &[
            (Metric::WonDeals, 1),
            (Metric::Psat, 5),
            (Metric::WonDeals, 2),
        ],
    );
    assert_eq!(
        ladder_error(vec![dup], "tiers[0].requirements[2].metric"),
        "Won deals is already required by requirements[0]"
    );
    let negative = tier("basic", "Basic", 1, &[(Metric::WonDeals, -1)]);
    assert_eq!(
        ladder_error(vec![negative], "tiers[0].requirements[0].at_least"),
        "must be 0 or more"
    );
    let psat = tier(
        "basic",
        "Basic",
        1,
        &[(Metric::WonDeals, 1), (Metric::Psat, 101)],
    );
    assert!(ladder_error(vec![psat], "tiers[0].requirements[1].at_least").contains("never be met"));
    let perks = TierDef {
        benefits: vec!["b".into(); 21],
        ..gold()
    };
    assert!(ladder_error(vec![perks], "tiers[0].benefits").contains("at most 20"));
    let long = TierDef {
        benefits: vec!["ok".into(), "b".repeat(201)],
        ..gold()
    };
    assert!(ladder_error(vec![long], "tiers[0].benefits[1]").contains("200"));
}

#[test]
fn deserialised_ladders_are_validated() {
    let wire = |rank: u64| {
        map([(
            "tiers",
            seq([map([
                ("key", s("gold")),
                ("name", s("Gold")),
                ("rank", V::U(rank)),
                (
                    "requirements",
                    seq([map([("metric", s("won_deals")), ("at_least", V::U(5))])]),
                ),
                ("benefits", seq([])),
            ])]),
        )])
    };
    let l: Ladder = from_v(wire(3)).unwrap();
    assert_eq!(
        l.lowest().requirements,
        [Requirement {
            metric: Metric::WonDeals,
            at_least: 5
        }]
    );
    let dup = map([(
        "tiers",
        seq([
            map([
                ("key", s("gold")),
                ("name", s("Gold")),
                ("rank", V::U(1)),
                ("requirements", seq([])),
                ("benefits", seq([])),
            ]),
            map([
                ("key", s("gold")),
                ("name", s("Gold")),
                ("rank", V::U(2)),
                ("requirements", seq([])),
                ("benefits", seq([])),
            ]),
        ]),
    )]);
    let err = from_v::<Ladder>(dup).unwrap_err();
    assert!(err.contains("tiers[1].key"), "{err}");
    let err = from_v::<Ladder>(map([("tiers", seq([]))])).unwrap_err();
    assert!(err.contains("at least one tier"), "{err}");
}
