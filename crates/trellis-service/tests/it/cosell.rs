//! Co-selling: requests both ways with their legal steps, validation naming each field,
//! partner isolation, the partner joining the opportunity on acceptance, the e-mails to the
//! other side, and the comp-credit report's figures.

use trellis_domain::cosell::credit::PartnerRole;
use trellis_domain::cosell::{Action, Direction, RequestStatus};
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::partners::PartnerStatus;
use trellis_domain::{Currency, Money, OpportunityId, OrgId, Role};
use trellis_service::cosell::{CoSellInput, CoSellQuery, CompCreditQuery};
use trellis_service::crm::{AccountInput, OpportunityInput};
use trellis_service::deals::{Registration, RegistrationInput};
use trellis_service::partners::PartnerPatch;
use trellis_service::platform::PageRequest;
use trellis_service::platform::audit::AuditQuery;
use trellis_service::{Actor, Error};
use trellis_store::deals::involvement;

use crate::partners_fixtures::{Program, fields};

/// A program with a rep, a partner (admin and seller) and Acme's account and opportunity,
/// owned by the rep.
struct World {
    p: Program,
    rep: Actor,
    partner: OrgId,
    partner_admin: Actor,
    seller: Actor,
    account: trellis_domain::AccountId,
    opportunity: OpportunityId,
}

async fn world() -> World {
    let p = Program::new().await;
    let rep = p
        .user(p.vendor.id, Role::SalesRep, "rep@vendor.example")
        .await;
    let org = p.partner("Northwind", "reseller").await;
    let partner_admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let seller = p
        .user(org.id, Role::PartnerUser, "sam@northwind.example")
        .await;
    let (account, _) =
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
    let opportunity = opportunity(&p, "006A", "Acme renewal", "rep@vendor.example", 0).await;
    World {
        p,
        rep,
        partner: org.id,
        partner_admin,
        seller,
        account: account.id,
        opportunity,
    }
}

async fn opportunity(p: &Program, key: &str, name: &str, owner: &str, minor: i64) -> OpportunityId {
    let (o, _) =
        p.s.upsert_opportunity(
            &p.admin,
            "salesforce",
            key,
            None,
            &OpportunityInput {
                account_external_id: "001A".into(),
                name: name.into(),
                stage: "Proposal".into(),
                owner: owner.into(),
                amount: Some(Money::new(minor, Currency::parse("EUR").unwrap())),
                close_date: "2026-02-15".into(),
                ..OpportunityInput::default()
            },
        )
        .await
        .unwrap();
    o.id
}

fn ask(w: &World, kind: &str) -> CoSellInput {
    CoSellInput {
        kind: kind.into(),
        message: "You know their CIO: could you introduce us?".into(),
        partner_id: Some(w.partner),
        opportunity_id: Some(w.opportunity),
        ..CoSellInput::default()
    }
}

async fn audit_actions(p: &Program, id: &str) -> Vec<String> {
    let q = AuditQuery {
        object_id: Some(id.to_owned()),
        ..AuditQuery::default()
    };
    let mut actions: Vec<String> =
        p.s.list_audit(&p.admin, &q, &PageRequest::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|e| e.action)
            .collect();
    actions.reverse();
    actions
}

