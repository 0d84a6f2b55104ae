//! The partner lifecycle's background work: rescoring after an IPP change, chasing overdue
//! onboarding tasks, and the schedules that enqueue the recurring jobs.

use std::time::Duration;

use trellis_domain::Role;
use trellis_domain::partners::ipp::{Attribute, Criterion, Rule};
use trellis_domain::partners::profile::PartnerStatus;
use trellis_service::Error;
use trellis_service::partners::PartnerPatch;
use trellis_service::partners::settings::ProgramSettings;
use trellis_service::platform::orgs::OrgInput;

use crate::partners_fixtures::{Program, apply, ipp_criteria};

fn wants_integrators() -> Vec<Criterion> {
    vec![Criterion {
        key: "type".into(),
        label: "Partner type".into(),
        attribute: Attribute::PartnerType,
        rule: Rule::AnyOf {
            values: vec!["si".into()],
        },
        weight: 10,
    }]
}

#[tokio::test]
async fn a_new_ipp_rescores_every_partner_and_pending_application_and_keeps_history() {
    let p = Program::new().await;
    let msp = p.partner("Alpha", "msp").await;
    let si = p.partner("Bravo", "si").await;
    let pending = apply(&p, "Charlie", "c@charlie.example").await;
    let rejected = apply(&p, "Delta", "d@delta.example").await;
    p.s.reject_application(&p.cm, rejected.id, rejected.version, "no", false)
        .await
        .unwrap();
    assert_eq!(
        p.s.get_partner(&p.cm, msp.id).await.unwrap().fit_score,
        None
    );
    // Nothing to do for a version that was never saved.
    assert_eq!(p.s.rescore_all(1).await.unwrap(), 0);

    let v1 =
        p.s.save_ipp(&p.admin, 0, ipp_criteria(), "first")
            .await
            .unwrap();
    assert_eq!(p.s.rescore_all(v1.version).await.unwrap(), 3);
    let alpha = p.s.get_partner(&p.cm, msp.id).await.unwrap();
    assert_eq!(
        (alpha.fit_score, alpha.fit_ipp_version),
        (Some(50), Some(1))
    );
    let bravo = p.s.get_partner(&p.cm, si.id).await.unwrap();
    assert_eq!((bravo.fit_score, bravo.fit_ipp_version), (Some(0), Some(1)));
    let charlie = p.s.get_application(&p.cm, pending.id).await.unwrap();
    assert_eq!(charlie.application.ipp_version, Some(1));
    let delta = p.s.get_application(&p.cm, rejected.id).await.unwrap();
    assert_eq!(delta.application.fit_score, None, "decided: not rescored");
    // A partner added now is scored at once.
    let echo = p
        .partner_with(OrgInput {
            name: "Echo".into(),
            partner_type: Some("si".into()),
            ..OrgInput::default()
        })
        .await;
    assert_eq!(
        p.s.get_partner(&p.cm, echo.id)
            .await
            .unwrap()
            .fit_ipp_version,
        Some(1)
    );

    assert!(matches!(
        p.s.save_ipp(&p.admin, 0, wants_integrators(), "again")
            .await,
        Err(Error::StaleVersion { current: 1 })
    ));
    let v2 =
        p.s.save_ipp(&p.admin, 1, wants_integrators(), "integrators now")
            .await
            .unwrap();
    assert_eq!(v2.version, 2);
    let jobs: Vec<_> = p
        .jobs_of("partners.rescore")
        .await
        .into_iter()
        .map(|j| j.payload["ipp_version"].as_i64())
        .collect();
    assert_eq!(jobs, [Some(1), Some(2)]);
    // The older job finds itself superseded and does nothing.
    assert_eq!(p.s.rescore_all(1).await.unwrap(), 0);
    assert_eq!(
        p.s.get_partner(&p.cm, msp.id)
            .await
            .unwrap()
            .fit_ipp_version,
        Some(1)
    );
    assert_eq!(p.s.rescore_all(2).await.unwrap(), 4);
    for (org, score) in [(&msp, 0), (&si, 100), (&echo, 100)] {
        let partner = p.s.get_partner(&p.cm, org.id).await.unwrap();
        assert_eq!(
            (partner.fit_score, partner.fit_ipp_version),
            (Some(score), Some(2)),
            "{}",
            partner.name
        );
    }
    let history = p.s.fit_history(&p.cm, msp.id).await.unwrap();
    let scores: Vec<_> = history
        .iter()
        .map(|h| (h.ipp_version, h.fit.score))
        .collect();
    assert_eq!(scores, [(2, 0), (1, 50)]);
    let versions: Vec<_> =
        p.s.ipp_history(&p.cm)
            .await
            .unwrap()
            .into_iter()
            .map(|v| (v.version, v.note))
            .collect();
    assert_eq!(
        versions,
        [(2, "integrators now".to_owned()), (1, "first".to_owned())]
    );
    // Running the same job twice is harmless.
    assert_eq!(p.s.rescore_all(2).await.unwrap(), 4);
    assert_eq!(p.s.fit_history(&p.cm, msp.id).await.unwrap().len(), 2);
    assert_eq!(p.events("program.ipp_changed").await.len(), 2);
}

