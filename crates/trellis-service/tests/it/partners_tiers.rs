//! Tiers: the ladder, the engine's assignments, upgrades, grace periods and downgrades,
//! manual overrides, the scheduled run over every partner, and the metrics tiers read.

use trellis_domain::Role;
use trellis_domain::partners::metrics::Metric;
use trellis_domain::partners::tiers::{Outcome, Requirement};
use trellis_service::Error;
use trellis_service::partners::settings::ProgramSettings;
use trellis_service::partners::tiers::{TierChange, TierInput};
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::Org;

use crate::partners_fixtures::{PASSWORD, Program, client, fields, ladder_inputs};

async fn set(p: &Program, org: &Org, metric: Metric, value: i64) {
    p.s.set_partner_metric(&p.admin, org.id, metric, Some(value), "manual")
        .await
        .unwrap();
}

async fn tier_of(p: &Program, org: &Org) -> Option<String> {
    p.s.get_partner(&p.admin, org.id).await.unwrap().tier
}

async fn changes(p: &Program, org: &Org) -> Vec<TierChange> {
    p.s.partner_tier_changes(&p.admin, org.id).await.unwrap()
}

fn outcomes(changes: &[TierChange]) -> Vec<(&str, Option<&str>, Option<&str>)> {
    changes
        .iter()
        .rev()
        .map(|c| {
            (
                c.outcome.as_str(),
                c.from_tier.as_deref(),
                c.to_tier.as_deref(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_ladder_is_validated_as_a_whole() {
    let p = Program::new().await;
    p.ladder().await;
    let tiers = p.s.list_tiers(&p.admin).await.unwrap();
    let keys: Vec<_> = tiers.iter().map(|t| t.def.key.to_string()).collect();
    assert_eq!(keys, ["registered", "silver", "gold"]);
    let again = ladder_inputs().remove(1);
    assert_eq!(fields(p.s.create_tier(&p.admin, &again).await), ["key"]);
    let same_rank = TierInput {
        key: "platinum".into(),
        name: "Platinum".into(),
        ..again.clone()
    };
    assert_eq!(
        fields(p.s.create_tier(&p.admin, &same_rank).await),
        ["rank"]
    );
    let bad = TierInput {
        key: "platinum".into(),
        name: " ".into(),
        rank: 9,
        requirements: vec![Requirement {
            metric: Metric::Psat,
            at_least: 101,
        }],
        ..again
    };
    let got = fields(p.s.create_tier(&p.admin, &bad).await);
    assert!(got.contains(&"name".to_owned()), "{got:?}");
    assert!(
        got.contains(&"requirements[0].at_least".to_owned()),
        "{got:?}"
    );
    assert_eq!(p.s.list_tiers(&p.admin).await.unwrap().len(), 3);

    let gold = tiers.iter().find(|t| t.def.key.as_str() == "gold").unwrap();
    let input = TierInput {
        key: "gold".into(),
        name: "Gold".into(),
        rank: 2,
        description: String::new(),
        requirements: gold.def.requirements.clone(),
        benefits: gold.def.benefits.clone(),
    };
    assert_eq!(
        fields(
            p.s.update_tier(&p.admin, "gold", gold.version, &input)
                .await
        ),
        ["rank"]
    );
    let renamed = TierInput {
        name: "Gold Elite".into(),
        rank: 3,
        ..input
    };
    assert!(matches!(
        p.s.update_tier(&p.admin, "gold", gold.version + 1, &renamed)
            .await,
        Err(Error::StaleVersion { .. })
    ));
    let updated =
        p.s.update_tier(&p.admin, "gold", gold.version, &renamed)
            .await
            .unwrap();
    assert_eq!(updated.def.name, "Gold Elite");
    assert_eq!(updated.version, gold.version + 1);
}

#[tokio::test]
async fn the_engine_upgrades_at_once_and_downgrades_only_after_the_grace_period() {
    let p = Program::new().await;
    p.ladder().await;
    let alpha = p.partner("Alpha", "msp").await;
    let admin_mail = "admin@alpha.example";
    p.user(alpha.id, Role::PartnerAdmin, admin_mail).await;
    // Admission puts a new partner on the entry tier.
    assert_eq!(tier_of(&p, &alpha).await.as_deref(), Some("registered"));

    set(&p, &alpha, Metric::WonDeals, 5).await;
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert!(
        matches!(&d.evaluation.outcome, Outcome::Upgraded { to, .. } if to.as_str() == "silver"),
        "{:?}",
        d.evaluation.outcome
    );
    assert_eq!(d.partner.tier.as_deref(), Some("silver"));
    assert!(!d.explanation.is_empty());

    set(&p, &alpha, Metric::WonDeals, 12).await;
    set(&p, &alpha, Metric::SourcedRevenue, 1_000_000).await;
    let d = p.s.evaluate_partner_tier(&p.cm, alpha.id).await.unwrap();
    assert_eq!(d.partner.tier.as_deref(), Some("gold"));

    // Hysteresis: 9 won deals still keeps Gold (entry 10, keep 9).
    set(&p, &alpha, Metric::WonDeals, 9).await;
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(d.evaluation.outcome, Outcome::Unchanged);
    assert_eq!(changes(&p, &alpha).await.len(), 3);

    // Below keep: the grace period starts, recorded, announced and e-mailed.
    set(&p, &alpha, Metric::WonDeals, 8).await;
    let mails_before = p.emails_to(admin_mail).await.len();
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert!(
        matches!(d.evaluation.outcome, Outcome::GraceStarted { .. }),
        "{:?}",
        d.evaluation.outcome
    );
    assert_eq!(d.partner.tier.as_deref(), Some("gold"));
    assert_eq!(d.partner.tier_below_since, Some(p.s.now()));
    let grace = p.events("partner.tier_grace_started").await;
    assert_eq!(grace.len(), 1);
    assert_eq!(grace[0].object_id, alpha.id.to_string());
    let mails = p.emails_to(admin_mail).await;
    assert_eq!(mails.len(), mails_before + 1);
    assert!(mails.last().unwrap().subject.contains("grace"));

    // Still in grace after 29 days: nothing new to record.
    p.advance_days(29);
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert!(matches!(d.evaluation.outcome, Outcome::InGrace { .. }));
    assert_eq!(d.partner.tier.as_deref(), Some("gold"));
    assert_eq!(changes(&p, &alpha).await.len(), 4);

    // Past the 30 days: down to the highest tier whose keep thresholds are met.
    p.advance_days(2);
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(d.partner.tier.as_deref(), Some("silver"));
    assert_eq!(d.partner.tier_below_since, None);

    // Back up, down again, and a recovery within the grace period.
    set(&p, &alpha, Metric::WonDeals, 10).await;
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    set(&p, &alpha, Metric::WonDeals, 3).await;
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    p.advance_days(5);
    set(&p, &alpha, Metric::WonDeals, 9).await;
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert!(matches!(d.evaluation.outcome, Outcome::Recovered { .. }));
    assert_eq!(d.partner.tier_below_since, None);
    assert_eq!(p.events("partner.tier_recovered").await.len(), 1);

    assert_eq!(
        outcomes(&changes(&p, &alpha).await),
        [
            ("assigned", None, Some("registered")),
            ("upgraded", Some("registered"), Some("silver")),
            ("upgraded", Some("silver"), Some("gold")),
            ("grace_started", Some("gold"), Some("gold")),
            ("downgraded", Some("gold"), Some("silver")),
            ("upgraded", Some("silver"), Some("gold")),
            ("grace_started", Some("gold"), Some("gold")),
            ("recovered", Some("gold"), Some("gold")),
        ]
    );
    let all = changes(&p, &alpha).await;
    assert!(
        all.iter()
            .all(|c| c.actor_id.is_some() || c.outcome == "assigned")
    );
    assert!(all[0].figures.is_array());
}

#[tokio::test]
async fn without_a_grace_period_a_partner_drops_at_once() {
    let p = Program::new().await;
    p.ladder().await;
    let settings = p.s.get_program_settings(&p.admin).await.unwrap();
    let policy = trellis_domain::partners::tiers::TierPolicy::new(0, 0).unwrap();
    p.s.update_program_settings(
        &p.admin,
        settings.version,
        ProgramSettings {
            tier_policy: policy,
            ..settings.settings
        },
    )
    .await
    .unwrap();
    let alpha = p.partner("Alpha", "msp").await;
    set(&p, &alpha, Metric::WonDeals, 5).await;
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    set(&p, &alpha, Metric::WonDeals, 4).await;
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(d.partner.tier.as_deref(), Some("registered"));
    // Clearing a metric is "no data", which never earns a tier.
    set(&p, &alpha, Metric::WonDeals, 5).await;
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    p.s.set_partner_metric(&p.admin, alpha.id, Metric::WonDeals, None, "manual")
        .await
        .unwrap();
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(d.partner.tier.as_deref(), Some("registered"));
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "a story: an override set, held and lifted"
)]
async fn a_tier_override_is_recorded_when_set_held_and_lifted() {
    let p = Program::new().await;
    p.ladder().await;
    let alpha = p.partner("Alpha", "msp").await;
    set(&p, &alpha, Metric::WonDeals, 6).await;
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    let current = p.s.get_partner(&p.admin, alpha.id).await.unwrap();
    assert_eq!(current.tier.as_deref(), Some("silver"));

    let version = current.version;
    assert_eq!(
        fields(
            p.s.set_tier_override(&p.admin, alpha.id, version, "gold", " ", None)
                .await
        ),
        ["reason"]
    );
    assert_eq!(
        fields(
            p.s.set_tier_override(&p.admin, alpha.id, version, "platinum", "launch", None)
                .await
        ),
        ["tier"]
    );
    assert_eq!(
        fields(
            p.s.set_tier_override(
                &p.admin,
                alpha.id,
                version,
                "gold",
                "launch",
                Some(p.s.now())
            )
            .await
        ),
        ["until"]
    );
    assert!(matches!(
        p.s.set_tier_override(&p.admin, alpha.id, version - 1, "gold", "launch", None)
            .await,
        Err(Error::StaleVersion { .. })
    ));

    let decision =
        p.s.set_tier_override(
            &p.admin,
            alpha.id,
            version,
            "gold",
            "strategic launch",
            None,
        )
        .await
        .unwrap();
    assert_eq!(decision.partner.tier.as_deref(), Some("gold"));
    let ov = decision.partner.tier_override.clone().unwrap();
    assert_eq!(
        (ov.tier.as_str(), ov.reason.as_str()),
        ("gold", "strategic launch")
    );
    assert!(decision.partner.version > version);
    // The override holds: evaluating changes nothing and records nothing.
    let before = changes(&p, &alpha).await.len();
    let held = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert!(
        matches!(&held.evaluation.outcome, Outcome::Overridden { tier, .. } if tier.as_str() == "gold"),
        "{:?}",
        held.evaluation.outcome
    );
    assert_eq!(changes(&p, &alpha).await.len(), before);
    assert_eq!(p.s.evaluate_all_tiers().await.unwrap(), 0);

    // Lifting it: Gold's keep thresholds are not met, so the grace period starts.
    let decision =
        p.s.clear_tier_override(&p.admin, alpha.id, held.partner.version, "launch over")
            .await
            .unwrap();
    assert!(decision.partner.tier_override.is_none());
    assert_eq!(decision.partner.tier.as_deref(), Some("gold"));
    assert!(decision.partner.tier_below_since.is_some());
    assert!(matches!(
        p.s.clear_tier_override(&p.admin, alpha.id, decision.partner.version, "again")
            .await,
        Err(Error::InvalidState(_))
    ));
    assert_eq!(p.events("partner.tier_override_ended").await.len(), 1);
    assert_eq!(
        outcomes(&changes(&p, &alpha).await),
        [
            ("assigned", None, Some("registered")),
            ("upgraded", Some("registered"), Some("silver")),
            ("overridden", Some("silver"), Some("gold")),
            ("override_ended", Some("gold"), Some("gold")),
            ("grace_started", Some("gold"), Some("gold")),
        ]
    );

    // Overriding to the tier the partner already has is still recorded.
    let bravo = p.partner("Bravo", "si").await;
    let bravo_now = p.s.get_partner(&p.admin, bravo.id).await.unwrap();
    p.s.set_tier_override(
        &p.admin,
        bravo.id,
        bravo_now.version,
        "registered",
        "keep",
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        outcomes(&changes(&p, &bravo).await).last(),
        Some(&("overridden", Some("registered"), Some("registered")))
    );
}

#[tokio::test]
async fn an_override_with_an_end_date_ends_by_itself_into_a_grace_period() {
    let p = Program::new().await;
    p.ladder().await;
    let alpha = p.partner("Alpha", "msp").await;
    let v = p.s.get_partner(&p.admin, alpha.id).await.unwrap().version;
    let until = p.s.now().plus(crate::partners_fixtures::DAY * 10);
    p.s.set_tier_override(&p.admin, alpha.id, v, "gold", "pilot", Some(until))
        .await
        .unwrap();
    p.advance_days(9);
    assert_eq!(p.s.evaluate_all_tiers().await.unwrap(), 0);
    assert_eq!(tier_of(&p, &alpha).await.as_deref(), Some("gold"));
    p.advance_days(1);
    assert_eq!(p.s.evaluate_all_tiers().await.unwrap(), 1);
    let after = p.s.get_partner(&p.admin, alpha.id).await.unwrap();
    assert!(after.tier_override.is_none());
    assert_eq!(after.tier.as_deref(), Some("gold"));
    assert_eq!(after.tier_below_since, Some(p.s.now()));
    let last: Vec<_> = changes(&p, &alpha)
        .await
        .into_iter()
        .take(2)
        .map(|c| c.outcome)
        .collect();
    assert_eq!(last, ["grace_started", "override_ended"]);
    // After the grace period the partner lands where its figures put it.
    p.advance_days(30);
    p.s.evaluate_all_tiers().await.unwrap();
    assert_eq!(tier_of(&p, &alpha).await.as_deref(), Some("registered"));
}

#[tokio::test]
async fn a_held_tier_cannot_be_deleted() {
    let p = Program::new().await;
    p.ladder().await;
    let alpha = p.partner("Alpha", "msp").await;
    set(&p, &alpha, Metric::WonDeals, 5).await;
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    let err = p.s.delete_tier(&p.admin, "silver").await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let tiers = p.s.list_tiers(&p.admin).await.unwrap();
    let holders: Vec<_> = tiers.iter().map(|t| t.holders).collect();
    assert_eq!(holders, [0, 1, 0]);
    p.s.delete_tier(&p.admin, "gold").await.unwrap();
    assert!(matches!(
        p.s.delete_tier(&p.admin, "gold").await,
        Err(Error::NotFound)
    ));
    assert_eq!(p.s.list_tiers(&p.admin).await.unwrap().len(), 2);
    assert_eq!(tier_of(&p, &alpha).await.as_deref(), Some("silver"));
}

#[tokio::test]
async fn the_scheduled_run_evaluates_every_partner() {
    let p = Program::new().await;
    // Partners added before the program has tiers have none.
    let mut partners = Vec::new();
    for i in 0..105 {
        partners.push(p.partner(&format!("Partner {i:03}"), "reseller").await);
    }
    assert_eq!(tier_of(&p, &partners[0]).await, None);
    assert!(matches!(
        p.s.evaluate_partner_tier(&p.admin, partners[0].id).await,
        Err(Error::InvalidState(_))
    ));
    p.ladder().await;
    assert_eq!(p.s.evaluate_all_tiers().await.unwrap(), 105);
    for org in partners.iter().step_by(10) {
        set(&p, org, Metric::WonDeals, 7).await;
    }
    assert_eq!(p.s.evaluate_all_tiers().await.unwrap(), 11);
    assert_eq!(p.s.evaluate_all_tiers().await.unwrap(), 0);
    let tiers = p.s.list_tiers(&p.admin).await.unwrap();
    let holders: Vec<_> = tiers.iter().map(|t| t.holders).collect();
    assert_eq!(holders, [94, 11, 0]);
    // The scheduled run decides as the system.
    let all = changes(&p, &partners[10]).await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|c| c.actor_id.is_none()));

    // The program-wide history pages without gaps or repeats.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = None;
    loop {
        let page =
            p.s.list_tier_changes(
                &p.admin,
                &PageRequest {
                    cursor,
                    limit: Some(40),
                },
            )
            .await
            .unwrap();
        for c in page.items {
            assert!(seen.insert(c.id), "seen twice: {}", c.id);
        }
        match page.next {
            Some(c) => cursor = Some(c.encode()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 116);
}

#[tokio::test]
async fn computed_metrics_cannot_be_set_by_hand() {
    let p = Program::new().await;
    p.ladder().await;
    let alpha = p.partner("Alpha", "msp").await;
    for m in [
        Metric::ActiveUsers,
        Metric::FitScore,
        Metric::MonthsInProgram,
    ] {
        let got = fields(
            p.s.set_partner_metric(&p.admin, alpha.id, m, Some(3), "manual")
                .await,
        );
        assert_eq!(got, ["metric"], "{m:?}");
    }
    assert_eq!(
        fields(
            p.s.set_partner_metric(&p.admin, alpha.id, Metric::WonDeals, Some(-1), "manual")
                .await
        ),
        ["value"]
    );
    assert_eq!(
        fields(
            p.s.set_partner_metric(&p.admin, alpha.id, Metric::Psat, Some(101), "manual")
                .await
        ),
        ["value"]
    );
    // The engine computes them: users who signed in within 90 days and, with an IPP, the fit
    // score. Of three users, one signed in today, one 100 days ago and one never did.
    p.user(alpha.id, Role::PartnerAdmin, "admin@alpha.example")
        .await;
    p.user(alpha.id, Role::PartnerUser, "user@alpha.example")
        .await;
    p.user(alpha.id, Role::PartnerUser, "idle@alpha.example")
        .await;
    let at = client("198.51.100.7");
    p.s.authenticate("user@alpha.example", PASSWORD, &at)
        .await
        .unwrap();
    p.advance_days(100);
    p.s.authenticate("admin@alpha.example", PASSWORD, &at)
        .await
        .unwrap();
    p.s.save_ipp(&p.admin, 0, crate::partners_fixtures::ipp_criteria(), "v1")
        .await
        .unwrap();
    p.s.rescore_all(1).await.unwrap();
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    let metrics = p.s.partner_metrics(&p.admin, alpha.id).await.unwrap();
    let value = |m: Metric| {
        metrics
            .iter()
            .find(|v| v.metric == m)
            .map(|v| (v.value, v.source.as_str()))
    };
    assert_eq!(value(Metric::ActiveUsers), Some((1, "computed")));
    assert_eq!(value(Metric::MonthsInProgram), Some((0, "computed")));
    // An MSP with no head count: half the points.
    assert_eq!(value(Metric::FitScore), Some((50, "computed")));
}

#[tokio::test]
async fn months_in_the_program_count_from_activation() {
    let p = Program::new().await;
    let tenure = TierInput {
        key: "veteran".into(),
        name: "Veteran".into(),
        rank: 5,
        description: String::new(),
        requirements: vec![Requirement {
            metric: Metric::MonthsInProgram,
            at_least: 2,
        }],
        benefits: vec![],
    };
    p.s.create_tier(&p.admin, &ladder_inputs()[0])
        .await
        .unwrap();
    p.s.create_tier(&p.admin, &tenure).await.unwrap();
    let alpha = p.partner("Alpha", "msp").await;
    let months = |p: &Program| {
        let id = alpha.id;
        let s = p.s.clone();
        let admin = p.admin.clone();
        async move {
            s.partner_metrics(&admin, id)
                .await
                .unwrap()
                .into_iter()
                .find(|m| m.metric == Metric::MonthsInProgram)
                .map(|m| m.value)
        }
    };
    // Three months of onboarding are not three months in the program.
    p.advance_days(90);
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(months(&p).await, Some(0));
    assert_eq!(d.partner.tier.as_deref(), Some("registered"));
    let current = p.s.get_partner(&p.admin, alpha.id).await.unwrap();
    p.s.set_partner_status(
        &p.admin,
        alpha.id,
        current.version,
        trellis_domain::partners::profile::PartnerStatus::Active,
        "onboarded offline",
    )
    .await
    .unwrap();
    p.advance_days(59);
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(months(&p).await, Some(1));
    p.advance_days(1);
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(months(&p).await, Some(2));
    assert_eq!(d.partner.tier.as_deref(), Some("veteran"));
}

#[tokio::test]
async fn a_vendor_user_may_choose_a_new_partners_first_tier() {
    let p = Program::new().await;
    let input = |name: &str, tier: &str| trellis_service::platform::orgs::OrgInput {
        name: name.into(),
        partner_type: Some("si".into()),
        tier: Some(tier.into()),
        ..Default::default()
    };
    // Without tiers, or with an unknown one, nothing is created.
    let err =
        p.s.create_org(
            &p.admin,
            trellis_domain::OrgKind::Partner,
            &input("Alpha", "gold"),
        )
        .await;
    assert_eq!(fields(err), ["tier"]);
    p.ladder().await;
    let err =
        p.s.create_org(
            &p.admin,
            trellis_domain::OrgKind::Partner,
            &input("Alpha", "platinum"),
        )
        .await;
    assert_eq!(fields(err), ["tier"]);
    let alpha = p.partner_with(input("Alpha", "gold")).await;
    assert_eq!(alpha.tier.as_deref(), Some("gold"));
    assert_eq!(
        outcomes(&changes(&p, &alpha).await),
        [("assigned", None, Some("gold"))]
    );
    // The engine takes over from there, with the usual grace period.
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert!(matches!(d.evaluation.outcome, Outcome::GraceStarted { .. }));
    p.advance_days(30);
    let d = p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(d.partner.tier.as_deref(), Some("registered"));
}

#[tokio::test]
async fn a_suspended_partner_keeps_its_tier_until_it_is_active_again() {
    let p = Program::new().await;
    p.ladder().await;
    let alpha = p.partner("Alpha", "msp").await;
    set(&p, &alpha, Metric::WonDeals, 5).await;
    p.s.evaluate_partner_tier(&p.admin, alpha.id).await.unwrap();
    assert_eq!(tier_of(&p, &alpha).await.as_deref(), Some("silver"));
    let version = p.s.get_partner(&p.admin, alpha.id).await.unwrap().version;
    p.s.set_partner_status(
        &p.admin,
        alpha.id,
        version,
        trellis_domain::partners::profile::PartnerStatus::Suspended,
        "Compliance review",
    )
    .await
    .unwrap();
    // Figures that would drop it at once (no grace) change nothing while suspended.
    set(&p, &alpha, Metric::WonDeals, 0).await;
    let before = changes(&p, &alpha).await.len();
    assert_eq!(p.s.evaluate_all_tiers().await.unwrap(), 0);
    assert!(matches!(
        p.s.evaluate_partner_tier(&p.admin, alpha.id).await,
        Err(Error::InvalidState(_))
    ));
    assert_eq!(tier_of(&p, &alpha).await.as_deref(), Some("silver"));
    assert_eq!(changes(&p, &alpha).await.len(), before);
}
