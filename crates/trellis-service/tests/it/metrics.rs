//! Ecosystem metrics on a small program whose every figure is worked out by hand: origins,
//! win rates, cycles, velocity, partner shares, costs and ROPI, CLTV and CAC, segments, the
//! deals behind a figure, costs entered and imported all or nothing, and who sees what.

use trellis_domain::metrics::Origin;
use trellis_domain::partners::metrics::Metric;
use trellis_domain::{Currency, Money, OpportunityId, OrgId, Role};
use trellis_service::attribution::{FxRateInput, TouchpointInput};
use trellis_service::crm::{AccountInput, OpportunityInput};
use trellis_service::metrics::{CostInput, Dashboard, Drill, MetricsQuery, Period};
use trellis_service::platform::PageRequest;
use trellis_service::{Actor, Error};

use crate::partners_fixtures::Program;

struct World {
    p: Program,
    northwind: OrgId,
    globex: OrgId,
    northwind_user: Actor,
}

async fn account(p: &Program, key: &str, name: &str, country: &str, employees: i64) {
    p.s.upsert_account(
        &p.admin,
        "salesforce",
        key,
        None,
        &AccountInput {
            name: name.into(),
            website: format!("{}.example", name.to_lowercase()),
            country: country.into(),
            industry: "Retail".into(),
            employees: Some(employees),
            ..AccountInput::default()
        },
    )
    .await
    .unwrap();
}

struct Deal<'a> {
    key: &'a str,
    account: &'a str,
    status: &'a str,
    minor: i64,
    currency: &'a str,
    opened: &'a str,
    close: &'a str,
}

async fn deal(p: &Program, d: Deal<'_>) -> OpportunityId {
    let (o, _) =
        p.s.upsert_opportunity(
            &p.admin,
            "salesforce",
            d.key,
            None,
            &OpportunityInput {
                account_external_id: d.account.into(),
                name: d.key.into(),
                stage: "Stage".into(),
                status: Some(d.status.parse().unwrap()),
                amount: Some(Money::new(d.minor, Currency::parse(d.currency).unwrap())),
                opened_on: d.opened.into(),
                close_date: d.close.into(),
                ..OpportunityInput::default()
            },
        )
        .await
        .unwrap();
    o.id
}

async fn touch(p: &Program, o: OpportunityId, partner: Option<OrgId>, kind: &str, at: &str) {
    p.s.record_touchpoint(
        &p.cm,
        &TouchpointInput {
            opportunity_id: Some(o),
            partner_id: partner,
            channel: if partner.is_none() {
                "AWS Marketplace".into()
            } else {
                String::new()
            },
            kind: kind.into(),
            occurred_at: at.into(),
            ..TouchpointInput::default()
        },
    )
    .await
    .unwrap();
}

async fn cost(
    p: &Program,
    partner: Option<OrgId>,
    channel: &str,
    category: &str,
    amount: &str,
    currency: &str,
) {
    p.s.record_cost(
        &p.cm,
        &CostInput {
            channel: channel.into(),
            partner,
            category: category.into(),
            amount: amount.into(),
            currency: currency.into(),
            incurred_on: "2026-02-01".into(),
            note: String::new(),
        },
        "manual",
    )
    .await
    .unwrap();
}