#[tokio::test]
async fn editing_a_profile_rescores_the_partner_under_the_current_ipp() {
    let p = Program::new().await;
    p.s.save_ipp(&p.admin, 0, ipp_criteria(), "first")
        .await
        .unwrap();
    let alpha = p.partner("Alpha", "msp").await;
    let before = p.s.get_partner(&p.cm, alpha.id).await.unwrap();
    assert_eq!(before.fit_score, Some(50), "no head count yet");
    let after =
        p.s.update_partner(
            &p.cm,
            alpha.id,
            before.version,
            &PartnerPatch {
                employees: Some(Some(40)),
                ..PartnerPatch::default()
            },
        )
        .await
        .unwrap();
    // The score carries the current IPP version, so it must describe the current profile.
    assert_eq!(after.fit_score, Some(100));
    let history = p.s.fit_history(&p.cm, alpha.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].fit.score, 100);
    // The same through the organisations API.
    let org = p.s.get_org(&p.admin, alpha.id).await.unwrap();
    p.s.update_org(
        &p.admin,
        alpha.id,
        org.version,
        &OrgInput {
            name: org.name.clone(),
            partner_type: Some("si".into()),
            ..OrgInput::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        p.s.get_partner(&p.cm, alpha.id).await.unwrap().fit_score,
        Some(50)
    );
}

#[tokio::test]
async fn overdue_tasks_are_chased_once_per_interval() {
    let p = Program::new().await;
    let alpha = p.partner("Alpha", "msp").await;
    let admin = "admin@alpha.example";
    p.user(alpha.id, Role::PartnerAdmin, admin).await;
    let reminders = |to: &'static str| {
        let p = &p;
        async move {
            p.emails_to(to)
                .await
                .into_iter()
                .filter(|m| m.subject.starts_with("Overdue onboarding task"))
                .map(|m| m.subject)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 0);
    p.advance_days(7);
    // Profile and agreement were due after 7 days.
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 2);
    let subjects = reminders(admin).await;
    assert_eq!(
        subjects,
        [
            "Overdue onboarding task: Complete your company profile",
            "Overdue onboarding task: Accept the partner program agreement"
        ]
    );
    // Once per interval (3 days by default), however often the job runs.
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 0);
    p.advance_days(2);
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 0);
    p.advance_days(1);
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 2);
    assert_eq!(reminders(admin).await.len(), 4);

    // Day 14: the vendor's kick-off (to the reviewers, as nobody owns the partner) and the
    // team invitation join in.
    p.advance_days(4);
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 5);
    let kickoff = "Overdue onboarding task: Kick-off call with your channel manager";
    assert_eq!(reminders("cm@vendor.example").await, [kickoff]);
    assert_eq!(reminders("admin@vendor.example").await, [kickoff]);
    assert_eq!(reminders(admin).await.len(), 7);
    assert_eq!(
        p.s.program_figures(&p.admin).await.unwrap().overdue_tasks,
        4
    );

    // A shorter interval applies at once; finished tasks and suspended partners are left alone.
    let settings = p.s.get_program_settings(&p.admin).await.unwrap();
    p.s.update_program_settings(
        &p.admin,
        settings.version,
        ProgramSettings {
            reminder_interval_days: 1,
            ..settings.settings
        },
    )
    .await
    .unwrap();
    let profile = p.s.checklist(&p.admin, alpha.id).await.unwrap().tasks[0].id;
    p.s.set_task_status(&p.cm, profile, "done").await.unwrap();
    p.advance_days(1);
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 4);
    let current = p.s.get_partner(&p.admin, alpha.id).await.unwrap();
    p.s.set_partner_status(
        &p.admin,
        alpha.id,
        current.version,
        PartnerStatus::Suspended,
        "paused",
    )
    .await
    .unwrap();
    p.advance_days(5);
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 0);
    assert_eq!(
        p.s.program_figures(&p.admin).await.unwrap().overdue_tasks,
        0
    );
}