#[tokio::test]
async fn a_rep_asks_a_partner_who_accepts_joins_the_opportunity_and_completes() {
    let w = world().await;
    let p = &w.p;
    let r = p.s.request_cosell(&w.rep, &ask(&w, "intro")).await.unwrap();
    assert_eq!(
        (r.direction, r.status, r.account_id),
        (Direction::ToPartner, RequestStatus::Open, Some(w.account)),
        "the account is the opportunity's"
    );
    assert_eq!(r.customer_name, "Acme Corporation");
    assert!(r.reference.starts_with("CS-") && r.reference.len() == 11);
    let mail = p.emails_to("admin@northwind.example").await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(
        mail[0].subject,
        "Co-sell request: Introduction to the customer for Acme Corporation"
    );
    assert!(mail[0].body.contains(&format!("/portal/co-sell/{}", r.id)));
    assert!(mail[0].body.contains("could you introduce us?"));
    assert!(
        p.emails_to("sam@northwind.example").await.is_empty(),
        "the partner's admins are asked, not every user"
    );

    // The side that asked cannot answer its own request.
    assert!(matches!(
        p.s.act_on_cosell(&w.rep, r.id, r.version, Action::Accept, "")
            .await,
        Err(Error::InvalidState(_))
    ));
    let accepted =
        p.s.act_on_cosell(
            &w.seller,
            r.id,
            r.version,
            Action::Accept,
            "Our CTO knows her",
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, RequestStatus::Accepted);
    assert_eq!(accepted.answer.as_ref().unwrap().text, "Our CTO knows her");
    let partners =
        p.s.opportunity_partners(&w.rep, w.opportunity)
            .await
            .unwrap();
    assert_eq!(partners.len(), 1);
    assert_eq!(
        (partners[0].partner_id, partners[0].role),
        (w.partner, PartnerRole::CoSell)
    );
    assert!(
        p.emails_to("rep@vendor.example")
            .await
            .iter()
            .any(|m| m.subject
                == "Co-sell request accepted: Introduction to the customer for Acme Corporation"
                && m.body.contains("Our CTO knows her")
                && m.body.contains(&format!("/console/co-sell/{}", r.id)))
    );
    assert!(matches!(
        p.s.act_on_cosell(
            &w.partner_admin,
            r.id,
            accepted.version,
            Action::Decline,
            "no"
        )
        .await,
        Err(Error::InvalidState(_))
    ));

    let done =
        p.s.act_on_cosell(
            &w.rep,
            r.id,
            accepted.version,
            Action::Complete,
            "Met on Tuesday",
        )
        .await
        .unwrap();
    assert_eq!(done.status, RequestStatus::Completed);
    assert!(
        p.emails_to("sam@northwind.example")
            .await
            .iter()
            .any(|m| m.subject.starts_with("Co-sell request completed")),
        "the person who accepted hears of the completion"
    );
    for event in ["cosell.requested", "cosell.accepted", "cosell.completed"] {
        assert_eq!(p.events(event).await.len(), 1, "{event}");
    }
    assert_eq!(
        audit_actions(p, &r.id.to_string()).await,
        ["cosell.requested", "cosell.accepted", "cosell.completed"]
    );
}