/// The six deals and their touches.
async fn deals_and_touches(p: &Program, northwind: OrgId, globex: OrgId) {
    let d = |key, account, status, minor, currency, opened, close| Deal {
        key,
        account,
        status,
        minor,
        currency,
        opened,
        close,
    };
    let a1 = deal(
        p,
        d(
            "A1",
            "ACME",
            "won",
            1_000_000,
            "USD",
            "2026-01-10",
            "2026-03-11",
        ),
    )
    .await;
    let a2 = deal(
        p,
        d(
            "A2",
            "ACME",
            "lost",
            400_000,
            "USD",
            "2026-02-01",
            "2026-04-01",
        ),
    )
    .await;
    deal(
        p,
        d(
            "A3",
            "ACME",
            "won",
            600_000,
            "USD",
            "2026-03-01",
            "2026-05-01",
        ),
    )
    .await;
    let i1 = deal(
        p,
        d(
            "I1",
            "INI",
            "won",
            300_000,
            "EUR",
            "2026-01-15",
            "2026-02-14",
        ),
    )
    .await;
    deal(
        p,
        d(
            "I2",
            "INI",
            "open",
            500_000,
            "GBP",
            "2026-04-01",
            "2026-09-30",
        ),
    )
    .await;
    let i3 = deal(
        p,
        d(
            "I3",
            "INI",
            "open",
            200_000,
            "USD",
            "2026-05-01",
            "2026-09-30",
        ),
    )
    .await;
    touch(p, a1, Some(northwind), "sourced", "2026-01-10").await;
    touch(p, a1, Some(globex), "influence", "2026-02-01").await;
    touch(p, a2, Some(globex), "influence", "2026-02-05").await;
    touch(p, i1, None, "marketplace", "2026-01-20").await;
    touch(p, i1, Some(globex), "co_sell", "2026-01-25").await;
    touch(p, i3, Some(northwind), "referral", "2026-05-01").await;
}

/// Two customers, six deals (one in GBP without a rate), touches, costs; refreshed.
async fn world() -> World {
    let p = Program::new().await;
    p.advance_days(200);
    let northwind = p.partner("Northwind", "reseller").await.id;
    let globex = p.partner("Globex", "referral").await.id;
    let northwind_user = p
        .user(northwind, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    account(&p, "ACME", "Acme", "DE", 300).await;
    account(&p, "INI", "Initech", "US", 40).await;
    p.s.set_fx_rate(
        &p.cm,
        &FxRateInput {
            currency: "EUR".into(),
            valid_from: "2026-01-01".into(),
            rate: "1.10".into(),
        },
    )
    .await
    .unwrap();
    deals_and_touches(&p, northwind, globex).await;
    cost(&p, Some(northwind), "", "mdf", "2,000.00", "USD").await;
    cost(&p, Some(globex), "partner", "incentive", "500", "EUR").await;
    cost(&p, None, "program", "enablement", "1000", "").await;
    cost(&p, None, "direct", "sales", "3000", "USD").await;
    let r = p.s.refresh_metrics().await.unwrap();
    assert_eq!((r.opportunities, r.no_rate, r.touchpoints), (5, 1, 6));
    World {
        p,
        northwind,
        globex,
        northwind_user,
    }
}

/// The first half of 2026, narrowed by `segment`'s fields.
fn half_year_of(segment: MetricsQuery) -> Period {
    MetricsQuery {
        from: "2026-01-01".into(),
        to: "2026-06-30".into(),
        ..segment
    }
    .check(trellis_domain::Timestamp::from_date("2026-07-20").unwrap())
    .unwrap()
}

fn half_year() -> Period {
    half_year_of(MetricsQuery::default())
}

/// The fields a validation error names, or what came instead.
fn invalid_fields<T: std::fmt::Debug>(r: Result<T, Error>) -> Vec<String> {
    match r {
        Err(Error::Validation(e)) => e.iter().map(|f| f.field.clone()).collect(),
        other => vec![format!("{other:?}")],
    }
}

fn origin<'a>(d: &'a Dashboard, key: &str) -> &'a trellis_service::metrics::OriginFigures {
    d.origins.iter().find(|o| o.key == key).unwrap()
}

