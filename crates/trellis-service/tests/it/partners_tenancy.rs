//! Partner isolation: a partner sees only its own partner record and what hangs off it, never
//! the program's review and management functions, and cannot change what the vendor manages.

use trellis_domain::partners::metrics::Metric;
use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::{Permission, Role, Scope};
use trellis_service::partners::PartnerPatch;
use trellis_service::partners::agreements::AgreementInput;
use trellis_service::partners::applications::Approval;
use trellis_service::partners::contacts::{Contact, ContactInput};
use trellis_service::partners::directory::DirectoryQuery;
use trellis_service::partners::onboarding::TemplateTask;
use trellis_service::partners::settings::ProgramSettings;
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::Org;
use trellis_service::{Actor, AuthMethod, Error};

use crate::partners_fixtures::{Program, apply, fields, ipp_criteria, ladder_inputs};

struct Two {
    p: Program,
    a: Org,
    b: Org,
    a_admin: Actor,
    a_user: Actor,
    b_contact: Contact,
}

async fn two_partners() -> Two {
    let p = Program::new().await;
    p.ladder().await;
    let a = p.partner("Alpha", "msp").await;
    let b = p.partner("Bravo", "si").await;
    let a_admin = p
        .user(a.id, Role::PartnerAdmin, "admin@alpha.example")
        .await;
    let a_user = p.user(a.id, Role::PartnerUser, "user@alpha.example").await;
    p.s.set_partner_metric(&p.admin, b.id, Metric::WonDeals, Some(7), "manual")
        .await
        .unwrap();
    p.s.evaluate_partner_tier(&p.admin, b.id).await.unwrap();
    let b_contact =
        p.s.create_contact(&p.admin, b.id, &contact("Bea Bravo", "bea@bravo.example"))
            .await
            .unwrap();
    p.s.create_contact(&p.admin, a.id, &contact("Al Alpha", "al@alpha.example"))
        .await
        .unwrap();
    Two {
        p,
        a,
        b,
        a_admin,
        a_user,
        b_contact,
    }
}

fn contact(name: &str, email: &str) -> ContactInput {
    ContactInput {
        name: name.into(),
        email: email.into(),
        phone: "+1 555 0100".into(),
        title: "Head of Sales".into(),
        role: "sales".into(),
    }
}

