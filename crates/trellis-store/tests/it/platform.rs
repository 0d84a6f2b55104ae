use trellis_store::platform::{audit, events, idempotency, orgs, throttles, tokens, users};
use trellis_store::testing::TestDb;
use trellis_store::{Error, Json};
use uuid::Uuid;

fn org(name: &str, slug: &str, kind: &str) -> orgs::OrgRow {
    orgs::OrgRow {
        id: Uuid::now_v7(),
        kind: kind.into(),
        name: name.into(),
        slug: slug.into(),
        partner_type: (kind == "partner").then(|| "reseller".into()),
        tier: None,
        region: Some("emea".into()),
        country: Some("DE".into()),
        website: None,
        version: 1,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

fn user(org_id: Uuid, email: &str) -> users::UserRow {
    users::UserRow {
        id: Uuid::now_v7(),
        org_id,
        email: email.into(),
        name: "Ada".into(),
        role: "partner_user".into(),
        status: "active".into(),
        password_hash: Some("hash".into()),
        failed_logins: 0,
        locked_until: None,
        last_login_at: None,
        version: 1,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

#[tokio::test]
async fn orgs_page_by_name_and_filter_by_substring_and_kind() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    orgs::insert(&mut tx.exec(), &org("Vendor", "vendor", "vendor"))
        .await
        .unwrap();
    for (i, name) in ["Delta 100%", "alpha", "Charlie", "bravo"]
        .iter()
        .enumerate()
    {
        orgs::insert(&mut tx.exec(), &org(name, &format!("p{i}"), "partner"))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut c = t.db().read().await.unwrap();
    let f = orgs::OrgFilter {
        kind: Some("partner".into()),
        name_contains: None,
    };
    let p1 = orgs::list(&mut c.exec(), &f, None, 3).await.unwrap();
    let names: Vec<_> = p1.items.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["alpha", "bravo", "Charlie"]);
    let p2 = orgs::list(&mut c.exec(), &f, p1.next.as_ref(), 3)
        .await
        .unwrap();
    assert_eq!(p2.items.len(), 1);
    assert!(p2.next.is_none());

    // `%` in a search is a literal, not a wildcard.
    let f = orgs::OrgFilter {
        kind: None,
        name_contains: Some("0%".into()),
    };
    let hits = orgs::list(&mut c.exec(), &f, None, 10).await.unwrap();
    assert_eq!(hits.items.len(), 1);
    let f = orgs::OrgFilter {
        kind: None,
        name_contains: Some("%".into()),
    };
    assert_eq!(
        orgs::list(&mut c.exec(), &f, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(orgs::count(&mut c.exec(), "partner").await.unwrap(), 4);
    let (tiers, types) = orgs::partner_breakdown(&mut c.exec()).await.unwrap();
    assert_eq!(tiers, vec![(None, 4)]);
    assert_eq!(types, vec![(Some("reseller".to_owned()), 4)]);
}

#[tokio::test]
async fn a_second_vendor_and_duplicate_slugs_and_emails_are_conflicts() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let v = org("Vendor", "vendor", "vendor");
    orgs::insert(&mut tx.exec(), &v).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = t.db().begin().await.unwrap();
    let err = orgs::insert(&mut tx.exec(), &org("Other", "other", "vendor"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict), "{err:?}");
    drop(tx);

    let mut tx = t.db().begin().await.unwrap();
    let err = orgs::insert(&mut tx.exec(), &org("Again", "vendor", "partner"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict), "{err:?}");
    drop(tx);

    // PostgreSQL aborts a transaction after a failed statement, so each failure gets its own.
    let mut tx = t.db().begin().await.unwrap();
    users::insert(&mut tx.exec(), &user(v.id, "ada@example.com"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let err = users::insert(&mut tx.exec(), &user(v.id, "ADA@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict), "{err:?}");
    drop(tx);
    let mut tx = t.db().begin().await.unwrap();
    let err = users::insert(&mut tx.exec(), &user(Uuid::now_v7(), "bob@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignKey), "{err:?}");
}

#[tokio::test]
async fn updates_with_a_stale_version_change_nothing() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let mut o = org("Acme", "acme", "partner");
    orgs::insert(&mut tx.exec(), &o).await.unwrap();
    o.name = "Acme 2".into();
    assert!(orgs::update(&mut tx.exec(), &o, 1).await.unwrap());
    o.name = "Acme 3".into();
    assert!(!orgs::update(&mut tx.exec(), &o, 1).await.unwrap());
    let back = orgs::find(&mut tx.exec(), o.id).await.unwrap().unwrap();
    assert_eq!((back.name.as_str(), back.version), ("Acme 2", 2));
}

#[tokio::test]
async fn users_are_scoped_to_their_org_when_a_scope_is_given() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let (a, b) = (org("A", "a", "partner"), org("B", "b", "partner"));
    orgs::insert(&mut tx.exec(), &a).await.unwrap();
    orgs::insert(&mut tx.exec(), &b).await.unwrap();
    let ua = user(a.id, "a@a.example");
    users::insert(&mut tx.exec(), &ua).await.unwrap();
    users::insert(&mut tx.exec(), &user(b.id, "b@b.example"))
        .await
        .unwrap();
    assert!(
        users::find(&mut tx.exec(), ua.id, Some(b.id))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        users::find(&mut tx.exec(), ua.id, Some(a.id))
            .await
            .unwrap()
            .is_some()
    );
    let page = users::list(&mut tx.exec(), Some(a.id), None, 10)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        users::list(&mut tx.exec(), None, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

#[tokio::test]
async fn failed_logins_lock_the_account_at_the_threshold() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let o = org("A", "a", "partner");
    orgs::insert(&mut tx.exec(), &o).await.unwrap();
    let u = user(o.id, "a@a.example");
    users::insert(&mut tx.exec(), &u).await.unwrap();
    for _ in 0..2 {
        users::record_failed_login(&mut tx.exec(), u.id, 3, 9_999)
            .await
            .unwrap();
    }
    let r = users::find(&mut tx.exec(), u.id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.failed_logins, r.locked_until), (2, None));
    users::record_failed_login(&mut tx.exec(), u.id, 3, 9_999)
        .await
        .unwrap();
    let r = users::find(&mut tx.exec(), u.id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.locked_until, Some(9_999));
    users::record_login(&mut tx.exec(), u.id, 10_000)
        .await
        .unwrap();
    let r = users::find(&mut tx.exec(), u.id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.failed_logins, r.locked_until, r.last_login_at),
        (0, None, Some(10_000))
    );
}

#[tokio::test]
async fn tokens_expire_and_revoke_and_action_tokens_are_single_use() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let o = org("A", "a", "partner");
    orgs::insert(&mut tx.exec(), &o).await.unwrap();
    let u = user(o.id, "a@a.example");
    users::insert(&mut tx.exec(), &u).await.unwrap();
    let tok = tokens::TokenRow {
        id: Uuid::now_v7(),
        user_id: u.id,
        kind: "api".into(),
        name: "ci".into(),
        prefix: "trl_abc".into(),
        token_hash: "h1".into(),
        scopes: "orgs:read".into(),
        created_at: 0,
        last_used_at: None,
        expires_at: Some(100),
        revoked_at: None,
    };
    tokens::insert(&mut tx.exec(), &tok).await.unwrap();
    assert!(
        tokens::find_live(&mut tx.exec(), "h1", 99)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        tokens::find_live(&mut tx.exec(), "h1", 100)
            .await
            .unwrap()
            .is_none()
    );
    assert!(tokens::revoke(&mut tx.exec(), tok.id, 50).await.unwrap());
    assert!(!tokens::revoke(&mut tx.exec(), tok.id, 51).await.unwrap());
    assert!(
        tokens::find_live(&mut tx.exec(), "h1", 60)
            .await
            .unwrap()
            .is_none()
    );

    let mk = |hash: &str| tokens::ActionTokenRow {
        id: Uuid::now_v7(),
        user_id: u.id,
        purpose: "password_reset".into(),
        token_hash: hash.into(),
        created_at: 10,
        expires_at: 1_000,
        used_at: None,
    };
    let first = mk("r1");
    tokens::insert_action(&mut tx.exec(), &first).await.unwrap();
    tokens::insert_action(&mut tx.exec(), &mk("r2"))
        .await
        .unwrap();
    assert!(
        tokens::find_action(&mut tx.exec(), "password_reset", "r1", 20)
            .await
            .unwrap()
            .is_none(),
        "a newer reset voids the older link"
    );
    let live = tokens::find_action(&mut tx.exec(), "password_reset", "r2", 20)
        .await
        .unwrap()
        .unwrap();
    assert!(
        tokens::use_action(&mut tx.exec(), live.id, 30)
            .await
            .unwrap()
    );
    assert!(
        !tokens::use_action(&mut tx.exec(), live.id, 31)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn throttle_windows_count_and_reset() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    assert_eq!(
        throttles::hit(&mut tx.exec(), "ip:1", 1_000, 60_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        throttles::hit(&mut tx.exec(), "ip:1", 59_000, 60_000)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        throttles::hit(&mut tx.exec(), "ip:2", 59_000, 60_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        throttles::hit(&mut tx.exec(), "ip:1", 61_000, 60_000)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn audit_entries_filter_and_page_newest_first() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let actor = Uuid::now_v7();
    for i in 0..5_i64 {
        audit::append(
            &mut tx.exec(),
            &audit::AuditRow {
                seq: 0,
                id: Uuid::now_v7(),
                actor_id: (i % 2 == 0).then_some(actor),
                actor_label: "ada".into(),
                org_id: None,
                action: "user.invited".into(),
                object_type: "user".into(),
                object_id: format!("u{i}"),
                summary: "invited".into(),
                before_state: None,
                after_state: Some(Json(serde_json::json!({"i": i}))),
                request_id: None,
                created_at: i * 10,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut c = t.db().read().await.unwrap();
    let f = audit::AuditFilter {
        actor_id: Some(actor),
        ..Default::default()
    };
    let p = audit::list(&mut c.exec(), &f, None, 2).await.unwrap();
    let ids: Vec<_> = p.items.iter().map(|r| r.object_id.as_str()).collect();
    assert_eq!(ids, ["u4", "u2"]);
    let p2 = audit::list(&mut c.exec(), &f, p.next.as_ref(), 2)
        .await
        .unwrap();
    assert_eq!(p2.items[0].object_id, "u0");
    assert_eq!(p2.items[0].after_state.as_ref().unwrap().0["i"], 0);
    let f = audit::AuditFilter {
        from: Some(10),
        until: Some(30),
        ..Default::default()
    };
    assert_eq!(
        audit::list(&mut c.exec(), &f, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

#[tokio::test]
async fn events_read_back_in_order_with_their_payload() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    for i in 0..3 {
        events::append(
            &mut tx.exec(),
            &events::EventRow {
                seq: 0,
                id: Uuid::now_v7(),
                event_type: "org.created".into(),
                org_id: None,
                object_type: "org".into(),
                object_id: format!("o{i}"),
                payload: Json(serde_json::json!({"n": i})),
                created_at: 5,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut c = t.db().read().await.unwrap();
    let all = events::list_after(&mut c.exec(), 0, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    let rest = events::list_after(&mut c.exec(), all[0].seq, 10)
        .await
        .unwrap();
    assert_eq!(rest[0].payload.0["n"], 1);
    assert_eq!(
        events::find(&mut c.exec(), all[2].id)
            .await
            .unwrap()
            .unwrap()
            .object_id,
        "o2"
    );
}

#[tokio::test]
async fn an_idempotency_key_is_saved_once_per_owner() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let row = idempotency::IdempotencyRow {
        owner: "u1".into(),
        key: "k".into(),
        request_hash: "h".into(),
        status: 201,
        response: "{}".into(),
        created_at: 1,
    };
    idempotency::insert(&mut tx.exec(), &row).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    assert!(matches!(
        idempotency::insert(&mut tx.exec(), &row).await,
        Err(Error::Conflict)
    ));
    drop(tx);
    let mut tx = t.db().begin().await.unwrap();
    let other = idempotency::IdempotencyRow {
        owner: "u2".into(),
        ..row.clone()
    };
    idempotency::insert(&mut tx.exec(), &other).await.unwrap();
    assert_eq!(
        idempotency::find(&mut tx.exec(), "u1", "k")
            .await
            .unwrap()
            .unwrap()
            .status,
        201
    );
    assert_eq!(idempotency::purge(&mut tx.exec(), 2).await.unwrap(), 2);
}
