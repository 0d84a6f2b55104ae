//! Deal registration: conflict detection and what each side sees of it, the rules of
//! engagement deciding, disputes, extensions, conversion, and the registration clock.

use std::time::Duration;

use trellis_domain::deals::{
    AutoApproval, ConflictRule, DealStage, DealStatus, Decision, EngagementPolicy, RuleId,
};
use trellis_domain::{Currency, Money, OrgId, Role};
use trellis_service::crm::{AccountInput, OpportunityInput};
use trellis_service::deals::{
    CheckOutcome, CompanyProbe, ConflictKind, Conversion, DealQuery, DealUpdate, RegistrationInput,
};
use trellis_service::platform::PageRequest;
use trellis_service::{Actor, Error};

use crate::partners_fixtures::{DAY, Program};

fn acme() -> RegistrationInput {
    RegistrationInput {
        company_name: "ACME Corporation, Inc.".into(),
        website: "https://www.acme.co.uk/about".into(),
        country: "United Kingdom".into(),
        contact_name: "Jo Bloggs".into(),
        contact_email: "jo@acme.co.uk".into(),
        product: "Platform".into(),
        amount_minor: 4_000_000,
        currency: "GBP".into(),
        expected_close: "2026-06-30".into(),
        ..RegistrationInput::default()
    }
}

async fn partner_seller(p: &Program, name: &str, email: &str) -> (OrgId, Actor) {
    let org = p.partner(name, "reseller").await;
    (org.id, p.user(org.id, Role::PartnerUser, email).await)
}