#[tokio::test]
async fn origins_win_rates_cycles_and_velocity_are_counted_as_defined() {
    let w = world().await;
    let d =
        w.p.s
            .metrics_dashboard(&w.p.cm, &half_year())
            .await
            .unwrap();
    assert_eq!(d.currency, "USD");
    let s = origin(&d, "sourced");
    assert_eq!(
        (
            s.funnel.opened,
            s.funnel.opened_minor,
            s.funnel.won,
            s.funnel.won_minor
        ),
        (2, 1_200_000, 1, 1_000_000)
    );
    assert_eq!((s.funnel.open, s.funnel.open_minor), (1, 200_000));
    assert_eq!(s.cycle_days, Some(60.0));
    assert_eq!(s.win_rate, Some(1.0));
    // 2 opened × 100 % × 10,000.00 ÷ 60 days = 333.33 a day.
    assert_eq!(s.velocity_minor_per_day, Some(33_333));
    let i = origin(&d, "influenced");
    // I1 converts at 1.10: 3,000.00 EUR is 3,300.00 USD.
    assert_eq!((i.funnel.opened, i.funnel.opened_minor), (2, 730_000));
    assert_eq!(
        (i.funnel.won, i.funnel.won_minor, i.funnel.lost),
        (1, 330_000, 1)
    );
    assert_eq!((i.win_rate, i.cycle_days), (Some(0.5), Some(30.0)));
    let direct = origin(&d, "direct");
    assert_eq!((direct.funnel.won, direct.funnel.won_minor), (1, 600_000));
    assert_eq!(direct.cycle_days, Some(61.0));
    let all = origin(&d, "partner");
    assert_eq!((all.funnel.won, all.funnel.won_minor), (2, 1_330_000));
    let march = d.months.iter().find(|m| m.month == "2026-03").unwrap();
    assert_eq!(
        (march.sourced_minor, march.influenced_minor),
        (1_000_000, 0)
    );
    assert_eq!(
        d.months.len(),
        6,
        "every month of the period, empty ones too"
    );
    assert_eq!(d.refreshed.as_ref().unwrap().no_rate, 1);
}

#[tokio::test]
async fn partner_shares_costs_ropi_cltv_and_cac() {
    let w = world().await;
    let d =
        w.p.s
            .metrics_dashboard(&w.p.cm, &half_year())
            .await
            .unwrap();
    let names: Vec<&str> = d.partners.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Globex", "Northwind"], "by attributed revenue");
    let g = &d.partners[0];
    // Half of A1 (two touches) and half of I1 (a marketplace touch beside Globex's).
    assert_eq!(g.attributed_minor, 500_000 + 165_000);
    assert_eq!((g.influenced.funnel.won, g.influenced.funnel.lost), (2, 1));
    assert_eq!(g.cost_minor, 55_000);
    assert_eq!(g.customers, 1);
    let n = &d.partners[1];
    assert_eq!(
        (n.attributed_minor, n.cost_minor, n.ropi),
        (500_000, 200_000, Some(2.5))
    );
    assert_eq!(
        (n.customers, n.cltv_minor, n.cac_minor),
        (1, Some(1_600_000), Some(200_000))
    );
    assert_eq!(n.sourced.funnel.open, 1);
    assert_eq!(
        (
            d.costs.partner_minor,
            d.costs.program_minor,
            d.costs.direct_minor
        ),
        (255_000, 100_000, 300_000)
    );
    assert_eq!(d.attributed_minor, 1_165_000);
    assert_eq!(d.ropi, Some(1_165_000.0 / 355_000.0));
    let partner = &d.channels[0];
    // Acme (A1 and A3) and Initech (I1): 19,300.00 over two customers.
    assert_eq!((partner.customers, partner.cltv_minor), (2, Some(965_000)));
    assert_eq!(partner.cac_minor, Some(177_500));
    let direct = &d.channels[1];
    assert_eq!((direct.customers, direct.cac_minor), (0, None));
    let types: Vec<(&str, i64)> = d
        .by_type
        .iter()
        .map(|g| (g.key.as_str(), g.attributed_minor))
        .collect();
    assert_eq!(types, [("referral", 665_000), ("reseller", 500_000)]);
}

