//! Attribution: touchpoints captured from registrations and co-sell requests, entered by hand
//! with every bad field named (and nothing written), model runs whose money sums exactly,
//! replays on the same journeys, comparisons, and who may see and do what.

use trellis_domain::attribution::{TouchpointKind, TouchpointOrigin};
use trellis_domain::cosell::Action;
use trellis_domain::deals::Decision;
use trellis_domain::{Currency, Money, OpportunityId, OrgId, Role};
use trellis_service::attribution::{
    FxRateInput, ModelParams, RunInput, TouchpointInput, TouchpointQuery,
};
use trellis_service::cosell::CoSellInput;
use trellis_service::crm::{AccountInput, OpportunityInput};
use trellis_service::deals::{Conversion, RegistrationInput};
use trellis_service::platform::PageRequest;
use trellis_service::{Actor, Error};

use crate::partners_fixtures::Program;

struct World {
    p: Program,
    northwind: OrgId,
    globex: OrgId,
    seller: Actor,
    partner_admin: Actor,
}

async fn world() -> World {
    let p = Program::new().await;
    let northwind = p.partner("Northwind", "reseller").await.id;
    let globex = p.partner("Globex Partners", "referral").await.id;
    let seller = p
        .user(northwind, Role::PartnerUser, "sam@northwind.example")
        .await;
    let partner_admin = p
        .user(northwind, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    p.s.upsert_account(
        &p.admin,
        "salesforce",
        "001A",
        None,
        &AccountInput {
            name: "Acme Corporation".into(),
            website: "acme.example".into(),
            ..AccountInput::default()
        },
    )
    .await
    .unwrap();
    World {
        p,
        northwind,
        globex,
        seller,
        partner_admin,
    }
}

/// An opportunity on Acme in USD (the reporting currency), closed or open.
async fn opportunity(
    p: &Program,
    key: &str,
    status: &str,
    minor: i64,
    close: &str,
) -> OpportunityId {
    let (o, _) =
        p.s.upsert_opportunity(
            &p.admin,
            "salesforce",
            key,
            None,
            &OpportunityInput {
                account_external_id: "001A".into(),
                name: format!("Acme {key}"),
                stage: "Closed".into(),
                status: Some(status.parse().unwrap()),
                amount: Some(Money::new(minor, Currency::parse("USD").unwrap())),
                close_date: close.into(),
                ..OpportunityInput::default()
            },
        )
        .await
        .unwrap();
    o.id
}

async fn touch(
    p: &Program,
    o: OpportunityId,
    partner: Option<OrgId>,
    channel: &str,
    kind: &str,
    at: &str,
) {
    p.s.record_touchpoint(
        &p.cm,
        &TouchpointInput {
            opportunity_id: Some(o),
            partner_id: partner,
            channel: channel.into(),
            kind: kind.into(),
            occurred_at: at.into(),
            ..TouchpointInput::default()
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn registrations_and_accepted_co_sell_requests_become_touchpoints_once() {
    let w = world().await;
    let p = &w.p;
    let r =
        p.s.register_deal(
            &w.seller,
            &RegistrationInput {
                company_name: "Initech".into(),
                website: "initech.com".into(),
                contact_name: "Hank".into(),
                contact_email: "hank@initech.com".into(),
                product: "Platform".into(),
                amount_minor: 1_000_000,
                currency: "EUR".into(),
                expected_close: "2026-06-30".into(),
                ..RegistrationInput::default()
            },
        )
        .await
        .unwrap();
    p.advance_days(3);
    let approved =
        p.s.decide_deal(&p.cm, r.id, r.version, Decision::Approve, "")
            .await
            .unwrap();
    let (_, opp) =
        p.s.convert_deal(&p.cm, r.id, approved.version, &Conversion::default())
            .await
            .unwrap();
    let touches = p.s.opportunity_touchpoints(&p.cm, opp.id).await.unwrap();
    assert_eq!(touches.len(), 1);
    let t = &touches[0];
    assert_eq!(
        (t.kind, t.origin, t.partner_id, t.channel.as_str()),
        (
            TouchpointKind::Sourced,
            TouchpointOrigin::Registration,
            Some(w.northwind),
            "Northwind"
        )
    );
    assert_eq!(
        t.occurred_at, r.created_at,
        "dated when the partner registered"
    );
    assert_eq!(t.actor_label, "Pat Example");

    p.advance_days(1);
    let ask = CoSellInput {
        kind: "intro".into(),
        message: "Could you introduce us to their CIO?".into(),
        partner_id: Some(w.northwind),
        opportunity_id: Some(opp.id),
        ..CoSellInput::default()
    };
    let req = p.s.request_cosell(&p.cm, &ask).await.unwrap();
    p.s.act_on_cosell(&w.partner_admin, req.id, req.version, Action::Accept, "")
        .await
        .unwrap();
    let touches = p.s.opportunity_touchpoints(&p.cm, opp.id).await.unwrap();
    let kinds: Vec<_> = touches.iter().map(|t| (t.kind, t.origin)).collect();
    assert_eq!(
        kinds,
        [
            (TouchpointKind::Sourced, TouchpointOrigin::Registration),
            (TouchpointKind::CoSell, TouchpointOrigin::CoSell)
        ]
    );
    assert_eq!(p.events("touchpoint.recorded").await.len(), 2);
}

#[tokio::test]
async fn a_bad_touchpoint_names_every_field_and_writes_nothing() {
    let w = world().await;
    let p = &w.p;
    let o = opportunity(p, "006A", "won", 100_000, "2026-03-01").await;
    let bad = TouchpointInput {
        opportunity_id: Some(o),
        partner_id: Some(w.northwind),
        channel: "Webinar".into(),
        kind: "email".into(),
        occurred_at: "2026-02-30".into(),
        note: "x".repeat(1_001),
        ..TouchpointInput::default()
    };
    let Err(Error::Validation(e)) = p.s.record_touchpoint(&p.cm, &bad).await else {
        panic!("expected a validation error");
    };
    let mut fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["channel", "kind", "note", "occurred_at"]);

    let future = TouchpointInput {
        opportunity_id: Some(o),
        partner_id: Some(p.vendor.id),
        kind: "influence".into(),
        occurred_at: "2026-01-05".into(),
        ..TouchpointInput::default()
    };
    let Err(Error::Validation(e)) = p.s.record_touchpoint(&p.cm, &future).await else {
        panic!("expected a validation error");
    };
    let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        ["partner_id", "occurred_at"],
        "the vendor is no partner"
    );
    let page =
        p.s.touchpoints(&p.cm, &TouchpointQuery::default(), &PageRequest::default())
            .await
            .unwrap();
    assert!(page.items.is_empty());
    assert!(p.events("touchpoint.recorded").await.is_empty());
}

#[tokio::test]
async fn model_runs_split_the_revenue_exactly_replay_on_the_same_journeys_and_compare() {
    let w = world().await;
    let p = &w.p;
    p.advance_days(200);
    let won = opportunity(p, "006A", "won", 100_001, "2026-06-30").await;
    let lost = opportunity(p, "006B", "lost", 50_000, "2026-06-15").await;
    let direct = opportunity(p, "006C", "won", 70_000, "2026-05-01").await;
    let outside = opportunity(p, "006D", "won", 9_999, "2025-06-01").await;
    touch(p, won, Some(w.northwind), "", "sourced", "2026-03-01").await;
    touch(p, won, Some(w.globex), "", "influence", "2026-04-01").await;
    touch(p, won, None, "AWS Marketplace", "marketplace", "2026-06-29").await;
    touch(p, lost, Some(w.globex), "", "referral", "2026-05-01").await;
    touch(p, outside, Some(w.globex), "", "referral", "2025-05-01").await;
    let _ = direct;

    let input = RunInput {
        params: ModelParams {
            model: "linear".into(),
            ..ModelParams::default()
        },
        from: "2026-01-01".into(),
        to: "2026-12-31".into(),
        lookback_days: None,
    };
    let linear = p.s.run_model(&p.cm, &input).await.unwrap();
    assert_eq!(
        (
            linear.summary.won,
            linear.summary.touched_won,
            linear.summary.touched_lost
        ),
        (2, 1, 1)
    );
    assert_eq!(linear.summary.attributed_amount_minor, 100_001);
    let values: Vec<(&str, i64)> = linear
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.value.amount_minor))
        .collect();
    assert_eq!(
        values.iter().map(|v| v.1).sum::<i64>(),
        100_001,
        "to the cent"
    );
    assert_eq!(values.len(), 3);
    assert!(
        values.iter().all(|v| (33_333..=33_335).contains(&v.1)),
        "{values:?}"
    );

    // The same journeys under Markov. By hand: S→Northwind ½, S→Globex ½, Northwind→Globex 1,
    // Globex→AWS ½ (else lost), AWS→won 1; P(won) = ½. Without Northwind P = ¼ (effect ½),
    // without Globex or AWS P = 0 (effect 1): shares 1/5, 2/5, 2/5.
    let markov =
        p.s.replay_run(
            &p.cm,
            linear.id,
            &ModelParams {
                model: "markov".into(),
                order: Some(1),
                ..ModelParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(markov.replay_of, Some(linear.id));
    assert_eq!(markov.cut, linear.cut);
    assert_eq!(markov.params.order, Some(1));
    assert_eq!(
        markov
            .channels
            .iter()
            .map(|c| c.value.amount_minor)
            .sum::<i64>(),
        100_001
    );
    let value_of = |run: &trellis_service::attribution::ModelRun, name: &str| {
        run.channels
            .iter()
            .find(|c| c.channel == name)
            .map(|c| c.value.amount_minor)
            .unwrap()
    };
    assert!((20_000..=20_001).contains(&value_of(&markov, "Northwind")));
    assert!((40_000..=40_001).contains(&value_of(&markov, "Globex Partners")));
    assert!((40_000..=40_001).contains(&value_of(&markov, "AWS Marketplace")));

    let cmp =
        p.s.compare_runs(&p.cm, linear.id, Some(markov.id))
            .await
            .unwrap();
    assert_eq!(cmp.rows.len(), 3);
    let globex = cmp
        .rows
        .iter()
        .find(|r| r.channel == "Globex Partners")
        .unwrap();
    assert_eq!(
        globex.change.amount_minor,
        value_of(&markov, "Globex Partners") - value_of(&linear, "Globex Partners")
    );
}

#[tokio::test]
async fn a_run_with_parameters_of_another_model_or_bad_dates_is_refused_and_not_recorded() {
    let w = world().await;
    let p = &w.p;
    let bad = RunInput {
        params: ModelParams {
            model: "linear".into(),
            order: Some(2),
            ..ModelParams::default()
        },
        from: "2026-13-01".into(),
        ..RunInput::default()
    };
    let Err(Error::Validation(e)) = p.s.run_model(&p.cm, &bad).await else {
        panic!("expected a validation error");
    };
    let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["order", "from"]);
    let runs =
        p.s.model_runs(&p.cm, &PageRequest::default())
            .await
            .unwrap();
    assert!(runs.items.is_empty(), "nothing recorded for a refused run");
}

#[tokio::test]
async fn deals_in_other_currencies_convert_at_their_close_dates_rate_or_are_left_out() {
    let w = world().await;
    let p = &w.p;
    p.advance_days(200);
    let (eur, gbp) = (
        Currency::parse("EUR").unwrap(),
        Currency::parse("GBP").unwrap(),
    );
    let deal = |key: &'static str, currency: Currency, close: &'static str| {
        let s = &p.s;
        let admin = &p.admin;
        async move {
            let (o, _) = s
                .upsert_opportunity(
                    admin,
                    "salesforce",
                    key,
                    None,
                    &OpportunityInput {
                        account_external_id: "001A".into(),
                        name: key.into(),
                        stage: "Closed Won".into(),
                        amount: Some(Money::new(100_000, currency)),
                        close_date: close.into(),
                        ..OpportunityInput::default()
                    },
                )
                .await
                .unwrap();
            o.id
        }
    };
    let early = deal("006E", eur, "2026-02-10").await;
    let late = deal("006F", eur, "2026-05-10").await;
    let pound = deal("006G", gbp, "2026-05-10").await;
    for o in [early, late, pound] {
        touch(p, o, Some(w.northwind), "", "sourced", "2026-01-15").await;
    }
    for (from, rate) in [("2026-01-01", "1.10"), ("2026-04-01", "1,20")] {
        let input = FxRateInput {
            currency: "eur".into(),
            valid_from: from.into(),
            rate: rate.into(),
        };
        p.s.set_fx_rate(&p.cm, &input).await.unwrap();
    }
    let bad = FxRateInput {
        currency: "USD".into(),
        valid_from: "2026-13-01".into(),
        rate: "-1".into(),
    };
    let Err(Error::Validation(e)) = p.s.set_fx_rate(&p.cm, &bad).await else {
        panic!("expected a validation error");
    };
    let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        ["currency", "valid_from", "rate"],
        "USD is the reporting currency"
    );
    let rates = p.s.fx_rates(&p.cm).await.unwrap();
    assert_eq!(
        rates.iter().map(|r| r.rate.as_str()).collect::<Vec<_>>(),
        ["1.1", "1.2"]
    );

    let input = RunInput {
        params: ModelParams {
            model: "first".into(),
            ..ModelParams::default()
        },
        from: "2026-01-01".into(),
        to: "2026-06-30".into(),
        lookback_days: None,
    };
    let run = p.s.run_model(&p.cm, &input).await.unwrap();
    assert_eq!((run.summary.converted, run.summary.no_rate), (2, 1));
    // EUR 1,000.00 at 1.10 and at 1.20: USD 2,300.00; the GBP deal has no rate.
    assert_eq!(run.summary.attributed_amount_minor, 230_000);
    assert_eq!(run.channels[0].value.amount_minor, 230_000);
    assert_eq!(run.channels[0].value.currency.code(), "USD");
}

