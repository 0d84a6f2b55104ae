//! Partner satisfaction surveys end to end in the service: written and checked, sent by hand
//! and on schedule to the right partner users with an e-mail each, answered once per
//! invitation and only by its recipient, scored per sending, question and partner, written to
//! the partner's PSAT metric, and summed up for the program by quarter.

use trellis_domain::partners::metrics::Metric;
use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::psat::Answer;
use trellis_domain::{OrgId, Role};
use trellis_service::psat::{Invitation, QuestionInput, ResponseInput, SurveyInput};
use trellis_service::{Actor, Error};

use crate::partners_fixtures::{Program, fields};

fn pulse() -> SurveyInput {
    let q = |kind: &str, text: &str| QuestionInput {
        kind: kind.into(),
        text: text.into(),
    };
    SurveyInput {
        title: "Partner pulse".into(),
        intro: "Five minutes, once a quarter.".into(),
        questions: vec![
            q("recommend", "How likely are you to recommend our program?"),
            q("rating", "How useful is our enablement?"),
            q("comment", "What should we change?"),
        ],
        cadence: "quarterly".into(),
        audience: "admins".into(),
        active: true,
        ..SurveyInput::default()
    }
}

fn answers(recommend: i64, rating: i64, comment: Option<&str>) -> ResponseInput {
    ResponseInput {
        answers: vec![
            Some(Answer::Scale(recommend)),
            Some(Answer::Scale(rating)),
            comment.map(|c| Answer::Text(c.into())),
        ],
    }
}

struct World {
    p: Program,
    alpha: OrgId,
    alpha_admin: Actor,
    alpha_user: Actor,
    bravo_admin: Actor,
}

/// Alpha (active: an admin and a user), Bravo (onboarding: an admin), Charlie (suspended).
async fn world() -> World {
    let p = Program::new().await;
    let alpha = p.partner("Alpha", "reseller").await.id;
    let bravo = p.partner("Bravo", "msp").await.id;
    let charlie = p.partner("Charlie", "msp").await.id;
    for (org, status) in [
        (alpha, PartnerStatus::Active),
        (charlie, PartnerStatus::Suspended),
    ] {
        let current = p.s.get_partner(&p.admin, org).await.unwrap();
        p.s.set_partner_status(&p.admin, org, current.version, status, "test")
            .await
            .unwrap();
    }
    let alpha_admin = p
        .user(alpha, Role::PartnerAdmin, "admin@alpha.example")
        .await;
    let alpha_user = p.user(alpha, Role::PartnerUser, "user@alpha.example").await;
    let bravo_admin = p
        .user(bravo, Role::PartnerAdmin, "admin@bravo.example")
        .await;
    p.user(charlie, Role::PartnerAdmin, "admin@charlie.example")
        .await;
    World {
        p,
        alpha,
        alpha_admin,
        alpha_user,
        bravo_admin,
    }
}

async fn only_invitation(p: &Program, actor: &Actor) -> Invitation {
    let mut open = p.s.my_survey_invitations(actor).await.unwrap();
    assert_eq!(open.len(), 1);
    open.remove(0)
}

