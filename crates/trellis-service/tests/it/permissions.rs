use std::sync::Arc;

use trellis_domain::{OrgKind, Role, Timestamp};
use trellis_service::platform::PageRequest;
use trellis_service::platform::audit::AuditQuery;
use trellis_service::platform::orgs::{Org, OrgInput};
use trellis_service::platform::tokens::TokenInput;
use trellis_service::platform::users::{InviteInput, UserPatch};
use trellis_service::platform::webhooks::EndpointInput;
use trellis_service::{Actor, AuthMethod, Error, FakeClock, ServiceConfig, Services, UserActor};
use trellis_store::testing::TestDb;

struct World {
    _db: TestDb,
    s: Services,
    vendor: Org,
    a: Org,
    b: Org,
}

async fn world() -> World {
    let db = TestDb::create().await.unwrap();
    let clock = FakeClock::new(Timestamp::from_millis(1_767_225_600_000));
    let s = Services::new(db.db().clone(), Arc::new(clock), ServiceConfig::default());
    let org = |name: &str, kind| {
        let s = s.clone();
        let name = name.to_owned();
        async move {
            let input = OrgInput {
                name,
                partner_type: (kind == OrgKind::Partner).then(|| "msp".into()),
                ..OrgInput::default()
            };
            s.create_org(&Actor::System, kind, &input).await.unwrap()
        }
    };
    let vendor = org("Vendor", OrgKind::Vendor).await;
    let a = org("Alpha", OrgKind::Partner).await;
    let b = org("Bravo", OrgKind::Partner).await;
    World {
        _db: db,
        s,
        vendor,
        a,
        b,
    }
}

async fn actor(w: &World, org: &Org, role: Role) -> Actor {
    let email = format!("{}@{}.example", role.as_str(), org.slug);
    let u =
        w.s.create_user_with_password(
            &Actor::System,
            org.id,
            &email,
            "Person",
            role.as_str(),
            "correct horse battery",
        )
        .await
        .unwrap();
    Actor::User(UserActor {
        user_id: u.id,
        org_id: org.id,
        role,
        email,
        name: u.name,
        via: AuthMethod::Session,
    })
}

