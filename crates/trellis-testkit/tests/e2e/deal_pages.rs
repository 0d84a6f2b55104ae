//! The deal pages of the portal and the console over HTTP, as a browser without script sees
//! them: a partner checks and registers a deal through the form (bad input changes nothing),
//! the channel manager works the queue and the review page, a rejection is disputed and
//! settled with e-mail both ways, the live stamps move with a decision, and the rules of
//! engagement are edited into a new version with its changes shown.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use trellis_testkit::app::{Browser, Page, TestApp};

const FORM: [(&str, &str); 10] = [
    ("company_name", "Globex Corporation"),
    ("website", "https://www.globex.de"),
    ("country", "Germany"),
    ("contact_name", "Hank Scorpio"),
    ("contact_email", "hank@globex.de"),
    ("product", "Data platform"),
    ("amount", "48,000.00"),
    ("currency", "EUR"),
    ("expected_close", "2026-06-30"),
    ("stage", "qualified"),
];

async fn post(b: &Browser, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
    let mut form = vec![("_csrf", csrf)];
    form.extend_from_slice(fields);
    b.post(path, &form).await.unwrap()
}

/// The id in a `/…/deals/{id}` redirect.
fn deal_id(p: &Page) -> String {
    let at = p
        .location
        .as_deref()
        .unwrap_or_else(|| panic!("no redirect: {}", p.html));
    at.rsplit('/').next().unwrap().to_owned()
}