#[tokio::test]
async fn a_vendor_task_is_chased_with_its_owner_only() {
    let p = Program::new().await;
    let alpha = p.partner("Alpha", "msp").await;
    let current = p.s.get_partner(&p.admin, alpha.id).await.unwrap();
    p.s.update_partner(
        &p.admin,
        alpha.id,
        current.version,
        &PartnerPatch {
            owner_id: Some(p.cm.user().map(|u| u.user_id)),
            ..PartnerPatch::default()
        },
    )
    .await
    .unwrap();
    p.advance_days(14);
    // Partner tasks have no active partner admin to go to; the kick-off goes to the owner.
    assert_eq!(p.s.remind_overdue_tasks().await.unwrap(), 1);
    let to_cm = p.emails_to("cm@vendor.example").await;
    assert_eq!(to_cm.len(), 1);
    assert!(
        to_cm[0]
            .body
            .contains(&format!("/console/partners/{}", alpha.id))
    );
    assert!(
        p.emails_to("admin@vendor.example")
            .await
            .iter()
            .all(|m| !m.subject.starts_with("Overdue"))
    );
}

#[tokio::test]
async fn schedules_enqueue_each_recurring_job_once_per_interval() {
    let p = Program::new().await;
    let count = |kind: &'static str| {
        let p = &p;
        async move { p.jobs_of(kind).await.len() }
    };
    assert_eq!(p.s.run_due_schedules().await.unwrap(), 5);
    assert_eq!(count("partners.evaluate_tiers").await, 1);
    assert_eq!(count("partners.remind").await, 1);
    assert_eq!(count("deals.sweep").await, 1);
    assert_eq!(count("metrics.refresh").await, 1);
    assert_eq!(count("psat.send").await, 1);
    assert_eq!(p.s.run_due_schedules().await.unwrap(), 0);
    // Two workers racing for the same run: one wins.
    let (a, b) = tokio::join!(p.s.run_due_schedules(), p.s.run_due_schedules());
    assert_eq!(a.unwrap() + b.unwrap(), 0);

    p.clock.advance(Duration::from_mins(14));
    assert_eq!(p.s.run_due_schedules().await.unwrap(), 0);
    p.clock.advance(Duration::from_mins(1));
    let (a, b) = tokio::join!(p.s.run_due_schedules(), p.s.run_due_schedules());
    assert_eq!(a.unwrap() + b.unwrap(), 1, "the quarter-hourly sweep");
    assert_eq!(count("deals.sweep").await, 2);
    p.clock.advance(Duration::from_mins(45));
    assert_eq!(
        p.s.run_due_schedules().await.unwrap(),
        4,
        "the sweep, the hourly reminders, metrics refresh and survey sending"
    );
    assert_eq!(count("partners.remind").await, 2);
    assert_eq!(count("metrics.refresh").await, 2);
    assert_eq!(count("psat.send").await, 2);
    p.clock.advance(Duration::from_hours(23));
    assert_eq!(p.s.run_due_schedules().await.unwrap(), 5);
    assert_eq!(count("partners.evaluate_tiers").await, 2);
    assert_eq!(count("partners.remind").await, 3);
    // After an outage, a missed run is made up once, not once per missed interval.
    p.clock.advance(Duration::from_hours(72));
    assert_eq!(p.s.run_due_schedules().await.unwrap(), 5);
    assert_eq!(p.s.run_due_schedules().await.unwrap(), 0);
    assert_eq!(count("partners.evaluate_tiers").await, 3);
    assert_eq!(count("partners.remind").await, 4);
}

