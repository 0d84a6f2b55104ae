//! The public application form and its review: validation, rate limits, duplicates, scoring,
//! approval (partner, checklist, invited admin) and rejection.

use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::{OrgKind, Role};
use trellis_service::Error;
use trellis_service::partners::applications::{ApplicationInput, Approval};
use trellis_service::partners::onboarding::{Side, TaskKind};
use trellis_service::partners::settings::ProgramSettings;
use trellis_service::platform::PageRequest;

use crate::partners_fixtures::{Program, application, apply, client, fields, ipp_criteria};

#[tokio::test]
async fn an_invalid_application_names_every_bad_field_and_stores_nothing() {
    let p = Program::new().await;
    let bad = ApplicationInput {
        company_name: "   ".into(),
        website: Some("not a url".into()),
        country: Some("Germany".into()),
        region: Some("mars".into()),
        partner_type: "pirate".into(),
        industries: vec!["healthcare".into(), "alchemy".into()],
        description: "Too short.".into(),
        contact_name: String::new(),
        contact_email: "petra.example.com".into(),
        contact_phone: "call me maybe".into(),
        founded_year: Some(1066),
        ..application("x", "x@example.com")
    };
    let got = fields(p.s.submit_application(&bad, &client("192.0.2.1")).await);
    for field in [
        "company_name",
        "website",
        "country",
        "region",
        "partner_type",
        "industries[1]",
        "description",
        "contact_name",
        "contact_email",
        "contact_phone",
        "founded_year",
    ] {
        assert!(got.iter().any(|f| f == field), "{field} missing in {got:?}");
    }
    assert!(!got.iter().any(|f| f == "industries[0]"), "{got:?}");
    let missing_type = ApplicationInput {
        partner_type: " ".into(),
        ..application("Acme", "a@acme.example")
    };
    assert_eq!(
        fields(
            p.s.submit_application(&missing_type, &client("192.0.2.1"))
                .await
        ),
        ["partner_type"]
    );

    let counts = p.s.application_counts(&p.admin).await.unwrap();
    assert!(counts.is_empty(), "{counts:?}");
    assert!(p.emails().await.is_empty());
    assert!(p.events("partner.applied").await.is_empty());
}

#[tokio::test]
async fn one_address_may_send_five_applications_an_hour() {
    let p = Program::new().await;
    let from = client("203.0.113.9");
    for i in 0..5 {
        let input = application(&format!("Company {i}"), &format!("c{i}@apply.example"));
        p.s.submit_application(&input, &from).await.unwrap();
    }
    let sixth = application("Company 5", "c5@apply.example");
    let err = p.s.submit_application(&sixth, &from).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after_secs } if retry_after_secs > 0 && retry_after_secs <= 3600),
        "{err:?}"
    );
    // Refused means not stored.
    let pending =
        p.s.list_applications(&p.admin, Some("pending"), &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(pending.items.len(), 5);
    // Another address is not affected, and the limit resets with the hour.
    p.s.submit_application(&sixth, &client("203.0.113.10"))
        .await
        .unwrap();
    p.clock.advance(std::time::Duration::from_hours(1));
    let seventh = application("Company 6", "c6@apply.example");
    p.s.submit_application(&seventh, &from).await.unwrap();
}

#[tokio::test]
async fn a_second_pending_application_from_the_same_address_is_a_conflict() {
    let p = Program::new().await;
    let first = apply(&p, "Acme", "Petra@Acme.example").await;
    assert_eq!(first.contact_email, "petra@acme.example");
    let again = application("Acme Two", "petra@ACME.example");
    let err =
        p.s.submit_application(&again, &client("192.0.2.50"))
            .await
            .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    // Once decided, the same person may apply again.
    p.s.reject_application(&p.cm, first.id, first.version, "not a fit yet", false)
        .await
        .unwrap();
    p.s.submit_application(&again, &client("192.0.2.50"))
        .await
        .unwrap();
}