fn allowed<T: std::fmt::Debug>(r: &Result<T, Error>) -> bool {
    match r {
        Ok(_) => true,
        Err(Error::Forbidden | Error::NotFound) => false,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[tokio::test]
async fn each_role_can_do_exactly_what_its_permissions_grant() {
    let w = world().await;
    let page = PageRequest::default();
    // (role, org, create partner, list all users, manage webhooks, read audit, manage jobs)
    let table = [
        (Role::VendorAdmin, &w.vendor, [true, true, true, true, true]),
        (
            Role::ChannelManager,
            &w.vendor,
            [true, true, false, false, false],
        ),
        (
            Role::SalesRep,
            &w.vendor,
            [false, true, false, false, false],
        ),
        (Role::Finance, &w.vendor, [false, true, false, false, false]),
        (Role::PartnerAdmin, &w.a, [false, true, false, false, false]),
        (Role::PartnerUser, &w.a, [false, false, false, false, false]),
    ];
    for (i, (role, org, expect)) in table.into_iter().enumerate() {
        let actor = actor(&w, org, role).await;
        let input = OrgInput {
            name: format!("New Partner {i}"),
            partner_type: Some("si".into()),
            ..OrgInput::default()
        };
        let got = [
            allowed(&w.s.create_org(&actor, OrgKind::Partner, &input).await),
            allowed(&w.s.list_users(&actor, None, &page).await),
            allowed(&w.s.list_webhooks(&actor, &page).await),
            allowed(&w.s.list_audit(&actor, &AuditQuery::default(), &page).await),
            allowed(&w.s.list_jobs(&actor, "dead", &page).await),
        ];
        assert_eq!(got, expect, "{role}");
        // Everyone can manage their own API tokens.
        let t = TokenInput {
            name: "mine".into(),
            scopes: vec!["orgs:read".into()],
            expires_in_days: None,
        };
        assert!(w.s.create_token(&actor, &t).await.is_ok(), "{role}");
    }
}

#[tokio::test]
async fn a_partner_admin_manages_only_its_own_organisations_users() {
    let w = world().await;
    let admin = actor(&w, &w.a, Role::PartnerAdmin).await;
    let other = actor(&w, &w.b, Role::PartnerUser).await;
    let Actor::User(other) = other else {
        unreachable!()
    };

    let invited =
        w.s.invite_user(
            &admin,
            &InviteInput {
                email: "new@alpha.example".into(),
                name: "New".into(),
                role: "partner_user".into(),
                org_id: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(invited.org_id, w.a.id);
    let into_b = InviteInput {
        email: "mole@alpha.example".into(),
        name: "Mole".into(),
        role: "partner_user".into(),
        org_id: Some(w.b.id),
    };
    assert!(matches!(
        w.s.invite_user(&admin, &into_b).await,
        Err(Error::NotFound)
    ));
    let vendor_role = InviteInput {
        email: "boss@alpha.example".into(),
        name: "Boss".into(),
        role: "vendor_admin".into(),
        org_id: None,
    };
    assert!(matches!(
        w.s.invite_user(&admin, &vendor_role).await,
        Err(Error::Validation(_))
    ));

    assert!(matches!(
        w.s.get_user(&admin, other.user_id).await,
        Err(Error::NotFound)
    ));
    let patch = UserPatch {
        status: Some("disabled".into()),
        ..UserPatch::default()
    };
    assert!(matches!(
        w.s.update_user(&admin, other.user_id, 1, &patch).await,
        Err(Error::NotFound)
    ));
    let listed =
        w.s.list_users(&admin, Some(w.b.id), &PageRequest::default())
            .await
            .unwrap();
    assert!(listed.items.is_empty());
    assert!(matches!(
        w.s.get_org(&admin, w.b.id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(w.s.get_org(&admin, w.a.id).await.unwrap().id, w.a.id);
}

#[tokio::test]
async fn nobody_changes_their_own_role_and_a_token_cannot_widen_its_scopes() {
    let w = world().await;
    let admin = actor(&w, &w.vendor, Role::VendorAdmin).await;
    let Actor::User(me) = admin.clone() else {
        unreachable!()
    };
    let patch = UserPatch {
        role: Some("sales_rep".into()),
        ..UserPatch::default()
    };
    assert!(matches!(
        w.s.update_user(&admin, me.user_id, 1, &patch).await,
        Err(Error::Validation(_))
    ));

    let narrow = Actor::User(UserActor {
        via: AuthMethod::ApiToken(vec![trellis_domain::Scope::of(
            trellis_domain::Permission::TokensManage,
        )]),
        ..me
    });
    let wider = TokenInput {
        name: "wider".into(),
        scopes: vec!["audit:read".into()],
        expires_in_days: None,
    };
    assert!(matches!(
        w.s.create_token(&narrow, &wider).await,
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        w.s.list_audit(&narrow, &AuditQuery::default(), &PageRequest::default())
            .await,
        Err(Error::Forbidden)
    ));
    let hook = EndpointInput {
        url: "https://x.example".into(),
        ..EndpointInput::default()
    };
    assert!(matches!(
        w.s.create_webhook(&narrow, &hook).await,
        Err(Error::Forbidden)
    ));
}

#[tokio::test]
async fn every_change_is_audited_in_the_same_transaction_and_failures_leave_no_trace() {
    let w = world().await;
    let admin = actor(&w, &w.vendor, Role::VendorAdmin).await;
    let before =
        w.s.list_audit(&admin, &AuditQuery::default(), &PageRequest::default())
            .await
            .unwrap()
            .items
            .len();
    let bad = OrgInput {
        name: "Alpha".into(),
        slug: Some("alpha".into()),
        partner_type: Some("msp".into()),
        ..OrgInput::default()
    };
    let err =
        w.s.create_org(&admin, OrgKind::Partner, &bad)
            .await
            .unwrap_err();
    assert!(
        matches!(&err, Error::Validation(fe) if fe.for_field("slug").is_some()),
        "{err:?}"
    );
    let after_fail =
        w.s.list_audit(&admin, &AuditQuery::default(), &PageRequest::default())
            .await
            .unwrap()
            .items
            .len();
    assert_eq!(after_fail, before);
    w.s.create_org(
        &admin,
        OrgKind::Partner,
        &OrgInput {
            name: "Charlie".into(),
            partner_type: Some("isv".into()),
            ..OrgInput::default()
        },
    )
    .await
    .unwrap();
    let entries =
        w.s.list_audit(&admin, &AuditQuery::default(), &PageRequest::default())
            .await
            .unwrap()
            .items;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(entries[0].action, "org.created");
    assert_eq!(entries[0].actor, admin.label());
}

#[tokio::test]
async fn re_enabling_a_disabled_invitee_makes_them_invited_again_not_active_without_a_password() {
    let w = world().await;
    let admin = actor(&w, &w.vendor, Role::VendorAdmin).await;
    let invite = InviteInput {
        email: "late@vendor.example".into(),
        name: "Late".into(),
        role: "finance".into(),
        org_id: None,
    };
    let u = w.s.invite_user(&admin, &invite).await.unwrap();
    let off = UserPatch {
        status: Some("disabled".into()),
        ..UserPatch::default()
    };
    let u =
        w.s.update_user(&admin, u.id, u.version, &off)
            .await
            .unwrap();
    let on = UserPatch {
        status: Some("active".into()),
        ..UserPatch::default()
    };
    let u = w.s.update_user(&admin, u.id, u.version, &on).await.unwrap();
    assert_eq!(u.status, "invited");
    w.s.resend_invitation(&admin, u.id).await.unwrap();
}