fn not_found<T: std::fmt::Debug>(what: &str, r: Result<T, Error>) {
    match r {
        Err(Error::NotFound) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

fn forbidden<T: std::fmt::Debug>(what: &str, r: Result<T, Error>) {
    match r {
        Err(Error::Forbidden) => {}
        other => panic!("{what}: expected Forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn a_partner_cannot_read_another_partners_records() {
    let t = two_partners().await;
    let s = &t.p.s;
    let b = t.b.id;
    let b_task = s.checklist(&t.p.admin, b).await.unwrap().tasks[4].id;
    for actor in [&t.a_admin, &t.a_user] {
        not_found("partner", s.get_partner(actor, b).await);
        not_found("checklist", s.checklist(actor, b).await);
        not_found("metrics", s.partner_metrics(actor, b).await);
        not_found("contacts", s.list_contacts(actor, b).await);
        not_found("contact", s.get_contact(actor, t.b_contact.id).await);
        not_found("tier changes", s.partner_tier_changes(actor, b).await);
        not_found("status history", s.partner_status_history(actor, b).await);
        not_found("agreement status", s.agreement_status(actor, b).await);
        not_found("acceptances", s.partner_acceptances(actor, b).await);
        not_found("task", s.set_task_status(actor, b_task, "done").await);
        // The same questions about its own organisation are answered.
        let a = t.a.id;
        assert_eq!(s.get_partner(actor, a).await.unwrap().id, a);
        assert_eq!(s.checklist(actor, a).await.unwrap().tasks.len(), 6);
        s.partner_metrics(actor, a).await.unwrap();
        assert_eq!(s.list_contacts(actor, a).await.unwrap().len(), 1);
        assert_eq!(s.partner_tier_changes(actor, a).await.unwrap().len(), 1);
        assert_eq!(s.partner_status_history(actor, a).await.unwrap().len(), 1);
        // Tiers are no secret, but who holds them is.
        let tiers = s.list_tiers(actor).await.unwrap();
        assert!(tiers.iter().all(|t| t.holders == 0));
    }
    let pa = &t.a_admin;
    not_found(
        "update partner",
        s.update_partner(
            pa,
            b,
            1,
            &PartnerPatch {
                description: Some("mine now".into()),
                ..PartnerPatch::default()
            },
        )
        .await,
    );
    not_found(
        "add contact",
        s.create_contact(pa, b, &contact("Mole", "mole@alpha.example"))
            .await,
    );
    not_found(
        "update contact",
        s.update_contact(
            pa,
            t.b_contact.id,
            1,
            &contact("Mole", "mole@alpha.example"),
        )
        .await,
    );
    not_found("delete contact", s.delete_contact(pa, t.b_contact.id).await);
    // Nothing of B changed.
    let contacts = s.list_contacts(&t.p.admin, b).await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].name, "Bea Bravo");
    assert_eq!(
        s.checklist(&t.p.admin, b).await.unwrap().tasks[4].status,
        "open"
    );
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one line per refused use case")]
async fn a_partner_cannot_review_applications_or_manage_the_program() {
    let t = two_partners().await;
    let s = &t.p.s;
    let app = apply(&t.p, "Charlie", "c@charlie.example").await;
    let page = PageRequest::default();
    let a = t.a.id;
    for actor in [&t.a_admin, &t.a_user] {
        forbidden(
            "list applications",
            s.list_applications(actor, None, &page).await,
        );
        forbidden("application counts", s.application_counts(actor).await);
        forbidden("get application", s.get_application(actor, app.id).await);
        forbidden(
            "approve",
            s.approve_application(actor, app.id, app.version, &Approval::default())
                .await,
        );
        forbidden(
            "reject",
            s.reject_application(actor, app.id, app.version, "no", false)
                .await,
        );
        forbidden("settings", s.get_program_settings(actor).await);
        forbidden(
            "change settings",
            s.update_program_settings(actor, 0, ProgramSettings::default())
                .await,
        );
        forbidden("ipp", s.get_ipp(actor).await);
        forbidden("ipp history", s.ipp_history(actor).await);
        forbidden("preview ipp", s.preview_ipp(actor, ipp_criteria()).await);
        forbidden("save ipp", s.save_ipp(actor, 0, ipp_criteria(), "").await);
        forbidden("fit history", s.fit_history(actor, a).await);
        forbidden("agreements", s.list_agreements(actor).await);
        forbidden(
            "publish agreement",
            s.publish_agreement(
                actor,
                "all",
                0,
                &AgreementInput {
                    title: "Ours".into(),
                    body: "A body that is long enough to publish.".into(),
                    changes: String::new(),
                },
            )
            .await,
        );
        forbidden("templates", s.list_templates(actor).await);
        forbidden(
            "create template",
            s.create_template(actor, "all", "Mine", Vec::<TemplateTask>::new())
                .await,
        );
        forbidden(
            "create tier",
            s.create_tier(actor, &ladder_inputs()[0]).await,
        );
        forbidden(
            "update tier",
            s.update_tier(actor, "silver", 1, &ladder_inputs()[1]).await,
        );
        forbidden("delete tier", s.delete_tier(actor, "gold").await);
        forbidden("tier changes", s.list_tier_changes(actor, &page).await);
        forbidden(
            "directory",
            s.search_directory(actor, &DirectoryQuery::default(), &page)
                .await,
        );
        forbidden("figures", s.program_figures(actor).await);
        // Its own tier and metrics are the vendor's to decide, too.
        forbidden(
            "set metric",
            s.set_partner_metric(actor, a, Metric::WonDeals, Some(100), "self")
                .await,
        );
        forbidden("evaluate", s.evaluate_partner_tier(actor, a).await);
        forbidden(
            "override",
            s.set_tier_override(actor, a, 1, "gold", "because", None)
                .await,
        );
        forbidden(
            "status",
            s.set_partner_status(actor, a, 1, PartnerStatus::Active, "ready")
                .await,
        );
    }
    assert_eq!(
        s.get_application(&t.p.cm, app.id)
            .await
            .unwrap()
            .application
            .status,
        "pending"
    );
    assert_eq!(
        s.get_partner(&t.p.admin, a).await.unwrap().tier.as_deref(),
        Some("registered")
    );
    // Vendor roles without the permission are refused as well.
    let sales =
        t.p.user(t.p.vendor.id, Role::SalesRep, "rep@vendor.example")
            .await;
    forbidden(
        "sales rep approves",
        s.approve_application(&sales, app.id, app.version, &Approval::default())
            .await,
    );
    forbidden(
        "sales rep edits",
        s.update_partner(&sales, a, 1, &PartnerPatch::default())
            .await,
    );
    s.search_directory(&sales, &DirectoryQuery::default(), &page)
        .await
        .unwrap();
    forbidden(
        "channel manager saves ipp",
        s.save_ipp(&t.p.cm, 0, ipp_criteria(), "").await,
    );
}

#[tokio::test]
async fn a_partner_admin_cannot_change_what_the_vendor_manages() {
    let t = two_partners().await;
    let s = &t.p.s;
    let a = t.a.id;
    let before = s.get_partner(&t.a_admin, a).await.unwrap();
    let owner = t.p.cm.user().map(|u| u.user_id);
    let got = fields(
        s.update_partner(
            &t.a_admin,
            a,
            before.version,
            &PartnerPatch {
                name: Some("Alpha Prime".into()),
                partner_type: Some("distributor".into()),
                owner_id: Some(owner),
                description: Some("fine on its own".into()),
                ..PartnerPatch::default()
            },
        )
        .await,
    );
    assert_eq!(got, ["name", "partner_type", "owner_id"]);
    let unchanged = s.get_partner(&t.a_admin, a).await.unwrap();
    assert_eq!(unchanged.version, before.version);
    assert_eq!(unchanged.name, "Alpha");
    assert_eq!(unchanged.description, "");

    // What the partner may change, it changes.
    let after = s
        .update_partner(
            &t.a_admin,
            a,
            before.version,
            &PartnerPatch {
                description: Some("Managed security for retailers.".into()),
                website: Some(Some("https://alpha.example".into())),
                technologies: Some(vec!["CrowdStrike".into()]),
                employees: Some(Some(25)),
                listed: Some(true),
                ..PartnerPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(after.website.as_deref(), Some("https://alpha.example/"));
    assert!(after.listed);
    assert_eq!(after.employees, Some(25));
    assert!(matches!(
        s.update_partner(&t.a_admin, a, before.version, &PartnerPatch::default())
            .await,
        Err(Error::StaleVersion { current }) if current == after.version
    ));
    // A partner user may read but not edit; a token narrowed to reading cannot edit either.
    forbidden(
        "partner user edits",
        s.update_partner(&t.a_user, a, after.version, &PartnerPatch::default())
            .await,
    );
    let Actor::User(u) = t.a_admin.clone() else {
        unreachable!()
    };
    let read_only = Actor::User(trellis_service::UserActor {
        via: AuthMethod::ApiToken(vec![Scope::of(Permission::OrgsRead)]),
        ..u
    });
    s.get_partner(&read_only, a).await.unwrap();
    forbidden(
        "read-only token edits",
        s.update_partner(&read_only, a, after.version, &PartnerPatch::default())
            .await,
    );
    // The vendor may change all of it.
    let renamed = s
        .update_partner(
            &t.p.cm,
            a,
            after.version,
            &PartnerPatch {
                name: Some("Alpha Prime".into()),
                partner_type: Some("distributor".into()),
                owner_id: Some(owner),
                ..PartnerPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Alpha Prime");
    assert_eq!(renamed.owner_id, owner);
}

#[tokio::test]
async fn contacts_are_validated_and_versioned() {
    let t = two_partners().await;
    let s = &t.p.s;
    let a = t.a.id;
    let bad = ContactInput {
        name: String::new(),
        email: "nope".into(),
        phone: "call me".into(),
        title: "x".repeat(121),
        role: "boss".into(),
    };
    let got = fields(s.create_contact(&t.a_admin, a, &bad).await);
    assert_eq!(got, ["name", "email", "phone", "title", "role"]);
    forbidden(
        "partner user adds",
        s.create_contact(&t.a_user, a, &contact("X Y", "x@y.example"))
            .await,
    );
    let c = s
        .create_contact(&t.a_admin, a, &contact("Zed Alpha", "Zed@Alpha.example"))
        .await
        .unwrap();
    assert_eq!(c.email, "zed@alpha.example");
    let updated = s
        .update_contact(
            &t.a_admin,
            c.id,
            c.version,
            &ContactInput {
                role: "technical".into(),
                ..contact("Zed Alpha", "zed@alpha.example")
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.version, c.version + 1);
    assert!(matches!(
        s.update_contact(
            &t.a_admin,
            c.id,
            c.version,
            &contact("Zed", "zed@alpha.example")
        )
        .await,
        Err(Error::StaleVersion { .. })
    ));
    s.delete_contact(&t.a_admin, c.id).await.unwrap();
    not_found("deleted", s.get_contact(&t.a_admin, c.id).await);
    let names: Vec<_> = s
        .list_contacts(&t.a_user, a)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Al Alpha"]);
}