#[tokio::test]
async fn closed_applications_are_refused() {
    let p = Program::new().await;
    let current = p.s.get_program_settings(&p.admin).await.unwrap();
    assert_eq!(current.version, 0);
    let closed = ProgramSettings {
        applications_open: false,
        ..current.settings
    };
    let saved =
        p.s.update_program_settings(&p.admin, 0, closed.clone())
            .await
            .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(p.s.public_program_switches().await.unwrap(), (false, false));
    let err =
        p.s.submit_application(&application("Acme", "a@acme.example"), &client("192.0.2.1"))
            .await
            .unwrap_err();
    assert!(matches!(err, Error::InvalidState(_)), "{err:?}");
    assert!(p.s.application_counts(&p.admin).await.unwrap().is_empty());
    // A stale settings version is refused; reopening works.
    let open = ProgramSettings {
        applications_open: true,
        ..closed
    };
    assert!(matches!(
        p.s.update_program_settings(&p.admin, 0, open.clone()).await,
        Err(Error::StaleVersion { current: 1 })
    ));
    p.s.update_program_settings(&p.admin, 1, open)
        .await
        .unwrap();
    apply(&p, "Acme", "a@acme.example").await;
}

#[tokio::test]
async fn an_application_is_scored_once_an_ipp_is_saved_and_its_confirmation_is_queued() {
    let p = Program::new().await;
    let app = apply(&p, "Acme Cloud", "petra@acme.example").await;
    assert_eq!(app.status, "pending");
    assert_eq!(app.fit_score, None);

    let to_applicant = p.emails_to("petra@acme.example").await;
    assert_eq!(to_applicant.len(), 1, "{to_applicant:?}");
    assert!(to_applicant[0].subject.contains("Acme Cloud"));
    assert!(to_applicant[0].body.contains("Petra Keller"));
    // Every reviewer hears of it.
    for reviewer in ["admin@vendor.example", "cm@vendor.example"] {
        let mails = p.emails_to(reviewer).await;
        assert_eq!(mails.len(), 1, "{reviewer}");
        assert!(mails[0].body.contains(&app.id.to_string()));
    }
    assert_eq!(p.events("partner.applied").await.len(), 1);

    let ipp =
        p.s.save_ipp(&p.admin, 0, ipp_criteria(), "first")
            .await
            .unwrap();
    assert_eq!(ipp.version, 1);
    let jobs = p.jobs_of("partners.rescore").await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].payload["ipp_version"], 1);
    // The job does the scoring.
    assert_eq!(p.s.rescore_all(1).await.unwrap(), 1);
    let detail = p.s.get_application(&p.cm, app.id).await.unwrap();
    // An MSP with 40 employees is the ideal partner.
    assert_eq!(detail.application.fit_score, Some(100));
    assert_eq!(detail.application.ipp_version, Some(1));
    let fit = detail.fit.expect("a breakdown");
    assert_eq!(fit.ipp_version, 1);
    assert_eq!(fit.fit.contributions.len(), 2);
    assert!(!detail.contact_has_account);

    // Applications arriving after the IPP is saved are scored at once.
    let later =
        p.s.submit_application(
            &ApplicationInput {
                partner_type: "si".into(),
                employees: Some(5),
                ..application("Tiny SI", "tiny@si.example")
            },
            &client("192.0.2.7"),
        )
        .await
        .unwrap();
    assert_eq!(later.fit_score, Some(0));
    assert_eq!(later.ipp_version, Some(1));
}

