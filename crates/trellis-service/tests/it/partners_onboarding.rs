//! From approval to activation: the profile, the agreement, manual and vendor tasks, the
//! activation itself and the figures it feeds; re-accepting a new agreement version.

use trellis_domain::Role;
use trellis_domain::partners::profile::PartnerStatus;
use trellis_service::partners::PartnerPatch;
use trellis_service::partners::agreements::AgreementInput;
use trellis_service::partners::applications::Approval;
use trellis_service::partners::onboarding::{Checklist, Side, TaskKind, TemplateTask};
use trellis_service::platform::users::InviteInput;
use trellis_service::{Actor, Error};

use crate::partners_fixtures::{Program, apply, fields};

fn task(c: &Checklist, kind: TaskKind) -> &trellis_service::partners::onboarding::Task {
    c.tasks.iter().find(|t| t.kind == kind).unwrap()
}

fn agreement(title: &str, changes: &str) -> AgreementInput {
    AgreementInput {
        title: title.into(),
        body: "The partner agrees to represent the products honestly and to protect customer data."
            .into(),
        changes: changes.into(),
    }
}

fn agreement_required(r: Result<impl std::fmt::Debug, Error>, version: i64) {
    match r {
        Err(Error::AgreementRequired { version: v, .. }) => assert_eq!(v, version),
        other => panic!("expected AgreementRequired, got {other:?}"),
    }
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "a story: one partner's whole onboarding"
)]
async fn a_partner_onboards_from_approval_to_activation() {
    let p = Program::new().await;
    let app = apply(&p, "Acme Cloud", "petra@acme.example").await;
    let (_, partner) =
        p.s.approve_application(&p.admin, app.id, app.version, &Approval::default())
            .await
            .unwrap();
    let id = partner.id;
    let approved_at = p.s.now();

    // The applicant accepts the invitation and completes the profile.
    p.advance_days(1);
    let (user, pa) = p.accept_invitation("petra@acme.example").await;
    assert_eq!(user.status, "active");
    assert_eq!(user.org_id, id);
    let c = p.s.checklist(&pa, id).await.unwrap();
    assert_eq!(task(&c, TaskKind::Profile).status, "open");
    p.advance_days(2);
    let current = p.s.get_partner(&pa, id).await.unwrap();
    let updated =
        p.s.update_partner(
            &pa,
            id,
            current.version,
            &PartnerPatch {
                description: Some("Managed Kubernetes for clinics.".into()),
                industries: Some(vec!["healthcare".into()]),
                ..PartnerPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.version, current.version + 1);
    assert_eq!(updated.description, "Managed Kubernetes for clinics.");
    let c = p.s.checklist(&pa, id).await.unwrap();
    let profile = task(&c, TaskKind::Profile);
    assert_eq!(profile.status, "done");
    assert_eq!(profile.completed_by, None, "it completed itself");
    assert_eq!(profile.completed_at, Some(p.s.now()));
    assert_eq!(c.required_open, 2);

    // A manual partner task is a protected action once an agreement exists.
    let training = task(&c, TaskKind::Training).id;
    let v1 =
        p.s.publish_agreement(&p.admin, "all", 0, &agreement("Partner agreement", ""))
            .await
            .unwrap();
    assert_eq!(v1.version, 1);
    agreement_required(p.s.set_task_status(&pa, training, "done").await, 1);
    agreement_required(p.s.require_current_agreement(&pa).await, 1);
    let colleague = p.user(id, Role::PartnerUser, "sam@acme.example").await;
    agreement_required(p.s.set_task_status(&colleague, training, "done").await, 1);
    assert_eq!(
        p.s.checklist(&pa, id).await.unwrap().tasks[4].status,
        "open"
    );
    // Only a partner admin accepts, for its own organisation.
    assert!(matches!(
        p.s.accept_agreement(&colleague, v1.id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        p.s.accept_agreement(&p.admin, v1.id).await,
        Err(Error::InvalidState(_))
    ));

    let accepted = p.s.accept_agreement(&pa, v1.id).await.unwrap();
    assert_eq!(accepted.version, 1);
    assert_eq!(accepted.org_id, id);
    assert_eq!(accepted.accepted_name, user.name);
    // Accepting again changes nothing.
    let again = p.s.accept_agreement(&pa, v1.id).await.unwrap();
    assert_eq!(again.accepted_at, accepted.accepted_at);
    assert_eq!(p.events("partner.agreement_accepted").await.len(), 1);
    p.s.require_current_agreement(&pa).await.unwrap();
    let c = p.s.checklist(&pa, id).await.unwrap();
    assert_eq!(task(&c, TaskKind::Agreement).status, "done");
    assert_eq!(c.required_open, 1);

    // Now the partner may tick its manual tasks, and only those.
    let ticked =
        p.s.set_task_status(&colleague, training, "done")
            .await
            .unwrap();
    assert_eq!(ticked.status, "done");
    assert_eq!(ticked.completed_by, colleague.user().map(|u| u.user_id));
    let kickoff = task(&c, TaskKind::Custom);
    assert_eq!(kickoff.owner_side, Side::Vendor);
    assert!(matches!(
        p.s.set_task_status(&pa, kickoff.id, "done").await,
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        p.s.set_task_status(&pa, task(&c, TaskKind::FirstDeal).id, "done")
            .await,
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        p.s.set_task_status(&pa, training, "skipped").await,
        Err(Error::InvalidState(_))
    ));
    assert_eq!(
        fields(p.s.set_task_status(&pa, training, "finished").await),
        ["status"]
    );
    assert_eq!(
        p.s.get_partner(&pa, id).await.unwrap().status,
        PartnerStatus::Onboarding
    );

    // The channel manager holds the kick-off call: the last required task.
    p.advance_days(9);
    let done =
        p.s.set_task_status(&p.cm, kickoff.id, "done")
            .await
            .unwrap();
    assert_eq!(done.completed_by, p.cm.user().map(|u| u.user_id));
    let active = p.s.get_partner(&pa, id).await.unwrap();
    assert_eq!(active.status, PartnerStatus::Active);
    assert_eq!(active.activated_at, Some(p.s.now()));
    assert_eq!(active.days_to_activation(), Some(12));
    let activated = p.events("partner.activated").await;
    assert_eq!(activated.len(), 1);
    assert_eq!(activated[0].payload.0["days_to_activation"], 12);
    let history = p.s.partner_status_history(&pa, id).await.unwrap();
    let steps: Vec<_> = history
        .iter()
        .map(|h| (h.from_status.as_deref(), h.to_status.as_str()))
        .collect();
    assert_eq!(
        steps,
        [(None, "onboarding"), (Some("onboarding"), "active")]
    );
    assert_eq!(history[0].created_at, approved_at.millis());

    let figures = p.s.program_figures(&p.admin).await.unwrap();
    assert_eq!(figures.time_to_activation.count, 1);
    assert_eq!(figures.time_to_activation.median, Some(12.0));
    assert_eq!(figures.time_to_activation.p90, Some(12.0));
    assert_eq!(figures.onboarding, 0);
    assert!(figures.by_status.contains(&(PartnerStatus::Active, 1)));
    assert_eq!(figures.overdue_tasks, 0);
    // Optional tasks an active partner left open are neither chased nor counted as overdue.
    p.advance_days(60);
    let figures = p.s.program_figures(&p.admin).await.unwrap();
    assert_eq!(
        figures.overdue_tasks, 0,
        "invite the team, first deal are optional"
    );

    // A later first deal is measured from the approval too.
    p.s.record_deal_registered(&Actor::System, id, p.s.now())
        .await
        .unwrap();
    let c = p.s.checklist(&p.admin, id).await.unwrap();
    assert_eq!(task(&c, TaskKind::FirstDeal).status, "done");
    let figures = p.s.program_figures(&p.admin).await.unwrap();
    assert_eq!(figures.time_to_first_deal.median, Some(72.0));
}

#[tokio::test]
async fn activation_waits_for_every_required_task_and_a_skip_counts() {
    let p = Program::new().await;
    let partner = p.partner("Bravo", "si").await;
    let c = p.s.checklist(&p.cm, partner.id).await.unwrap();
    assert_eq!(c.required_open, 3);
    for t in c.tasks.iter().filter(|t| t.required) {
        let before = p.s.get_partner(&p.cm, partner.id).await.unwrap();
        assert_eq!(before.status, PartnerStatus::Onboarding, "{}", t.title);
        // The vendor may tick or skip any task on the partner's behalf.
        p.s.set_task_status(&p.cm, t.id, "skipped").await.unwrap();
    }
    let after = p.s.get_partner(&p.cm, partner.id).await.unwrap();
    assert_eq!(after.status, PartnerStatus::Active);
    // Reopening a task does not take activation back, and a second activation never happens.
    p.s.set_task_status(&p.cm, c.tasks[0].id, "open")
        .await
        .unwrap();
    p.s.set_task_status(&p.cm, c.tasks[0].id, "done")
        .await
        .unwrap();
    assert_eq!(p.events("partner.activated").await.len(), 1);
    assert_eq!(
        p.s.get_partner(&p.cm, partner.id)
            .await
            .unwrap()
            .activated_at,
        after.activated_at
    );
}

#[tokio::test]
async fn inviting_a_colleague_completes_the_invite_task() {
    let p = Program::new().await;
    let partner = p.partner("Charlie", "msp").await;
    let pa = p
        .user(partner.id, Role::PartnerAdmin, "admin@charlie.example")
        .await;
    let c = p.s.checklist(&pa, partner.id).await.unwrap();
    assert_eq!(task(&c, TaskKind::InviteTeam).status, "open");
    p.s.invite_user(
        &pa,
        &InviteInput {
            email: "sales@charlie.example".into(),
            name: "Sales Person".into(),
            role: "partner_user".into(),
            org_id: None,
        },
    )
    .await
    .unwrap();
    let c = p.s.checklist(&pa, partner.id).await.unwrap();
    assert_eq!(task(&c, TaskKind::InviteTeam).status, "done");
}

#[tokio::test]
async fn a_template_of_the_partner_type_shapes_its_checklist() {
    let p = Program::new().await;
    let tasks = vec![
        TemplateTask {
            title: "Accept the MSP agreement".into(),
            description: String::new(),
            kind: TaskKind::Agreement,
            owner_side: Side::Partner,
            due_days: 3,
            required: true,
        },
        TemplateTask {
            title: "Set up the NOC integration".into(),
            description: "Connect monitoring.".into(),
            kind: TaskKind::Custom,
            owner_side: Side::Partner,
            due_days: 20,
            required: false,
        },
    ];
    // Automatic tasks belong to the partner.
    let bad = vec![TemplateTask {
        owner_side: Side::Vendor,
        ..tasks[0].clone()
    }];
    assert_eq!(
        fields(p.s.create_template(&p.admin, "msp", "MSP", bad).await),
        ["tasks[0].owner_side"]
    );
    let t =
        p.s.create_template(&p.admin, "msp", "MSP onboarding", tasks)
            .await
            .unwrap();
    assert_eq!(
        fields(
            p.s.create_template(&p.admin, "msp", "Again", t.tasks.clone())
                .await
        ),
        ["scope"]
    );
    let msp = p.partner("Delta", "msp").await;
    let si = p.partner("Echo", "si").await;
    let c = p.s.checklist(&p.admin, msp.id).await.unwrap();
    let titles: Vec<_> = c.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Accept the MSP agreement", "Set up the NOC integration"]
    );
    assert_eq!(
        c.tasks[0].due_at.millis() - msp.created_at.millis(),
        3 * 86_400_000
    );
    assert_eq!(p.s.checklist(&p.admin, si.id).await.unwrap().tasks.len(), 6);
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "a story: two partners through three versions"
)]
async fn a_new_agreement_version_must_be_accepted_again() {
    let p = Program::new().await;
    let msp = p.partner("Alpha", "msp").await;
    let si = p.partner("Bravo", "si").await;
    let alpha = p.user(msp.id, Role::PartnerAdmin, "a@alpha.example").await;
    let bravo = p.user(si.id, Role::PartnerAdmin, "b@bravo.example").await;
    // No agreement yet: nothing to accept.
    p.s.require_current_agreement(&alpha).await.unwrap();
    assert!(
        p.s.agreement_status(&alpha, msp.id)
            .await
            .unwrap()
            .is_none()
    );

    let v1 =
        p.s.publish_agreement(&p.admin, "all", 0, &agreement("Partner agreement", ""))
            .await
            .unwrap();
    p.s.accept_agreement(&alpha, v1.id).await.unwrap();
    p.s.require_current_agreement(&alpha).await.unwrap();

    // A new version needs its changes described and the current version number.
    assert_eq!(
        fields(
            p.s.publish_agreement(&p.admin, "all", 1, &agreement("Partner agreement", ""))
                .await
        ),
        ["changes"]
    );
    assert!(matches!(
        p.s.publish_agreement(&p.admin, "all", 0, &agreement("Partner agreement", "x"))
            .await,
        Err(Error::StaleVersion { current: 1 })
    ));
    p.clock.advance(std::time::Duration::from_mins(1));
    let v2 =
        p.s.publish_agreement(
            &p.admin,
            "all",
            1,
            &agreement("Partner agreement", "New data protection clause."),
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);

    agreement_required(p.s.require_current_agreement(&alpha).await, 2);
    agreement_required(p.s.require_current_agreement(&bravo).await, 2);
    let training = task(
        &p.s.checklist(&alpha, msp.id).await.unwrap(),
        TaskKind::Training,
    )
    .id;
    agreement_required(p.s.set_task_status(&alpha, training, "done").await, 2);
    p.s.require_current_agreement(&p.cm).await.unwrap();
    let status = p.s.agreement_status(&alpha, msp.id).await.unwrap().unwrap();
    assert_eq!(status.agreement.id, v2.id);
    assert!(status.accepted.is_none());
    assert_eq!(status.previously_accepted_version, Some(1));
    // The old version can no longer be accepted.
    assert!(matches!(
        p.s.accept_agreement(&alpha, v1.id).await,
        Err(Error::InvalidState(_))
    ));
    p.s.accept_agreement(&alpha, v2.id).await.unwrap();
    p.s.require_current_agreement(&alpha).await.unwrap();
    p.s.set_task_status(&alpha, training, "done").await.unwrap();
    agreement_required(p.s.require_current_agreement(&bravo).await, 2);
    let accepted = p.s.partner_acceptances(&alpha, msp.id).await.unwrap();
    let versions: Vec<_> = accepted.iter().map(|a| a.version).collect();
    assert_eq!(versions, [2, 1]);

    // An agreement of its own type replaces `all` for that type only.
    let si_v1 =
        p.s.publish_agreement(&p.admin, "si", 0, &agreement("SI agreement", ""))
            .await
            .unwrap();
    p.s.require_current_agreement(&alpha).await.unwrap();
    agreement_required(p.s.require_current_agreement(&bravo).await, 1);
    assert!(matches!(
        p.s.get_agreement(&alpha, si_v1.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        p.s.accept_agreement(&alpha, si_v1.id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        p.s.get_agreement(&bravo, si_v1.id).await.unwrap().id,
        si_v1.id
    );
    p.s.accept_agreement(&bravo, si_v1.id).await.unwrap();
    p.s.require_current_agreement(&bravo).await.unwrap();

    let summaries = p.s.list_agreements(&p.admin).await.unwrap();
    let counts: Vec<_> = summaries
        .iter()
        .map(|s| {
            (
                s.agreement.scope.as_str(),
                s.agreement.version,
                s.acceptances,
            )
        })
        .collect();
    assert_eq!(counts, [("all", 2, 1), ("si", 1, 1)]);
    assert_eq!(
        fields(
            p.s.publish_agreement(&p.admin, "gold", 0, &agreement("X", ""))
                .await
        ),
        ["scope"]
    );
}

#[tokio::test]
async fn a_partners_status_moves_only_along_the_allowed_paths() {
    let p = Program::new().await;
    let alpha = p.partner("Alpha", "msp").await;
    let v = p.s.get_partner(&p.admin, alpha.id).await.unwrap().version;
    assert_eq!(
        fields(
            p.s.set_partner_status(&p.admin, alpha.id, v, PartnerStatus::Active, " ")
                .await
        ),
        ["reason"]
    );
    assert!(matches!(
        p.s.set_partner_status(&p.admin, alpha.id, v + 1, PartnerStatus::Active, "ready")
            .await,
        Err(Error::StaleVersion { current }) if current == v
    ));
    assert_eq!(
        fields(
            p.s.set_partner_status(&p.admin, alpha.id, v, PartnerStatus::Onboarding, "again")
                .await
        ),
        ["status"]
    );
    // Activated ahead of its checklist, suspended, reactivated, terminated for good.
    let mut v = v;
    for (to, event) in [
        (PartnerStatus::Active, "partner.activated"),
        (PartnerStatus::Suspended, "partner.suspended"),
        (PartnerStatus::Active, "partner.reactivated"),
        (PartnerStatus::Terminated, "partner.terminated"),
    ] {
        let after =
            p.s.set_partner_status(&p.cm, alpha.id, v, to, "as agreed")
                .await
                .unwrap();
        assert_eq!(after.status, to);
        assert_eq!(p.events(event).await.len(), 1, "{event}");
        v = after.version;
    }
    let after = p.s.get_partner(&p.admin, alpha.id).await.unwrap();
    assert_eq!(after.activated_at, Some(alpha.created_at), "set once");
    assert_eq!(
        fields(
            p.s.set_partner_status(&p.admin, alpha.id, v, PartnerStatus::Active, "back")
                .await
        ),
        ["status"]
    );
    assert_eq!(
        p.s.partner_status_history(&p.admin, alpha.id)
            .await
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test]
async fn templates_apply_to_new_partners_only_and_fall_back_to_all_then_the_default() {
    let p = Program::new().await;
    let one = |title: &str| TemplateTask {
        title: title.into(),
        description: String::new(),
        kind: TaskKind::Custom,
        owner_side: Side::Vendor,
        due_days: 5,
        required: true,
    };
    let all =
        p.s.create_template(&p.admin, "all", "Everyone", vec![one("Welcome call")])
            .await
            .unwrap();
    let msp =
        p.s.create_template(&p.admin, "msp", "MSPs", vec![one("NOC review")])
            .await
            .unwrap();
    let titles = |p: &Program, id| {
        let s = p.s.clone();
        let admin = p.admin.clone();
        async move {
            s.checklist(&admin, id)
                .await
                .unwrap()
                .tasks
                .into_iter()
                .map(|t| t.title)
                .collect::<Vec<_>>()
        }
    };
    let alpha = p.partner("Alpha", "msp").await;
    let bravo = p.partner("Bravo", "si").await;
    assert_eq!(titles(&p, alpha.id).await, ["NOC review"]);
    assert_eq!(titles(&p, bravo.id).await, ["Welcome call"]);
    // Changing a template leaves existing checklists alone.
    let updated =
        p.s.update_template(
            &p.admin,
            msp.id,
            msp.version,
            "MSPs",
            vec![one("NOC audit")],
        )
        .await
        .unwrap();
    assert!(matches!(
        p.s.update_template(&p.admin, msp.id, msp.version, "MSPs", vec![one("x")])
            .await,
        Err(Error::StaleVersion { .. })
    ));
    assert_eq!(titles(&p, alpha.id).await, ["NOC review"]);
    let charlie = p.partner("Charlie", "msp").await;
    assert_eq!(titles(&p, charlie.id).await, ["NOC audit"]);
    p.s.delete_template(&p.admin, updated.id).await.unwrap();
    let delta = p.partner("Delta", "msp").await;
    assert_eq!(titles(&p, delta.id).await, ["Welcome call"]);
    p.s.delete_template(&p.admin, all.id).await.unwrap();
    let echo = p.partner("Echo", "msp").await;
    assert_eq!(titles(&p, echo.id).await.len(), 6);
    // A one-task checklist whose only task the vendor ticks activates the partner.
    let task = p.s.checklist(&p.cm, delta.id).await.unwrap().tasks[0].id;
    p.s.set_task_status(&p.cm, task, "done").await.unwrap();
    assert_eq!(
        p.s.get_partner(&p.cm, delta.id).await.unwrap().status,
        PartnerStatus::Active
    );
}