#[tokio::test]
async fn a_clear_registration_waits_for_review_and_tells_the_reviewers() {
    let p = Program::new().await;
    let (_, seller) = partner_seller(&p, "Northwind", "sam@northwind.example").await;
    let check =
        p.s.check_deal(
            &seller,
            &CompanyProbe {
                company_name: "Acme Corp".into(),
                website: "acme.co.uk".into(),
                ..CompanyProbe::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(check.outcome, CheckOutcome::Clear);

    let r = p.s.register_deal(&seller, &acme()).await.unwrap();
    assert_eq!(r.status, DealStatus::Pending);
    assert_eq!(r.domain, "acme.co.uk");
    assert_eq!(r.country, "GB");
    assert_eq!(r.policy_version, 1, "the defaults are stored as version 1");
    assert_eq!(r.sla_due_at, Some(p.s.now().plus(Duration::from_hours(48))));
    assert!(r.reference.starts_with("DR-") && r.reference.len() == 11);
    assert_eq!(p.events("deal.registered").await.len(), 1);
    let to_review = p.emails().await;
    assert!(
        to_review
            .iter()
            .any(|m| m.subject.starts_with("Deal registration to review: ACME")),
        "{to_review:?}"
    );
    let trail = p.s.deal_trail(&seller, r.id).await.unwrap();
    assert_eq!(trail[0].step, "submitted");
    assert!(
        trail[0].reason.contains("auto-approval is off"),
        "{trail:?}"
    );
}

#[tokio::test]
async fn conflicts_are_found_by_fuzzy_company_match_and_shown_only_to_the_vendor() {
    let p = Program::new().await;
    let (north, seller_a) = partner_seller(&p, "Northwind", "a@northwind.example").await;
    let (_, seller_b) = partner_seller(&p, "Contoso", "b@contoso.example").await;
    let first = p.s.register_deal(&seller_a, &acme()).await.unwrap();

    // Another partner, the same company spelt differently.
    let probe = CompanyProbe {
        company_name: "Acme Corp".into(),
        website: "acme.co.uk".into(),
        ..CompanyProbe::default()
    };
    let seen_by_b = p.s.check_deal(&seller_b, &probe).await.unwrap();
    assert_eq!(seen_by_b.outcome, CheckOutcome::PossibleConflict);
    assert!(
        seen_by_b.candidates.is_empty(),
        "a partner sees no one else's data"
    );
    assert!(!seen_by_b.message.contains("Northwind"));

    // The same partner again: its own duplicate, named by reference.
    let seen_by_a = p.s.check_deal(&seller_a, &probe).await.unwrap();
    assert_eq!(seen_by_a.outcome, CheckOutcome::OwnDuplicate);
    assert_eq!(seen_by_a.own_registrations, vec![first.reference.clone()]);

    // The vendor sees the candidate with its score and reason.
    let seen_by_cm = p.s.check_deal(&p.cm, &probe).await.unwrap();
    let c = &seen_by_cm.candidates[0];
    assert_eq!(
        (c.kind, c.id),
        (ConflictKind::Registration, first.id.as_uuid())
    );
    assert!(c.reason.contains("same registrable domain"), "{}", c.reason);
    assert_eq!(c.partner_id, Some(north));

    let second =
        p.s.register_deal(
            &seller_b,
            &RegistrationInput {
                company_name: "Acme Corp".into(),
                website: "acme.co.uk".into(),
                ..acme()
            },
        )
        .await
        .unwrap();
    assert_eq!(second.conflicts, 1);
    assert!(matches!(
        p.s.get_deal(&seller_b, first.id).await,
        Err(Error::NotFound)
    ));
    let listed =
        p.s.list_deals(&seller_b, &DealQuery::default(), &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id, second.id);
}

#[tokio::test]
async fn the_rules_resolve_a_conflict_first_registration_wins() {
    let p = Program::new().await;
    let (_, seller_a) = partner_seller(&p, "Northwind", "a@northwind.example").await;
    let (_, seller_b) = partner_seller(&p, "Contoso", "b@contoso.example").await;
    let first = p.s.register_deal(&seller_a, &acme()).await.unwrap();
    p.clock.advance(Duration::from_mins(5));
    let second =
        p.s.register_deal(
            &seller_b,
            &RegistrationInput {
                company_name: "Acme Corp".into(),
                ..acme()
            },
        )
        .await
        .unwrap();

    let review = p.s.review_deal(&p.cm, second.id).await.unwrap();
    let advice = review.advice.unwrap();
    assert_eq!(
        (advice.decision, advice.rule),
        (Decision::Reject, RuleId::FirstRegistration)
    );
    assert!(matches!(
        p.s.review_deal(&seller_b, second.id).await,
        Err(Error::Forbidden | Error::NotFound)
    ));

    // Resolving either side decides both.
    let decided =
        p.s.resolve_deal(&p.cm, second.id, second.version)
            .await
            .unwrap();
    assert_eq!(decided.len(), 2);
    let loser = p.s.get_deal(&seller_b, second.id).await.unwrap();
    let winner = p.s.get_deal(&seller_a, first.id).await.unwrap();
    assert_eq!(loser.status, DealStatus::Rejected);
    assert_eq!(winner.status, DealStatus::Approved);
    let d = loser.decision.unwrap();
    assert_eq!(d.rule, RuleId::FirstRegistration);
    assert_eq!(d.reason, "another partner registered this customer first");
    assert_eq!(
        winner.protected_until,
        Some(p.s.now().plus(DAY * 90)),
        "the default protection"
    );
    assert_eq!(p.events("deal.approved").await.len(), 1);
    assert_eq!(p.events("deal.rejected").await.len(), 1);
    let trail = p.s.deal_trail(&seller_b, second.id).await.unwrap();
    let step = trail.last().unwrap();
    assert_eq!(
        (step.step.as_str(), step.rule, step.policy_version),
        ("rejected", Some(RuleId::FirstRegistration), Some(1))
    );
    assert!(
        p.emails_to("b@contoso.example")
            .await
            .iter()
            .any(|m| m.subject == "Deal registration rejected: Acme Corp")
    );

    // The loser disputes; the manager overturns.
    let disputed =
        p.s.dispute_deal(
            &seller_b,
            second.id,
            loser.version,
            "we met them first at a trade fair",
        )
        .await
        .unwrap();
    assert!(disputed.dispute.is_some());
    let overturned =
        p.s.resolve_dispute(
            &p.cm,
            second.id,
            disputed.version,
            true,
            "proof of earlier meeting",
        )
        .await
        .unwrap();
    assert_eq!(overturned.status, DealStatus::Approved);
    assert!(overturned.dispute.is_none());
    let steps: Vec<String> =
        p.s.deal_trail(&p.cm, second.id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.step)
            .collect();
    assert_eq!(
        steps,
        ["submitted", "rejected", "disputed", "dispute_overturned"]
    );
}

#[tokio::test]
async fn a_direct_opportunity_with_recent_activity_wins() {
    let p = Program::new().await;
    let (_, seller) = partner_seller(&p, "Northwind", "a@northwind.example").await;
    p.s.upsert_account(
        &p.admin,
        "salesforce",
        "001A",
        None,
        &AccountInput {
            name: "Acme Corporation".into(),
            website: "acme.co.uk".into(),
            account_type: "Prospect".into(),
            ..AccountInput::default()
        },
    )
    .await
    .unwrap();
    p.s.upsert_opportunity(
        &p.admin,
        "salesforce",
        "006A",
        None,
        &OpportunityInput {
            account_external_id: "001A".into(),
            name: "Acme - Expansion".into(),
            stage: "Proposal/Price Quote".into(),
            amount: Some(Money::new(9_000_000, Currency::parse("GBP").unwrap())),
            last_activity_at: Some(p.s.now().minus(DAY * 3)),
            ..OpportunityInput::default()
        },
    )
    .await
    .unwrap();
    let r = p.s.register_deal(&seller, &acme()).await.unwrap();
    assert_eq!(
        r.conflicts, 1,
        "the open opportunity; a prospect account alone is no conflict"
    );
    let review = p.s.review_deal(&p.cm, r.id).await.unwrap();
    let kinds: Vec<ConflictKind> = review.candidates.iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&ConflictKind::Account) && kinds.contains(&ConflictKind::Opportunity));
    let opp = review
        .candidates
        .iter()
        .find(|c| c.kind == ConflictKind::Opportunity)
        .unwrap();
    assert!(
        opp.detail.contains("direct") && opp.reason.starts_with("account: "),
        "{opp:?}"
    );
    assert_eq!(review.advice.unwrap().rule, RuleId::DirectOpportunity);

    // Sixty days without activity, and the rule no longer applies: no rule decides.
    p.advance_days(61);
    let review = p.s.review_deal(&p.cm, r.id).await.unwrap();
    assert!(review.advice.is_none());
    assert!(matches!(
        p.s.resolve_deal(&p.cm, r.id, r.version).await,
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        p.s.decide_deal(&p.cm, r.id, r.version, Decision::Reject, " ")
            .await,
        Err(Error::Validation(_))
    ));
    let approved =
        p.s.decide_deal(&p.cm, r.id, r.version, Decision::Approve, "")
            .await
            .unwrap();
    assert_eq!(approved.decision.unwrap().rule, RuleId::Manual);

    // Conversion lands on the matched account, with the partner attached.
    let (converted, opportunity) =
        p.s.convert_deal(&p.cm, r.id, approved.version, &Conversion::default())
            .await
            .unwrap();
    assert_eq!(converted.opportunity_id, Some(opportunity.id));
    let account =
        p.s.get_account_by_key(&p.admin, "salesforce", "001A")
            .await
            .unwrap();
    assert_eq!(opportunity.account_id, Some(account.id));
    assert_eq!(opportunity.source_system, "trellis");
    assert_eq!(opportunity.external_id, converted.reference);
    let partners =
        p.s.opportunity_partners(&p.cm, opportunity.id)
            .await
            .unwrap();
    assert_eq!(partners.len(), 1);
    assert_eq!(
        (partners[0].partner_name.as_str(), partners[0].role.as_str()),
        ("Northwind", "sourced")
    );
    assert!(matches!(
        p.s.convert_deal(&p.cm, r.id, converted.version, &Conversion::default())
            .await,
        Err(Error::InvalidState(_))
    ));
    a_converted_registration_does_not_expire(&p, &seller, r.id).await;
}