#[tokio::test]
async fn a_vendor_task_whose_owner_cannot_act_is_chased_with_the_reviewers() {
    let p = Program::new().await;
    let alpha = p.partner("Alpha", "msp").await;
    let owner = p
        .user(p.vendor.id, Role::ChannelManager, "gone@vendor.example")
        .await;
    let owner_id = owner.user().map(|u| u.user_id).unwrap();
    let current = p.s.get_partner(&p.admin, alpha.id).await.unwrap();
    p.s.update_partner(
        &p.admin,
        alpha.id,
        current.version,
        &PartnerPatch {
            owner_id: Some(Some(owner_id)),
            ..PartnerPatch::default()
        },
    )
    .await
    .unwrap();
    // The owner leaves; the partner is not reassigned yet.
    let user = p.s.get_user(&p.admin, owner_id).await.unwrap();
    p.s.update_user(
        &p.admin,
        owner_id,
        user.version,
        &trellis_service::platform::users::UserPatch {
            status: Some("disabled".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    p.advance_days(14);
    p.s.remind_overdue_tasks().await.unwrap();
    let kickoff = |to: &'static str| {
        let p = &p;
        async move {
            p.emails_to(to)
                .await
                .into_iter()
                .filter(|m| m.subject.contains("Kick-off"))
                .count()
        }
    };
    assert_eq!(kickoff("gone@vendor.example").await, 0);
    // Someone must still hear of it.
    assert_eq!(kickoff("cm@vendor.example").await, 1);
    assert_eq!(kickoff("admin@vendor.example").await, 1);
}

#[tokio::test]
async fn previewing_a_draft_ipp_saves_nothing() {
    let p = Program::new().await;
    for (name, kind) in [("Alpha", "msp"), ("Bravo", "si"), ("Charlie", "si")] {
        p.partner(name, kind).await;
    }
    let preview = p.s.preview_ipp(&p.cm, wants_integrators()).await.unwrap();
    let rows: Vec<_> = preview
        .rows
        .iter()
        .map(|r| (r.name.as_str(), r.current, r.draft.score))
        .collect();
    assert_eq!(
        rows,
        [
            ("Bravo", None, 100),
            ("Charlie", None, 100),
            ("Alpha", None, 0)
        ]
    );
    assert!((preview.mean_draft - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!(preview.mean_current, None);
    assert!(p.s.get_ipp(&p.cm).await.unwrap().is_none());
    assert!(p.jobs_of("partners.rescore").await.is_empty());
    // With a saved IPP the preview shows the current scores beside the draft's.
    p.s.save_ipp(&p.admin, 0, ipp_criteria(), "v1")
        .await
        .unwrap();
    p.s.rescore_all(1).await.unwrap();
    let preview = p.s.preview_ipp(&p.cm, wants_integrators()).await.unwrap();
    assert_eq!(preview.mean_current, Some(50.0 / 3.0));
    let history = p.s.ipp_history(&p.cm).await.unwrap();
    assert_eq!(history.len(), 1);
}