#[tokio::test]
async fn a_sending_reaches_each_partner_admin_and_each_answers_once() {
    let w = world().await;
    let p = &w.p;
    let survey = p.s.create_survey(&p.cm, &pulse()).await.unwrap();
    assert_eq!(survey.next_send_on, None, "no day given: sent by hand");
    let wave = p.s.send_survey(&p.cm, survey.id).await.unwrap();
    // Admins of Alpha and Bravo; not Alpha's user, not suspended Charlie.
    assert_eq!((wave.recipients, wave.responses), (2, 0));
    let mail = p.emails_to("admin@alpha.example").await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.starts_with("Partner pulse"));
    assert!(mail[0].body.contains("/portal/surveys/"));
    assert!(p.emails_to("user@alpha.example").await.is_empty());
    assert!(p.emails_to("admin@charlie.example").await.is_empty());
    assert!(
        p.s.my_survey_invitations(&w.alpha_user)
            .await
            .unwrap()
            .is_empty()
    );

    let alpha = only_invitation(p, &w.alpha_admin).await;
    assert_eq!(alpha.questions.len(), 3);
    // Only its recipient sees or answers an invitation.
    for other in [&w.bravo_admin, &w.alpha_user, &p.cm] {
        assert!(matches!(
            p.s.survey_invitation(other, alpha.id).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            p.s.answer_survey(other, alpha.id, &answers(9, 4, None))
                .await,
            Err(Error::NotFound)
        ));
    }
    let bad = ResponseInput {
        answers: vec![Some(Answer::Scale(11)), None, None],
    };
    assert_eq!(
        fields(p.s.answer_survey(&w.alpha_admin, alpha.id, &bad).await),
        ["answers[0]", "answers[1]"]
    );
    p.s.answer_survey(
        &w.alpha_admin,
        alpha.id,
        &answers(9, 4, Some("More demo kits")),
    )
    .await
    .unwrap();
    assert!(matches!(
        p.s.answer_survey(&w.alpha_admin, alpha.id, &answers(0, 1, None))
            .await,
        Err(Error::InvalidState(_))
    ));
    assert!(
        p.s.my_survey_invitations(&w.alpha_admin)
            .await
            .unwrap()
            .is_empty()
    );
    // (90 + 75) / 2 = 82.5 for Alpha, which its PSAT metric rounds to 83.
    let metric = p.s.partner_metrics(&p.admin, w.alpha).await.unwrap();
    let psat = metric.iter().find(|m| m.metric == Metric::Psat).unwrap();
    assert_eq!((psat.value, psat.source.as_str()), (83, "psat"));

    // Bravo answers after the sending closes: too late.
    let bravo = only_invitation(p, &w.bravo_admin).await;
    p.advance_days(14);
    assert!(matches!(
        p.s.answer_survey(&w.bravo_admin, bravo.id, &answers(5, 2, None))
            .await,
        Err(Error::InvalidState(_))
    ));
    let r = p.s.survey_results(&p.cm, survey.id, None).await.unwrap();
    let summary = &r.waves[0];
    assert_eq!(
        (summary.responses, summary.response_rate, summary.score),
        (1, Some(0.5), Some(8_250))
    );
    assert_eq!((summary.nps.promoters, summary.nps_score), (1, Some(100)));
    assert!(!summary.open);
    assert_eq!(r.questions[1].distribution, [0, 0, 0, 1, 0]);
    assert_eq!(r.questions[1].mean, Some(400));
    assert_eq!(r.comments[0].text, "More demo kits");
    assert_eq!(r.comments[0].partner, "Alpha");
    assert_eq!(r.partners[0].name, "Alpha");
    // Partners never read results.
    assert!(matches!(
        p.s.survey_results(&w.alpha_admin, survey.id, None).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn a_scheduled_survey_goes_out_on_its_day_and_then_each_quarter() {
    let w = world().await;
    let p = &w.p;
    let input = SurveyInput {
        next_send_on: "2026-01-02".into(),
        ..pulse()
    };
    let survey = p.s.create_survey(&p.cm, &input).await.unwrap();
    assert_eq!(p.s.send_due_surveys().await.unwrap(), 0, "not yet");
    p.advance_days(1);
    assert_eq!(p.s.send_due_surveys().await.unwrap(), 1);
    assert_eq!(p.s.send_due_surveys().await.unwrap(), 0, "once");
    let s = p.s.survey(&p.cm, survey.id).await.unwrap();
    assert_eq!(s.next_send_on.as_deref(), Some("2026-04-02"));
    // Paused, the schedule waits.
    let paused = SurveyInput {
        active: false,
        next_send_on: "2026-04-02".into(),
        ..pulse()
    };
    p.s.update_survey(&p.cm, survey.id, s.version, &paused)
        .await
        .unwrap();
    p.advance_days(95);
    assert_eq!(p.s.send_due_surveys().await.unwrap(), 0);
    // A stale version is refused.
    assert!(matches!(
        p.s.update_survey(&p.cm, survey.id, s.version, &pulse())
            .await,
        Err(Error::StaleVersion { .. })
    ));
}

#[tokio::test]
async fn the_program_psat_compares_quarters_and_names_the_partners_slipping() {
    let world = world().await;
    let w = &world;
    let p = &w.p;
    let survey = p.s.create_survey(&p.cm, &pulse()).await.unwrap();
    let round = |alpha: (i64, i64), bravo: (i64, i64)| async move {
        p.s.send_survey(&p.cm, survey.id).await.unwrap();
        let a = only_invitation(p, &w.alpha_admin).await;
        p.s.answer_survey(&w.alpha_admin, a.id, &answers(alpha.0, alpha.1, None))
            .await
            .unwrap();
        let b = only_invitation(p, &w.bravo_admin).await;
        p.s.answer_survey(&w.bravo_admin, b.id, &answers(bravo.0, bravo.1, None))
            .await
            .unwrap();
    };
    // Q1: Alpha (100 + 100) / 2 = 100, Bravo (70 + 50) / 2 = 60.
    // Q2: Alpha (40 + 25) / 2 = 32.5, Bravo (80 + 75) / 2 = 77.5.
    round((10, 5), (7, 3)).await;
    p.advance_days(100);
    round((4, 2), (8, 4)).await;
    let period = trellis_service::metrics::MetricsQuery {
        from: "2026-01-01".into(),
        to: "2026-06-30".into(),
        ..Default::default()
    }
    .check(trellis_domain::Timestamp::from_date("2026-07-01").unwrap())
    .unwrap();
    let psat = p.s.program_psat(&p.cm, &period).await.unwrap();
    assert_eq!((psat.responses, psat.partners), (4, 2));
    let quarters: Vec<(&str, Option<i64>)> = psat
        .quarters
        .iter()
        .map(|q| (q.quarter.as_str(), q.score))
        .collect();
    assert_eq!(
        quarters,
        [("2026-Q1", Some(8_000)), ("2026-Q2", Some(5_500))]
    );
    // Promoters 1 (10), passives 2 (7, 8), detractors 1 (4): NPS 0.
    assert_eq!(psat.nps_score, Some(0));
    let lowest: Vec<(&str, Option<i64>, Option<i64>)> = psat
        .lowest
        .iter()
        .map(|s| (s.name.as_str(), s.score, s.previous))
        .collect();
    assert_eq!(
        lowest,
        [
            ("Alpha", Some(3_250), Some(10_000)),
            ("Bravo", Some(7_750), Some(6_000))
        ]
    );
    let untitled = SurveyInput {
        title: String::new(),
        ..pulse()
    };
    assert_eq!(fields(p.s.create_survey(&p.cm, &untitled).await), ["title"]);
    assert!(matches!(
        p.s.create_survey(&w.alpha_admin, &pulse()).await,
        Err(Error::Forbidden | Error::NotFound)
    ));
}