#[tokio::test]
async fn approving_creates_the_partner_its_checklist_and_an_invited_admin() {
    let p = Program::new().await;
    let app = apply(&p, "Acme Cloud", "petra@acme.example").await;
    let (decided, partner) =
        p.s.approve_application(&p.admin, app.id, app.version, &Approval::default())
            .await
            .unwrap();
    assert_eq!(decided.status, "approved");
    assert_eq!(decided.version, app.version + 1);
    assert_eq!(decided.org_id, Some(partner.id));
    assert!(decided.decided_at.is_some());
    assert_eq!(partner.name, "Acme Cloud");
    assert_eq!(partner.slug, "acme-cloud");
    assert_eq!(partner.status, PartnerStatus::Onboarding);
    assert_eq!(partner.country.as_deref(), Some("DE"));
    assert_eq!(partner.description, app.description);
    assert_eq!(partner.employees, Some(40));
    assert_eq!(partner.approved_at, Some(p.s.now()));
    assert_eq!(partner.activated_at, None);
    // A vendor admin who approves does not become the owner.
    assert_eq!(partner.owner_id, None);

    let org = p.s.get_org(&p.admin, partner.id).await.unwrap();
    assert_eq!(org.kind, OrgKind::Partner);
    let stored = p.s.get_application(&p.admin, app.id).await.unwrap();
    assert_eq!(stored.application.status, "approved");
    assert!(stored.contact_has_account);

    // The default checklist, due from the approval.
    let checklist = p.s.checklist(&p.admin, partner.id).await.unwrap();
    let kinds: Vec<_> = checklist.tasks.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [
            TaskKind::Profile,
            TaskKind::Agreement,
            TaskKind::Custom,
            TaskKind::InviteTeam,
            TaskKind::Training,
            TaskKind::FirstDeal
        ]
    );
    assert_eq!(checklist.tasks[2].owner_side, Side::Vendor);
    assert_eq!(checklist.required_open, 3);
    assert_eq!(checklist.overdue, 0);
    assert!(checklist.tasks.iter().all(|t| t.status == "open"));
    assert_eq!(
        checklist.tasks[0].due_at.millis() - p.s.now().millis(),
        7 * 86_400_000
    );

    // The applicant is invited as the partner's admin.
    let users =
        p.s.list_users(&p.admin, Some(partner.id), &PageRequest::default())
            .await
            .unwrap()
            .items;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email, "petra@acme.example");
    assert_eq!(users[0].role, Role::PartnerAdmin);
    assert_eq!(users[0].status, "invited");
    let invitation = p.emails_to("petra@acme.example").await;
    assert!(
        invitation.iter().any(|m| m.body.contains("/invitations/")),
        "{invitation:?}"
    );

    let approved = p.events("partner.approved").await;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].object_id, partner.id.to_string());
    assert_eq!(
        approved[0].payload.0["application"]["id"],
        app.id.to_string()
    );
    assert_eq!(p.events("user.invited").await.len(), 1);
}