#[tokio::test]
async fn segments_narrow_deals_and_drill_downs_list_them() {
    let w = world().await;
    let p = &w.p;
    let germany = half_year_of(MetricsQuery {
        country: "de".into(),
        ..MetricsQuery::default()
    });
    let d = p.s.metrics_dashboard(&p.cm, &germany).await.unwrap();
    assert_eq!(origin(&d, "sourced").funnel.opened, 1);
    assert_eq!(origin(&d, "influenced").funnel.opened, 1);
    assert_eq!(d.ropi, None, "costs have no segment");
    let referral = half_year_of(MetricsQuery {
        partner_type: "referral".into(),
        ..MetricsQuery::default()
    });
    let d = p.s.metrics_dashboard(&p.cm, &referral).await.unwrap();
    assert_eq!(
        origin(&d, "influenced").funnel.opened,
        2,
        "A2 and I1, led by Globex"
    );
    assert_eq!(origin(&d, "sourced").funnel.opened, 0);
    assert_eq!(d.partners.len(), 1);

    let won_sourced = Drill {
        closed: true,
        origin: Some(Origin::Sourced),
        status: Some(trellis_domain::crm::OpportunityStatus::Won),
        partner: None,
    };
    let page =
        p.s.metrics_deals(&p.cm, &half_year(), &won_sourced, &PageRequest::default())
            .await
            .unwrap();
    let names: Vec<&str> = page.items.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["A1"]);
    assert_eq!(page.items[0].lead_partner, "Northwind");
    let globex = Drill {
        closed: true,
        partner: Some(w.globex),
        ..Drill::default()
    };
    let first = PageRequest {
        cursor: None,
        limit: Some(2),
    };
    let page =
        p.s.metrics_deals(&p.cm, &half_year(), &globex, &first)
            .await
            .unwrap();
    let names: Vec<&str> = page.items.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["I1", "A1"], "by close day");
    assert_eq!(page.items[0].attributed_minor, Some(165_000));
    let next = PageRequest {
        cursor: page.next.map(|c| c.encode()),
        limit: Some(2),
    };
    let page =
        p.s.metrics_deals(&p.cm, &half_year(), &globex, &next)
            .await
            .unwrap();
    let names: Vec<&str> = page.items.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["A2"]);
    assert!(page.next.is_none());
}

#[tokio::test]
async fn a_refresh_replaces_the_facts_and_a_partner_sees_only_its_own() {
    let w = world().await;
    let p = &w.p;
    let before = p.s.metrics_dashboard(&p.cm, &half_year()).await.unwrap();
    p.s.refresh_metrics().await.unwrap();
    let after = p.s.metrics_dashboard(&p.cm, &half_year()).await.unwrap();
    assert_eq!(
        serde_json::to_value(&before.origins).unwrap(),
        serde_json::to_value(&after.origins).unwrap()
    );
    let own =
        p.s.partner_dashboard(&w.northwind_user, w.northwind, &half_year())
            .await
            .unwrap();
    assert_eq!(own.partner.attributed_minor, 500_000);
    assert_eq!(own.partner.sourced.funnel.won_minor, 1_000_000);
    let other =
        p.s.partner_dashboard(&w.northwind_user, w.globex, &half_year())
            .await;
    assert!(matches!(other, Err(Error::NotFound)));
    let program = p.s.metrics_dashboard(&w.northwind_user, &half_year()).await;
    assert!(matches!(program, Err(Error::Forbidden)));
    let rep = p
        .user(p.vendor.id, Role::SalesRep, "rep@vendor.example")
        .await;
    assert!(p.s.metrics_dashboard(&rep, &half_year()).await.is_ok());
    let entered = p.s.record_cost(&rep, &CostInput::default(), "manual").await;
    assert!(matches!(entered, Err(Error::Forbidden)));
    let finance = p
        .user(p.vendor.id, Role::Finance, "cfo@vendor.example")
        .await;
    let ok = CostInput {
        category: "tech".into(),
        amount: "10".into(),
        incurred_on: "2026-06-01".into(),
        ..CostInput::default()
    };
    assert!(p.s.record_cost(&finance, &ok, "manual").await.is_ok());
}

/// A partner's metric, as the tier engine reads it.
async fn metric(p: &Program, org: OrgId, metric: Metric) -> Option<(i64, String)> {
    p.s.partner_metrics(&p.admin, org)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.metric == metric)
        .map(|m| (m.value, m.source))
}