#[tokio::test]
async fn accepting_keeps_a_partner_that_is_already_on_the_opportunity_in_its_role() {
    let w = world().await;
    let p = &w.p;
    {
        let mut tx = p.s.db().begin().await.unwrap();
        involvement::attach(
            &mut tx.exec(),
            w.opportunity.as_uuid(),
            w.partner.as_uuid(),
            "sourced",
            None,
            p.s.now().millis(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let r =
        p.s.request_cosell(&w.rep, &ask(&w, "services"))
            .await
            .unwrap();
    p.s.act_on_cosell(&w.partner_admin, r.id, r.version, Action::Accept, "")
        .await
        .unwrap();
    let partners =
        p.s.opportunity_partners(&w.rep, w.opportunity)
            .await
            .unwrap();
    assert_eq!(partners.len(), 1);
    assert_eq!(partners[0].role, PartnerRole::Sourced);
}

/// A registration of Northwind's seller.
async fn registration(w: &World, company: &str, website: &str) -> Registration {
    w.p.s
        .register_deal(
            &w.seller,
            &RegistrationInput {
                company_name: company.into(),
                website: website.into(),
                contact_name: "Hank".into(),
                contact_email: "hank@example.com".into(),
                product: "Platform".into(),
                amount_minor: 1_000_000,
                currency: "EUR".into(),
                expected_close: "2026-06-30".into(),
                ..RegistrationInput::default()
            },
        )
        .await
        .unwrap()
}

/// The recipients of the e-mails queued after the first `before`, in order.
async fn sent_since(p: &Program, before: usize) -> Vec<String> {
    p.emails().await[before..]
        .iter()
        .map(|m| m.to.clone())
        .collect()
}

fn by_name(kind: &str, customer: &str) -> CoSellInput {
    CoSellInput {
        kind: kind.into(),
        message: "Need 15 % off to win".into(),
        customer_name: customer.into(),
        ..CoSellInput::default()
    }
}

#[tokio::test]
async fn a_partner_asks_its_channel_manager_or_else_every_reviewer() {
    let w = world().await;
    let p = &w.p;
    let deal = registration(&w, "Globex", "globex.com").await;
    let before = p.emails().await.len();
    let input = CoSellInput {
        kind: "presales".into(),
        message: "Security questionnaire, 200 questions".into(),
        registration_id: Some(deal.id),
        ..CoSellInput::default()
    };
    let r = p.s.request_cosell(&w.seller, &input).await.unwrap();
    assert_eq!(
        (r.direction, r.customer_name.as_str(), r.registration_id),
        (Direction::ToVendor, "Globex", Some(deal.id))
    );
    assert_eq!(
        sent_since(p, before).await,
        ["admin@vendor.example", "cm@vendor.example"],
        "no channel manager: every reviewer is asked"
    );

    let cm_id = p.cm.user().unwrap().user_id;
    let partner = p.s.get_partner(&p.admin, w.partner).await.unwrap();
    let patch = PartnerPatch {
        owner_id: Some(Some(cm_id)),
        ..PartnerPatch::default()
    };
    p.s.update_partner(&p.admin, w.partner, partner.version, &patch)
        .await
        .unwrap();
    let before = p.emails().await.len();
    let other =
        p.s.request_cosell(&w.partner_admin, &by_name("pricing", "Initech"))
            .await
            .unwrap();
    assert_eq!(other.registration_id, None);
    assert_eq!(sent_since(p, before).await, ["cm@vendor.example"]);
}

#[tokio::test]
async fn the_vendor_declines_with_a_reason_and_the_partner_withdraws_what_is_still_live() {
    let w = world().await;
    let p = &w.p;
    let r =
        p.s.request_cosell(&w.seller, &by_name("presales", "Globex"))
            .await
            .unwrap();
    let other =
        p.s.request_cosell(&w.partner_admin, &by_name("pricing", "Initech"))
            .await
            .unwrap();
    // Declining names the missing reason and changes nothing.
    let blank =
        p.s.act_on_cosell(&p.cm, r.id, r.version, Action::Decline, "  ");
    assert_eq!(fields(blank.await), ["reason"]);
    assert_eq!(
        p.s.get_cosell(&w.seller, r.id).await.unwrap().status,
        RequestStatus::Open
    );
    let not_theirs =
        p.s.act_on_cosell(&p.cm, r.id, r.version, Action::Withdraw, "");
    assert!(matches!(
        not_theirs.await,
        Err(Error::InvalidState(
            "only the side that asked can withdraw a request"
        ))
    ));
    let reason = "No engineer free this month";
    let declined =
        p.s.act_on_cosell(&p.cm, r.id, r.version, Action::Decline, reason)
            .await
            .unwrap();
    assert_eq!(declined.status, RequestStatus::Declined);
    assert!(p.emails_to("sam@northwind.example").await.iter().any(|m| {
        m.subject == "Co-sell request declined: Technical pre-sales for Globex"
            && m.body.contains("Reason: No engineer free this month")
    }));
    let closed =
        p.s.act_on_cosell(&w.seller, r.id, declined.version, Action::Withdraw, "");
    assert!(matches!(closed.await, Err(Error::InvalidState(_))));
    // A stale version is refused; any user of the partner withdraws its request.
    let stale =
        p.s.act_on_cosell(&w.seller, other.id, 2, Action::Withdraw, "");
    assert!(matches!(stale.await, Err(Error::StaleVersion { .. })));
    let withdrawn =
        p.s.act_on_cosell(
            &w.seller,
            other.id,
            other.version,
            Action::Withdraw,
            "Won anyway",
        )
        .await
        .unwrap();
    assert_eq!(withdrawn.status, RequestStatus::Withdrawn);
    assert_eq!(withdrawn.closing.unwrap().text, "Won anyway");
    assert_eq!(p.events("cosell.declined").await.len(), 1);
    assert_eq!(p.events("cosell.withdrawn").await.len(), 1);
    assert!(
        p.emails_to("admin@vendor.example")
            .await
            .iter()
            .any(|m| m.subject == "Co-sell request withdrawn: Pricing approval for Initech"),
        "a request withdrawn before an answer tells everyone who was asked"
    );
}

#[tokio::test]
async fn every_bad_field_of_a_request_is_named_and_nothing_is_written() {
    let w = world().await;
    let p = &w.p;
    assert_eq!(
        fields(p.s.request_cosell(&w.rep, &CoSellInput::default()).await),
        ["kind", "message", "partner_id", "account_id"]
    );
    let wrong = CoSellInput {
        kind: "pricing".into(),
        registration_id: Some(trellis_domain::DealRegistrationId::new()),
        ..ask(&w, "pricing")
    };
    assert_eq!(
        fields(p.s.request_cosell(&w.rep, &wrong).await),
        ["kind", "registration_id"]
    );
    let nobody = CoSellInput {
        partner_id: Some(p.vendor.id),
        opportunity_id: Some(OpportunityId::new()),
        ..ask(&w, "intro")
    };
    assert_eq!(
        fields(p.s.request_cosell(&w.rep, &nobody).await),
        ["partner_id", "opportunity_id"]
    );
    // The partner side: no vendor ids, and a customer when no registration.
    let from_partner = CoSellInput {
        kind: "intro".into(),
        message: "x".into(),
        account_id: Some(w.account),
        ..CoSellInput::default()
    };
    assert_eq!(
        fields(p.s.request_cosell(&w.seller, &from_partner).await),
        ["kind", "account_id", "customer_name"]
    );
    // Another partner's registration is no registration of yours.
    let other = p.partner("Contoso", "reseller").await;
    let stranger = p
        .user(other.id, Role::PartnerUser, "eve@contoso.example")
        .await;
    let theirs = registration(&w, "Umbrella", "umbrella.com").await;
    let e =
        p.s.request_cosell(
            &stranger,
            &CoSellInput {
                kind: "demo".into(),
                message: "x".into(),
                registration_id: Some(theirs.id),
                ..CoSellInput::default()
            },
        )
        .await;
    let Err(Error::Validation(e)) = e else {
        panic!("expected a validation error, got {e:?}");
    };
    assert_eq!(
        e.for_field("registration_id"),
        Some("no such registration of yours")
    );
    // A suspended partner cannot be asked; finance cannot ask at all.
    let contoso = p.s.get_partner(&p.admin, other.id).await.unwrap();
    p.s.set_partner_status(
        &p.admin,
        other.id,
        contoso.version,
        PartnerStatus::Suspended,
        "audit",
    )
    .await
    .unwrap();
    let suspended = CoSellInput {
        partner_id: Some(other.id),
        ..ask(&w, "intro")
    };
    let Err(Error::Validation(e)) = p.s.request_cosell(&w.rep, &suspended).await else {
        panic!("a suspended partner was asked");
    };
    assert_eq!(
        e.for_field("partner_id"),
        Some("is suspended; only active or onboarding partners can be asked")
    );
    let finance = p
        .user(p.vendor.id, Role::Finance, "fin@vendor.example")
        .await;
    assert!(matches!(
        p.s.request_cosell(&finance, &ask(&w, "intro")).await,
        Err(Error::Forbidden)
    ));
    assert!(p.events("cosell.requested").await.is_empty());
    assert!(p.emails_to("admin@northwind.example").await.is_empty());
}

#[tokio::test]
async fn a_partner_sees_and_answers_only_its_own_organisations_requests() {
    let w = world().await;
    let p = &w.p;
    let mine = p.s.request_cosell(&w.rep, &ask(&w, "intro")).await.unwrap();
    let other = p.partner("Contoso", "reseller").await;
    let stranger = p
        .user(other.id, Role::PartnerAdmin, "eve@contoso.example")
        .await;
    let theirs =
        p.s.request_cosell(
            &w.rep,
            &CoSellInput {
                partner_id: Some(other.id),
                ..ask(&w, "technical")
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        p.s.get_cosell(&stranger, mine.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        p.s.act_on_cosell(&stranger, mine.id, mine.version, Action::Decline, "")
            .await,
        Err(Error::NotFound)
    ));
    let listed =
        p.s.list_cosell(&stranger, &CoSellQuery::default(), &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(
        listed.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        [theirs.id]
    );
    // A partner's partner filter cannot widen its list.
    let widened = CoSellQuery {
        partner_id: Some(w.partner),
        ..CoSellQuery::default()
    };
    let listed =
        p.s.list_cosell(&stranger, &widened, &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(listed.items.len(), 1);
    // The vendor sees both, and filters by partner, direction and opportunity.
    let all =
        p.s.list_cosell(&p.cm, &CoSellQuery::default(), &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(all.items.len(), 2);
    let northwind =
        p.s.list_cosell(&p.cm, &widened, &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(northwind.items[0].id, mine.id);
    let inbound = CoSellQuery {
        direction: Some(Direction::ToVendor),
        ..CoSellQuery::default()
    };
    assert!(
        p.s.list_cosell(&p.cm, &inbound, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        p.s.get_cosell(&w.partner_admin, mine.id).await.unwrap().id,
        mine.id
    );
}

/// One opportunity of the report's world: key, name, owner, status, amount in minor units,
/// currency and close date.
type Deal = (
    &'static str,
    &'static str,
    &'static str,
    OpportunityStatus,
    i64,
    &'static str,
    &'static str,
);

/// Reps, opportunities in three currencies and partners in every role, for the report.
async fn credit_world() -> (World, Actor) {
    use OpportunityStatus::{Lost, Open, Won};
    let w = world().await;
    let p = &w.p;
    let rep2 = p
        .user(p.vendor.id, Role::SalesRep, "rep2@vendor.example")
        .await;
    let contoso = p.partner("Contoso", "si").await.id;
    let (rep, north) = ("rep@vendor.example", w.partner);
    let deals: [(Deal, &[(OrgId, &str)]); 6] = [
        (
            (
                "K1",
                "Acme platform",
                rep,
                Won,
                1_000_004,
                "EUR",
                "2026-02-01",
            ),
            &[(north, "sourced")],
        ),
        (
            ("K2", "Acme US", rep, Open, 99_950, "USD", "2026-03-31"),
            &[(contoso, "co_sell"), (north, "influence")],
        ),
        (
            ("K3", "Acme lost", rep, Lost, 50_000, "EUR", "2026-01-01"),
            &[(north, "sourced")],
        ),
        (
            (
                "K4",
                "Acme Japan",
                "rep2@vendor.example",
                Won,
                1_201,
                "JPY",
                "2026-02-10",
            ),
            &[(contoso, "influence")],
        ),
        // A direct deal, and one closing after the period.
        (
            ("K5", "Acme direct", rep, Won, 7_700, "EUR", "2026-02-01"),
            &[],
        ),
        (
            ("K6", "Acme next year", rep, Won, 5_000, "EUR", "2026-04-01"),
            &[(north, "sourced")],
        ),
    ];
    for ((key, name, owner, status, minor, currency, close), partners) in deals {
        let input = OpportunityInput {
            account_external_id: "001A".into(),
            name: name.into(),
            stage: "Stage".into(),
            status: Some(status),
            owner: owner.into(),
            amount: Some(Money::new(minor, Currency::parse(currency).unwrap())),
            close_date: close.into(),
            ..OpportunityInput::default()
        };
        let (o, _) =
            p.s.upsert_opportunity(&p.admin, "salesforce", key, None, &input)
                .await
                .unwrap();
        let mut tx = p.s.db().begin().await.unwrap();
        for (org, role) in partners {
            involvement::attach(&mut tx.exec(), o.id.as_uuid(), org.as_uuid(), role, None, 0)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    (w, rep2)
}

fn first_quarter() -> CompCreditQuery {
    CompCreditQuery {
        from: "2026-01-01".into(),
        to: "2026-03-31".into(),
        ..CompCreditQuery::default()
    }
}

#[tokio::test]
async fn comp_credit_applies_the_highest_role_rate_rounds_half_away_and_totals_per_currency() {
    let (w, rep2) = credit_world().await;
    let p = &w.p;
    let q = CompCreditQuery {
        sourced_rate: "12.5".into(),
        co_sell_rate: "50".into(),
        influence_rate: "33.33".into(),
        ..first_quarter()
    };
    let report = p.s.comp_credit(&p.admin, &q).await.unwrap();
    assert!(!report.own_only);
    assert_eq!(
        report.reps.len(),
        2,
        "the direct and out-of-range deals are left out"
    );
    let of = |actor: &Actor| {
        let id = actor.user().map(|u| u.user_id);
        report.reps.iter().find(|r| r.owner_id == id).unwrap()
    };
    let rep = of(&w.rep);
    let lines: Vec<(&str, PartnerRole, u32, i64)> = rep
        .lines
        .iter()
        .map(|l| {
            (
                l.opportunity_name.as_str(),
                l.role,
                l.rate,
                l.credit.amount_minor,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            // Lost: no credit.
            ("Acme lost", PartnerRole::Sourced, 1_250, 0),
            // EUR 10,000.04 × 12.5 % = 1,250.005 → 1,250.01 (the half rounds away from zero).
            ("Acme platform", PartnerRole::Sourced, 1_250, 125_001),
            // USD 999.50 with co-sell (50 %) and influence (33.33 %): the higher rate, once.
            ("Acme US", PartnerRole::CoSell, 5_000, 49_975),
        ]
    );
    assert_eq!(rep.lines[2].partners.len(), 2);
    let (eur, usd) = (&rep.totals[0], &rep.totals[1]);
    assert_eq!(
        (
            eur.currency.code(),
            eur.won_amount,
            eur.won_credit,
            eur.lost_amount
        ),
        ("EUR", 1_000_004, 125_001, 50_000)
    );
    assert_eq!(
        (
            usd.currency.code(),
            usd.open_amount,
            usd.open_credit,
            usd.won_credit
        ),
        ("USD", 99_950, 49_975, 0)
    );
    // JPY 1,201 × 33.33 % = 400.29 → 400 (the yen has no minor unit).
    assert_eq!(
        of(&rep2).lines[0].credit,
        Money::new(400, Currency::parse("JPY").unwrap())
    );

    // Finance reads it; partners and bad input do not.
    let finance = p
        .user(p.vendor.id, Role::Finance, "fin@vendor.example")
        .await;
    assert_eq!(p.s.comp_credit(&finance, &q).await.unwrap().reps.len(), 2);
    assert!(matches!(
        p.s.comp_credit(&w.partner_admin, &q).await,
        Err(Error::Forbidden)
    ));
    let bad = CompCreditQuery {
        sourced_rate: "250".into(),
        to: "2025-12-31".into(),
        ..q
    };
    assert_eq!(
        fields(p.s.comp_credit(&p.admin, &bad).await),
        ["to", "sourced_rate"]
    );
}

#[tokio::test]
async fn a_rep_sees_only_their_own_lines_at_full_credit_by_default() {
    let (w, _) = credit_world().await;
    let own = w.p.s.comp_credit(&w.rep, &first_quarter()).await.unwrap();
    assert!(own.own_only);
    assert_eq!(own.reps.len(), 1);
    let names: Vec<&str> = own.reps[0]
        .lines
        .iter()
        .map(|l| l.opportunity_name.as_str())
        .collect();
    assert_eq!(names, ["Acme lost", "Acme platform", "Acme US"]);
    assert_eq!(own.reps[0].lines[1].credit.amount_minor, 1_000_004);
    assert_eq!(own.reps[0].lines[2].credit.amount_minor, 99_950);
}