#[tokio::test]
async fn a_channel_manager_who_approves_owns_the_partner_unless_another_owner_is_named() {
    let p = Program::new().await;
    let a = apply(&p, "Alpha", "a@alpha.example").await;
    let (_, alpha) =
        p.s.approve_application(&p.cm, a.id, a.version, &Approval::default())
            .await
            .unwrap();
    assert_eq!(alpha.owner_id, p.cm.user().map(|u| u.user_id));

    let b = apply(&p, "Bravo", "b@bravo.example").await;
    let other = p
        .user(
            p.vendor.id,
            trellis_domain::Role::ChannelManager,
            "cm2@vendor.example",
        )
        .await;
    let (_, bravo) =
        p.s.approve_application(
            &p.cm,
            b.id,
            b.version,
            &Approval {
                reason: Some("strong healthcare focus".into()),
                owner_id: other.user().map(|u| u.user_id),
            },
        )
        .await
        .unwrap();
    assert_eq!(bravo.owner_id, other.user().map(|u| u.user_id));

    // Only a vendor admin or channel manager can own a partner.
    let finance = p
        .user(
            p.vendor.id,
            trellis_domain::Role::Finance,
            "fin@vendor.example",
        )
        .await;
    let c = apply(&p, "Charlie", "c@charlie.example").await;
    let got = fields(
        p.s.approve_application(
            &p.cm,
            c.id,
            c.version,
            &Approval {
                reason: None,
                owner_id: finance.user().map(|u| u.user_id),
            },
        )
        .await,
    );
    assert_eq!(got, ["owner_id"]);
    // Nothing of the failed approval remains.
    let still = p.s.get_application(&p.cm, c.id).await.unwrap().application;
    assert_eq!(still.status, "pending");
    assert_eq!(still.version, c.version);
    let charlie =
        p.s.list_orgs(
            &p.admin,
            Some(OrgKind::Partner),
            Some("Charlie"),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(charlie.items.is_empty());
}

#[tokio::test]
async fn an_application_is_decided_once_and_only_at_its_current_version() {
    let p = Program::new().await;
    let app = apply(&p, "Acme", "a@acme.example").await;
    let err =
        p.s.approve_application(&p.cm, app.id, app.version + 1, &Approval::default())
            .await
            .unwrap_err();
    assert!(
        matches!(err, Error::StaleVersion { current } if current == app.version),
        "{err:?}"
    );
    let err =
        p.s.reject_application(&p.cm, app.id, 0, "stale", false)
            .await
            .unwrap_err();
    assert!(matches!(err, Error::StaleVersion { .. }), "{err:?}");

    let (decided, _) =
        p.s.approve_application(&p.cm, app.id, app.version, &Approval::default())
            .await
            .unwrap();
    for version in [app.version, decided.version] {
        let err =
            p.s.approve_application(&p.cm, app.id, version, &Approval::default())
                .await
                .unwrap_err();
        assert!(matches!(err, Error::InvalidState(_)), "{err:?}");
        let err =
            p.s.reject_application(&p.cm, app.id, version, "changed my mind", false)
                .await
                .unwrap_err();
        assert!(matches!(err, Error::InvalidState(_)), "{err:?}");
    }
    // Exactly one partner and one approval event.
    let partners =
        p.s.list_orgs(
            &p.admin,
            Some(OrgKind::Partner),
            None,
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(partners.items.len(), 1);
    assert_eq!(p.events("partner.approved").await.len(), 1);
    let unknown = trellis_domain::ApplicationId::new();
    assert!(matches!(
        p.s.approve_application(&p.cm, unknown, 1, &Approval::default())
            .await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_may_tell_the_applicant() {
    let p = Program::new().await;
    let app = apply(&p, "Acme", "a@acme.example").await;
    assert_eq!(
        fields(
            p.s.reject_application(&p.cm, app.id, app.version, "  ", true)
                .await
        ),
        ["reason"]
    );
    assert_eq!(
        fields(
            p.s.reject_application(&p.cm, app.id, app.version, &"x".repeat(1001), true)
                .await
        ),
        ["reason"]
    );
    let before = p.emails_to("a@acme.example").await.len();
    let rejected =
        p.s.reject_application(&p.cm, app.id, app.version, "outside our regions", true)
            .await
            .unwrap();
    assert_eq!(rejected.status, "rejected");
    assert_eq!(
        rejected.decision_reason.as_deref(),
        Some("outside our regions")
    );
    assert_eq!(rejected.reviewer_id, p.cm.user().map(|u| u.user_id));
    let mails = p.emails_to("a@acme.example").await;
    assert_eq!(mails.len(), before + 1);
    assert!(mails.iter().any(|m| m.body.contains("outside our regions")));
    assert_eq!(p.events("partner.rejected").await.len(), 1);
    // No partner was made; a silent rejection sends nothing.
    let b = apply(&p, "Bravo", "b@bravo.example").await;
    let before = p.emails_to("b@bravo.example").await.len();
    p.s.reject_application(&p.cm, b.id, b.version, "duplicate", false)
        .await
        .unwrap();
    assert_eq!(p.emails_to("b@bravo.example").await.len(), before);
    let counts = p.s.application_counts(&p.cm).await.unwrap();
    assert_eq!(counts, [("rejected".to_owned(), 2)]);
}

#[tokio::test]
async fn approval_is_refused_when_the_contact_already_has_an_account() {
    let p = Program::new().await;
    let existing = p.partner("Existing", "si").await;
    p.user(existing.id, Role::PartnerUser, "taken@example.com")
        .await;
    let app = apply(&p, "Newco", "Taken@Example.com").await;
    assert!(
        p.s.get_application(&p.cm, app.id)
            .await
            .unwrap()
            .contact_has_account
    );
    let got = fields(
        p.s.approve_application(&p.cm, app.id, app.version, &Approval::default())
            .await,
    );
    assert_eq!(got, ["contact_email"]);
    let app =
        p.s.get_application(&p.cm, app.id)
            .await
            .unwrap()
            .application;
    assert_eq!(app.status, "pending");
}

#[tokio::test]
async fn a_complete_application_completes_the_profile_task_whoever_approves_it() {
    // The application already has a description and an industry, which is what the profile
    // task asks for. Whether a vendor admin or a channel manager approves must not matter.
    let p = Program::new().await;
    let complete = |company: &str, email: &str| ApplicationInput {
        industries: vec!["healthcare".into()],
        ..application(company, email)
    };
    let mut states = Vec::new();
    for (reviewer, company, email) in [
        (&p.admin, "Alpha", "a@alpha.example"),
        (&p.cm, "Bravo", "b@bravo.example"),
    ] {
        let app =
            p.s.submit_application(&complete(company, email), &client("192.0.2.3"))
                .await
                .unwrap();
        let (_, partner) =
            p.s.approve_application(reviewer, app.id, app.version, &Approval::default())
                .await
                .unwrap();
        let checklist = p.s.checklist(&p.admin, partner.id).await.unwrap();
        let profile = checklist
            .tasks
            .iter()
            .find(|t| t.kind == TaskKind::Profile)
            .unwrap();
        states.push(profile.status.clone());
    }
    assert_eq!(states, ["done", "done"]);
}

#[tokio::test]
async fn approved_partners_get_free_handles_and_the_queue_pages_in_order() {
    let p = Program::new().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        // Several arrive in the same millisecond; the id breaks the tie.
        if i % 3 == 0 {
            p.clock.advance(std::time::Duration::from_secs(1));
        }
        ids.push(
            apply(&p, "Acme Cloud", &format!("p{i}@acme.example"))
                .await
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            p.s.list_applications(
                &p.cm,
                Some("pending"),
                &PageRequest {
                    cursor,
                    limit: Some(3),
                },
            )
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|a| (a.created_at, a.id)));
        match page.next {
            Some(c) => cursor = Some(c.encode()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_by_key(|(at, id)| (*at, id.as_uuid()));
    assert_eq!(seen, sorted);
    let mut got: Vec<_> = seen.iter().map(|(_, id)| *id).collect();
    got.sort_by_key(|id| id.as_uuid());
    ids.sort_by_key(|id| id.as_uuid());
    assert_eq!(got, ids);

    let mut slugs = Vec::new();
    for id in ids.iter().take(3) {
        let app = p.s.get_application(&p.cm, *id).await.unwrap().application;
        let (_, partner) =
            p.s.approve_application(&p.cm, app.id, app.version, &Approval::default())
                .await
                .unwrap();
        slugs.push(partner.slug);
    }
    assert_eq!(slugs, ["acme-cloud", "acme-cloud-2", "acme-cloud-3"]);
    assert_eq!(
        fields(
            p.s.list_applications(&p.cm, Some("maybe"), &PageRequest::default())
                .await
        ),
        ["status"]
    );
}

#[tokio::test]
async fn program_settings_and_the_ipp_are_validated_before_anything_is_saved() {
    let p = Program::new().await;
    let current = p.s.get_program_settings(&p.admin).await.unwrap();
    let bad = ProgramSettings {
        reporting_currency: "usd".into(),
        reminder_interval_days: 0,
        ..current.settings.clone()
    };
    let got = fields(p.s.update_program_settings(&p.admin, 0, bad).await);
    assert_eq!(got, ["reporting_currency", "reminder_interval_days"]);
    assert_eq!(p.s.get_program_settings(&p.cm).await.unwrap().version, 0);
    assert!(matches!(
        p.s.update_program_settings(&p.cm, 0, current.settings)
            .await,
        Err(Error::Forbidden)
    ));

    let got = fields(p.s.save_ipp(&p.admin, 0, vec![], "empty").await);
    assert!(!got.is_empty());
    let mut wrong = ipp_criteria();
    wrong[0].attribute = trellis_domain::partners::ipp::Attribute::Employees;
    let got = fields(p.s.save_ipp(&p.admin, 0, wrong, "mismatch").await);
    assert!(got.iter().all(|f| f.starts_with("criteria[0]")), "{got:?}");
    assert_eq!(
        fields(
            p.s.save_ipp(&p.admin, 0, ipp_criteria(), &"n".repeat(501))
                .await
        ),
        ["note"]
    );
    assert!(p.s.get_ipp(&p.admin).await.unwrap().is_none());
    assert!(p.jobs_of("partners.rescore").await.is_empty());
}
