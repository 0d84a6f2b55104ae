//! Deal registration through the API: partners register and check customers, the channel
//! manager reviews with every candidate and resolves by the rules, the winner becomes an
//! opportunity with the partner attached; the rules of engagement are versioned.

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_testkit::app::{Api, TestApp};

fn deal(company: &str, website: &str) -> Value {
    json!({"company_name": company, "website": website, "country": "GB",
        "contact_name": "Jo Bloggs", "contact_email": format!("jo@{website}"),
        "product": "Data platform", "amount_minor": 4_500_000, "currency": "GBP",
        "expected_close": "2026-06-30", "stage": "qualified"})
}

async fn register(api: &Api, body: &Value) -> Value {
    let r = api.post("/api/v1/deal-registrations", body).await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

/// The winner becomes the rep's opportunity with the partner attached.
async fn convert(app: &TestApp, vendor: &Api, a: &Api, first: &Value, account: &Value) {
    let mine = first;
    // The winner becomes the rep's opportunity with the partner attached.
    let converted = vendor
        .post(
            &format!(
                "/api/v1/deal-registrations/{}/conversion",
                first["id"].as_str().unwrap()
            ),
            &json!({"version": mine["version"]}),
        )
        .await
        .unwrap();
    assert_eq!(converted.status, StatusCode::OK, "{:?}", converted.body);
    let opportunity = &converted.body["opportunity"];
    assert_eq!(opportunity["account_id"], account["id"]);
    let rep = app.api_as("rep@vendor.example").await.unwrap();
    let partners = rep
        .get(&format!(
            "/api/v1/opportunities/{}/partners",
            opportunity["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(partners.status, StatusCode::OK, "{:?}", partners.body);
    assert_eq!(partners.body[0]["partner_name"], "Northwind");
    assert_eq!(partners.body[0]["role"], "sourced");

    let trail = a
        .get(&format!(
            "/api/v1/deal-registrations/{}/trail",
            first["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let steps: Vec<&str> = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["submitted", "approved", "converted"]);
}

#[tokio::test]
async fn conflicting_registrations_are_resolved_by_the_rules_and_the_winner_becomes_an_opportunity()
{
    let app = TestApp::spawn().await.unwrap();
    let vendor = app.api_as("admin@vendor.example").await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let contoso = app.partner("Contoso").await.unwrap();
    let a = app.api_as(&north.user_email).await.unwrap();
    let b = app.api_as(&contoso.user_email).await.unwrap();
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let account = vendor
        .put(
            "/api/v1/accounts/salesforce/001A",
            &json!({"name": "Acme Corporation", "website": "acme.co.uk", "owner": "rep@vendor.example", "account_type": "Prospect"}),
        )
        .await
        .unwrap();
    assert_eq!(account.status, StatusCode::CREATED);

    let first = register(&a, &deal("ACME Corporation, Inc.", "acme.co.uk")).await;
    assert_eq!(first["status"], "pending");
    assert_eq!(
        first["possible_conflict"], false,
        "a prospect account alone is no conflict"
    );

    // Before registering, Contoso learns only that the customer may be claimed.
    let check = b
        .post(
            "/api/v1/deal-registrations/check",
            &json!({"company_name": "Acme Corp", "website": "www.acme.co.uk"}),
        )
        .await
        .unwrap();
    assert_eq!(check.status, StatusCode::OK, "{:?}", check.body);
    assert_eq!(check.body["outcome"], "possible_conflict");
    assert_eq!(check.body["candidates"], json!([]));
    assert!(!check.body.to_string().contains("Northwind"));

    let second = register(&b, &deal("Acme Corp", "www.acme.co.uk")).await;
    assert_eq!(second["possible_conflict"], true);
    let second_id = second["id"].as_str().unwrap();

    // The channel manager sees every candidate with score and reason, and the advice.
    let review = vendor
        .get(&format!("/api/v1/deal-registrations/{second_id}/review"))
        .await
        .unwrap();
    assert_eq!(review.status, StatusCode::OK, "{:?}", review.body);
    let kinds: Vec<&str> = review.body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"registration") && kinds.contains(&"account"),
        "{kinds:?}"
    );
    assert_eq!(review.body["advice"]["rule"], "first_registration");
    assert_eq!(review.body["advice"]["decision"], "reject");
    assert_eq!(
        b.get(&format!("/api/v1/deal-registrations/{second_id}/review"))
            .await
            .unwrap()
            .status,
        StatusCode::FORBIDDEN
    );

    let resolved = vendor
        .post(
            &format!("/api/v1/deal-registrations/{second_id}/resolve"),
            &json!({"version": second["version"]}),
        )
        .await
        .unwrap();
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    let mine = a
        .get(&format!(
            "/api/v1/deal-registrations/{}",
            first["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(mine.body["status"], "approved");
    assert_eq!(mine.body["decision"]["rule"], "first_registration");
    let theirs = b
        .get(&format!("/api/v1/deal-registrations/{second_id}"))
        .await
        .unwrap();
    assert_eq!(theirs.body["status"], "rejected");
    assert_eq!(
        theirs.body["decision"]["reason"],
        "another partner registered this customer first"
    );

    convert(&app, &vendor, &a, &mine.body, &account.body).await;
}

#[tokio::test]
async fn the_rules_of_engagement_are_versioned_and_readable_by_partners() {
    let app = TestApp::spawn().await.unwrap();
    let vendor = app.api_as("admin@vendor.example").await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let partner = app.api_as(&north.user_email).await.unwrap();

    let current = partner.get("/api/v1/engagement-policy").await.unwrap();
    assert_eq!(current.status, StatusCode::OK, "{:?}", current.body);
    assert_eq!(current.body["version"], 1);
    assert!(current.body["summary"].as_array().unwrap().iter().any(|s| {
        s.as_str()
            .unwrap()
            .contains("first valid registration wins")
    }));
    let mut policy = current.body["policy"].clone();
    policy["protection_days"] = json!(120);
    policy["auto_approval"] =
        json!({"enabled": true, "max_amount": {"amount_minor": 5_000_000, "currency": "GBP"}});
    let refused = partner
        .put(
            "/api/v1/engagement-policy",
            &json!({"base_version": 1, "policy": policy}),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let bad = vendor
        .put(
            "/api/v1/engagement-policy",
            &json!({"base_version": 1, "policy": {"protection_days": 0}}),
        )
        .await
        .unwrap();
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    let saved = vendor
        .put(
            "/api/v1/engagement-policy",
            &json!({"base_version": 1, "policy": policy, "note": "longer protection"}),
        )
        .await
        .unwrap();
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.body["version"], 2);
    let stale = vendor
        .put(
            "/api/v1/engagement-policy",
            &json!({"base_version": 1, "policy": policy}),
        )
        .await
        .unwrap();
    assert_eq!(stale.status, StatusCode::CONFLICT);

    // A small, clear deal is approved at once under version 2, with 120 days' protection.
    let r = register(&partner, &deal("Globex", "globex.com")).await;
    assert_eq!(r["status"], "approved");
    assert_eq!(r["policy_version"], 2);
    assert_eq!(r["decision"]["rule"], "auto_approval");
    assert_eq!(r["protected_until"], "2026-05-01T00:00:00Z");
    let v1 = partner
        .get("/api/v1/engagement-policy/versions/1")
        .await
        .unwrap();
    assert_eq!(v1.body["policy"]["protection_days"], 90);
    assert_eq!(
        partner
            .get("/api/v1/engagement-policy/versions/99")
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );

    let invalid = partner
        .post(
            "/api/v1/deal-registrations",
            &json!({"company_name": "", "contact_name": "Jo", "contact_email": "jo@", "product": "X",
                "amount_minor": -5, "currency": "GBP", "expected_close": "tomorrow"}),
        )
        .await
        .unwrap();
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "company_name",
            "contact_email",
            "amount_minor",
            "expected_close"
        ]
    );
}