/// Once an opportunity, the partner's place follows the opportunity: the registration's
/// protection no longer runs out, and there is nothing to extend.
async fn a_converted_registration_does_not_expire(
    p: &Program,
    seller: &Actor,
    id: trellis_domain::DealRegistrationId,
) {
    p.advance_days(200);
    let swept = p.s.sweep_deals().await.unwrap();
    assert_eq!((swept.warned, swept.expired), (0, 0));
    let after = p.s.get_deal(seller, id).await.unwrap();
    assert_eq!(after.status, DealStatus::Approved);
    assert!(matches!(
        p.s.request_extension(seller, id, after.version, "more time")
            .await,
        Err(Error::InvalidState(_))
    ));
}

#[tokio::test]
async fn auto_approval_follows_the_published_policy() {
    let p = Program::new().await;
    let (_, seller) = partner_seller(&p, "Northwind", "a@northwind.example").await;
    let current = p.s.engagement_policy(&seller).await.unwrap();
    assert!(matches!(
        p.s.save_engagement_policy(&seller, current.version, EngagementPolicy::default(), "")
            .await,
        Err(Error::Forbidden)
    ));
    let policy = EngagementPolicy {
        conflict_rules: vec![
            ConflictRule::ExistingCustomer,
            ConflictRule::FirstRegistration,
        ],
        auto_approval: AutoApproval {
            enabled: true,
            min_tier_rank: None,
            max_amount: Some(Money::new(5_000_000, Currency::parse("GBP").unwrap())),
        },
        ..EngagementPolicy::default()
    };
    let saved =
        p.s.save_engagement_policy(
            &p.admin,
            current.version,
            policy.clone(),
            "auto-approve small deals",
        )
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert!(matches!(
        p.s.save_engagement_policy(&p.admin, current.version, policy, "stale")
            .await,
        Err(Error::StaleVersion { current: 2 })
    ));

    let small = p.s.register_deal(&seller, &acme()).await.unwrap();
    assert_eq!(small.status, DealStatus::Approved);
    assert_eq!(small.decision.as_ref().unwrap().rule, RuleId::AutoApproval);
    assert_eq!(small.policy_version, 2);
    let big =
        p.s.register_deal(
            &seller,
            &RegistrationInput {
                company_name: "Globex".into(),
                website: "globex.com".into(),
                contact_email: "hank@globex.com".into(),
                amount_minor: 9_000_000,
                ..acme()
            },
        )
        .await
        .unwrap();
    assert_eq!(big.status, DealStatus::Pending);
}