#[tokio::test]
async fn an_accounts_own_touches_count_for_its_deals_within_the_look_back() {
    let w = world().await;
    let p = &w.p;
    p.advance_days(200);
    let won = opportunity(p, "006A", "won", 90_000, "2026-06-30").await;
    touch(p, won, Some(w.northwind), "", "sourced", "2026-05-01").await;
    let account = p.s.get_opportunity(&p.cm, won).await.unwrap().account_id;
    for (at, channel) in [
        ("2026-06-01", "Spring webinar"),
        ("2026-01-02", "Old mailing"),
    ] {
        let input = TouchpointInput {
            account_id: account,
            channel: channel.into(),
            kind: "campaign".into(),
            occurred_at: at.into(),
            ..TouchpointInput::default()
        };
        p.s.record_touchpoint(&p.cm, &input).await.unwrap();
    }
    let journey = p.s.opportunity_touchpoints(&p.cm, won).await.unwrap();
    assert_eq!(
        journey.len(),
        3,
        "the deal's page lists its account's touches too"
    );
    let input = RunInput {
        params: ModelParams {
            model: "linear".into(),
            ..ModelParams::default()
        },
        from: "2026-01-01".into(),
        to: "2026-12-31".into(),
        lookback_days: Some(90),
    };
    let run = p.s.run_model(&p.cm, &input).await.unwrap();
    let split: Vec<(&str, i64)> = run
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.value.amount_minor))
        .collect();
    assert_eq!(
        split,
        [("Northwind", 45_000), ("Spring webinar", 45_000)],
        "the January mailing is older than 90 days before the close"
    );
}

#[tokio::test]
async fn partners_see_no_attribution_and_reps_only_read_it() {
    let w = world().await;
    let p = &w.p;
    let rep = p
        .user(p.vendor.id, Role::SalesRep, "rep@vendor.example")
        .await;
    let o = opportunity(p, "006A", "won", 100, "2026-01-01").await;
    assert!(matches!(
        p.s.opportunity_touchpoints(&w.seller, o).await,
        Err(Error::Forbidden | Error::NotFound)
    ));
    assert!(p.s.opportunity_touchpoints(&rep, o).await.is_ok());
    let input = TouchpointInput {
        opportunity_id: Some(o),
        channel: "Webinar".into(),
        kind: "campaign".into(),
        ..TouchpointInput::default()
    };
    assert!(matches!(
        p.s.record_touchpoint(&rep, &input).await,
        Err(Error::Forbidden)
    ));
    let run = RunInput {
        params: ModelParams {
            model: "first".into(),
            ..ModelParams::default()
        },
        ..RunInput::default()
    };
    assert!(matches!(
        p.s.run_model(&rep, &run).await,
        Err(Error::Forbidden)
    ));
    assert!(p.s.model_runs(&rep, &PageRequest::default()).await.is_ok());
}