#[tokio::test]
async fn a_refresh_writes_the_trailing_year_for_tiers_without_overriding_hand_entry_elsewhere() {
    let w = world().await;
    let p = &w.p;
    let measured = |value: i64| Some((value, "metrics".to_owned()));
    // A1 (10,000.00) sourced by Northwind, influenced by Globex beside I1 (3,000.00 EUR).
    assert_eq!(
        metric(p, w.northwind, Metric::SourcedRevenue).await,
        measured(1_000_000)
    );
    assert_eq!(metric(p, w.northwind, Metric::WonDeals).await, measured(1));
    assert_eq!(
        metric(p, w.globex, Metric::InfluencedRevenue).await,
        measured(1_330_000)
    );
    assert_eq!(metric(p, w.globex, Metric::WonDeals).await, measured(2));
    assert_eq!(
        metric(p, w.globex, Metric::RegisteredDeals).await,
        measured(0)
    );
    // A partner Trellis has no deals for keeps what people entered.
    let initech = p.partner("Initrode", "reseller").await.id;
    p.s.set_partner_metric(&p.admin, initech, Metric::WonDeals, Some(4), "manual")
        .await
        .unwrap();
    p.s.refresh_metrics().await.unwrap();
    assert_eq!(
        metric(p, initech, Metric::WonDeals).await,
        Some((4, "manual".to_owned()))
    );
    // A year on, the deals are out of the window: measured figures fall to 0.
    p.advance_days(365);
    p.s.refresh_metrics().await.unwrap();
    assert_eq!(
        metric(p, w.northwind, Metric::SourcedRevenue).await,
        measured(0)
    );
    assert_eq!(metric(p, w.globex, Metric::WonDeals).await, measured(0));
}

#[tokio::test]
async fn bad_costs_are_named_and_a_bad_file_writes_nothing() {
    let w = world().await;
    let p = &w.p;
    let bad = CostInput {
        channel: "partner".into(),
        category: "yachts".into(),
        amount: "12,34.5".into(),
        currency: "USD".into(),
        incurred_on: "2027-01-01".into(),
        ..CostInput::default()
    };
    let fields = invalid_fields(p.s.record_cost(&p.cm, &bad, "manual").await);
    assert_eq!(fields, ["partner", "category", "amount", "incurred_on"]);
    let all = PageRequest::default();
    let q = trellis_service::metrics::CostQuery {
        from: "2026-01-01".into(),
        to: "2026-07-20".into(),
        partner: None,
    };
    let count = p.s.costs(&p.cm, &q, &all).await.unwrap().items.len();
    assert_eq!(count, 4);

    let file = "Partner,Category,Amount,Currency,Date,Note\n\
                Northwind,mdf,1500,USD,2026-03-01,Spring event\n\
                Nobody,mdf,oops,USD,2026-03-01,\n";
    let fields = invalid_fields(p.s.import_costs(&p.cm, file.as_bytes()).await);
    assert_eq!(fields, ["line 3, column \"Partner\""]);
    assert_eq!(p.s.costs(&p.cm, &q, &all).await.unwrap().items.len(), count);
    let fixed = file.replace("Nobody,mdf,oops", "Globex,incentive,250");
    let done = p.s.import_costs(&p.cm, fixed.as_bytes()).await.unwrap();
    assert_eq!(done.created, 2);
    let costs = p.s.costs(&p.cm, &q, &all).await.unwrap().items;
    assert_eq!(costs.len(), count + 2);
    assert_eq!(costs[0].incurred_on, "2026-03-01", "newest first");
}