/// `{"stamp": n}` from a live endpoint.
async fn stamp(b: &Browser, path: &str) -> i64 {
    let r = b
        .http
        .get(format!("{}{path}", b.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    v["stamp"].as_i64().unwrap()
}

/// Two partners and the manager, signed in.
struct Scene {
    app: TestApp,
    partner: Browser,
    other: Browser,
    manager: Browser,
}

#[tokio::test]
async fn a_partner_registers_through_the_form_and_the_manager_decides_on_the_review_page() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let contoso = app.partner("Contoso").await.unwrap();
    let scene = Scene {
        partner: app.browser_as(&north.user_email).await.unwrap(),
        other: app.browser_as(&contoso.user_email).await.unwrap(),
        manager: app.browser_as("admin@vendor.example").await.unwrap(),
        app,
    };
    let (first, second) = register_and_check(&scene).await;
    let mcsrf = review_and_resolve(&scene, &first, &second).await;
    dispute_and_settle(&scene, &second, &mcsrf).await;
    keep_up_to_date(&scene, &first).await;
}

/// Northwind registers through the form; Contoso checks the same customer, then registers it.
async fn register_and_check(scene: &Scene) -> (String, String) {
    let Scene { partner, other, .. } = scene;
    let new = partner.get("/portal/deals/new").await.unwrap();
    assert_eq!(new.status, StatusCode::OK, "{}", new.html);
    let csrf = new.csrf().unwrap();

    // A bad amount and a missing contact are named, and nothing is registered.
    let mut bad = FORM.to_vec();
    bad.retain(|(k, _)| *k != "amount" && *k != "contact_name");
    bad.push(("amount", "48.000,5x"));
    let refused = post(partner, "/portal/deals", &csrf, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("id=\"amount-error\""),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("value=\"Globex Corporation\""),
        "typed text is kept"
    );
    let refused = post(partner, "/portal/deals", &csrf, &FORM[..9]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "stage is optional");
    let first = deal_id(&refused);
    // The form's one-time token: sent twice (a double click), it makes one registration.
    let token = trellis_testkit::app::input_value(&new.html, "submission").unwrap();
    let mut twice = FORM.to_vec();
    twice.push(("submission", &token));
    let once = deal_id(&post(partner, "/portal/deals", &csrf, &twice).await);
    let again = post(partner, "/portal/deals", &csrf, &twice).await;
    assert_eq!(
        deal_id(&again),
        once,
        "the second submission leads to the first's registration"
    );
    let list = partner.get("/portal/deals").await.unwrap();
    assert_eq!(
        list.html
            .matches(&format!("/portal/deals/{once}\""))
            .count(),
        1
    );
    // The same token with other details is another deal: the form comes back with a new token.
    let mut changed = twice.clone();
    changed.retain(|(k, _)| *k != "product");
    changed.push(("product", "Edge appliances"));
    let refused = post(partner, "/portal/deals", &csrf, &changed).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert_ne!(
        trellis_testkit::app::input_value(&refused.html, "submission").as_deref(),
        Some(token.as_str())
    );
    let list = partner.get("/portal/deals").await.unwrap();
    assert!(
        list.html.contains(&format!("/portal/deals/{first}")),
        "{}",
        list.html
    );

    // Contoso checks the same customer without script: it learns that it may conflict, not
    // with whom.
    let other_csrf = other
        .get("/portal/deals/new")
        .await
        .unwrap()
        .csrf()
        .unwrap();
    let mut check = FORM.to_vec();
    check.push(("intent", "check"));
    let checked = post(other, "/portal/deals", &other_csrf, &check).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.html);
    assert!(
        checked.html.contains("check-possible_conflict"),
        "{}",
        checked.html
    );
    assert!(!checked.html.contains("Northwind"));
    // The script's JSON says the same.
    let json = other
        .http
        .post(format!("{}/portal/deals/check", other.base_url()))
        .form(&[
            ("_csrf", other_csrf.as_str()),
            ("company_name", "Globex Corp"),
            ("website", "globex.de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::OK);
    let answer: Value = json.json().await.unwrap();
    assert_eq!(answer["outcome"], "possible_conflict");
    assert!(!answer.to_string().contains("Northwind"));
    let second = deal_id(&post(other, "/portal/deals", &other_csrf, &FORM).await);

    (first, second)
}

/// The queue, the review page, a refused rejection, and the rules applied to both.
async fn review_and_resolve(scene: &Scene, first: &str, second: &str) -> String {
    let Scene {
        partner,
        other,
        manager,
        ..
    } = scene;
    // The queue lists both, oldest first, with the decision clock.
    let queue = manager.get("/console/deals").await.unwrap();
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
    let (a, b) = (
        queue.html.find(first).unwrap(),
        queue.html.find(second).unwrap(),
    );
    assert!(a < b, "the queue is oldest first");
    assert!(queue.html.contains("Decision due <time"), "{}", queue.html);
    assert!(
        queue.html.contains("in 2 d 0 h"),
        "the default SLA is 48 hours"
    );

    // The review page shows the other registration as a candidate and the rules' advice.
    let review = manager
        .get(&format!("/console/deals/{second}"))
        .await
        .unwrap();
    assert_eq!(review.status, StatusCode::OK, "{}", review.html);
    assert!(review.html.contains("id=\"candidates-table\""));
    assert!(review.html.contains(&format!("/console/deals/{first}")));
    assert!(
        review.html.contains("First valid registration"),
        "{}",
        review.html
    );
    let version = trellis_testkit::app::input_value(&review.html, "version").unwrap();
    let mcsrf = review.csrf().unwrap();

    // Rejecting needs a reason; without one nothing changes.
    let before = stamp(other, &format!("/portal/deals/{second}/live")).await;
    let list_before = stamp(other, "/portal/deals/live").await;
    let no_reason = post(
        manager,
        &format!("/console/deals/{second}/decision"),
        &mcsrf,
        &[("version", &version), ("decision", "reject")],
    )
    .await;
    assert_eq!(
        no_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_reason.html
    );
    assert!(
        no_reason.html.contains("reject-reason-error"),
        "{}",
        no_reason.html
    );
    assert_eq!(
        stamp(other, &format!("/portal/deals/{second}/live")).await,
        before
    );

    // Applying the rules decides both; the stamps the partners' pages poll move.
    let resolved = post(
        manager,
        &format!("/console/deals/{second}/resolve"),
        &mcsrf,
        &[("version", &version)],
    )
    .await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER, "{}", resolved.html);
    assert!(stamp(other, &format!("/portal/deals/{second}/live")).await > before);
    assert!(stamp(other, "/portal/deals/live").await > list_before);
    let theirs = other.get(&format!("/portal/deals/{second}")).await.unwrap();
    assert!(
        theirs
            .html
            .contains("badge-red\" data-live-summary>Rejected"),
        "{}",
        theirs.html
    );
    assert!(
        theirs
            .html
            .contains("another partner registered this customer first")
    );
    assert!(
        !theirs.html.contains("Northwind"),
        "the rejected partner never learns who won"
    );
    let mine = partner
        .get(&format!("/portal/deals/{first}"))
        .await
        .unwrap();
    assert!(
        mine.html.contains("data-live-summary>Approved"),
        "{}",
        mine.html
    );
    assert!(mine.html.contains("Protected, ends"));

    mcsrf
}

/// Contoso disputes the rejection and the manager overturns it; stale forms are refused.
async fn dispute_and_settle(scene: &Scene, second: &str, mcsrf: &str) {
    let Scene {
        app,
        other,
        manager,
        ..
    } = scene;
    // Contoso disputes; its channel manager is e-mailed; the manager overturns.
    let theirs = other.get(&format!("/portal/deals/{second}")).await.unwrap();
    let theirs_version = trellis_testkit::app::input_value(&theirs.html, "version").unwrap();
    let ocsrf = theirs.csrf().unwrap();
    let empty = post(
        other,
        &format!("/portal/deals/{second}/dispute"),
        &ocsrf,
        &[("version", &theirs_version), ("reason", " ")],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.html.contains("dispute-reason-error"),
        "{}",
        empty.html
    );
    let disputed = post(
        other,
        &format!("/portal/deals/{second}/dispute"),
        &ocsrf,
        &[
            ("version", &theirs_version),
            ("reason", "We have worked Globex for a year"),
        ],
    )
    .await;
    assert_eq!(disputed.status, StatusCode::SEE_OTHER, "{}", disputed.html);
    app.run_jobs().await.unwrap();
    let mail = app.mail.wait_for(1, Duration::from_secs(5)).await;
    assert!(
        mail.iter()
            .any(|m| m.subject().starts_with("Disputed: Globex Corporation")
                && m.body().contains("We have worked Globex for a year")),
        "{:?}",
        mail.iter()
            .map(trellis_testkit::smtp::ReceivedMail::subject)
            .collect::<Vec<_>>()
    );
    let review = manager
        .get(&format!("/console/deals/{second}"))
        .await
        .unwrap();
    assert!(review.html.contains("id=\"dispute-form\""));
    let version = trellis_testkit::app::input_value(&review.html, "version").unwrap();
    let settled = post(
        manager,
        &format!("/console/deals/{second}/dispute"),
        mcsrf,
        &[
            ("version", &version),
            ("outcome", "overturn"),
            ("reason", "Their prior work is documented"),
        ],
    )
    .await;
    assert_eq!(settled.status, StatusCode::SEE_OTHER, "{}", settled.html);
    let theirs = other.get(&format!("/portal/deals/{second}")).await.unwrap();
    assert!(
        theirs.html.contains("data-live-summary>Approved"),
        "{}",
        theirs.html
    );
    assert!(theirs.html.contains("Dispute settled: approved"));

    // A stale form is refused with a notice, not a 500.
    let stale = post(
        manager,
        &format!("/console/deals/{second}/decision"),
        mcsrf,
        &[("version", &version), ("decision", "approve")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
}

/// Northwind keeps its deal up to date.
async fn keep_up_to_date(scene: &Scene, first: &str) {
    let partner = &scene.partner;
    // The partner keeps the deal up to date; a bad date is named.
    let page = partner
        .get(&format!("/portal/deals/{first}"))
        .await
        .unwrap();
    let v = trellis_testkit::app::input_value(&page.html, "version").unwrap();
    let pcsrf = page.csrf().unwrap();
    let bad = post(
        partner,
        &format!("/portal/deals/{first}"),
        &pcsrf,
        &[
            ("version", &v),
            ("stage", "proposal"),
            ("amount", "52,000"),
            ("expected_close", "30/06/2026"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("expected_close-error"), "{}", bad.html);
    let ok = post(
        partner,
        &format!("/portal/deals/{first}"),
        &pcsrf,
        &[
            ("version", &v),
            ("stage", "proposal"),
            ("amount", "52,000"),
            ("expected_close", "2026-07-31"),
            ("next_step", "Pricing call"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    let page = partner
        .get(&format!("/portal/deals/{first}"))
        .await
        .unwrap();
    assert!(page.html.contains("EUR 52,000.00"), "{}", page.html);
    assert!(page.html.contains("Pricing call"));
}

#[tokio::test]
async fn the_rules_of_engagement_are_edited_into_a_new_version_that_partners_read() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let admin = app.browser_as("admin@vendor.example").await.unwrap();
    let partner = app.browser_as(&north.user_email).await.unwrap();

    let page = admin.get("/console/deals/rules").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.csrf().unwrap();
    let fields = |protection: &'static str| {
        vec![
            ("version", "1"),
            ("protection_days", protection),
            ("extension_days", "30"),
            ("max_extensions", "2"),
            ("expiry_warning_days", "14"),
            ("approval_sla_hours", "24"),
            ("match_threshold_percent", "80"),
            ("rule", "first_registration"),
            ("position_first_registration", "2"),
            ("rule", "existing_customer"),
            ("position_existing_customer", "1"),
            ("auto_enabled", "on"),
            ("auto_max_amount", "25,000"),
            ("auto_currency", "EUR"),
            ("note", "Customers are house accounts"),
        ]
    };
    let bad = post(&admin, "/console/deals/rules", &csrf, &fields("0")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("protection_days-error"), "{}", bad.html);
    assert!(
        bad.html.contains("Customers are house accounts"),
        "typed text is kept"
    );
    let saved = post(&admin, "/console/deals/rules", &csrf, &fields("120")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    // Saving on top of version 1 again is stale.
    let stale = post(&admin, "/console/deals/rules", &csrf, &fields("100")).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    let rules = partner.get("/portal/deals/rules").await.unwrap();
    assert!(rules.html.contains("Version 2"), "{}", rules.html);
    assert!(rules.html.contains("for 120 days"), "{}", rules.html);
    let summary = &rules.html[rules.html.find("rules-summary").unwrap()..];
    let (customers, first) = (
        summary.find("house accounts").unwrap(),
        summary.find("first valid registration wins").unwrap(),
    );
    assert!(
        customers < first,
        "the rules are listed in their order: {summary}"
    );

    let v2 = admin.get("/console/deals/rules/versions/2").await.unwrap();
    assert!(v2.html.contains("id=\"rules-added\""));
    assert!(v2.html.contains("for 120 days"));
    assert!(
        v2.html
            .contains("<del>An approved registration protects the deal for 90 days.</del>"),
        "{}",
        v2.html
    );
    assert_eq!(
        admin
            .get("/console/deals/rules/versions/9")
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );

    // The partner cannot edit; the console sends it back to its portal.
    let p = partner
        .post("/console/deals/rules", &[("_csrf", "x")])
        .await
        .unwrap();
    assert_eq!(p.location.as_deref(), Some("/portal"));
}