#[tokio::test]
async fn protection_is_warned_extended_and_expired_on_the_clock() {
    let p = Program::new().await;
    let (_, seller) = partner_seller(&p, "Northwind", "a@northwind.example").await;
    let r = p.s.register_deal(&seller, &acme()).await.unwrap();

    // The SLA passes: escalated once.
    p.clock.advance(Duration::from_hours(49));
    assert_eq!(p.s.sweep_deals().await.unwrap().escalated, 1);
    assert_eq!(p.s.sweep_deals().await.unwrap().escalated, 0);
    assert_eq!(p.events("deal.sla_breached").await.len(), 1);
    let r = p.s.get_deal(&p.cm, r.id).await.unwrap();
    let r =
        p.s.decide_deal(&p.cm, r.id, r.version, Decision::Approve, "")
            .await
            .unwrap();

    // The partner updates its deal; the customer cannot change.
    let r =
        p.s.update_deal(
            &seller,
            r.id,
            &DealUpdate {
                version: r.version,
                stage: Some(DealStage::Proposal),
                next_step: Some("Send the quote".into()),
                ..DealUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (r.stage, r.next_step.as_str()),
        (DealStage::Proposal, "Send the quote")
    );

    // 14 days before the end: warned once.
    p.advance_days(77);
    assert_eq!(p.s.sweep_deals().await.unwrap().warned, 1);
    assert_eq!(p.s.sweep_deals().await.unwrap().warned, 0);
    assert!(
        p.emails_to("a@northwind.example")
            .await
            .iter()
            .any(|m| m.subject == "Protection ending: ACME Corporation, Inc.")
    );
    let r = p.s.get_deal(&seller, r.id).await.unwrap();
    let r =
        p.s.request_extension(&seller, r.id, r.version, "legal review")
            .await
            .unwrap();
    let end = r.protected_until.unwrap();
    let r =
        p.s.decide_extension(&p.cm, r.id, r.version, true, "")
            .await
            .unwrap();
    assert_eq!(r.protected_until, Some(end.plus(DAY * 30)));
    assert!(
        matches!(
            p.s.request_extension(&seller, r.id, r.version, "again")
                .await,
            Err(Error::InvalidState(_))
        ),
        "the default policy allows one extension"
    );

    p.advance_days(45);
    let swept = p.s.sweep_deals().await.unwrap();
    assert_eq!(swept.expired, 1);
    let r = p.s.get_deal(&seller, r.id).await.unwrap();
    assert_eq!(r.status, DealStatus::Expired);
    assert_eq!(r.decision.unwrap().rule, RuleId::ProtectionExpired);
    assert_eq!(p.events("deal.expired").await.len(), 1);
}

#[tokio::test]
async fn registration_needs_a_partner_and_checks_every_field() {
    let p = Program::new().await;
    let (_, seller) = partner_seller(&p, "Northwind", "a@northwind.example").await;
    assert!(matches!(
        p.s.register_deal(&p.cm, &acme()).await,
        Err(Error::Forbidden)
    ));
    let rep = p
        .user(p.vendor.id, Role::SalesRep, "rep@vendor.example")
        .await;
    assert!(matches!(
        p.s.register_deal(&rep, &acme()).await,
        Err(Error::Forbidden)
    ));
    let Err(Error::Validation(e)) =
        p.s.register_deal(
            &seller,
            &RegistrationInput {
                company_name: String::new(),
                expected_close: "2025-12-31".into(),
                ..acme()
            },
        )
        .await
    else {
        panic!("expected a validation error");
    };
    assert_eq!(e.for_field("company_name"), Some("is required"));
    assert_eq!(
        e.for_field("expected_close"),
        Some("must not be in the past")
    );
    assert!(p.events("deal.registered").await.is_empty());
}