#[tokio::test]
async fn adoption_counts_partner_users_once_a_day_and_leaves_out_the_vendor() {
    use crate::partners_fixtures::{PASSWORD, client};
    let p = Program::new().await;
    let alpha = p.partner("Alpha", "reseller").await.id;
    let bravo = p.partner("Bravo", "msp").await.id;
    p.user(alpha, Role::PartnerAdmin, "admin@alpha.example")
        .await;
    p.user(alpha, Role::PartnerUser, "user@alpha.example").await;
    p.user(bravo, Role::PartnerAdmin, "admin@bravo.example")
        .await;
    let sign_in = |email: &'static str, ip: &'static str| {
        let s = &p.s;
        async move {
            s.authenticate(email, PASSWORD, &client(ip)).await.unwrap();
        }
    };
    // 1 January: Alpha's admin twice (one day of use), its user, and the vendor's admin.
    sign_in("admin@alpha.example", "198.51.100.1").await;
    sign_in("admin@alpha.example", "198.51.100.2").await;
    sign_in("user@alpha.example", "198.51.100.3").await;
    sign_in("admin@vendor.example", "198.51.100.4").await;
    p.advance_days(40);
    sign_in("admin@alpha.example", "198.51.100.5").await;
    let period = MetricsQuery {
        from: "2026-01-01".into(),
        to: "2026-03-31".into(),
        ..MetricsQuery::default()
    }
    .check(trellis_domain::Timestamp::from_date("2026-04-01").unwrap())
    .unwrap();
    let a = p.s.adoption(&p.cm, &period).await.unwrap();
    assert_eq!((a.partners, a.partner_users), (2, 3));
    assert_eq!(
        (a.active_users, a.active_partners, a.sign_in_days),
        (2, 1, 3)
    );
    let months: Vec<(&str, i64, i64)> = a
        .months
        .iter()
        .map(|m| (m.month.as_str(), m.active_users, m.sign_in_days))
        .collect();
    assert_eq!(
        months,
        [("2026-01", 2, 2), ("2026-02", 1, 1), ("2026-03", 0, 0)]
    );
    let partner = p
        .user(alpha, Role::PartnerAdmin, "second@alpha.example")
        .await;
    assert!(matches!(
        p.s.adoption(&partner, &period).await,
        Err(Error::Forbidden | Error::NotFound)
    ));
}

#[tokio::test]
async fn changes_that_move_the_figures_queue_one_refresh_a_moment_later() {
    let p = Program::new().await;
    let cost = CostInput {
        category: "tech".into(),
        amount: "10".into(),
        incurred_on: "2026-01-01".into(),
        ..CostInput::default()
    };
    assert!(p.jobs_of("metrics.refresh").await.is_empty());
    p.s.record_cost(&p.cm, &cost, "manual").await.unwrap();
    p.s.record_cost(&p.cm, &cost, "manual").await.unwrap();
    p.s.set_fx_rate(
        &p.cm,
        &FxRateInput {
            currency: "EUR".into(),
            valid_from: "2026-01-01".into(),
            rate: "1.10".into(),
        },
    )
    .await
    .unwrap();
    let queued = p.jobs_of("metrics.refresh").await;
    assert_eq!(queued.len(), 1, "three changes, one refresh");
    assert_eq!(
        queued[0].run_at.millis() - crate::partners_fixtures::START,
        120_000,
        "two minutes for more changes to arrive"
    );
}

#[tokio::test]
async fn the_partner_tables_read_from_monthly_rollups_agree_with_each_partners_own_facts() {
    let w = world().await;
    let p = &w.p;
    // Whole months in the middle, odd days at both ends, and a period of days only.
    for (from, to) in [
        ("2026-01-15", "2026-05-20"),
        ("2026-02-14", "2026-03-11"),
        ("2026-01-01", "2026-07-20"),
    ] {
        let period = MetricsQuery {
            from: from.into(),
            to: to.into(),
            ..MetricsQuery::default()
        }
        .check(trellis_domain::Timestamp::from_date("2026-07-20").unwrap())
        .unwrap();
        let d = p.s.metrics_dashboard(&p.cm, &period).await.unwrap();
        for row in &d.partners {
            let own =
                p.s.partner_dashboard(&p.cm, row.org_id, &period)
                    .await
                    .unwrap();
            assert_eq!(
                serde_json::to_value(row).unwrap(),
                serde_json::to_value(&own.partner).unwrap(),
                "{from}..{to}"
            );
        }
        assert!(!d.partners.is_empty() || from == "2026-02-14");
    }
}
